"""The `unknot` command: a Click group whose commands are imported only when they are run, so
`unknot plan --json` loads the planner and nothing of the audio, the web or the history.

Each command module parses, calls the public API (`import unknot`) and renders; no logic lives
here. A person's mistake is one line on stderr and exit status 2."""

from __future__ import annotations

import sys
from importlib import import_module
from typing import Any

import click

from unknot.cli.options import Exit, Group

# command -> module of unknot.cli that holds it (the function has the command's name)
COMMANDS = {
    "routines": "routines",
    "show": "routines",
    "plan": "routines",
    "validate": "routines",
    "go": "session",
    "export": "session",
    "poses": "catalog",
    "pose": "catalog",
    "figures": "catalog",
    "history": "history",
    "stats": "history",
    "after": "runs",
    "import": "articles",
    "serve": "serve",
}


class Cli(Group):
    """The top group: commands loaded on demand, and every error reported in one line."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        module = import_module(f"unknot.cli.{COMMANDS[name]}")
        command: click.Command = getattr(module, name, None) or getattr(module, f"{name}_")
        return command

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
            sys.exit(Exit.STOPPED)
        sys.exit(result if isinstance(result, int) else Exit.OK)


@click.group(cls=Cli, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="unknot")
def cli() -> None:
    """unknot: a post-run recovery coach. Routines as data, guided hands-free.

    ROUTINE is a built-in name (see `unknot routines`) or the path of a routine file.
    """


def main() -> None:
    cli(prog_name="unknot")
