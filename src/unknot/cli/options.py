"""What every command shares: its options (declared once), how a mistake becomes one line on
stderr naming the flag, and how data is printed (JSON, or a table on a terminal)."""

from __future__ import annotations

import json
from collections.abc import Callable
from enum import IntEnum
from functools import wraps
from typing import IO, Any, TypeVar

import click

import unknot

F = TypeVar("F", bound=Callable[..., Any])


class Exit(IntEnum):
    OK = 0
    USER_ERROR = 2
    STOPPED = 130  # Ctrl-C, as a shell reports it


class UserError(click.ClickException):
    """A person's mistake on its way out: one line on stderr, exit status 2."""

    exit_code = Exit.USER_ERROR

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(f"unknot: {self.message}", err=True)


def flag_for(ctx: click.Context | None, field: str) -> str:
    """The library names a field (`first_side`); the command line says `--first-side`."""
    wanted = f"--{field.replace('_', '-')}"
    while ctx is not None:
        for param in ctx.command.params:
            if isinstance(param, click.Option) and (param.name == field or wanted in param.opts):
                return max(param.opts, key=len)
            if isinstance(param, click.Argument) and param.name == field:
                return param.human_readable_name
        ctx = ctx.parent
    return field


def user_error(ctx: click.Context | None, err: unknot.UnknotError) -> UserError:
    """The library's error, said with this command's flag for its field."""
    flag = flag_for(ctx, err.field) if err.field else ""
    said = unknot.UnknotError(err.what, where=err.where, field=flag, expected=err.expected)
    return UserError(said.line())


class Command(click.Command):
    """A command whose mistakes (an `UnknotError` from the library) name its own flags."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except unknot.UnknotError as err:
            raise user_error(ctx, err) from None


class Group(click.Group):
    """A group of commands, each made as a `Command`; its own callback's mistakes too."""

    command_class = Command

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except unknot.UnknotError as err:
            raise user_error(ctx, err) from None


def routine_options(command: F) -> F:
    """ROUTINE and today's needs: the options every command that takes a routine shares.

    The library checks every value (the same limits as the web page's); the command is called
    with the `Plan`: the routine fitted to the needs, and its timeline."""

    @click.argument("routine")
    @needs_options
    @wraps(command)
    def wrapper(routine: str, **kwargs: Any) -> Any:
        needs = unknot.read_needs(**{k: kwargs.pop(k) for k in NEEDS_OPTIONS})
        return command(unknot.fit(unknot.routine(routine), needs), **kwargs)

    return wrapper  # type: ignore[return-value]


def needs_options(command: F) -> F:
    """Today's needs as options (--tight, --minutes, --avoid, ...), passed on by name."""
    for option in reversed(NEEDS_FLAGS):
        command = option(command)
    return command


NEEDS_FLAGS = [
    click.option(
        "--tight",
        multiple=True,
        metavar="AREA[:N],...",
        help="Areas that feel tight, optionally weighted 1-10: hips:3,calves.",
    ),
    click.option("--minutes", metavar="N", help="Minutes you have, moves included."),
    click.option("--skip", multiple=True, metavar="POSE,...", help="Poses to leave out."),
    click.option(
        "--avoid",
        multiple=True,
        metavar="CONDITION,...",
        help="Conditions to be careful of (knees, neck, lower back, ...): poses not "
        "advised for them are replaced by a substitute or left out.",
    ),
    click.option(
        "--level",
        metavar="LEVEL",
        help="beginner, intermediate or advanced: harder poses get a gentler substitute; "
        "advanced poses come only with --level advanced.",
    ),
    click.option(
        "--props",
        multiple=True,
        metavar="PROP,...|none",
        help="The props you have (block, strap, bolster, roller, ...; none for just a mat and a "
        "wall): poses that need another are replaced or left out.",
    ),
    click.option("--hold", metavar="SECONDS", help="Default hold in seconds."),
    click.option("--first-side", metavar="right|left", help="Side that per-side work starts on."),
    click.option(
        "--guide",
        metavar="full|brief|quiet",
        help="How much the voice says: full (how to come in and out, cues, breath; the "
        "default), brief (the name and side, the key cue, the count) or quiet (chimes and names).",
    ),
    click.option(
        "--pace", metavar="WPM", help="The voice's words a minute, 100-220 (160, calm, by default)."
    ),
    click.option(
        "--with",
        "extra",
        multiple=True,
        metavar="ROUTINE",
        help="Another routine to do first, inside the same minutes (e.g. foam-rolling).",
    ),
]


NEEDS_OPTIONS = (
    "tight", "minutes", "skip", "avoid", "level", "hold", "first_side", "extra", "props",
    "guide", "pace",
)  # fmt: skip

json_option = click.option("--json", "as_json", is_flag=True, help="Print the data as JSON.")
FILE = click.Path(dir_okay=False, path_type=str)


def file_option(flag: str, name: str, help: str, *, required: bool = False) -> Callable[[F], F]:
    """An option naming a file to read or write (the library checks what it may be)."""
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


def print_table(
    columns: list[str], rows: list[list[str]], title: str | None = None, *, wrap_last: bool = False
) -> None:
    """Rows under their headings; the last column, free text, cut with an ellipsis."""
    from rich.console import Console
    from rich.table import Table

    console = Console()
    table = Table(title=title, title_justify="left", box=None, header_style="bold")
    used = 0
    for n, column in enumerate(columns[:-1]):
        widest = max([len(column), *(len(row[n]) for row in rows)])
        table.add_column(column, no_wrap=True, width=widest)
        used += widest + 2
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


def print_rich(renderable: Any) -> None:
    from rich.console import Console

    Console().print(renderable)


def wrote(path: object) -> None:
    """Say on stderr which file was written (stdout may be carrying JSON)."""
    click.echo(f"Wrote {path}.", err=True)
