"""The player as a pure state machine, driven by a fake clock (the clock is injected)."""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import SEED_SEQUENCE
from unknot.guide.player import BACK_RESTARTS_WITHIN, Outcome, Player, summarize
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


def test_each_entry_begins_exactly_at_the_previous_deadline(timeline: Timeline) -> None:
    """After a long irregular run, just before a boundary we are on the old entry, just after on
    the new one: the boundary sits where the timeline puts it, so late ticks never add up."""
    player, clock = make(timeline)
    rng = random.Random(7)
    for previous, entry in zip(timeline.entries, timeline.entries[1:], strict=False):
        # Wander through the previous entry with late, irregular ticks.
        while clock.now - START < entry.begins - 4:
            clock.advance(rng.uniform(0.05, 3.7))
            player.tick()
        clock.set_session(entry.begins - 0.01)
        assert player.tick() == []
        assert player.entry is previous
        clock.set_session(entry.begins + 0.01)
        assert player.tick() == [entry]
        assert player.entry is entry
        snap = player.snapshot()
        if entry.transition:
            assert not snap.in_hold
            assert snap.phase_left == pytest.approx(entry.transition - 0.01, abs=EPS)
        else:
            assert snap.in_hold
            assert snap.phase_left == pytest.approx(entry.hold - 0.01, abs=EPS)
    clock.set_session(timeline.total - 0.01)
    player.tick()
    assert not player.finished
    clock.set_session(timeline.total + 0.01)
    player.tick()
    assert player.finished
    assert summarize(player).finished


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


# -- pause -------------------------------------------------------------------------------------
def test_pause_freezes_the_session_and_resume_continues(timeline: Timeline) -> None:
    player, clock = make(timeline)
    clock.advance(10)
    player.tick()
    player.toggle_pause()
    assert player.paused
    before = player.snapshot()
    clock.advance(100)
    assert player.tick() == []
    after = player.snapshot()
    assert after.paused
    assert player.index == 0
    assert player.position() == pytest.approx(10)
    assert (after.elapsed, after.held, after.phase_left) == pytest.approx(
        (before.elapsed, before.held, before.phase_left)
    )
    assert after.phase_left == pytest.approx(15)
    assert player.seconds_to_next_event() == 1.0  # a paused player only needs a slow redraw

    player.toggle_pause()
    assert not player.paused
    assert player.position() == pytest.approx(10)
    clock.advance(5)
    player.tick()
    assert player.index == 0
    assert player.snapshot().phase_left == pytest.approx(10)
    clock.advance(10.5)
    assert player.tick() == [timeline.entries[1]]
    # Cat-Cow began at 25 on the session clock (the 100 paused seconds do not count).
    assert player.snapshot().phase_left == pytest.approx(timeline.entries[1].start - 25.5)
    assert player.records[0].outcome is Outcome.DONE
    assert player.records[0].held == 25


# -- skip --------------------------------------------------------------------------------------
def test_skip_in_hold_is_cut_short_and_in_transition_is_skipped(timeline: Timeline) -> None:
    child, cat_cow, dog = timeline.entries[:3]
    assert child.transition == 0 and cat_cow.transition > 0
    player, clock = make(timeline)
    clock.advance(10)
    player.tick()
    player.skip()
    assert player.records[-1].entry is child
    assert player.records[-1].held == 10
    assert player.records[-1].outcome is Outcome.CUT_SHORT
    # The next entry starts now: its transition first, then its full hold.
    assert player.entry is cat_cow
    snap = player.snapshot()
    assert not snap.in_hold
    assert snap.phase_left == pytest.approx(cat_cow.transition)
    assert snap.hold == cat_cow.hold
    assert snap.total == pytest.approx(timeline.total - 15)

    clock.advance(2)
    player.tick()
    player.skip()
    assert player.records[-1].entry is cat_cow
    assert player.records[-1].held == 0
    assert player.records[-1].outcome is Outcome.SKIPPED
    assert player.entry is dog
    assert player.snapshot().phase_left == pytest.approx(dog.transition)

    # Dog began at 12 s: it ends at 12 + transition + hold, not at its timeline time.
    end = 12 + dog.transition + dog.hold
    clock.set_session(end - 0.01)
    assert player.tick() == []
    clock.set_session(end + 0.01)
    assert player.tick() == [timeline.entries[3]]
    assert player.records[-1].outcome is Outcome.DONE
    summary = summarize(player)
    assert (summary.done, summary.cut_short, summary.skipped) == (1, 1, 1)


