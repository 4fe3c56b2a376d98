"""The `unknot` command: parse, call the library, render. No logic of its own lives here.

Heavy modules (Rich, the terminal player) are imported inside the commands that use them, so
`unknot plan --json` starts fast.
"""

from __future__ import annotations

import itertools
import json
import sys
from collections.abc import Callable
from enum import IntEnum
from functools import wraps
from typing import IO, TYPE_CHECKING, Any, TypeVar

import click

from unknot.errors import UnknotError

if TYPE_CHECKING:
    from unknot.catalog.poses import Pose
    from unknot.plan.planner import Plan

F = TypeVar("F", bound=Callable[..., Any])


class Exit(IntEnum):
    OK = 0
    USER_ERROR = 2


class UserError(click.ClickException):
    """An `UnknotError` on its way out: one line on stderr, exit status 2."""

    exit_code = Exit.USER_ERROR

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(f"unknot: {self.message}", err=True)


class Cli(click.Group):
    """Click's group, with every mistake reported as one line and exit status 2."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except UnknotError as err:
            raise UserError(err.line()) from None

    def main(self, *args: Any, **kwargs: Any) -> Any:
        kwargs["standalone_mode"] = False
        try:
            result = super().main(*args, **kwargs)
        except click.exceptions.NoArgsIsHelpError as err:
            err.show()
            sys.exit(Exit.USER_ERROR)
        except click.UsageError as err:
            command = err.ctx.command_path if err.ctx else "unknot"
            message = err.format_message().rstrip(".")
            click.echo(f"{command}: {message} (see '{command} --help')", err=True)
            sys.exit(Exit.USER_ERROR)
        except click.ClickException as err:
            err.show()
            sys.exit(err.exit_code)
        except click.Abort:
            click.echo("unknot: stopped", err=True)
            sys.exit(130)
        sys.exit(result if isinstance(result, int) else Exit.OK)


def routine_options(command: F) -> F:
    """ROUTINE and today's needs: the options every command that takes a routine shares.

    The command is called with the `Plan`: the routine fitted to the needs, and its timeline."""

    @click.argument("routine")
    @click.option(
        "--tight",
        multiple=True,
        metavar="AREA[:N],...",
        help="Areas that feel tight, optionally weighted 1-10: hips:3,calves.",
    )
    @click.option(
        "--minutes", type=click.FloatRange(1, 240), help="Minutes you have, moves included."
    )
    @click.option("--skip", multiple=True, metavar="POSE,...", help="Poses to leave out.")
    @click.option(
        "--avoid",
        multiple=True,
        metavar="CONDITION,...",
        help="Conditions to be careful of (knees, neck, lower back, ...): poses not advised "
        "for them are replaced by a substitute or left out.",
    )
    @click.option(
        "--level",
        metavar="LEVEL",
        help="beginner, intermediate or advanced: harder poses get a gentler substitute.",
    )
    @click.option("--hold", type=click.IntRange(1, 1800), help="Default hold in seconds.")
    @click.option(
        "--first-side",
        type=click.Choice(["right", "left"]),
        help="Side that per-side work starts on.",
    )
    @click.option(
        "--with",
        "extra",
        multiple=True,
        metavar="ROUTINE",
        help="Another routine to do first, inside the same minutes (e.g. foam-rolling).",
    )
    @wraps(command)
    def wrapper(
        routine: str,
        tight: tuple[str, ...],
        minutes: float | None,
        skip: tuple[str, ...],
        avoid: tuple[str, ...],
        level: str | None,
        hold: int | None,
        first_side: str | None,
        extra: tuple[str, ...],
        **kwargs: Any,
    ) -> Any:
        from unknot.plan import planner
        from unknot.plan.needs import read_needs
        from unknot.routines.routine import resolve

        needs = read_needs(
            tight=tight, minutes=minutes, skip=skip, avoid=avoid, level=level,
            hold=hold, first_side=first_side, extra=extra,
        )  # fmt: skip
        return command(planner.plan(resolve(routine), needs), **kwargs)

    return wrapper  # type: ignore[return-value]


json_option = click.option("--json", "as_json", is_flag=True, help="Print the data as JSON.")
FILE = click.Path(dir_okay=False, path_type=str)


def file_option(flag: str, name: str, help: str, *, required: bool = False) -> Callable[[F], F]:
    """An option naming a file to read or write (the command checks what it may be)."""
    return click.option(flag, name, type=FILE, required=required, help=help)


database_option = click.option(
    "--database", metavar="URL",
    help="The history database (SQLAlchemy URL); default UNKNOT_DATABASE_URL, else SQLite in "
    "your data folder.",
)  # fmt: skip
voice_option = click.option(
    "--voice",
    "voice_name",
    default="piper",
    show_default=True,
    help="piper (the offline neural voice that ships with unknot), espeak, or none (silence).",
)


def print_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


def clock(seconds: float) -> str:
    whole = round(seconds)
    return f"{whole // 60}:{whole % 60:02d}"


@click.group(cls=Cli, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="unknot")
def cli() -> None:
    """unknot: a post-run recovery coach. Routines as data, guided hands-free.

    ROUTINE is a built-in name (see `unknot routines`) or the path of a routine file.
    """


@cli.command()
@json_option
def routines(as_json: bool) -> None:
    """List the built-in routines with their length and focus areas."""
    from unknot.guide.timeline import expand
    from unknot.routines.routine import built_in_names, resolve

    rows: list[dict[str, Any]] = []
    for name in built_in_names():
        timeline = expand(resolve(name))
        rows.append(
            {
                "name": name,
                "title": timeline.routine.title,
                "steps": len(timeline),
                "total_seconds": timeline.total,
                "focus": timeline.focus(),
                "description": timeline.routine.description,
            }
        )
    if as_json:
        print_json(rows)
        return
    _print_table(
        ["Routine", "Title", "Length", "Steps", "Focus"],
        [
            [
                r["name"],
                r["title"],
                clock(r["total_seconds"]),
                str(r["steps"]),
                ", ".join(r["focus"]),
            ]
            for r in rows
        ],
    )


@cli.command()
@routine_options
@file_option("--figures", "figures_path", "Also write a page (.html) with every step's figure.")
@json_option
def show(plan: Plan, figures_path: str | None, as_json: bool) -> None:
    """Show a routine's poses, sides, areas and holds as a table."""
    timeline = plan.timeline
    if figures_path:
        _write_card(plan, figures_path, allowed=(".html",))
    if as_json:
        print_json(plan.to_json())
        return
    rows = []
    for entry in timeline:
        areas = ", ".join(entry.pose.areas) if entry.pose else ""
        name = entry.name + (f" (round {entry.round})" if entry.round else "")
        rows.append([str(entry.index + 1), name, entry.side or "", f"{entry.hold} s", areas])
    title = f"{timeline.routine.title} · {clock(timeline.total)}"
    _print_table(["#", "Pose", "Side", "Hold", "Areas"], rows, title)


