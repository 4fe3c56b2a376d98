"""The whole session, timed: every pose and side, when it starts, how long it is held, the move
into it, and each cue to say with its offset. Every output (terminal, voice, audio, web, history)
renders this one timeline, so they never disagree about time.

Times are whole seconds on the session clock. An entry's transition runs from
`start - transition` to `start`; its hold from `start` to `end`. Cue offsets are relative to
`start`: negative offsets fall in the transition (the announcement and how to come in).
"""

from __future__ import annotations

import math
import re
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
SETTLE_SECONDS = 1  # after the words of a move, before its hold: a moment to settle
BREATH_SECONDS = 0.7  # the pause between two sentences
REPEAT_SECONDS = 240  # a sentence is not said again this soon (names and counts aside)
GUIDES = ("full", "brief", "quiet")
DEFAULT_PACE = 160  # words a minute
PACES = (100, 220)
_SENTENCE_END = re.compile(r"[.!?](?:\s|$)")
_WORD = re.compile(r"[A-Za-z']+")
_VOWELS = re.compile(r"[aeiouy]+")
SYLLABLE_SECONDS = 0.26
COMMA_SECONDS = 0.4


class Guide(NamedTuple):
    """How much the voice says and how fast. full: how to come in and out, the cues, the breath;
    brief: the name and side, the key cue and the count; quiet: the chimes and the names."""

    mode: str = "full"
    pace: int = DEFAULT_PACE  # words a minute

    @property
    def full(self) -> bool:
        return self.mode == "full"

    def speaking_seconds(self, *texts: str) -> float:
        """About how long the words take at this pace, with a breath between sentences: by
        their syllables, as the voice says them (measured on the neural voice at 160 words a
        minute: about a quarter second a syllable, a little more at a comma)."""
        said = [t for t in texts if t.strip()]
        syllables = sum(_syllables(word) for t in said for word in _WORD.findall(t))
        commas = sum(t.count(",") for t in said)
        sentences = sum(max(1, len(_SENTENCE_END.findall(t))) for t in said)
        talk = SYLLABLE_SECONDS * syllables + COMMA_SECONDS * commas + 0.35 * sentences
        return talk * DEFAULT_PACE / self.pace + BREATH_SECONDS * max(0, sentences - 1)


def _syllables(word: str) -> int:
    """Roughly how many syllables an English word has: its groups of vowels, a silent final e
    aside."""
    word = word.lower()
    groups = len(_VOWELS.findall(word))
    if word.endswith("e") and not word.endswith(("le", "ee")) and groups > 1:
        groups -= 1
    return max(1, groups)


DEFAULT_GUIDE = Guide()


class Move(StrEnum):
    """What a move into an entry is: a new pose (its props fetched, how to come in said), the
    same pose on the other side (said again for that side), or a pose the body has just done
    (a later round of a flow, the pose a block goes back to: its name is enough)."""

    NEW = "new"
    SIDE = "side"
    AGAIN = "again"


class CueKind(StrEnum):
    """What a cue is for: the sound and the screens treat each kind their own way."""

    EXIT = "exit"  # the way out of the pose before, as the move begins
    ANNOUNCE = "announce"  # the pose and side, during the move in
    ENTER = "enter"  # how to come in, as shown on the screen
    COME_IN = "come_in"  # how to come in, as said
    HOLD = "hold"  # what to do in the pose
    CARE = "care"  # the pose's safety cue, first in the hold
    RHYTHM = "rhythm"  # the breath to move with, in a pose that moves
    NOTE = "note"  # the routine's own note for this step
    BREATH = "breath"
    HALFWAY = "halfway"
    COUNTDOWN = "countdown"  # one word a second, the last three seconds of the hold
    CLOSE = "close"  # the gentle close of a rest
    END = "end"  # the closing words of the session


