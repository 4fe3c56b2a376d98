"""Printable pictures of poses and sessions: the figure gallery, the session page and the card.

- `gallery_html`: every pose (and side) with its name, for `unknot figures`.
- `session_html`: a session's steps with their figures, for `unknot show --figures`.
- `card_pdf` / `card_html`: a one-page card of the session: each step's figure, name, side,
  hold and key cue, in order, for `unknot plan --card`.

The PDF is one SVG page (A4) drawn by cairosvg; the HTML pages carry their SVGs inline, so a
page is one file that works offline, in light and dark.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterator
from typing import TYPE_CHECKING, NamedTuple

from unknot.names import slug as slug  # card.slug, as it was: the slug lives in names now
from unknot.pictures.drawing import every_figure, svg
from unknot.words import clock

if TYPE_CHECKING:
    from unknot.catalog.poses import Pose
    from unknot.guide.timeline import Entry, Timeline

PAGE_WIDTH, PAGE_HEIGHT, MARGIN = 595.0, 842.0, 28.0  # A4 in points


class Step(NamedTuple):
    """One card cell: a step of the session (a flow's later rounds fold into its first)."""

    pose: Pose
    side: str | None
    hold: int
    cue: str
    note: str


def steps(timeline: Timeline) -> list[Step]:
    """The session's steps in order, each once; a flow's repeats as a note on its first round."""
    rounds: dict[tuple[str, str | None, int | None], int] = {}
    for entry in timeline:
        if entry.round:
            key = (entry.name, entry.side, entry.block)
            rounds[key] = max(rounds.get(key, 0), entry.round)
    found = []
    for entry in _first_rounds(timeline):
        assert entry.pose is not None
        times = rounds.get((entry.name, entry.side, entry.block), 0)
        note = f"back and forth, {times} rounds" if times > 1 else ""
        found.append(Step(entry.pose, entry.side, entry.hold, entry.key_cue, note))
    return found


def _first_rounds(timeline: Timeline) -> Iterator[Entry]:
    for entry in timeline:
        if entry.pose is not None and (entry.round or 1) == 1:
            yield entry


_PAGE_CSS = """
:root{color-scheme:light dark;--ink:#1f2933;--muted:#5f6b76;--card:#f6f4f0}
@media (prefers-color-scheme:dark){:root{--ink:#e8ecf1;--muted:#a7b0ba;--card:#20262d}}
body{font:16px/1.4 system-ui,sans-serif;margin:1.5rem;color:var(--ink)}
h1{font-size:1.4rem;margin:0 0 1rem}
ol,ul{list-style:none;padding:0;display:grid;grid-template-columns:repeat(auto-fill,minmax(170px,1fr));gap:1rem}
li{background:var(--card);border-radius:12px;padding:.6rem}
li svg{width:100%;height:auto;display:block}
.name{font-weight:600}.meta,.cue{color:var(--muted);font-size:.85rem}
@media print{body{margin:0}li{break-inside:avoid}}
"""


def _page(title: str, items: list[str], ordered: bool) -> str:
    tag = "ol" if ordered else "ul"
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{html.escape(title)}</title><style>{_PAGE_CSS}</style></head><body>"
        f"<h1>{html.escape(title)}</h1><{tag}>{''.join(items)}</{tag}></body></html>\n"
    )


def gallery_html(poses: list[Pose], files: dict[tuple[str, str | None], str]) -> str:
    """Every figure with its name; `files` maps (pose, side) to the SVG file written for it."""
    items = []
    for pose, side in every_figure(poses):
        name = html.escape(pose.name + (f", {side} {pose.side_word}" if side else ""))
        source = html.escape(files[(pose.name, side)])
        items.append(
            f'<li><img src="{source}" alt="{name}" width="140" height="110">'
            f'<div class="name">{name}</div></li>'
        )
    return _page("unknot: every pose", items, ordered=False)


def card_html(timeline: Timeline) -> str:
    """The session's steps with their figures, name, side, hold and key cue, in order."""
    items = []
    for n, step in enumerate(steps(timeline), start=1):
        side = f", {step.side} {step.pose.side_word}" if step.side else ""
        extra = f" · {html.escape(step.note)}" if step.note else ""
        items.append(
            f"<li>{svg(step.pose, step.side)}"
            f'<div class="name">{n}. {html.escape(step.pose.name)}{html.escape(side)}</div>'
            f'<div class="meta">hold {step.hold} s{extra}</div>'
            f'<div class="cue">{html.escape(step.cue)}</div></li>'
        )
    total = timeline.total
    title = f"{timeline.routine.title}: {clock(total)}"
    return _page(title, items, ordered=True)


