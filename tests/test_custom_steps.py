"""Custom steps: poses an article names that are not in unknot's catalog, kept under the
article's name and guided by that name and a hold, with no figure, and said so everywhere: read
from the routine file, planned (never against a condition they cannot be checked against),
timed and spoken, run in the terminal, recorded, printed and shown on the phone.

The fixture, tests/custom-steps.yaml, is a made-up routine of the importer's kind: Child's Pose,
Step Drop Stretch (custom, per side), a per-side block of Pigeon and Wall Angels (custom, per
side), Doorway Sway (custom, once) and Savasana.
"""

from __future__ import annotations

import itertools
import json
import math
import re
import sqlite3
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pexpect
import pytest
from click.testing import Result

import unknot
from conftest import ARTIFACTS, CHROMIUM, GUARD, UNKNOT, Server
from oracles import exhaustive_score
from unknot.catalog.poses import CUSTOM_NO_FIGURE, catalog, custom_pose
from unknot.catalog.vocabulary import vocabulary
from unknot.errors import UnknotError
from unknot.guide.timeline import CueKind, Guide, Timeline, expand
from unknot.pictures.card import card_html, card_pages, steps
from unknot.pictures.drawing import every_figure, svg
from unknot.plan import planner, relief
from unknot.plan.explain import Status
from unknot.plan.needs import Needs, read_needs
from unknot.routines.routine import PerSideBlock, PoseStep, Routine, read_routine, resolve
from unknot.sound.track import spoken_sentences
from unknot.yamlfile import parse

FIXTURE = Path(__file__).parent / "custom-steps.yaml"
CUSTOM = ("Step Drop Stretch", "Wall Angels", "Doorway Sway")
# The session as written, (name, side): the block's custom step follows the block's sides.
SEQUENCE = [
    ("Child's Pose", None),
    ("Step Drop Stretch", "right"),
    ("Step Drop Stretch", "left"),
    ("Pigeon", "right"),
    ("Wall Angels", "right"),
    ("Pigeon", "left"),
    ("Wall Angels", "left"),
    ("Doorway Sway", None),
    ("Savasana", None),
]
COARSE = relief.rules()._replace(grid=(relief.GridBand(1800, 10),))  # as test_planner's
# A routine of custom steps only, as an article none of whose poses unknot knows would give.
ALL_CUSTOM = """\
steps:
  - custom: Step Drop Stretch
    per_side: true
    note: Heels drop off a step, one leg at a time.
  - custom: Wall Angels
    hold: 45
  - custom: Doorway Sway
    hold: 20-40
  - custom: Kneeling Rock
    per_side: true
"""


def fixture() -> Routine:
    return resolve(str(FIXTURE))


def read(text: str) -> Routine:
    return read_routine(parse(text, where="test.yaml", what="routine"), name="test")


def custom_entries(timeline: Timeline) -> list[unknot.Entry]:
    return [e for e in timeline if e.pose and e.pose.custom]


# -- reading -------------------------------------------------------------------------------------
def test_a_custom_step_is_a_pose_under_the_articles_name_with_no_figure() -> None:
    routine = fixture()
    drop = routine.steps[1]
    assert isinstance(drop, PoseStep)
    pose = drop.pose
    assert pose.custom and pose.name == "Step Drop Stretch" and pose.per_side
    assert pose.figure is None and pose.areas == {} and pose.traits == () and pose.avoid == ()
    assert pose.substitutes == () and pose.props == () and pose.level == ""
    assert not pose.resting  # no areas because they are not known: not a rest like Savasana
    assert drop.hold is None and drop.note == ""  # the note is its cue: said once, not twice
    assert pose.key_cue == "Heels drop off a step, one leg at a time."
    assert pose.cues.enter == "Step Drop Stretch: as the article describes it."
    block = routine.steps[2]
    assert isinstance(block, PerSideBlock)
    angels = block.steps[1]
    assert isinstance(angels, PoseStep) and angels.pose.custom and angels.pose.per_side
    assert angels.hold == (20, 20)
    sway = routine.steps[3]
    assert isinstance(sway, PoseStep) and not sway.pose.per_side
    assert sway.pose.key_cue == "Hold it and breathe slowly."  # no note: our own plain words
    assert not catalog().get("Step Drop Stretch")  # nothing is added to the catalog
    assert [p.name for p in routine.poses() if p.custom] == list(CUSTOM)


