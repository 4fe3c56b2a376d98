"""Printable pictures of poses and sessions: the figure gallery and the session's card.

- `gallery_html`: every pose (and side) with its name, for `unknot figures`.
- `card_pdf` / `card_html`: the printable card of the session, on A4 or US Letter: each step's
  figure, name, side, hold and key cue, in order, for `unknot plan --card` (and `show --figures`).
  A custom step (an article's pose, not in the catalog) has no figure: its cell is text alone,
  saying so.

The card is laid out here, measured in the font cairo prints with: two columns of steps, all
text 12 pt or more and black, a key cue always whole sentences, up to 20 steps a page (more go on
to further pages, never into smaller type). The figures take the room the text leaves: as large
as the page allows, at one scale for every step of a page, each cropped to where it draws, the
text flowing beside and under it. Each page is one SVG; cairosvg draws them onto one PDF, a page
each. The HTML card is the same pages and cells in CSS, with `@page` set to the paper, one file
that works offline.
"""

from __future__ import annotations

import html
import io
import math
import re
from collections.abc import Callable, Iterator, Sequence
from functools import cache, lru_cache
from typing import TYPE_CHECKING, Any, NamedTuple

from unknot.catalog.poses import CUSTOM_NO_FIGURE
from unknot.errors import UnknotError
from unknot.names import did_you_mean
from unknot.names import slug as slug  # card.slug, as it was: the slug lives in names now
from unknot.pictures.drawing import every_figure, svg
from unknot.words import clock

if TYPE_CHECKING:
    from unknot.catalog.poses import Pose
    from unknot.guide.timeline import Entry, Timeline

PAPERS = {"a4": (595.28, 841.89), "letter": (612.0, 792.0)}  # width and height in points

PER_PAGE = 20  # steps on a page at most: a longer session goes on to another page
COLUMNS = 2
MARGIN = 22.7  # 8 mm
GUTTER = 17.0  # between the columns
FONT = "Liberation Sans"  # cairosvg takes the first family only; the HTML card falls back
FONT_CSS = '"Liberation Sans", Arial, Helvetica, sans-serif'
TITLE_SIZE, NAME_SIZE, TEXT_SIZE = 16.0, 13.0, 12.0  # points: nothing on the card is smaller
LEADING = 1.18  # a line's height, times its size
CUE_LINES = 6  # a cue of several sentences keeps those that fit in this many lines (one, always)
FIGURE_WIDTHS = (70.0, 200.0)  # a figure's whole frame, in points: ~25 to ~70 mm, as text allows
TEXT_BESIDE = 113.0  # the narrowest text beside a figure (40 mm)
PAD = 8.0  # between a figure and its text
CELL_GAP = 8.0  # between two steps in a column, a rule in the middle
BADGE = 8.5  # the radius of the L/R mark
INK = "#000"


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


# -- the card: paper, text and figures ------------------------------------------------------------
def paper_size(paper: str) -> tuple[float, float]:
    """The paper's width and height in points: 'a4' or 'letter'."""
    found = PAPERS.get(paper.strip().lower())
    if found is None:
        raise UnknotError(
            f"unknown paper {paper!r}{did_you_mean(paper, PAPERS)}",
            field="paper",
            expected=f"one of: {', '.join(PAPERS)}",
        )
    return found


@cache
def _context() -> Any:
    import cairocffi

    return cairocffi.Context(cairocffi.ImageSurface(cairocffi.FORMAT_ARGB32, 1, 1))


@lru_cache(maxsize=16384)
def text_width(text: str, size: float, bold: bool = False) -> float:
    """How wide cairo draws `text` in the card's font, in points (cairosvg draws it the same)."""
    context = _context()
    context.select_font_face(FONT, 0, 1 if bold else 0)  # upright; bold or normal
    context.set_font_size(size)
    return float(context.text_extents(text)[4])


Widths = float | Callable[[int], float]  # one width, or each line's (a text beside a figure)


