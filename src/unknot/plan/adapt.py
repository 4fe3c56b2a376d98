"""A step adapted to today: a pose skipped, or replaced when it does not suit the person.

A pose does not suit when a condition to avoid rules out one of its traits (conditions.yaml says
which and why), when it is above the person's level (an advanced pose comes only with `--level
advanced`), or when it needs a prop the person does not have. It is then replaced by the pose
that serves best in its place: one that suits, works the pose's main area, goes no deeper and
starts from the nearest position (the pose's own listed substitutes first among equals); never
an inversion, and of the same kind: a rest for a rest, a drill for a drill, a roll for a roll, a
stretch for a stretch. The substitute brings its own hold. With no such pose in the catalog, the
step is left out.

A custom step (an article's pose that is not in the catalog) has no traits and no level to check:
with any condition to avoid, or with --level beginner, it is left out, and never replaced (what
it does is not known, so nothing is known to serve in its place).
"""

from __future__ import annotations

from typing import NamedTuple

from unknot.catalog.poses import Pose, catalog
from unknot.catalog.vocabulary import vocabulary
from unknot.plan.needs import Needs
from unknot.routines.routine import FlowStep, PoseStep, RestStep

Written = PoseStep | FlowStep | RestStep  # a step as written, outside or inside a per-side block
NEVER_IN_PLACE_OF_ANOTHER = ("inversion",)  # a trait no substitute may have: never as filler


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
    if pose.custom:
        return Change(None, reason=problem)
    substitute = nearest(pose, needs, used)
    if substitute is None:
        return Change(None, reason=f"{problem}, and no pose in the catalog suits in its place")
    used.add(substitute.name)
    return Change(substitute, pose.name, f"{problem}; {substitute.name} instead")


def unsuited(pose: Pose, needs: Needs) -> str:
    """Why the pose does not suit the person, in words ('' when it does)."""
    vocab = vocabulary()
    if pose.custom:
        return unchecked(needs)
    for name in needs.avoid:
        condition = vocab.conditions[name]
        traits = [t for t in pose.traits if t in condition.rules_out]
        if traits:
            what = ", ".join(vocab.traits[t].label.lower() for t in traits)
            return f"not advised with {condition.label.lower()} ({what})"
    levels = vocab.levels
    if needs.level and levels.index(pose.level) > levels.index(needs.level):
        return f"{pose.level}, above {needs.level}"
    if not needs.level and pose.level == levels[-1]:
        return f"{pose.level}: only with --level {pose.level}"
    lacking = needs.lacks(pose.props)
    if lacking:
        return f"needs a {' and a '.join(p.replace('-', ' ') for p in lacking)}, not at hand"
    return ""


def unchecked(needs: Needs) -> str:
    """Why a custom pose cannot be planned for these needs ('' when it can): what it does is not
    known, so no condition can be checked against it, nor is it known to be a beginner's pose."""
    vocab = vocabulary()
    if needs.avoid:
        labels = " and against ".join(vocab.conditions[c].label.lower() for c in needs.avoid)
        return f"not in unknot's catalog, so it cannot be checked against {labels}"
    if needs.level == vocab.levels[0]:
        return f"not in unknot's catalog, so it is not known to suit a {needs.level}"
    return ""


def nearest(pose: Pose, needs: Needs, used: set[str]) -> Pose | None:
    """The pose that serves best in `pose`'s place (see the module's docstring), or None."""
    main = {a for a, w in pose.areas.items() if w == max(pose.areas.values())}
    levels = {k: p.level for k, p in vocabulary().positions.items()}
    listed = {name: n for n, name in enumerate(pose.substitutes)}
    intensities = vocabulary().intensities
    best: tuple[tuple[float, ...], Pose] | None = None
    for order, other in enumerate(catalog()):
        if other.name == pose.name or other.name in used or other.name in needs.skip:
            continue
        if (bool(other.areas), other.dynamic, other.rolls) != (
            bool(pose.areas),
            pose.dynamic,
            pose.rolls,
        ):
            continue  # a rest for a rest, a drill for a drill, a roll for a roll
        if main and not main & set(other.areas):
            continue
        if intensities.index(other.intensity) > intensities.index(pose.intensity):
            continue  # never deeper than the pose it stands in for
        if any(t in other.traits for t in NEVER_IN_PLACE_OF_ANOTHER) or unsuited(other, needs):
            continue
        shared = sum(min(w, other.areas[a]) for a, w in pose.areas.items() if a in other.areas)
        rank = (
            abs(levels[pose.position] - levels[other.position]),
            0 if other.position == pose.position else 1,
            listed.get(other.name, len(listed)),
            -shared,
            order,
        )
        if best is None or rank < best[0]:
            best = (rank, other)
    return best[1] if best else None


def adapt_step(step: Written, needs: Needs, used: set[str]) -> tuple[Written | None, list[Change]]:
    """The step as it will be done (None: left out), and what was changed in it.

    A flow keeps the poses that suit; with one left it is a pose step, with none it is left out.
    A substitute for a pose step brings its own hold."""
    if isinstance(step, RestStep):
        return step, []
    if isinstance(step, PoseStep):
        change = adapt_pose(step.pose, needs, used)
        if change.pose is None:
            return None, [change]
        if change.substitute_for:
            return step._replace(pose=change.pose, hold=change.pose.hold), [change]
        return step, [change]
    changes = [adapt_pose(p, needs, used) for p in step.poses]
    poses = tuple(c.pose for c in changes if c.pose)
    if len(poses) >= 2:
        return step._replace(poses=poses), changes
    if len(poses) == 1:
        return PoseStep(poses[0], step.hold, step.note), changes
    return None, changes
