"""A figure for every pose, drawn by our own code as SVG from a body in 3D.

Each catalog pose carries its figure as data (`data/figures/<pose>.yaml`, read by
`unknot.catalog.figure`): joint angles, a camera, resting points, props, the stretched segments
and, for a pose that moves, key frames. `unknot.pictures.body` turns the angles into solids set
down on the floor; here they are seen from the pose's camera (an orthographic view), sorted far
to near and drawn as filled shapes with an outline: the limbs on the side away from the eye
paler than the near ones, the stretched segments tinted wherever they are. A pose that moves is
one SVG whose shapes change between its key frames with SMIL `<animate>` (it plays in an `<img>`
and needs no script); `move_svg` draws the way from one pose into the next.

The left side of a per-side pose is the body mirrored, seen by the mirrored camera: the mirror
image of the right. A per-side figure carries an R or L mark. Colours are written into the SVG
(light); a web figure adds its dark colours in a small style sheet for dark systems.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Iterator, Sequence
from functools import cache
from html import escape
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from unknot.catalog.figure import Camera, Figure, Posture, mirrored
from unknot.files import DATA
from unknot.names import slug
from unknot.pictures.body import Body, Shape, about_x, about_y, mat, pose_body
from unknot.routines.routine import SIDES

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from unknot.catalog.poses import Pose

STYLE_FILE = DATA / "figure-style.yaml"
KINDS = ("near", "trunk", "far", "tint", "prop", "strap", "wall", "mat", "mark")
STEPS = 4  # drawn moments between two key frames; SMIL fills in between them
HULL = 24  # points round every shape that moves, so its path keeps one shape from frame to frame


class Style(NamedTuple):
    width: float
    height: float
    margin: float
    outline: float
    themes: dict[str, dict[str, dict[str, str]]]
    shows: dict[str, tuple[str, ...]]  # area -> the segments that can show it stretched


@cache
def style() -> Style:
    from unknot.yamlfile import load

    root = load(STYLE_FILE, what="figure style").mapping(
        ["width", "height", "margin", "outline", "themes", "shows"],
        required=["width", "height", "margin", "outline", "themes", "shows"],
    )
    shows = {
        k: tuple(v.strings(expected="segments")) for k, v in root["shows"].items(expected="areas")
    }
    themes = {
        theme: {
            kind: {k: v.string() for k, v in paint.items(expected="fill and line")}
            for kind, paint in kinds.items(expected="kinds of shape")
        }
        for theme, kinds in root["themes"].items(expected="themes")
    }
    numbers = {k: float(root[k].scalar()) for k in ("width", "height", "margin", "outline")}
    return Style(themes=themes, shows=shows, **numbers)


# -- which figures a pose has ------------------------------------------------------------------
def sides(pose: Pose) -> tuple[str | None, ...]:
    """The figures a pose has: one for each side of a per-side pose, else one."""
    return SIDES if pose.per_side else (None,)


def every_figure(poses: Iterable[Pose]) -> Iterator[tuple[Pose, str | None]]:
    """(pose, side) for every figure of these poses, right before left; a pose with none (a
    custom step's, not in the catalog) has no figure to list."""
    for pose in poses:
        if pose.figure is None:
            continue
        for side in sides(pose):
            yield pose, side


def figure_name(pose: Pose, side: str | None) -> str:
    """The file name of a figure, the same on disk and on the web: `pigeon-right.svg`."""
    return f"{slug(pose.name)}-{side}.svg" if side else f"{slug(pose.name)}.svg"


# -- seeing the body ---------------------------------------------------------------------------
class View(NamedTuple):
    """A figure in one moment, ready to be seen: the body, its camera, and whether mirrored."""

    body: Body
    camera: Camera
    stretch: frozenset[str]


class Drawn(NamedTuple):
    """One shape seen: its outline in view units (x right, y down), depth, and paint."""

    name: str
    outline: NDArray[np.float64]  # (n, 2)
    depth: float
    paint: str
    line_only: bool = False


def view(figure: Figure, posture: Posture) -> View:
    """The figure's body in `posture`, with its props, seen by its camera."""
    body = pose_body(posture, figure.contacts, figure.props)
    return View(body, figure.camera, frozenset(figure.stretch))


def sided(figure: Figure, side: str | None) -> Figure:
    """The figure as the given side holds it: the left is the right mirrored (each side's
    joints, points and props swapped, the spine's side bends and twists the other way), seen by
    the mirrored camera, so its picture is the mirror image of the right."""
    if side != "left":
        return figure
    motion = figure.motion
    return Figure(
        camera=Camera(180 - figure.camera.azimuth, figure.camera.elevation),
        posture=_mirrored_posture(figure.posture),
        contacts=tuple(mirrored(c) for c in figure.contacts),
        props=tuple(
            p._replace(at=mirrored(p.at), to=mirrored(p.to) if p.to else None) for p in figure.props
        ),
        stretch=tuple(mirrored(s) for s in figure.stretch),
        motion=motion._replace(frames=tuple(_mirrored_posture(f) for f in motion.frames))
        if motion
        else None,
    )


def _mirrored_posture(posture: Posture) -> Posture:
    body = dict(posture.body, roll=-posture.body["roll"], turn=-posture.body["turn"])
    joints = {}
    for name, angles in posture.joints.items():
        sided_joint = name.startswith(("right.", "left."))
        joints[mirrored(name)] = (
            angles if sided_joint else angles._replace(side=-angles.side, twist=-angles.twist)
        )
    return Posture(body, joints)


def _eye(camera: Camera) -> NDArray[np.float64]:
    """World to view: turn about the vertical by the azimuth, then tip down by the elevation."""
    turned: NDArray[np.float64] = about_x(-camera.elevation) @ about_y(camera.azimuth)
    return turned


def seen(moment: View, floor: NDArray[np.float64] | None = None) -> list[Drawn]:
    """Every shape of the moment as the eye sees it, farthest first (the mat always first);
    `floor` is the mat's corners when the moments of a motion share one mat."""
    eye = _eye(moment.camera)
    near_side = _near_side(moment.body.shapes, eye)
    drawn: list[Drawn] = []
    under = mat(moment.body.shapes) if floor is None else floor
    for shape in [*moment.body.shapes, Shape("mat", "mat", None, under)]:
        if shape.kind in ("ball", "head"):
            centre = eye @ shape.points[0]
            radius = float(shape.points[1][0])
            t = np.linspace(0, 2 * math.pi, 24, endpoint=False)
            flat = np.column_stack(
                [centre[0] + radius * np.cos(t), -centre[1] + radius * np.sin(t)]
            )
            depth = float(centre[2]) - 0.002  # a joint's ball over the segments it joins
        else:
            placed = shape.points @ eye.T
            flat = _hull(np.column_stack([placed[:, 0], -placed[:, 1]]))
            depth = float(placed[:, 2].mean())
        if shape.kind == "strap":
            drawn.append(Drawn(shape.name, flat, -1e9, "strap", line_only=True))
            continue
        order = {"mat": 1e9, "wall": 1e8}.get(shape.kind, depth)  # the floor and a wall: behind
        drawn.append(Drawn(shape.name, flat, order, _paint(shape, near_side, moment.stretch)))
    drawn.sort(key=lambda d: -d.depth)
    return drawn


def _near_side(shapes: list[Shape], eye: NDArray[np.float64]) -> dict[str, str]:
    """For the legs and for the arms, which side's limb is nearer the eye."""
    start = {s.name: s.points for s in shapes}
    found = {}
    for limb, root in (("leg", "thigh"), ("arm", "upper_arm")):
        depth = {
            side: float((eye @ start[f"{side}.{root}"][:16].mean(axis=0))[2]) for side in SIDES
        }
        found[limb] = min(depth, key=lambda side: depth[side])
    return found


_LEG = ("thigh", "shin", "foot")


def _paint(shape: Shape, near_side: dict[str, str], stretch: frozenset[str]) -> str:
    if shape.kind in ("prop", "wall", "mat"):
        return shape.kind
    segment = shape.name.removesuffix(".start").removesuffix(".end")
    if segment in stretch:
        return "tint"
    if shape.side is None:
        return "trunk"
    limb = "leg" if segment.split(".")[1] in _LEG else "arm"
    return "near" if near_side[limb] == shape.side else "far"


def _hull(points: NDArray[np.float64]) -> NDArray[np.float64]:
    """The convex hull of 2D points, counter-clockwise (Andrew's monotone chain)."""
    ordered = sorted(map(tuple, np.round(points, 6)))
    if len(ordered) < 3:
        return np.array(ordered)

    def cross(o: tuple[float, ...], a: tuple[float, ...], b: tuple[float, ...]) -> float:
        return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])

    def half(run: Sequence[tuple[float, ...]]) -> list[tuple[float, ...]]:
        chain: list[tuple[float, ...]] = []
        for p in run:
            while len(chain) >= 2 and cross(chain[-2], chain[-1], p) <= 0:
                chain.pop()
            chain.append(p)
        return chain

    lower, upper = half(ordered), half(ordered[::-1])
    return np.array(lower[:-1] + upper[:-1])