def wrap(text: str, width: Widths, size: float = TEXT_SIZE, bold: bool = False) -> list[str]:
    """`text` in lines no wider than `width` points (or `width(line)`), broken between words."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        trial = f"{current} {word}" if current else word
        room = width(len(lines)) if callable(width) else width
        if current and text_width(trial, size, bold) > room:
            lines.append(current)
            current = word
        else:
            current = trial
    if current:
        lines.append(current)
    return lines


_SENTENCE_END = re.compile("(?<=[.!?])[\"'\u201d\u2019)]*\\s+")  # closing quotes go with it


def sentences(text: str) -> list[str]:
    """The sentences of a cue, each with its closing mark."""
    text = text.strip()
    found: list[str] = []
    start = 0
    for end in _SENTENCE_END.finditer(text):
        found.append(text[start : end.end()].strip())
        start = end.end()
    rest = text[start:].strip()
    return [*found, rest] if rest else found


def cue_lines(cue: str, width: Widths) -> list[str]:
    """The cue wrapped to `width`: whole sentences only, as many as fit in CUE_LINES lines (the
    first always, however many lines it takes), so a cue never stops mid-sentence."""
    said = sentences(cue)
    if not said:
        return []
    kept = wrap(said[0], width)
    for more in range(2, len(said) + 1):
        trial = wrap(" ".join(said[:more]), width)
        if len(trial) > CUE_LINES:
            break
        kept = trial
    return kept


def _hold(seconds: int) -> str:
    if seconds < 60:
        return f"hold {seconds} s"
    minutes, rest = divmod(seconds, 60)
    return f"hold {minutes} min" + (f" {rest} s" if rest else "")


class Drawing(NamedTuple):
    """A figure for the card: its SVG with the view box cut to where it draws."""

    document: str
    wide: float  # its width, as a part of the full frame's width (the scale every figure shares)
    aspect: float  # its height, likewise


_ROOT = re.compile(r"<svg\b[^>]*>")


@lru_cache(maxsize=512)
def drawing(document: str) -> Drawing:
    """The figure cropped to where it draws, the floor cut to the body's width: a figure lying
    down is a low band and a standing one a narrow box, so more of the page goes to the bodies
    and the text. Every figure keeps the frame's scale: bodies print the same size."""
    root = _ROOT.search(document)
    box = re.search(r'viewBox="([^"]+)"', root.group(0)) if root else None
    if root is None or box is None:
        raise ValueError("a figure's SVG has no view box")
    x, y, width, height = (float(v) for v in box.group(1).replace(",", " ").split())
    left, top, right, bottom = _inked(document, width, height)
    pad = 0.03 * width
    x0, x1 = max(x, x + left * width - pad), min(x + width, x + right * width + pad)
    y0, y1 = max(y, y + top * height - pad), min(y + height, y + bottom * height + pad)
    tag = re.sub(r'\s(width|height|viewBox|preserveAspectRatio)="[^"]*"', "", root.group(0))
    tag = tag.replace("<svg", f'<svg viewBox="{x0:.2f} {y0:.2f} {x1 - x0:.2f} {y1 - y0:.2f}"', 1)
    return Drawing(document.replace(root.group(0), tag, 1), (x1 - x0) / width, (y1 - y0) / width)


