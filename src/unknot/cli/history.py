"""What was done: `unknot history` (and its export, import and forget) and `unknot stats`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

import unknot
from unknot.cli.options import (
    FILE,
    Command,
    Group,
    database_option,
    file_option,
    json_option,
    print_json,
    print_table,
    wrote,
)

# An export is read whole: the default cap for a person's file (a routine's megabyte) is passed
# by about 80 sessions; this is about five thousand, years of daily sessions.
EXPORT_BYTES = 64_000_000
SHORTEST_ID = 4  # fewer characters would match sessions by chance ("" matches every one)


def open_store(database: str | None) -> unknot.Store:
    """The history, after a line for each pending session it could not take (once: a damaged
    file is moved aside)."""
    store = unknot.Store(database)
    for notice in store.notices:
        click.echo(f"unknot: {notice}", err=True)
    return store


@click.group(cls=Group, invoke_without_command=True)
@database_option
@json_option
@click.pass_context
def history(ctx: click.Context, database: str | None, as_json: bool) -> None:
    """Recent sessions; `history export`, `history import` and `history forget` below."""
    ctx.obj = database
    if ctx.invoked_subcommand is not None:
        return
    rows = [s.to_json() for s in open_store(database).sessions(limit=20)]
    if as_json:
        print_json(rows)
        return
    if not rows:
        click.echo("No sessions yet: `unknot go after-long-run` starts one.")
        return
    table = [
        [r["started_at"][:16].replace("T", " "), r["routine"], r["status"], str(r["steps"]),
         unknot.clock(r["held_seconds"]), after_run(r["run"]), r["id"][:8]]
        for r in rows
    ]  # fmt: skip
    print_table(["When (UTC)", "Routine", "Status", "Steps", "Held", "After", "Id"], table)


def after_run(run: dict[str, Any] | None) -> str:
    """The run a session followed, in a few characters: "16.1 km, 262 m up"."""
    if not run:
        return ""
    distance = run.get("distance_m")
    said = f"{distance / 1000:.1f} km" if isinstance(distance, int | float) else "a run"
    if run.get("sport") not in (None, "running"):
        said += f" {str(run['sport'])[:12]}"
    climb = run.get("ascent_m")
    if isinstance(climb, int | float) and climb >= 50:
        said += f", {climb:.0f} m up"
    return said


@history.command("forget")
@click.argument("session_id")
@click.pass_obj
def history_forget(database: str | None, session_id: str) -> None:
    """Delete one session (its id, or the start of it, from `unknot history`)."""
    if len(session_id.strip()) < SHORTEST_ID:
        raise unknot.UnknotError(
            f"{session_id!r} is too short to name one session",
            field="session_id",
            expected=f"at least {SHORTEST_ID} characters of a session's id from `unknot history`",
        )
    store = open_store(database)
    matches = [s.uid for s in store.sessions() if s.uid.startswith(session_id)]
    if len(matches) != 1:
        raise unknot.UnknotError(
            f"{len(matches)} sessions match {session_id!r}",
            field="session_id",
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
    path = Path(file)
    suffix = path.suffix.lower()
    if as_csv and as_json:
        raise unknot.UnknotError("--csv and --json both given", expected="one of them, or neither")
    if not (as_csv or as_json) and suffix not in (".json", ".csv"):
        raise unknot.UnknotError(
            "cannot tell which format to write",
            where=file,
            expected="--csv or --json, or a file ending in .json or .csv",
        )
    data = open_store(database).export()
    text = unknot.export_text(data, as_csv=as_csv or (not as_json and suffix == ".csv"))
    unknot.save(path, text.encode(), what="history")
    click.echo(f"Wrote {len(data['sessions'])} sessions to {file}.")


@history.command("import")
@click.option("--dry-run", is_flag=True, help="Say what would be imported, and import nothing.")
@click.argument("file", type=FILE)
@click.pass_obj
def history_import(database: str | None, dry_run: bool, file: str) -> None:
    """Add the sessions in FILE (.json or .csv from `history export`); ones already here are
    skipped. All or nothing: one session that is wrong, and none is added."""
    text = unknot.read_text(Path(file), what="history export", max_bytes=EXPORT_BYTES)
    data = unknot.read_export(text, where=file, as_csv=file.lower().endswith(".csv"))
    added = open_store(database).import_(data, dry_run=dry_run)
    here = len(data["sessions"]) - added
    verb = "Would import" if dry_run else "Imported"
    were = "are" if dry_run else "were"
    click.echo(f"{verb} {added} sessions ({here} {were} here already).")


@click.command(cls=Command)
@database_option
@file_option(
    "--plot",
    "plot_path",
    "Also draw the charts (minutes per week, tightness before and after) to a .png or .svg.",
)
@json_option
def stats(database: str | None, plot_path: str | None, as_json: bool) -> None:
    """Streaks, minutes per week, areas stretched most and least, tightness before and after."""
    store = open_store(database)
    data = unknot.history_stats(store)
    if plot_path:
        unknot.plot_history(store.sessions(), Path(plot_path))
        wrote(plot_path)
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
    runs = data["after_runs"]
    if runs["sessions"]:
        click.echo(
            f"After runs: {runs['sessions']} sessions after {runs['runs']} runs ({runs['km']} km)."
        )
        for r in runs["recent"]:
            click.echo(
                f"  {r['started_at'][:10]}: {after_run(r['run'])}, then {r['routine']} "
                f"({unknot.clock(r['held_seconds'])} held)"
            )
