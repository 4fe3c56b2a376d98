"""`unknot go` as a runner meets it: the installed command in a real pseudo-terminal (full
screen, keys) and with its output piped (plain lines). Times are sped up with --speed; nothing
here measures how long anything took."""

from __future__ import annotations

import io
import os
import re
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pexpect
import pytest
import yaml
from rich.cells import cell_len

import unknot
from conftest import GUARD, SEED_SEQUENCE, UNKNOT
from unknot.guide.timeline import Entry, expand
from unknot.routines.routine import resolve

ROWS, COLUMNS = 24, 80
HOME = "\x1b[H"  # Rich redraws every frame of the full screen from the top-left corner
LEAVE_SCREEN = "\x1b[?1049l"  # back from the alternate screen: what follows is the summary
ANSI = re.compile(
    r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[()][0-9A-Za-z]|[@-Z\\-_=>])"
)
# One whole frame in the stream: from a cursor-home to the panel's bottom-right corner.
FRAME = re.compile(r"\x1b\[H((?:(?!\x1b\[H).)*?╯)", re.DOTALL)
STEP = re.compile(r"step (\d+) of (\d+) · (\d+:\d\d) / (\d+:\d\d)")
COUNTDOWN = re.compile(r"(\d+:\d\d) left of (\d+:\d\d)")
MOVING = re.compile(r"(\d+:\d\d) · then hold (\d+:\d\d)")
RIGHT_ARROW, LEFT_ARROW, CTRL_C = "\x1b[C", "\x1b[D", "\x03"
STEPS = len(expand(resolve("after-long-run")))  # the built-in session's steps, from its data


def clean(text: str) -> str:
    return ANSI.sub("", text).replace("\r", "")


def mss(seconds: int) -> str:
    return f"{seconds // 60}:{seconds % 60:02d}"


def title(entry: Entry) -> str:
    return f"{entry.name}, {entry.side_label}" if entry.side else entry.name


def rows(frame: str) -> list[str]:
    """The text inside the panel, one item per screen row, borders and padding removed."""
    return [line.strip().strip("│╭╮╰╯").strip() for line in frame.split("\n")]


def step_of(frame: str) -> int:
    found = STEP.search(frame)
    assert found, frame
    return int(found.group(1))


def seconds(clock: str) -> int:
    minutes, _, secs = clock.partition(":")
    return int(minutes) * 60 + int(secs)


def countdown(frame: str) -> tuple[str, str]:
    found = COUNTDOWN.search(frame)
    assert found, frame
    return found.group(1), found.group(2)


def split_frames(raw: str) -> tuple[list[str], str]:
    """The full-screen frames (ANSI stripped) and the text printed after leaving the screen."""
    assert LEAVE_SCREEN in raw
    screen, _, after = raw.partition(LEAVE_SCREEN)
    frames = [clean(part) for part in screen.split(HOME)]
    return [f for f in frames if f.strip()], clean(after)


# The block letters the screen draws, from the glyph table it draws them from: a half block is
# one pixel, so a shape scales up pixel by pixel.
GLYPHS = yaml.safe_load(
    (Path(unknot.__file__).with_name("data") / "big-digits.yaml").read_text(encoding="utf-8")
)


def big(text: str, scale: int = 1) -> list[str]:
    """`text` (or a mark: 'move', 'pause') in the table's block letters, `scale` times as large."""
    shapes = (
        [GLYPHS["marks"][text]] if text in GLYPHS["marks"] else [GLYPHS["glyphs"][c] for c in text]
    )
    rows = [(" " * GLYPHS["gap"]).join(row) for row in zip(*shapes, strict=True)]
    pixels = []
    for row in rows:
        for lit in ("█▀", "█▄"):
            pixels += [[c in lit for c in row for _ in range(scale)]] * scale
    block = {(True, True): "█", (True, False): "▀", (False, True): "▄", (False, False): " "}
    pairs = zip(pixels[::2], pixels[1::2], strict=True)
    return ["".join(block[p] for p in zip(top, bottom, strict=True)) for top, bottom in pairs]