def _inked(document: str, width: float, height: float) -> tuple[float, float, float, float]:
    """Where the figure carries ink (not clear, not white), as parts of the frame: left, top,
    right and bottom. Rows inked nearly across (a floor line) set no width."""
    import numpy as np
    from cairosvg.parser import Tree
    from cairosvg.surface import PNGSurface

    wide = 200
    tall = max(1, round(wide * height / width))
    surface = PNGSurface(
        Tree(bytestring=document.encode()), None, 96, output_width=wide, output_height=tall
    )
    image = surface.cairo
    w, h = image.get_width(), image.get_height()
    data = np.frombuffer(bytes(image.get_data()), dtype=np.uint8)
    pixels = data.reshape(h, image.get_stride())[:, : 4 * w].reshape(h, w, 4)
    ink = (pixels.max(axis=2) > 0) & (pixels.min(axis=2) < 245)
    rows = np.flatnonzero(ink.any(axis=1))
    if rows.size == 0:
        return 0.0, 0.0, 1.0, 1.0
    first = np.where(ink.any(axis=1), ink.argmax(axis=1), w)
    last = np.where(ink.any(axis=1), w - 1 - ink[:, ::-1].argmax(axis=1), -1)
    body = (last - first) < 0.9 * w  # rows that are not a floor across the frame
    columns = ink[body & ink.any(axis=1)]
    if columns.size == 0:
        left, right = 0.0, 1.0
    else:
        used = np.flatnonzero(columns.any(axis=0))
        left, right = float(used[0]) / w, float(used[-1] + 1) / w
    return left, float(rows[0]) / h, right, float(rows[-1] + 1) / h


NO_DRAWING = Drawing("", 0.0, 0.0)  # a custom step's: its cell is text alone


def card_note(step: Step) -> str:
    """The note the card prints: for a step with no figure (a custom step's), that first."""
    missing = CUSTOM_NO_FIGURE if step.pose.figure is None else ""
    return " ".join(filter(None, (missing, step.note)))


def drawing_of(step: Step, number: int) -> Drawing:
    """The step's figure, its ids made its own (one page carries many figures)."""
    if step.pose.figure is None:
        return NO_DRAWING
    found = drawing(svg(step.pose, step.side, theme="print", title=False, motion=False, mark=False))
    document = re.sub(r'\bid="([^"]+)"', rf'id="f{number}-\1"', found.document)
    document = re.sub(r"url\(#([^)]+)\)", rf"url(#f{number}-\1)", document)
    document = re.sub(r'href="#([^"]+)"', rf'href="#f{number}-\1"', document)
    return Drawing(document, found.wide, found.aspect)


# -- the card: layout -----------------------------------------------------------------------------
def _line_height(size: float) -> float:
    return size * LEADING


def _baseline(top: float, size: float) -> float:
    """Where a line's text sits, for a line box starting at `top`."""
    return top + (_line_height(size) - size) / 2 + 0.9 * size


class Run(NamedTuple):
    """A piece of a line: text, bold or not, or the L/R mark (a filled circle with the letter)."""

    text: str
    bold: bool = False
    mark: bool = False


class Line(NamedTuple):
    kind: str  # "name", "meta", "note" or "cue"
    runs: tuple[Run, ...]
    x: float  # from the cell's left
    baseline: float  # from the cell's top
    size: float


class Cell(NamedTuple):
    """One step laid out at a figure width: its lines around the figure, and its height."""

    number: int
    step: Step
    figure: Drawing
    frame: float  # the width of a figure's whole frame, in points: the scale of every figure
    figure_top: float  # from the cell's top
    beside: bool  # the text beside the figure (and on below it), else all below it
    meta_on_name: bool  # the L/R mark and hold at the end of the name's (one) line
    lines: list[Line]
    height: float  # with the gap to the next cell


def _meta(step: Step) -> list[tuple[Run, ...]]:
    """The L/R mark with the side (bold), and the hold: the pieces a narrow line may split."""
    hold = (Run(_hold(step.hold)),)
    if step.side:
        side = f"{step.side} {step.pose.side_word}".strip()
        return [(Run(step.side[0].upper(), True, mark=True), Run(side, True)), hold]
    return [hold]


def _meta_line(step: Step) -> tuple[Run, ...]:
    """The pieces on one line, a dot between."""
    pieces = _meta(step)
    return (*pieces[0], *(run for piece in pieces[1:] for run in (Run("·"), *piece)))


def _runs_width(runs: Sequence[Run], size: float = TEXT_SIZE) -> float:
    widths = [2 * BADGE if r.mark else text_width(r.text, size, r.bold) for r in runs]
    return sum(widths) + (len(runs) - 1) * text_width(" ", size)


