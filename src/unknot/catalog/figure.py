"""The figure model: a pose's figure written as a body's joint angles, read and checked.

A figure is data, not a drawing: the angle of every joint that is not at rest
(`data/skeleton.yaml` defines the body, its joints and how far each may turn), how the whole body
lies, the camera that shows it best, which points rest on the floor or on a prop, the props, the
segments the pose stretches, and for a pose that moves, its key frames. Each pose's figure is a
file of its own, `data/figures/<slug>.yaml`, written for the right side: the left is its mirror.
Turning the angles into a picture is `unknot.pictures.drawing`.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, NamedTuple

from unknot.files import DATA

if TYPE_CHECKING:
    from collections.abc import Mapping

    from unknot.yamlfile import Field

SKELETON_FILE = DATA / "skeleton.yaml"
SIDES = ("right", "left")
ANGLES = ("flex", "side", "twist")
BODY_ANGLES = ("lean", "roll", "turn")
# Props that hold the body up from below (the others stand beside it or hang from a hand).
SUPPORTS = ("block", "bolster", "blanket", "pillow", "foam-roller", "chair", "ball")


class Segment(NamedTuple):
    """One segment of the skeleton, as `data/skeleton.yaml` writes it (the left one mirrored)."""

    name: str
    parent: str | None  # None: it starts at the root, the middle of the pelvis
    offset: tuple[float, float, float]
    direction: tuple[float, float, float]
    length: float
    rings: tuple[tuple[float, float], tuple[float, float]]  # (width, depth) at start and end
    head: float  # a head's radius (the head is drawn as a ball), else 0
    joint: str | None
    points: dict[str, float]  # point name -> where along the segment (0 start, 0.5, 1 end)
    group: str  # "trunk" or "limb"
    side: str | None  # "right", "left" or None for the trunk


class Joint(NamedTuple):
    signs: dict[str, float]  # angle -> +1 or -1: which way a positive angle turns
    ranges: dict[str, tuple[float, float]]  # angle -> (lowest, highest) a figure may use


class Skeleton(NamedTuple):
    segments: dict[str, Segment]  # parents before children
    joints: dict[str, Joint]
    spine: tuple[str, ...]
    body: dict[str, tuple[float, float]]

    @property
    def points(self) -> dict[str, tuple[str, float]]:
        """Every named point: where a figure rests or a prop goes -> (segment, fraction)."""
        return {p: (s.name, at) for s in self.segments.values() for p, at in s.points.items()}


class Angles(NamedTuple):
    """One joint's angles, in degrees, as the figure writes them (0 is the rest position)."""

    flex: float = 0.0
    side: float = 0.0
    twist: float = 0.0


class Posture(NamedTuple):
    """The body in one moment: how it lies and every joint that is not at rest."""

    body: dict[str, float]  # lean, roll, turn
    joints: dict[str, Angles]


class Prop(NamedTuple):
    kind: str
    at: str  # the point it goes under (a support), the point a wall touches, a strap's hand
    to: str | None = None  # where a strap goes to
    along: str = "z"  # which way a bolster or roller lies: across the body (z) or along it (x)


class Camera(NamedTuple):
    azimuth: float  # 0: from the body's right side; 90: from its front; 180: from its left
    elevation: float  # 0: level with the floor; 90: from straight above


class Motion(NamedTuple):
    """A pose that moves: key frames after the figure's own posture, looped once a `seconds`."""

    seconds: float
    frames: tuple[Posture, ...]


class Figure(NamedTuple):
    """A pose's figure as written in the catalog (its right side)."""

    camera: Camera
    posture: Posture
    contacts: tuple[str, ...]
    props: tuple[Prop, ...]
    stretch: tuple[str, ...]  # the segments the pose stretches, tinted on the figure
    motion: Motion | None


# -- the skeleton ------------------------------------------------------------------------------
@cache
def skeleton() -> Skeleton:
    """The body every figure is drawn from, both sides (`data/skeleton.yaml`)."""
    from unknot.yamlfile import load

    root = load(SKELETON_FILE, what="skeleton").mapping(
        ["segments", "joints", "spine", "body"], required=["segments", "joints", "spine", "body"]
    )
    segments: dict[str, Segment] = {}
    for name, field in root["segments"].items(expected="segments by name"):
        segment = _segment(name, field, segments)
        segments[name] = segment
        if segment.side == "right":
            mirrored = _mirror(segment)
            segments[mirrored.name] = mirrored
    joints: dict[str, Joint] = {}
    for name, field in root["joints"].items(expected="joints by name"):
        joint = _joint(field)
        joints[name] = joint
        if name.startswith("right."):
            joints[_other_side(name)] = joint
    named = {s.joint for s in segments.values() if s.joint}
    if named != set(joints):
        raise root["joints"].error(
            f"the joints {sorted(named ^ set(joints))} are not both on a segment and here",
            "one entry for every segment's joint",
        )
    spine = tuple(root["spine"].strings(expected="joints"))
    body = {
        k: (float(r[0].scalar()), float(r[1].scalar()))
        for k, f in root["body"].items(expected="body angles")
        for r in [f.sequence(expected="[lowest, highest]")]
    }
    return Skeleton(segments, joints, spine, body)