def test_the_timeline_has_every_custom_step_on_its_sides_and_holds() -> None:
    timeline = expand(fixture())
    assert [(e.name, e.side) for e in timeline] == SEQUENCE
    holds = {e.name: e.hold for e in custom_entries(timeline)}
    assert holds == {"Step Drop Stretch": 30, "Wall Angels": 20, "Doorway Sway": 30}
    assert all(e.to_json()["custom"] for e in custom_entries(timeline))
    assert not any(e.to_json()["custom"] for e in timeline if e.pose and not e.pose.custom)
    assert all(e.to_json()["areas"] == {} for e in custom_entries(timeline))


@pytest.mark.parametrize(
    ("routine_hold", "override", "seconds"),
    [("", None, 30), ("hold: 45\n", None, 45), ("hold: 45\n", 20, 20), ("", 50, 50)],
)
def test_a_custom_steps_default_hold_is_the_routines_else_30_s(
    routine_hold: str, override: int | None, seconds: int
) -> None:
    routine = read(f"{routine_hold}steps:\n  - custom: Wall Angels\n")
    assert [e.hold for e in expand(routine, hold=override)] == [seconds]


def test_a_custom_step_moves_for_as_long_as_the_longest_move_at_least() -> None:
    # Where it starts is not known: the move into it and out of it leaves time for any.
    positions = vocabulary().positions
    longest = max(vocabulary().transition_seconds(a, b) for a in positions for b in positions)
    entries = expand(fixture()).entries
    for before, entry in itertools.pairwise(entries):
        if any(e.pose is not None and e.pose.custom for e in (before, entry)):
            assert entry.transition >= longest, entry


# (file text, line, field, words that must be in the one-line message)
BAD = [
    pytest.param(
        "steps:\n  - custom: Step Drop Stretch\n    hods: 20\n",
        3,
        "steps[1]",
        "unknown field 'hods' (did you mean 'hold'?)",
        id="unknown-field",
    ),
    pytest.param(
        "steps:\n  - custom: Step Drop Stretch\n    hold: 0\n",
        3,
        "steps[1].hold",
        "too short",
        id="hold-zero",
    ),
    pytest.param(
        "steps:\n  - custom: Step Drop Stretch\n    hold: a while\n",
        3,
        "steps[1].hold",
        "not a hold",
        id="hold-words",
    ),
    pytest.param("steps:\n  - custom: ''\n", 2, "steps[1].custom", "is text ''", id="empty"),
    pytest.param("steps:\n  - custom:\n", 2, "steps[1].custom", "is nothing", id="no-name"),
    pytest.param(
        f"steps:\n  - custom: {'Long Name ' * 11}\n",
        2,
        "steps[1].custom",
        "is 109 characters long; expected at most 100 characters",
        id="too-long",
    ),
    pytest.param(
        'steps:\n  - custom: "Step\\nDrop Stretch"\n',
        2,
        "steps[1].custom",
        "holds a line break",
        id="two-lines",
    ),
    pytest.param(
        "steps:\n  - custom: pigeon pose\n",
        2,
        "steps[1].custom",
        "'pigeon pose' is in the catalog as 'Pigeon': write `pose: Pigeon`",
        id="in-catalog",
    ),
    pytest.param(
        "steps:\n  - custom: Down Dog\n",
        2,
        "steps[1].custom",
        "write `pose: Downward-Facing Dog`",
        id="catalog-alias",
    ),
    pytest.param(
        "steps:\n  - custom: Wall Angels\n    per_side: [Pigeon]\n",
        3,
        "steps[1].per_side",
        "true or false",
        id="per-side-not-a-flag",
    ),
    pytest.param(
        "steps:\n  - custom: Wall Angels\n    pose: Pigeon\n",
        2,
        "steps[1]",
        "mixes custom and pose",
        id="mixed",
    ),
    pytest.param(
        "steps:\n  - flow: [Pigeon, {custom: Wall Angels}]\n",
        2,
        "steps[1].flow[2]",
        "a custom step inside a flow",
        id="in-a-flow",
    ),
    pytest.param(
        f"steps:\n  - custom: Wall Angels\n    note: {'Slide up. ' * 31}\n",
        3,
        "steps[1].note",
        "at most 300 characters",
        id="long-note",
    ),
    pytest.param(
        "steps:\n  - per_side:\n      - custom: Wall Angels\n        hold: 2 hours\n",
        4,
        "steps[1].per_side[1].hold",
        "not a hold",
        id="in-a-block",
    ),
]


