"""Files: where unknot's data lives, and the one way it writes a file (atomically).

Every file unknot writes (a card, an audio track, a chart, a cache entry, a pending session)
goes to a temporary name in the same folder and is renamed over the target once complete, so a
process killed halfway leaves the old file or none, never half of one.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from unknot.errors import UnknotError

DATA = Path(__file__).parent / "data"


def writable_folder(path: Path, *, what: str, field: str = "") -> None:
    """One clear error, before any work, when `path` cannot be written where it is."""
    if not path.parent.is_dir() or not os.access(path.parent, os.W_OK):
        raise UnknotError(
            "cannot be written: the folder does not exist or is not writable",
            where=str(path),
            field=field,
            expected=f"a path for the {what} in a writable folder",
        )


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """A temporary path beside `path` (with the same suffix, for writers that go by it); once
    the block ends without an error it is renamed to `path`, otherwise removed."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp{path.suffix}")
    try:
        yield temporary
        temporary.replace(path)
    finally:
        temporary.unlink(missing_ok=True)


def save(path: Path, data: bytes, *, what: str, field: str = "") -> None:
    """Write a file atomically, or one clear error naming it."""
    writable_folder(path, what=what, field=field)
    try:
        with atomic_path(path) as temporary:
            temporary.write_bytes(data)
    except OSError as err:
        raise UnknotError(
            f"could not be written ({err.strerror})",
            where=str(path),
            field=field,
            expected=f"a path for the {what} on a disk with room",
        ) from None


def save_quietly(path: Path, data: bytes) -> bool:
    """Write a file atomically where failing is fine (a cache): False if it could not be."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(path) as temporary:
            temporary.write_bytes(data)
    except OSError:
        return False
    return True
