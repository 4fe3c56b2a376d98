"""A guided session as a state machine over the timeline: where we are, what is next, and what
was done. It reads time from a clock it is given (monotonic by default) and never sleeps, so the
terminal, and anything else that guides, drives it and renders it; tests drive it with a fake clock.

Deadlines are computed from the session's start: when a hold ends on time the next entry begins
at that deadline, not at the moment the check ran, so a long session does not drift.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from unknot.guide.timeline import Cue, CueKind, Entry, Timeline

ADJUST_SECONDS = 10
# Words for the ear only: the screen shows how to come in its own way, the count as a number.
UNSHOWN = frozenset({CueKind.END, CueKind.EXIT, CueKind.COME_IN, CueKind.COUNTDOWN})
BACK_RESTARTS_WITHIN = 3  # pressing back later than this into a step restarts it
# The web player (web/static/session.js) is this one again, in JavaScript; tests/player_cases.yaml
# holds the behaviour both must share, and tests/test_player_cases.py runs it on each.


class Outcome(StrEnum):
    DONE = "done"
    CUT_SHORT = "cut short"
    SKIPPED = "skipped"


# Which of two tries at one step the summary keeps: the one that got furthest.
_RANK = {Outcome.SKIPPED: 0, Outcome.CUT_SHORT: 1, Outcome.DONE: 2}


def tenths(seconds: float) -> float:
    """Rounded to 0.1 s, halves up as JavaScript's Math.round does (not to even, as round()
    does), so the terminal and the browser record the same held time."""
    scaled = seconds * 10
    whole = math.floor(scaled)
    return (whole + (1 if scaled - whole >= 0.5 else 0)) / 10


@dataclass(frozen=True)
class StepRecord:
    """What happened to one entry: seconds really held (session clock) and how it ended."""

    entry: Entry
    held: float
    outcome: Outcome


@dataclass(frozen=True)
class Snapshot:
    """Everything a screen needs to draw the current moment."""

    entry: Entry
    next: Entry | None
    in_hold: bool
    phase_left: float
    held: float
    hold: int
    elapsed: float
    total: float
    paused: bool
    finished: bool
    cue: Cue | None
    steps: int

    @property
    def progress(self) -> float:
        return min(1.0, self.elapsed / self.total) if self.total else 1.0


class Player:
    def __init__(
        self, timeline: Timeline, *, clock: Callable[[], float] = time.monotonic, speed: float = 1.0
    ) -> None:
        if not timeline.entries:
            raise ValueError("a timeline with no entries cannot be played")
        self.timeline = timeline
        self.clock = clock
        self.speed = speed
        # Every record made, in order, as sent to the history: append-only (a step done again
        # after "back" has two; the summary counts it once).
        self.records: list[StepRecord] = []
        self.on_record: Callable[[StepRecord], None] | None = None  # e.g. write it to the history
        self.finished = False
        self.quit_early = False
        self._anchor = clock()
        self._paused_at: float | None = None
        self.index = 0
        self._begins = 0.0
        self._hold = timeline.entries[0].hold

    # -- the clock -------------------------------------------------------------------------
    def start(self) -> None:
        """Start the session clock now (when the screen is ready), not when the player was made."""
        self._anchor = self.clock()
        self._paused_at = None

    def position(self) -> float:
        """Session seconds since the start, not counting pauses."""
        now = self._paused_at if self._paused_at is not None else self.clock()
        return (now - self._anchor) * self.speed

    @property
    def paused(self) -> bool:
        return self._paused_at is not None

    @property
    def entry(self) -> Entry:
        return self.timeline.entries[self.index]

    @property
    def entry_begins(self) -> float:
        """When the current entry's move began, on the session clock."""
        return self._begins

    @property
    def deadline(self) -> float:
        return self._begins + self.entry.transition + self._hold

    def _held(self, at: float) -> float:
        return max(0.0, at - self._begins - self.entry.transition)

    # -- moving through the session ---------------------------------------------------------
    def tick(self) -> list[Entry]:
        """Catch up with the clock; returns the entries that began since the last tick."""
        began: list[Entry] = []
        while not self.finished and self.position() >= self.deadline:
            self._record(self._hold, Outcome.DONE)
            self._enter(self.index + 1, self.deadline)
            if not self.finished:
                began.append(self.entry)
        return began

    def _enter(self, index: int, begins: float) -> None:
        if index >= len(self.timeline.entries):
            self.finished = True
            return
        self.index = index
        self._begins = begins
        self._hold = self.entry.hold

    def _record(self, held: float, outcome: Outcome) -> None:
        record = StepRecord(self.entry, tenths(held), outcome)
        self.records.append(record)
        if self.on_record is not None:
            self.on_record(record)

    def skip(self) -> None:
        """End this step now and start the next."""
        if self.finished:
            return
        at = self.position()
        held = self._held(at)
        self._record(held, Outcome.CUT_SHORT if held > 0 else Outcome.SKIPPED)
        self._enter(self.index + 1, at)

    def back(self) -> None:
        """Restart this step, or go to the one before when this one has only just begun. Nothing
        is taken back: the step before keeps its record, and `summarize` counts each step once."""
        if self.finished:
            return
        at = self.position()
        if at - self._begins <= BACK_RESTARTS_WITHIN and self.index > 0:
            self._enter(self.index - 1, at)
        else:
            self._enter(self.index, at)

    def adjust(self, seconds: int = ADJUST_SECONDS) -> None:
        """Lengthen (or shorten, with a negative number) this step's hold."""
        if self.finished:
            return
        floor = max(1, math.ceil(self._held(self.position())))
        self._hold = max(floor, self._hold + seconds)

    def toggle_pause(self) -> None:
        if self.finished:
            return
        if self._paused_at is None:
            self._paused_at = self.clock()
        else:
            self._anchor += self.clock() - self._paused_at
            self._paused_at = None

    def quit(self) -> None:
        """Stop here; the step under way is recorded as cut short (or skipped)."""
        if self.finished:
            return
        held = self._held(self.position())
        self._record(held, Outcome.CUT_SHORT if held > 0 else Outcome.SKIPPED)
        self.finished = True
        self.quit_early = True

    # -- what to show ------------------------------------------------------------------------
    def seconds_to_next_event(self) -> float:
        """Real seconds until the step ends or its next cue is due (for waking up on time)."""
        if self.finished or self.paused:
            return 1.0
        at = self.position()
        offset = at - self._begins - self.entry.transition
        upcoming = [c.offset - offset for c in self.entry.cues if c.offset > offset]
        return max(0.0, min([self.deadline - at, *upcoming]) / self.speed)

    def snapshot(self) -> Snapshot:
        at = self.position()
        entry = self.entry
        in_hold = at >= self._begins + entry.transition
        offset = at - self._begins - entry.transition
        said = [c for c in entry.cues if c.offset <= offset and c.kind not in UNSHOWN]
        remaining = sum(e.transition + e.hold for e in self.timeline.entries[self.index + 1 :])
        upcoming = (
            self.timeline.entries[self.index + 1] if self.index + 1 < len(self.timeline) else None
        )
        return Snapshot(
            entry=entry,
            next=upcoming,
            in_hold=in_hold,
            phase_left=max(
                0.0, (self.deadline if in_hold else self._begins + entry.transition) - at
            ),
            held=max(0.0, offset),
            hold=self._hold,
            elapsed=at,
            total=max(at, self.deadline) + remaining,
            paused=self.paused,
            finished=self.finished,
            cue=said[-1] if said else None,
            steps=len(self.timeline),
        )


@dataclass(frozen=True)
class Summary:
    """What was done, one record a step (the best try), for the closing lines."""

    done: int
    cut_short: int
    skipped: int
    held_seconds: float
    finished: bool
    records: tuple[StepRecord, ...]


def counted(records: list[StepRecord]) -> list[StepRecord]:
    """One record a step, in step order: a step done again after "back" counts by the try that
    got furthest, so a mistaken back (then skip) does not undo a step already done."""
    best: dict[int, StepRecord] = {}
    for record in records:
        kept = best.get(record.entry.index)
        if kept is None or (_RANK[record.outcome], record.held) > (_RANK[kept.outcome], kept.held):
            best[record.entry.index] = record
    return [best[index] for index in sorted(best)]


def summarize(player: Player) -> Summary:
    steps = counted(player.records)
    counts = {o: sum(1 for r in steps if r.outcome is o) for o in Outcome}
    return Summary(
        done=counts[Outcome.DONE],
        cut_short=counts[Outcome.CUT_SHORT],
        skipped=counts[Outcome.SKIPPED],
        held_seconds=tenths(sum(r.held for r in steps)),
        finished=player.finished and not player.quit_early,
        records=tuple(steps),
    )
