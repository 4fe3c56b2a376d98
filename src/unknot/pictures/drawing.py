"""A figure for every pose: a small 2D body drawn by our own code as SVG.

Each catalog pose carries its figure as data (`data/figures/<pose>.yaml`): the view (side, or
front where a side view cannot show the pose), the angle of every body segment, which points
rest on the floor, and any props. Forward kinematics turns the angles into points with the same
proportions for every pose (data/figure-style.yaml); the figure is then set down so its lowest point
touches the floor line. The left side of a per-side pose is the mirror of the right. Areas the
pose stretches are tinted on the body, so a person sees where to feel it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator
from functools import cache
from typing import TYPE_CHECKING, Any, NamedTuple

from unknot.catalog.figure import Figure
from unknot.files import DATA
from unknot.names import slug
from unknot.routines.routine import SIDES

if TYPE_CHECKING:
    from unknot.catalog.poses import Pose

STYLE_FILE = DATA / "figure-style.yaml"


class Style(NamedTuple):
    body: dict[str, float]
    scale: float
    width: float
    height: float
    floor: float
    tint: dict[str, tuple[str, ...]]


@cache
def style() -> Style:
    from unknot.yamlfile import load

    root = load(STYLE_FILE, what="figure style").mapping(
        ["body", "scale", "width", "height", "floor", "tint"],
        required=["body", "scale", "width", "height", "floor", "tint"],
    )
    body = {k: float(v.scalar()) for k, v in root["body"].items(expected="body lengths")}
    tint = {k: tuple(v.strings(expected="parts")) for k, v in root["tint"].items(expected="areas")}
    numbers = {k: float(root[k].scalar()) for k in ("scale", "width", "height", "floor")}
    return Style(body, tint=tint, **numbers)


# -- geometry ------------------------------------------------------------------------------------
Point = tuple[float, float]


def _step(start: Point, length: float, degrees: float) -> Point:
    radians = math.radians(degrees)
    return (start[0] + length * math.cos(radians), start[1] + length * math.sin(radians))


def joints(figure: Figure) -> dict[str, Point]:
    """Every point of the body, in body heights, y up, set down on the floor (y = 0)."""
    body = style().body
    points: dict[str, Point] = {"hip": (0.0, 0.0)}
    points["neck"] = _step(points["hip"], body["torso"], figure.torso)
    points["back"] = _step(points["hip"], body["torso"] / 2, figure.torso)
    points["head"] = _step(points["neck"], body["neck"], figure.head)
    for limb, angles in (("near", figure.near), ("far", figure.far)):
        points[f"{limb}.knee"] = _step(points["hip"], body["thigh"], angles["thigh"])
        points[f"{limb}.ankle"] = _step(points[f"{limb}.knee"], body["shin"], angles["shin"])
        points[f"{limb}.toe"] = _step(points[f"{limb}.ankle"], body["foot"], angles["foot"])
        points[f"{limb}.elbow"] = _step(points["neck"], body["upper_arm"], angles["upper_arm"])
        points[f"{limb}.hand"] = _step(points[f"{limb}.elbow"], body["forearm"], angles["forearm"])
    half_line = body["line"] / 2
    lowest = min(
        min(y - half_line for name, (_, y) in points.items() if name != "head"),
        points["head"][1] - body["head_radius"],
    )
    return {name: (x, y - lowest) for name, (x, y) in points.items()}


# -- drawing -------------------------------------------------------------------------------------
_CSS = """
.floor{stroke:var(--floor)}.far{stroke:var(--far)}.near{stroke:var(--near)}
.head{fill:var(--near)}.tint{stroke:var(--tint)}.prop{fill:var(--prop);stroke:none}
.strap{stroke:var(--prop);fill:none}
svg{--floor:#b8b2a7;--far:#9aa7b4;--near:#2f3b48;--tint:#e4572e;--prop:#c9b48f;--mat:#ece8e1}
@media (prefers-color-scheme:dark){svg{--floor:#5b5f66;--far:#6c7888;--near:#e8ecf1;
--tint:#ff8a5c;--prop:#8d7a58;--mat:#2c3138}}
"""
_PRINT = {
    "floor": "#b8b2a7",
    "far": "#9aa7b4",
    "near": "#2f3b48",
    "tint": "#e4572e",
    "prop": "#c9b48f",
}


def sides(pose: Pose) -> tuple[str | None, ...]:
    """The figures a pose has: one for each side of a per-side pose, else one."""
    return SIDES if pose.per_side else (None,)


def every_figure(poses: Iterable[Pose]) -> Iterator[tuple[Pose, str | None]]:
    """(pose, side) for every figure of these poses, right before left."""
    for pose in poses:
        for side in sides(pose):
            yield pose, side


def figure_name(pose: Pose, side: str | None) -> str:
    """The file name of a figure, the same on disk and on the web: `pigeon-right.svg`."""
    return f"{slug(pose.name)}-{side}.svg" if side else f"{slug(pose.name)}.svg"


def svg(pose: Pose, side: str | None = None, *, theme: str = "auto", title: bool = True) -> str:
    """The pose's figure as SVG; `side` 'left' mirrors it; `theme` 'print' fixes the colours."""
    from html import escape  # here: a catalog loaded from the cache draws nothing

    if pose.figure is None:
        raise ValueError(f"{pose.name} has no figure")
    s = style()
    points = joints(pose.figure)
    if pose.figure.view == "above":  # lying down seen from above: the body runs across the mat
        points = {name: (-y, x) for name, (x, y) in points.items()}
    xs = [x for x, _ in points.values()]
    middle = (min(xs) + max(xs)) / 2
    mirror = side == "left"

    above = pose.figure.view == "above"  # seen from over the mat: centred, on a mat
    ys = [y for _, y in points.values()]
    base = s.height / 2 + (max(ys) + min(ys)) / 2 * s.scale if above else s.floor

    def at(name: str) -> tuple[float, float]:
        x, y = points[name]
        x = (x - middle) * (-1 if mirror else 1)
        return (s.width / 2 + x * s.scale, base - y * s.scale)

    line = s.body["line"] * s.scale
    colour = _colours(theme)
    parts = [_ground(above, base, ys, line, colour)]
    parts += [_prop(kind, at(where), at, s, colour) for kind, where in pose.figure.props]
    parts += _body(_tinted(pose), at, line, colour)
    hx, hy = at("head")
    parts.append(_circle((hx, hy), s.body["head_radius"] * s.scale, "head", colour))
    label = f"{pose.name}" + (f", {side} side" if side else "")
    style_block = f"<style>{_CSS}</style>" if theme == "auto" else ""
    heading = f"<title>{escape(label)}</title>" if title else ""
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {s.width:g} {s.height:g}" '
        f'role="img" aria-label="{escape(label)}">{heading}{style_block}'
        + "".join(parts)
        + "</svg>"
    )


def _ground(above: bool, base: float, ys: list[float], line: float, colour: dict[str, str]) -> str:
    """A mat under a body seen from above, else the floor line."""
    s = style()
    if above:
        top, bottom = base - max(ys) * s.scale - 10, base - min(ys) * s.scale + 10
        return (
            f'<rect x="8" y="{top:.1f}" width="{s.width - 16:g}" height="{bottom - top:.1f}" '
            f'rx="6" {colour["floor-fill"]}/>'
        )
    floor_y = s.floor + line / 2
    return _line((0, floor_y), (s.width, floor_y), "floor", line / 2, colour)


def _body(
    tinted: set[str], at: Callable[[str], Point], line: float, colour: dict[str, str]
) -> list[str]:
    """The far limbs, then the torso and head, then the near limbs, each with its tint."""
    parts: list[str] = []
    for limb in ("far", "near"):
        for a, b, segment in _limb_segments(limb):
            parts.append(_line(at(a), at(b), limb, line, colour))
            if limb == "near" and f"near.{segment}" in tinted:
                parts.append(_line(at(a), at(b), "tint", line * 0.55, colour))
        if limb == "far":
            parts += _torso(tinted, at, line, colour)
    return parts


def _torso(
    tinted: set[str], at: Callable[[str], Point], line: float, colour: dict[str, str]
) -> list[str]:
    parts = [
        _line(at("hip"), at("neck"), "near", line * 1.25, colour),
        _line(at("neck"), at("head"), "near", line, colour),
    ]
    for part, (a, b) in (("lower.torso", ("hip", "back")), ("upper.torso", ("back", "neck"))):
        if part in tinted:
            parts.append(_line(at(a), at(b), "tint", line * 0.6, colour))
    if "neck" in tinted:
        parts.append(_line(at("neck"), at("head"), "tint", line * 0.5, colour))
    if "hip" in tinted:
        parts.append(_circle(at("hip"), line * 0.9, "tint-fill", colour))
    return parts


def _colours(theme: str) -> dict[str, str]:
    if theme == "print":
        return {k: f'stroke="{v}"' for k, v in _PRINT.items()} | {
            "head": f'fill="{_PRINT["near"]}"',
            "prop": f'fill="{_PRINT["prop"]}"',
            "strap": f'stroke="{_PRINT["prop"]}"',
            "floor-fill": 'fill="#ece8e1"',
            "tint-fill": f'fill="{_PRINT["tint"]}"',
        }
    return {
        k: f'class="{k}"' for k in ("floor", "far", "near", "tint", "head", "prop", "strap")
    } | {
        "tint-fill": 'class="tint" style="fill:var(--tint);stroke:none"',
        "floor-fill": 'class="mat" style="fill:var(--mat);stroke:none"',
    }


def _limb_segments(limb: str) -> list[tuple[str, str, str]]:
    return [
        ("hip", f"{limb}.knee", "thigh"),
        (f"{limb}.knee", f"{limb}.ankle", "shin"),
        (f"{limb}.ankle", f"{limb}.toe", "foot"),
        ("neck", f"{limb}.elbow", "upper_arm"),
        (f"{limb}.elbow", f"{limb}.hand", "forearm"),
    ]


def _tinted(pose: Pose) -> set[str]:
    """The parts to tint: those of the areas the pose works most (weight 2 or more)."""
    tint = style().tint
    return {
        part for area, weight in pose.areas.items() if weight >= 2 for part in tint.get(area, ())
    }


def _line(a: Point, b: Point, kind: str, width: float, colour: dict[str, str]) -> str:
    paint = colour["strap" if kind == "strap" else kind]
    return (
        f'<line x1="{a[0]:.1f}" y1="{a[1]:.1f}" x2="{b[0]:.1f}" y2="{b[1]:.1f}" {paint} '
        f'stroke-width="{width:.1f}" stroke-linecap="round"/>'
    )


def _circle(centre: Point, radius: float, kind: str, colour: dict[str, str]) -> str:
    return f'<circle cx="{centre[0]:.1f}" cy="{centre[1]:.1f}" r="{radius:.1f}" {colour[kind]}/>'


def _prop(kind: str, where: Point, at: Any, s: Style, colour: dict[str, str]) -> str:
    """Props drawn simply, on the floor under (or at) the point they go with."""
    x, y = where
    floor = s.floor
    unit = s.scale
    if kind == "wall":
        left, thick, tall = x + 0.05 * unit, 0.05 * unit, floor - 4
        paint = colour["prop"]
        return f'<rect x="{left:.1f}" y="4" width="{thick:.1f}" height="{tall:.1f}" {paint}/>'
    if kind == "strap":
        hx, hy = at("near.hand")
        return _line((hx, hy), (x, y), "strap", 0.015 * unit, colour)
    if kind == "foam-roller":
        r = 0.06 * unit
        return f'<circle cx="{x:.1f}" cy="{floor - r:.1f}" r="{r:.1f}" {colour["prop"]}/>'
    width, height = {"block": (0.12, 0.09), "bolster": (0.3, 0.08)}.get(kind, (0.2, 0.04))
    top = max(y, floor - height * unit)
    return (
        f'<rect x="{x - width * unit / 2:.1f}" y="{top:.1f}" width="{width * unit:.1f}" '
        f'height="{floor - top:.1f}" rx="{0.015 * unit:.1f}" {colour["prop"]}/>'
    )