def _cell(number: int, step: Step, frame: float, column: float, name_first: bool) -> Cell:
    """The step with its figure at this scale: the name with the L/R mark and hold, a note and
    the key cue, beside the figure while they are beside it and on below it at the column's
    width (or all below a figure that leaves too little room beside it). `name_first` puts the
    name and mark over the whole column and the figure under them, by the note and cue."""
    figure = drawing_of(step, number)
    figure_width, figure_height = frame * figure.wide, frame * figure.aspect
    beside = column - figure_width - PAD >= TEXT_BESIDE
    lines: list[Line] = []
    top = 0.0
    figure_top = math.inf  # until the figure is placed

    def place_figure() -> None:
        nonlocal top, figure_top
        figure_top = top
        if not beside:
            top += figure_height + 4

    def along(at: float) -> bool:
        drawn = figure_width > 0  # a cell with no figure has nothing to flow beside
        return drawn and beside and figure_top <= at < figure_top + figure_height + 2

    def room(at: float) -> float:
        return column - figure_width - PAD if along(at) else column

    def indent(at: float) -> float:
        return figure_width + PAD if along(at) else 0.0

    def flow(kind: str, text: str, size: float, bold: bool = False) -> None:
        nonlocal top
        step_down = _line_height(size)
        start = top
        found = (
            cue_lines(text, lambda n: room(start + n * step_down))
            if kind == "cue"
            else wrap(text, lambda n: room(start + n * step_down), size, bold)
        )
        for line in found:
            lines.append(Line(kind, (Run(line, bold),), indent(top), _baseline(top, size), size))
            top += step_down

    if not name_first:
        place_figure()
    flow("name", f"{number}. {step.pose.name}", NAME_SIZE, bold=True)
    meta = _meta_line(step)
    last = lines[-1]
    end = last.x + _runs_width(last.runs, NAME_SIZE) + 14
    width = _runs_width(meta)
    meta_on_name = len(lines) == 1 and end + width <= last.x + room(0)
    if meta_on_name:
        right = last.x + room(0) - width
        lines.append(Line("meta", meta, right, last.baseline, TEXT_SIZE))
    else:
        parts = [meta] if width <= room(top) else _meta(step)
        for runs in parts:
            lines.append(Line("meta", runs, indent(top), _baseline(top, TEXT_SIZE), TEXT_SIZE))
            top += _line_height(TEXT_SIZE)
    if name_first:
        top += 2
        place_figure()
    if card_note(step):
        flow("note", card_note(step), TEXT_SIZE)
    flow("cue", step.cue, TEXT_SIZE)
    height = max(top, figure_top + figure_height) + CELL_GAP
    return Cell(number, step, figure, frame, figure_top, beside, meta_on_name, lines, height)


class Page(NamedTuple):
    columns: list[list[Cell]]
    frame: float  # the figures' scale: the width of a whole frame, in points


def _columns(cells: list[Cell], room: float) -> list[list[Cell]] | None:
    """The cells in order down COLUMNS columns, as even as they go, or None if they overflow."""

    def fill(limit: float) -> list[list[Cell]] | None:
        columns: list[list[Cell]] = [[]]
        used = 0.0
        for cell in cells:
            if used + cell.height > limit and columns[-1]:
                columns.append([])
                used = 0.0
            if cell.height > limit or len(columns) > COLUMNS:
                return None
            columns[-1].append(cell)
            used += cell.height
        return columns

    if fill(room) is None:
        return None
    low, high = max((c.height for c in cells), default=0.0), room
    while high - low > 1:  # the lowest column height that still fits: even columns
        middle = (low + high) / 2
        low, high = (low, middle) if fill(middle) is not None else (middle, high)
    return fill(high)


