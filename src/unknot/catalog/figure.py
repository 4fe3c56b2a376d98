"""The figure model: how a pose's figure is written in the catalog (view, segment angles, the
points resting on the floor, props), read and checked. Each pose's figure is a file of its own,
`data/figures/<slug>.yaml`, apart from the pose's facts and words, because this model is to be
replaced wholesale. Drawing it is `unknot.pictures.drawing`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from unknot.yamlfile import Field

SEGMENTS = ("thigh", "shin", "foot", "upper_arm", "forearm")
VIEWS = ("side", "front", "above")  # above: lying on a mat, seen from over it
_JOINTS = ("knee", "ankle", "toe", "elbow", "hand")
POINTS = (
    "hip",
    "neck",
    "head",
    "back",
    *(f"{limb}.{j}" for limb in ("near", "far") for j in _JOINTS),
)


class Figure(NamedTuple):
    """A pose's figure as written in the catalog."""

    view: str
    torso: float
    head: float
    near: dict[str, float]
    far: dict[str, float]
    contacts: tuple[str, ...]
    props: tuple[tuple[str, str], ...]  # (kind, point it sits under or at)


def read_figure(field: Field, props: tuple[str, ...]) -> Figure:
    """A figure file's mapping, every angle and name checked; `props` are the ones it may draw."""
    f = field.mapping(
        ["view", "torso", "head", "near", "far", "contacts", "props"],
        required=["view", "torso", "near", "far", "contacts"],
    )
    view = f["view"].string(expected="side, front or above")
    if view not in VIEWS:
        raise f["view"].error(f"unknown view {view!r}", "side, front or above")
    torso = _angle(f["torso"])
    contacts = (
        ()
        if f["contacts"].kind == "seq" and not f["contacts"].node.value
        else tuple(f["contacts"].strings(expected="points that rest on the floor"))
    )
    for point in contacts:
        if point not in POINTS:
            raise f["contacts"].error(f"unknown point {point!r}", f"one of {', '.join(POINTS)}")
    placed: list[tuple[str, str]] = []
    if "props" in f:
        for item in f["props"].sequence(expected="a list of {kind, at}"):
            parts = item.mapping(["kind", "at"], required=["kind", "at"])
            kind, at = parts["kind"].string(), parts["at"].string()
            if kind not in props or at not in POINTS:
                raise item.error(
                    f"unknown prop {kind!r} at {at!r}", f"a prop ({', '.join(props)}) at a point"
                )
            placed.append((kind, at))
    return Figure(
        view=view,
        torso=torso,
        head=_angle(f["head"]) if "head" in f else torso,
        near=_limbs(f["near"]),
        far=_limbs(f["far"]),
        contacts=contacts,
        props=tuple(placed),
    )


def _angle(field: Field) -> float:
    if field.kind not in ("int", "float"):
        raise field.error(f"is {field.describe()}", "an angle in degrees")
    value = float(field.scalar())
    if not -360 <= value <= 360:
        raise field.error(f"{value:g} is out of range", "an angle from -360 to 360 degrees")
    return value


def _limbs(field: Field) -> dict[str, float]:
    parts = field.mapping(SEGMENTS, required=SEGMENTS, expected=f"angles for {', '.join(SEGMENTS)}")
    return {name: _angle(parts[name]) for name in SEGMENTS}
