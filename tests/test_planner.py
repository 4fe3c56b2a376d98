"""The planner: exact for its own scoring, and a session a runner can trust.

Exactness is checked against `oracles.exhaustive_score`, which shares nothing with the planner's
dynamic programme: it tries every combination of the planner's own options (every hold on its
grid, every step kept or left out), expands each into a real timeline, and scores the timeline.
The programme's two back-ends (NumPy tables, plain-Python frontiers) are checked against each
other, choice for choice.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from hypothesis import given, settings
from hypothesis import strategies as st

import unknot
from oracles import exhaustive_score
from unknot.catalog.poses import catalog
from unknot.catalog.vocabulary import vocabulary
from unknot.errors import UnknotError
from unknot.guide.timeline import Timeline, expand
from unknot.plan import planner, relief
from unknot.plan.dense import DenseSearch
from unknot.plan.explain import Status
from unknot.plan.frontier import FrontierSearch
from unknot.plan.layout import units_of
from unknot.plan.needs import Needs, read_needs
from unknot.plan.search import Layer, Search
from unknot.routines.routine import PerSideBlock, Routine, read_routine, resolve
from unknot.yamlfile import parse

# A coarser grid than the shipped one, so that every combination can be tried in the tests.
COARSE = relief.rules()._replace(grid=(relief.GridBand(1800, 10),))
AREAS = [*vocabulary().areas, "hips", "back", "legs"]


def combinations(routine: Routine, needs: Needs, rules: relief.Rules) -> int:
    task = planner.problem(routine, needs, rules)
    count = 1
    for unit in units_of(task.layout):
        if unit.step is not None:
            count *= len(task.options(unit).options) + 1
    return count


# -- random routines small enough to enumerate ----------------------------------------------
def random_routine(rng: random.Random) -> Routine:
    poses = [p.name for p in catalog() if p.areas]
    rest_poses = [p.name for p in catalog() if not p.areas]

    def pose_step(indent: str) -> str:
        hold = rng.choice(["20", "30", "20-30", "15", "40"])
        return f"{indent}- pose: {rng.choice(poses)}\n{indent}  hold: {hold}\n"

    lines = [
        f"hold: {rng.choice(['20', '30', '20-30'])}\n",
        f"first_side: {rng.choice(['right', 'left'])}\n",
    ]
    lines.append("steps:\n")
    units = 0
    while units < rng.randint(1, 8):
        kind = rng.random()
        if kind < 0.45:
            lines.append(pose_step("  "))
            units += 1
        elif kind < 0.7:
            size = rng.randint(1, 3)
            lines.append("  - per_side:\n")
            lines.extend(pose_step("      ") for _ in range(size))
            units += size
            if rng.random() < 0.5:
                lines.append(f"    back_to: {rng.choice(poses)}\n")
                units += 1
        elif kind < 0.85:
            a, b = rng.sample(poses, 2)
            lines.append(f"  - flow: [{a}, {b}]\n    rounds: {rng.randint(1, 2)}\n    hold: 20\n")
            units += 1
        elif kind < 0.93:
            lines.append(f"  - rest: {rng.choice([10, 20])}\n")
            units += 1
        else:
            lines.append(f"  - pose: {rng.choice(rest_poses)}\n    hold: {rng.choice([60, 90])}\n")
            units += 1
    return read_routine(parse("".join(lines), where="random", what="routine"), name="random")


def random_needs(rng: random.Random, routine: Routine, *, skip_to: int = 0) -> Needs:
    written = expand(routine).total
    tight = [f"{a}:{rng.randint(1, 5)}" for a in rng.sample(AREAS, rng.randint(0, 3))]
    minutes = None if rng.random() < 0.15 else round(rng.uniform(0.5, written * 1.1 / 60 + 0.5), 2)
    minutes = max(1.0, minutes) if minutes is not None else None
    names = list(dict.fromkeys(p.name for p in routine.poses()))
    skip = rng.sample(names, max(0, len(names) - skip_to)) if skip_to else []
    if skip_to and len(skip) == len(names):
        skip = skip[1:]
    return read_needs(
        tight=tight,
        minutes=minutes,
        skip=skip,
        avoid=rng.sample(["knees", "neck", "wrists"], rng.randint(0, 1)),
        level=rng.choice([None, None, "beginner", "intermediate"]),
        first_side=rng.choice([None, "left"]),
    )


def check_against_exhaustive(routine: Routine, needs: Needs) -> None:
    """The planner's score equals the best of every combination (or neither finds a session)."""
    try:
        found = planner.plan(routine, needs, COARSE)
    except UnknotError:
        try:
            best = exhaustive_score(routine, needs, COARSE)
        except UnknotError:
            return
        assert best == -math.inf
        return
    assert found.score == pytest.approx(exhaustive_score(routine, needs, COARSE), abs=1e-6)