@cli.command()
@routine_options
@file_option(
    "--card", "card_path", "Also write a one-page printable card of the session (.pdf or .html)."
)
@json_option
def plan(plan: Plan, card_path: str | None, as_json: bool) -> None:
    """Print the timed session and why each step was kept, changed or left out."""
    timeline = plan.timeline
    if card_path:
        _write_card(plan, card_path, allowed=(".pdf", ".html"))
    if as_json:
        print_json(plan.to_json())
        return
    rows = [
        [
            clock(e.start),
            e.name,
            e.side or "",
            f"{e.transition} s" if e.transition else "",
            f"{e.hold} s",
            e.key_cue,
        ]
        for e in timeline
    ]
    _print_table(["At", "Step", "Side", "Move", "Hold", "Key cue"], rows, timeline.routine.title)
    click.echo(f"Total {clock(timeline.total)} ({timeline.total} s), {len(timeline)} steps.")
    if plan.needs.shapes or plan.needs.extra:
        _print_why(plan)


@cli.command()
@routine_options
@click.option(
    "--speed",
    type=click.FloatRange(0.01, 1000),
    default=1.0,
    show_default=True,
    help="Run the clock this many times faster (for practice and tests; sound plays at 1 only).",
)
@voice_option
@click.option("--before", metavar="AREA:N,...", help="How tight areas feel now, 0-10: hips:6.")
@click.option("--after", metavar="AREA:N,...", help="How tight they feel after, for scripts.")
@database_option
def go(
    plan: Plan,
    speed: float,
    voice_name: str,
    before: str | None,
    after: str | None,
    database: str | None,
) -> None:
    """Guide the session in the terminal, with the voice and chimes; it is remembered.

    Keys: space pauses, n or → skips, b or ← goes back, + and - change the hold by 10 s, q quits.
    """
    import sys

    from unknot.cli.terminal import guide
    from unknot.guide.player import Player
    from unknot.history.store import PendingSession, Store, UnreachableError, parse_ratings

    ratings_before = parse_ratings(before, "--before")
    ratings_after = parse_ratings(after, "--after") if after is not None else None
    # Ask at a terminal, for a real session (a sped-up one is practice, or a test).
    asking = speed == 1 and sys.stdin.isatty() and sys.stdout.isatty()
    if before is None and asking:
        ratings_before = _ask_ratings("Before you start")
    store: Store | PendingSession
    try:
        store = Store(database)
    except UnreachableError as err:  # the session still runs; its record waits in a local file
        store = PendingSession()
        click.echo(
            f"unknot: {err.line()}; this session is kept in {store.path} and added to the "
            "history the next time it can be reached",
            err=True,
        )
    needs = {k: v for k, v in plan.needs._asdict().items() if v not in (None, (), {})}
    session = store.start_session(
        plan.timeline.routine.name, needs, plan.timeline.total, ratings_before
    )
    player = Player(plan.timeline, speed=speed)
    positions = itertools.count(1)  # never reused: a step done again after "back" is a new row
    player.on_record = lambda record: store.record_step(session, next(positions), record)
    sound = None
    if speed == 1 and voice_name != "none":
        from unknot.sound.playback import Playback
        from unknot.sound.voice import voice

        sound = Playback(player, voice(voice_name))
    from unknot.guide.player import summarize

    lines = guide(player, sound=sound)
    if ratings_after is None and not asking:
        ratings_after = {}
    # The session is closed before the question, so stopping at the prompt loses nothing.
    store.finish(session, summarize(player).finished, ratings_after or {})
    for line in lines:
        click.echo(line)
    if ratings_after is None:
        store.rate(session, "after", _ask_ratings("And now"))


