"""What a session owes the person before the search shares out the rest of the time.

- **A warm-up.** Before its first deep pose a session spends `warm_up_seconds` in gentle or
  moderate ones: the first of the routine's own, or, when the routine opens deep, a gentle
  catalog pose brought in at the start.
- **A dose for every area named.** Each area or group the person names gets at least
  `dose_seconds` of holds on each side in poses that work it at `dose_weight` or more: the
  routine's best such pose is kept and held long enough (with a second one when one pose's range
  cannot hold the dose), and when the routine has none, the catalog's best is brought in.

Each is a `Demand`; the planner applies them in order (the warm-up, then the names from the
heaviest), and when the minutes cannot hold them all, it gives up the last ones first.
"""

from __future__ import annotations

from typing import NamedTuple

from unknot.catalog.poses import Pose, catalog
from unknot.catalog.vocabulary import vocabulary
from unknot.plan.adapt import NEVER_IN_PLACE_OF_ANOTHER, unsuited
from unknot.plan.layout import Block, Layout, Unit, units_of
from unknot.plan.model import Context, Option
from unknot.plan.options import hold_choices
from unknot.routines.routine import FlowStep, PoseStep

DEEP = "deep"
BROUGHT_IN_AT_MOST = 2  # catalog poses brought in for one named area


class Demand(NamedTuple):
    """Something the session owes: which units it keeps, each held at least so long."""

    what: str  # "warm-up", or the area or group named
    holds: tuple[tuple[Unit, int], ...]


def _pose(unit: Unit) -> Pose | None:
    step = unit.step
    if isinstance(step, FlowStep):
        return step.poses[0]
    return step.pose if isinstance(step, PoseStep) else None


def _longest(unit: Unit, ctx: Context) -> int:
    step = unit.step
    assert isinstance(step, (PoseStep, FlowStep))
    return max(hold_choices(_pose(unit), ctx.written_hold(step.hold, _pose(unit)), ctx.rules))


def _dose_weight(pose: Pose | None, areas: set[str]) -> int:
    if pose is None:
        return 0
    return max((w for a, w in pose.areas.items() if a in areas), default=0)


def demands(layout: Layout, ctx: Context, used: set[str]) -> list[Demand]:
    """Every demand, in the order the planner gives them up last to first (see the docstring);
    catalog poses a demand needs are put into `layout` as units marked `added`."""
    found = [d for d in (_warm_up(layout, ctx, used),) if d]
    r, vocab, needs = ctx.rules, vocabulary(), ctx.needs
    returns = {id(i.back_to) for i in layout if isinstance(i, Block) and i.back_to}
    for name in sorted(needs.named, key=lambda n: -_weight_of(n, ctx)):
        areas = set(vocab.resolve_areas([name]))
        serving = [
            u
            for u in units_of(layout)
            if u.step is not None
            and id(u) not in returns  # done only when its block is: it cannot carry a dose
            and _dose_weight(_pose(u), areas) >= r.dose_weight
        ]
        serving.sort(key=lambda u: (-_dose_weight(_pose(u), areas), -_longest(u, ctx)))
        holds: list[tuple[Unit, int]] = []
        owed = r.dose_seconds
        for unit in serving:
            if owed <= 0:
                break
            longest = _longest(unit, ctx)
            holds.append((unit, min(owed, longest)))
            owed -= longest
        for _ in range(BROUGHT_IN_AT_MOST):  # what the routine cannot hold, the catalog brings
            if owed <= 0:
                break
            brought = _bring_in(layout, areas, ctx, used, name, owed)
            if brought is None:
                break
            longest = _longest(brought, ctx)
            holds.append((brought, min(owed, longest)))
            owed -= longest
        if holds:
            found.append(Demand(name, tuple(holds)))
    return found


def _weight_of(name: str, ctx: Context) -> float:
    return max(ctx.needs.tight.get(a, 1) for a in vocabulary().resolve_areas([name]))


def apply(demands_kept: list[Demand]) -> None:
    """Make the units keep their demands: required, and held at least so long."""
    for demand in demands_kept:
        for unit, seconds in demand.holds:
            unit.required = True
            unit.least_hold = max(unit.least_hold, seconds)