# -- back --------------------------------------------------------------------------------------
def test_back_within_three_seconds_goes_to_the_previous_entry(timeline: Timeline) -> None:
    child, cat_cow = timeline.entries[:2]
    player, clock = make(timeline)
    clock.set_session(child.end + 2)  # 2 s into Cat-Cow's transition
    player.tick()
    assert player.entry is cat_cow
    records = list(player.records)
    player.back()
    assert player.entry is child
    snap = player.snapshot()
    assert snap.in_hold  # Child's Pose has no transition
    assert snap.held == 0
    assert snap.phase_left == pytest.approx(child.hold)
    # Child's Pose is being done again: its first record gives way to the one still to come.
    assert [r.entry for r in records] == [child]
    assert player.records == []


def test_back_at_exactly_the_limit_still_goes_back(timeline: Timeline) -> None:
    child, cat_cow = timeline.entries[:2]
    player, clock = make(timeline)
    clock.set_session(cat_cow.begins + BACK_RESTARTS_WITHIN)
    player.tick()
    player.back()
    assert player.entry is child


def test_back_later_restarts_the_current_entry(timeline: Timeline) -> None:
    cat_cow = timeline.entries[1]
    player, clock = make(timeline)
    clock.set_session(cat_cow.begins + 4)
    player.tick()
    assert player.entry is cat_cow
    player.back()
    assert player.entry is cat_cow
    snap = player.snapshot()
    assert not snap.in_hold
    assert snap.phase_left == pytest.approx(cat_cow.transition)
    # It restarted now: it ends a full transition + hold later.
    clock.advance(cat_cow.transition + cat_cow.hold - 0.01)
    assert player.tick() == []
    clock.advance(0.02)
    assert player.tick() == [timeline.entries[2]]


def test_back_on_the_first_entry_restarts_it(timeline: Timeline) -> None:
    player, clock = make(timeline)
    clock.advance(1)
    player.back()
    assert player.index == 0
    assert player.snapshot().phase_left == pytest.approx(timeline.entries[0].hold)


# -- adjust ------------------------------------------------------------------------------------
def test_longer_adds_ten_seconds_to_this_hold(timeline: Timeline) -> None:
    child = timeline.entries[0]
    player, clock = make(timeline)
    clock.advance(5)
    player.adjust(+10)
    snap = player.snapshot()
    assert snap.hold == child.hold + 10 == 35
    assert snap.phase_left == pytest.approx(30)
    assert snap.total == pytest.approx(timeline.total + 10)
    clock.set_session(35 - 0.01)
    assert player.tick() == []
    clock.set_session(35 + 0.01)
    assert player.tick() == [timeline.entries[1]]
    assert player.records[-1].held == 35
    assert player.records[-1].outcome is Outcome.DONE
    # The next entry gets its own hold back.
    assert player.snapshot().hold == timeline.entries[1].hold


def test_shorter_takes_ten_seconds_off_but_never_below_what_was_held(timeline: Timeline) -> None:
    child = timeline.entries[0]
    player, clock = make(timeline)
    clock.advance(5)
    player.adjust(+10)
    player.adjust(-10)
    assert player.snapshot().hold == child.hold
    player.adjust(-10)
    assert player.snapshot().hold == 15
    player.adjust(-10)  # 5 s held: the floor
    assert player.snapshot().hold == 5
    player.adjust(-10)
    assert player.snapshot().hold == 5
    assert player.tick() == [timeline.entries[1]]  # the step ends now
    assert player.records[-1].held == 5