def drawn_at(frame: str, drawing: list[str]) -> tuple[int, int] | None:
    """Where (row, column) the frame shows `drawing`, its rows one under another, if it does."""
    lines = frame.split("\n")
    for top in range(len(lines) - len(drawing) + 1):
        column = lines[top].find(drawing[0])
        while column >= 0:
            if all(
                lines[top + n][column : column + len(row)] == row for n, row in enumerate(drawing)
            ):
                return top, column
            column = lines[top].find(drawing[0], column + 1)
    return None


def big_scale(frame: str, text: str) -> int:
    """The scale at which the frame draws `text` in block letters; 0 when it does not."""
    return next((s for s in range(1, 9) if drawn_at(frame, big(text, s))), 0)


def shows(frame: str, text: str) -> bool:
    """`text` on a row of its own, or drawn in block letters."""
    return text in rows(frame) or big_scale(frame, text) > 0


def terminal_env() -> dict[str, str]:
    env = dict(os.environ, TERM="xterm-256color")  # carries UNKNOT_CACHE_DIR from `own_cache`
    for name in ("COLUMNS", "LINES", "NO_COLOR", "FORCE_COLOR", "TTY_COMPATIBLE"):
        env.pop(name, None)
    return env


class Session:
    """`unknot go ...` on a real pseudo-terminal, 80x24 unless told."""

    def __init__(
        self, *args: str, size: tuple[int, int] = (COLUMNS, ROWS), env: dict[str, str] | None = None
    ) -> None:
        self.child = pexpect.spawn(
            UNKNOT,
            ["go", *args],
            dimensions=(size[1], size[0]),
            env={**terminal_env(), **(env or {})},
            encoding="utf-8",
            timeout=GUARD,
        )
        self.seen: list[str] = []  # every frame read so far, cleaned
        self.raw = ""  # the last frame as it came, escape sequences and all

    def frame(self, timeout: float = GUARD) -> str:
        """The next whole frame from the stream."""
        self.child.expect(FRAME, timeout=timeout)
        self.raw = self.child.match.group(1)
        frame = clean(self.raw)
        self.seen.append(frame)
        return frame

    def resize(self, columns: int, rows: int) -> None:
        self.child.setwinsize(rows, columns)

    def wait_for(self, predicate: Callable[[str], bool], timeout: float = GUARD) -> str:
        """Read frames until one satisfies `predicate` (the stream is the clock, not a sleep)."""
        give_up = time.monotonic() + timeout
        while True:
            frame = self.frame(timeout=max(0.5, give_up - time.monotonic()))
            if predicate(frame):
                return frame
            assert time.monotonic() < give_up, f"no such frame; last one:\n{frame}"

    def send(self, keys: str) -> None:
        self.child.send(keys)

    def finish(self) -> tuple[int, str]:
        """Wait for the process to end; its exit status and everything after the last frame."""
        self.child.expect(pexpect.EOF, timeout=GUARD)
        rest = self.child.before
        self.child.close()
        assert self.child.signalstatus is None
        after = clean(rest.partition(LEAVE_SCREEN)[2])
        assert LEAVE_SCREEN in rest, "the alternate screen was not left"
        return self.child.exitstatus, after

    def close(self) -> None:
        if self.child.isalive():
            self.child.close(force=True)


@pytest.fixture
def session() -> Iterator[Callable[..., Session]]:
    started: list[Session] = []

    def start(*args: str, **options: Any) -> Session:
        started.append(Session(*args, **options))
        return started[-1]

    yield start
    for each in started:
        each.close()


@pytest.fixture
def entries() -> list[Entry]:
    return list(expand(resolve("after-long-run")))


def summary_of(after: str) -> list[str]:
    return [line for line in after.splitlines() if line.strip()]