def _warm_up(layout: Layout, ctx: Context, used: set[str]) -> Demand | None:
    returns = {id(i.back_to) for i in layout if isinstance(i, Block) and i.back_to}
    posed = [(u, p) for u in units_of(layout) if (p := _pose(u)) is not None]
    first_deep = next((n for n, (_, p) in enumerate(posed) if p.intensity == DEEP), None)
    if first_deep is None:
        return None
    owed = ctx.rules.warm_up_seconds
    holds: list[tuple[Unit, int]] = []
    for unit, before in posed[:first_deep]:
        if owed <= 0:
            break
        if not before.areas or id(unit) in returns:
            continue
        longest = _longest(unit, ctx)
        holds.append((unit, min(owed, longest)))
        owed -= longest
    if not holds:  # the routine opens deep: a gentle pose comes first
        deep = posed[first_deep][1]
        pose = _catalog_best(set(deep.areas), ctx, used, deep.position, gentle=True)
        if pose is None:
            return None
        unit = _added(pose, ctx, used, "brought in to warm up before the deeper poses")
        layout.insert(0, unit)
        holds.append((unit, min(owed, _longest(unit, ctx))))
    return Demand("warm-up", tuple(holds))


def _catalog_best(
    areas: set[str],
    ctx: Context,
    used: set[str],
    near: str | None,
    *,
    gentle: bool = False,
    owed: int = 0,
) -> Pose | None:
    """The catalog pose that works `areas` hardest and suits, holds `owed` seconds if one can,
    nearest to position `near`."""
    levels = {k: p.level for k, p in vocabulary().positions.items()}
    best: tuple[tuple[float, ...], Pose] | None = None
    for order, pose in enumerate(catalog()):
        weight = _dose_weight(pose, areas)
        if pose.name in used or pose.name in ctx.needs.skip or weight < ctx.rules.dose_weight:
            continue
        if gentle and pose.intensity == DEEP:
            continue
        if pose.rolls or (pose.dynamic and not gentle):  # a dose is a held stretch
            continue
        if any(t in pose.traits for t in NEVER_IN_PLACE_OF_ANOTHER) or unsuited(pose, ctx.needs):
            continue
        distance = abs(levels[pose.position] - levels[near]) if near else 0
        rank = (-weight, pose.hold.high < owed, distance, -pose.hold.high, order)
        if best is None or rank < best[0]:
            best = (rank, pose)
    return best[1] if best else None


def _added(pose: Pose, ctx: Context, used: set[str], why: str) -> Unit:
    used.add(pose.name)
    unit = Unit(PoseStep(pose, pose.hold), ctx.needs, used)
    unit.added = why
    unit.choice = Option(ctx.written_hold(pose.hold, pose).seconds)  # as keep_as_written does
    return unit


def _bring_in(
    layout: Layout, areas: set[str], ctx: Context, used: set[str], name: str, owed: int
) -> Unit | None:
    """The catalog's best pose for `areas`, put where its position fits the routine best."""
    # A custom pose's position is not known: a pose brought in is placed by the others.
    positions = [p.position for u in units_of(layout) if (p := _pose(u)) and not p.custom]
    pose = None
    for near in (*dict.fromkeys(positions), None):  # a pose in a position the routine uses first
        pose = _catalog_best(areas, ctx, used, near, owed=owed)
        if pose is not None:
            break
    if pose is None:
        return None
    label = name.replace("-", " ")
    unit = _added(pose, ctx, used, f"brought in to give {label} a full minute each side")
    layout.insert(_place(layout, pose), unit)
    return unit


def _place(layout: Layout, pose: Pose) -> int:
    """Where in the layout a pose brought in goes: after the last step in its position, before
    a resting pose at the end, else at the end."""
    levels = {k: p.level for k, p in vocabulary().positions.items()}
    best, best_distance = len(layout), None
    for index, item in enumerate(layout):
        unit = item.units[-1] if isinstance(item, Block) and item.units else item
        here = _pose(unit) if isinstance(unit, Unit) else None
        if here is None or not here.areas:
            continue
        distance = abs(levels[here.position] - levels[pose.position])
        if best_distance is None or distance <= best_distance:
            best, best_distance = index + 1, distance
    return best