def _lay_out(numbered: Sequence[tuple[int, Step]], column: float, room: float) -> Page | None:
    """The page at the largest figures with which its steps fit, or None if none do."""

    widest = max((drawing_of(s, n).wide for n, s in numbered), default=0.0) or 1.0
    best: Page | None = None
    for name_first in (False, True):

        def fits(frame: float, name_first: bool = name_first) -> list[list[Cell]] | None:
            cells = [_cell(n, s, frame, column, name_first) for n, s in numbered]
            return _columns(cells, room)

        low, high = FIGURE_WIDTHS[0], min(FIGURE_WIDTHS[1], column / widest)
        if fits(low) is None:
            continue
        while high - low > 1:
            middle = (low + high) / 2
            low, high = (middle, high) if fits(middle) is not None else (low, middle)
        placed = fits(low)
        assert placed is not None
        if best is None or low > best.frame:
            best = Page(placed, low)
    return best


def _title(timeline: Timeline) -> str:
    return f"{timeline.routine.title} · {clock(timeline.total)}"


def _title_lines(timeline: Timeline, width: float) -> list[str]:
    return wrap(_title(timeline), width - 40, TITLE_SIZE, bold=True)  # room for "1/2"


def pages(timeline: Timeline, paper: str = "a4") -> list[Page]:
    """The card's pages: up to PER_PAGE steps each, spread evenly, as few pages as fit."""
    width, height = paper_size(paper)
    column = (width - 2 * MARGIN - (COLUMNS - 1) * GUTTER) / COLUMNS
    top = MARGIN + len(_title_lines(timeline, width)) * _line_height(TITLE_SIZE) + 10
    room = height - top - MARGIN
    numbered = list(enumerate(steps(timeline), start=1))
    count = max(1, math.ceil(len(numbered) / PER_PAGE))
    while True:
        size = math.ceil(len(numbered) / count) if numbered else 0
        chunks = [numbered[k : k + size] for k in range(0, len(numbered), size)] if size else [[]]
        laid = [_lay_out(chunk, column, room) for chunk in chunks]
        if all(page is not None for page in laid):
            return [page for page in laid if page is not None]
        if count >= len(numbered):  # a step too tall for a page alone: set it at the least
            low = FIGURE_WIDTHS[0]
            return [
                Page([[_cell(n, s, low, column, True) for n, s in chunk]], low) for chunk in chunks
            ]
        count += 1


# -- the card as SVG pages and a PDF --------------------------------------------------------------
def _text(
    x: float, y: float, text: str, size: float, bold: bool = False, *, fill: str = INK,
    anchor: str = "start",
) -> str:  # fmt: skip
    weight = ' font-weight="bold"' if bold else ""
    placed = f' text-anchor="{anchor}"' if anchor != "start" else ""
    return (
        f'<text x="{x:.2f}" y="{y:.2f}" font-size="{size:g}"{weight}{placed} fill="{fill}">'
        f"{html.escape(text)}</text>"
    )


def _line_svg(line: Line, x: float, y: float) -> list[str]:
    parts = []
    x += line.x
    baseline = y + line.baseline
    for run in line.runs:
        if run.mark:
            cx, cy = x + BADGE, baseline - 0.36 * line.size
            parts.append(f'<circle cx="{cx:.2f}" cy="{cy:.2f}" r="{BADGE}" fill="{INK}"/>')
            parts.append(
                _text(cx, baseline, run.text, line.size, True, fill="#fff", anchor="middle")
            )
            x += 2 * BADGE
        else:
            parts.append(_text(x, baseline, run.text, line.size, run.bold))
            x += text_width(run.text, line.size, run.bold)
        x += text_width(" ", line.size)
    return parts


def _cell_svg(cell: Cell, x: float, y: float) -> list[str]:
    width, height = cell.frame * cell.figure.wide, cell.frame * cell.figure.aspect
    top = y + cell.figure_top
    parts = [
        cell.figure.document.replace(
            "<svg",
            f'<svg x="{x:.2f}" y="{top:.2f}" width="{width:.2f}" height="{height:.2f}"',
            1,
        )
    ]
    for line in cell.lines:
        parts += _line_svg(line, x, y)
    return parts