def _ask_ratings(moment: str) -> dict[str, int]:
    """One line at the terminal: how tight areas feel, 0-10; Enter skips."""
    from unknot.history.store import parse_ratings

    while True:
        answer = click.prompt(
            f"{moment}: how tight does each area feel, 0-10? (hips:6,calves:4; Enter skips)",
            default="", show_default=False,
        )  # fmt: skip
        try:
            return parse_ratings(answer, "rating")
        except UnknotError as err:
            click.echo(f"unknot: {err.line()}", err=True)


@cli.command()
@routine_options
@file_option(
    "--audio", "audio_path", "The file to write: .mp3, .ogg, .opus, .flac or .wav.", required=True
)
@voice_option
@file_option(
    "--music",
    "music",
    "Music to play under the session, looped or cut to length, quieter under the voice.",
)
@json_option
def export(plan: Plan, audio_path: str, voice_name: str, music: str | None, as_json: bool) -> None:
    """Render the session as one audio track to play anywhere, with a cue sheet beside it."""
    from pathlib import Path

    from unknot.sound import track as audio
    from unknot.sound.voice import voice

    target = Path(audio_path)
    audio.audio_format(target)  # a wrong suffix is reported before minutes of rendering
    track = audio.render(plan.timeline, voice(voice_name), Path(music) if music else None)
    files = audio.write(track, target, plan.timeline.routine.title)
    result = {
        "files": [str(f) for f in files],
        "seconds": round(track.seconds, 3),
        "timeline_seconds": plan.timeline.total,
        "cues_spoken": len(track.utterances),
        "loudness_lufs": round(track.loudness, 1),
    }
    if as_json:
        print_json(result)
        return
    click.echo(
        f"Wrote {files[0]} ({clock(track.seconds)}, {len(track.utterances)} spoken cues, "
        f"{track.loudness:.1f} LUFS) and its cue sheets {', '.join(str(f) for f in files[1:])}."
    )


