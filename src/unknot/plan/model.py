"""What the planner and its search share: a step's options, its shape, and the plan's context."""

from __future__ import annotations

from typing import NamedTuple

from unknot.catalog.holds import Hold
from unknot.catalog.poses import Pose
from unknot.guide.timeline import Move, hold_for, move_seconds, way_out_seconds
from unknot.plan.needs import Needs
from unknot.plan.relief import Rules, relief
from unknot.routines.routine import Routine


class Option(NamedTuple):
    """One way to do a step: its hold (the first round's, for a flow) and a flow's rounds."""

    hold: int
    rounds: int = 0


class Shape(NamedTuple):
    """A step as the search sees it: positions at its two ends, and each option's cost and value."""

    enter: str | None  # None: a rest, taken where the last pose left off
    exit: str | None
    options: list[tuple[Option, int, float]]  # (option, seconds, relief), shortest hold first
    first_pose: Pose | None
    last_pose: Pose | None = None  # whose way out the move after the step begins with


class Context(NamedTuple):
    """What every step of one plan is weighed with: the needs, the routine, weights and rules."""

    needs: Needs
    routine: Routine
    weights: dict[str, float]
    rules: Rules
    reliefs: dict[tuple[str, int, bool], float] = {}  # noqa: RUF012 - one per plan, see problem()

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

    def move(
        self, before: str | None, pose: Pose | None, kind: Move = Move.NEW, first: bool = False
    ) -> int:
        """The move into `pose` (None: a rest) from the position `before`, as the timeline
        times it (`guide.timeline.move_seconds`), the way out of the pose before not counted."""
        return move_seconds(before, pose, self.needs.voicing, kind, first=first)

    def way_out(self, pose: Pose, to: str | None) -> int:
        """The way out of `pose`, said as the move to the position `to` begins."""
        return way_out_seconds(pose, self.needs.voicing, to)