def small_case(draw: Callable[[], tuple[Routine, Needs]]) -> tuple[Routine, Needs]:
    """Draw cases until one is small enough to try every combination of."""
    for _ in range(50):
        routine, needs = draw()
        try:
            if combinations(routine, needs, COARSE) <= 3000:
                return routine, needs
        except UnknotError:
            continue
    pytest.fail("no small enough case drawn")


@pytest.mark.parametrize("seed", range(150))
def test_the_plan_is_optimal_on_random_small_routines(seed: int) -> None:
    rng = random.Random(seed)

    def draw() -> tuple[Routine, Needs]:
        routine = random_routine(rng)
        return routine, random_needs(rng, routine)

    check_against_exhaustive(*small_case(draw))


@pytest.mark.parametrize("seed", range(120))
@pytest.mark.parametrize("name", ["after-long-run", "foam-rolling"])
def test_the_plan_is_optimal_on_the_built_in_routines(name: str, seed: int) -> None:
    """Random needs, with enough skipped that every combination of the rest can be tried."""
    routine = resolve(name)
    rng = random.Random(seed)
    check_against_exhaustive(
        *small_case(lambda: (routine, random_needs(rng, routine, skip_to=rng.randint(2, 5))))
    )


def both_back_ends(routine: Routine, needs: Needs, rules: relief.Rules | None = None) -> None:
    """The NumPy tables and the plain frontiers find the same score and make the same choices."""
    try:
        task = planner.problem(routine, needs, rules)
    except UnknotError:
        return
    if not task.optimise:
        return
    layers, _ = planner.search_layers(task)
    found = []
    for back_end in (DenseSearch, FrontierSearch):
        try:
            found.append(back_end(task.limit, task.ctx, task.keep_all).run(layers))
        except UnknotError as err:
            found.append((-math.inf, [str(err)]))
    assert found[0] == found[1]


@pytest.mark.parametrize("seed", range(60))
def test_both_back_ends_choose_alike(seed: int) -> None:
    """On random routines (any size, shipped and coarse rules) and the built-in ones."""
    rng = random.Random(1000 + seed)
    routine = random_routine(rng)
    both_back_ends(routine, random_needs(rng, routine))
    both_back_ends(routine, random_needs(rng, routine), COARSE)
    for name in ("after-long-run", "foam-rolling"):
        built_in = resolve(name)
        needs = random_needs(rng, built_in)
        both_back_ends(built_in, needs._replace(extra=("foam-rolling",) if seed % 3 == 0 else ()))


def test_the_back_end_goes_by_the_size_of_the_search(monkeypatch: pytest.MonkeyPatch) -> None:
    """A routine of ordinary length is searched without NumPy; a long one with it."""
    used: list[str] = []
    for back_end in (DenseSearch, FrontierSearch):

        def run(self: Search[Any, Any], layers: list[Layer], name: str = back_end.__name__):
            used.append(name)
            return Search.run(self, layers)

        monkeypatch.setattr(back_end, "run", run)
    needs = read_needs(tight=["hips:3", "hamstrings"], minutes=10)
    planner.plan(resolve("after-long-run"), needs)
    long = resolve("after-long-run")
    planner.plan(long._replace(steps=long.steps * 6), needs._replace(minutes=60.0))
    assert used == ["FrontierSearch", "DenseSearch"]


# -- invariants on the shipped planner -------------------------------------------------------
needs_strategy = st.builds(
    lambda tight, minutes, skip, avoid, level, side: read_needs(
        tight=tight, minutes=minutes, skip=skip, avoid=avoid, level=level, first_side=side
    ),
    st.lists(
        st.tuples(st.sampled_from(AREAS), st.integers(1, 5)).map(lambda t: f"{t[0]}:{t[1]}"),
        max_size=3,
    ),
    st.one_of(st.none(), st.integers(2, 40).map(float)),
    st.lists(st.sampled_from([p.name for p in resolve("after-long-run").poses()]), max_size=3),
    st.lists(st.sampled_from(["knees", "neck", "wrists", "lower back", "shoulders"]), max_size=2),
    st.sampled_from([None, "beginner", "intermediate", "advanced"]),
    st.sampled_from([None, "right", "left"]),
)