@cli.command()
@click.option(
    "--area", "areas", multiple=True, help="Only poses that stretch this area (or group)."
)
@json_option
def poses(areas: tuple[str, ...], as_json: bool) -> None:
    """List the pose catalog."""
    from unknot.catalog.poses import catalog
    from unknot.catalog.vocabulary import vocabulary

    wanted = vocabulary().resolve_areas(areas, field="--area") if areas else []
    found = catalog().stretching(wanted) if wanted else list(catalog())
    if as_json:
        print_json([_pose_json(p) for p in found])
        return
    rows = [
        [
            p.name,
            p.position,
            f"per {p.side_word}" if p.per_side else "",
            p.level,
            f"{p.hold} s",
            ", ".join(p.areas),
        ]
        for p in found
    ]
    _print_table(["Pose", "Position", "Sides", "Level", "Hold", "Stretches"], rows)


@cli.group(invoke_without_command=True)
@database_option
@json_option
@click.pass_context
def history(ctx: click.Context, database: str | None, as_json: bool) -> None:
    """Recent sessions; `history export`, `history import` and `history forget` below."""
    ctx.obj = database
    if ctx.invoked_subcommand is not None:
        return
    from unknot.history.store import Store

    sessions = Store(database).sessions(limit=20)
    rows = [s.to_json() for s in sessions]
    if as_json:
        print_json(rows)
        return
    if not rows:
        click.echo("No sessions yet: `unknot go after-long-run` starts one.")
        return
    table = [
        [r["started_at"][:16].replace("T", " "), r["routine"], r["status"], str(r["steps"]),
         clock(r["held_seconds"]), r["id"][:8]]
        for r in rows
    ]  # fmt: skip
    _print_table(["When (UTC)", "Routine", "Status", "Steps", "Held", "Id"], table)


@history.command("forget")
@click.argument("session_id")
@click.pass_obj
def history_forget(database: str | None, session_id: str) -> None:
    """Delete one session (its id, or the start of it, from `unknot history`)."""
    from unknot.history.store import Store

    store = Store(database)
    matches = [s.uid for s in store.sessions() if s.uid.startswith(session_id)]
    if len(matches) != 1:
        raise UnknotError(
            f"{len(matches)} sessions match {session_id!r}",
            field="SESSION",
            expected="the id (or its first characters) of one session in `unknot history`",
        )
    store.forget(matches[0])
    click.echo(f"Forgot session {matches[0]}.")


