"""The guided session in a terminal: a full screen that shows the pose, side, countdown, what
comes next and the cue to follow, and reads single keys; or, when output is not a terminal, one
plain line per step. It drives a `Player` and draws its snapshots; the timing lives there.
"""

from __future__ import annotations

import io
import os
import select
import signal
import sys
import termios
import tty
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import IO, TYPE_CHECKING

import unknot
from unknot import Entry, Player, Snapshot, clock, countdown

if TYPE_CHECKING:
    from rich.console import Console, RenderableType
    from rich.text import Text

    from unknot import Playback

FRAME_SECONDS = 0.1  # redraw at least this often so the countdown moves smoothly
BIG_TEXT_FONT = "small"
GLYPH_FILE = Path(unknot.__file__).with_name("data") / "big-digits.yaml"
BLOCKS = {(False, False): " ", (True, True): "█", (True, False): "▀", (False, True): "▄"}
MARKS = ("move", "pause")
BIG_MIN_COLUMNS, BIG_MIN_ROWS = 60, 20  # below this the side and countdown are one row each
MIN_AIR = 3  # blank rows kept between the sections when things are drawn large
MAX_SCALE = 8  # block letters grow no larger than this many times their drawn size
KEY_HELP = ("space pause", "n/→ skip", "b/← back", "+/- 10 s", "q quit")
KEYS_LEAST_NEEDED = ("+/- 10 s", "b/← back", "n/→ skip", "space pause", "q quit")


def step_title(entry: Entry) -> str:
    """'Pigeon, right leg' or 'Cat-Cow'."""
    return f"{entry.name}, {entry.side_label}" if entry.side else entry.name


# -- keys --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Keys:
    """Bytes from the keyboard mapped to what they do."""

    actions: dict[bytes, str]

    def parse(self, data: bytes) -> list[str]:
        found = []
        while data:
            for sequence, action in sorted(self.actions.items(), key=lambda kv: -len(kv[0])):
                if data.startswith(sequence):
                    found.append(action)
                    data = data[len(sequence) :]
                    break
            else:
                data = data[1:]
        return found


KEYS = Keys(
    {
        b" ": "pause",
        b"p": "pause",
        b"n": "skip",
        b"\x1b[C": "skip",
        b"\x1bOC": "skip",
        b"b": "back",
        b"\x1b[D": "back",
        b"\x1bOD": "back",
        b"+": "longer",
        b"=": "longer",
        b"-": "shorter",
        b"_": "shorter",
        b"q": "quit",
        b"\x03": "quit",
    }
)


def apply(player: Player, action: str) -> None:
    {
        "pause": player.toggle_pause,
        "skip": player.skip,
        "back": player.back,
        "longer": lambda: player.adjust(+10),
        "shorter": lambda: player.adjust(-10),
        "quit": player.quit,
    }[action]()


@contextmanager
def keyboard(stream: IO[str]) -> Iterator[Callable[[float], bytes]]:
    """Single keys from a terminal without echo; yields a read(timeout) function."""
    fd = stream.fileno()
    saved = termios.tcgetattr(fd)
    tty.setcbreak(fd)
    try:

        def read(timeout: float) -> bytes:
            ready, _, _ = select.select([fd], [], [], timeout)
            return os.read(fd, 32) if ready else b""

        yield read
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)