def card_svg(timeline: Timeline) -> str:
    """The card as one A4 SVG page: a grid of cells that always fits the page."""
    cells = steps(timeline)
    columns = 4 if len(cells) <= 16 else 5 if len(cells) <= 25 else 6
    rows = max(1, math.ceil(len(cells) / columns))
    top = MARGIN + 30
    width = (PAGE_WIDTH - 2 * MARGIN) / columns
    height = min(150.0, (PAGE_HEIGHT - top - MARGIN) / rows)
    text_size = 7.0 if columns <= 4 else 6.0
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{PAGE_WIDTH}" height="{PAGE_HEIGHT}" '
        f'viewBox="0 0 {PAGE_WIDTH} {PAGE_HEIGHT}" font-family="DejaVu Sans, sans-serif">',
        f'<rect width="{PAGE_WIDTH}" height="{PAGE_HEIGHT}" fill="white"/>',
        f'<text x="{MARGIN}" y="{MARGIN + 12}" font-size="15" font-weight="bold" fill="#1f2933">'
        f"{html.escape(timeline.routine.title)} · {clock(timeline.total)}"
        f"</text>",
    ]
    for n, step in enumerate(cells):
        x = MARGIN + (n % columns) * width
        y = top + (n // columns) * height
        figure_height = height * 0.5
        inner = svg(step.pose, step.side, theme="print", title=False)
        inner = inner.replace("<svg ", f'<svg x="{x:.1f}" y="{y:.1f}" width="{width - 6:.1f}" '
                              f'height="{figure_height:.1f}" ', 1)  # fmt: skip
        parts.append(inner)
        side = f", {step.side}" if step.side else ""
        characters = int(width / (text_size * 0.58))
        title = _wrap(f"{n + 1}. {step.pose.name}{side}", int(characters * 0.9))[:2]
        lines = [(line, "bold") for line in title] + [(f"{step.hold} s {step.note}", "")]
        lines += [(line, "") for line in _wrap(step.cue, characters)[: 4 - len(title)]]
        for k, (text, weight) in enumerate(lines):
            parts.append(
                f'<text x="{x + 2:.1f}" y="{y + figure_height + 9 + k * (text_size + 2):.1f}" '
                f'font-size="{text_size}" font-weight="{weight or "normal"}" fill="#1f2933">'
                f"{html.escape(text)}</text>"
            )
    parts.append("</svg>")
    return "".join(parts)


def card_pdf(timeline: Timeline) -> bytes:
    import cairosvg

    return cairosvg.svg2pdf(bytestring=card_svg(timeline).encode())  # type: ignore[no-any-return]


def _wrap(text: str, width: int) -> list[str]:
    lines: list[str] = []
    current = ""
    for word in text.split():
        if current and len(current) + 1 + len(word) > width:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}".strip()
    if current:
        lines.append(current)
    return lines


def contact_sheet_svg(poses: list[Pose]) -> str:
    """Every figure at a glance, each side of a per-side pose, with its name: for looking at."""
    cells = list(every_figure(poses))
    columns, width, height = 8, 150.0, 135.0
    rows = math.ceil(len(cells) / columns)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{columns * width:g}" '
        f'height="{rows * height:g}" font-family="DejaVu Sans, sans-serif">',
        f'<rect width="{columns * width:g}" height="{rows * height:g}" fill="white"/>',
    ]
    for n, (pose, side) in enumerate(cells):
        x, y = (n % columns) * width, (n // columns) * height
        inner = svg(pose, side, theme="print", title=False)
        parts.append(
            inner.replace("<svg ", f'<svg x="{x + 5:g}" y="{y:g}" width="140" height="110" ', 1)
        )
        label = pose.name + (f" ({side[0].upper()})" if side else "")
        parts.append(
            f'<text x="{x + width / 2:g}" y="{y + 124:g}" font-size="10" text-anchor="middle" '
            f'fill="#1f2933">{html.escape(label)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