def card_pages(timeline: Timeline, *, paper: str = "a4") -> list[str]:
    """The card as SVG pages in points, the paper's size: what the PDF prints."""
    width, height = paper_size(paper)
    column = (width - 2 * MARGIN - (COLUMNS - 1) * GUTTER) / COLUMNS
    laid = pages(timeline, paper)
    title = _title_lines(timeline, width)
    top = MARGIN + len(title) * _line_height(TITLE_SIZE) + 10
    documents = []
    for number, page in enumerate(laid, start=1):
        parts = [
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:g}pt" height="{height:g}pt" '
            f'viewBox="0 0 {width:g} {height:g}" font-family="{FONT}">',
            f'<rect width="{width:g}" height="{height:g}" fill="#fff"/>',
        ]
        for k, line in enumerate(title):
            y = _baseline(MARGIN + k * _line_height(TITLE_SIZE), TITLE_SIZE)
            parts.append(_text(MARGIN, y, line, TITLE_SIZE, bold=True))
        if len(laid) > 1:
            corner = _baseline(MARGIN, TITLE_SIZE)
            count = f"{number}/{len(laid)}"
            parts.append(_text(width - MARGIN, corner, count, TITLE_SIZE, True, anchor="end"))
        rule = top - 5
        parts.append(
            f'<line x1="{MARGIN}" y1="{rule:.2f}" x2="{width - MARGIN:.2f}" y2="{rule:.2f}" '
            f'stroke="{INK}" stroke-width="1"/>'
        )
        for c, cells in enumerate(page.columns):
            x, y = MARGIN + c * (column + GUTTER), top
            for k, cell in enumerate(cells):
                parts += _cell_svg(cell, x, y)
                y += cell.height
                if k < len(cells) - 1:
                    ruled = y - CELL_GAP / 2
                    parts.append(
                        f'<line x1="{x:.2f}" y1="{ruled:.2f}" x2="{x + column:.2f}" '
                        f'y2="{ruled:.2f}" stroke="{INK}" stroke-width="0.5"/>'
                    )
        parts.append("</svg>")
        documents.append("".join(parts))
    return documents


def card_pdf(timeline: Timeline, *, paper: str = "a4") -> bytes:
    """The printable card as a PDF on A4 or US Letter ('a4', 'letter'), a page per 20 steps."""
    import cairocffi
    from cairosvg.parser import Tree
    from cairosvg.surface import PDFSurface

    width, height = paper_size(paper)
    documents = card_pages(timeline, paper=paper)
    output = io.BytesIO()
    target = cairocffi.PDFSurface(output, width, height)

    class OnePage(PDFSurface):  # type: ignore[misc]
        """cairosvg's PDF drawing, onto the one PDF every page goes into."""

        def _create_surface(self, w: float, h: float) -> tuple[Any, float, float]:
            return target, w, h

    for document in documents:
        OnePage(Tree(bytestring=document.encode()), None, 72)
        target.show_page()
    target.finish()
    return output.getvalue()


# -- the card as HTML -----------------------------------------------------------------------------
_CARD_CSS = """
@page{size:%(paper)s;margin:%(margin)smm}
:root{color-scheme:light}
*{box-sizing:border-box}
html{background:#fff}
body{margin:0 auto;padding:%(margin)smm 0;width:%(inner)smm;color:#000;background:#fff;
font:%(text)gpt/%(leading)g %(font)s;-webkit-print-color-adjust:exact;print-color-adjust:exact}
@media print{body{padding:0}}
section{break-after:page}
section:last-child{break-after:auto}
header{display:flex;justify-content:space-between;gap:1em;font-size:%(title)gpt;font-weight:bold;
border-bottom:1pt solid #000;padding-bottom:3pt;margin-bottom:6pt}
h1{font-size:inherit;margin:0}
.columns{display:grid;grid-template-columns:repeat(%(columns)d,1fr);column-gap:%(gutter)gpt;
align-items:start}
ol{list-style:none;margin:0;padding:0}
li{display:flow-root;break-inside:avoid;border-bottom:.5pt solid #000;padding:0 0 3pt;
margin:0 0 3.5pt}
li:last-child{border-bottom:none}
li svg{display:block;height:auto}
li.beside svg{float:left;margin:0 %(pad)gpt 0 0}
li.below svg{margin-bottom:4pt}
li.first svg{margin-top:2pt}
h2{margin:0;font-size:%(name)gpt;font-weight:bold}
h2 .meta{float:right;font-size:%(text)gpt;font-weight:normal}
.meta>span{white-space:nowrap}
b{font-weight:bold}
p{margin:0}
.lr{display:inline-block;width:14pt;height:14pt;border-radius:50%%;background:#000;color:#fff;
text-align:center;line-height:14pt;font-weight:bold;vertical-align:-2pt;margin:-3pt 0}
"""