# -- the whole session on the full screen --------------------------------------------------------
def test_full_screen_session_shows_every_step_in_order(entries: list[Entry]) -> None:
    # The timeline collapsed to first rounds is the seed's sequence; later rounds are flow repeats.
    assert [(e.name, e.side) for e in entries if e.round in (None, 1)] == SEED_SEQUENCE

    child = pexpect.spawn(
        UNKNOT,
        ["go", "after-long-run", "--speed", "100", "--level", "advanced"],  # the seed, Plow too
        dimensions=(ROWS, COLUMNS),
        env=terminal_env(),
        encoding="utf-8",
        timeout=GUARD,
    )
    try:
        child.expect(pexpect.EOF)
        raw = child.before
    finally:
        child.close(force=True)
    assert child.exitstatus == 0, raw[-2000:]
    assert child.signalstatus is None
    assert "Traceback" not in raw

    frames, after = split_frames(raw)
    assert len(frames) >= STEPS
    order: list[int] = []
    for frame in frames:
        lines = frame.split("\n")
        assert len(lines) <= ROWS, frame
        assert all(cell_len(line) <= COLUMNS for line in lines), frame
        shown = rows(frame)
        number = step_of(frame)
        entry = entries[number - 1]
        assert entry.name in shown, frame
        if entry.side:
            label = entry.side_label.upper()  # e.g. "RIGHT LEG": " RIGHT LEG ", or block letters
            assert label.startswith(entry.side.upper())
            assert shows(frame, label), frame
        else:
            assert not any(shows(frame, s) for s in ("RIGHT LEG", "LEFT LEG", "RIGHT SIDE"))
        # 80x24 is room enough for the countdown in block letters, as the words beside it say.
        words = COUNTDOWN.search(frame) or MOVING.search(frame)
        assert words and big_scale(frame, words.group(1)) >= 1, frame
        following = entries[number] if number < len(entries) else None
        expected_next = f"{title(following)} ({mss(following.hold)})" if following else "the end"
        assert f"Next: {expected_next}" in shown, frame
        if "HOLD" in shown:
            assert f"left of {mss(entry.hold)}" in frame, frame
        else:
            assert "MOVE INTO POSITION" in shown, frame
            assert f"then hold {mss(entry.hold)}" in frame, frame
        assert STEP.search(frame).group(4) == mss(entries[-1].end)  # type: ignore[union-attr]
        if not order or order[-1] != number:
            order.append(number)
    assert order == list(range(1, STEPS + 1))

    # The first pose's name is drawn in large letters above its plain name.
    first = rows(frames[0])
    name_row = first.index("Child's Pose")
    assert sum(1 for r in first[:name_row] if r) >= 3
    assert any("___" in r for r in first[:name_row])

    summary = summary_of(after)
    assert summary[0].startswith(f"Session complete: {STEPS} of {STEPS} steps done, ")
    assert not any(line.startswith(("Cut short", "Skipped", "Not reached")) for line in summary)


# -- keys ----------------------------------------------------------------------------------------
def test_n_and_right_arrow_skip(session: Callable[..., Session]) -> None:
    screen = session("after-long-run", "--speed", "5")
    first = screen.wait_for(lambda f: f"step 1 of {STEPS}" in f and "HOLD" in rows(f))
    assert "Child's Pose" in rows(first)
    screen.send("n")  # in the hold: cut short (the two after it are skipped in their moves)
    second = screen.wait_for(lambda f: step_of(f) != 1)
    assert step_of(second) == 2
    assert "Cat-Cow" in rows(second)
    screen.send(RIGHT_ARROW)
    third = screen.wait_for(lambda f: step_of(f) != 2)
    assert step_of(third) == 3
    assert "Downward-Facing Dog" in rows(third)
    screen.send("q")
    status, after = screen.finish()
    assert status == 0
    summary = summary_of(after)
    assert summary[0].startswith(f"Session stopped: 0 of {STEPS} steps done")
    assert "Child's Pose" in next(line for line in summary if line.startswith("Cut short: "))
    assert f"Not reached: {STEPS - 3} steps, from Three-Legged Dog, right leg." in summary