@pytest.mark.parametrize(("text", "line", "field", "words"), BAD)
def test_a_bad_custom_step_is_one_line_at_its_place(
    text: str, line: int, field: str, words: str, run: Callable[..., Result],
    write_routine: Callable[..., Path],
) -> None:  # fmt: skip
    path = write_routine(text)
    with pytest.raises(UnknotError) as caught:
        resolve(str(path))
    assert caught.value.where == f"{path}:{line}"
    assert caught.value.field == field
    assert words in caught.value.line()
    result = run("validate", str(path))
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith(f"unknot: {path}:{line}: {field}: "), result.stderr
    assert "Traceback" not in result.stderr


def test_validate_counts_custom_steps_as_poses(run: Callable[..., Result]) -> None:
    result = run("validate", str(FIXTURE))
    assert result.exit_code == 0, result.stderr
    assert "valid routine 'custom-steps': 6 poses, 9 steps" in result.stdout


# -- planning ------------------------------------------------------------------------------------
def decisions(plan: planner.Plan) -> dict[str, planner.Decision]:
    return {d.pose: d for d in plan.decisions}


def test_without_conditions_custom_steps_are_kept_as_written() -> None:
    for needs in (Needs(), read_needs(level="intermediate"), read_needs(level="advanced")):
        plan = unknot.fit(fixture(), needs)
        assert [(e.name, e.side) for e in plan.timeline] == SEQUENCE
        for name in CUSTOM:
            assert decisions(plan)[name].status == Status.KEPT


@pytest.mark.parametrize("conditions", [["knees"], ["neck"], ["pregnancy"], ["knees", "neck"]])
def test_with_any_condition_every_custom_step_is_left_out_and_why(
    conditions: list[str], run: Callable[..., Result]
) -> None:
    plan = unknot.fit(fixture(), read_needs(avoid=conditions))
    assert not custom_entries(plan.timeline)
    labels = [vocabulary().conditions[c].label.lower() for c in conditions]
    why = "not in unknot's catalog, so it cannot be checked against " + " and against ".join(labels)
    for name in CUSTOM:
        decision = decisions(plan)[name]
        assert decision.status == Status.LEFT_OUT and not decision.kept
        assert decision.reason == why
        assert decision.instead == ""  # nothing is known to serve in its place
    result = run("plan", str(FIXTURE), "--avoid", ",".join(conditions))
    assert result.exit_code == 0, result.stderr
    assert f"Step Drop Stretch: {why}" in result.stdout
    assert "Left out: Step Drop Stretch, Wall Angels, Doorway Sway" in result.stdout


def test_with_level_beginner_custom_steps_are_left_out_and_why() -> None:
    plan = unknot.fit(fixture(), read_needs(level="beginner"))
    assert not custom_entries(plan.timeline)
    for name in CUSTOM:
        assert decisions(plan)[name].reason == (
            "not in unknot's catalog, so it is not known to suit a beginner"
        )
    assert decisions(plan)["Child's Pose"].kept  # the catalog's poses are planned as ever


def test_a_routine_of_custom_steps_only_with_a_condition_has_nothing_left() -> None:
    with pytest.raises(UnknotError, match="nothing is left to do"):
        unknot.fit(read(ALL_CUSTOM), read_needs(avoid=["wrists"]))


def test_a_custom_pose_counts_as_the_average_catalog_stretch() -> None:
    pose = custom_pose("Wall Angels")
    r = relief.rules()
    for weights in ({a: 1.0 for a in vocabulary().areas}, {"calves": 3.0, "quads": 0.2}):
        stretches = [p for p in catalog() if p.areas]
        average = sum(relief.relief(p, 45, weights, r) for p in stretches) / len(stretches)
        assert relief.relief(pose, 45, weights, r) == pytest.approx(average)
    assert relief.relief(pose, 45, {}, r) == 0.0  # nothing wanted, nothing given


