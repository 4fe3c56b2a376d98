"""`unknot serve`: the coach in a browser, for a phone on the floor beside you."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

import unknot
from unknot.cli.options import Command, database_option, file_option, voice_option

if TYPE_CHECKING:
    from unknot.web.devices import Devices


@click.command(cls=Command)
@click.argument("routine_files", nargs=-1, type=click.Path(dir_okay=False, path_type=str))
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True,
              help="Port to listen on (0 picks a free one).")  # fmt: skip
@click.option("--lan", is_flag=True,
              help="Listen on the local network, for a phone: a device is let in once it has "
              "opened the printed link (shown as a QR code), and from then on, restarts "
              "included, until it is forgotten.")  # fmt: skip
@click.option("--https", "https", is_flag=True,
              help="With --lan: serve over HTTPS, with a certificate authority unknot makes "
              "once, which each phone trusts once (a secure context: offline pages, the "
              "screen kept on, install).")  # fmt: skip
@click.option("--devices", "list_devices", is_flag=True,
              help="List the devices paired with --lan, and stop.")  # fmt: skip
@click.option("--forget-device", "forget", metavar="ID",
              help="Forget a paired device (its id from --devices, or all), and stop.")  # fmt: skip
@voice_option
@file_option(
    "--music", "music",
    "Music to play under the voice in the player, looped, quieter under the words.",
)  # fmt: skip
@database_option
def serve(
    routine_files: tuple[str, ...], port: int, lan: bool, https: bool, list_devices: bool,
    forget: str | None, voice_name: str, music: str | None, database: str | None,
) -> None:  # fmt: skip
    """Serve the coach to a browser: choose, plan and be guided, with figures and voice.

    ROUTINE_FILES are your own routines, offered beside the built-in ones. Stop with Ctrl-C.
    """
    from unknot.web import app, guard
    from unknot.web import serve as running
    from unknot.web.devices import Devices

    devices = Devices()
    if list_devices or forget:
        _devices(devices, forget)
        return
    if https and not lan:
        raise unknot.UnknotError(
            "is for the local network", field="https",
            expected="--lan --https (on this machine, http://127.0.0.1 is a secure context)",
        )  # fmt: skip

    # Bound first: the app must know the port (and with --lan the address) it is served on,
    # the only ones a request's Host may name.
    sock = running.listen("0.0.0.0" if lan else "127.0.0.1", port)
    host = running.lan_address() if lan else "127.0.0.1"
    tls = None
    try:
        if https:
            from unknot.web import certificates

            tls = certificates.tls_for(host)
        settings = app.Settings(
            voice=voice_name, database=database, pair_code=guard.new_token() if lan else None,
            devices=devices.path,
            routine_files=tuple(Path(f) for f in routine_files), port=sock.getsockname()[1],
            lan_host=host if lan else None, music=Path(music) if music else None,
            scheme="https" if https else "http",
            authority=certificates.authority_der(tls) if tls else None,
        )  # fmt: skip
        web = app.app(settings)
    except BaseException:
        sock.close()
        raise
    address = running.Address(host, settings.port, settings.pair_code, settings.scheme)
    click.echo(f"unknot is serving on {address.url}")
    if tls:
        click.echo(
            f"First, once on each phone, trust unknot's certificate authority: open "
            f"{settings.scheme}://{host}:{settings.port}/unknot-ca.crt and install it"
        )
        click.echo("(README: HTTPS on the phone). Then:")  # fmt: skip
    if lan:
        import segno

        click.echo("Open it once on each phone (same network) to pair it; a paired phone needs")
        click.echo("no link again, restarts included (unknot serve --devices lists them):")
        segno.make(address.url, error="m").terminal(compact=True)
    click.echo("Ctrl-C stops it.")
    sys.stdout.flush()
    running.serve(web, sock, (tls.certificate, tls.key) if tls else None)


def _devices(devices: Devices, forget: str | None) -> None:
    """--devices and --forget-device: the paired devices listed, or one forgotten."""
    if forget:
        gone = devices.forget(forget)
        said = gone.name if gone.id == "all" else f"{gone.id} ({gone.name})"
        click.echo(f"Forgotten: {said}. It pairs again from the link `unknot serve --lan` prints.")
        return
    listed = devices.listed()
    if not listed:
        click.echo("No device is paired: start `unknot serve --lan` and open its link on a phone.")
        return
    for device in listed:
        paired, seen = (stamp.replace("T", " ")[:16] for stamp in (device.paired, device.seen))
        click.echo(f"{device.id}  {device.name:<20}  paired {paired} UTC  last seen {seen} UTC")