@history.command("export")
@click.option("--csv", "as_csv", is_flag=True, help="Write CSV (one row per step).")
@click.option("--json", "as_json", is_flag=True, help="Write JSON (the default for .json).")
@click.argument("file", type=FILE)
@click.pass_obj
def history_export(database: str | None, as_csv: bool, as_json: bool, file: str) -> None:
    """Write the whole history to FILE as JSON or CSV (chosen by --csv/--json, else the suffix)."""
    from pathlib import Path

    from unknot.files import save
    from unknot.history.store import Store, to_csv

    path = Path(file)
    if as_csv and as_json:
        raise UnknotError("--csv and --json both given", expected="one of them, or neither")
    if not (as_csv or as_json) and path.suffix.lower() not in (".json", ".csv"):
        raise UnknotError(
            "cannot tell which format to write",
            where=file,
            expected="--csv or --json, or a file ending in .json or .csv",
        )
    data = Store(database).export()
    if as_csv or (not as_json and path.suffix.lower() == ".csv"):
        text = to_csv(data)
    else:
        text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    save(path, text.encode(), what="history")
    click.echo(f"Wrote {len(data['sessions'])} sessions to {file}.")


@history.command("import")
@click.argument("file", type=FILE)
@click.pass_obj
def history_import(database: str | None, file: str) -> None:
    """Add the sessions in FILE (.json or .csv from `history export`); ones already here are
    skipped."""
    from pathlib import Path

    from unknot.history.store import Store, from_csv
    from unknot.yamlfile import read_text

    text = read_text(Path(file), what="history export")
    try:
        data = from_csv(text) if file.lower().endswith(".csv") else json.loads(text)
        assert data.get("format") == "unknot-history" and isinstance(data["sessions"], list)
    except (ValueError, AssertionError, AttributeError, KeyError, TypeError):
        raise UnknotError(
            "is not an unknot history export",
            where=file,
            expected="a .json or .csv file from `unknot history export`",
        ) from None
    added = Store(database).import_(data)
    click.echo(f"Imported {added} sessions ({len(data['sessions']) - added} were here already).")


@cli.command()
@database_option
@file_option(
    "--plot",
    "plot_path",
    "Also draw the charts (minutes per week, tightness before and after) to a .png or .svg.",
)
@json_option
def stats(database: str | None, plot_path: str | None, as_json: bool) -> None:
    """Streaks, minutes per week, areas stretched most and least, tightness before and after."""
    from unknot.history.store import Store
    from unknot.history.store import stats as history_stats

    store = Store(database)
    data = history_stats(store)
    if plot_path:
        from pathlib import Path

        from unknot.pictures.charts import plot

        plot(store.sessions(), Path(plot_path))
        click.echo(f"Wrote {plot_path}.", err=True)
    if as_json:
        print_json(data)
        return
    streak = data["streak"]
    click.echo(
        f"{data['sessions']} sessions ({data['finished']} finished), {data['minutes']} minutes. "
        f"Streak: {streak['current_days']} days now, {streak['longest_days']} at most."
    )
    for week, minutes in list(data["minutes_per_week"].items())[-8:]:
        click.echo(f"  week of {week}: {minutes} min")
    if data["areas_most"]:
        most = ", ".join(f"{a['area']} {a['minutes']} min" for a in data["areas_most"])
        least = ", ".join(f"{a['area']} {a['minutes']} min" for a in data["areas_least"])
        click.echo(f"Stretched most: {most}. Least: {least}.")
    for area, t in data["tightness"].items():
        click.echo(f"  {area}: {t['before']} before, {t['after']} after ({t['sessions']} sessions)")


@cli.command()
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=str),
    help="The folder to write the figures and index.html into (made if missing).",
)
def figures(out_dir: str) -> None:
    """Write an SVG figure of every pose (and side), and an index.html that shows them all."""
    from pathlib import Path

    from unknot.catalog.poses import catalog
    from unknot.files import save
    from unknot.pictures import card, drawing

    folder = Path(out_dir)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise UnknotError(
            f"cannot be made ({err.strerror})", where=out_dir, expected="a folder unknot may write"
        ) from None
    files: dict[tuple[str, str | None], str] = {}
    poses = list(catalog())
    for p in poses:
        for side in ("right", "left") if p.per_side else (None,):
            name = card.slug(p.name) + (f"-{side}" if side else "") + ".svg"
            save(folder / name, drawing.svg(p, side).encode(), what="figure")
            files[(p.name, side)] = name
    save(folder / "index.html", card.gallery_html(poses, files).encode(), what="index")
    click.echo(f"Wrote {len(files)} figures and {folder / 'index.html'}.")