def _segment(name: str, field: Field, known: dict[str, Segment]) -> Segment:
    keys = ["from", "offset", "joint", "direction", "length", "rings", "head"]
    keys += ["start", "middle", "end", "group"]
    f = field.mapping(keys, required=["from", "direction", "length", "group"])
    parent = f["from"].string()
    if parent != "root" and parent not in known:
        raise f["from"].error(f"{parent!r} is not a segment above", "root or a segment above")
    rings = (
        [_numbers(r, 1, 2) for r in f["rings"].sequence(expected="two rings")]
        if "rings" in f
        else []
    )
    if rings and len(rings) != 2:
        raise f["rings"].error(f"has {len(rings)} rings", "two: at the start and at the end")
    start, end = ((r[0], r[-1]) for r in rings) if rings else ((0.0, 0.0), (0.0, 0.0))
    points = {
        f[k].string(): at for k, at in (("start", 0.0), ("middle", 0.5), ("end", 1.0)) if k in f
    }
    side = name.split(".")[0] if "." in name else None
    return Segment(
        name=name,
        parent=None if parent == "root" else parent,
        offset=_vector(f["offset"]) if "offset" in f else (0.0, 0.0, 0.0),
        direction=_vector(f["direction"]),
        length=float(f["length"].scalar()),
        rings=(start, end),
        head=float(f["head"].scalar()) if "head" in f else 0.0,
        joint=f["joint"].string() if "joint" in f else None,
        points=points,
        group=f["group"].string(),
        side=side,
    )


def _mirror(segment: Segment) -> Segment:
    x, y, z = segment.offset
    dx, dy, dz = segment.direction
    return segment._replace(
        name=_other_side(segment.name),
        parent=_other_side(segment.parent) if segment.parent else None,
        offset=(x, y, -z),
        direction=(dx, dy, -dz),
        joint=_other_side(segment.joint) if segment.joint else None,
        points={_other_side(p): at for p, at in segment.points.items()},
        side="left",
    )


def _other_side(name: str) -> str:
    side, dot, rest = name.partition(".")
    if not dot or side not in SIDES:
        return name
    return f"{'left' if side == 'right' else 'right'}.{rest}"


def _joint(field: Field) -> Joint:
    signs: dict[str, float] = {}
    ranges: dict[str, tuple[float, float]] = {}
    for angle, spec in field.mapping(ANGLES, expected="flex, side, twist").items():
        sign, low, high = _numbers(spec, 3, 3)
        signs[angle], ranges[angle] = sign, (low, high)
    return Joint(signs, ranges)


def _numbers(field: Field, fewest: int, most: int) -> tuple[float, ...]:
    items = field.sequence(expected=f"a list of {fewest} to {most} numbers")
    if not fewest <= len(items) <= most or any(i.kind not in ("int", "float") for i in items):
        raise field.error(f"is {field.describe()}", f"a list of {fewest} to {most} numbers")
    return tuple(float(i.scalar()) for i in items)


def _vector(field: Field) -> tuple[float, float, float]:
    x, y, z = _numbers(field, 3, 3)
    return (x, y, z)


def mirrored(name: str) -> str:
    """A point, joint or segment's name on the other side: `right.knee` -> `left.knee`."""
    return _other_side(name)


# -- a figure file -----------------------------------------------------------------------------
def read_figure(field: Field, props: tuple[str, ...]) -> Figure:
    """A figure file's mapping, every angle and name checked; `props` are the ones it may draw."""
    body = skeleton()
    f = field.mapping(
        ["camera", "body", "joints", "contacts", "props", "stretch", "motion"],
        required=["camera", "contacts", "stretch"],
    )
    c = f["camera"].mapping(["azimuth", "elevation"], required=["azimuth", "elevation"])
    camera = Camera(_angle(c["azimuth"], -180, 360), _angle(c["elevation"], -10, 90))
    posture = _posture(f.get("body"), f.get("joints"), body)
    points = body.points
    contacts = tuple(_name(p, points, "a point") for p in _list(f["contacts"], "points"))
    if not contacts:
        raise f["contacts"].error("is empty", "the points that rest on the floor or a prop")
    placed = (
        tuple(_prop(item, props, points) for item in f["props"].sequence(expected="props"))
        if "props" in f
        else ()
    )
    stretch = tuple(_name(s, body.segments, "a segment") for s in _list(f["stretch"], "segments"))
    motion = _motion(f["motion"], posture, body) if "motion" in f else None
    return Figure(camera, posture, contacts, placed, stretch, motion)