def test_space_pauses_and_resumes(session: Callable[..., Session]) -> None:
    screen = session("after-long-run", "--speed", "10")
    screen.wait_for(lambda f: "HOLD" in rows(f))
    screen.send(" ")
    paused = screen.wait_for(lambda f: "PAUSED" in f)
    # Paused frames come at most every 0.1 s, so five frames on is at least half a second later:
    # 5 session seconds at this speed, yet neither the countdown nor the session clock moved.
    for _ in range(5):
        later = screen.frame()
    assert "PAUSED" in later
    assert countdown(later) == countdown(paused)
    assert STEP.search(later).group(1, 3) == STEP.search(paused).group(1, 3)  # type: ignore[union-attr]

    screen.send(" ")
    resumed = screen.wait_for(lambda f: "PAUSED" not in f)
    assert "HOLD" in rows(resumed) or "MOVE INTO POSITION" in rows(resumed)
    screen.wait_for(
        lambda f: (
            step_of(f) != step_of(paused)
            or (COUNTDOWN.search(f) is not None and countdown(f) != countdown(paused))
        )
    )
    screen.send("q")
    status, after = screen.finish()
    assert status == 0
    assert summary_of(after)[0].startswith("Session stopped: ")


def test_b_soon_after_a_step_begins_goes_back(session: Callable[..., Session]) -> None:
    # At speed 1 "soon" (3 s into the step) leaves plenty of room for a busy machine. The
    # voice is off: preparing its first words would eat into those 3 s (test_playback covers it).
    screen = session(
        "after-long-run", "--speed", "1", "--voice", "none", "--before", "", "--after", ""
    )
    screen.wait_for(lambda f: f"step 1 of {STEPS}" in f)
    screen.send("n")
    screen.wait_for(lambda f: step_of(f) == 2)
    screen.send("b")
    back = screen.wait_for(lambda f: step_of(f) != 2)
    assert step_of(back) == 1
    assert "Child's Pose" in rows(back)
    assert "then hold 0:25" in back  # from its move again, the whole hold to come
    # The left arrow does the same.
    screen.send("n")
    screen.wait_for(lambda f: step_of(f) == 2)
    screen.send(LEFT_ARROW)
    back = screen.wait_for(lambda f: step_of(f) != 2)
    assert step_of(back) == 1
    screen.send("q")
    status, after = screen.finish()
    assert status == 0
    summary = summary_of(after)
    assert summary[0].startswith(f"Session stopped: 0 of {STEPS} steps done")
    assert f"Not reached: {STEPS - 1} steps, from Cat-Cow." in summary


def test_b_later_in_a_step_restarts_it(session: Callable[..., Session]) -> None:
    screen = session("after-long-run", "--speed", "10")
    # Well into Cat-Cow's hold: 5 s of transition and at least 5 s held.
    screen.wait_for(
        lambda f: step_of(f) == 2 and "HOLD" in rows(f) and seconds(countdown(f)[0]) <= 20
    )
    screen.send("b")
    again = screen.wait_for(lambda f: "MOVE INTO POSITION" in rows(f) or step_of(f) != 2)
    assert step_of(again) == 2
    assert "Cat-Cow" in rows(again)
    assert "then hold 0:25" in again
    screen.send("q")
    status, _ = screen.finish()
    assert status == 0


def test_plus_and_minus_change_the_hold(session: Callable[..., Session]) -> None:
    screen = session("after-long-run", "--speed", "5")
    before = screen.wait_for(lambda f: step_of(f) == 1 and COUNTDOWN.search(f) is not None)
    assert countdown(before)[1] == "0:25"  # Child's Pose holds 25 s
    screen.send("+")
    longer = screen.wait_for(lambda f: countdown(f)[1] != "0:25")
    assert step_of(longer) == 1
    assert countdown(longer)[1] == "0:35"
    assert "left of 0:35" in longer
    screen.send("-")
    shorter = screen.wait_for(lambda f: countdown(f)[1] != "0:35")
    assert step_of(shorter) == 1
    assert "left of 0:25" in shorter
    screen.send("q")
    status, _ = screen.finish()
    assert status == 0