def _resampled(outline: NDArray[np.float64], count: int = HULL) -> NDArray[np.float64]:
    """The outline as `count` points evenly round it, from its leftmost point: the same shape
    of path in every frame, so SMIL can move one into the next."""
    start = int(np.argmin(outline[:, 0] * 1e3 + outline[:, 1]))
    ring = np.vstack([np.roll(outline, -start, axis=0), np.roll(outline, -start, axis=0)[:1]])
    steps = np.linalg.norm(np.diff(ring, axis=0), axis=1)
    along = np.concatenate([[0.0], np.cumsum(steps)])
    if along[-1] == 0:
        return np.repeat(ring[:1], count, axis=0)
    at = np.linspace(0, along[-1], count, endpoint=False)
    return np.column_stack([np.interp(at, along, ring[:, 0]), np.interp(at, along, ring[:, 1])])


# -- framing and writing -----------------------------------------------------------------------
class Frame(NamedTuple):
    scale: float
    dx: float
    dy: float

    def place(self, outline: NDArray[np.float64]) -> NDArray[np.float64]:
        placed: NDArray[np.float64] = outline * self.scale + np.array([self.dx, self.dy])
        return placed


def _framing(moments: list[list[Drawn]]) -> Frame:
    """One scale and offset for every moment: the largest that fits them all in the frame."""
    s = style()
    every = np.vstack([d.outline for moment in moments for d in moment])
    low, high = every.min(axis=0), every.max(axis=0)
    size = np.maximum(high - low, 1e-6)
    scale = min((s.width - 2 * s.margin) / size[0], (s.height - 2 * s.margin) / size[1])
    middle = (low + high) / 2
    return Frame(scale, s.width / 2 - middle[0] * scale, s.height / 2 - middle[1] * scale)


