"""How much relief a session gives: the planner's scoring, and the numbers behind it.

The score of a session is the sum over its entries (every pose on every side, every round of a
flow) of

    relief(entry) = sum over areas a of  T(a) * W(pose, a) / 3 * g(hold)
    g(h) = tau * (1 - exp(-(h - settle) / tau))  for h > settle, else 0   (settle 10 s, tau 30 s)

- W(pose, a): how much the pose works area a, 1 (a little) to 3 (the main stretch), from the
  catalog.
- T(a): how much the person wants area a eased: the weight given with --tight (1 when none is
  given), and 0.2 for every area not named. With no --tight, the routine's own focus counts.
- g: the first seconds go to settling in; after that the next 30 s bring 63% of what the longest
  hold could ever bring, the 30 s after that another 23%. Spare time goes to the tightest areas
  first and is shared over several poses rather than piled on one. A flow's later rounds move
  back into a pose just held, so they need no settling in.

A resting pose (no areas, like Savasana) eases the whole body, slowly: 0.6 times the heaviest
weight named, with tau = 120 s once the first 30 s of settling down have passed. A custom pose
(an article's own, not in the catalog) stretches areas nobody knows, so it counts as the average
catalog stretch does under the same weights: tight areas named neither favour it nor rule it
out. A session that opens with a gentle beginner pose earns a bonus worth 15 s of the
heaviest-weighted stretch.
The numbers live in data/planner.yaml; the planner decides separately (by rule, not by score)
that only a session of 12 minutes or more ends in its resting pose.
"""

from __future__ import annotations

import math
from functools import cache, lru_cache
from typing import TYPE_CHECKING, Any, NamedTuple

from unknot.catalog.areas import named_areas
from unknot.catalog.poses import Pose, catalog
from unknot.catalog.vocabulary import vocabulary
from unknot.files import DATA
from unknot.guide.timeline import Timeline
from unknot.plan.needs import Needs, parse_tight
from unknot.routines.routine import Routine

if TYPE_CHECKING:
    from unknot.yamlfile import Field

RULES_FILE = DATA / "planner.yaml"


# -- rules -----------------------------------------------------------------------------------
class GridBand(NamedTuple):
    up_to: int
    step: int


class Rules(NamedTuple):
    settle_seconds: float
    tau_seconds: float
    rest_settle_seconds: float
    rest_tau_seconds: float
    rest_weight: float
    rest_from_minutes: float
    untight_weight: float
    gentle_start_bonus: float
    shortest_rest: int
    dose_seconds: int
    dose_weight: int
    warm_up_seconds: int
    grid: tuple[GridBand, ...]


def _number(field: Field, low: float, high: float) -> float:
    if field.kind not in ("int", "float"):
        raise field.error(f"is {field.describe()}", f"a number from {low} to {high}")
    value = float(field.scalar())
    if not low <= value <= high:
        raise field.error(f"{value:g} is out of range", f"a number from {low} to {high}")
    return value


def read_rules() -> Rules:
    from unknot.yamlfile import load

    names = [n for n in Rules._fields if n != "grid"]
    fields = load(RULES_FILE, what="planner rules").mapping(
        [*names, "grid"], required=[*names, "grid"]
    )
    values: dict[str, Any] = {n: _number(fields[n], 0, 10_000) for n in names}
    for whole in ("shortest_rest", "dose_seconds", "dose_weight", "warm_up_seconds"):
        values[whole] = int(values[whole])
    bands = []
    for band in fields["grid"].sequence(expected="a list of {up_to, step} bands"):
        parts = band.mapping(["up_to", "step"], required=["up_to", "step"])
        bands.append(
            GridBand(
                parts["up_to"].integer(low=1, high=3600), parts["step"].integer(low=1, high=600)
            )
        )
    return Rules(**values, grid=tuple(bands))


@cache
def rules() -> Rules:
    from unknot.cache import cached

    return cached("planner-rules", [RULES_FILE], read_rules)


def area_weights(needs: Needs, routine: Routine) -> dict[str, float]:
    """T(a) for every area: the person's tight areas, else the routine's focus, else all alike.

    A group's weight is shared among its areas (hips:3 is four areas at 0.75), so naming a group
    asks for as much as naming one area, not four times as much; an area named by itself too
    keeps its own weight."""
    vocab = vocabulary()
    low = rules().untight_weight
    named: dict[str, float] = {}
    said = list(needs.named) if needs.tight else list(named_areas(routine.focus))
    weights = needs.tight or (parse_tight(routine.focus, field="focus") if routine.focus else {})
    for name in said:
        areas = vocab.resolve_areas([name])
        weight = max(weights.get(a, 1) for a in areas) / len(areas)
        for area in areas:
            named[area] = max(named.get(area, 0.0), weight, low)
    if not named:
        return {a: 1.0 for a in vocab.areas}
    return {a: named.get(a, low) for a in vocab.areas}


def relief(
    pose: Pose | None, hold: float, weights: dict[str, float], r: Rules, *, settled: bool = False
) -> float:
    """What one entry of `hold` seconds is worth (see the module's docstring).

    `settled`: a flow's later rounds, moving back into a pose just held, need no settling in."""
    if pose is None:
        return 0.0
    if pose.resting:
        resting = max(0.0, hold - r.rest_settle_seconds)
        strength = r.rest_weight * max(weights.values(), default=1.0)
        return strength * r.rest_tau_seconds * (1 - math.exp(-resting / r.rest_tau_seconds))
    if pose.custom:
        strength = average_strength(tuple(sorted(weights.items())))
    else:
        strength = sum(weights.get(a, 0.0) * w / 3 for a, w in pose.areas.items())
    working = hold if settled else max(0.0, hold - r.settle_seconds)  # first, settle in
    return strength * r.tau_seconds * (1 - math.exp(-working / r.tau_seconds))


@lru_cache(maxsize=64)  # one set of weights a plan, asked for by every custom entry it scores
def average_strength(weights: tuple[tuple[str, float], ...]) -> float:
    """What the catalog's stretches (every pose with areas) work, on average, under `weights`:
    the strength a pose whose areas are not known is given."""
    weighed = dict(weights)
    found = [
        sum(weighed.get(a, 0.0) * w / 3 for a, w in p.areas.items()) for p in catalog() if p.areas
    ]
    return sum(found) / len(found) if found else 0.0


def score(timeline: Timeline, weights: dict[str, float], r: Rules) -> float:
    """The score of a whole session, from its timeline alone."""
    total = sum(relief(e.pose, e.hold, weights, r, settled=(e.round or 1) > 1) for e in timeline)
    first = timeline.entries[0].pose if timeline.entries else None
    return total + gentle_start(first, weights, r)


def gentle_start(first: Pose | None, weights: dict[str, float], r: Rules) -> float:
    """The bonus for opening with a gentle stretch (a beginner pose that is not a rest)."""
    if first is None or first.level != vocabulary().levels[0] or not first.areas:
        return 0.0
    return r.gentle_start_bonus * max(weights.values(), default=1.0)
