"""Fit a routine to today: which steps to keep and how long to hold each.

The planner takes a routine and a person's needs (tight areas, minutes, poses to skip,
conditions to avoid, level) and returns a plan: the routine as it will be guided, its timeline,
and a decision for every step as written, with the reason.

First the routine is adapted: a skipped pose is left out; a pose that is not advised for a
condition to avoid, or above the person's level, is replaced by the first of its catalog
substitutes that suits, or left out when none does.

Then the planner chooses, for every step, whether to keep it and how long to hold it, to give
the most relief within the minutes. The score of a session is the sum over its entries (every
pose on every side, every round of a flow) of

    relief(entry) = sum over areas a of  T(a) * W(pose, a) / 3 * g(hold)
    g(h) = tau * (1 - exp(-h / tau))                 (tau = 30 s)

where W(pose, a) is how much the pose works area a (1 a little, 3 the main stretch, from the
catalog) and T(a) how much the person wants area a eased: the weight they gave it with --tight
(1 when no weight is given), and 0.2 for every area they did not name. With no --tight, the
routine's own focus areas count 1. g gives diminishing returns: the first 30 s of a hold are
worth 63% of what the longest hold could ever give, the next 30 s another 23%, so spare time
goes to the tightest areas first and is spread over several poses rather than piled on one.

A resting pose (no areas, like Savasana) eases the whole body: 1.5 * g(hold) with tau = 60 s,
which is worth less per second than a stretch of a named area but more than the 0.2 of an
unnamed one: the session ends in rest when there are minutes to spare for it. A session that
opens with a beginner pose earns 25 more: it begins gently when it can. These numbers live in
data/planner.yaml.

Holds are chosen on a grid: from the low end of the written range (a resting pose may come
down to 60 s) up to twice its high end (at most 120 s; a resting pose keeps its written high
end), every 5 s up to a minute, every 15 s up to three, every 30 s beyond; a flow may also run
fewer rounds. Both sides of a per-side step always get the same hold, the order is the
routine's, and the time counted is the timeline's, moves between positions included.

The choice is exact, not greedy: a dynamic programme over the steps in order, whose state is the
base position of the last pose kept (the next move's cost depends on it; inside a per-side
block, also the block's first position, for the move back to the first side's start) and the
seconds used so far. With --minutes the budget is those minutes and any step may be left out;
with only --tight, every step is kept and the holds are shared out again within the routine's
own length; with neither, the routine is kept as written.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from functools import cache
from itertools import pairwise
from typing import TYPE_CHECKING, Any, NamedTuple

from unknot.catalog import LEVELS, Pose, catalog
from unknot.errors import UnknotError
from unknot.hold import Hold
from unknot.needs import Needs, named_areas, parse_tight
from unknot.routine import FlowStep, PerSideBlock, PoseStep, RestStep, Routine, Step
from unknot.timeline import REST_POSITION, Timeline, expand, hold_for
from unknot.vocabulary import DATA, vocabulary

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

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
    longest_factor: float
    longest_hold: int
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
    for whole in ("shortest_rest", "longest_hold"):
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


# -- scoring ---------------------------------------------------------------------------------
def area_weights(needs: Needs, routine: Routine) -> dict[str, float]:
    """T(a) for every area: the person's tight areas, else the routine's focus, else all alike."""
    vocab = vocabulary()
    named: dict[str, float] = {a: float(w) for a, w in needs.tight.items()}
    if not named and routine.focus:
        named = {a: float(w) for a, w in parse_tight(routine.focus, field="focus").items()}
    if not named:
        return {a: 1.0 for a in vocab.areas}
    low = rules().untight_weight
    return {a: named.get(a, low) for a in vocab.areas}


def relief(
    pose: Pose | None, hold: float, weights: dict[str, float], r: Rules, *, settled: bool = False
) -> float:
    """What one entry of `hold` seconds is worth (see the module's docstring).

    `settled`: a flow's later rounds, moving back into a pose just held, need no settling in."""
    if pose is None:
        return 0.0
    if not pose.areas:
        resting = max(0.0, hold - r.rest_settle_seconds)
        strength = r.rest_weight * max(weights.values(), default=1.0)
        return strength * r.rest_tau_seconds * (1 - math.exp(-resting / r.rest_tau_seconds))
    strength = sum(weights.get(a, 0.0) * w / 3 for a, w in pose.areas.items())
    working = hold if settled else max(0.0, hold - r.settle_seconds)  # first, settle in
    return strength * r.tau_seconds * (1 - math.exp(-working / r.tau_seconds))


def score(timeline: Timeline, weights: dict[str, float], r: Rules) -> float:
    """The score of a whole session, from its timeline alone."""
    total = sum(relief(e.pose, e.hold, weights, r, settled=(e.round or 1) > 1) for e in timeline)
    first = timeline.entries[0].pose if timeline.entries else None
    return total + gentle_start(first, weights, r)


def gentle_start(first: Pose | None, weights: dict[str, float], r: Rules) -> float:
    """The bonus for opening with a gentle stretch (a beginner pose that is not a rest)."""
    if first is None or first.level != LEVELS[0] or not first.areas:
        return 0.0
    return r.gentle_start_bonus * max(weights.values(), default=1.0)


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


class _Context(NamedTuple):
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
    poses: Sequence[tuple[Pose, int]], ctx: _Context, first_round: int = 0
) -> tuple[int, float]:
    """Seconds and relief of entries in a row (holds plus the moves between them); entries from
    index `first_round` on are a flow's later rounds."""
    seconds = sum(h for _, h in poses)
    seconds += sum(ctx.trans(a.position, b.position) for (a, _), (b, _) in pairwise(poses))
    later = first_round or len(poses)
    value = sum(ctx.relief(p, h, n >= later) for n, (p, h) in enumerate(poses))
    return seconds, value