def sides_balanced(timeline: Timeline) -> None:
    """Every per-side pose is done on both sides, the same number of times, with equal holds."""
    for block in {e.block for e in timeline}:
        for pose in {e.name for e in timeline if e.block == block and e.side}:
            right = [
                e.hold
                for e in timeline
                if e.block == block and e.name == pose and e.side == "right"
            ]
            left = [
                e.hold for e in timeline if e.block == block and e.name == pose and e.side == "left"
            ]
            assert sorted(right) == sorted(left) and right, (pose, right, left)


@settings(max_examples=150, deadline=None)
@given(needs_strategy)
def test_any_needs_give_a_session_a_runner_can_trust(needs: Needs) -> None:
    routine = resolve("after-long-run")
    try:
        fitted = planner.plan(routine, needs)
    except UnknotError as err:
        assert "nothing" in str(err)
        return
    timeline = fitted.timeline
    if needs.minutes:
        assert timeline.total <= needs.minutes * 60
    sides_balanced(timeline)
    for entry in timeline:
        assert entry.pose is not None
        assert entry.pose.name not in needs.skip
        assert not set(entry.pose.avoid) & set(needs.avoid)
        if needs.level:
            assert ["beginner", "intermediate", "advanced"].index(entry.pose.level) <= [
                "beginner", "intermediate", "advanced"
            ].index(needs.level)  # fmt: skip
    assert (
        planner.plan(routine, needs).to_json() == fitted.to_json()
    )  # the same needs, the same plan


@settings(max_examples=80, deadline=None)
@given(
    st.lists(st.sampled_from(AREAS), max_size=2),
    st.integers(2, 30).map(float),
)
def test_the_routines_order_is_kept(tight: list[str], minutes: float) -> None:
    routine = resolve("after-long-run")
    fitted = planner.plan(routine, read_needs(tight=tight, minutes=minutes, level="advanced"))
    written = flatten(routine)
    kept = [n for n in flatten(fitted.routine) if n in written]  # poses brought in aside
    position = 0
    for name in kept:  # each kept step is found later in the written routine than the last
        position = written.index(name, position) + 1


def flatten(routine: Routine) -> list[str]:
    names: list[str] = []
    for step in routine.steps:
        inner = step.steps if isinstance(step, PerSideBlock) else (step,)
        for s in inner:
            names.extend(p.name for p in getattr(s, "poses", (getattr(s, "pose", None),)) if p)
        if isinstance(step, PerSideBlock) and step.back_to:
            names.append(step.back_to.pose.name)
    return names


# -- what a runner sees ----------------------------------------------------------------------
def test_no_needs_means_the_routine_as_written() -> None:
    routine = resolve("after-long-run")
    fitted = planner.plan(routine, Needs(level="advanced"))
    assert fitted.timeline.to_json() == expand(routine).to_json()
    assert {d.status for d in fitted.decisions} == {"kept"}
    # with no level named, the one advanced pose gives way to its substitute, and only it
    default = planner.plan(routine, Needs())
    changed = {d.pose: d.instead for d in default.decisions if d.status != "kept"}
    assert changed == {"Plow": "Knees-to-Chest"}


def test_the_short_morning_keeps_the_hips_and_both_sides() -> None:
    fitted = planner.plan(resolve("after-long-run"), read_needs(minutes=5))
    timeline = fitted.timeline
    assert timeline.total <= 300
    sides_balanced(timeline)
    hips = set(vocabulary().resolve_areas(["hips"]))
    sided = [e for e in timeline if e.side]
    assert sided and all(hips & set(e.pose.areas) for e in sided if e.pose)
    assert fitted.area_seconds["hips"] >= 120
    assert 2 <= len({e.name for e in timeline}) <= 6  # a couple of moves, not a rushed list
    left_out = [d.pose for d in fitted.decisions if not d.kept]
    assert "Savasana" in left_out and "Cat-Cow" in left_out


def test_the_done_when_example(run: Callable[..., Result]) -> None:
    needs = ["--tight", "hips:3,hamstrings", "--minutes", "10", "--avoid", "neck"]
    result = run("plan", "after-long-run", *needs, "--json")
    assert result.exit_code == 0, result.stderr
    import json

    data = json.loads(result.stdout)
    assert data["total_seconds"] <= 600
    names = [s["pose"] for s in data["steps"]]
    assert "Plow" not in names
    plow = next(d for d in data["decisions"] if d["pose"] == "Plow")
    assert not plow["kept"] or plow["instead"] == "Legs Up the Wall"
    assert "neck" in plow["reason"]
    assert set(data["areas"]) == {"hips", "hamstrings"}
    assert data["areas"]["hips"]["seconds"] > data["areas"]["hamstrings"]["seconds"]
    for decision in data["decisions"]:
        assert decision["reason"] and isinstance(decision["kept"], bool)


