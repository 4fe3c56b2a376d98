"""The search's tables as NumPy arrays over every second of the budget: each step is a handful of
vector operations, whatever the routine's length, at the price of NumPy's import."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from unknot.errors import UnknotError
from unknot.plan.model import Context, Shape
from unknot.plan.search import START, Key, Search, Source

# How a state was reached, second by second: an int32 array over the seconds, or one int that
# holds for every second (or None, for a source second: "the same second").
Way = Any
Arrival = tuple[NDArray[np.float64], NDArray[np.int32], NDArray[np.int32]]
Table = dict[Key, list[Any]]  # key -> [values, source keys, source seconds, options]


class _Layer(NamedTuple):
    """States after one step of the search, and how each was reached."""

    keys: list[Key]
    values: list[NDArray[np.float64]]
    source_key: list[Way]  # index into the previous layer's keys
    source_t: list[Way]  # the second it was reached from; None: the same second
    option: list[Way]  # -1: the step was not kept (or nothing to choose)


class DenseSearch(Search[Arrival, Table]):
    """Exact search over (last position[, block's first position], every second used)."""

    def __init__(self, budget: int, ctx: Context, keep_all: bool) -> None:
        super().__init__(budget, ctx, keep_all)
        self.seconds = np.arange(budget + 1)
        self.seconds32 = self.seconds.astype(np.int32)
        start = np.full(budget + 1, -np.inf)
        start[0] = 0.0
        self.layers: list[_Layer] = [_Layer([START], [start], [-1], [-1], [-1])]

    def keys(self) -> list[Key]:
        return self.layers[-1].keys

    def table(self) -> Table:
        return {}

    def _offer(
        self,
        table: Table,
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
        size = self.budget + 1
        if isinstance(keys, int):
            keys = np.full(size, keys, dtype=np.int32)
        if times is None:
            times = self.seconds32.copy()
        if isinstance(options, int):
            options = np.full(size, options, dtype=np.int32)
        return keys, times, options

    def commit(self, table: Table) -> None:
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

    def arrival(self, sources: list[Source]) -> Arrival:
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

    def keep(self, table: Table, key: Key, arrival: Arrival, shp: Shape) -> None:
        """Every option of the step at once: for each second, the best option that ends there."""
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

    def offer(self, table: Table, key: Key, arrival: Arrival) -> None:
        self._offer(table, key, *arrival, -1)

    def offer_same(self, table: Table, key: Key, index: int) -> None:
        self._offer(table, key, self.layers[-1].values[index], index, None, -1)

    def best(self) -> tuple[float, list[int]]:
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