def test_shorter_in_a_transition_keeps_at_least_one_second(timeline: Timeline) -> None:
    player, clock = make(timeline)
    clock.set_session(timeline.entries[1].begins + 1)
    player.tick()
    for _ in range(5):
        player.adjust(-10)
    assert player.snapshot().hold == 1


def test_shorter_never_goes_below_a_fractional_time_held(timeline: Timeline) -> None:
    player, clock = make(timeline)
    clock.advance(20.5)
    player.adjust(-10)
    snap = player.snapshot()
    assert snap.hold >= snap.held


# -- quit --------------------------------------------------------------------------------------
def test_quit_records_the_step_under_way(timeline: Timeline) -> None:
    player, clock = make(timeline)
    clock.set_session(timeline.entries[1].begins + 1)  # Child's Pose done, Cat-Cow coming in
    player.tick()
    clock.set_session(timeline.entries[1].start + 7)
    player.quit()
    assert player.finished and player.quit_early
    assert [(r.entry.index, r.held, r.outcome) for r in player.records] == [
        (0, 25, Outcome.DONE),
        (1, 7, Outcome.CUT_SHORT),
    ]
    summary = summarize(player)
    assert not summary.finished
    assert (summary.done, summary.cut_short, summary.skipped) == (1, 1, 0)
    # Once finished nothing moves or records any more.
    clock.advance(10_000)
    assert player.tick() == []
    player.skip()
    player.back()
    player.adjust(+10)
    player.toggle_pause()
    player.quit()
    assert len(player.records) == 2
    assert not player.paused


def test_quit_in_a_transition_is_skipped(timeline: Timeline) -> None:
    player, clock = make(timeline)
    clock.set_session(timeline.entries[1].begins + 1)
    player.tick()
    player.quit()
    assert player.records[-1].outcome is Outcome.SKIPPED
    assert summarize(player).skipped == 1


# -- speed -------------------------------------------------------------------------------------
def test_speed_ten_runs_ten_session_seconds_per_clock_second(timeline: Timeline) -> None:
    player, clock = make(timeline, speed=10)
    clock.advance(1)
    assert player.position() == pytest.approx(10)
    assert player.snapshot().elapsed == pytest.approx(10)
    assert player.snapshot().phase_left == pytest.approx(15)
    assert player.seconds_to_next_event() <= 1.5 + EPS  # real seconds, not session seconds
    clock.advance(1.55)  # session 25.5: Cat-Cow began at 25
    assert player.tick() == [timeline.entries[1]]
    assert player.snapshot().phase_left == pytest.approx(timeline.entries[1].start - 25.5)
    clock.set_session(timeline.total - 0.01, speed=10)
    player.tick()
    assert not player.finished
    clock.set_session(timeline.total + 0.01, speed=10)
    player.tick()
    assert player.finished
    assert summarize(player).done == 36


def test_an_empty_timeline_cannot_be_played(timeline: Timeline) -> None:
    with pytest.raises(ValueError):
        Player(Timeline(timeline.routine, ()), clock=FakeClock())


# -- known product bug -------------------------------------------------------------------------
def test_going_back_does_not_count_a_step_twice(timeline: Timeline) -> None:
    player, clock = make(timeline)
    clock.set_session(timeline.entries[1].begins + 1)
    player.tick()
    player.back()
    clock.advance(10_000)
    player.tick()
    assert player.finished
    assert summarize(player).done <= len(timeline)


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
    assert summary.done + summary.cut_short + summary.skipped == len(player.records)


def test_tiny_routine_plays_both_sides(tiny: Timeline) -> None:
    assert [(e.name, e.side) for e in tiny] == [("Pigeon", "right"), ("Pigeon", "left")]
    player, clock = make(tiny)
    clock.set_session(tiny.total + 0.01)
    assert player.tick() == [tiny.entries[1]]
    assert player.finished
    assert summarize(player).done == 2