def _path(outline: NDArray[np.float64]) -> str:
    head, *rest = (f"{x:.1f} {y:.1f}" for x, y in outline)
    return f"M{head}L{'L'.join(rest)}Z" if rest else f"M{head}Z"


def _line_path(outline: NDArray[np.float64]) -> str:
    (x1, y1), (x2, y2) = outline[0], outline[-1]
    return f"M{x1:.1f} {y1:.1f}L{x2:.1f} {y2:.1f}"


def _paint_attributes(kind: str, themed: bool) -> str:
    paint = style().themes["light"][kind]
    fill = "none" if kind == "strap" else paint["fill"]
    width = style().outline * (2.2 if kind == "strap" else 1)
    css = f' class="u-{kind}"' if themed else ""
    stroke = f'stroke="{paint["line"]}" stroke-width="{width:g}" stroke-linejoin="round"'
    return f'{css} fill="{fill}" {stroke}'


def _dark_css() -> str:
    dark = style().themes["dark"]
    rules = "".join(
        f".u-{kind}{{fill:{'none' if kind == 'strap' else p['fill']};stroke:{p['line']}}}"
        for kind, p in dark.items()
        if kind != "mark"
    )
    mark = dark["mark"]
    rules += f".u-mark{{fill:{mark['fill']}}}.u-mark-text{{fill:{mark['text']}}}"
    return f"<style>@media (prefers-color-scheme:dark){{{rules}}}</style>"


def _mark(side: str, themed: bool) -> str:
    """A bold R or L in the top corner: which side this figure shows, never mirrored."""
    paint = style().themes["light"]["mark"]
    css, text_css = (' class="u-mark"', ' class="u-mark-text"') if themed else ("", "")
    return (
        f'<circle cx="14" cy="14" r="11"{css} fill="{paint["fill"]}"/>'
        f'<text x="14" y="18.6" text-anchor="middle" font-family="DejaVu Sans, Arial, sans-serif" '
        f'font-size="13.5" font-weight="700"{text_css} fill="{paint["text"]}">'
        f"{side[0].upper()}</text>"
    )


def _document(label: str, body: str, *, side: str | None, themed: bool, title: bool) -> str:
    s = style()
    heading = f"<title>{escape(label)}</title>" if title else ""
    sheet = _dark_css() if themed else ""
    mark = _mark(side, themed) if side else ""
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {s.width:g} {s.height:g}" '
        f'role="img" aria-label="{escape(label)}">{heading}{sheet}{body}{mark}</svg>'
    )


def _still(moment: list[Drawn], frame: Frame, themed: bool) -> str:
    parts = []
    for d in moment:
        outline = frame.place(d.outline)
        path = _line_path(outline) if d.line_only else _path(outline)
        parts.append(f'<path d="{path}"{_paint_attributes(d.paint, themed)}/>')
    return "".join(parts)


def _moving(moments: list[list[Drawn]], frame: Frame, themed: bool, *, seconds: float,
            loop: bool) -> str:  # fmt: skip
    """Every shape once, in the first moment's order, its path changing from moment to moment."""
    parts = []
    timing = 'repeatCount="indefinite"' if loop else 'fill="freeze"'
    by_name = [{d.name: d for d in moment} for moment in moments]
    for d in moments[0] if loop else moments[-1]:
        paths = []
        for moment in by_name:
            shape = moment.get(d.name, d)
            outline = frame.place(shape.outline)
            paths.append(_line_path(outline) if d.line_only else _path(_resampled(outline)))
        paint = _paint_attributes(d.paint, themed)
        if len(set(paths)) == 1:  # a shape that stays still is written once
            parts.append(f'<path d="{paths[0]}"{paint}/>')
            continue
        values = ";".join(paths)
        animate = f'<animate attributeName="d" dur="{seconds:g}s" {timing} values="{values}"/>'
        parts.append(f'<path d="{paths[0]}"{paint}>{animate}</path>')
    return "".join(parts)