@contextmanager
def stop_on_terminate() -> Iterator[None]:
    """Turn SIGTERM and SIGHUP into KeyboardInterrupt, so the screen is restored on the way out."""

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = {s: signal.signal(s, interrupt) for s in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


# -- large letters ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Glyphs:
    """Block letters from the glyph table: every shape `rows` rows of one width, in full and
    half blocks (one half block is one pixel), set `gap` columns apart."""

    rows: int
    gap: int
    shapes: dict[str, tuple[str, ...]]  # a character, or a mark's name ('move', 'pause')

    def line(self, text: str) -> tuple[str, ...] | None:
        """`text` side by side in large letters; None when a character has no glyph."""
        drawn = [self.shapes.get(c) for c in text]
        if not text or any(shape is None for shape in drawn):
            return None
        return beside([shape for shape in drawn if shape is not None], self.gap)

    def width(self, text: str) -> int:
        """The columns `text` takes at scale 1, 0 when it cannot be drawn."""
        drawn = self.line(text)
        return len(drawn[0]) if drawn else 0


def beside(shapes: list[tuple[str, ...]], gap: int) -> tuple[str, ...]:
    """Shapes of one height set side by side, `gap` blank columns between them."""
    return tuple((" " * gap).join(row) for row in zip(*shapes, strict=True))


def scaled(shape: tuple[str, ...], scale: int) -> list[str]:
    """A block shape `scale` times wider and taller, pixel by pixel (a half block is a pixel)."""
    if scale <= 1:
        return list(shape)
    pixels: list[list[bool]] = []
    for row in shape:
        for lit in ("█▀", "█▄"):  # the row's top pixels, then its bottom ones
            wide = [c in lit for c in row for _ in range(scale)]
            pixels.extend([wide] * scale)
    return [
        "".join(BLOCKS[pair] for pair in zip(top, bottom, strict=True))
        for top, bottom in zip(pixels[::2], pixels[1::2], strict=True)
    ]


@cache
def glyphs() -> Glyphs:
    """The glyph table, read once from its data file."""
    import yaml

    data = yaml.safe_load(unknot.read_text(GLYPH_FILE, what="glyph table"))
    where = str(GLYPH_FILE)
    rows, gap = (data.get(k) if isinstance(data, dict) else None for k in ("rows", "gap"))
    if not (isinstance(rows, int) and rows > 0 and isinstance(gap, int) and gap >= 0):
        raise unknot.UnknotError(
            "has no rows and gap", where=where, expected="rows and gap, as whole numbers"
        )
    shapes: dict[str, tuple[str, ...]] = {}
    for section in ("glyphs", "marks"):
        for key, drawn in (data.get(section) or {}).items():
            lines = drawn if isinstance(drawn, list) else []
            if (
                len(lines) != rows
                or not all(isinstance(r, str) for r in lines)
                or len({len(r) for r in lines}) != 1
                or not set("".join(lines)) <= set(BLOCKS.values())
            ):
                raise unknot.UnknotError(
                    f"{section} {key!r} is not drawn right",
                    where=where,
                    expected=f"{rows} rows of one width, in '█', '▀', '▄' and spaces",
                )
            shapes[str(key)] = tuple(lines)
    if not all(mark in shapes for mark in MARKS):
        raise unknot.UnknotError(
            "lacks a mark", where=where, expected=f"marks named {', '.join(MARKS)}"
        )
    return Glyphs(rows, gap, shapes)


@lru_cache(maxsize=64)
def big_text(name: str, width: int) -> tuple[str, ...] | None:
    """The pose name in figlet letters, or None when it would not fit the width."""
    import pyfiglet

    art = pyfiglet.Figlet(font=BIG_TEXT_FONT, width=width).renderText(name)
    rows = tuple(r.rstrip() for r in art.splitlines() if r.strip())
    return None if not rows or any(len(r) > width for r in rows) else rows


# -- the full screen ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Phase:
    """What the moment is, as the screen tells it: its label, colour and large mark."""

    label: str
    colour: str
    mark: str | None  # drawn large before the countdown: 'move', 'pause', or none while holding
    fraction: float  # of the hold done, for its bar
    clock: str  # the countdown drawn large
    left: str  # the countdown in words, beside the bar


def phase(snap: Snapshot) -> Phase:
    hold = max(snap.hold, 1)
    if snap.paused:
        left = countdown(snap.hold - snap.held)
        words = f"{left} left of {countdown(snap.hold)}"
        return Phase("PAUSED · space to go on", "red", "pause", snap.held / hold, left, words)
    if snap.in_hold:
        left = countdown(snap.phase_left)
        words = f"{left} left of {countdown(snap.hold)}"
        return Phase("HOLD", "green", None, snap.held / hold, left, words)
    left = countdown(snap.phase_left)
    words = f"{left} · then hold {countdown(snap.hold)}"
    return Phase("MOVE INTO POSITION", "magenta", "move", 0.0, left, words)


@dataclass(frozen=True)
class Sizes:
    """How large the screen draws things: the scale of the countdown and of the side in block
    letters (0: as one row of text), and whether the pose name is in figlet letters."""

    clock: int = 0
    side: int = 0
    name: bool = False


def sizes(free: int, inner: int, clock: int, side: int, name: int, rows: int, room: int) -> Sizes:
    """The largest drawing that fits `free` rows and `inner` columns, given the widths of the
    countdown and the side at scale 1 (0: cannot be drawn large), the rows of the figlet name
    (0: none), the rows of a glyph and the columns kept beside the countdown for its marks.
    First the countdown, then the side, then the name; then the countdown grows, and the side
    with it up to half its scale."""

    def fits(c: int, s: int, n: bool) -> bool:
        # Rows taken beyond the one-row texts: a side drawn large takes its tag's row.
        taller = c * rows + (s * rows - 1 if s else 0) + (name if n else 0)
        wide = c * clock + room <= inner and s * side <= inner
        return taller <= free and wide and max(c, s) <= MAX_SCALE

    if not clock or not fits(1, 0, False):
        return Sizes(name=bool(name) and fits(0, 0, True))
    c, s = 1, int(bool(side) and fits(1, 1, False))
    n = bool(name) and fits(c, s, True)
    while True:
        grown = [(c, s + 1), (c + 1, s)] if 2 * (s + 1) <= c else [(c + 1, s), (c, s + 1)]
        bigger = [(gc, gs) for gc, gs in grown if (gs == s or s) and fits(gc, gs, n)]
        if not bigger:
            return Sizes(c, s, n)
        c, s = bigger[0]


def bar(fraction: float, width: int) -> str:
    filled = round(max(0.0, min(1.0, fraction)) * width)
    return "█" * filled + "░" * (width - filled)


def render(snap: Snapshot, title: str, width: int, height: int) -> RenderableType:
    """One frame filling the terminal. From 60x20 up the countdown and the side are drawn in
    block letters, as large as the screen allows; below that they are one row of text each,
    and a screen too short for everything keeps what matters most."""
    from rich.console import Group
    from rich.panel import Panel
    from rich.text import Text

    width, height = max(1, width), max(1, height)
    inner, body = max(1, width - 4), max(0, height - 2)
    entry, now = snap.entry, phase(snap)
    side = entry.side_label.upper() if entry.side else ""
    if height < 3:  # no room for a frame: one line of what matters most
        line = Text(f"{now.label.split(' · ')[0]} {now.clock} · {step_title(entry)}")
        line.truncate(width, overflow="crop")
        line.stylize(f"bold {now.colour}")
        return line

    name = Text(entry.name, style="bold")
    if entry.pose and entry.pose.custom:  # not in the catalog: guided by its name and the note
        name.append(" · the article's own pose", style="dim")
    tag = Text(f" {side} ", style="bold reverse yellow") if side else None
    state = Text(_centred(now.label, inner), style=f"bold reverse {now.colour}")
    timer_row = _with_bar(now.fraction, now.left, inner, now.colour)
    cue = snap.cue.text if snap.cue else entry.key_cue
    guidance = _guidance(cue, entry.key_cue, inner)
    upcoming = f"{step_title(snap.next)} ({countdown(snap.next.hold)})" if snap.next else "the end"
    session = f"step {entry.index + 1} of {snap.steps} · "
    session += f"{countdown(snap.elapsed)} / {countdown(snap.total)}"
    footer: list[RenderableType] = [
        Text.assemble(("Next: ", "bold"), upcoming),
        _with_bar(snap.progress, session, inner, "blue"),
    ]
    free = body - MIN_AIR
    free -= _rows([name, *([tag] if tag else []), state, timer_row, *guidance, *footer], inner)
    # Sizes chosen with room for the step's longest cue keep the screen still as the cues change.
    cues = tuple(c.text for c in entry.cues if c.kind != "end")
    longer = _cue_rows(cues, entry.key_cue, inner) - _rows(guidance, inner)

    table = glyphs()
    big_enough = width >= BIG_MIN_COLUMNS and height >= BIG_MIN_ROWS
    widest = max((now.clock, countdown(snap.hold), countdown(entry.transition)), key=table.width)
    art = big_text(entry.name, inner) if inner >= 40 else None
    chosen = Sizes()
    for room in (free - longer, free):  # a large countdown comes before a still screen
        chosen = sizes(
            room,
            inner,
            table.width(widest) if big_enough else 0,
            table.width(side) if side else 0,
            len(art) if art else 0,
            table.rows,
            2 * _mark_room(table, 1),  # the countdown is centred, with room for a mark either side
        )
        if chosen.clock or not big_enough:
            break

    heading: list[RenderableType] = []
    centre = chosen.clock > 0
    if art and chosen.name:
        heading.append(_block(list(art), inner, "bold cyan", centre))
    heading.append(_placed(name, inner, centre))
    if chosen.side:
        drawn = table.line(side)
        assert drawn is not None  # a side without glyphs is never drawn large
        heading.append(_block(scaled(drawn, chosen.side), inner, "bold yellow", centre=True))
    elif tag:
        heading.append(_placed(tag, inner, centre))
    timer: list[RenderableType] = [state]
    if chosen.clock:
        timer.append(_clock(table, now, chosen.clock, inner))
    timer.append(timer_row)

    sections = [heading, timer, guidance, footer]
    used = _rows([item for section in sections for item in section], inner)
    padding = max(0, min(longer, body - used))
    guidance.extend([Text("")] * padding)
    used += padding
    # Too short a screen: the key cue goes first, then the session's bar, what is next, the cue.
    for section, kept in ((guidance, 1), (footer, 1), (footer, 0), (guidance, 0)):
        if used <= body:
            break
        del section[kept:]
        used = _rows([item for section in sections for item in section], inner)
    spaced: list[RenderableType] = []
    for section, gap in zip(sections, _gaps(body - used, len(sections)), strict=True):
        spaced.extend([*([Text("")] * gap), *section])
    return Panel(
        Group(*spaced),
        title=f"unknot · {title}",
        subtitle=key_help(width - 6) or None,
        title_align="left",
        border_style=now.colour,
        width=width,
        height=height,
    )


def key_help(width: int) -> str:
    """The keys, as many as fit `width`: the least needed ones are left out first."""
    shown = list(KEY_HELP)
    for least in KEYS_LEAST_NEEDED:
        line = " · ".join(shown)
        if len(line) <= width:
            return line
        shown.remove(least)
    return ""


def _centred(text: str, width: int) -> str:
    return text.center(width) if len(text) < width else text


def _placed(text: Text, width: int, centre: bool) -> Text:
    """`text` as it is, or centred with unstyled room before it."""
    from rich.text import Text

    room = (width - text.cell_len) // 2
    return Text.assemble(" " * room, text) if centre and room > 0 else text


def _mark_room(table: Glyphs, scale: int) -> int:
    """Columns a mark takes beside the countdown at `scale`, with its gap."""
    return scale * (max(len(table.shapes[mark][0]) for mark in MARKS) + table.gap)


def _clock(table: Glyphs, now: Phase, scale: int, width: int) -> RenderableType:
    """The countdown in block letters, centred, with the phase's mark (if any) before it as
    large as the room to the left allows."""
    from rich.text import Text

    digits = scaled(table.line(now.clock) or (), scale)
    indent = max(0, (width - len(digits[0])) // 2) if digits else 0
    rows = [" " * indent + row for row in digits]
    mark = min(scale, indent // _mark_room(table, 1)) if now.mark else 0
    if mark:
        drawn = scaled(table.shapes[now.mark or ""], mark)
        top = (len(rows) - len(drawn)) // 2
        at = indent - _mark_room(table, mark)  # the mark's first column
        gap = " " * (mark * table.gap)
        for n, row in enumerate(drawn, start=top):
            rows[n] = " " * at + row + gap + rows[n][indent:]
    return Text("\n".join(rows), style=f"bold {now.colour}", no_wrap=True, overflow="crop")


def _block(rows: list[str], width: int, style: str, centre: bool) -> RenderableType:
    """Rows drawn as one block, left or centred as a whole, cut at the edge rather than wrapped."""
    from rich.text import Text

    indent = " " * max(0, (width - max(len(r) for r in rows)) // 2) if centre else ""
    return Text("\n".join(indent + r for r in rows), style=style, no_wrap=True, overflow="crop")


def _with_bar(fraction: float, words: str, width: int, colour: str) -> RenderableType:
    """A bar as wide as the room beside `words` leaves, or the words alone in a narrow screen."""
    from rich.text import Text

    room = width - len(words) - 2
    if room < 5:
        return Text(words)
    return Text.assemble((bar(fraction, room), colour), "  ", words)


def _guidance(cue: str, key_cue: str, width: int) -> list[RenderableType]:
    """The cue to follow now, and the pose's key cue under it when that is another."""
    from rich.text import Text

    shown: list[RenderableType] = [_hanging("» ", Text(cue, style="italic"), width)]
    if key_cue and cue != key_cue:
        shown.append(_hanging("  ", Text(key_cue, style="dim"), width))
    return shown


@lru_cache(maxsize=256)
def _cue_rows(cues: tuple[str, ...], key_cue: str, width: int) -> int:
    """The most rows any of a step's cues takes, so the screen does not jump as they change."""
    return max(_rows(_guidance(cue, key_cue, width), width) for cue in {*cues, key_cue})


def _hanging(mark: str, text: Text, width: int) -> RenderableType:
    """`text` after `mark`, wrapped lines indented under the text rather than the mark."""
    from rich.table import Table

    grid = Table.grid(padding=0)
    grid.add_column(width=len(mark))
    grid.add_column(width=max(1, width - len(mark)))
    grid.add_row(mark, text)
    return grid


def _gaps(free: int, sections: int) -> list[int]:
    """Blank rows before each section: between sections first, then above the first."""
    gaps = [0] * sections
    order = [*range(1, sections), 0]
    for n in range(max(0, free)):
        gaps[order[n % len(order)]] += 1
    return gaps


def _rows(renderables: list[RenderableType], width: int) -> int:
    """Rows the renderables take on screen at `width`, as Rich will wrap them."""
    from rich.console import Console

    measure = Console(width=width, file=io.StringIO(), color_system=None)
    return sum(len(measure.render_lines(r, pad=False)) for r in renderables)


def guide_screen(player: Player, console: Console, keys_from: IO[str] | None) -> None:
    """Run the session on a full terminal screen until it ends or the runner quits."""
    from rich.live import Live

    title = player.timeline.routine.title
    with ExitStack() as stack:
        stack.enter_context(stop_on_terminate())
        live = stack.enter_context(Live(console=console, screen=True, auto_refresh=False))
        read = stack.enter_context(keyboard(keys_from)) if keys_from is not None else _sleep
        player.start()
        try:
            while not player.finished:
                player.tick()
                if player.finished:
                    break
                size = console.size
                live.update(render(player.snapshot(), title, size.width, size.height), refresh=True)
                wait = min(FRAME_SECONDS, player.seconds_to_next_event())
                for action in KEYS.parse(read(wait)):
                    apply(player, action)
        except KeyboardInterrupt:
            player.quit()


def _sleep(seconds: float) -> bytes:
    select.select([], [], [], seconds)
    return b""


# -- plain lines -------------------------------------------------------------------------------
def plain_line(entry: Entry, following: Entry | None) -> str:
    """One line per step for logs and pipes."""
    upcoming = step_title(following) if following else "the end"
    return (
        f"{countdown(entry.begins)}  {step_title(entry)} · hold {entry.hold} s"
        f" · {entry.key_cue} · next: {upcoming}"
    )


def guide_plain(player: Player, out: IO[str]) -> None:
    """Print each step as it begins, in time, until the session ends."""
    entries = player.timeline.entries

    def show(entry: Entry) -> None:
        following = entries[entry.index + 1] if entry.index + 1 < len(entries) else None
        print(plain_line(entry, following), file=out, flush=True)

    try:
        with stop_on_terminate():
            player.start()
            show(player.entry)
            while not player.finished:
                _sleep(player.seconds_to_next_event())
                for entry in player.tick():
                    show(entry)
    except KeyboardInterrupt:
        player.quit()


def summary_lines(player: Player) -> list[str]:
    """The closing lines: what was done, cut short, skipped, and what is left."""
    from unknot import Outcome, summarize

    summary = summarize(player)
    total = len(player.timeline)
    head = "Session complete" if summary.finished else "Session stopped"
    lines = [
        f"{head}: {summary.done} of {total} steps done, {clock(summary.held_seconds)} held"
        + (f", {summary.cut_short} cut short" if summary.cut_short else "")
        + (f", {summary.skipped} skipped" if summary.skipped else "")
        + "."
    ]
    for outcome in (Outcome.CUT_SHORT, Outcome.SKIPPED):
        names = [step_title(r.entry) for r in summary.records if r.outcome is outcome]
        if names:
            lines.append(f"{outcome.value.capitalize()}: {'; '.join(names)}.")
    if player.quit_early:
        left = player.timeline.entries[player.index + 1 :]
        if left:
            lines.append(f"Not reached: {len(left)} steps, from {step_title(left[0])}.")
    return lines


def guide(
    player: Player,
    *,
    out: IO[str] = sys.stdout,
    keys_from: IO[str] | None = sys.stdin,
    sound: Playback | None = None,
) -> list[str]:
    """Guide the session on `out` (a full screen if it is a terminal); returns the summary."""
    if sound is not None:
        trouble = sound.start()
        if trouble:  # said once, before the screen takes over; the session goes on silently
            print(f"unknot: {trouble}", file=sys.stderr, flush=True)
    try:
        if out.isatty():
            from rich.console import Console

            keys = keys_from if keys_from is not None and keys_from.isatty() else None
            guide_screen(player, Console(file=out), keys)
        else:
            guide_plain(player, out)
    finally:
        if sound is not None:
            sound.stop()
    return summary_lines(player)
