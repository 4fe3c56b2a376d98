"""`unknot serve`: the coach in a browser, for a phone on the floor beside you."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from unknot.cli.options import Command, database_option, file_option, voice_option


@click.command(cls=Command)
@click.argument("routine_files", nargs=-1, type=click.Path(dir_okay=False, path_type=str))
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True,
              help="Port to listen on (0 picks a free one).")  # fmt: skip
@click.option("--lan", is_flag=True,
              help="Listen on the local network, for a phone; every request must carry the "
              "access token in the printed link (shown as a QR code).")  # fmt: skip
@voice_option
@file_option(
    "--music", "music",
    "Music to play under the voice in the player, looped, quieter under the words.",
)  # fmt: skip
@database_option
def serve(
    routine_files: tuple[str, ...], port: int, lan: bool, voice_name: str, music: str | None,
    database: str | None,
) -> None:  # fmt: skip
    """Serve the coach to a browser: choose, plan and be guided, with figures and voice.

    ROUTINE_FILES are your own routines, offered beside the built-in ones. Stop with Ctrl-C.
    """
    from unknot.web import app, guard
    from unknot.web import serve as running

    # Bound first: the app must know the port (and with --lan the address) it is served on,
    # the only ones a request's Host may name.
    sock = running.listen("0.0.0.0" if lan else "127.0.0.1", port)
    host = running.lan_address() if lan else "127.0.0.1"
    try:
        settings = app.Settings(
            voice=voice_name, database=database, token=guard.new_token() if lan else None,
            routine_files=tuple(Path(f) for f in routine_files), port=sock.getsockname()[1],
            lan_host=host if lan else None, music=Path(music) if music else None,
        )  # fmt: skip
        web = app.app(settings)
    except BaseException:
        sock.close()
        raise
    address = running.Address(host, settings.port, settings.token)
    click.echo(f"unknot is serving on {address.url}")
    if lan:
        import segno

        click.echo("Open it on your phone (same network); the link carries the access token:")
        segno.make(address.url, error="m").terminal(compact=True)
    click.echo("Ctrl-C stops it.")
    sys.stdout.flush()
    running.serve(web, sock)