def test_plan_says_why_in_words(run: Callable[..., Result]) -> None:
    result = run("plan", "after-long-run", "--minutes", "5")
    assert result.exit_code == 0
    assert "Fitted to 5 minutes, favouring hips x2" in result.stdout
    assert "Savasana: did not fit in 5 minutes" not in result.stdout  # a rest is not 'squeezed out'
    assert "Savasana: a session under 12 minutes ends without the long rest" in result.stdout
    assert "Left out:" in result.stdout


def test_spare_minutes_lengthen_holds_and_shorten_nothing() -> None:
    routine = resolve("after-long-run")
    written = expand(routine)
    needs = read_needs(minutes=written.total / 60 + 5, tight=["calves:3"], level="advanced")
    fitted = planner.plan(routine, needs)
    assert written.total < fitted.timeline.total <= written.total + 300
    assert all(d.status in {"kept", "lengthened"} for d in fitted.decisions)
    longer = [d.pose for d in fitted.decisions if d.status == "lengthened"]
    assert "Downward-Facing Dog" in longer  # it stretches the calves


def test_tight_alone_reshapes_holds_within_the_same_length() -> None:
    routine = resolve("after-long-run")
    fitted = planner.plan(routine, read_needs(tight=["hamstrings:3"], level="advanced"))
    assert fitted.timeline.total <= expand(routine).total
    assert all(d.kept for d in fitted.decisions)
    fold = next(
        d for d in fitted.decisions if d.pose == "Lifted Head to Knee" or "Lifted" in d.pose
    )
    assert fold.status == "lengthened"


def test_avoid_and_level_substitute_or_leave_out_with_reasons() -> None:
    fitted = planner.plan(resolve("after-long-run"), read_needs(avoid=["knees"], level="beginner"))
    by_pose = {d.pose: d for d in fitted.decisions}
    assert by_pose["Plow"].status in {"substituted", "left out"}
    assert by_pose["Pigeon"].status in {"substituted", "left out"}
    assert "knees" in by_pose["Pigeon"].reason or "beginner" in by_pose["Pigeon"].reason
    assert "Plow" not in [e.name for e in fitted.timeline]


def test_foam_rolling_goes_first_inside_the_same_minutes() -> None:
    fitted = planner.plan(
        resolve("after-long-run"), read_needs(minutes=15, extra=["foam-rolling"], tight=["legs"])
    )
    names = [e.name for e in fitted.timeline]
    assert fitted.timeline.total <= 900
    assert names[0].endswith("Foam Roll")
    rolled = [n for n in names if n.endswith("Foam Roll")]
    assert names[: len(rolled)] == rolled  # all the rolling before the yoga
    sides_balanced(fitted.timeline)


def test_unknown_needs_get_one_line_and_status_2(run: Callable[..., Result]) -> None:
    cases = {
        ("--tight", "hipz"): "--tight: unknown area 'hipz' (did you mean 'hips'?)",
        ("--tight", "hips:11"): "--tight: 'hips:11' has the weight '11'",
        ("--avoid", "kneez"): "--avoid: unknown condition 'kneez' (did you mean 'knees'?)",
        ("--level", "beginer"): "--level: unknown level 'beginer' (did you mean 'beginner'?)",
        ("--skip", "pidgeon"): "--skip: unknown pose 'pidgeon' (did you mean 'Pigeon'?)",
        ("--props", "blok"): "--props: unknown prop 'blok' (did you mean 'block'?)",
        ("--with", "foam-rollin"): "unknown routine 'foam-rollin' (did you mean 'foam-rolling'?)",
        ("--minutes", "0"): "--minutes: '0' is not a number from 1 to 240",
    }
    for args, words in cases.items():
        result = run("plan", "after-long-run", *args)
        assert result.exit_code == 2, args
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and words in lines[0], (args, lines)


# -- plans kept between runs -----------------------------------------------------------------
def no_search(task: planner.Problem) -> float:
    raise AssertionError("searched again")


def test_the_same_plan_again_is_found_without_a_search(monkeypatch: pytest.MonkeyPatch) -> None:
    routine = resolve("after-long-run")
    needs = read_needs(tight=["hips:3", "hamstrings"], minutes=10)
    first = planner.plan(routine, needs)
    monkeypatch.setattr(planner, "_search", no_search)
    again = planner.plan(resolve("after-long-run"), needs)
    assert again.to_json() == first.to_json() and again.decisions == first.decisions


