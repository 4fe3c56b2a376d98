"""Fit a routine to today: which steps to keep and how long to hold each.

The planner takes a routine and a person's needs (tight areas, minutes, poses to skip,
conditions to avoid, level) and returns a plan: the routine as it will be guided, its timeline,
and a decision for every step as written, with the reason.

First the routine is adapted (`adapt`): a skipped pose is left out; a pose that a condition to
avoid rules out, above the person's level (an advanced pose needs --level advanced) or needing a
prop not at hand is replaced by the catalog pose that serves best in its place, or left out.
Then the session's demands are fixed (`doses`): a warm-up before the first deep pose, and a
minute each side for every area named, catalog poses brought in when the routine cannot; when
the minutes cannot hold them all, the last are given up first.

Then the planner chooses, for every step, whether to keep it and how long to hold it, to give
the most relief (as the `relief` module scores it) within the minutes. With --minutes shorter
than the routine any step may be left out, and the resting pose at the end is kept only in
sessions of 12 minutes or more; with more minutes than the routine needs, every step is kept and
nothing is shortened: the spare time lengthens holds.

Holds are chosen on a grid (`options`): from the low end of the written range (a resting pose
may come down to 60 s) up to the high end of the written range or the pose's own, whichever is
longer (an inversion keeps its written hold), every 5 s up to a minute, every 15 s up to three,
every 30 s beyond; a flow may also run fewer rounds. Both sides of a per-side step always get
the same hold, the order is the routine's, and the time counted is the timeline's, moves between
positions included.

The choice is exact, not greedy: the `search` module's dynamic programme. With only --tight,
every step is kept and the holds are shared out again within the routine's own length; with
neither --tight nor --minutes, the routine is kept as written (after skips and substitutes).
A plan that needed a search is kept between runs (see `plan`), so the same plan again costs
none.
"""

from __future__ import annotations

import pickle
import zlib
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from unknot.cache import cached
from unknot.catalog.areas import named_areas
from unknot.catalog.holds import Hold
from unknot.catalog.poses import catalog_files
from unknot.catalog.vocabulary import vocabulary
from unknot.errors import UnknotError
from unknot.guide.timeline import PHRASES_FILE, Timeline, expand
from unknot.plan.adapt import Change
from unknot.plan.doses import Demand, apply, demands
from unknot.plan.explain import (
    Decision,
    area_seconds,
    decide,
    dose_seconds,
    favoured,
    in_minutes,
    named_sets,
)
from unknot.plan.layout import (
    Block,
    Layout,
    Unit,
    keep_as_written,
    lay_out,
    shaped_routine,
    units_of,
)
from unknot.plan.model import Context, Option, Shape
from unknot.plan.needs import Needs, parse_tight
from unknot.plan.relief import Rules, area_weights, rules, score
from unknot.routines.routine import (
    FlowStep,
    PerSideBlock,
    PoseStep,
    RestStep,
    Routine,
    Step,
    resolve,
)

if TYPE_CHECKING:
    from unknot.plan.search import Layer, Search

__all__ = ["Decision", "Plan", "Problem", "plan", "problem", "units_of"]

# Up to this many (seconds x options), the search runs in plain Python (`frontier`: at most some
# 30 ms, as for after-long-run with foam-rolling first), which beats NumPy's import alone; above
# it, the NumPy tables (`dense`) are quicker, import included (benchmarks/planner.py).
FRONTIER_UP_TO = 300_000


class Plan(NamedTuple):
    routine: Routine  # as it will be guided
    timeline: Timeline
    decisions: tuple[Decision, ...]
    needs: Needs
    budget: int | None  # seconds, when --minutes was given
    score: float
    area_seconds: dict[str, int]  # seconds of hold each named area or group gets
    favoured: str = ""  # what the plan favours, in words: "hips x3 and hamstrings (yours)"
    doses: dict[str, int] = {}  # noqa: RUF012 - per named area: seconds in a real stretch, each side

    def to_json(self) -> dict[str, Any]:
        data = self.timeline.to_json()
        data["minutes"] = self.needs.minutes
        data["score"] = round(self.score, 2)
        data["decisions"] = [
            {
                "pose": d.pose,
                "kept": d.kept,
                "status": d.status.value,
                "reason": d.reason,
                "written_hold_seconds": d.written_hold,
                "hold_seconds": d.hold,
                "instead": d.instead or None,
            }
            for d in self.decisions
        ]
        data["areas"] = {a: {"seconds": s} for a, s in self.area_seconds.items()}
        data["favoured"] = self.favoured
        data["doses"] = {a: {"seconds_each_side": s} for a, s in self.doses.items()}
        return data


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
    demands: tuple[Demand, ...] = ()  # what the session owes (a warm-up, doses), kept

    def options(self, unit: Unit, *, both_sides: bool = False) -> Shape:
        """The step's options on the planner's grid, as the search may choose them."""
        from unknot.plan.options import shape  # the search's modules: only a search loads them

        assert unit.step is not None and unit.choice is not None
        found = shape(unit.step, self.ctx, both_sides=both_sides)
        least = Option(unit.least_hold, 0)
        if self.at_least_written:
            least = Option(max(least.hold, unit.choice.hold), unit.choice.rounds)
        return found._replace(
            options=[
                o for o in found.options if o[0].hold >= least.hold and o[0].rounds >= least.rounds
            ]
        )

    def droppable(self, unit: Unit) -> bool:
        return not (self.keep_all or unit.required)


