"""The whole session, timed: every pose and side, when it starts, how long it is held, the move
into it, and each cue to say with its offset. Every output (terminal, voice, audio, web, history)
renders this one timeline, so they never disagree about time.

Times are whole seconds on the session clock. An entry's transition runs from
`start - transition` to `start`; its hold from `start` to `end`. Cue offsets are relative to
`start`: negative offsets fall in the transition (the announcement and how to come in).
"""

from __future__ import annotations

from collections.abc import Iterator
from enum import StrEnum
from functools import cache
from typing import Any, NamedTuple

from unknot.catalog.holds import Hold, check_hold
from unknot.catalog.poses import Pose
from unknot.catalog.vocabulary import vocabulary
from unknot.errors import UnknotError
from unknot.files import DATA
from unknot.routines.routine import (
    BUILT_IN,
    MAX_SESSION_MINUTES,
    MAX_SESSION_STEPS,
    SIDES,
    FlowStep,
    PerSideBlock,
    PoseStep,
    RestStep,
    Routine,
    step_poses,
)
from unknot.yamlfile import load

REST_POSITION = "supine"  # a rest is taken lying down unless the pose before says otherwise
CUE_GAP_SECONDS = 10  # the shortest quiet spell between two cues inside a hold
COUNTDOWN_SECONDS = 3
END_CUE_LEAD = 12  # the closing words start this long before the end
SPEAK_AFTER_CHIME = 1  # seconds from an entry's chime (the start of its move) to the first words


class CueKind(StrEnum):
    """What a cue is for: the sound and the screens treat each kind their own way."""

    ANNOUNCE = "announce"  # the pose and side, during the move in
    ENTER = "enter"  # how to come in (shown; the voice gives the announcement)
    HOLD = "hold"  # what to do in the pose
    NOTE = "note"  # the routine's own note for this step
    BREATH = "breath"
    HALFWAY = "halfway"
    COUNTDOWN = "countdown"
    END = "end"  # the closing words of the session


class Cue(NamedTuple):
    offset: int
    kind: CueKind
    text: str


class Entry(NamedTuple):
    """One timed step of the session."""

    index: int  # type: ignore[assignment]  # shadows tuple.index, which nothing here calls
    pose: Pose | None  # None for a rest
    side: str | None
    start: int
    hold: int
    transition: int
    cues: tuple[Cue, ...]
    block: int | None = None  # which per-side block it belongs to, counted from 1
    round: int | None = None  # which round of a flow, counted from 1
    note: str = ""

    @property
    def name(self) -> str:
        return self.pose.name if self.pose else "Rest"

    @property
    def kind(self) -> str:
        return "pose" if self.pose else "rest"

    @property
    def begins(self) -> int:
        """When the move into this entry starts."""
        return self.start - self.transition

    @property
    def end(self) -> int:
        return self.start + self.hold

    @property
    def side_label(self) -> str:
        return self.pose.side_label(self.side) if self.pose else ""

    @property
    def key_cue(self) -> str:
        return self.pose.key_cue if self.pose else self.note

    def to_json(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "kind": self.kind,
            "pose": self.pose.name if self.pose else None,
            "side": self.side,
            "start_seconds": self.start,
            "hold_seconds": self.hold,
            "transition_seconds": self.transition,
            "block": self.block,
            "round": self.round,
            "areas": dict(self.pose.areas) if self.pose else {},
            "cues": [
                {"offset_seconds": c.offset, "kind": c.kind, "text": c.text} for c in self.cues
            ],
        }


class Timeline:
    """The whole session: the routine it came from and its timed entries."""

    def __init__(self, routine: Routine, entries: tuple[Entry, ...]) -> None:
        self.routine = routine
        self.entries = entries

    @property
    def total(self) -> int:
        return self.entries[-1].end if self.entries else 0

    def __iter__(self) -> Iterator[Entry]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    def area_seconds(self) -> dict[str, float]:
        """Seconds of stretch each area gets, weighted by how much each pose works it (0-1)."""
        totals: dict[str, float] = {}
        for entry in self.entries:
            for area, weight in (entry.pose.areas if entry.pose else {}).items():
                totals[area] = totals.get(area, 0.0) + entry.hold * weight / 3
        return dict(sorted(totals.items(), key=lambda kv: -kv[1]))

    def focus(self, count: int = 4) -> list[str]:
        """The areas the session works most."""
        return list(self.area_seconds())[:count]

    def to_json(self) -> dict[str, Any]:
        return {
            "routine": self.routine.name,
            "title": self.routine.title,
            "total_seconds": self.total,
            "steps": [e.to_json() for e in self.entries],
        }


class _Slot:
    """An entry before it is timed (mutable: the side switch and notes are added later)."""

    def __init__(
        self,
        pose: Pose | None,
        side: str | None,
        hold: int,
        block: int | None = None,
        round: int | None = None,
        note: str = "",
    ) -> None:
        self.pose, self.side, self.hold = pose, side, hold
        self.block, self.round, self.note = block, round, note
        self.opening: list[str] = []  # said before the announcement


