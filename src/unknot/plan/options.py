"""The ways a step may be done, on the planner's grid of holds, and what each costs and brings.

Holds run from the low end of the written range (a resting pose may come down to the shortest
rest) up to the high end of the written range or of the pose's own range, whichever is longer
(an inversion keeps its written hold, a custom pose its written range), on the grid of
data/planner.yaml; a flow may also run fewer rounds. The cost
of an option is the timeline's seconds (moves between the step's own entries included; the way out
of its last pose belongs to the move after it), its value the relief of its entries.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import pairwise

from unknot.catalog.holds import Hold
from unknot.catalog.poses import Pose
from unknot.guide.timeline import Move
from unknot.plan.adapt import Written
from unknot.plan.model import Context, Option, Shape
from unknot.plan.relief import Rules
from unknot.routines.routine import FlowStep, PoseStep, RestStep


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
    if pose is not None and pose.resting:  # a resting pose: shorter when time is short
        low = min(written.low, r.shortest_rest)
        return sorted(set(hold_grid(low, written.high, r)) | {written.seconds})
    if pose is not None and "inversion" in pose.traits:  # never lengthened to fill time
        return [written.seconds]
    # A custom pose's own hold is only a default, not a range known to suit: its written one holds.
    own = pose.hold.high if pose is not None and not pose.custom else 0
    high = max(written.high, own)
    return sorted(set(hold_grid(written.low, high, r)) | {written.seconds})


def _pass(
    poses: Sequence[tuple[Pose, int]], ctx: Context, first_round: int = 0
) -> tuple[int, float]:
    """Seconds and relief of entries in a row (holds plus the moves between them); entries from
    index `first_round` on are a flow's later rounds."""
    later = first_round or len(poses)
    seconds = sum(h for _, h in poses)
    for n, ((a, _), (b, _)) in enumerate(pairwise(poses), start=1):
        kind = Move.AGAIN if n >= later else Move.NEW
        seconds += ctx.way_out(a, b.position) + ctx.move(a.position, b, kind)
    value = sum(ctx.relief(p, h, n >= later) for n, (p, h) in enumerate(poses))
    return seconds, value


def _flow_entries(step: FlowStep, option: Option) -> list[tuple[Pose, int]]:
    later = step.then_hold.seconds if step.then_hold else option.hold
    return [(p, option.hold if n == 0 else later) for n in range(option.rounds) for p in step.poses]


def _pose_shape(step: PoseStep, ctx: Context, twice: bool) -> Shape:
    pose = step.pose
    options = []
    for h in hold_choices(pose, ctx.written_hold(step.hold, pose), ctx.rules):
        seconds, value = _pass([(pose, h)], ctx)
        if twice:  # both sides in a row, with the move from one to the other
            seconds += seconds + ctx.move(pose.position, pose, Move.SIDE)
            value *= 2
        options.append((Option(h), seconds, value))
    return Shape(pose.position, pose.position, options, pose, pose)


def _flow_shape(step: FlowStep, ctx: Context, twice: bool) -> Shape:
    first, last = step.poses[0], step.poses[-1]
    options = []
    for rounds in range(1, step.rounds + 1):
        for h in hold_choices(first, ctx.written_hold(step.hold, first), ctx.rules):
            option = Option(h, rounds)
            seconds, value = _pass(_flow_entries(step, option), ctx, len(step.poses))
            if twice:
                seconds += seconds + ctx.way_out(last, first.position)
                seconds += ctx.move(last.position, first, Move.SIDE)
                value *= 2
            options.append((option, seconds, value))
    return Shape(first.position, last.position, options, first, last)


def shape(step: Written, ctx: Context, *, both_sides: bool) -> Shape:
    """Positions and options of one step; `both_sides` when it runs twice by itself (top level)."""
    if isinstance(step, RestStep):
        return Shape(None, None, [(Option(step.hold.seconds), step.hold.seconds, 0.0)], None)
    if isinstance(step, PoseStep):
        return _pose_shape(step, ctx, both_sides and step.pose.per_side)
    return _flow_shape(step, ctx, both_sides and any(p.per_side for p in step.poses))