def problem(
    routine: Routine, needs: Needs, planner_rules: Rules | None = None, owed: int | None = None
) -> Problem:
    """Adapt the routine to the needs and say what the search may do with it; `owed` is how many
    of the session's demands (`doses`) it keeps, in their order (None: every one)."""
    routine = _prepend(routine, needs.extra) if needs.extra else routine
    ctx = Context(needs, routine, area_weights(needs, routine), planner_rules or rules(), {})
    layout = lay_out(routine, needs)
    budget = round(needs.minutes * 60) if needs.minutes else None
    _drop_rests(layout, budget, ctx.rules)
    if not any(u.step is not None for u in units_of(layout)):
        raise UnknotError(
            "nothing is left to do: every step was skipped or is not advised",
            expected="fewer --skip, --avoid or --level limits",
        )
    keep_as_written(layout, ctx)
    optimise = budget is not None or bool(needs.tight)
    found: list[Demand] = []
    if optimise:
        used = {p.name for p in routine.poses()}
        used |= {c.pose.name for u in units_of(layout) for c in u.changes if c.pose}
        found = demands(layout, ctx, used)
        kept = found[: len(found) if owed is None else owed]
        keep = {id(u) for d in kept for u, _ in d.holds}
        layout[:] = [i for i in layout if not (isinstance(i, Unit) and i.added) or id(i) in keep]
        apply(kept)
        found = kept
    shaped = shaped_routine(routine, layout, True)
    written = expand(shaped, guide=needs.voicing).total if optimise else 0
    spare = budget is not None and budget >= written
    keep_all = budget is None or spare  # share out the routine's own time, or more
    limit = budget if budget is not None else written
    return Problem(routine, layout, ctx, budget, limit, optimise, keep_all, spare, tuple(found))


def plan(routine: Routine, needs: Needs, planner_rules: Rules | None = None) -> Plan:
    """The routine fitted to today's needs (see the module's docstring).

    A plan that needs a search is kept in unknot's cache, found again by everything it is made
    from: the routine and any --with routines (their poses in full), the needs, the rules, the
    vocabulary, every catalog file (any pose may come in) and the guide's phrases file
    (unknot's version and code are in every cache entry's stamp). A plan made by no search is
    quicker made again.
    """
    if not (needs.minutes or needs.tight):
        return _fit(routine, needs, planner_rules)
    return _remembered(routine, needs, planner_rules or rules())


def _remembered(routine: Routine, needs: Needs, planner_rules: Rules) -> Plan:
    extras = tuple(resolve(name) for name in needs.extra)
    # Each part pickled apart: an object two parts share is pickled once, then referred to, and
    # whether they share one depends on how they were loaded, not on what they hold.
    parts = (routine, *extras, needs, planner_rules, vocabulary())
    pickled = [pickle.dumps(part, protocol=pickle.HIGHEST_PROTOCOL) for part in parts]
    key = b"".join(len(p).to_bytes(8, "big") + p for p in pickled)

    def build() -> tuple[bytes, Plan]:
        return key, _fit(routine, needs, planner_rules)

    # The entry's name is only a hash: the key kept in it is compared in full, so two needs that
    # share a hash cost a search, never a wrong plan.
    # Any catalog pose may come in (a substitute, a dose), so every catalog file is a source.
    sources = [PHRASES_FILE, *catalog_files()]
    kept_key, kept = cached(f"plan-{zlib.crc32(key):08x}", sources, build)
    return kept if kept_key == key else _fit(routine, needs, planner_rules)


