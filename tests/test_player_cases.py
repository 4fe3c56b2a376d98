"""One set of player behaviour cases (player_cases.yaml), run on both players, each on a fake
clock: the terminal's (unknot.guide.player) here in Python, and the browser's (the pure
web/static/session.js, without the server or the page) in Debian's headless Chromium."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import yaml

import unknot
from unknot.guide.player import ADJUST_SECONDS, BACK_RESTARTS_WITHIN, Player, StepRecord, summarize
from unknot.guide.timeline import Cue, Entry, Timeline
from unknot.routines.routine import Routine

if TYPE_CHECKING:
    from playwright.sync_api import Page

CASES_FILE = Path(__file__).with_name("player_cases.yaml")
SESSION_JS = Path(unknot.__file__).parent / "web" / "static" / "session.js"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run",
]  # fmt: skip
START = 5000.0  # the fake clocks do not start at zero, as a monotonic clock would not
EPS = 1e-6
KEYS = {"skip", "back", "pause", "resume", "plus", "minus", "quit"}
FIELDS = {
    "step", "in_hold", "left", "held", "hold", "elapsed", "total", "paused", "finished",
    "stopped", "cue", "began", "records", "summary",
}  # fmt: skip
TIMES = {"left", "held", "elapsed", "total"}  # compared to within EPS; the rest exactly

Observation = dict[str, Any]
CASES: dict[str, Any] = yaml.safe_load(CASES_FILE.read_text(encoding="utf-8"))
CASE_LIST: list[dict[str, Any]] = CASES["cases"]
NAMES = [case["name"] for case in CASE_LIST]


def timeline_of(case: dict[str, Any]) -> Timeline:
    """The case's timeline as real entries, each beginning where the one before ended."""
    entries: list[Entry] = []
    at = 0
    for index, step in enumerate(CASES["timelines"][case["timeline"]]):
        if isinstance(step, list):
            move, hold, cues = step[0], step[1], []
        else:
            move, hold, cues = step["move"], step["hold"], step.get("cues", [])
        start = at + move
        entries.append(Entry(index, None, None, start, hold, move, tuple(Cue(*c) for c in cues)))
        at = start + hold
    return Timeline(Routine("cases", "Player cases", ()), tuple(entries))


def check(case: dict[str, Any], observed: list[Observation]) -> None:
    """Every expectation of every event, all mismatches reported at once."""
    wrong: list[str] = []
    for n, (event, seen) in enumerate(zip(case["events"], observed, strict=True)):
        for field, want in (event.get("expect") or {}).items():
            assert field in FIELDS, f"{case['name']}: unknown field {field!r}"
            got = seen[field]
            same = got == pytest.approx(want, abs=EPS) if field in TIMES else got == want
            if not same:
                key = f", {event['key']}" if "key" in event else ""
                at = f"event {n + 1} (t={event['t']}{key})"
                wrong.append(f"{at}: {field} should be {want!r}, is {got!r}")
    assert not wrong, f"{case['name']}:\n  " + "\n  ".join(wrong)


# -- the cases themselves ---------------------------------------------------------------------
def test_the_cases_are_well_formed_and_press_every_key() -> None:
    assert len(set(NAMES)) == len(NAMES)
    pressed = set()
    for case in CASE_LIST:
        assert case["timeline"] in CASES["timelines"], case["name"]
        times = [event["t"] for event in case["events"]]
        assert times == sorted(times), f"{case['name']}: events out of order"
        for event in case["events"]:
            assert set(event) <= {"t", "key", "expect"}, event
            assert set(event.get("expect") or {}) <= FIELDS, event
            if "key" in event:
                pressed.add(event["key"])
    assert pressed == KEYS


# -- the terminal's player ----------------------------------------------------------------------
class FakeClock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now


PY_KEYS: dict[str, Callable[[Player], None]] = {
    "skip": Player.skip,
    "back": Player.back,
    "pause": Player.toggle_pause,
    "resume": Player.toggle_pause,
    "plus": lambda p: p.adjust(ADJUST_SECONDS),
    "minus": lambda p: p.adjust(-ADJUST_SECONDS),
    "quit": Player.quit,
}


def observe(player: Player, began: list[Entry]) -> Observation:
    snap = player.snapshot()
    summary = summarize(player)
    return {
        "step": player.index,
        "in_hold": snap.in_hold,
        "left": snap.phase_left,
        "held": snap.held,
        "hold": snap.hold,
        "elapsed": snap.elapsed,
        "total": snap.total,
        "paused": snap.paused,
        "finished": player.finished,
        "stopped": player.quit_early,
        "cue": snap.cue.text if snap.cue else None,
        "began": [e.index for e in began],
        "records": [[r.entry.index, r.held, r.outcome.value] for r in player.records],
        "summary": {
            "done": summary.done,
            "cut_short": summary.cut_short,
            "skipped": summary.skipped,
        },
    }


@pytest.mark.parametrize("case", CASE_LIST, ids=NAMES)
def test_python_player(case: dict[str, Any]) -> None:
    clock = FakeClock()
    player = Player(timeline_of(case), clock=clock, speed=case.get("speed", 1))
    sent: list[StepRecord] = []
    player.on_record = sent.append
    player.start()
    observed = []
    for event in case["events"]:
        clock.now = START + event["t"]
        began = player.tick()  # the screen is up to date when the key is pressed
        if "key" in event:
            PY_KEYS[event["key"]](player)
            began += player.tick()
        observed.append(observe(player, began))
    check(case, observed)
    assert sent == player.records  # the history gets every record, in order


