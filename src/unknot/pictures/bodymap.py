"""The body outline a person taps to say what feels tight: front and back views drawn from
data/body.yaml, each tappable shape tagged with the area it stands for.

The outline is for pointing; the list of areas beside it is the control itself (and what a
screen reader or a keyboard uses), so the drawing is hidden from assistive technology.
"""

from __future__ import annotations

from collections.abc import Collection
from functools import cache
from html import escape
from pathlib import Path
from typing import NamedTuple

from unknot.catalog.vocabulary import vocabulary
from unknot.files import DATA
from unknot.yamlfile import Field, load

BODY_FILE = DATA / "body.yaml"
WIDTH, HEIGHT = 120, 260
SHAPES = {"circle": 3, "ellipse": 4, "rect": 5}  # how many numbers each takes; polygon: pairs


class Shape(NamedTuple):
    kind: str
    numbers: tuple[float, ...]

    def svg(self, attributes: str = "") -> str:
        n = self.numbers
        if self.kind == "circle":
            return f'<circle cx="{n[0]:g}" cy="{n[1]:g}" r="{n[2]:g}"{attributes}/>'
        if self.kind == "ellipse":
            return f'<ellipse cx="{n[0]:g}" cy="{n[1]:g}" rx="{n[2]:g}" ry="{n[3]:g}"{attributes}/>'
        if self.kind == "rect":
            return (
                f'<rect x="{n[0]:g}" y="{n[1]:g}" width="{n[2]:g}" height="{n[3]:g}" '
                f'rx="{n[4]:g}"{attributes}/>'
            )
        points = " ".join(f"{x:g},{y:g}" for x, y in zip(n[::2], n[1::2], strict=True))
        return f'<polygon points="{points}"{attributes}/>'


class View(NamedTuple):
    name: str
    outline: tuple[Shape, ...]
    areas: dict[str, tuple[Shape, ...]]  # in drawing order


def _shape(field: Field) -> Shape:
    ((kind, numbers),) = field.mapping([*SHAPES, "polygon"], expected="one shape").items()
    values = tuple(float(v.scalar()) for v in numbers.sequence(expected="a list of numbers"))
    wanted = SHAPES.get(kind)
    if (wanted is not None and len(values) != wanted) or (
        wanted is None and (len(values) < 6 or len(values) % 2)
    ):
        raise numbers.error(
            f"has {len(values)} numbers", f"{wanted} numbers" if wanted else "3 or more x, y pairs"
        )
    return Shape(kind, values)


def read_views(path: Path) -> tuple[View, ...]:
    vocab = vocabulary()
    root = load(path, what="body outline").mapping(["views"], required=["views"])
    views = []
    for name, view in root["views"].items(expected="a mapping of views"):
        parts = view.mapping(["outline", "areas"], required=["areas"])
        outline = tuple(
            _shape(s)
            for s in (
                parts["outline"].sequence(expected="a list of shapes") if "outline" in parts else []
            )
        )
        areas: dict[str, tuple[Shape, ...]] = {}
        for area, shapes in parts["areas"].items(expected="a mapping of areas to shapes"):
            if area not in vocab.areas:
                raise shapes.error(f"{area!r} is not an area", "an area from areas.yaml")
            areas[area] = tuple(_shape(s) for s in shapes.sequence(expected="a list of shapes"))
        views.append(View(name, outline, areas))
    return tuple(views)


@cache
def views() -> tuple[View, ...]:
    return read_views(BODY_FILE)


def svg(chosen: Collection[str] = ()) -> str:
    """Both views side by side; shapes of `chosen` areas are marked on."""
    labels = vocabulary().areas
    drawn = []
    for n, view in enumerate(views()):
        parts = [f'<g transform="translate({n * (WIDTH + 10)} 0)">']
        parts += [s.svg(' class="body-outline"') for s in view.outline]
        for area, shapes in view.areas.items():
            on = " on" if area in chosen else ""
            parts.append(f'<g class="region{on}" data-area="{escape(area)}">')
            parts.append(f"<title>{escape(labels[area].label)}</title>")
            parts += [s.svg() for s in shapes]
            parts.append("</g>")
        parts.append(
            f'<text x="{WIDTH / 2:g}" y="{HEIGHT - 2}" class="body-label">{view.name}</text></g>'
        )
        drawn.append("".join(parts))
    width = len(drawn) * (WIDTH + 10) - 10
    return (
        f'<svg class="body-map" viewBox="0 0 {width} {HEIGHT}" aria-hidden="true">'
        + "".join(drawn)
        + "</svg>"
    )