def _posture(body_field: Field | None, joints_field: Field | None, body: Skeleton, *,
             base: Posture | None = None) -> Posture:  # fmt: skip
    """The body's angles and every joint's; a key frame (`base` given) changes only those named."""
    angles = dict(base.body) if base else dict.fromkeys(BODY_ANGLES, 0.0)
    if body_field is not None:
        for name, field in body_field.mapping(BODY_ANGLES, expected="lean, roll, turn").items():
            low, high = body.body[name]
            angles[name] = _angle(field, low, high)
    joints = dict(base.joints) if base else {}
    if joints_field is not None:
        spread: dict[str, Angles] = {}
        for name, field in joints_field.items(expected="joints by name"):
            if name == "spine":
                whole = _angles(field, None, body)
                share = Angles(*(a / len(body.spine) for a in whole))
                spread = dict.fromkeys(body.spine, share)
                continue
            if name not in body.joints:
                _name(field, body.joints, "a joint", name=name)
            joints[name] = _angles(field, name, body)
        named = {name for name, _ in joints_field.items(expected="joints by name")}
        for name, share in spread.items():  # the spine's share adds to a joint's own angles
            # (in a key frame, to those the frame itself names: `spine` there replaces it)
            own = joints.get(name, Angles()) if base is None or name in named else Angles()
            joints[name] = Angles(*(a + b for a, b in zip(own, share, strict=True)))
        for name, angles_of in joints.items():
            _check_range(joints_field, name, angles_of, body)
    return Posture(angles, joints)


def _angles(field: Field, joint: str | None, body: Skeleton) -> Angles:
    allowed = ANGLES if joint is None else tuple(body.joints[joint].signs)
    parts = field.mapping(allowed, expected=f"angles: {', '.join(allowed)}")
    return Angles(**{k: _angle(v, -360, 360) for k, v in parts.items()})


def _check_range(field: Field, joint: str, angles: Angles, body: Skeleton) -> None:
    for angle, value in angles._asdict().items():
        low, high = body.joints[joint].ranges.get(angle, (0.0, 0.0))
        if not low - 1e-6 <= value <= high + 1e-6:
            raise field.error(
                f"{joint} {angle} {value:g} is beyond what the joint does",
                f"{low:g} to {high:g} degrees (data/skeleton.yaml)",
            )


def _motion(field: Field, posture: Posture, body: Skeleton) -> Motion:
    m = field.mapping(["seconds", "frames"], required=["seconds", "frames"])
    if m["seconds"].kind not in ("int", "float") or not 2 <= float(m["seconds"].scalar()) <= 60:
        raise m["seconds"].error(f"is {m['seconds'].describe()}", "2 to 60 seconds a cycle")
    frames = []
    for item in m["frames"].sequence(expected="key frames"):
        parts = item.mapping(["body", "joints"], expected="a key frame: body and joints")
        frames.append(_posture(parts.get("body"), parts.get("joints"), body, base=posture))
    if not frames:
        raise m["frames"].error("is empty", "at least one key frame")
    return Motion(float(m["seconds"].scalar()), tuple(frames))


def _prop(item: Field, props: tuple[str, ...], points: dict[str, tuple[str, float]]) -> Prop:
    p = item.mapping(["kind", "at", "to", "along"], required=["kind", "at"])
    kind = p["kind"].string()
    if kind not in props:
        raise p["kind"].error(f"unknown prop {kind!r}", f"one of {', '.join(props)}")
    along = p["along"].string() if "along" in p else "z"
    if along not in ("x", "z"):
        raise p["along"].error(f"is {along!r}", "x (along the body) or z (across it)")
    to = _name(p["to"], points, "a point") if "to" in p else None
    if (kind == "strap") != (to is not None):
        needs = "needs" if kind == "strap" else "takes no"
        raise item.error(f"a {kind} {needs} 'to'", "a strap from a hand (at) to a point (to)")
    return Prop(kind, _name(p["at"], points, "a point"), to, along)


def _list(field: Field, what: str) -> list[Field]:
    if field.kind == "str":
        return [field]
    return field.sequence(expected=f"a list of {what}")


def _name(field: Field, known: Mapping[str, object], what: str, *, name: str | None = None) -> str:
    from unknot.names import closest

    value = name if name is not None else field.string(expected=what)
    if value not in known:
        near = closest(value, list(known))
        hint = f" (did you mean {near[0]!r}?)" if near else ""
        raise field.error(
            f"unknown {what.removeprefix('a ')} {value!r}{hint}", f"{what} of data/skeleton.yaml"
        )
    return value


def _angle(field: Field, low: float, high: float) -> float:
    if field.kind not in ("int", "float"):
        raise field.error(f"is {field.describe()}", "an angle in degrees")
    value = float(field.scalar())
    if not low <= value <= high:
        raise field.error(
            f"{value:g} is out of range", f"an angle from {low:g} to {high:g} degrees"
        )
    return value
