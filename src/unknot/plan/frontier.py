"""The search's tables in plain Python, each state holding only its Pareto frontier: the seconds
at which it scores more than at any earlier second. No NumPy, so a plan for a routine of
ordinary length starts at once.

It makes the choices the dense tables make, ties included. A second whose score an earlier
second of the same state matches or beats is dropped; what follows a state does not depend on
the second it was reached at (but for the budget, which the earlier second leaves more of), and
adding a number to a float never reverses an order. So from any dropped second, the earlier one
reaches every later state sooner with at least the same score: a second on the best path (the
best score, at its earliest second) is never dropped, and neither is any way that wins a tie on
that path, since the one that won there would then not be on it. What is kept is worked out as
the dense tables work it out: ways in first (the first source wins a tie), then the step's
options (the first option wins), each offer replacing a second's way only when strictly better.
"""

from __future__ import annotations

import math

from unknot.errors import UnknotError
from unknot.plan.model import Context, Shape
from unknot.plan.search import START, Key, Search, Source

Cell = tuple[float, int, int, int]  # score, state in the last layer, its second, option (-1)
Table = dict[Key, dict[int, Cell]]  # state -> second -> how it was reached
Arrival = list[tuple[int, float, int, int]]  # (second, score, source state, its second), a frontier
Front = tuple[list[int], list[float]]  # seconds, rising, and their scores, rising


class FrontierSearch(Search[Arrival, Table]):
    """Exact search over (last position[, block's first position], seconds on the frontier)."""

    def __init__(self, budget: int, ctx: Context, keep_all: bool) -> None:
        super().__init__(budget, ctx, keep_all)
        self._keys: list[Key] = [START]
        self._fronts: list[Front] = [([0], [0.0])]
        self._ways: list[list[dict[int, Cell]]] = [[{0: (0.0, -1, -1, -1)}]]  # per layer, state

    def keys(self) -> list[Key]:
        return self._keys

    def table(self) -> Table:
        return {}

    def arrival(self, sources: list[Source]) -> Arrival:
        reached: dict[int, tuple[float, int, int]] = {}
        for index, move, bonus in sources:
            times, scores = self._fronts[index]
            limit = self.budget - move
            for t, score in zip(times, scores, strict=True):
                if t > limit:
                    break
                value = score + bonus
                found = reached.get(t + move)
                if found is None or value > found[0]:
                    reached[t + move] = (value, index, t)
        arrival: Arrival = []
        top = -math.inf
        for second in sorted(reached):
            value, index, t = reached[second]
            if value > top:  # a later second that scores no more can never be on the best path
                top = value
                arrival.append((second, value, index, t))
        return arrival

    def keep(self, table: Table, key: Key, arrival: Arrival, shp: Shape) -> None:
        cells = table.setdefault(key, {})
        for option, (_, cost, gain) in enumerate(shp.options):
            limit = self.budget - cost
            for second, score, index, t in arrival:
                if second > limit:
                    break
                value = score + gain
                found = cells.get(second + cost)
                if found is None or value > found[0]:
                    cells[second + cost] = (value, index, t, option)

    def offer(self, table: Table, key: Key, arrival: Arrival) -> None:
        cells = table.setdefault(key, {})
        for second, score, index, t in arrival:
            found = cells.get(second)
            if found is None or score > found[0]:
                cells[second] = (score, index, t, -1)

    def offer_same(self, table: Table, key: Key, index: int) -> None:
        cells = table.setdefault(key, {})
        times, scores = self._fronts[index]
        for t, score in zip(times, scores, strict=True):
            found = cells.get(t)
            if found is None or score > found[0]:
                cells[t] = (score, index, t, -1)

    def commit(self, table: Table) -> None:
        self._keys = sorted(k for k, cells in table.items() if cells)
        self._fronts, ways = [], []
        for key in self._keys:
            cells = table[key]
            times: list[int] = []
            scores: list[float] = []
            kept: dict[int, Cell] = {}
            top = -math.inf
            for t in sorted(cells):
                cell = cells[t]
                if cell[0] > top:
                    top = cell[0]
                    times.append(t)
                    scores.append(top)
                    kept[t] = cell
            self._fronts.append((times, scores))
            ways.append(kept)
        self._ways.append(ways)

    def best(self) -> tuple[float, list[int]]:
        best_value, best_key = -math.inf, -1
        for index, (_, scores) in enumerate(self._fronts):
            if scores[-1] > best_value:  # a frontier's best is its last, at its earliest second
                best_value, best_key = scores[-1], index
        if best_key < 0:
            raise UnknotError("nothing fits", expected="more minutes")
        chosen: list[int] = []
        key, t = best_key, self._fronts[best_key][0][-1]
        for ways in reversed(self._ways[1:]):
            _, key, t, option = ways[key][t]
            chosen.append(option)
        return best_value, chosen[::-1]