# Said at a time counted from the hold's end: + and - move them with it.
FROM_END = frozenset({CueKind.COUNTDOWN, CueKind.CLOSE, CueKind.END})


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
            "custom": bool(self.pose and self.pose.custom),  # the article's own: no figure
            "cues": [
                {
                    "offset_seconds": c.offset,
                    "kind": c.kind,
                    "text": c.text,
                    "from_end": c.kind in FROM_END,
                    "speaking_seconds": round(DEFAULT_GUIDE.speaking_seconds(c.text), 1),
                }
                for c in self.cues
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
        self.back = False  # the pose a block goes back to before its other side
        self.other_side = False  # a step done on both sides in a row: its second side begins


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
            back.back = True
            slots.append(back)
        first = len(slots)
        for step in block.steps:
            slots.extend(_step_slots(step, holds, side, number))
        if turn == 1:
            sided = next((s for s in slots[first:] if s.side), None)
            if sided and sided.pose and not sided.pose.spoken:  # a spoken side says it already
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
                more = _step_slots(step, holds, side, None)
                more[0].other_side = side != sides[0]
                slots.extend(more)
        else:
            slots.extend(_step_slots(step, holds, None, None))
    return slots


def expand(
    routine: Routine,
    *,
    hold: int | None = None,
    first_side: str | None = None,
    guide: Guide = DEFAULT_GUIDE,
) -> Timeline:
    """The routine as a timed session. `hold` replaces the default hold (not a step's own);
    `guide` says how much the voice says, and so how long each move takes to talk through."""
    if hold is not None:
        check_hold(Hold(hold, hold), what="hold")
    holds = _Holds(hold, routine.hold)
    slots = _slots(routine, holds, _sides(first_side or routine.first_side))
    _check_length(routine, len(slots), sum(s.hold for s in slots), hold=hold)
    entries: list[Entry] = []
    said: dict[str, int] = {}  # every sentence said so far, and when (the repeat rule)
    clock = 0
    previous: _Slot | None = None
    position: str | None = None
    for index, slot in enumerate(slots):
        kind = _move_kind(slot)
        before = position
        position = slot.pose.position if slot.pose else (position or REST_POSITION)
        way_out = way_out_seconds(previous.pose if previous else None, guide, position)
        transition = way_out + move_seconds(before, slot.pose, guide, kind, first=index == 0)
        clock += transition
        words = _Words(slot, previous if way_out else None, kind, guide, said, clock)
        cues = _cues(slot, transition, words, first=index == 0, last=index == len(slots) - 1)
        entries.append(
            Entry(
                index, slot.pose, slot.side, clock, slot.hold, transition, cues,
                slot.block, slot.round, slot.note,
            )
        )  # fmt: skip
        clock += slot.hold
        previous = slot
    return Timeline(routine, tuple(entries))


def _move_kind(slot: _Slot) -> Move:
    if slot.back or (slot.round or 0) > 1:
        return Move.AGAIN
    return Move.SIDE if slot.other_side else Move.NEW


def move_words(pose: Pose | None, side: str | None, guide: Guide, kind: Move) -> tuple[str, str]:
    """The name (and side) said in the move into `pose`, and how to come in (full guide only)."""
    if pose is None:
        return _phrase("rest"), ""
    spoken = pose.spoken
    if kind is Move.AGAIN and not side:
        return _phrase("back_to").format(name=pose.name), ""
    if spoken and side:
        name = f"{pose.name}, {spoken.filled(spoken.side, side)}."
    elif side:
        name = _phrase("announce_side").format(name=pose.name, side=side, side_word=pose.side_word)
    else:
        name = _phrase("announce").format(name=pose.name)
    if not guide.full or kind is Move.AGAIN:
        return name, ""
    return name, spoken.filled(spoken.come_in, side) if spoken else ""


def move_seconds(
    before: str | None,
    pose: Pose | None,
    guide: Guide,
    kind: Move = Move.NEW,
    *,
    first: bool = False,
) -> int:
    """Seconds of the move into `pose` from the position `before` (None: the session's start),
    the way out of the pose before not counted: the longest of changing position, fetching its
    props and saying its name and how to come in. The planner counts the same seconds."""
    vocab = vocabulary()
    position = pose.position if pose else (before or REST_POSITION)
    body = vocab.transition_seconds(before, position)
    fetch = vocab.fetch_seconds(pose.props) if pose and kind is Move.NEW else 0
    name, come_in = move_words(pose, "right" if pose and pose.per_side else None, guide, kind)
    opening = _phrase("begin") if first else ""
    talk = SPEAK_AFTER_CHIME + guide.speaking_seconds(opening, name, come_in) + SETTLE_SECONDS
    return max(body, fetch, math.ceil(talk)) if (before or first) else 0


def way_out_seconds(pose: Pose | None, guide: Guide, to: str | None) -> int:
    """Seconds of the way out of `pose` said as the next move begins, towards the position
    `to`: said in the full guide only, and only when the body leaves the pose's position (from
    Downward-Facing Dog into Three-Legged Dog there is nothing to come out of)."""
    if pose is None or pose.spoken is None or not pose.spoken.way_out or not guide.full:
        return 0
    if to is None or to == pose.position:
        return 0
    return math.ceil(guide.speaking_seconds(pose.spoken.way_out) + BREATH_SECONDS)


class _Words:
    """What one entry says, chosen with what was said before it: nothing said again within
    REPEAT_SECONDS (a pose's next cue comes instead), names and counts aside."""

    def __init__(
        self, slot: _Slot, previous: _Slot | None, kind: Move, guide: Guide,
        said: dict[str, int], start: int,
    ) -> None:  # fmt: skip
        self.guide, self.said, self.start = guide, said, start
        pose, spoken = slot.pose, slot.pose.spoken if slot.pose else None
        out = previous.pose.spoken if previous and previous.pose else None
        side = previous.side if previous else None
        self.way_out = out.filled(out.way_out, side) if out and out.way_out and guide.full else ""
        self.name, self.come_in = move_words(pose, slot.side, guide, kind)
        self.care = spoken.filled(spoken.care, slot.side) if spoken and guide.full else ""
        self.rhythm = spoken.filled(spoken.rhythm, slot.side) if spoken and guide.full else ""
        self.hold = [] if pose is None else [spoken.filled(c, slot.side) if spoken else c
                                              for c in pose.cues.hold]  # fmt: skip
        if self.rhythm:  # the breath to move with says, for the ear, what the key cue shows
            del self.hold[:1]

    def fresh(self, text: str, at: int) -> bool:
        """Whether `text` may be said at `at` (hold seconds), and if so, it is taken as said."""
        when = self.start + at
        last = self.said.get(text)
        if not text or (last is not None and when - last < REPEAT_SECONDS):
            return False
        self.said[text] = when
        return True

    def key(self, at: int) -> str:
        """The key cue, or on a second side (said a moment ago) the pose's next fresh cue."""
        for text in self.hold:
            if self.fresh(text, at):
                self.hold.remove(text)
                return text
        return ""


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


def _cues(
    slot: _Slot, transition: int, words: _Words, *, first: bool, last: bool
) -> tuple[Cue, ...]:
    """What to say in one entry, in order of offset. The move opens with a chime; a second
    later come the way out of the pose before, the name and side, and how to come in; the key
    cue a second into the hold, the pose's safety cue with it."""
    guide = words.guide
    speak = SPEAK_AFTER_CHIME - transition
    settled = min(SPEAK_AFTER_CHIME, max(0, slot.hold - 1))
    cues: list[Cue] = []
    if words.way_out:
        cues.append(Cue(speak, CueKind.EXIT, words.way_out))
    opening = [_phrase("begin")] if first else []
    cues.append(Cue(speak, CueKind.ANNOUNCE, " ".join([*opening, *slot.opening, words.name])))
    if slot.pose:
        cues.append(Cue(speak, CueKind.ENTER, slot.pose.cues.enter))
        if words.come_in:
            cues.append(Cue(speak, CueKind.COME_IN, words.come_in))
    resting = slot.pose is not None and slot.pose.resting
    if slot.pose and guide.mode != "quiet":
        # A pose that moves starts with the breath to move with; its key cue comes later.
        key = "" if words.rhythm else words.key(settled) if guide.full or not resting else ""
        if key:
            cues.append(Cue(settled, CueKind.HOLD, key))
        if words.care and words.fresh(words.care, settled):
            cues.append(Cue(settled, CueKind.CARE, words.care))
        if words.rhythm:
            cues.append(Cue(settled, CueKind.RHYTHM, words.rhythm))
    if slot.note and guide.full:
        cues.append(Cue(settled, CueKind.NOTE, slot.note))
    later = _hold_cues(slot, words, first=first, last=last, resting=resting)
    if first and guide.mode != "quiet" and not any(c.text == _phrase("safety") for c in later):
        cues.append(Cue(settled, CueKind.NOTE, _phrase("safety")))  # too short for a later cue
    cues.extend(later)
    if last:  # said while there is still time to hear it, not after the session has ended
        cues.append(Cue(max(settled, slot.hold - END_CUE_LEAD), CueKind.END, _phrase("end")))
    elif resting and guide.full and slot.hold >= 2 * END_CUE_LEAD:
        cues.append(Cue(slot.hold - END_CUE_LEAD, CueKind.CLOSE, _phrase("rest_close")))
    if not last and guide.mode != "quiet" and slot.hold >= 5 * COUNTDOWN_SECONDS:
        for n, word in enumerate(_phrases("count")[:COUNTDOWN_SECONDS]):
            cues.append(Cue(slot.hold - COUNTDOWN_SECONDS + n, CueKind.COUNTDOWN, word))
    return tuple(sorted(cues, key=lambda c: c.offset))


def _hold_cues(slot: _Slot, words: _Words, *, first: bool, last: bool, resting: bool) -> list[Cue]:
    """The pose's other cues, then breath reminders, spread through a longer hold; a rest is
    left quiet (the safety words aside, when it comes first)."""
    guide = words.guide
    if guide.mode == "quiet" or (not guide.full and not first):
        return []
    quiet_end = slot.hold - (END_CUE_LEAD if last or resting else COUNTDOWN_SECONDS)
    quiet_end -= CUE_GAP_SECONDS // 2
    gap = max(CUE_GAP_SECONDS, slot.hold // 6)
    times = list(range(gap, quiet_end + 1, gap))
    extra = [_phrase("safety")] if first else []  # once a session, when the voice is first free
    cues: list[Cue] = []
    breath = _phrases("breath")
    for n, offset in enumerate(times):
        if extra:
            cues.append(Cue(offset, CueKind.NOTE, extra.pop(0)))
            continue
        if not guide.full or resting:
            break
        if words.rhythm and n % 3 == 1:  # a moving pose: its breath again, now and then
            cues.append(Cue(offset, CueKind.RHYTHM, words.rhythm))
            continue
        halfway = slot.hold >= 90 and abs(offset - slot.hold // 2) < gap / 2
        if halfway and words.fresh(_phrase("halfway"), offset):
            cues.append(Cue(offset, CueKind.HALFWAY, _phrase("halfway")))
            continue
        text = words.key(offset)  # the pose's next cue not said lately
        if not text:
            fresh = [b for b in breath if b not in words.said or
                     words.start + offset - words.said[b] >= REPEAT_SECONDS]  # fmt: skip
            text = fresh[n % len(fresh)] if fresh else ""
            if text and words.fresh(text, offset):
                cues.append(Cue(offset, CueKind.BREATH, text))
            continue
        cues.append(Cue(offset, CueKind.HOLD, text))
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
