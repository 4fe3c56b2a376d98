"""The planner's exact search: a dynamic programme over a routine's steps in order.

Its state is the base position of the last pose kept (the next move's cost depends on it), inside
a per-side block also the block's first pose (for the move back to the start of the first
side), and the seconds used so far; for every state and second it keeps the best score and how
it was reached, so the best session within the budget can be traced back step by step.

This module holds the programme's steps (what each layer may do, from which states to which);
two back-ends hold its tables, and the planner picks one by the size of the search. `dense`
keeps every second of every state in NumPy arrays, and pays NumPy's import; `frontier` keeps, in
plain Python, only the seconds that can still matter (the Pareto frontier: a second is dropped
when an earlier one of the same state scores as much), which is quicker for a routine of
ordinary length. Both make the same choices, ties included (see `frontier`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Generic, Literal, NamedTuple, TypeVar

from unknot.catalog.poses import Pose
from unknot.guide.timeline import REST_POSITION, Move
from unknot.plan.model import Context, Shape
from unknot.plan.relief import gentle_start

START = ("start",)
# ("start",), ("at", where), ("block", first pose, where): where the last pose kept left the body,
# as its position and the seconds of its way out ("lunge+4"), both paid by the move after it.
Key = tuple[str, ...]
Source = tuple[int, int, float]  # a state of the last layer (its index), the move's seconds, bonus

ArrivalT = TypeVar("ArrivalT")
TableT = TypeVar("TableT")


class Layer(NamedTuple):
    """One step of the programme: a step on its own (outer), a step inside a per-side block
    (inner), or the end of a block (close, through its pose back to the start if any)."""

    kind: Literal["outer", "inner", "close"]
    shape: Shape | None  # None: a close with no pose back to the start
    required: bool = False  # the step may not be left out


class Search(ABC, Generic[ArrivalT, TableT]):
    """The programme's steps over a back-end's tables (states of the last layer, in order)."""

    def __init__(self, budget: int, ctx: Context, keep_all: bool) -> None:
        self.budget = budget
        self.ctx = ctx
        self.keep_all = keep_all
        self.firsts: dict[str, Pose] = {}  # the poses that open a block, by name

    # -- what a back-end provides ----------------------------------------------------------
    @abstractmethod
    def keys(self) -> list[Key]:
        """The states of the last layer, in order (sorted)."""

    @abstractmethod
    def table(self) -> TableT:
        """A new, empty layer in the making."""

    @abstractmethod
    def arrival(self, sources: list[Source]) -> ArrivalT:
        """The best way in at every second over several sources (the first wins ties)."""

    @abstractmethod
    def keep(self, table: TableT, key: Key, arrival: ArrivalT, shp: Shape) -> None:
        """Offer `key` every option of the step after `arrival` (the first option wins ties)."""

    @abstractmethod
    def offer(self, table: TableT, key: Key, arrival: ArrivalT) -> None:
        """Offer `key` the arrival itself, nothing chosen."""

    @abstractmethod
    def offer_same(self, table: TableT, key: Key, index: int) -> None:
        """Offer `key` the last layer's state `index` as it is: the step not kept."""

    @abstractmethod
    def commit(self, table: TableT) -> None:
        """Make the table the last layer."""

    @abstractmethod
    def best(self) -> tuple[float, list[int]]:
        """The best score within the budget and the option chosen at every layer (-1: none)."""

    # -- the programme's steps -------------------------------------------------------------
    def _left(self, shp: Shape) -> str:
        """Where a step leaves the body: its last position, and the seconds of its way out (said
        if the next move leaves that position)."""
        out = self.ctx.way_out(shp.last_pose, "") if shp.last_pose else 0
        return f"{shp.exit}+{out}" if out else str(shp.exit)

    def _move(self, key: Key, shp: Shape, at: int = 1) -> int:
        """The move into the step from the state `key` (where the body is: `key[at]`)."""
        if key == START:
            return self.ctx.move(None, shp.first_pose, first=True)
        where, out = _where(key[at])
        return _out(out, where, shp.enter) + self.ctx.move(where, shp.first_pose)

    def _into_block(self, last: str, first: str, via: Shape | None = None) -> int:
        """The move from the first side's last pose to the other side's first pose, through
        the pose `via` the block goes back to, if any."""
        pose, (where, out) = self.firsts[first], _where(last)
        if via is None or via.enter is None:
            return _out(out, where, pose.position) + self.ctx.move(where, pose)
        back = _out(out, where, via.enter) + self.ctx.move(where, via.first_pose, Move.AGAIN)
        via_out = _out(_where(self._left(via))[1], via.enter, pose.position)
        return back + via_out + self.ctx.move(via.enter, pose)

    def _bonus(self, key: Key, shp: Shape) -> float:
        return (
            gentle_start(shp.first_pose, self.ctx.weights, self.ctx.rules) if key == START else 0.0
        )

    def _pass_through(self, table: TableT, allowed: bool) -> None:
        if allowed:
            for index, key in enumerate(self.keys()):  # the same state, the same second
                self.offer_same(table, key, index)

    def outer(self, shp: Shape, required: bool = False) -> None:
        """A step on its own (both sides in a row, for a per-side pose)."""
        table, keys = self.table(), self.keys()
        if shp.enter is None:  # a rest stays where the last pose left off
            for index, key in enumerate(keys):
                where = REST_POSITION if key == START else _where(key[1])[0]
                move = self._move(key, shp)
                self.keep(table, ("at", where), self.arrival([(index, move, 0.0)]), shp)
        else:
            sources = [(i, self._move(k, shp), self._bonus(k, shp)) for i, k in enumerate(keys)]
            self.keep(table, ("at", self._left(shp)), self.arrival(sources), shp)
        self._pass_through(table, not (self.keep_all or required))
        self.commit(table)

    def inner(self, shp: Shape, required: bool = False) -> None:
        """A step inside a per-side block: everything counts twice but the move into the block."""
        table, keys = self.table(), self.keys()
        doubled = shp._replace(options=[(o, 2 * s, 2 * v) for o, s, v in shp.options])
        if shp.enter is None:  # a rest inside a block: where the last pose of the block left off
            for index, key in enumerate(keys):
                if key[0] == "block":
                    arrival = self.arrival([(index, 2 * self._move(key, shp, 2), 0.0)])
                    self.keep(table, (*key[:2], _where(key[2])[0]), arrival, doubled)
        else:
            assert shp.first_pose is not None
            exit_, opens = self._left(shp), shp.first_pose.name
            self.firsts[opens] = shp.first_pose
            sources = [
                (i, self._move(k, shp), self._bonus(k, shp))
                for i, k in enumerate(keys)
                if k[0] != "block"
            ]
            self.keep(table, ("block", opens, exit_), self.arrival(sources), doubled)
            for first in sorted({k[1] for k in keys if k[0] == "block"}):
                inside = [
                    (i, 2 * self._move(k, shp, 2), 0.0)
                    for i, k in enumerate(keys)
                    if k[0] == "block" and k[1] == first
                ]
                self.keep(table, ("block", first, exit_), self.arrival(inside), doubled)
        self._pass_through(table, not (self.keep_all or required))
        self.commit(table)

    def close(self, back_to: Shape | None, required: bool = False) -> None:
        """The end of a block: the move back to the first side's start, through `back_to`."""
        table = self.table()
        for index, key in enumerate(self.keys()):
            if key[0] != "block":
                self.offer_same(table, key, index)
                continue
            first, last = key[1], key[2]
            if back_to is None or not (self.keep_all or required):
                move = self._into_block(last, first)
                self.offer(table, ("at", last), self.arrival([(index, move, 0.0)]))
            if back_to is not None and back_to.enter is not None:
                move = self._into_block(last, first, back_to)
                self.keep(table, ("at", last), self.arrival([(index, move, 0.0)]), back_to)
        self.commit(table)

    def run(self, layers: list[Layer]) -> tuple[float, list[int]]:
        for layer in layers:
            if layer.kind == "close":
                self.close(layer.shape, layer.required)
            elif layer.shape is not None:
                (self.outer if layer.kind == "outer" else self.inner)(layer.shape, layer.required)
        return self.best()


def _where(left: str) -> tuple[str, int]:
    """A state's "where" as the position and the seconds of the way out still to say."""
    position, _, out = left.partition("+")
    return position, int(out or 0)


def _out(seconds: int, where: str, to: str | None) -> int:
    """A way out's seconds, paid when the next move leaves the position (not for a rest)."""
    return seconds if to is not None and to != where else 0
