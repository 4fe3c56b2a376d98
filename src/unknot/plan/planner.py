"""Fit a routine to today: which steps to keep and how long to hold each.

The planner takes a routine and a person's needs (tight areas, minutes, poses to skip,
conditions to avoid, level) and returns a plan: the routine as it will be guided, its timeline,
and a decision for every step as written, with the reason.

First the routine is adapted: a skipped pose is left out; a pose that is not advised for a
condition to avoid, or above the person's level, is replaced by the first of its catalog
substitutes that suits, or left out when none does.

Then the planner chooses, for every step, whether to keep it and how long to hold it, to give
the most relief (as the `relief` module scores it) within the minutes. With --minutes shorter
than the routine any step may be left out, and the resting pose at the end is kept only in
sessions of 12 minutes or more; with more minutes than the routine needs, every step is kept and
nothing is shortened: the spare time lengthens holds.

Holds are chosen on a grid: from the low end of the written range (a resting pose may come
down to 60 s) up to twice its high end (at most 120 s; a resting pose keeps its written high
end), every 5 s up to a minute, every 15 s up to three, every 30 s beyond; a flow may also run
fewer rounds. Both sides of a per-side step always get the same hold, the order is the
routine's, and the time counted is the timeline's, moves between positions included.

The choice is exact, not greedy: the `search` module's dynamic programme. With only --tight,
every step is kept and the holds are shared out again within the routine's own length; with
neither --tight nor --minutes, the routine is kept as written (after skips and substitutes).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from itertools import pairwise
from typing import Any, NamedTuple

from unknot.catalog.areas import named_areas
from unknot.catalog.holds import Hold
from unknot.catalog.poses import LEVELS, Pose, catalog
from unknot.catalog.vocabulary import vocabulary
from unknot.errors import UnknotError
from unknot.guide.timeline import Timeline, expand, hold_for
from unknot.plan.needs import Needs, parse_tight
from unknot.plan.relief import Rules, area_weights, relief, rules, score
from unknot.routines.routine import FlowStep, PerSideBlock, PoseStep, RestStep, Routine, Step


# -- adapting the routine to skips, cautions and level -----------------------------------------
class Change(NamedTuple):
    """What adapting did to one pose: replaced it (substitute) or removed it (why)."""

    pose: Pose | None
    substitute_for: str = ""
    reason: str = ""


def _adapt_pose(pose: Pose, needs: Needs, used: set[str]) -> Change:
    """Keep, replace or remove one pose; `used` holds the poses the session has already."""
    if pose.name in needs.skip:
        return Change(None, reason="you asked to skip it")
    problem = _unsuited(pose, needs)
    if not problem:
        return Change(pose)
    taken = ""
    for name in pose.substitutes:
        substitute = catalog().find(name)
        if substitute.name in needs.skip or _unsuited(substitute, needs):
            continue
        if substitute.name in used:  # the same pose again and again is no session
            taken = taken or substitute.name
            continue
        used.add(substitute.name)
        return Change(substitute, pose.name, f"{problem}; {substitute.name} instead")
    if taken:
        return Change(
            None, reason=f"{problem}, and its substitute {taken} is in the session already"
        )
    return Change(None, reason=f"{problem}, and no substitute suits")


def _unsuited(pose: Pose, needs: Needs) -> str:
    cautions = [c for c in pose.avoid if c in needs.avoid]
    if cautions:
        return f"not advised for {', '.join(c.replace('-', ' ') for c in cautions)}"
    if needs.level and LEVELS.index(pose.level) > LEVELS.index(needs.level):
        return f"{pose.level}, above {needs.level}"
    return ""


class Unit:
    """One step as written, what adapting made of it, and what the planner chose."""

    def __init__(
        self, written: PoseStep | FlowStep | RestStep, needs: Needs, used: set[str]
    ) -> None:
        self.written = written
        self.changes: list[Change] = []
        self.step: PoseStep | FlowStep | RestStep | None = self._adapt(written, needs, used)
        self.choice: Option | None = None
        self.required = False  # the search may not leave it out

    def _adapt(
        self, step: PoseStep | FlowStep | RestStep, needs: Needs, used: set[str]
    ) -> PoseStep | FlowStep | RestStep | None:
        if isinstance(step, RestStep):
            return step
        if isinstance(step, PoseStep):
            change = _adapt_pose(step.pose, needs, used)
            self.changes.append(change)
            return step._replace(pose=change.pose) if change.pose else None
        self.changes = [_adapt_pose(p, needs, used) for p in step.poses]
        poses = tuple(c.pose for c in self.changes if c.pose)
        if len(poses) >= 2:
            return step._replace(poses=poses)
        if len(poses) == 1:
            return PoseStep(poses[0], step.hold, step.note)
        return None


class Block:
    def __init__(self, written: PerSideBlock, needs: Needs, used: set[str]) -> None:
        self.written = written
        self.units = [Unit(s, needs, used) for s in written.steps]
        self.back_to = Unit(written.back_to, needs, used) if written.back_to else None


class Option(NamedTuple):
    """One way to do a step: its hold (the first round's, for a flow) and a flow's rounds."""

    hold: int
    rounds: int = 0


# -- the options and what they cost ----------------------------------------------------------
def hold_grid(low: int, high: int, r: Rules) -> list[int]:
    """Holds from `low` to `high` on the planner's grid, both ends included."""
    holds = {low, high}
    value = low
    for band in r.grid:
        value = max(value, math.ceil(value / band.step) * band.step)
        while value <= min(band.up_to, high):
            holds.add(value)
            value += band.step
    return sorted(h for h in holds if low <= h <= high)


def hold_choices(pose: Pose | None, written: Hold, r: Rules) -> list[int]:
    """The holds the planner may give a step whose written hold is `written`."""
    if pose is not None and not pose.areas:  # a resting pose: shorter when time is short
        low = min(written.low, r.shortest_rest)
        return sorted(set(hold_grid(low, written.high, r)) | {written.seconds})
    high = max(written.high, min(r.longest_hold, round(written.high * r.longest_factor)))
    return sorted(set(hold_grid(written.low, high, r)) | {written.seconds})


class Shape(NamedTuple):
    """A step as the search sees it: positions at its two ends, and each option's cost and value."""

    enter: str | None  # None: a rest, taken where the last pose left off
    exit: str | None
    options: list[tuple[Option, int, float]]
    first_pose: Pose | None


class Context(NamedTuple):
    needs: Needs
    routine: Routine
    weights: dict[str, float]
    rules: Rules
    reliefs: dict[tuple[str, int, bool], float] = {}  # noqa: RUF012 - replaced per plan, see plan()

    def relief(self, pose: Pose, hold: int, settled: bool = False) -> float:
        """`relief` of one entry, remembered: the search asks for the same ones many times."""
        key = (pose.name, hold, settled)
        found = self.reliefs.get(key)
        if found is None:
            found = self.reliefs[key] = relief(
                pose, hold, self.weights, self.rules, settled=settled
            )
        return found

    def written_hold(self, step_hold: Hold | None, pose: Pose | None) -> Hold:
        return hold_for(step_hold, self.needs.hold, self.routine.hold, pose)

    def trans(self, before: str | None, after: str) -> int:
        return vocabulary().transition_seconds(before, after)


def _pass(
    poses: Sequence[tuple[Pose, int]], ctx: Context, first_round: int = 0
) -> tuple[int, float]:
    """Seconds and relief of entries in a row (holds plus the moves between them); entries from
    index `first_round` on are a flow's later rounds."""
    seconds = sum(h for _, h in poses)
    seconds += sum(ctx.trans(a.position, b.position) for (a, _), (b, _) in pairwise(poses))
    later = first_round or len(poses)
    value = sum(ctx.relief(p, h, n >= later) for n, (p, h) in enumerate(poses))
    return seconds, value


def _flow_entries(step: FlowStep, option: Option, ctx: Context) -> list[tuple[Pose, int]]:
    later = step.then_hold.seconds if step.then_hold else option.hold
    return [(p, option.hold if n == 0 else later) for n in range(option.rounds) for p in step.poses]


def shape(step: PoseStep | FlowStep | RestStep, ctx: Context, *, both_sides: bool) -> Shape:
    """Positions and options of one step; `both_sides` when it runs twice by itself (top level)."""
    if isinstance(step, RestStep):
        return Shape(None, None, [(Option(step.hold.seconds), step.hold.seconds, 0.0)], None)
    if isinstance(step, PoseStep):
        pose = step.pose
        twice = both_sides and pose.per_side
        options = []
        for h in hold_choices(pose, ctx.written_hold(step.hold, pose), ctx.rules):
            seconds, value = _pass([(pose, h)], ctx)
            if twice:
                seconds, value = 2 * seconds + ctx.trans(pose.position, pose.position), 2 * value
            options.append((Option(h), seconds, value))
        return Shape(pose.position, pose.position, options, pose)
    first, last = step.poses[0], step.poses[-1]
    twice = both_sides and any(p.per_side for p in step.poses)
    options = []
    for rounds in range(1, step.rounds + 1):
        for h in hold_choices(first, ctx.written_hold(step.hold, first), ctx.rules):
            option = Option(h, rounds)
            seconds, value = _pass(_flow_entries(step, option, ctx), ctx, len(step.poses))
            if twice:
                seconds, value = 2 * seconds + ctx.trans(last.position, first.position), 2 * value
            options.append((option, seconds, value))
    return Shape(first.position, last.position, options, first)


# -- the plan --------------------------------------------------------------------------------
class Decision(NamedTuple):
    """What became of one step as written, and why."""

    pose: str  # the step as written (for a flow: its poses joined by " / ")
    status: str  # kept, shortened, lengthened, substituted, left out
    reason: str
    written_hold: int
    hold: int | None  # None when left out
    instead: str = ""  # the substitute actually done, if any

    @property
    def kept(self) -> bool:
        return self.hold is not None


class Plan(NamedTuple):
    routine: Routine  # as it will be guided
    timeline: Timeline
    decisions: tuple[Decision, ...]
    needs: Needs
    budget: int | None  # seconds, when --minutes was given
    score: float
    area_seconds: dict[str, int]  # seconds of hold each named area or group gets
    favoured: str = ""  # what the plan favours, in words: "hips x3 and hamstrings (yours)"

    def to_json(self) -> dict[str, Any]:
        data = self.timeline.to_json()
        data["minutes"] = self.needs.minutes
        data["score"] = round(self.score, 2)
        data["decisions"] = [
            {
                "pose": d.pose,
                "kept": d.kept,
                "status": d.status,
                "reason": d.reason,
                "written_hold_seconds": d.written_hold,
                "hold_seconds": d.hold,
                "instead": d.instead or None,
            }
            for d in self.decisions
        ]
        data["areas"] = {a: {"seconds": s} for a, s in self.area_seconds.items()}
        data["favoured"] = self.favoured
        return data


Layout = list[Unit | Block]


def _layout(routine: Routine, needs: Needs) -> Layout:
    used = {p.name for p in routine.poses()}
    return [
        Block(s, needs, used) if isinstance(s, PerSideBlock) else Unit(s, needs, used)
        for s in routine.steps
    ]


def units_of(layout: Layout) -> Iterator[Unit]:
    for item in layout:
        if isinstance(item, Block):
            yield from item.units
            if item.back_to:
                yield item.back_to
        else:
            yield item


def _search(task: Problem) -> float:
    """Run the exact search and store each unit's chosen option; returns the best score."""
    from unknot.plan.search import Search  # NumPy, only when there is something to choose

    search = Search(task.limit, task.ctx, task.keep_all)
    layout = task.layout
    deciders: list[tuple[Unit, Shape] | None] = []  # what each layer of the search decides
    for item in layout:
        if isinstance(item, Unit):
            if item.step is not None:
                outer = task.options(item, both_sides=True)
                search.outer(outer, item.required)
                deciders.append((item, outer))
            continue
        inner = [u for u in item.units if u.step is not None]
        if not inner:
            continue
        for unit in inner:
            one_side = task.options(unit)
            search.inner(one_side, unit.required)
            deciders.append((unit, one_side))
        back = item.back_to if item.back_to and item.back_to.step else None
        back_shape = task.options(back) if back else None
        search.close(back_shape)
        deciders.append((back, back_shape) if back and back_shape else None)
    best, chosen = search.best()
    for decider, option in zip(deciders, chosen, strict=True):
        if decider is not None:
            unit, its_shape = decider
            unit.choice = its_shape.options[option][0] if option >= 0 else None
    return best


def _keep_as_written(layout: Layout, ctx: Context) -> None:
    for unit in units_of(layout):
        step = unit.step
        if step is None:
            continue
        pose = step.poses[0] if isinstance(step, FlowStep) else getattr(step, "pose", None)
        hold = step.hold
        rounds = step.rounds if isinstance(step, FlowStep) else 0
        unit.choice = Option(ctx.written_hold(hold, pose).seconds, rounds)


def _chosen_step(unit: Unit) -> PoseStep | FlowStep | RestStep | None:
    step, choice = unit.step, unit.choice
    if step is None or choice is None:
        return None
    fixed = Hold(choice.hold, choice.hold)
    if isinstance(step, RestStep):
        return step
    if isinstance(step, FlowStep):
        return step._replace(rounds=choice.rounds, hold=fixed)
    return step._replace(hold=fixed)


def shaped_routine(routine: Routine, layout: Layout, chosen_holds: bool) -> Routine:
    """The routine as it will be guided: kept steps, with the chosen holds (or as written)."""

    def step_of(unit: Unit) -> PoseStep | FlowStep | RestStep | None:
        return _chosen_step(unit) if chosen_holds else unit.step

    steps: list[Step] = []
    for item in layout:
        if isinstance(item, Unit):
            chosen = step_of(item)
            if chosen:
                steps.append(chosen)
            continue
        inner = tuple(s for s in (step_of(u) for u in item.units) if s)
        back = step_of(item.back_to) if item.back_to else None
        if inner:
            steps.append(
                PerSideBlock(inner, back if isinstance(back, PoseStep) else None, item.written.note)
            )
    return routine._replace(steps=tuple(steps))


def _written_name(step: PoseStep | FlowStep | RestStep) -> str:
    if isinstance(step, RestStep):
        return "Rest"
    if isinstance(step, FlowStep):
        return " / ".join(p.name for p in step.poses)
    return step.pose.name


def _works(step: PoseStep | FlowStep | RestStep | None, named: dict[str, set[str]]) -> str:
    """Which of the named areas or groups the step stretches, in words ('' for none)."""
    if step is None or isinstance(step, RestStep):
        return ""
    poses = step.poses if isinstance(step, FlowStep) else (step.pose,)
    stretched = {a for p in poses for a in p.areas}
    return " and ".join(n for n, areas in named.items() if stretched & areas)


def _stretches(step: PoseStep | RestStep) -> bool:
    return isinstance(step, PoseStep) and bool(step.pose.areas)


def _decision(unit: Unit, ctx: Context, budget: int | None, named: dict[str, set[str]]) -> Decision:
    written = unit.written
    first = written.poses[0] if isinstance(written, FlowStep) else getattr(written, "pose", None)
    written_hold = ctx.written_hold(written.hold, first).seconds
    name = _written_name(written)
    substitutes = [c for c in unit.changes if c.substitute_for]
    instead = ", ".join(c.pose.name for c in substitutes if c.pose)
    works = _works(unit.step, named)
    if unit.step is None:
        reasons = "; ".join(c.reason for c in unit.changes if c.reason) or "left out"
        return Decision(name, "left out", reasons, written_hold, None)
    if unit.choice is None:
        why = f"did not fit in {_minutes(budget)}: "
        if works:
            why += f"other poses ease {works} more in the time"
        elif unit.step.poses[0].areas if isinstance(unit.step, FlowStep) else _stretches(unit.step):
            why += "it stretches none of " + (" or ".join(named) or "what you named")
        else:
            why += "a rest comes once there are minutes to spare"
        if substitutes:
            why = "; ".join(c.reason for c in substitutes) + f", which {why}"
        return Decision(name, "left out", why, written_hold, None, instead)
    hold = unit.choice.hold
    step = unit.step
    rounds_cut = isinstance(step, FlowStep) and unit.choice.rounds < step.rounds
    if substitutes:
        reason = "; ".join(c.reason for c in substitutes)
        return Decision(name, "substituted", reason, written_hold, hold, instead)
    if hold < written_hold or rounds_cut:
        extra = (
            f", {unit.choice.rounds} of {step.rounds} rounds"
            if isinstance(step, FlowStep) and rounds_cut
            else ""
        )
        goal = f"to fit {_minutes(budget)}" if budget else "to give other poses more time"
        return Decision(name, "shortened", f"shortened{extra} {goal}", written_hold, hold)
    if hold > written_hold:
        why = f"held longer: it eases {works}" if works else "held longer: there is time to spare"
        return Decision(name, "lengthened", why, written_hold, hold)
    return Decision(name, "kept", "as written", written_hold, hold)


def _area_seconds(timeline: Timeline, named: Sequence[str]) -> dict[str, int]:
    """Seconds of holds that stretch each area or group the person named."""
    vocab = vocabulary()
    seconds = dict.fromkeys(named, 0)
    for name in named:
        areas = set(vocab.resolve_areas([name]))
        for entry in timeline:
            if entry.pose and areas & set(entry.pose.areas):
                seconds[name] += entry.hold
    return seconds


def _prepend(routine: Routine, extra: Sequence[str]) -> Routine:
    """Routines named with --with, done before this one within the same minutes."""
    from unknot.routines.routine import resolve

    before: list[Step] = []
    for name in extra:
        other = resolve(name)
        hold = other.hold
        for step in other.steps:
            before.append(_with_default_hold(step, hold))
    return routine._replace(steps=(*before, *routine.steps))


def _with_default_hold(step: Step, hold: Hold | None) -> Step:
    """A step from another routine keeps that routine's default hold."""
    if hold is None:
        return step
    if isinstance(step, PerSideBlock):
        inner = tuple(_with_default_hold(s, hold) for s in step.steps)
        return step._replace(steps=inner)  # type: ignore[arg-type]
    if isinstance(step, (PoseStep, FlowStep)) and step.hold is None:
        return step._replace(hold=hold)
    return step


class Problem(NamedTuple):
    """What the search solves: the adapted steps, the budget and what may change."""

    routine: Routine
    layout: Layout
    ctx: Context
    budget: int | None  # seconds, when --minutes was given
    limit: int  # the seconds the search may use (the budget, or the routine's own length)
    optimise: bool  # False: the routine as written (after skips and substitutes)
    keep_all: bool  # no step may be left out
    at_least_written: bool  # no hold may be shorter than written

    def options(self, unit: Unit, *, both_sides: bool = False) -> Shape:
        """The step's options on the planner's grid, as the search may choose them."""
        assert unit.step is not None and unit.choice is not None
        found = shape(unit.step, self.ctx, both_sides=both_sides)
        if not self.at_least_written:
            return found
        written = unit.choice
        return found._replace(
            options=[
                o
                for o in found.options
                if o[0].hold >= written.hold and o[0].rounds >= written.rounds
            ]
        )

    def droppable(self, unit: Unit) -> bool:
        return not (self.keep_all or unit.required)


def problem(routine: Routine, needs: Needs, planner_rules: Rules | None = None) -> Problem:
    """Adapt the routine to the needs and say what the search may do with it."""
    routine = _prepend(routine, needs.extra) if needs.extra else routine
    ctx = Context(needs, routine, area_weights(needs, routine), planner_rules or rules(), {})
    layout = _layout(routine, needs)
    budget = round(needs.minutes * 60) if needs.minutes else None
    _drop_rests(layout, budget, ctx.rules)
    if not any(u.step is not None for u in units_of(layout)):
        raise UnknotError(
            "nothing is left to do: every step was skipped or is not advised",
            expected="fewer --skip, --avoid or --level limits",
        )
    _keep_as_written(layout, ctx)
    optimise = budget is not None or bool(needs.tight)
    written = expand(shaped_routine(routine, layout, True)).total if optimise else 0
    spare = budget is not None and budget >= written
    keep_all = budget is None or spare  # share out the routine's own time, or more
    limit = budget if budget is not None else written
    return Problem(routine, layout, ctx, budget, limit, optimise, keep_all, spare)


def plan(routine: Routine, needs: Needs, planner_rules: Rules | None = None) -> Plan:
    """The routine fitted to today's needs (see the module's docstring)."""
    task = problem(routine, needs, planner_rules)
    ctx, layout, budget = task.ctx, task.layout, task.budget
    best = _search(task) if task.optimise else 0.0
    shaped = shaped_routine(task.routine, layout, task.optimise)
    if not shaped.steps:
        raise UnknotError(
            f"nothing fits in {needs.minutes:g} minutes", field="minutes", expected="more minutes"
        )
    hold = None if task.optimise else needs.hold
    timeline = expand(shaped, hold=hold, first_side=needs.first_side)
    total = score(timeline, ctx.weights, ctx.rules)
    if task.optimise:  # the search's own figure must be the timeline's: a check on its model
        assert abs(total - best) < 1e-6, (total, best)
    focus = task.routine.focus
    named = list(needs.named or named_areas(focus))
    named_sets = {n: set(vocabulary().resolve_areas([n])) for n in named}
    decisions = tuple(_decision(u, ctx, budget, named_sets) for u in units_of(layout))
    weights = needs.tight or parse_tight(focus, field="focus")
    favoured = " and ".join(f"{n}{_times(weights, n)}" for n in named)
    if favoured:
        favoured += " (as you said)" if needs.named else " (the routine's focus)"
    area_seconds = _area_seconds(timeline, named)
    return Plan(shaped, timeline, decisions, needs, budget, total, area_seconds, favoured)


def _times(weights: dict[str, int], name: str) -> str:
    """' x3' when the named area or group was weighted, else ''."""
    weight = max(weights.get(a, 1) for a in vocabulary().resolve_areas([name]))
    return f" x{weight}" if weight > 1 else ""


def _drop_rests(layout: Layout, budget: int | None, r: Rules) -> None:
    """With minutes to fit, pauses go first; a resting pose ends only a long enough session."""
    for unit in units_of(layout):
        if budget is not None and isinstance(unit.step, RestStep):
            unit.step = None
            unit.changes.append(Change(None, reason=f"a pause, left out to fit {_minutes(budget)}"))
        resting = isinstance(unit.step, PoseStep) and not unit.step.pose.areas
        if budget is not None and resting:
            if budget >= r.rest_from_minutes * 60:
                unit.required = True
            else:
                unit.step = None
                why = f"a session under {r.rest_from_minutes:g} minutes ends without the long rest"
                unit.changes.append(Change(None, reason=why))
    for item in layout:  # a pause cannot open a side: it would have nothing to follow
        if isinstance(item, Block):
            kept = [u for u in item.units if u.step is not None]
            if kept and isinstance(kept[0].step, RestStep):
                kept[0].step = None
                kept[0].changes.append(
                    Change(None, reason="a pause with nothing before it on a side")
                )


def _minutes(budget: int | None) -> str:
    minutes = (budget or 0) / 60
    return f"{minutes:g} minute" + ("" if minutes == 1 else "s")


def exhaustive_score(routine: Routine, needs: Needs, planner_rules: Rules | None = None) -> float:
    """The best score by trying every combination of options: the reference the planner's search
    is checked against (in the tests and the benchmark). Only for routines small enough."""
    from itertools import product

    task = problem(routine, needs, planner_rules)
    units = [u for u in units_of(task.layout) if u.step is not None]
    choices: list[list[Option | None]] = []
    for unit in units:
        options: list[Option | None] = [o for o, _, _ in task.options(unit).options]
        if task.optimise and task.droppable(unit):
            options.append(None)
        choices.append(options if task.optimise else [unit.choice])
    best = -math.inf
    for combination in product(*choices):
        for unit, choice in zip(units, combination, strict=True):
            unit.choice = choice
        shaped = shaped_routine(task.routine, task.layout, task.optimise)
        if not shaped.steps:
            continue
        hold = None if task.optimise else needs.hold
        timeline = expand(shaped, hold=hold, first_side=needs.first_side)
        if task.optimise and timeline.total > task.limit:
            continue
        best = max(best, score(timeline, task.ctx.weights, task.ctx.rules))
    return best
