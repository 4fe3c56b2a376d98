"""Many activities at once: a Strava export (a zip or its folder: activities.csv beside
activities/<id>.fit.gz|gpx.gz|tcx.gz), a Garmin account export (zips inside the zip), a watch
plugged in as a drive (GARMIN/Activity/*.fit), or any folder of run files. The newest come
first; only the ones needed are read.

An archive is never unpacked to disk: members are read into memory one at a time, capped, and a
member whose name climbs out of the archive (`../`), a zip nested deeper than MAX_DEPTH or more
than MAX_TOTAL_BYTES unpacked in all are refused."""

from __future__ import annotations

import csv
import io
import os
import re
import stat
import zipfile
from collections.abc import Callable, Iterator
from datetime import datetime
from functools import partial
from pathlib import Path, PurePosixPath
from typing import NamedTuple

from unknot.errors import UnknotError
from unknot.files import read_bytes
from unknot.runs.formats import MAX_FILE_BYTES, MAX_UNPACKED_BYTES

MAX_DEPTH = 3  # the archive, a zip inside it (Garmin's), and one more
MAX_TOTAL_BYTES = 2 << 30  # unpacked from one export, in all
MAX_MEMBERS = 200_000
MAX_FOLDER_FILES = 200_000
MAX_FOLDER_DEPTH = 8
MAX_ARCHIVE_BYTES = 8 << 30
SUFFIXES = (".fit", ".gpx", ".tcx", ".fit.gz", ".gpx.gz", ".tcx.gz")
_NUMBER = re.compile(r"(\d{4,})")
_DATE_IN_NAME = re.compile(r"(\d{4})-(\d\d)-(\d\d)[-_T ](\d\d)[-_:.](\d\d)[-_:.](\d\d)")
# How Strava's activities.csv names a run, in the languages it is exported in.
STRAVA_RUNS = {
    "run", "trail run", "virtual run", "lauf", "traillauf", "virtueller lauf", "course à pied",
    "course", "trail", "course virtuelle", "carrera", "carrera virtual", "corsa",
    "corsa virtuale", "hardlopen", "corrida", "løb", "löpning", "juoksu", "bieg", "běh",
    "ランニング", "跑步",
}  # fmt: skip


class UnsafeExportError(UnknotError):
    """An export refused whole: not one of its files is read."""


class Member(NamedTuple):
    """One activity file found in an export, not yet read."""

    where: str  # how a person finds it: export.zip!activities/123.fit.gz
    read: Callable[[], bytes]
    recency: float  # bigger is newer, before the file is read: a date, an id, a time stamp
    sport: str | None  # "running", or another sport, when the export's list says; else None


def is_bulk(path: Path) -> bool:
    """A folder or a zip archive: many activities, not one. Looked at without opening
    anything but a regular file (opening a named pipe waits for a writer)."""
    try:
        mode = path.stat().st_mode
        if stat.S_ISDIR(mode):
            return True
        if not stat.S_ISREG(mode):
            return False
        with path.open("rb") as file:
            return file.read(4) in (b"PK\x03\x04", b"PK\x05\x06")
    except (OSError, ValueError):
        return False


def members(path: Path) -> list[Member]:
    """Every activity file in the export at `path`, newest first by what is known before
    reading them; refused with one line if the export is not safe to read."""
    budget = [MAX_TOTAL_BYTES]
    if path.is_dir():
        found = list(_folder(path))
    else:
        try:
            size = path.stat().st_size
        except OSError as err:
            raise UnknotError(f"cannot be read ({err.strerror})", where=str(path)) from None
        if size > MAX_ARCHIVE_BYTES:
            raise UnknotError(
                f"is {size:,} bytes, larger than any export", where=str(path),
                expected=f"an export of at most {MAX_ARCHIVE_BYTES >> 30} GB",
            )  # fmt: skip
        try:
            archive = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError) as err:
            raise UnknotError(
                f"is not a zip archive that can be read ({err})", where=str(path),
                expected="a Strava or Garmin export (.zip), a folder, or one run file",
            ) from None  # fmt: skip
        found = list(_archive(archive, str(path), 1, budget))
    found.sort(key=lambda m: m.recency, reverse=True)
    return found


def _folder(root: Path) -> Iterator[Member]:
    strava = _strava_list(root / "activities.csv", str(root / "activities.csv"))
    seen = 0
    for folder, folders, files in os.walk(root):
        depth = len(Path(folder).relative_to(root).parts)
        if depth >= MAX_FOLDER_DEPTH:
            folders.clear()
        folders[:] = [f for f in folders if not f.startswith(".")]
        for name in files:
            seen += 1
            if seen > MAX_FOLDER_FILES:
                return
            if not name.lower().endswith(SUFFIXES):
                continue
            path = Path(folder) / name
            try:
                info = path.stat()
            except OSError:
                continue
            if not stat.S_ISREG(info.st_mode):
                continue
            relative = path.relative_to(root).as_posix()
            listed = strava.get(relative)
            yield Member(
                str(path),
                partial(read_bytes, path, what="run", max_bytes=MAX_FILE_BYTES),
                listed[0] if listed else _recency(name, info.st_mtime),
                listed[1] if listed else None,
            )


