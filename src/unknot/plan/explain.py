"""What became of every step as written, and why, in words; and what the session gives the areas
the person named."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import NamedTuple

from unknot.catalog.vocabulary import vocabulary
from unknot.guide.timeline import Timeline
from unknot.plan.adapt import Change, Written
from unknot.plan.layout import Unit
from unknot.plan.model import Context, Option
from unknot.routines.routine import FlowStep, PoseStep, RestStep


class Status(StrEnum):
    """What became of a step: a str, so `--json` and the words show it as it always was."""

    KEPT = "kept"
    SHORTENED = "shortened"
    LENGTHENED = "lengthened"
    SUBSTITUTED = "substituted"
    ADDED = "added"
    LEFT_OUT = "left out"


class Decision(NamedTuple):
    """What became of one step as written, and why."""

    pose: str  # the step as written (for a flow: its poses joined by " / ")
    status: Status
    reason: str
    written_hold: int
    hold: int | None  # None when left out
    instead: str = ""  # the substitute actually done, if any

    @property
    def kept(self) -> bool:
        return self.hold is not None


def in_minutes(budget: int | None) -> str:
    """A budget in seconds as words: '5 minutes', '1 minute', '7.5 minutes'."""
    minutes = (budget or 0) / 60
    return f"{minutes:g} minute" + ("" if minutes == 1 else "s")


def named_sets(named: Sequence[str]) -> dict[str, set[str]]:
    """The areas of every area or group the person named (or the routine's focus names)."""
    vocab = vocabulary()
    return {n: set(vocab.resolve_areas([n])) for n in named}


def decide(unit: Unit, ctx: Context, budget: int | None, named: dict[str, set[str]]) -> Decision:
    """The decision on one unit once the planner has chosen (see `Status`)."""
    written = unit.written
    first = written.poses[0] if isinstance(written, FlowStep) else getattr(written, "pose", None)
    written_hold = ctx.written_hold(written.hold, first).seconds
    name = _written_name(written)
    substitutes = [c for c in unit.changes if c.substitute_for]
    instead = ", ".join(c.pose.name for c in substitutes if c.pose)
    if unit.added and unit.choice is not None:
        return Decision(name, Status.ADDED, unit.added, written_hold, unit.choice.hold)
    if unit.step is None:
        reasons = "; ".join(c.reason for c in unit.changes if c.reason) or "left out"
        return Decision(name, Status.LEFT_OUT, reasons, written_hold, None)
    if unit.choice is None:
        why = _not_fitted(unit.step, budget, named, substitutes)
        return Decision(name, Status.LEFT_OUT, why, written_hold, None, instead)
    if substitutes:
        reason = "; ".join(c.reason for c in substitutes)
        return Decision(name, Status.SUBSTITUTED, reason, written_hold, unit.choice.hold, instead)
    return _held(name, unit.step, unit.choice, written_hold, budget, _works(unit.step, named))


def _not_fitted(
    step: Written, budget: int | None, named: dict[str, set[str]], substitutes: list[Change]
) -> str:
    """Why the search left out a step that could have been done."""
    works = _works(step, named)
    why = f"did not fit in {in_minutes(budget)}: "
    if works:
        why += f"other poses ease {works} more in the time"
    elif isinstance(step, PoseStep) and step.pose.custom and named:
        why += f"it is not in unknot's catalog, so it is not known to ease {' or '.join(named)}"
    elif isinstance(step, PoseStep) and step.pose.custom:
        why += "other steps fill the time better (what it stretches is not known, so it "
        why += "counts as an average stretch)"
    elif step.poses[0].areas if isinstance(step, FlowStep) else _stretches(step):
        why += "it stretches none of " + (" or ".join(named) or "what you named")
    else:
        why += "a rest comes once there are minutes to spare"
    if substitutes:
        why = "; ".join(c.reason for c in substitutes) + f", which {why}"
    return why


def _held(
    name: str, step: Written, choice: Option, written_hold: int, budget: int | None, works: str
) -> Decision:
    """A step kept as it is: as written, shortened or lengthened."""
    hold = choice.hold
    rounds_cut = isinstance(step, FlowStep) and choice.rounds < step.rounds
    if hold < written_hold or rounds_cut:
        extra = (
            f", {choice.rounds} of {step.rounds} rounds"
            if isinstance(step, FlowStep) and rounds_cut
            else ""
        )
        goal = f"to fit {in_minutes(budget)}" if budget else "to give other poses more time"
        return Decision(name, Status.SHORTENED, f"shortened{extra} {goal}", written_hold, hold)
    if hold > written_hold:
        why = f"held longer: it eases {works}" if works else "held longer: there is time to spare"
        return Decision(name, Status.LENGTHENED, why, written_hold, hold)
    return Decision(name, Status.KEPT, "as written", written_hold, hold)


def _written_name(step: Written) -> str:
    if isinstance(step, RestStep):
        return "Rest"
    if isinstance(step, FlowStep):
        return " / ".join(p.name for p in step.poses)
    return step.pose.name


def _works(step: Written | None, named: dict[str, set[str]]) -> str:
    """Which of the named areas or groups the step stretches, in words ('' for none)."""
    if step is None or isinstance(step, RestStep):
        return ""
    poses = step.poses if isinstance(step, FlowStep) else (step.pose,)
    stretched = {a for p in poses for a in p.areas}
    return " and ".join(n for n, areas in named.items() if stretched & areas)


def _stretches(step: PoseStep | RestStep) -> bool:
    return isinstance(step, PoseStep) and bool(step.pose.areas)


def area_seconds(timeline: Timeline, named: Sequence[str]) -> dict[str, int]:
    """Seconds of holds that stretch each area or group the person named."""
    vocab = vocabulary()
    seconds = dict.fromkeys(named, 0)
    for name in named:
        areas = set(vocab.resolve_areas([name]))
        for entry in timeline:
            if entry.pose and areas & set(entry.pose.areas):
                seconds[name] += entry.hold
    return seconds


def dose_seconds(timeline: Timeline, named: Sequence[str], least: int) -> dict[str, int]:
    """Seconds each named area or group is held in a real stretch (a pose that works it at weight
    `least` or more), on the side that gets less: what the dose is measured by."""
    vocab = vocabulary()
    held: dict[str, int] = {}
    for name in named:
        areas = set(vocab.resolve_areas([name]))
        sides = {"right": 0, "left": 0}
        for entry in timeline:
            pose = entry.pose
            if pose and max((w for a, w in pose.areas.items() if a in areas), default=0) >= least:
                for side in (entry.side,) if entry.side else tuple(sides):
                    sides[side] += entry.hold
        held[name] = min(sides.values())
    return held


def favoured(named: Sequence[str], weights: dict[str, int], as_said: bool) -> str:
    """What the plan favours, in words: 'hips x3 and hamstrings (as you said)'."""
    words = " and ".join(f"{n}{_times(weights, n)}" for n in named)
    if words:
        words += " (as you said)" if as_said else " (the routine's focus)"
    return words


def _times(weights: dict[str, int], name: str) -> str:
    """' x3' when the named area or group was weighted, else ''."""
    weight = max(weights.get(a, 1) for a in vocabulary().resolve_areas([name]))
    return f" x{weight}" if weight > 1 else ""