def _meta_html(step: Step) -> str:
    """The L/R mark, side and hold, each piece unbroken (a narrow line takes them one a line)."""
    pieces = []
    for n, piece in enumerate(_meta(step)):
        said = ["·"] if n else []
        for run in piece:
            text = html.escape(run.text)
            said.append(
                f'<span class="lr">{text}</span>' if run.mark else f"<b>{text}</b>" if run.bold
                else text
            )  # fmt: skip
        pieces.append(f"<span>{' '.join(said)}</span>")
    return f'<span class="meta">{" ".join(pieces)}</span>'


def _cell_html(cell: Cell) -> str:
    """The cell as the PDF has it; the browser flows the text around the figure itself."""
    figure = cell.figure.document.replace(
        "<svg", f'<svg width="{cell.frame * cell.figure.wide:.1f}pt"', 1
    )
    name = html.escape(" ".join(line.runs[0].text for line in cell.lines if line.kind == "name"))
    meta = _meta_html(cell.step)
    head = f"<h2>{name} {meta}</h2>" if cell.meta_on_name else f"<h2>{name}</h2><p>{meta}</p>"
    name_first = cell.figure_top > 0
    said = [head, figure] if name_first else [figure, head]
    if card_note(cell.step):
        said.append(f"<p>{html.escape(card_note(cell.step))}</p>")
    cue = " ".join(line.runs[0].text for line in cell.lines if line.kind == "cue")
    said.append(f'<p class="cue">{html.escape(cue)}</p>')
    layout = ("beside" if cell.beside else "below") + (" first" if name_first else "")
    return f'<li class="{layout}">{"".join(said)}</li>'


def card_html(timeline: Timeline, *, paper: str = "a4") -> str:
    """The card as one HTML file: the PDF's pages and layout, with `@page` set to the paper."""
    width, _ = paper_size(paper)
    laid = pages(timeline, paper)
    margin_mm = MARGIN / 72 * 25.4
    css = _CARD_CSS % {
        "paper": "A4" if paper.strip().lower() == "a4" else "letter",
        "margin": f"{margin_mm:.0f}",
        "inner": f"{(width - 2 * MARGIN) / 72 * 25.4:.1f}",
        "text": TEXT_SIZE,
        "name": NAME_SIZE,
        "title": TITLE_SIZE,
        "leading": LEADING,
        "font": FONT_CSS,
        "columns": COLUMNS,
        "gutter": GUTTER,
        "pad": PAD,
    }
    title = html.escape(_title(timeline))
    sections = []
    for number, page in enumerate(laid, start=1):
        count = f"<span>{number}/{len(laid)}</span>" if len(laid) > 1 else ""
        columns = "".join(
            f"<ol>{''.join(_cell_html(cell) for cell in column)}</ol>" for column in page.columns
        )
        head = f"<header><h1>{title}</h1>{count}</header>"
        sections.append(f'<section>{head}<div class="columns">{columns}</div></section>')
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{title}</title><style>{css}</style></head><body>{''.join(sections)}</body></html>\n"
    )