def _flow_entries(step: FlowStep, option: Option, ctx: _Context) -> list[tuple[Pose, int]]:
    later = step.then_hold.seconds if step.then_hold else option.hold
    return [(p, option.hold if n == 0 else later) for n in range(option.rounds) for p in step.poses]


def shape(step: PoseStep | FlowStep | RestStep, ctx: _Context, *, both_sides: bool) -> Shape:
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


# -- the search ------------------------------------------------------------------------------
START = ("start",)
Key = tuple[str, ...]


class _Layer(NamedTuple):
    """States after one step of the search, and how each was reached."""

    keys: list[Key]
    values: list[NDArray[np.float64]]
    source_key: list[NDArray[np.int32]]  # index into the previous layer's keys
    source_t: list[NDArray[np.int32]]
    option: list[NDArray[np.int32]]  # -1: the step was not kept (or nothing to choose)


class _Search:
    """Exact search over (last position[, block's first position], seconds used)."""

    def __init__(self, budget: int, ctx: _Context, keep_all: bool) -> None:
        import numpy

        self.np = numpy
        self.budget = budget
        self.seconds = numpy.arange(budget + 1)
        self.seconds32 = self.seconds.astype(numpy.int32)
        self.ctx = ctx
        self.keep_all = keep_all
        start = numpy.full(budget + 1, -numpy.inf)
        start[0] = 0.0
        none = numpy.full(budget + 1, -1, dtype=numpy.int32)
        self.layers: list[_Layer] = [_Layer([START], [start], [none], [none.copy()], [none.copy()])]

    # array helpers
    def shift(self, values: NDArray[Any], by: int, fill: float) -> NDArray[Any]:
        out = self.np.full_like(values, fill)
        if by <= self.budget:
            out[by:] = values[: len(values) - by]
        return out

    def _new(self) -> dict[Key, list[NDArray[Any]]]:
        return {}

    def _offer(
        self,
        table: dict[Key, list[NDArray[Any]]],
        key: Key,
        value: NDArray[np.float64],
        source_key: NDArray[np.int32],
        source_t: NDArray[np.int32],
        option: int | NDArray[np.int32],
    ) -> None:
        """Keep, for every second, the way of reaching `key` worth most (the first wins ties)."""
        np = self.np
        if key not in table:  # the first way in: taken as it is
            options_in = (
                np.full(self.budget + 1, option, dtype=np.int32)
                if isinstance(option, int)
                else option
            )
            table[key] = [value.copy(), source_key.copy(), source_t.copy(), options_in.copy()]
            return
        best, keys, times, options = table[key]
        better = value > best
        best[better] = value[better]
        keys[better] = source_key[better]
        times[better] = source_t[better]
        options[better] = option if isinstance(option, int) else option[better]

    def _commit(self, table: dict[Key, list[NDArray[Any]]]) -> None:
        keys = sorted(table)
        self.layers.append(
            _Layer(
                keys,
                [table[k][0] for k in keys],
                [table[k][1] for k in keys],
                [table[k][2] for k in keys],
                [table[k][3] for k in keys],
            )
        )

    def _arrival(
        self, sources: list[tuple[int, int, float]]
    ) -> tuple[NDArray[Any], NDArray[Any], NDArray[Any]]:
        """Best value at every second over several (source index, move seconds, bonus) ways in."""
        np = self.np
        layer = self.layers[-1]
        size = self.budget + 1
        if not sources:
            nowhere = np.full(size, -1, dtype=np.int32)
            return np.full(size, -np.inf), nowhere, nowhere.copy()
        value = np.full((len(sources), size), -np.inf)
        moves = np.empty(len(sources), dtype=np.int32)
        for n, (index, move, bonus) in enumerate(sources):
            moves[n] = move
            if move < size:
                value[n, move:] = layer.values[index][: size - move] + bonus
        chosen = np.argmax(value, axis=0) if len(sources) > 1 else np.zeros(size, dtype=np.intp)
        best = value[chosen, self.seconds]
        indexes = np.array([index for index, _, _ in sources], dtype=np.int32)
        return best, indexes[chosen], (self.seconds32 - moves[chosen]).astype(np.int32)

    def _keep(
        self,
        table: dict[Key, list[NDArray[Any]]],
        key: Key,
        arrival: tuple[NDArray[Any], ...],
        shp: Shape,
    ) -> None:
        """Every option of the step at once: for each second, the best option that ends there."""
        np = self.np
        best, keys, times = arrival
        size = self.budget + 1
        value = np.full((len(shp.options), size), -np.inf)
        costs = np.empty(len(shp.options), dtype=np.int64)
        for n, (_, cost, gain) in enumerate(shp.options):
            costs[n] = cost
            if cost < size:
                value[n, cost:] = best[: size - cost] + gain
        chosen = np.argmax(value, axis=0)  # the first best option: ties go to the shorter hold
        column = self.seconds
        reached_value = value[chosen, column]
        began = column - costs[chosen]
        reached = reached_value > -np.inf
        began[~reached] = 0
        self._offer(
            table,
            key,
            reached_value,
            np.where(reached, keys[began], -1).astype(np.int32),
            np.where(reached, times[began], -1).astype(np.int32),
            np.where(reached, chosen, -1).astype(np.int32),
        )

    def _pass_through(self, table: dict[Key, list[NDArray[Any]]], allowed: bool) -> None:
        if not allowed:
            return
        layer = self.layers[-1]
        seconds = self.np.arange(self.budget + 1, dtype=self.np.int32)
        for index, key in enumerate(layer.keys):
            self._offer(
                table, key, layer.values[index], self.np.full_like(seconds, index), seconds, -1
            )

    def _bonus(self, key: Key, shp: Shape) -> float:
        return (
            gentle_start(shp.first_pose, self.ctx.weights, self.ctx.rules) if key == START else 0.0
        )

    # the steps
    def outer(self, shp: Shape, required: bool = False) -> None:
        table = self._new()
        layer = self.layers[-1]
        if shp.enter is None:  # a rest stays where the last pose left off
            for index, key in enumerate(layer.keys):
                where = REST_POSITION if key == START else key[1]
                move = 0 if key == START else self.ctx.trans(where, where)
                self._keep(table, ("at", where), self._arrival([(index, move, 0.0)]), shp)
        else:
            sources = [
                (i, 0 if k == START else self.ctx.trans(k[1], shp.enter), self._bonus(k, shp))
                for i, k in enumerate(layer.keys)
            ]
            self._keep(table, ("at", str(shp.exit)), self._arrival(sources), shp)
        self._pass_through(table, not (self.keep_all or required))
        self._commit(table)

    def inner(self, shp: Shape, required: bool = False) -> None:
        """A step inside a per-side block: everything counts twice but the move into the block."""
        table = self._new()
        layer = self.layers[-1]
        doubled = shp._replace(options=[(o, 2 * s, 2 * v) for o, s, v in shp.options])
        outside = [i for i, k in enumerate(layer.keys) if k[0] != "block"]
        enter = shp.enter
        if enter is None:  # a rest inside a block: where the last pose of the block left off
            for index, key in enumerate(layer.keys):
                if key[0] == "block":
                    self._keep(
                        table,
                        key,
                        self._arrival([(index, 2 * self.ctx.trans(key[2], key[2]), 0.0)]),
                        doubled,
                    )
        else:
            exit_ = str(shp.exit)
            sources = [
                (
                    i,
                    0 if layer.keys[i] == START else self.ctx.trans(layer.keys[i][1], enter),
                    self._bonus(layer.keys[i], shp),
                )
                for i in outside
            ]
            self._keep(table, ("block", enter, exit_), self._arrival(sources), doubled)
            firsts = sorted({k[1] for k in layer.keys if k[0] == "block"})
            for first in firsts:
                inside = [
                    (i, 2 * self.ctx.trans(k[2], enter), 0.0)
                    for i, k in enumerate(layer.keys)
                    if k[0] == "block" and k[1] == first
                ]
                self._keep(table, ("block", first, exit_), self._arrival(inside), doubled)
        self._pass_through(table, not (self.keep_all or required))
        self._commit(table)

    def close(self, back_to: Shape | None) -> None:
        """The end of a block: the move back to the first side's start, through `back_to`."""
        table = self._new()
        layer = self.layers[-1]
        for index, key in enumerate(layer.keys):
            if key[0] != "block":
                self._offer(
                    table,
                    key,
                    layer.values[index],
                    self.np.full(self.budget + 1, index, dtype=self.np.int32),
                    self.np.arange(self.budget + 1, dtype=self.np.int32),
                    -1,
                )
                continue
            first, last = key[1], key[2]
            if back_to is None or not self.keep_all:
                arrival = self._arrival([(index, self.ctx.trans(last, first), 0.0)])
                self._offer(table, ("at", last), *arrival, -1)
            if back_to is not None and back_to.enter is not None:
                move = self.ctx.trans(last, back_to.enter) + self.ctx.trans(back_to.enter, first)
                self._keep(table, ("at", last), self._arrival([(index, move, 0.0)]), back_to)
        self._commit(table)

    def best(self) -> tuple[float, list[int]]:
        """The best score within the budget and the option chosen at every layer (-1: none)."""
        np = self.np
        layer = self.layers[-1]
        best_value, best_key, best_t = -np.inf, -1, -1
        for index, values in enumerate(layer.values):
            t = int(np.argmax(values))
            if values[t] > best_value:
                best_value, best_key, best_t = float(values[t]), index, t
        if best_key < 0:
            raise UnknotError("nothing fits", expected="more minutes")
        chosen: list[int] = []
        key, t = best_key, best_t
        for layer in reversed(self.layers[1:]):
            chosen.append(int(layer.option[key][t]))
            key, t = int(layer.source_key[key][t]), int(layer.source_t[key][t])
        return best_value, chosen[::-1]


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
    search = _Search(task.limit, task.ctx, task.keep_all)
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