@cli.command()
@click.argument("name")
@json_option
def pose(name: str, as_json: bool) -> None:
    """Show one pose, found by any of its names."""
    from unknot.catalog.poses import catalog

    found = catalog().find(name)
    if as_json:
        print_json(_pose_json(found))
        return
    _print(_pose_panel(found))


@cli.command()
@click.argument("file", type=click.Path(dir_okay=True, path_type=str))
@json_option
def validate(file: str, as_json: bool) -> None:
    """Check a routine file; every problem is reported at its line."""
    from pathlib import Path

    from unknot.guide.timeline import expand
    from unknot.routines.routine import load_routine

    routine = load_routine(Path(file))
    timeline = expand(routine)
    result = {
        "file": file,
        "valid": True,
        "name": routine.name,
        "steps": len(timeline),
        "poses": len(routine.poses()),
        "total_seconds": timeline.total,
    }
    if as_json:
        print_json(result)
        return
    click.echo(
        f"{file}: valid routine {routine.name!r}: {len(routine.poses())} poses, "
        f"{len(timeline)} steps, {clock(timeline.total)}."
    )


@cli.command()
@click.argument("routine_files", nargs=-1, type=click.Path(dir_okay=False, path_type=str))
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True,
              help="Port to listen on (0 picks a free one).")  # fmt: skip
@click.option("--lan", is_flag=True,
              help="Listen on the local network, for a phone; every request must carry the "
              "access token in the printed link (shown as a QR code).")  # fmt: skip
@voice_option
@database_option
def serve(
    routine_files: tuple[str, ...], port: int, lan: bool, voice_name: str, database: str | None
) -> None:
    """Serve the coach to a browser: choose, plan and be guided, with figures and voice.

    ROUTINE_FILES are your own routines, offered beside the built-in ones. Stop with Ctrl-C.
    """
    from pathlib import Path

    from unknot.web import app as server

    settings = server.Settings(
        voice=voice_name, database=database, token=server.new_token() if lan else None,
        routine_files=tuple(Path(f) for f in routine_files),
    )  # fmt: skip
    web = server.app(settings)
    sock = server.listen("0.0.0.0" if lan else "127.0.0.1", port)
    host = server.lan_address() if lan else "127.0.0.1"
    address = server.Address(host, sock.getsockname()[1], settings.token)
    click.echo(f"unknot is serving on {address.url}", nl=True)
    if lan:
        import segno

        click.echo("Open it on your phone (same network); the link carries the access token:")
        segno.make(address.url, error="m").terminal(compact=True)
    click.echo("Ctrl-C stops it.")
    sys.stdout.flush()
    server.serve(web, sock)


def _write_card(plan: Plan, path_text: str, allowed: tuple[str, ...]) -> None:
    """The session's figures as a page or a one-page card, written atomically."""
    from pathlib import Path

    from unknot.files import save
    from unknot.pictures import card

    path = Path(path_text)
    if path.suffix.lower() not in allowed:
        raise UnknotError(
            f"cannot write a {path.suffix or 'file without an extension'}",
            where=path_text,
            expected=f"a file ending in {' or '.join(allowed)}",
        )
    if path.suffix.lower() == ".pdf":
        save(path, card.card_pdf(plan.timeline), what="card")
    else:
        save(path, card.card_html(plan.timeline).encode(), what="page")
    click.echo(f"Wrote {path}.", err=True)