@pytest.mark.parametrize("minutes", [1, 2, 3, 4, 6, 30])
@pytest.mark.parametrize("tight", [(), ("hips",), ("calves:3", "shoulders")])
def test_minutes_are_fitted_exactly_when_the_routine_is_all_custom(
    minutes: int, tight: tuple[str, ...]
) -> None:
    routine = read(ALL_CUSTOM)
    needs = read_needs(minutes=minutes, tight=tight)
    try:
        plan = planner.plan(routine, needs, COARSE)
    except UnknotError:
        assert exhaustive_score(routine, needs, COARSE) == -math.inf
        return
    assert plan.timeline.total <= minutes * 60
    assert plan.score == pytest.approx(exhaustive_score(routine, needs, COARSE), abs=1e-6)
    written = {"Step Drop Stretch": 30, "Wall Angels": 45, "Kneeling Rock": 30}
    for entry in custom_entries(plan.timeline):
        if entry.name in written:  # a fixed hold is never lengthened to fill the time
            assert entry.hold == written[entry.name]
        else:
            assert 20 <= entry.hold <= 40  # within its written range, never past it
    if minutes >= 6 and not tight:  # room for all four: a custom pose is no rest to drop
        assert {e.name for e in custom_entries(plan.timeline)} == {
            "Step Drop Stretch", "Wall Angels", "Doorway Sway", "Kneeling Rock"
        }  # fmt: skip


@pytest.mark.parametrize("minutes", [2, 4, 5, 7])
def test_minutes_are_fitted_exactly_with_catalog_and_custom_steps(minutes: int) -> None:
    routine, needs = fixture(), read_needs(minutes=minutes)
    plan = planner.plan(routine, needs, COARSE)
    assert plan.timeline.total <= minutes * 60
    assert plan.score == pytest.approx(exhaustive_score(routine, needs, COARSE), abs=1e-6)
    for name in CUSTOM:
        decision = decisions(plan)[name]
        if not decision.kept:
            assert decision.reason.startswith(f"did not fit in {minutes} minutes: ")
            assert "is not known" in decision.reason and "rest" not in decision.reason


def test_a_custom_step_cut_for_minutes_says_it_is_not_known_to_ease_what_was_named() -> None:
    plan = unknot.fit(read(ALL_CUSTOM), read_needs(minutes=1, tight=["hips"]))
    left_out = [d for d in plan.decisions if not d.kept]
    assert left_out
    for decision in left_out:
        assert decision.reason == (
            "did not fit in 1 minute: it is not in unknot's catalog, so it is not known to "
            "ease hips"
        )


def test_a_custom_step_has_no_areas_so_it_gives_no_dose() -> None:
    plan = unknot.fit(fixture(), read_needs(tight=["calves"], minutes=12))
    # Nothing in the routine is known to work the calves: the catalog brings a pose for them.
    assert any(d.status == Status.ADDED for d in plan.decisions)
    assert plan.doses["calves"] >= relief.rules().dose_seconds
    assert all(d.kept for d in plan.decisions if d.pose in CUSTOM)


# -- the spoken script and the screen's words ----------------------------------------------------
def said(entry: unknot.Entry) -> list[tuple[CueKind, str]]:
    return [(c.kind, c.text) for c in entry.cues if c.kind != CueKind.ENTER]


def test_a_custom_per_side_step_is_spoken_for_eyes_closed() -> None:
    entries = expand(fixture()).entries
    right, left = entries[1], entries[2]
    assert (right.name, right.side, left.side) == ("Step Drop Stretch", "right", "left")
    words = dict(said(right))
    assert words[CueKind.ANNOUNCE] == "Step Drop Stretch, right side."
    assert words[CueKind.COME_IN] == (
        "The article's own pose, with no figure from unknot: do it as the article describes, "
        "on your right side."
    )
    assert words[CueKind.HOLD] == "Heels drop off a step, one leg at a time."
    assert words[CueKind.CARE] == (
        "Unknot could not check this pose for you, so go gently, and ease off if anything hurts."
    )
    # The way in is said before the hold, the key cue and the care a second into it.
    offsets = {c.kind: c.offset for c in right.cues}
    assert offsets[CueKind.ANNOUNCE] < 0 and offsets[CueKind.COME_IN] < 0
    assert offsets[CueKind.HOLD] == offsets[CueKind.CARE] == 1
    # The other side: named as a body hears it, with no word of the side just done.
    other = dict(said(left))
    assert other[CueKind.ANNOUNCE] == "Step Drop Stretch, left side."
    assert other[CueKind.COME_IN].endswith("on your left side.")
    spoken = " ".join(t for _, t in said(left))
    assert "right" not in spoken and "{" not in spoken
    # The block's custom step takes the block's side, said once (no "Now the left side." too).
    angels = entries[6]
    assert angels.name == "Wall Angels" and angels.side == "left"
    assert dict(said(angels))[CueKind.ANNOUNCE] == "Wall Angels, left side."
    assert not any("Now the left" in t for e in entries for _, t in said(e))
    # Done once: no side anywhere in its words.
    sway = dict(said(entries[7]))
    assert sway[CueKind.ANNOUNCE] == "Doorway Sway."
    assert sway[CueKind.COME_IN] == (
        "The article's own pose, with no figure from unknot: do it as the article describes."
    )
    assert sway[CueKind.HOLD] == "Hold it and breathe slowly."


