"""The body in space: a posture's joint angles turned into 3D shapes resting on the floor.

Forward kinematics walks the skeleton from the pelvis out: each segment's axes are its parent's
turned by its joint (twist, then side, then flex), so angles are all a figure needs. Every
segment becomes rings of points (its cross-sections), a ball at each limb joint and a head; the
props are boxes and cylinders. The whole is then set down so that its resting points sit on the
floor, or on the prop under them. Units are body heights; y is up.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from unknot.catalog.figure import SUPPORTS, Angles, Posture, Prop, Segment, Skeleton, skeleton

if TYPE_CHECKING:
    from numpy.typing import NDArray

    Points = NDArray[np.float64]

RING = 16  # points around each cross-section
# Prop sizes, in body heights: (along x, up, across z) for boxes; a cylinder's radius and length.
# A box's long side lies across the body (z) unless the figure says `along: x`.
_BOXES = {"block": (0.043, 0.085, 0.13), "blanket": (0.26, 0.04, 0.3), "pillow": (0.2, 0.06, 0.3),
          "chair": (0.26, 0.26, 0.26)}  # fmt: skip
_CYLINDERS = {"bolster": (0.065, 0.4), "foam-roller": (0.05, 0.5), "ball": (0.035, 0.07)}
WALL = (0.03, 1.0, 0.7)
MAT = (0.012, 0.3, 0.3)  # thick, and the least it is wide and long


class Shape(NamedTuple):
    """One solid of the picture: its 3D points (their hull is drawn) and what it is."""

    name: str  # the segment, joint ball, head or prop it is
    kind: str  # "trunk", "limb", "ball", "head", "prop", "strap", "wall"
    side: str | None  # the body side of a limb or ball
    points: Points  # (n, 3); a ball or head: its centre and radius as [[x, y, z], [r, 0, 0]]


class Body(NamedTuple):
    shapes: list[Shape]
    points: dict[str, Points]  # every named point's centre
    lowest: dict[str, float]  # every named point's lowest surface (its ring's lowest y)
    supports: dict[str, float]  # points resting on a prop -> the prop's height


def rotation(flex: float, side: float, twist: float) -> Points:
    """The turn of one joint: twist about y, then side about x, then flex about z (degrees)."""
    return about_z(flex) @ about_x(side) @ about_y(twist)


def about_x(degrees: float) -> Points:
    c, s = math.cos(math.radians(degrees)), math.sin(math.radians(degrees))
    return np.array([[1, 0, 0], [0, c, -s], [0, s, c]], dtype=float)


def about_y(degrees: float) -> Points:
    c, s = math.cos(math.radians(degrees)), math.sin(math.radians(degrees))
    return np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]], dtype=float)


def about_z(degrees: float) -> Points:
    c, s = math.cos(math.radians(degrees)), math.sin(math.radians(degrees))
    return np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]], dtype=float)


def body_turn(angles: dict[str, float]) -> Points:
    """The whole body's turn: roll about its own length, then lean forward, then turn."""
    return about_y(angles["turn"]) @ about_z(-angles["lean"]) @ about_y(angles["roll"])


def joint_turn(name: str, angles: Angles, body: Skeleton) -> Points:
    signs = body.joints[name].signs
    mirror = -1.0 if name.startswith("left.") else 1.0
    return rotation(
        angles.flex * signs.get("flex", 0.0),
        angles.side * signs.get("side", 0.0) * mirror,
        angles.twist * signs.get("twist", 0.0) * mirror,
    )


def pose_body(posture: Posture, contacts: tuple[str, ...], props: tuple[Prop, ...]) -> Body:
    """The body in this posture with its props, set down on its resting points."""
    body = skeleton()
    turn = body_turn(posture.body)
    frames: dict[str, Points] = {}
    ends: dict[str, Points] = {}
    shapes: list[Shape] = []
    points: dict[str, Points] = {}
    lowest: dict[str, float] = {}
    for segment in body.segments.values():
        parent_frame = frames[segment.parent] if segment.parent else turn
        start = ends[segment.parent] if segment.parent else np.zeros(3)
        start = start + parent_frame @ np.array(segment.offset)
        joint = posture.joints.get(segment.joint or "", Angles()) if segment.joint else Angles()
        frame = (
            parent_frame @ joint_turn(segment.joint, joint, body) if segment.joint else parent_frame
        )
        direction = np.array(segment.direction) / np.linalg.norm(segment.direction)
        end = start + frame @ direction * segment.length
        frames[segment.name], ends[segment.name] = frame, end
        if segment.head:
            centre = start + frame @ direction * segment.length
            shapes.append(_ball(segment, centre, segment.head, "head"))
            nose = centre + frame @ np.array([segment.head * 0.95, -segment.head * 0.15, 0.0])
            shapes.append(Shape(f"{segment.name}.face", "head", None,
                                np.array([nose, [segment.head * 0.32, 0, 0]])))  # fmt: skip
            for name in segment.points:
                points[name], lowest[name] = centre, float(centre[1] - segment.head)
            continue
        rings = [
            _ring(c, frame, direction, size)
            for c, size in zip((start, end), segment.rings, strict=True)
        ]
        shapes.append(Shape(segment.name, segment.group, segment.side, np.vstack(rings)))
        if segment.group == "limb":
            shapes.append(
                _ball(segment, end, segment.rings[1][0] / 2, "ball", f"{segment.name}.end")
            )
            if segment.parent is None or body.segments[segment.parent].group != "limb":
                shapes.append(
                    _ball(segment, start, segment.rings[0][0] / 2, "ball", f"{segment.name}.start")
                )
        for name, at in segment.points.items():
            size = tuple(a + (b - a) * at for a, b in zip(*segment.rings, strict=True))
            centre = start + (end - start) * at
            ring = _ring(centre, frame, direction, size)
            points[name], lowest[name] = centre, float(ring[:, 1].min())
            if segment.group == "limb" and at in (0.0, 1.0):  # a joint rests on its ball
                ball = segment.rings[int(at)][0] / 2
                lowest[name] = min(lowest[name], float(centre[1]) - ball)
    supports = {}
    for prop in props:
        if prop.kind in SUPPORTS:
            supports[prop.at] = _support_height(prop)
    # Set down: the resting point that sits lowest over its support touches it.
    drop = min(lowest[c] - supports.get(c, 0.0) for c in contacts)
    lift = np.array([0.0, -drop, 0.0])
    shapes = [s._replace(points=_moved(s, lift)) for s in shapes]
    points = {n: p + lift for n, p in points.items()}
    lowest = {n: y - drop for n, y in lowest.items()}
    shapes += [_prop_shape(prop, points, lowest) for prop in props]
    return Body(shapes, points, lowest, supports)


