"""Contact sheets: every figure at the sizes it is used, for a person to look at.

A sheet has a row a pose: the right side (or the one figure) and the left at 300 px, then both at
96 px, the size of a step in a list, with the pose's name; each figure is drawn still (a pose
that moves shows its first moment) in the print colours, as cairosvg renders it.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import TYPE_CHECKING

from unknot.pictures.drawing import sides, style, svg

if TYPE_CHECKING:
    from unknot.catalog.poses import Pose

LARGE, SMALL, LABEL = 300.0, 96.0, 26.0


def contact_sheet_svg(poses: Sequence[Pose]) -> str:
    """One SVG with a row for each pose: large right and left, then small right and left."""
    s = style()
    tall = LARGE * s.height / s.width
    small_tall = SMALL * s.height / s.width
    row = tall + LABEL
    width = 2 * LARGE + 2 * SMALL + 50
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:g}" height="{row * len(poses):g}" '
        'font-family="DejaVu Sans, sans-serif">',
        f'<rect width="{width:g}" height="{row * len(poses):g}" fill="white"/>',
    ]
    for n, pose in enumerate(poses):
        y = n * row
        parts.append(
            f'<text x="8" y="{y + 19:g}" font-size="16" font-weight="700" fill="#111">'
            f"{escape(pose.name)}</text>"
        )
        figures = [
            svg(pose, side, theme="print", title=False, motion=False) for side in sides(pose)
        ]
        for k, figure in enumerate(figures):
            parts.append(_placed(figure, k * (LARGE + 10), y + LABEL, LARGE, tall))
            small_x = 2 * (LARGE + 10) + k * (SMALL + 10)
            parts.append(_placed(figure, small_x, y + LABEL, SMALL, small_tall))
        parts.append(
            f'<line x1="0" x2="{width:g}" y1="{y + row - 1:g}" y2="{y + row - 1:g}" stroke="#ccc"/>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _placed(figure: str, x: float, y: float, width: float, height: float) -> str:
    where = f'x="{x:g}" y="{y:g}" width="{width:g}" height="{height:g}"'
    frame = f'<rect {where} fill="none" stroke="#ddd"/>'
    return frame + figure.replace("<svg ", f"<svg {where} ", 1)