def test_every_sentence_of_the_script_is_whole_and_names_no_placeholder() -> None:
    timeline = expand(fixture())
    sentences = spoken_sentences(timeline, unknot.voice("none"))
    for name in CUSTOM:
        assert any(s.startswith(name) for s in sentences), name
    assert "Step Drop Stretch, right side." in sentences
    assert "Step Drop Stretch, left side." in sentences
    for sentence in sentences:
        assert "{" not in sentence and "}" not in sentence, sentence
        assert sentence[0].isupper() and sentence[-1] in ".!?", sentence


def test_brief_and_quiet_guides_say_less_of_a_custom_step() -> None:
    brief = expand(fixture(), guide=Guide("brief")).entries[1]
    kinds = {c.kind for c in brief.cues}
    assert CueKind.ANNOUNCE in kinds and CueKind.HOLD in kinds
    assert CueKind.COME_IN not in kinds and CueKind.CARE not in kinds
    quiet = expand(fixture(), guide=Guide("quiet")).entries[1]
    assert [c.text for c in quiet.cues if c.kind == CueKind.ANNOUNCE] == [
        "Step Drop Stretch, right side."
    ]
    assert {c.kind for c in quiet.cues} <= {CueKind.ANNOUNCE, CueKind.ENTER}


def test_a_custom_step_is_not_left_quiet_as_a_rest_is() -> None:
    # A long hold: its words go on through it, as a pose's do, where a rest's would stop.
    routine = read("steps:\n  - Child's Pose\n  - custom: Doorway Sway\n    hold: 90\n")
    entry = expand(routine).entries[1]
    assert sum(1 for c in entry.cues if c.kind in (CueKind.BREATH, CueKind.HALFWAY)) >= 2
    assert not any(c.kind == CueKind.CLOSE for c in entry.cues)


def test_the_audio_track_has_a_chapter_for_each_custom_step() -> None:
    timeline = expand(fixture())
    track = unknot.render_track(timeline, unknot.voice("espeak"))
    assert track.seconds == pytest.approx(timeline.total, abs=0.05)
    titles = [c.title for c in track.chapters]
    assert titles[1:3] == ["Step Drop Stretch, right side", "Step Drop Stretch, left side"]
    assert "Doorway Sway" in titles
    said_words = " ".join(u.text for u in track.utterances)
    assert "The article's own pose, with no figure from unknot" in said_words


# -- pictures: the card, the gallery, the figures ------------------------------------------------
def test_the_card_prints_a_custom_step_as_text_saying_it_has_no_figure() -> None:
    timeline = expand(fixture())
    cells = steps(timeline)
    assert [c.pose.name for c in cells] == [n for n, _ in SEQUENCE]
    page = card_html(timeline)
    assert page.count(CUSTOM_NO_FIGURE) == 5  # each custom entry, in place of its figure
    assert page.count("<svg") == 4  # the figures of the four catalog entries alone
    assert "Heels drop off a step, one leg at a time." in page
    pdf_pages = card_pages(timeline)
    assert len(pdf_pages) == 1 and "No figure: this pose is from the article" in pdf_pages[0]
    assert unknot.card_pdf(timeline).startswith(b"%PDF")


def test_a_card_of_custom_steps_only_is_laid_out() -> None:
    page = card_html(expand(read(ALL_CUSTOM)))
    assert page.count(CUSTOM_NO_FIGURE) == 6 and "<svg" not in page