def _moved(shape: Shape, lift: Points) -> Points:
    if shape.kind in ("ball", "head"):
        return np.array([shape.points[0] + lift, shape.points[1]])
    return shape.points + lift


def _ball(
    segment: Segment, centre: Points, radius: float, kind: str, name: str | None = None
) -> Shape:
    return Shape(name or segment.name, kind, segment.side, np.array([centre, [radius, 0.0, 0.0]]))


def _ring(centre: Points, frame: Points, direction: Points, size: tuple[float, ...]) -> Points:
    """A cross-section: an ellipse (width across z, depth across x) round the segment's length."""
    across = np.array([0.0, 0.0, 1.0])
    if abs(float(direction @ across)) > 0.99:
        across = np.array([1.0, 0.0, 0.0])
    depth_axis = np.cross(across, direction)
    depth_axis /= np.linalg.norm(depth_axis)
    width_axis = np.cross(direction, depth_axis)
    t = np.linspace(0, 2 * math.pi, RING, endpoint=False)
    local = (
        np.outer(np.cos(t), width_axis) * size[0] / 2
        + np.outer(np.sin(t), depth_axis) * size[-1] / 2
    )
    return centre + local @ frame.T


def _support_height(prop: Prop) -> float:
    if prop.kind in _CYLINDERS:
        return 2 * _CYLINDERS[prop.kind][0]
    return _BOXES[prop.kind][1]


def _prop_shape(prop: Prop, points: dict[str, Points], lowest: dict[str, float]) -> Shape:
    """A prop where the figure puts it: under a point, against it (a wall), or a strap to it."""
    x, _, z = points[prop.at]
    if prop.kind == "strap":
        assert prop.to is not None
        return Shape("strap", "strap", None, np.array([points[prop.at], points[prop.to]]))
    if prop.kind == "wall":
        thick, tall, wide = WALL
        face = x + (points[prop.at][1] - lowest[prop.at])  # touching the point's surface
        return Shape("wall", "wall", None, _box(face + thick / 2, tall / 2, z, (thick, tall, wide)))
    if prop.kind in _CYLINDERS:
        radius, length = _CYLINDERS[prop.kind]
        axis = np.array([1.0, 0, 0]) if prop.along == "x" else np.array([0, 0, 1.0])
        centre = np.array([x, radius, z])
        frame = np.eye(3)
        rings = [
            _ring(centre + axis * length / 2 * k, frame, axis, (2 * radius, 2 * radius))
            for k in (-1, 1)
        ]
        return Shape(prop.kind, "prop", None, np.vstack(rings))
    size = _BOXES[prop.kind]
    if prop.along == "x":
        size = (size[2], size[1], size[0])
    return Shape(prop.kind, "prop", None, _box(x, size[1] / 2, z, size))


def _box(x: float, y: float, z: float, size: tuple[float, float, float]) -> Points:
    corners = [(dx, dy, dz) for dx in (-1, 1) for dy in (-1, 1) for dz in (-1, 1)]
    return np.array(
        [
            [x + dx * size[0] / 2, y + dy * size[1] / 2, z + dz * size[2] / 2]
            for dx, dy, dz in corners
        ]
    )


def mat(shapes: list[Shape]) -> Points:
    """A mat under the body: along x, centred under it, a little longer and wider than it."""
    body = np.vstack([s.points[:1] if s.kind in ("ball", "head") else s.points for s in shapes
                      if s.kind not in ("wall", "strap")])  # fmt: skip
    thick, wide, long = MAT
    x0, x1 = body[:, 0].min(), body[:, 0].max()
    z0, z1 = body[:, 2].min(), body[:, 2].max()
    length = max(long, x1 - x0 + 0.14)
    width = max(wide, z1 - z0 + 0.12)
    return _box((x0 + x1) / 2, -thick / 2, (z0 + z1) / 2, (length, thick, width))


def resting(
    posture: Posture, contacts: tuple[str, ...], props: tuple[Prop, ...]
) -> dict[str, float]:
    """How far each resting point's surface is above what carries it (0: it rests on it), and,
    as `floor`, how far the lowest of the body is above the floor (below 0: through it)."""
    body = pose_body(posture, contacts, props)
    gaps = {c: body.lowest[c] - body.supports.get(c, 0.0) for c in contacts}
    gaps["floor"] = min(
        _lowest(s) for s in body.shapes if s.kind in ("trunk", "limb", "ball", "head")
    )
    return gaps


def _lowest(shape: Shape) -> float:
    if shape.kind in ("ball", "head"):
        return float(shape.points[0][1] - shape.points[1][0])
    return float(shape.points[:, 1].min())
