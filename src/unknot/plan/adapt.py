"""A step adapted to today: a pose skipped, or replaced when it does not suit the person.

A skipped pose is left out; a pose that is not advised for a condition to avoid, or above the
person's level, is replaced by the first of its catalog substitutes that suits (and is not in
the session already), or left out when none does.
"""

from __future__ import annotations

from typing import NamedTuple

from unknot.catalog.poses import Pose, catalog
from unknot.catalog.vocabulary import vocabulary
from unknot.plan.needs import Needs
from unknot.routines.routine import FlowStep, PoseStep, RestStep

Written = PoseStep | FlowStep | RestStep  # a step as written, outside or inside a per-side block


class Change(NamedTuple):
    """What adapting did to one pose: replaced it (substitute) or removed it (why)."""

    pose: Pose | None
    substitute_for: str = ""
    reason: str = ""


def adapt_pose(pose: Pose, needs: Needs, used: set[str]) -> Change:
    """Keep, replace or remove one pose; `used` holds the poses the session has already."""
    if pose.name in needs.skip:
        return Change(None, reason="you asked to skip it")
    problem = unsuited(pose, needs)
    if not problem:
        return Change(pose)
    taken = ""
    for name in pose.substitutes:
        substitute = catalog().find(name)
        if substitute.name in needs.skip or unsuited(substitute, needs):
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


def unsuited(pose: Pose, needs: Needs) -> str:
    """Why the pose does not suit the person, in words ('' when it does)."""
    cautions = [c for c in pose.avoid if c in needs.avoid]
    if cautions:
        return f"not advised for {', '.join(c.replace('-', ' ') for c in cautions)}"
    levels = vocabulary().levels
    if needs.level and levels.index(pose.level) > levels.index(needs.level):
        return f"{pose.level}, above {needs.level}"
    return ""


def adapt_step(step: Written, needs: Needs, used: set[str]) -> tuple[Written | None, list[Change]]:
    """The step as it will be done (None: left out), and what was changed in it.

    A flow keeps the poses that suit; with one left it is a pose step, with none it is left out."""
    if isinstance(step, RestStep):
        return step, []
    if isinstance(step, PoseStep):
        change = adapt_pose(step.pose, needs, used)
        return (step._replace(pose=change.pose) if change.pose else None), [change]
    changes = [adapt_pose(p, needs, used) for p in step.poses]
    poses = tuple(c.pose for c in changes if c.pose)
    if len(poses) >= 2:
        return step._replace(poses=poses), changes
    if len(poses) == 1:
        return PoseStep(poses[0], step.hold, step.note), changes
    return None, changes