def hold_for(
    step_hold: Hold | None, override: int | None, routine_hold: Hold | None, pose: Pose | None
) -> Hold:
    """Which hold wins: the step's, then --hold, then the routine's default, then the pose's."""
    if step_hold:
        return step_hold
    if override is not None:
        return check_hold(Hold(override, override), what="hold")
    return routine_hold or (pose.hold if pose else Hold(30, 30))


class _Holds(NamedTuple):
    override: int | None
    routine: Hold | None

    def seconds(self, step_hold: Hold | None, pose: Pose | None) -> int:
        return hold_for(step_hold, self.override, self.routine, pose).seconds


def _sides(first_side: str) -> tuple[str, str]:
    return (first_side, SIDES[1 - SIDES.index(first_side)])


def _pose_slots(step: PoseStep, holds: _Holds, side: str | None, block: int | None) -> list[_Slot]:
    seconds = holds.seconds(step.hold, step.pose)
    return [_Slot(step.pose, side if step.pose.per_side else None, seconds, block, None, step.note)]


def _flow_slots(step: FlowStep, holds: _Holds, side: str | None, block: int | None) -> list[_Slot]:
    slots = []
    for n in range(1, step.rounds + 1):
        for pose in step.poses:
            hold = step.hold if n == 1 else (step.then_hold or step.hold)
            seconds = holds.seconds(hold, pose)
            note = step.note if n == 1 and pose is step.poses[0] else ""
            slots.append(_Slot(pose, side if pose.per_side else None, seconds, block, n, note))
    return slots


def _step_slots(
    step: PoseStep | FlowStep | RestStep, holds: _Holds, side: str | None, block: int | None
) -> list[_Slot]:
    if isinstance(step, RestStep):
        return [_Slot(None, None, step.hold.seconds, block, None, step.note)]
    if isinstance(step, FlowStep):
        return _flow_slots(step, holds, side, block)
    return _pose_slots(step, holds, side, block)


def _block_slots(
    block: PerSideBlock, number: int, holds: _Holds, sides: tuple[str, str]
) -> list[_Slot]:
    slots: list[_Slot] = []
    for turn, side in enumerate(sides):
        if turn == 1 and block.back_to:
            back = _pose_slots(block.back_to, holds, None, number)[0]
            back.opening.append(_phrase("back_to").format(name=back.pose.name if back.pose else ""))
            slots.append(back)
        first = len(slots)
        for step in block.steps:
            slots.extend(_step_slots(step, holds, side, number))
        if turn == 1:
            sided = next((s for s in slots[first:] if s.side), None)
            if sided and sided.pose:
                word = sided.pose.side_word
                sided.opening.append(_phrase("switch").format(side=side, side_word=word))
        if turn == 0 and block.note:
            slots[first].note = " ".join(filter(None, (block.note, slots[first].note)))
    return slots


def _slots(routine: Routine, holds: _Holds, sides: tuple[str, str]) -> list[_Slot]:
    slots: list[_Slot] = []
    blocks = 0
    for step in routine.steps:
        if isinstance(step, PerSideBlock):
            blocks += 1
            slots.extend(_block_slots(step, blocks, holds, sides))
        elif any(p.per_side for p in step_poses(step)):
            # A one-sided pose outside a block is still done on both sides, one after the other.
            for side in sides:
                slots.extend(_step_slots(step, holds, side, None))
        else:
            slots.extend(_step_slots(step, holds, None, None))
    return slots


def expand(routine: Routine, *, hold: int | None = None, first_side: str | None = None) -> Timeline:
    """The routine as a timed session. `hold` replaces the default hold (not a step's own)."""
    if hold is not None:
        check_hold(Hold(hold, hold), what="hold")
    holds = _Holds(hold, routine.hold)
    slots = _slots(routine, holds, _sides(first_side or routine.first_side))
    _check_length(routine, len(slots), sum(s.hold for s in slots), hold=hold)
    vocab = vocabulary()
    entries: list[Entry] = []
    clock = 0
    previous: str | None = None
    for index, slot in enumerate(slots):
        position = slot.pose.position if slot.pose else (previous or REST_POSITION)
        transition = vocab.transition_seconds(previous, position)
        clock += transition
        is_last = index == len(slots) - 1
        cues = _cues(slot, transition, first=index == 0, last=is_last, index=index)
        entries.append(
            Entry(
                index,
                slot.pose,
                slot.side,
                clock,
                slot.hold,
                transition,
                cues,
                slot.block,
                slot.round,
                slot.note,
            )
        )
        clock += slot.hold
        previous = position
    return Timeline(routine, tuple(entries))