def test_q_stops_with_a_summary(session: Callable[..., Session]) -> None:
    screen = session("after-long-run", "--speed", "5")
    screen.wait_for(lambda f: step_of(f) == 1 and "HOLD" in rows(f))
    screen.send("q")
    status, after = screen.finish()
    assert status == 0
    summary = summary_of(after)
    assert re.fullmatch(
        rf"Session stopped: 0 of {STEPS} steps done, \d+:\d\d held, 1 cut short\.", summary[0]
    )
    assert "Cut short: Child's Pose." in summary
    assert f"Not reached: {STEPS - 1} steps, from Cat-Cow." in summary
    assert "Traceback" not in after


def test_ctrl_c_stops_with_a_summary(session: Callable[..., Session]) -> None:
    screen = session("after-long-run", "--speed", "5")
    screen.wait_for(lambda f: step_of(f) == 1)
    screen.send(CTRL_C)
    status, after = screen.finish()
    assert status == 0
    summary = summary_of(after)
    assert summary[0].startswith(f"Session stopped: 0 of {STEPS} steps done")
    assert f"Not reached: {STEPS - 1} steps, from Cat-Cow." in summary
    assert "Traceback" not in after
    assert "Traceback" not in "".join(screen.seen)


def test_sigterm_on_the_full_screen_restores_it_with_a_summary(
    session: Callable[..., Session],
) -> None:
    screen = session("after-long-run", "--speed", "5")
    screen.wait_for(lambda f: step_of(f) == 1)
    screen.child.kill(signal.SIGTERM)
    status, after = screen.finish()
    assert status == 0
    assert summary_of(after)[0].startswith("Session stopped: ")
    assert "Traceback" not in after


def test_a_one_sided_pose_is_shown_on_both_sides(
    session: Callable[..., Session], write_routine: Callable[..., Path]
) -> None:
    path = write_routine("steps:\n  - pose: Pigeon\n    hold: 5\n")
    screen = session(str(path), "--speed", "50")
    right = screen.wait_for(lambda f: shows(f, "RIGHT LEG"))
    assert "Pigeon" in rows(right)
    assert "step 1 of 2" in right
    assert "Next: Pigeon, left leg (0:05)" in rows(right)
    left = screen.wait_for(lambda f: shows(f, "LEFT LEG"))
    assert "Pigeon" in rows(left)
    assert "step 2 of 2" in left
    assert "Next: the end" in rows(left)
    status, after = screen.finish()
    assert status == 0
    assert summary_of(after)[0].startswith("Session complete: 2 of 2 steps done, ")


# -- the screen's size -------------------------------------------------------------------------
def fits(frame: str, columns: int, rows_: int) -> bool:
    lines = frame.split("\n")
    return len(lines) <= rows_ and all(cell_len(line) <= columns for line in lines)


def test_a_big_terminal_draws_the_side_and_the_countdown_in_block_letters(
    session: Callable[..., Session], write_routine: Callable[..., Path]
) -> None:
    path = write_routine("steps:\n  - pose: Pigeon\n    hold: 60\n")
    # At speed 1 the 3 s move to the other leg is long enough to be seen whatever the load.
    quiet = ("--voice", "none", "--before", "", "--after", "")
    screen = session(str(path), "--speed", "1", *quiet, size=(120, 40))
    # Holding: the countdown the words tell, larger than the side above it, and no mark.
    held = screen.wait_for(lambda f: "HOLD" in rows(f))
    assert fits(held, 120, 40), held
    assert "Pigeon" in rows(held)
    assert "RIGHT LEG" not in rows(held)  # the one-row tag is for small screens
    left, of = countdown(held)
    assert of == "1:00"
    side, clock = big_scale(held, "RIGHT LEG"), big_scale(held, left)
    assert side >= 1 and clock > side, held
    side_at, clock_at = drawn_at(held, big("RIGHT LEG", side)), drawn_at(held, big(left, clock))
    assert side_at and clock_at and side_at[0] < clock_at[0], held
    assert not big_scale(held, "move") and not big_scale(held, "pause"), held
    # Paused: a large pause mark beside the countdown.
    screen.send(" ")
    paused = screen.wait_for(lambda f: "PAUSED · space to go on" in rows(f))
    assert big_scale(paused, "pause") >= 1, paused
    assert big_scale(paused, countdown(paused)[0]) == clock, paused
    # Moving to the other leg: an arrow before the countdown of the move.
    screen.send(" n")
    moving = screen.wait_for(lambda f: "MOVE INTO POSITION" in rows(f))
    assert big_scale(moving, "LEFT LEG") >= 1, moving
    found = MOVING.search(moving)
    assert found, moving
    assert big_scale(moving, found.group(1)) == clock, moving
    assert big_scale(moving, "move") >= 1 and not big_scale(moving, "pause"), moving
    screen.send("q")
    status, _ = screen.finish()
    assert status == 0


