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
from typing import IO, TYPE_CHECKING

from unknot import Entry, Player, Snapshot, clock, countdown

if TYPE_CHECKING:
    from rich.console import Console, RenderableType
    from rich.text import Text

    from unknot import Playback

FRAME_SECONDS = 0.1  # redraw at least this often so the countdown moves smoothly
BIG_TEXT_FONT = "small"
ROWS_WITHOUT_BIG_TEXT = 14  # frame, name, side, timer, cues, next, session, and a little air
KEY_HELP = "space pause · n/→ skip · b/← back · +/- 10 s · q quit"


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


# -- the full screen ---------------------------------------------------------------------------
def big_text(name: str, width: int, max_rows: int) -> str | None:
    """The pose name in large letters, or None when it would not fit."""
    import pyfiglet

    art = pyfiglet.Figlet(font=BIG_TEXT_FONT, width=width).renderText(name)
    rows = [r.rstrip() for r in art.splitlines() if r.strip()]
    if len(rows) > max_rows or any(len(r) > width for r in rows):
        return None
    return "\n".join(rows)


def bar(fraction: float, width: int) -> str:
    filled = round(max(0.0, min(1.0, fraction)) * width)
    return "█" * filled + "░" * (width - filled)


def render(snap: Snapshot, title: str, width: int, height: int) -> RenderableType:
    """One frame: fits 80x24, spreads out on a bigger screen and shrinks below it."""
    from rich.console import Group
    from rich.panel import Panel
    from rich.text import Text

    width, height = min(width, 100), min(height, 30)
    inner = max(20, width - 4)
    entry = snap.entry
    art = big_text(entry.name, inner, height - ROWS_WITHOUT_BIG_TEXT) if inner >= 40 else None
    heading: list[RenderableType] = [Text(art, style="bold cyan")] if art else []
    heading.append(Text(entry.name, style="bold"))
    if entry.side:
        heading.append(Text(f" {entry.side_label.upper()} ", style="bold black on yellow"))

    if snap.paused:
        state, fraction = Text("PAUSED · space to go on", style="bold red"), snap.held / snap.hold
        left = f"{countdown(snap.hold - snap.held)} left of {countdown(snap.hold)}"
    elif snap.in_hold:
        state, fraction = Text("HOLD", style="bold green"), snap.held / snap.hold
        left = f"{countdown(snap.phase_left)} left of {countdown(snap.hold)}"
    else:
        state, fraction = Text("MOVE INTO POSITION", style="bold magenta"), 0.0
        left = f"{countdown(snap.phase_left)} · then hold {countdown(snap.hold)}"
    timer: list[RenderableType] = [
        state,
        Text.assemble((bar(fraction, max(10, inner - len(left) - 2)), "green"), "  ", left),
    ]

    cue = snap.cue.text if snap.cue else entry.key_cue
    guidance: list[RenderableType] = [_hanging("» ", Text(cue, style="italic"), inner)]
    if entry.key_cue and cue != entry.key_cue:
        guidance.append(_hanging("  ", Text(entry.key_cue, style="dim"), inner))

    upcoming = f"{step_title(snap.next)} ({countdown(snap.next.hold)})" if snap.next else "the end"
    times = f"{countdown(snap.elapsed)} / {countdown(snap.total)}"
    session = f"step {entry.index + 1} of {snap.steps} · {times}"
    footer: list[RenderableType] = [
        Text.assemble(("Next: ", "bold"), upcoming),
        Text.assemble(
            (bar(snap.progress, max(10, inner - len(session) - 2)), "blue"), "  ", session
        ),
    ]
    sections = [heading, timer, guidance, footer]
    used = _rows([item for section in sections for item in section], inner)
    spaced: list[RenderableType] = []
    for section, gap in zip(sections, _gaps(height - 2 - used, len(sections)), strict=True):
        spaced.extend([*([Text("")] * gap), *section])
    return Panel(
        Group(*spaced),
        title=f"unknot · {title}",
        subtitle=KEY_HELP,
        title_align="left",
        width=width,
        height=height,
    )


def _hanging(mark: str, text: Text, width: int) -> RenderableType:
    """`text` after `mark`, wrapped lines indented under the text rather than the mark."""
    from rich.table import Table

    grid = Table.grid(padding=0)
    grid.add_column(width=len(mark))
    grid.add_column(width=max(10, width - len(mark)))
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