def _check_length(routine: Routine, steps: int, held: int, *, hold: int | None) -> None:
    """The session's limits, as a whole (a routine file is held to the count as it is read;
    routines done together, or a long default hold, are held to them here)."""
    own = routine.path is not None and routine.path.parent != BUILT_IN
    where = str(routine.path) if own else routine.name
    if steps > MAX_SESSION_STEPS:
        raise UnknotError(
            f"the session would have {steps:,} steps", where=where,
            expected=f"at most {MAX_SESSION_STEPS:,} steps in one session (fewer routines in it)",
        )  # fmt: skip
    if held > MAX_SESSION_MINUTES * 60:  # the holds alone, moves not counted: a lower bound
        raise UnknotError(
            f"its holds alone would last {held // 3600} h {held % 3600 // 60:02d} min",
            where=where,
            field="hold" if hold is not None else "",
            expected=f"a session of at most {MAX_SESSION_MINUTES} minutes "
            "(shorter holds or fewer steps)",
        )


def _announcement(slot: _Slot) -> str:
    if slot.pose is None:
        return _phrase("rest")
    if slot.side:
        return _phrase("announce_side").format(
            name=slot.pose.name, side=slot.side, side_word=slot.pose.side_word
        )
    return _phrase("announce").format(name=slot.pose.name)


def _cues(slot: _Slot, transition: int, *, first: bool, last: bool, index: int) -> tuple[Cue, ...]:
    """What to say in one entry, in order of offset."""
    opening = [_phrase("begin")] if first else []
    opening += slot.opening
    # Each entry opens with a chime at the start of its move; the guide speaks a second later,
    # and the key cue comes a second into the hold.
    announce = SPEAK_AFTER_CHIME - transition
    settled = min(SPEAK_AFTER_CHIME, max(0, slot.hold - 1))
    cues = [Cue(announce, CueKind.ANNOUNCE, " ".join([*opening, _announcement(slot)]))]
    if slot.pose:
        cues.append(Cue(announce, CueKind.ENTER, slot.pose.cues.enter))
        cues.append(Cue(settled, CueKind.HOLD, slot.pose.key_cue))
    if slot.note:
        cues.append(Cue(settled, CueKind.NOTE, slot.note))
    later = _hold_cues(slot, index, last=last)
    if first and not later:  # a hold too short for a later cue: the safety words come now
        cues.append(Cue(settled, CueKind.NOTE, _phrase("safety")))
    cues.extend(later)
    if last:  # said while there is still time to hear it, not after the session has ended
        cues.append(Cue(max(settled, slot.hold - END_CUE_LEAD), CueKind.END, _phrase("end")))
    elif slot.hold >= 5 * COUNTDOWN_SECONDS:
        cues.append(Cue(slot.hold - COUNTDOWN_SECONDS, CueKind.COUNTDOWN, _phrase("countdown")))
    return tuple(sorted(cues, key=lambda c: c.offset))


def _hold_cues(slot: _Slot, index: int, *, last: bool) -> list[Cue]:
    """The pose's other cues, then breath reminders, spread through a longer hold."""
    quiet_end = slot.hold - (END_CUE_LEAD if last else COUNTDOWN_SECONDS) - CUE_GAP_SECONDS // 2
    gap = max(CUE_GAP_SECONDS, slot.hold // 6)
    times = list(range(gap, quiet_end + 1, gap))
    extra = list(slot.pose.cues.hold[1:]) if slot.pose else []
    if index == 0:  # once a session, at the first moment the voice is free in a hold
        extra.insert(0, _phrase("safety"))
    breath = _phrases("breath")
    cues: list[Cue] = []
    for n, offset in enumerate(times):
        if slot.hold >= 60 and abs(offset - slot.hold // 2) < gap / 2:
            cues.append(Cue(offset, CueKind.HALFWAY, _phrase("halfway")))
        elif extra:
            cues.append(Cue(offset, CueKind.HOLD, extra.pop(0)))
        else:
            cues.append(Cue(offset, CueKind.BREATH, breath[(index + n) % len(breath)]))
    return cues


PHRASES_FILE = DATA / "phrases.yaml"


@cache
def _all_phrases() -> dict[str, str | tuple[str, ...]]:
    from unknot.cache import cached

    return cached("phrases", [PHRASES_FILE], _read_phrases)


def _read_phrases() -> dict[str, str | tuple[str, ...]]:
    root = load(PHRASES_FILE, what="phrase list")
    phrases: dict[str, str | tuple[str, ...]] = {}
    for name, value in root.items(expected="a mapping of phrase names to text"):
        phrases[name] = (
            value.string() if value.kind == "str" else tuple(value.strings(expected="text"))
        )
    return phrases


def _phrase(name: str) -> str:
    value = _all_phrases()[name]
    return value if isinstance(value, str) else value[0]


def _phrases(name: str) -> tuple[str, ...]:
    value = _all_phrases()[name]
    return (value,) if isinstance(value, str) else value