@pytest.mark.parametrize(("columns", "rows_"), [(40, 12), (50, 15)])
def test_a_small_terminal_keeps_the_one_row_side_and_countdown(
    session: Callable[..., Session], write_routine: Callable[..., Path], columns: int, rows_: int
) -> None:
    path = write_routine("steps:\n  - pose: Pigeon\n    hold: 60\n")
    screen = session(str(path), "--speed", "5", size=(columns, rows_))
    held = screen.wait_for(lambda f: "HOLD" in rows(f))
    shown = rows(held)
    assert "Pigeon" in shown and "RIGHT LEG" in shown, held
    left, of = countdown(held)
    assert of == "1:00"
    assert not big_scale(held, left) and not big_scale(held, "RIGHT LEG"), held
    assert "q quit" in held.split("\n")[-1]  # the keys that fit, quitting always among them
    screen.send(" ")
    paused = screen.wait_for(lambda f: "PAUSED" in f)
    screen.send("q")
    status, _ = screen.finish()
    assert status == 0
    for frame in (held, paused, *screen.seen):
        assert fits(frame, columns, rows_), frame


def test_a_wide_terminal_is_filled_and_a_resize_is_followed(
    session: Callable[..., Session], write_routine: Callable[..., Path]
) -> None:
    path = write_routine("steps:\n  - pose: Pigeon\n    hold: 60\n")
    screen = session(str(path), "--speed", "5", size=(200, 60))
    held = screen.wait_for(lambda f: "HOLD" in rows(f))
    assert fits(held, 200, 60), held
    lines = held.split("\n")
    assert cell_len(lines[0]) == 200  # the frame spans the screen, not a 100-column box
    timer = next(r for r in rows(held) if COUNTDOWN.search(r))
    assert cell_len(timer) > 150  # the hold's bar widens with the screen
    left = countdown(held)[0]
    scale = big_scale(held, left)
    assert cell_len(big(left, scale)[0]) > 100, held
    # Made small mid-session, the next frames are drawn for the new size.
    screen.resize(50, 15)
    small = screen.wait_for(lambda f: cell_len(f.split("\n")[0]) == 50)
    assert fits(small, 50, 15), small
    assert "RIGHT LEG" in rows(small)
    screen.send("q")
    status, _ = screen.finish()
    assert status == 0


def every_moment() -> list[unknot.Snapshot]:
    """Each step of a short session with sides moving in, holding and paused, on a fake clock."""
    plan = unknot.fit(unknot.routine("after-long-run"), unknot.read_needs(minutes=5))
    now = [0.0]
    player = unknot.Player(plan.timeline, clock=lambda: now[0])
    player.start()
    moments = []
    while not player.finished:
        begins, entry = now[0], player.entry
        for at in (0.5, entry.transition + 1.0):
            now[0] = begins + at
            moments.append(player.snapshot())
        player.toggle_pause()
        moments.append(player.snapshot())
        player.toggle_pause()
        player.skip()
    return moments


