"""Whether a SQLite file is unknot's to open, found without changing a byte of it.

Opening a file read-write is already a change: SQLite sets WAL mode in the header, rolls back a
hot journal, deletes or resets a `-wal` file it cannot use; even a reader of a `-wal` writes the
`-shm` beside it. So before the history's engine ever connects, the file is read here through a
read-only, immutable connection (no locks, no `-wal` or `-shm` opened) or, when its latest pages
are in a live `-wal`, from a copy of the two; and anything that is not new, empty, or an unknot
history this unknot knows is refused with every file as it was.
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
from collections.abc import Collection
from pathlib import Path
from typing import NoReturn
from urllib.parse import quote

from unknot.errors import UnknotError

HEADER = b"SQLite format 3\x00"
WAL_MAGIC = (b"\x37\x7f\x06\x82", b"\x37\x7f\x06\x83")  # a -wal file's first four bytes
UNTOUCHED = "it was left untouched"
EXPECTED = "an unknot history database, or a new path"


def vet(path: Path, *, where: str, revisions: Collection[str], head: str) -> None:
    """Nothing if `path` is missing, empty or an unknot history at one of `revisions`;
    otherwise one UnknotError, the file and anything beside it untouched."""
    wal, journal = Path(f"{path}-wal"), Path(f"{path}-journal")
    if not _size(path):
        for leftover in (wal, journal):
            if _size(leftover):  # SQLite would delete it on creating the database
                _refuse(where, f"is empty but has {leftover.name} beside it")
        return
    try:
        with path.open("rb") as file:
            header = file.read(len(HEADER))
    except OSError as err:
        raise UnknotError(
            f"cannot be read ({err.strerror})", where=where, expected="a readable history file"
        ) from None
    if header != HEADER:
        _refuse(where, "is not an unknot history (not a SQLite database)")
    wal_is_sqlite = _size(wal) > 0 and _starts_with(wal, WAL_MAGIC)
    try:
        tables, revision = _peek(path)
        if not tables and wal_is_sqlite:  # its schema may be in the -wal still (a live database)
            tables, revision = _peek_copy(path, wal)
    except sqlite3.DatabaseError as err:
        if not wal_is_sqlite:
            _refuse(where, f"is not an unknot history ({err})")
        try:  # the main file alone is not readable: perhaps caught mid-checkpoint
            tables, revision = _peek_copy(path, wal)
        except sqlite3.DatabaseError as again:
            _refuse(where, f"is not an unknot history ({again})")
    if "alembic_version" in tables:
        if revision is not None and revision not in revisions:
            raise newer(where, revision, head)
        return
    if tables:
        _refuse(where, "holds tables of something else")
    if _size(wal) and not wal_is_sqlite:
        _refuse(where, f"has {wal.name} beside it that is not SQLite's")
    # No tables, with the -wal's counted: an empty database, which becomes the history.


def newer(where: str, revision: str, head: str) -> UnknotError:
    return UnknotError(
        f"was made by a newer unknot (revision {revision}); this one knows up to {head}; "
        f"{UNTOUCHED}",
        where=where,
        expected="the newer unknot that made it, or another path",
    )


def _peek(path: Path) -> tuple[set[str], str | None]:
    """The tables in the file, and the revision alembic_version holds (None without one), read
    immutably: no lock taken, no -wal or -shm looked at, nothing written."""
    return _contents(f"file:{quote(str(path))}?mode=ro&immutable=1")


def _peek_copy(path: Path, wal: Path) -> tuple[set[str], str | None]:
    """The same, for a database whose latest pages are in its -wal: read from a copy of both
    (SQLite reading a -wal writes the -shm beside it, and may replay the -wal into the file)."""
    with tempfile.TemporaryDirectory(prefix="unknot-peek-") as folder:
        copy = Path(folder) / "peek.db"
        try:
            shutil.copyfile(path, copy)
            shutil.copyfile(wal, f"{copy}-wal")
        except OSError as err:
            raise sqlite3.DatabaseError(f"cannot be read ({err.strerror})") from None
        return _contents(f"file:{quote(str(copy))}")


def _contents(uri: str) -> tuple[set[str], str | None]:
    connection = sqlite3.connect(uri, uri=True)
    try:
        listed = connection.execute("SELECT name FROM sqlite_master WHERE type='table'")
        tables = {str(name) for (name,) in listed}
        revision = None
        if "alembic_version" in tables:
            row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
            revision = None if row is None else str(row[0])
    finally:
        connection.close()
    return tables, revision


def _refuse(where: str, what: str) -> NoReturn:
    raise UnknotError(f"{what}; {UNTOUCHED}", where=where, expected=EXPECTED)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _starts_with(path: Path, prefixes: tuple[bytes, ...]) -> bool:
    try:
        with path.open("rb") as file:
            return file.read(4) in prefixes
    except OSError:
        return False