# -- the browser's player -------------------------------------------------------------------------
# Runs a whole case inside the page and returns what it saw after each event, in the same terms.
JS_RUN = """({ entries, speed, events, start }) => {
  let now = start;
  const sent = [];
  const onRecord = (r) => sent.push({ ...r });
  const player = new Player(entries, { speed, onRecord, now: () => now });
  player.start();
  const keys = {
    skip: () => player.skip(), back: () => player.back(),
    pause: () => player.togglePause(), resume: () => player.togglePause(),
    plus: () => player.adjust(Player.ADJUST_SECONDS),
    minus: () => player.adjust(-Player.ADJUST_SECONDS),
    quit: () => player.quit(),
  };
  const observed = events.map((event) => {
    now = start + event.t;
    const began = player.tick();
    if (event.key) { keys[event.key](); began.push(...player.tick()); }
    const snap = player.snapshot();
    const summary = player.summary();
    return {
      step: player.index, in_hold: snap.inHold, left: snap.phaseLeft, held: snap.held,
      hold: snap.hold, elapsed: snap.elapsed, total: snap.total, paused: snap.paused,
      finished: player.finished, stopped: player.quitEarly, cue: snap.cue ? snap.cue.text : null,
      began: began.map((e) => e.index),
      records: player.records.map((r) => [r.index, r.held, r.outcome]),
      summary: { done: summary.done, cut_short: summary.cutShort, skipped: summary.skipped },
    };
  });
  return { observed, sent, records: player.records.map((r) => ({ ...r })) };
}"""

needs_chromium = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason=f"needs Debian's chromium at {CHROMIUM}"
)


@pytest.fixture(scope="module")
def page() -> Iterator[Page]:
    """A blank page in headless Chromium with session.js loaded, and nothing else."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        blank = browser.new_page()
        errors: list[str] = []
        blank.on("pageerror", lambda error: errors.append(str(error)))
        blank.set_content("<html></html>")
        blank.add_script_tag(content=SESSION_JS.read_text(encoding="utf-8"))
        yield blank
        browser.close()
    assert errors == []


@needs_chromium
@pytest.mark.parametrize("case", CASE_LIST, ids=NAMES)
def test_js_player(page: Page, case: dict[str, Any]) -> None:
    run = {
        "entries": [e.to_json() for e in timeline_of(case).entries],  # as the server sends them
        "speed": case.get("speed", 1),
        "events": case["events"],
        "start": START,
    }
    result = page.evaluate(JS_RUN, run)
    check(case, result["observed"])
    # Sent as the history wants them ({position, index, held, outcome}), numbered from 1 on,
    # and never renumbered.
    assert result["sent"] == result["records"]
    assert [r["position"] for r in result["sent"]] == list(range(1, len(result["sent"]) + 1))
    assert all(set(r) == {"position", "index", "held", "outcome"} for r in result["sent"])


@needs_chromium
def test_js_player_constants_are_the_python_ones(page: Page) -> None:
    assert page.evaluate("[Player.BACK_RESTARTS_WITHIN, Player.ADJUST_SECONDS]") == [
        BACK_RESTARTS_WITHIN,
        ADJUST_SECONDS,
    ]
    # Nothing to play is refused, as in Python.
    refused = "() => { try { new Player([]); return ''; } catch (error) { return error.message; } }"
    assert page.evaluate(refused) == "a session with no entries cannot be played"


RESUME_JS = """(entries) => {
  let now = 100;
  const sent = [];
  const clock = { now: () => now, onRecord: (r) => sent.push(r) };
  const first = new Player(entries, clock);
  first.start();
  now += entries[0].transition_seconds + 4;
  first.skip();  // step 1 cut short after 4 s of its hold
  now += entries[1].transition_seconds + 2;
  first.adjust(10);
  const kept = JSON.parse(JSON.stringify(first.state()));  // as localStorage keeps it
  now += 500;  // the page was gone a while
  const again = Player.resumed(entries, kept, clock);
  const shown = again.snapshot();
  again.skip();
  const refused = [
    { ...kept, index: entries.length }, { ...kept, position: -1 }, { ...kept, hold: "20" },
    { ...kept, records: [{ index: 0, held: 1, outcome: "gone" }] }, null,
    { ...kept, position: kept.begins + entries[kept.index].transition_seconds + kept.hold + 1 },
  ].map((state) => {
    try { Player.resumed(entries, state, clock); return "taken"; } catch (e) { return e.message; }
  });
  return { kept, index: shown.entry.index, held: shown.held, hold: shown.hold, sent, refused };
}"""


@needs_chromium
def test_js_player_resumes_from_its_state_and_refuses_one_that_does_not_fit(page: Page) -> None:
    entries = [e.to_json() for e in unknot.expand(unknot.routine("after-long-run")).entries]
    result = page.evaluate(RESUME_JS, entries)
    assert result["index"] == 1  # the same step...
    assert result["held"] == 2  # ...the same second of it, though 500 s went by meanwhile
    assert result["hold"] == entries[1]["hold_seconds"] + 10  # with the + kept
    # Nothing recorded again on resuming; the next record goes on from the last position.
    assert [(r["position"], r["index"], r["outcome"]) for r in result["sent"]] == [
        (1, 0, "cut short"), (2, 1, "cut short"),
    ]  # fmt: skip
    assert result["refused"] == ["the saved session does not fit this plan"] * 6
