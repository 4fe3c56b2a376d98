"""The player as a pure state machine, driven by a fake clock (the clock is injected).

What both players (this one and the browser's) must do is in player_cases.yaml, run on each by
test_player_cases.py; here is what only the Python player has: the real routines' timelines,
waking up on time, and any sequence of actions at all."""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import SEED_SEQUENCE
from unknot.guide.player import Outcome, Player, summarize
from unknot.guide.timeline import Entry, Timeline, expand
from unknot.routines.routine import resolve

EPS = 1e-6
START = 5000.0  # the fake clock does not start at zero, as a monotonic clock would not


class FakeClock:
    """A clock that only moves when the test says so."""

    def __init__(self, now: float = START) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        assert seconds >= 0
        self.now += seconds

    def set_session(self, seconds: float, speed: float = 1.0) -> None:
        """Move to a position on the session clock (no pauses so far)."""
        self.now = START + seconds / speed


TINY_ROUTINE = "steps:\n  - pose: Pigeon\n    hold: 5\n"  # one pose, both sides: two entries


@pytest.fixture
def timeline() -> Timeline:
    return expand(resolve("after-long-run"))


@pytest.fixture
def tiny(write_routine: Callable[..., Path]) -> Timeline:
    return expand(resolve(str(write_routine(TINY_ROUTINE))))


def make(timeline: Timeline, speed: float = 1.0) -> tuple[Player, FakeClock]:
    clock = FakeClock()
    return Player(timeline, clock=clock, speed=speed), clock


def test_builtin_timeline_is_the_seed_sequence(timeline: Timeline) -> None:
    assert len(timeline) == 36
    first_rounds = [(e.name, e.side) for e in timeline if e.round in (None, 1)]
    assert first_rounds == SEED_SEQUENCE
    # Each entry begins exactly where the one before ended.
    for before, after in zip(timeline.entries, timeline.entries[1:], strict=False):
        assert after.begins == before.end


# -- the whole session, no drift ---------------------------------------------------------------
def test_whole_routine_with_irregular_clock_has_no_drift(timeline: Timeline) -> None:
    player, clock = make(timeline)
    rng = random.Random(20240601)
    visited = [player.entry.index]
    ticks = 0
    while not player.finished:
        clock.advance(rng.uniform(0.05, 3.7))
        began = player.tick()
        visited.extend(e.index for e in began)
        ticks += 1
        if player.finished:
            break
        at = player.position()
        entry = player.entry
        snap = player.snapshot()
        assert snap.entry is entry is timeline.entries[player.index]
        # The player is on the entry whose span on the timeline holds the session clock...
        assert entry.begins - EPS <= at < entry.end + EPS
        assert snap.in_hold == (at >= entry.start)
        # ...and what is left of the phase ends exactly at the timeline's own times.
        target = entry.end if snap.in_hold else entry.start
        assert at + snap.phase_left == pytest.approx(target, abs=EPS)
        assert snap.held == pytest.approx(max(0.0, at - entry.start), abs=EPS)
        assert snap.total == pytest.approx(timeline.total, abs=EPS)
        assert snap.elapsed == pytest.approx(at, abs=EPS)
    assert ticks > 300  # irregular small steps, not a few big jumps
    assert visited == list(range(len(timeline)))
    assert [r.entry for r in player.records] == list(timeline.entries)
    assert all(r.outcome is Outcome.DONE for r in player.records)
    assert [r.held for r in player.records] == [e.hold for e in timeline]
    summary = summarize(player)
    assert (summary.done, summary.cut_short, summary.skipped) == (36, 0, 0)
    assert summary.finished
    assert summary.held_seconds == sum(e.hold for e in timeline)


def test_waking_up_when_told_lands_on_every_deadline(timeline: Timeline) -> None:
    """Sleeping `seconds_to_next_event()` (as the terminal does) meets each boundary on time."""
    player, clock = make(timeline, speed=3.0)
    starts = {0: 0.0}
    wakeups = 0
    while not player.finished:
        # A real clock always moves on a little; 1 ns keeps float rounding from stalling here.
        clock.advance(player.seconds_to_next_event() + 1e-9)
        wakeups += 1
        for entry in player.tick():
            starts[entry.index] = player.position()
        assert wakeups < 2000
    assert starts == pytest.approx({e.index: float(e.begins) for e in timeline}, abs=EPS)


def test_a_paused_player_only_needs_a_slow_redraw(timeline: Timeline) -> None:
    player, clock = make(timeline)
    clock.advance(10)
    player.toggle_pause()
    assert player.seconds_to_next_event() == 1.0


def test_an_empty_timeline_cannot_be_played(timeline: Timeline) -> None:
    with pytest.raises(ValueError):
        Player(Timeline(timeline.routine, ()), clock=FakeClock())


# -- any sequence of actions -------------------------------------------------------------------
ACTIONS = st.one_of(
    st.tuples(st.just("tick"), st.floats(min_value=0, max_value=60, allow_nan=False)),
    st.tuples(st.sampled_from(["skip", "back", "pause", "longer", "shorter"]), st.just(0.0)),
)


# The fixtures hold immutable timelines, so sharing them between examples is safe.
@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    actions=st.lists(ACTIONS, max_size=80),
    speed=st.sampled_from([0.5, 1.0, 7.0, 100.0]),
    use_tiny=st.booleans(),
)
def test_any_actions_keep_the_player_consistent(
    timeline: Timeline,
    tiny: Timeline,
    actions: list[tuple[str, float]],
    speed: float,
    use_tiny: bool,
) -> None:
    tl = tiny if use_tiny else timeline
    clock = FakeClock()
    player = Player(tl, clock=clock, speed=speed)
    do = {
        "skip": player.skip,
        "back": player.back,
        "pause": player.toggle_pause,
        "longer": lambda: player.adjust(+10),
        "shorter": lambda: player.adjust(-10),
    }
    for action, seconds in actions:
        if action == "tick":
            clock.advance(seconds)
            began = player.tick()
            assert all(isinstance(e, Entry) for e in began)
        else:
            do[action]()
        assert 0 <= player.index < len(tl)
        snap = player.snapshot()
        assert snap.phase_left >= 0
        assert snap.hold >= 1
        assert player.seconds_to_next_event() >= 0
        held = sum(r.held for r in player.records)
        # Records are rounded to 0.1 s, so each may read up to 0.05 s above the real time.
        assert held <= player.position() + 0.05 * len(player.records) + EPS
        if player.finished:
            break
    summary = summarize(player)
    # Each step counted once, however many times it was tried.
    tried = {r.entry.index for r in player.records}
    assert summary.done + summary.cut_short + summary.skipped == len(tried) <= len(tl)
    assert [r.entry.index for r in summary.records] == sorted(tried)


def test_tiny_routine_plays_both_sides(tiny: Timeline) -> None:
    assert [(e.name, e.side) for e in tiny] == [("Pigeon", "right"), ("Pigeon", "left")]
    player, clock = make(tiny)
    clock.set_session(tiny.total + 0.01)
    assert player.tick() == [tiny.entries[1]]
    assert player.finished
    assert summarize(player).done == 2