def _tweens(postures: Sequence[Posture], steps: int = STEPS) -> list[Posture]:
    """The postures between key frames, eased (slow at each key frame, as a breath is)."""
    found: list[Posture] = []
    for a, b in itertools.pairwise(postures):
        for k in range(steps):
            t = (1 - math.cos(math.pi * k / steps)) / 2
            found.append(_between(a, b, t))
    found.append(postures[-1])
    return found


def _between(a: Posture, b: Posture, t: float) -> Posture:
    from unknot.catalog.figure import Angles

    body = {k: a.body[k] + (b.body[k] - a.body[k]) * t for k in a.body}
    names = set(a.joints) | set(b.joints)
    joints = {}
    for n in names:
        x, y = a.joints.get(n, Angles()), b.joints.get(n, Angles())
        joints[n] = Angles(*(p + (q - p) * t for p, q in zip(x, y, strict=True)))
    return Posture(body, joints)


def _label(pose: Pose, side: str | None) -> str:
    return f"{pose.name}" + (f", {side} side" if side else "")


def _figure_of(pose: Pose) -> Figure:
    if pose.figure is None:  # a custom step's pose: its page or card shows a text panel
        what = "is not in unknot's catalog" if pose.custom else "has no figure file"
        raise ValueError(f"{pose.name} {what}, so it has no figure to draw")
    return pose.figure


def svg(pose: Pose, side: str | None = None, *, theme: str = "auto", title: bool = True,
        motion: bool = True, mark: bool = True) -> str:  # fmt: skip
    """The pose's figure as SVG; `side` 'left' mirrors it. `theme` 'auto' adds the dark
    colours for a web page; 'print' leaves only the light ones. A pose that moves moves, unless
    `motion` is off (the card, a still picture). `mark` off leaves out the R or L (where the
    page marks the side itself)."""
    figure = sided(_figure_of(pose), side)
    themed = theme == "auto"
    label = _label(pose, side)
    if figure.motion and motion:
        keys = [figure.posture, *figure.motion.frames, figure.posture]
        views = [view(figure, p) for p in _tweens(keys)]
        floor = mat(views[0].body.shapes)
        moments = [seen(v, floor) for v in views]
        frame = _framing(moments)
        body = _moving(moments, frame, themed, seconds=figure.motion.seconds, loop=True)
    else:
        moment = seen(view(figure, figure.posture))
        frame = _framing([moment])
        body = _still(moment, frame, themed)
    return _document(label, body, side=side if mark else None, themed=themed, title=title)


def move_svg(before: tuple[Pose, str | None], after: tuple[Pose, str | None], seconds: float, *,
             title: bool = True) -> str:  # fmt: skip
    """The way from one pose into the next, played once over `seconds` and held at its end:
    the body's angles and the camera move together, the props of the pose to come appear."""
    (first, first_side), (then, then_side) = before, after
    start, end = sided(_figure_of(first), first_side), sided(_figure_of(then), then_side)
    steps = 8  # moments drawn; SMIL moves between them
    turn = ((end.camera.azimuth - start.camera.azimuth + 180) % 360) - 180
    views: list[View] = []
    for k in range(steps + 1):
        t = (1 - math.cos(math.pi * k / steps)) / 2
        camera = Camera(
            start.camera.azimuth + turn * t,
            start.camera.elevation + (end.camera.elevation - start.camera.elevation) * t,
        )
        posture = _between(start.posture, end.posture, t)
        now = end if t >= 0.5 else start._replace(stretch=())
        figure = now._replace(camera=camera, posture=posture, motion=None)
        views.append(view(figure, posture))
    floor = mat(views[-1].body.shapes)
    seen_moments = [seen(v, floor) for v in views]
    moments = [_same_shapes(m, seen_moments[-1]) for m in seen_moments]
    frame = _framing(moments)
    body = _moving(moments, frame, True, seconds=seconds, loop=False)
    label = f"From {_label(first, first_side)} to {_label(then, then_side)}"
    return _document(label, body, side=then_side, themed=True, title=title)


def _same_shapes(moment: list[Drawn], last: list[Drawn]) -> list[Drawn]:
    """A moment with exactly the shapes of the last one (props still to come sit where they
    will be; props gone are dropped), so every shape has a path in every moment."""
    have = {d.name: d for d in moment}
    return [have.get(d.name, d) for d in last]
