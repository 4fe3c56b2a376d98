"""The planner's exact search: a dynamic programme over a routine's steps in order.

Its state is the base position of the last pose kept (the next move's cost depends on it), inside
a per-side block also the block's first position (for the move back to the start of the first
side), and the seconds used so far; for every state and second it keeps the best score and how
it was reached, so the best session within the budget can be traced back step by step. NumPy
arrays over the seconds make each step a handful of vector operations.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

from unknot.errors import UnknotError
from unknot.guide.timeline import REST_POSITION
from unknot.plan.planner import Context, Shape
from unknot.plan.relief import gentle_start

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

START = ("start",)
Key = tuple[str, ...]


# How a state was reached, second by second: an int32 array over the seconds, or one int that
# holds for every second (or None, for a source second: "the same second").
Way = Any


class _Layer(NamedTuple):
    """States after one step of the search, and how each was reached."""

    keys: list[Key]
    values: list[NDArray[np.float64]]
    source_key: list[Way]  # index into the previous layer's keys
    source_t: list[Way]  # the second it was reached from; None: the same second
    option: list[Way]  # -1: the step was not kept (or nothing to choose)


class Search:
    """Exact search over (last position[, block's first position], seconds used)."""

    def __init__(self, budget: int, ctx: Context, keep_all: bool) -> None:
        import numpy

        self.np = numpy
        self.budget = budget
        self.seconds = numpy.arange(budget + 1)
        self.seconds32 = self.seconds.astype(numpy.int32)
        self.ctx = ctx
        self.keep_all = keep_all
        start = numpy.full(budget + 1, -numpy.inf)
        start[0] = 0.0
        self.layers: list[_Layer] = [_Layer([START], [start], [-1], [-1], [-1])]

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
        table: dict[Key, list[Any]],
        key: Key,
        value: NDArray[np.float64],
        source_key: Way,
        source_t: Way,
        option: Way,
    ) -> None:
        """Keep, for every second, the way of reaching `key` worth most (the first wins ties).

        Arrays are taken, not copied: callers hand over arrays of their own, or the previous
        layer's values, which nothing reads once this layer is built."""
        if key not in table:
            table[key] = [value, source_key, source_t, option]
            return
        best, keys, times, options = table[key]
        better = value > best
        if not better.any():
            return
        keys, times, options = self._spread(keys, times, options)
        best[better] = value[better]
        keys[better] = source_key if isinstance(source_key, int) else source_key[better]
        times[better] = self.seconds32[better] if source_t is None else source_t[better]
        options[better] = option if isinstance(option, int) else option[better]
        table[key] = [best, keys, times, options]

    def _spread(self, keys: Way, times: Way, options: Way) -> tuple[Any, Any, Any]:
        """Compact ways (one int, or None for 'the same second') as arrays, to be written to."""
        np, size = self.np, self.budget + 1
        if isinstance(keys, int):
            keys = np.full(size, keys, dtype=np.int32)
        if times is None:
            times = self.seconds32.copy()
        if isinstance(options, int):
            options = np.full(size, options, dtype=np.int32)
        return keys, times, options

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
        for index, key in enumerate(layer.keys):  # the same state, the same second, not kept
            self._offer(table, key, layer.values[index], index, None, -1)

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
                self._offer(table, key, layer.values[index], index, None, -1)
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
            chosen.append(_at(layer.option[key], t))
            key, t = _at(layer.source_key[key], t), _at(layer.source_t[key], t, default=t)
        return best_value, chosen[::-1]


def _at(way: Way, t: int, default: int = -1) -> int:
    """A way's value at second t (an int stands for every second; None for the default)."""
    if way is None:
        return default
    return way if isinstance(way, int) else int(way[t])
