"""The runs a person points unknot at: one file, or the newest runs in an export or a folder."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from unknot.errors import UnknotError
from unknot.runs import exports
from unknot.runs.formats import read_data, read_file
from unknot.runs.summary import Run, run_from_json, summarize

if TYPE_CHECKING:
    from unknot.history.store import Store

LISTED = 10  # `unknot after --list`
READ_AHEAD = 5  # files read past the ones wanted, in case an export's order is not the runs'


def read_run(path: Path, *, hr_max: float | None = None) -> Run:
    """The run in the file at `path`."""
    return summarize(read_file(path), path.name, hr_max)


def read_run_data(data: bytes, name: str, *, hr_max: float | None = None) -> Run:
    """The run in `data`, a file's bytes (an upload) named `name`."""
    return summarize(read_data(data, name), name, hr_max)


def latest_run(path: Path, *, hr_max: float | None = None) -> tuple[Run, list[str]]:
    """The run at `path`, or the newest run in the export or folder there, with a line for
    each file of the export that could not be read on the way."""
    if not exports.is_bulk(path):
        return read_run(path, hr_max=hr_max), []
    found, notes = recent_runs(path, 1, hr_max=hr_max)
    return found[0], notes


def recent_runs(
    path: Path, count: int = LISTED, *, hr_max: float | None = None
) -> tuple[list[Run], list[str]]:
    """The newest `count` runs in the export or folder at `path`, newest first."""
    runs: list[Run] = []
    notes: list[str] = []
    others = 0
    wanted = count + READ_AHEAD
    for member in exports.members(path):
        if len(runs) >= wanted:
            break
        if member.sport not in (None, "running"):
            others += 1
            continue
        try:
            data = member.read()
            run = summarize(read_data(data, member.where), _shown(member.where), hr_max)
        except exports.UnsafeExportError:
            raise
        except UnknotError as err:
            if "not a recorded activity" not in err.what:  # a watch's settings files, say
                notes.append(err.line())
            continue
        if not run.is_run:
            others += 1
            continue
        runs.append(run)
    if not runs:
        raise UnknotError(
            "holds no run unknot can read" + (f" ({others} other activities)" if others else ""),
            where=str(path),
            expected="a Strava or Garmin export, a watch's folder, or a folder of run files",
        )
    runs.sort(key=lambda r: r.start.timestamp() if r.start else 0, reverse=True)
    return runs[:count], notes


def _shown(where: str) -> str:
    """A file of an export as a person finds it there: activities/123.fit.gz, 2026-11-29.fit."""
    return where.rsplit("!", 1)[1] if "!" in where else Path(where).name


def past_runs(store: Store, sessions: int = 200) -> list[Run]:
    """The runs the last `sessions` sessions followed, each once (none if the history cannot
    be read): what a run's pace is compared with."""
    try:
        kept = store.sessions(limit=sessions)
    except UnknotError:
        return []
    seen: set[Any] = set()
    runs = []
    for session in kept:
        run = run_from_json(session.run)
        if run is None or (run.start, run.distance_m) in seen:
            continue
        seen.add((run.start, run.distance_m))
        runs.append(run)
    return runs