def _print_why(plan: Plan) -> None:
    """Each step as written: kept, shortened, lengthened, substituted or left out, and why."""
    fitted = f"{plan.needs.minutes:g} minutes" if plan.needs.minutes else "the routine's length"
    click.echo(
        f"\nFitted to {fitted}" + (f", favouring {plan.favoured}" if plan.favoured else "") + "."
    )
    click.echo("Why:")
    for d in plan.decisions:
        hold = f" {d.hold} s" if d.hold is not None and d.hold != d.written_hold else ""
        name = d.pose + (f" -> {d.instead}" if d.instead and d.kept else "")
        click.echo(f"  {d.status + hold:<17} {name}: {d.reason}")
    if plan.area_seconds:
        covered = ", ".join(f"{a} {clock(s)}" for a, s in plan.area_seconds.items())
        click.echo(f"Time stretching what you named: {covered}.")
    left_out = [d.pose for d in plan.decisions if not d.kept]
    if left_out:
        click.echo(f"Left out: {', '.join(left_out)}.")


def _pose_json(pose: Pose) -> dict[str, Any]:
    return {
        "name": pose.name,
        "sanskrit": pose.sanskrit or None,
        "aliases": list(pose.aliases),
        "position": pose.position,
        "per_side": pose.per_side,
        "side_word": pose.side_word or None,
        "areas": pose.areas,
        "hold": {"min_seconds": pose.hold.low, "max_seconds": pose.hold.high},
        "props": list(pose.props),
        "level": pose.level,
        "avoid": list(pose.avoid),
        "description": pose.description,
        "modifications": list(pose.modifications),
        "substitutes": list(pose.substitutes),
        "cues": {"enter": pose.cues.enter, "hold": list(pose.cues.hold), "exit": pose.cues.exit},
    }


def _pose_panel(pose: Pose) -> Any:
    from rich.panel import Panel
    from rich.text import Text

    text = Text()
    heading = pose.name + (f"  ({pose.sanskrit})" if pose.sanskrit else "")
    text.append(heading + "\n", style="bold")
    text.append(pose.description + "\n\n")
    facts = [
        ("Also called", ", ".join(pose.aliases)),
        ("Position", pose.position),
        ("Sides", f"once per {pose.side_word}" if pose.per_side else "both together"),
        ("Stretches", ", ".join(f"{a} ({w})" for a, w in pose.areas.items()) or "nothing: a rest"),
        ("Hold", f"{pose.hold} s"),
        ("Level", pose.level),
        ("Props", ", ".join(pose.props) or "none"),
        ("Avoid with", ", ".join(pose.avoid) or "nothing listed"),
        ("Instead", ", ".join(pose.substitutes) or "none listed"),
    ]
    for label, value in facts:
        text.append(f"{label + ':':<13}", style="bold")
        text.append(value + "\n")
    text.append("\nComing in: ", style="bold")
    text.append(pose.cues.enter + "\n")
    text.append("Holding:\n", style="bold")
    for cue in pose.cues.hold:
        text.append(f"  · {cue}\n")
    text.append("Coming out: ", style="bold")
    text.append(pose.cues.exit + "\n")
    if pose.modifications:
        text.append("Make it gentler:\n", style="bold")
        for tip in pose.modifications:
            text.append(f"  · {tip}\n")
    return Panel(text, expand=False)


def _print_table(
    columns: list[str], rows: list[list[str]], title: str | None = None, *, wrap_last: bool = False
) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    table = Table(title=title, title_justify="left", box=None, header_style="bold")
    used = 0
    for n, column in enumerate(columns[:-1]):
        widest = max([len(column), *(len(row[n]) for row in rows)])
        table.add_column(column, no_wrap=True, width=widest)
        used += widest + 2
    # The last column holds free text: one line each, cut with an ellipsis rather than wrapped.
    last = max(len(columns[-1]), console.width - used - 2)
    table.add_column(
        columns[-1],
        no_wrap=not wrap_last,
        overflow="fold" if wrap_last else "ellipsis",
        max_width=last,
    )
    for row in rows:
        table.add_row(*row)
    console.print(table)


def _print(renderable: Any) -> None:
    from rich.console import Console

    Console().print(renderable)


def main() -> None:
    cli(prog_name="unknot")