def _keep_as_written(layout: Layout, ctx: _Context) -> None:
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


def _works(step: PoseStep | FlowStep | RestStep | None, named: Sequence[str]) -> str:
    """Which of the named areas or groups the step stretches, in words ('' for none)."""
    if step is None or isinstance(step, RestStep):
        return ""
    poses = step.poses if isinstance(step, FlowStep) else (step.pose,)
    stretched = {a for p in poses for a in p.areas}
    vocab = vocabulary()
    found = [n for n in named if stretched & set(vocab.resolve_areas([n]))]
    return " and ".join(found)


def _stretches(step: PoseStep | RestStep) -> bool:
    return isinstance(step, PoseStep) and bool(step.pose.areas)


def _decision(unit: Unit, ctx: _Context, budget: int | None, named: Sequence[str]) -> Decision:
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
    from unknot.routine import resolve

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
    ctx: _Context
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
    ctx = _Context(needs, routine, area_weights(needs, routine), planner_rules or rules(), {})
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
            f"nothing fits in {needs.minutes:g} minutes", field="--minutes", expected="more minutes"
        )
    hold = None if task.optimise else needs.hold
    timeline = expand(shaped, hold=hold, first_side=needs.first_side)
    total = score(timeline, ctx.weights, ctx.rules)
    if task.optimise:  # the search's own figure must be the timeline's: a check on its model
        assert abs(total - best) < 1e-6, (total, best)
    focus = task.routine.focus
    named = list(needs.named or named_areas(focus))
    decisions = tuple(_decision(u, ctx, budget, named) for u in units_of(layout))
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