def test_a_kept_plan_follows_what_it_was_made_from(
    monkeypatch: pytest.MonkeyPatch, write_routine: Callable[..., Path]
) -> None:
    """Another routine file's content, other needs, other rules: each a plan of its own."""
    from unknot.routines.routine import load_routine

    text = "hold: 30\nsteps:\n  - Pigeon\n  - Open Lizard\n  - Savasana\n"
    path = write_routine(text)
    needs = read_needs(minutes=3)
    first = planner.plan(load_routine(path), needs)
    path.write_text(text.replace("hold: 30", "hold: 60"), encoding="utf-8")
    changed = planner.plan(load_routine(path), needs)
    assert changed.to_json() != first.to_json()
    cases = [
        (load_routine(path), needs, None),
        (load_routine(path), needs._replace(minutes=4.0), None),
        (load_routine(path), needs, COARSE),
        (resolve("after-long-run"), read_needs(minutes=10, avoid=["knees"]), None),
        (resolve("after-long-run"), read_needs(minutes=10, extra=["foam-rolling"]), None),
    ]
    made = [planner.plan(*case).to_json() for case in cases]
    monkeypatch.setenv("UNKNOT_CACHE_DIR", "")  # no cache: every plan made afresh
    assert made == [planner.plan(*case).to_json() for case in cases]


def test_plans_that_share_an_entry_name_are_told_apart(monkeypatch: pytest.MonkeyPatch) -> None:
    import zlib

    monkeypatch.setattr(zlib, "crc32", lambda data, start=0: 0)  # every entry the same name
    routine = resolve("after-long-run")
    short, longer = read_needs(minutes=5), read_needs(minutes=15)
    assert planner.plan(routine, short).to_json() != planner.plan(routine, longer).to_json()
    assert planner.plan(routine, short).timeline.total <= 300


def test_statuses_are_words_in_json() -> None:
    fitted = planner.plan(resolve("after-long-run"), read_needs(minutes=10, avoid=["knees"]))
    statuses = {d["status"] for d in fitted.to_json()["decisions"]}
    assert statuses <= {s.value for s in Status} and "left out" in statuses
    assert all(type(d["status"]) is str for d in fitted.to_json()["decisions"])
    assert {d.status for d in fitted.decisions} <= set(Status)


def test_a_planned_session_needs_no_numpy(own_cache: Path) -> None:
    """What `unknot plan --minutes 10 --tight ...` pays: a search in plain Python, or none."""
    import subprocess
    import sys

    code = (
        "import sys; from unknot.plan.planner import plan; from unknot.plan.needs import "
        "read_needs; from unknot.routines.routine import resolve; "
        "plan(resolve('after-long-run'), read_needs(tight=['hips:3,hamstrings'], minutes=10)); "
        "assert 'numpy' not in sys.modules, 'numpy imported'"
    )
    for _ in range(2):  # searched, then found in the cache
        subprocess.run([sys.executable, "-c", code], check=True)
    assert list(own_cache.glob("plan-*.pickle"))


def test_the_props_at_hand_rule_out_a_pose_that_needs_another(run: Callable[..., Result]) -> None:
    with_all = unknot.fit(unknot.routine("after-long-run"), read_needs())
    assert "Supported Fish" in {e.name for e in with_all.timeline}  # it needs a block
    for props in (["none"], ["strap,roller"]):
        plan = unknot.fit(unknot.routine("after-long-run"), read_needs(props=props))
        held = [e.pose for e in plan.timeline if e.pose]
        assert all(set(p.props) <= {"wall", "strap", "foam-roller"} for p in held)
        fish = next(d for d in plan.decisions if d.pose == "Supported Fish")
        assert "needs a block" in fish.reason
    result = run("plan", "after-long-run", "--props", "block,roller")
    assert result.exit_code == 0, result.stderr


def test_an_advanced_pose_comes_only_when_asked_for() -> None:
    routine = unknot.routine("after-long-run")
    for level in (None, "beginner", "intermediate"):
        for minutes in (None, 10, 30):
            plan = unknot.fit(routine, read_needs(level=level, minutes=minutes, tight=["neck"]))
            assert all(e.pose.level != "advanced" for e in plan.timeline if e.pose), level
    asked = unknot.fit(routine, read_needs(level="advanced"))
    assert "Plow" in {e.name for e in asked.timeline}


def test_a_named_area_the_routine_cannot_serve_brings_a_catalog_pose_in() -> None:
    plan = unknot.fit(unknot.routine("foam-rolling"), read_needs(tight=["hip-flexors"], minutes=15))
    added = [d for d in plan.decisions if d.status == Status.ADDED]
    assert added and "brought in" in added[0].reason
    assert plan.doses["hip-flexors"] >= 60