def test_every_figure_lists_no_custom_pose_and_drawing_one_is_refused_plainly() -> None:
    poses = [*catalog(), *fixture().poses()]
    listed = {pose.name for pose, _ in every_figure(poses)}
    assert listed.isdisjoint(CUSTOM) and "Pigeon" in listed
    with pytest.raises(ValueError, match="Wall Angels is not in unknot's catalog"):
        svg(custom_pose("Wall Angels"))


def test_show_and_plan_name_custom_steps(run: Callable[..., Result], tmp_path: Path) -> None:
    shown = run("show", str(FIXTURE), "--figures", str(tmp_path / "figures.html"))
    assert shown.exit_code == 0, shown.stderr
    assert "not known: the article's own pose" in shown.stdout
    assert CUSTOM_NO_FIGURE in (tmp_path / "figures.html").read_text()
    planned = run("plan", str(FIXTURE), "--json")
    steps_json = json.loads(planned.stdout)["steps"]
    assert [s["pose"] for s in steps_json if s["custom"]] == [
        "Step Drop Stretch", "Step Drop Stretch", "Wall Angels", "Wall Angels", "Doorway Sway"
    ]  # fmt: skip


# -- the terminal ---------------------------------------------------------------------------------
ANSI = re.compile(
    r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[()][0-9A-Za-z]|[@-Z\\-_=>])"
)


def history_steps(tmp_path: Path) -> list[tuple[str, str | None, str]]:
    """The steps of the last session in this test's history (conftest gives each its own)."""
    with sqlite3.connect(tmp_path / "history.db") as db:
        (session,) = db.execute("SELECT id FROM sessions ORDER BY id DESC LIMIT 1").fetchone()
        rows = db.execute(
            "SELECT pose, side, outcome FROM steps WHERE session_id = ? ORDER BY position",
            (session,),
        ).fetchall()
    return [(p, s, o) for p, s, o in rows]


def test_the_full_screen_session_guides_custom_steps_and_records_their_names(
    tmp_path: Path,
) -> None:
    import os

    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", "NO_COLOR")}
    child = pexpect.spawn(
        UNKNOT,
        ["go", str(FIXTURE), "--speed", "100", "--voice", "none", "--before", "", "--after", ""],
        dimensions=(24, 80),
        env={**env, "TERM": "xterm-256color"},
        encoding="utf-8",
        timeout=GUARD,
    )
    try:
        child.expect(pexpect.EOF)
        raw = child.before
    finally:
        child.close(force=True)
    assert child.exitstatus == 0, raw[-2000:]
    assert "Traceback" not in raw
    screen = ANSI.sub("", raw).replace("\r", "")
    for name in CUSTOM:
        assert f"{name} · the article's own pose" in screen, name
    assert "Heels drop off a step, one leg at a time." in screen  # its key cue, on screen
    assert "Next: Step Drop Stretch, left side (0:30)" in screen
    assert f"Session complete: {len(SEQUENCE)} of {len(SEQUENCE)} steps done" in screen
    assert [(p, s) for p, s, _ in history_steps(tmp_path)] == SEQUENCE
    assert {o for _, _, o in history_steps(tmp_path)} == {"done"}


def test_plain_mode_prints_custom_steps_with_their_cues(tmp_path: Path) -> None:
    done = subprocess.run(
        [UNKNOT, "go", str(FIXTURE), "--speed", "500", "--voice", "none"],
        capture_output=True, text=True, timeout=GUARD, stdin=subprocess.DEVNULL, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert " Step Drop Stretch, right side · hold 30 s · Heels drop off a step" in lines[1]
    assert " Doorway Sway · hold 30 s · Hold it and breathe slowly. · next: Savasana" in lines[7]
    assert [p for p, _, _ in history_steps(tmp_path)] == [n for n, _ in SEQUENCE]


# -- the phone ----------------------------------------------------------------------------------
needs_chromium = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason="needs Debian's chromium (scripts/test installs it)"
)


@pytest.fixture
def custom_server(tmp_path: Path) -> Iterator[Server]:
    running = Server(tmp_path, "--voice", "none", str(FIXTURE))
    yield running
    running.stop()


