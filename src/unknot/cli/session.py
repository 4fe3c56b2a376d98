"""Being guided: `unknot go` (the session in this terminal, remembered) and `unknot export`
(the session as one audio track)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

import unknot
from unknot.cli.options import (
    Command,
    database_option,
    file_option,
    json_option,
    print_json,
    routine_options,
    voice_option,
)

if TYPE_CHECKING:
    from unknot import Plan


@click.command(cls=Command)
@routine_options
@click.option(
    "--speed",
    "speed_text",
    metavar="N",
    default="1",
    show_default=True,
    help="Run the clock this many times faster (for practice and tests; sound plays at 1 only).",
)
@voice_option
@click.option("--before", metavar="AREA:N,...", help="How tight areas feel now, 0-10: hips:6.")
@click.option("--after", metavar="AREA:N,...", help="How tight they feel after, for scripts.")
@database_option
def go(
    plan: Plan,
    speed_text: str,
    voice_name: str,
    before: str | None,
    after: str | None,
    database: str | None,
) -> None:
    """Guide the session in the terminal, with the voice and chimes; it is remembered.

    Keys: space pauses, n or → skips, b or ← goes back, + and - change the hold by 10 s, q quits.
    """
    guide_session(plan, speed_text, voice_name, before, after, database)


def guide_session(
    plan: Plan,
    speed_text: str,
    voice_name: str,
    before: str | None,
    after: str | None,
    database: str | None,
    *,
    also_kept: dict[str, Any] | None = None,
) -> None:
    """The session in this terminal, recorded (with `also_kept` beside its needs: the run)."""
    from unknot.cli.terminal import guide

    # Every option checked before the session starts (and before anything is recorded).
    speed = unknot.parse_number(speed_text, "speed", unknot.SPEED, "times") or 1.0
    chosen_voice = unknot.voice(voice_name, plan.needs.voicing.pace)
    ratings_before = unknot.parse_ratings(before, "before")
    ratings_after = unknot.parse_ratings(after, "after") if after is not None else None
    # Ask at a terminal, for a real session (a sped-up one is practice, or a test).
    asking = speed == 1 and sys.stdin.isatty() and sys.stdout.isatty()
    if before is None and asking:
        ratings_before = ask_ratings("Before you start")
    sink, notice = unknot.open_sink(database)
    if notice:
        click.echo(f"unknot: {notice}", err=True)
    kept = plan.needs.to_record() | (also_kept or {})
    recording = unknot.Recording.begin(sink, plan.timeline, kept, ratings_before)
    player = unknot.Player(plan.timeline, speed=speed)
    player.on_record = recording.step
    sound = None
    if speed == 1 and voice_name != "none":
        sound = unknot.Playback(player, chosen_voice)
    lines = guide(player, sound=sound)
    # The session is closed before the question, so stopping at the prompt loses nothing.
    recording.finish(unknot.summarize(player).finished, ratings_after or {})
    for line in lines:
        click.echo(line)
    if ratings_after is None and asking:
        recording.rate("after", ask_ratings("And now"))
    for notice in recording.notices:  # the history failed mid-session: where the rest went
        click.echo(f"unknot: {notice}", err=True)


def ask_ratings(moment: str) -> dict[str, int]:
    """One line at the terminal: how tight areas feel, 0-10; Enter skips."""
    while True:
        answer = click.prompt(
            f"{moment}: how tight does each area feel, 0-10? (hips:6,calves:4; Enter skips)",
            default="", show_default=False,
        )  # fmt: skip
        try:
            return unknot.parse_ratings(answer, "rating")
        except unknot.UnknotError as err:
            click.echo(f"unknot: {err.line()}", err=True)


@click.command(cls=Command)
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
    target = Path(audio_path)
    unknot.track_files(target)  # a wrong suffix or place is reported before minutes of rendering
    track = unknot.render_track(
        plan.timeline,
        unknot.voice(voice_name, plan.needs.voicing.pace),
        Path(music) if music else None,
    )
    files = unknot.write_track(track, target, plan.timeline.routine.title)
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
        f"Wrote {files[0]} ({unknot.clock(track.seconds)}, {len(track.utterances)} spoken cues, "
        f"{track.loudness:.1f} LUFS) and its cue sheets {', '.join(str(f) for f in files[1:])}."
    )