def test_no_screen_is_too_small_or_too_large_to_draw() -> None:
    # The same frames `unknot go` draws, at sizes from a sliver to a wall, on Rich's own console.
    from rich.console import Console

    from unknot.cli.terminal import render

    moments = every_moment()
    assert {m.paused for m in moments} == {True, False}
    assert {m.in_hold for m in moments} == {True, False}
    sizes = "1x1 7x2 12x3 25x6 40x12 59x19 60x20 80x24 100x30 133x41 160x50 200x60 300x90"
    for columns, rows_ in (map(int, size.split("x")) for size in sizes.split()):
        for snap in moments:
            out = io.StringIO()
            console = Console(file=out, width=columns, height=rows_, color_system=None)
            console.print(render(snap, "After a long run", columns, rows_), end="")
            frame = out.getvalue().removesuffix("\n")
            assert fits(frame, columns, rows_), f"{columns}x{rows_}:\n{frame}"


SGR = re.compile(r"\x1b\[([0-9;]*)m")


def test_without_colour_the_phase_is_still_told(
    session: Callable[..., Session], write_routine: Callable[..., Path]
) -> None:
    path = write_routine("steps:\n  - pose: Pigeon\n    hold: 60\n")
    quiet = ("--voice", "none", "--before", "", "--after", "")
    screen = session(str(path), "--speed", "1", *quiet, size=(120, 40), env={"NO_COLOR": "1"})
    for label, mark, key in (("HOLD", None, "n"), ("MOVE INTO POSITION", "move", "q")):
        frame = screen.wait_for(lambda f, label=label: label in rows(f))
        attributes = {int(a) for p in SGR.findall(screen.raw) for a in p.split(";") if a}
        assert not attributes & {*range(30, 50), *range(90, 108)}, attributes  # no colour
        assert 7 in attributes  # the phase's bar is in reverse video
        assert big_scale(frame, countdown(frame)[0] if mark is None else "move") >= 1, frame
        screen.send(key)
    status, _ = screen.finish()
    assert status == 0


# -- plain lines when the output is not a terminal -----------------------------------------------
PLAIN = re.compile(r"(\d+):(\d\d)  (.+?) · hold (\d+) s · (.+) · next: (.+)")


def test_plain_mode_prints_one_line_per_step(entries: list[Entry]) -> None:
    done = subprocess.run(
        [UNKNOT, "go", "after-long-run", "--speed", "200", "--level", "advanced"],
        capture_output=True,
        text=True,
        timeout=GUARD,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert "\x1b" not in done.stdout  # no escape sequences in a pipe
    lines = done.stdout.splitlines()
    steps, summary = lines[:STEPS], lines[STEPS:]
    assert summary == [summary[0]]
    assert re.fullmatch(
        rf"Session complete: {STEPS} of {STEPS} steps done, \d+:\d\d held\.", summary[0]
    )

    shown: list[tuple[str, str | None]] = []
    for line, entry in zip(steps, entries, strict=True):
        found = PLAIN.fullmatch(line)
        assert found, line
        minutes, seconds, step, hold, cue, upcoming = found.groups()
        name, _, label = step.partition(", ")
        shown.append((name, label.split()[0] if label else None))
        assert int(minutes) * 60 + int(seconds) == entry.begins
        assert step == title(entry)
        assert int(hold) == entry.hold
        assert cue == entry.key_cue
        following = entries[entry.index + 1] if entry.index + 1 < len(entries) else None
        assert upcoming == (title(following) if following else "the end")
    assert shown == [(e.name, e.side) for e in entries]
    first_rounds = [pair for pair, e in zip(shown, entries, strict=True) if e.round in (None, 1)]
    assert first_rounds == SEED_SEQUENCE
    assert shown[6:12] == [("Low Crescent Lunge", "right"), ("Lifted Head to Knee", "right")] * 3


def test_sigterm_in_plain_mode_ends_with_the_summary() -> None:
    process = subprocess.Popen(
        [UNKNOT, "go", "after-long-run", "--speed", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert first.startswith("0:00  Child's Pose · hold 25 s · ")
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=GUARD)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, err
    assert "Traceback" not in err
    lines = out.splitlines()
    # Stopped in the first move, before anything was held: the step counts as skipped.
    assert lines[0] == f"Session stopped: 0 of {STEPS} steps done, 0:00 held, 1 skipped."
    assert "Skipped: Child's Pose." in lines
    assert f"Not reached: {STEPS - 1} steps, from Cat-Cow." in lines
