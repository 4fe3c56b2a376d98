"""The built-in routine expanded into the timed session, and the timeline's guarantees."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from click.testing import Result

from conftest import SEED_SEQUENCE
from unknot.guide.timeline import Entry, Timeline, expand
from unknot.routines.routine import FlowStep, PerSideBlock, resolve


def seed() -> Timeline:
    return expand(resolve("after-long-run"))


STEPS = len(seed())  # the built-in session's steps, from its data


def test_after_long_run_is_the_seed_sequence_with_both_legs() -> None:
    # Flow repeats (rounds 2 and later) are the back-and-forth; the first pass is the sequence.
    sequence = [(e.name, e.side) for e in seed() if (e.round or 1) == 1]
    assert sequence == SEED_SEQUENCE


def test_the_routine_holds_seventeen_moves_in_two_per_side_blocks() -> None:
    routine = resolve("after-long-run")
    assert len(routine.poses()) == 17
    blocks = [s for s in routine.steps if isinstance(s, PerSideBlock)]
    assert len(blocks) == 2
    assert blocks[0].back_to is not None and blocks[0].back_to.pose.name == "Downward-Facing Dog"
    assert blocks[1].back_to is None


def test_the_lunge_and_the_fold_alternate_a_few_times_on_each_leg() -> None:
    for side in ("right", "left"):
        flow = [e for e in seed() if e.round and e.side == side]
        names = [e.name for e in flow]
        assert names == ["Low Crescent Lunge", "Lifted Head to Knee"] * 3
        assert [e.round for e in flow] == [1, 1, 2, 2, 3, 3]
    step = next(
        s
        for b in resolve("after-long-run").steps
        if isinstance(b, PerSideBlock)
        for s in b.steps
        if isinstance(s, FlowStep)
    )
    assert step.rounds == 3


def test_holds_are_twenty_to_thirty_seconds_and_savasana_is_longest() -> None:
    timeline = seed()
    savasana = timeline.entries[-1]
    assert savasana.name == "Savasana"
    assert all(savasana.hold > e.hold for e in timeline.entries[:-1])
    settled = [e for e in timeline if (e.round or 1) == 1 and e.hold >= 20]
    assert all(20 <= e.hold <= 30 for e in settled if e.name != "Savasana")


def test_both_sides_get_the_same_holds() -> None:
    timeline = seed()
    right = [(e.name, e.hold) for e in timeline if e.side == "right"]
    left = [(e.name, e.hold) for e in timeline if e.side == "left"]
    # 8 poses plus 4 flow repeats in the first block, 2 poses in the second: 14 a side.
    assert right == left and len(right) == 14


def test_the_total_is_exact_and_steps_follow_each_other_without_gaps() -> None:
    timeline = seed()
    clock = 0
    for entry in timeline:
        assert entry.begins == clock
        assert entry.start == clock + entry.transition
        clock = entry.end
    assert timeline.total == clock == sum(e.transition + e.hold for e in timeline)


def test_cues_fall_inside_their_entry_and_the_session_ends_in_rest() -> None:
    timeline = seed()
    for entry in timeline:
        offsets = [c.offset for c in entry.cues]
        assert offsets == sorted(offsets)
        assert all(-entry.transition <= o <= entry.hold for o in offsets)
        # The way out of the pose before comes first, then the name.
        said = [c for c in entry.cues if c.kind in ("exit", "announce")]
        assert [c.kind for c in said][-1] == "announce" and entry.name in said[-1].text
        assert entry.cues[: len(said)] == tuple(said)
    last = timeline.entries[-1]
    assert last.cues[-1].kind == "end" and last.hold - 15 <= last.cues[-1].offset < last.hold
    assert sum(c.kind == "end" for e in timeline for c in e.cues) == 1


def test_the_guide_says_when_to_switch_legs_and_go_back_to_the_dog() -> None:
    timeline = seed()
    back = next(e for e in timeline if e.name == "Downward-Facing Dog" and e.block == 1)
    assert announced(back) == "Back to Downward-Facing Dog."
    first_left = next(e for e in timeline if e.side == "left")
    assert announced(first_left) == "Three-Legged Dog, left leg up."  # as a body hears it


def announced(entry: Entry) -> str:
    return next(c.text for c in entry.cues if c.kind == "announce")


def test_the_movement_cues_of_the_seed_are_said_inside_the_hold() -> None:
    timeline = seed()
    dog = next(e for e in timeline if e.name == "Downward-Facing Dog")
    baby = next(e for e in timeline if e.name == "Happy Baby")
    assert any("shifting your weight" in c.text for c in dog.cues if c.offset > 0)
    assert any("side to side" in c.text for c in baby.cues if c.kind == "hold")


def test_hold_option_replaces_the_default_but_not_a_steps_own() -> None:
    timeline = expand(resolve("after-long-run"), hold=40)
    child = timeline.entries[0]
    assert child.hold == 40
    assert timeline.entries[-1].hold == 240  # Savasana keeps its own 3-5 min
    three_legged = next(e for e in timeline if e.name == "Three-Legged Dog")
    assert three_legged.hold == 15  # its own 10-20


def test_first_side_left_starts_every_block_on_the_left() -> None:
    sides = [e.side for e in expand(resolve("after-long-run"), first_side="left") if e.side]
    assert sides == ["left"] * 12 + ["right"] * 12 + ["left"] * 2 + ["right"] * 2


def test_a_per_side_pose_on_its_own_is_done_on_both_sides(
    write_routine: Callable[..., Path],
) -> None:
    path = write_routine("hold: 30\nsteps:\n  - Pigeon\n  - Savasana\n")
    timeline = expand(resolve(str(path)))
    assert [(e.name, e.side, e.hold) for e in timeline] == [
        ("Pigeon", "right", 30),
        ("Pigeon", "left", 30),
        ("Savasana", None, 30),
    ]


def test_rest_steps_and_notes(write_routine: Callable[..., Path]) -> None:
    path = write_routine(
        "steps:\n  - pose: Cat-Cow\n    note: Slowly.\n  - rest: 15\n    note: Breathe.\n"
    )
    cat, rest = expand(resolve(str(path))).entries
    assert any(c.kind == "note" and c.text == "Slowly." for c in cat.cues)
    assert rest.pose is None and rest.hold == 15 and rest.kind == "rest"


def test_plan_json_matches_the_documented_shape(run: Callable[..., Result]) -> None:
    result = run("plan", "after-long-run", "--json", "--level", "advanced")  # as written
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["routine"] == "after-long-run"
    assert data["total_seconds"] == seed().total
    step = data["steps"][3]
    assert step["pose"] == "Three-Legged Dog" and step["side"] == "right"
    assert set(step) == {
        "index", "kind", "pose", "side", "start_seconds", "hold_seconds",
        "transition_seconds", "block", "round", "areas", "custom", "cues",
    }  # fmt: skip
    assert set(step["cues"][0]) == {
        "offset_seconds", "kind", "text", "from_end", "speaking_seconds"
    }  # fmt: skip


def test_plan_prints_clock_offsets_and_the_total(run: Callable[..., Result]) -> None:
    result = run("plan", "after-long-run", "--hold", "30", "--level", "advanced")
    assert result.exit_code == 0
    total = expand(resolve("after-long-run"), hold=30).total
    assert f"Total {total // 60}:{total % 60:02d} ({total} s), {STEPS} steps." in result.stdout
    first = expand(resolve("after-long-run"), hold=30).entries[0]
    assert first.start == first.transition > 0  # the first move is timed too
    assert f"{first.start // 60}:{first.start % 60:02d}   Child's Pose" in result.stdout


def test_show_and_routines(run: Callable[..., Result]) -> None:
    shown = run("show", "after-long-run")
    assert shown.exit_code == 0 and "Seated Spinal Twist" in shown.stdout
    listed = json.loads(run("routines", "--json").stdout)
    assert [r["name"] for r in listed] == ["after-long-run", "easy-after-hard", "foam-rolling"]
    assert listed[0]["steps"] == STEPS and listed[0]["total_seconds"] == seed().total
    assert len(listed[0]["focus"]) == 4