def _fit(routine: Routine, needs: Needs, planner_rules: Rules | None) -> Plan:
    task = problem(routine, needs, planner_rules)
    while True:  # when the minutes cannot hold every demand, the last ones are given up first
        try:
            if task.demands and _cannot_hold(task):
                raise UnknotError("the demands do not fit")  # known without a search
            best = _search(task) if task.optimise else 0.0
            break
        except UnknotError:
            if not task.demands:
                raise
            task = problem(routine, needs, planner_rules, len(task.demands) - 1)
    ctx, layout, budget = task.ctx, task.layout, task.budget
    shaped = shaped_routine(task.routine, layout, task.optimise)
    if not shaped.steps:
        raise UnknotError(
            f"nothing fits in {needs.minutes:g} minutes", field="minutes", expected="more minutes"
        )
    hold = None if task.optimise else needs.hold
    timeline = expand(shaped, hold=hold, first_side=needs.first_side, guide=needs.voicing)
    total = score(timeline, ctx.weights, ctx.rules)
    if task.optimise:  # the search's own figure must be the timeline's: a check on its model
        assert abs(total - best) < 1e-6, (total, best)
    focus = task.routine.focus
    named = list(needs.named or named_areas(focus))
    sets = named_sets(named)
    decisions = tuple(decide(u, ctx, budget, sets) for u in units_of(layout))
    weights = needs.tight or parse_tight(focus, field="focus")
    words = favoured(named, weights, bool(needs.named))
    held = dose_seconds(timeline, needs.named, ctx.rules.dose_weight)
    return Plan(
        shaped, timeline, decisions, needs, budget, total, area_seconds(timeline, named), words,
        held,
    )  # fmt: skip


def _cannot_hold(task: Problem) -> bool:
    """Whether the steps the search must keep take longer than it may use, by their shortest
    options alone (the moves between them not counted): a search would find no plan."""
    least = 0
    for item in task.layout:
        # On its own, both sides in a row; inside a block, once a side (the pose back to the
        # start is done only when the block is, so it is not counted).
        steps = [(item, True, 1)] if isinstance(item, Unit) else [(u, False, 2) for u in item.units]
        for unit, both_sides, times in steps:
            if not (unit.required and unit.step is not None):
                continue
            options = task.options(unit, both_sides=both_sides).options
            if not options:
                return True
            least += times * options[0][1]
    return least > task.limit


def search_layers(task: Problem) -> tuple[list[Layer], list[tuple[Unit, Shape] | None]]:
    """The search's layers in order, and the unit each decides (None: a block's end alone)."""
    from unknot.plan.search import Layer

    layers: list[Layer] = []
    deciders: list[tuple[Unit, Shape] | None] = []
    for item in task.layout:
        if isinstance(item, Unit):
            if item.step is not None:
                outer = task.options(item, both_sides=True)
                layers.append(Layer("outer", outer, item.required))
                deciders.append((item, outer))
            continue
        inner = [u for u in item.units if u.step is not None]
        if not inner:
            continue
        for unit in inner:
            one_side = task.options(unit)
            layers.append(Layer("inner", one_side, unit.required))
            deciders.append((unit, one_side))
        back = item.back_to if item.back_to and item.back_to.step else None
        back_shape = task.options(back) if back else None
        layers.append(Layer("close", back_shape, bool(back and back.required)))
        deciders.append((back, back_shape) if back and back_shape else None)
    return layers, deciders


def _search(task: Problem) -> float:
    """Run the exact search and store each unit's chosen option; returns the best score."""
    layers, deciders = search_layers(task)
    search: Search[Any, Any]
    work = (task.limit + 1) * sum(len(layer.shape.options) for layer in layers if layer.shape)
    if work <= FRONTIER_UP_TO:
        from unknot.plan.frontier import FrontierSearch

        search = FrontierSearch(task.limit, task.ctx, task.keep_all)
    else:
        from unknot.plan.dense import DenseSearch  # NumPy: imported only for a search this large

        search = DenseSearch(task.limit, task.ctx, task.keep_all)
    best, chosen = search.run(layers)
    for decider, option in zip(deciders, chosen, strict=True):
        if decider is not None:
            unit, its_shape = decider
            unit.choice = its_shape.options[option][0] if option >= 0 else None
    return best


def _prepend(routine: Routine, extra: Sequence[str]) -> Routine:
    """Routines named with --with, done before this one within the same minutes."""
    before: list[Step] = []
    for name in extra:
        other = resolve(name)
        before.extend(_with_default_hold(step, other.hold) for step in other.steps)
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


def _drop_rests(layout: Layout, budget: int | None, r: Rules) -> None:
    """With minutes to fit, pauses go first; a resting pose ends only a long enough session."""
    for unit in units_of(layout):
        if budget is not None and isinstance(unit.step, RestStep):
            unit.step = None
            unit.changes.append(
                Change(None, reason=f"a pause, left out to fit {in_minutes(budget)}")
            )
        resting = isinstance(unit.step, PoseStep) and unit.step.pose.resting
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
