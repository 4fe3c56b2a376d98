"""After a run: `unknot after RUN` reads the run just finished and says which session fits it,
and why; `--go` starts that session, remembered with the run beside it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

import unknot
from unknot.cli.options import (
    NEEDS_OPTIONS,
    Command,
    database_option,
    json_option,
    needs_options,
    print_json,
    print_table,
    voice_option,
)

HR_MAX = (100, 240)  # a person's maximum heart rate, bpm


@click.command(cls=Command)
@click.argument("run_path", metavar="RUN", type=click.Path(path_type=str))
@needs_options
@click.option(
    "--max-hr", "max_hr", metavar="BPM",
    help="Your maximum heart rate: time in zones, and how hard the run was (else the watch's).",
)  # fmt: skip
@click.option("--list", "listing", is_flag=True, help="List the last ten runs in RUN (an export).")
@click.option("--go", "start", is_flag=True, help="Start the session now, in this terminal.")
@click.option("--speed", "speed_text", metavar="N", default="1", help="With --go: a faster clock.")
@voice_option
@database_option
@json_option
def after(
    run_path: str,
    max_hr: str | None,
    listing: bool,
    start: bool,
    speed_text: str,
    voice_name: str,
    database: str | None,
    as_json: bool,
    **needs: Any,
) -> None:
    """Read the run just finished and plan the session it calls for, saying why.

    RUN is a .fit, .gpx or .tcx file (gzipped or not), a Strava or Garmin export (.zip or its
    folder) or a watch's folder: for those, the newest run in it.
    """
    hr_max = unknot.parse_number(max_hr, "max_hr", HR_MAX, "beats a minute")
    path = Path(run_path)
    if listing:
        runs, notes = unknot.recent_runs(path, hr_max=hr_max)
        _notes(notes)
        if as_json:
            print_json([r.to_json() for r in runs])
            return
        print_table(
            ["When", "Distance", "Time", "Pace", "Climb", "File"],
            [[_when(r), _km(r), unknot.duration(r.moving_s or 0), _pace(r), _climb(r), r.source]
             for r in runs],
            f"The last {len(runs)} runs in {path.name}",
        )  # fmt: skip
        return
    run, notes = unknot.latest_run(path, hr_max=hr_max)
    _notes(notes)
    try:
        past = unknot.past_runs(unknot.Store(database))
    except unknot.UnknotError:  # no history to compare with: the effort is judged without it
        past = []
    minutes = unknot.parse_number(needs.get("minutes"), "minutes", unknot.MINUTES, "minutes")
    advice = unknot.advise(run, past, hr_max=hr_max or run.hr_max, minutes=minutes)
    chosen = needs | advice.choices(
        tight=needs["tight"], extra=needs["extra"], minutes=minutes, level=needs["level"]
    )
    plan = unknot.fit(
        unknot.routine(advice.routine),
        unknot.read_needs(**{k: chosen[k] for k in NEEDS_OPTIONS}),
    )
    if start:
        from unknot.cli.session import guide_session

        _say_run(run, advice)
        guide_session(
            plan, speed_text, voice_name, None, None, database, also_kept={"run": run.to_json()}
        )
        return
    if as_json:
        print_json({"run": run.to_json(), "advice": advice.to_json(), "plan": plan.to_json()})
        return
    _say_run(run, advice)
    timeline = plan.timeline
    rows = [
        [unknot.clock(e.start), e.name, e.side or "", f"{e.hold} s", e.key_cue] for e in timeline
    ]
    print_table(["At", "Step", "Side", "Hold", "Key cue"], rows, timeline.routine.title)
    click.echo(f"Total {unknot.clock(timeline.total)}, {len(timeline)} steps.")
    click.echo(f"\nTo be guided through it: unknot after {_shell(run_path)} --go")


def _say_run(run: unknot.Run, advice: unknot.Advice) -> None:
    click.echo(run.sentence())
    for note in run.notes:
        click.echo(f"  (the file: {note})")
    click.echo("Today, because:")
    for _, why in advice.reasons:
        click.echo(f"  - {why[:1].upper()}{why[1:]}.")
    click.echo()


def _notes(notes: list[str]) -> None:
    for note in notes:
        click.echo(f"unknot: passed over {note}", err=True)


def _when(run: unknot.Run) -> str:
    if run.start is None:
        return "(no date)"
    return run.start.astimezone().strftime("%a %d %b %Y %H:%M")


def _km(run: unknot.Run) -> str:
    return f"{(run.distance_m or 0) / 1000:.1f} km"


def _pace(run: unknot.Run) -> str:
    return unknot.clock(run.pace_s_per_km) if run.pace_s_per_km else "-"


def _climb(run: unknot.Run) -> str:
    return f"{run.ascent_m:.0f} m" if run.ascent_m is not None else "-"


def _shell(text: str) -> str:
    import shlex

    return shlex.quote(text)