def _archive(
    archive: zipfile.ZipFile, where: str, depth: int, budget: list[int]
) -> Iterator[Member]:
    infos = archive.infolist()
    if len(infos) > MAX_MEMBERS:
        raise UnsafeExportError(
            f"holds {len(infos):,} files, more than any export", where=where,
            expected=f"an export of at most {MAX_MEMBERS:,} files",
        )  # fmt: skip
    names = {info.filename: info for info in infos}
    strava: dict[str, tuple[float, str | None]] = {}
    listing = names.get("activities.csv")
    if listing is not None:
        strava = _strava_csv(_member_bytes(archive, listing, where, budget), where)
    for info in infos:
        name = info.filename
        if info.is_dir():
            continue
        if _climbs_out(name):
            raise UnsafeExportError(
                f"holds a file named {name[:80]!r}, which climbs out of the archive",
                where=where, expected="an export as Strava or Garmin writes it",
            )  # fmt: skip
        lower = name.lower()
        inside = f"{where}!{name}"
        if lower.endswith(".zip"):
            if depth >= MAX_DEPTH:
                raise UnsafeExportError(
                    f"nests zip archives more than {MAX_DEPTH} deep (at {name[:80]})",
                    where=where, expected="an export as Strava or Garmin writes it",
                )  # fmt: skip
            data = _member_bytes(archive, info, where, budget, limit=MAX_ARCHIVE_BYTES)
            try:
                nested = zipfile.ZipFile(io.BytesIO(data))
            except zipfile.BadZipFile:
                continue
            yield from _archive(nested, inside, depth + 1, budget)
        elif lower.endswith(SUFFIXES):
            listed = strava.get(name)
            stamp = datetime(*info.date_time).timestamp() if info.date_time[0] > 1980 else 0
            yield Member(
                inside,
                partial(_member_bytes, archive, info, inside, budget),
                listed[0] if listed else _recency(PurePosixPath(name).name, stamp),
                listed[1] if listed else None,
            )


def _member_bytes(
    archive: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    where: str,
    budget: list[int],
    limit: int = MAX_UNPACKED_BYTES,
) -> bytes:
    """A member's bytes, counted as they are unpacked (the sizes an archive declares can lie)."""
    chunks: list[bytes] = []
    size = 0
    try:
        with archive.open(info) as member:
            while chunk := member.read(1 << 20):
                size += len(chunk)
                budget[0] -= len(chunk)
                if size > limit or budget[0] < 0:
                    raise UnsafeExportError(
                        f"{info.filename[:80]} unpacks to more than "
                        f"{min(limit, MAX_TOTAL_BYTES) >> 20} MB", where=where,
                        expected="an export as Strava or Garmin writes it, not a zip bomb",
                    )  # fmt: skip
                chunks.append(chunk)
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, RuntimeError) as err:
        raise UnknotError(
            f"{info.filename[:80]} cannot be unpacked ({err})", where=where,
            expected="an undamaged, unencrypted export",
        ) from None  # fmt: skip
    return b"".join(chunks)


def _climbs_out(name: str) -> bool:
    parts = PurePosixPath(name.replace("\\", "/")).parts
    return name.startswith(("/", "\\")) or ".." in parts or (bool(parts) and ":" in parts[0])


def _recency(name: str, stamp: float) -> float:
    """A date in the file's name (a watch's 2026-11-29-07-30-00.fit) or else its time stamp."""
    dated = _DATE_IN_NAME.search(name)
    if dated:
        try:
            year, month, day, hour, minute, second = (int(g) for g in dated.groups())
            return datetime(year, month, day, hour, minute, second).timestamp()
        except ValueError:
            pass
    return stamp


def _strava_list(path: Path, where: str) -> dict[str, tuple[float, str | None]]:
    if not path.is_file():
        return {}
    return _strava_csv(read_bytes(path, what="activities list", max_bytes=64 << 20), where)


def _strava_csv(data: bytes, where: str) -> dict[str, tuple[float, str | None]]:
    """activities.csv: file -> (recency, sport). Its headings are localised and some repeat
    (two "Distance" columns in different units), so columns are found by what they hold: the
    file names start with activities/, the id is the first column, the type is the column
    whose values are sports."""
    text = data.decode("utf-8-sig", errors="replace")
    rows = list(csv.reader(io.StringIO(text)))
    if len(rows) < 2:
        return {}
    body = rows[1:]
    width = max(len(r) for r in body)
    columns = [[r[n] if n < len(r) else "" for r in body] for n in range(width)]
    files = _column(columns, lambda v: v.startswith("activities/"))
    if files is None:
        return {}
    kinds = _column(columns, lambda v: v.strip().lower() in STRAVA_RUNS, share=0.05)
    out: dict[str, tuple[float, str | None]] = {}
    for n, row in enumerate(body):
        name = columns[files][n]
        if not name:
            continue
        number = _NUMBER.search(row[0] if row else "") or _NUMBER.search(name)
        recency = float(number.group(1)) if number else float(n)
        sport = None
        if kinds is not None:
            sport = "running" if columns[kinds][n].strip().lower() in STRAVA_RUNS else "other"
        out[name] = (recency, sport)
    return out


def _column(
    columns: list[list[str]], test: Callable[[str], bool], share: float = 0.5
) -> int | None:
    best, best_count = None, 0
    for n, values in enumerate(columns):
        count = sum(1 for v in values if v and test(v))
        if count > best_count:
            best, best_count = n, count
    if best is None or best_count < share * len(columns[0]):
        return None
    return best