def test_the_server_gives_no_figure_address_for_a_custom_step(custom_server: Server) -> None:
    import httpx

    base = custom_server.url
    data = httpx.get(f"{base}api/play?routine=custom-steps.yaml", timeout=GUARD).json()
    for entry in data["entries"]:
        assert entry["custom"] == (entry["name"] in CUSTOM)
        if entry["custom"]:
            assert entry["figure"] is None and entry["move_figure"] is None
    entries = data["entries"]
    after_custom = [e for n, e in enumerate(entries) if n and entries[n - 1]["custom"]]
    assert all(e["move_figure"] is None for e in after_custom)  # no move from a custom pose
    plan = httpx.get(f"{base}plan?routine=custom-steps.yaml", timeout=GUARD)
    assert plan.status_code == 200
    assert plan.text.count('class="no-figure-small"') == 5
    assert "step-drop-stretch" not in plan.text
    # Asked for all the same, a custom pose's figure is a plain 404, never a 500.
    for path in ("figures/step-drop-stretch-right.svg", "figures/wall-angels.svg",
                 "figures/moves/pigeon-right/wall-angels-right/12.svg"):  # fmt: skip
        response = httpx.get(base + path, timeout=GUARD)
        assert response.status_code == 404, path
    start = httpx.get(base, timeout=GUARD).text  # the leave-out list offers catalog poses only
    assert "Pigeon" in start and "Step Drop Stretch" not in start


@needs_chromium
def test_the_player_shows_a_text_panel_for_a_custom_step(custom_server: Server) -> None:
    from playwright.sync_api import expect, sync_playwright

    from conftest import CHROMIUM_ARGS

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 390, "height": 844})
            context.set_default_timeout(GUARD * 1000)  # only against hanging
            page = context.new_page()
            errors: list[str] = []
            bad: list[str] = []
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            # A request the page itself gives up on (a figure's src changed before it came, on
            # a busy machine at this speed) is aborted, not refused: only refusals count.
            page.on(
                "requestfailed",
                lambda r: None if "ERR_ABORTED" in (r.failure or "") else bad.append(r.url),
            )
            page.on(
                "response",
                lambda r: bad.append(f"{r.status} {r.url}") if r.status >= 400 else None,
            )
            page.goto(f"{custom_server.url}plan?routine=custom-steps.yaml")
            expect(page.locator(".no-figure-small")).to_have_count(5)
            page.goto(f"{custom_server.url}play?routine=custom-steps.yaml&speed=40")
            page.get_by_role("button", name="Start").click()
            # Every step as shown: the name, and whether the panel or the figure is in view.
            page.evaluate("""() => {
              window.shown = [];
              const note = () => {
                const now = [document.getElementById('pose').textContent,
                  !document.getElementById('no-figure').hidden,
                  document.getElementById('no-figure-name').textContent,
                  !document.getElementById('figure').hidden].join('|');
                if (window.shown[window.shown.length - 1] !== now) window.shown.push(now);
              };
              note();
              new MutationObserver(note).observe(document.getElementById('guide'),
                {subtree: true, childList: true, characterData: true, attributes: true});
            }""")
            page.wait_for_function(
                "() => document.getElementById('no-figure-name').textContent === "
                "'Step Drop Stretch'"
            )
            panel = page.locator("#no-figure")
            expect(panel).to_be_visible()
            expect(panel).to_contain_text(
                "No figure: this pose is from the article, follow its description."
            )
            expect(page.locator("#figure")).to_be_hidden()
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=ARTIFACTS / "web-custom-step-390.png")
            expect(page.locator("#player")).to_have_attribute(
                "data-finished", "1", timeout=GUARD * 1000
            )
            shown = page.evaluate("window.shown")
            for name, _ in SEQUENCE:
                custom = name in CUSTOM
                expected = f"{name}|{str(custom).lower()}|{name if custom else ''}|"
                expected += str(not custom and name != "Rest").lower()
                assert expected in shown, (expected, shown)
            page.wait_for_function("() => localStorage.getItem('unknot.outbox') === '[]'")
            context.close()
        finally:
            browser.close()
    assert errors == []
    assert bad == []  # no 404, no failed request: a custom step's figure is never asked for
    steps_done = custom_server.rows(
        "SELECT pose, side FROM steps WHERE session_id = "
        "(SELECT id FROM sessions ORDER BY id DESC LIMIT 1) ORDER BY position"
    )
    assert steps_done == SEQUENCE
