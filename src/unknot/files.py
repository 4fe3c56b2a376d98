"""Files: where unknot's data lives, the one way it reads a person's file (capped), and the one
way it writes a file (atomically).

Every file unknot writes (a card, an audio track, a chart, a cache entry, a pending session)
goes to a temporary name in the same folder and is renamed over the target once complete, so a
process killed halfway leaves the old file or none, never half of one. Only a regular file is
ever replaced: a directory, a device, a named pipe or a socket at the target is refused, and a
symbolic link is written through (the file it points to is replaced, the link kept), as an
editor or `cp` would.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from unknot.errors import UnknotError

DATA = Path(__file__).parent / "data"
# What a person's file may hold unless its reader says more: a routine is a few kilobytes, so
# anything near a megabyte is not one.
MAX_BYTES = 1_000_000
_CHUNK = 1 << 16

# What the system's errors mean for a person, in unknot's words (strerror is terse).
_PROBLEMS = {
    errno.ENOENT: "no such file or folder",
    errno.ENAMETOOLONG: "the name is too long for the file system",
    errno.ENOTDIR: "a part of the path is a file, not a folder",
    errno.ELOOP: "the path has a loop of symbolic links",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.EROFS: "the file system is read-only",
    errno.ENOSPC: "no space left on the disk",
    errno.EDQUOT: "the disk quota is used up",
    errno.EFBIG: "the file would be larger than this system allows",
    errno.EISDIR: "is a directory",
}


def problem(err: OSError) -> str:
    """An OSError in words a person reads."""
    return _PROBLEMS.get(err.errno or 0, err.strerror or str(err))


def kind(mode: int) -> str:
    """What a file's mode says it is, for messages: 'a directory', 'a named pipe (FIFO)'..."""
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    return "a regular file" if stat.S_ISREG(mode) else "not a regular file"


def read_bytes(path: Path, *, what: str, max_bytes: int = MAX_BYTES) -> bytes:
    """A person's file, whole, or one clear error: missing, not a regular file (a directory,
    a FIFO, a device such as /dev/zero), unreadable, or larger than `max_bytes`.

    What it is is looked at before opening it (opening a FIFO waits for a writer), it is opened
    without blocking in case it changed in between, looked at again, and read by streaming at
    most `max_bytes` + 1 bytes: a size from stat is not trusted (/proc files say 0)."""
    where = str(path)
    try:
        _regular(path.stat().st_mode, where, what)
        flags = os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC
        descriptor = os.open(path, flags)
        try:
            info = os.fstat(descriptor)
            _regular(info.st_mode, where, what)
            if info.st_size > max_bytes:
                _too_large(f"{info.st_size:,} bytes", where, what, max_bytes)
            chunks: list[bytes] = []
            size = 0
            while size <= max_bytes:
                chunk = os.read(descriptor, min(_CHUNK, max_bytes + 1 - size))
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
        finally:
            os.close(descriptor)
        if size > max_bytes:
            _too_large(f"more than {max_bytes:,} bytes", where, what, max_bytes)
    except FileNotFoundError:
        raise UnknotError(
            "no such file", where=where, expected=f"the path of a {what} file"
        ) from None
    except OSError as err:
        raise UnknotError(
            f"cannot be read ({problem(err)})", where=where, expected=f"a readable {what} file"
        ) from None
    except ValueError:  # a NUL character in the path, which no file name may hold
        raise UnknotError(
            "is not a possible file name (it holds a NUL character)",
            where=where.replace("\0", "\\0"),
            expected=f"the path of a {what} file",
        ) from None
    return b"".join(chunks)


def _regular(mode: int, where: str, what: str) -> None:
    if stat.S_ISDIR(mode):
        raise UnknotError("is a directory", where=where, expected=f"a {what} file")
    if not stat.S_ISREG(mode):
        raise UnknotError(
            f"is {kind(mode)}, not a regular file", where=where, expected=f"a {what} file"
        )


def _too_large(size: str, where: str, what: str, max_bytes: int) -> None:
    raise UnknotError(
        f"is {size}, too large for a {what}",
        where=where,
        expected=f"a {what} file of at most {max_bytes:,} bytes",
    )


def target(path: Path) -> Path:
    """The file a write to `path` replaces: `path` itself, or the file a symbolic link there
    points to (a link is written through, never replaced by a file of its own). OSError when
    something that is not a regular file is there."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return path
    if stat.S_ISLNK(mode):
        path = Path(os.path.realpath(path))
        try:
            mode = path.stat().st_mode
        except FileNotFoundError:
            return path  # a link to a file not made yet: it is made where the link points
    if not stat.S_ISREG(mode):
        code = errno.EISDIR if stat.S_ISDIR(mode) else errno.EEXIST
        raise OSError(code, f"is {kind(mode)}, not a regular file", str(path))
    return path


def writable_folder(path: Path, *, what: str, field: str = "") -> Path:
    """The file to write for `path` (see `target`), or one clear error, before any work, when
    it cannot be written there: a folder missing or not writable, a name too long, or something
    there that is not a regular file."""
    expected = f"a path for the {what} in a writable folder"
    try:
        real = target(path)
    except OSError as err:
        if err.errno in (errno.EISDIR, errno.EEXIST):
            wanted = f"a new file, or a regular file to replace, for the {what}"
            there = err.strerror or "is not a regular file"
            raise UnknotError(there, where=str(path), field=field, expected=wanted) from None
        raise UnknotError(
            f"cannot be written ({problem(err)})", where=str(path), field=field, expected=expected
        ) from None
    except ValueError:  # a NUL character in the path
        raise UnknotError(
            "is not a possible file name (it holds a NUL character)",
            where=str(path).replace("\0", "\\0"), field=field, expected=expected,
        ) from None  # fmt: skip
    if not real.parent.is_dir() or not os.access(real.parent, os.W_OK):
        raise UnknotError(
            "cannot be written: the folder does not exist or is not writable",
            where=str(path),
            field=field,
            expected=expected,
        )
    return real


def _temporary_for(path: Path) -> Path:
    # Beside the target (a rename never crosses file systems), with its suffix (writers that
    # go by it), and short enough for the file system whatever the target's own name.
    suffix = path.suffix if len(path.suffix) <= 10 else ""
    return path.with_name(f".{path.name[:40]}.{os.getpid()}.tmp{suffix}")


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """A temporary path beside the file `path` names (through a symbolic link: see `target`);
    once the block ends without an error it is renamed over that file, otherwise removed. An
    OSError when the target is not a regular file, before the block runs."""
    real = target(path)
    temporary = _temporary_for(real)
    try:
        yield temporary
        target(real)  # still a file (or nothing) now that the work is done
        temporary.replace(real)
    finally:
        temporary.unlink(missing_ok=True)


def save(path: Path, data: bytes, *, what: str, field: str = "") -> None:
    """Write a file atomically, or one clear error naming it."""
    writable_folder(path, what=what, field=field)
    try:
        with atomic_path(path) as temporary:
            temporary.write_bytes(data)
    except OSError as err:
        raise write_error(err, path, what=what, field=field) from None


def write_error(err: OSError, path: Path, *, what: str, field: str = "") -> UnknotError:
    """A failed write (the disk full, the file too large for the system) as one clear error."""
    return UnknotError(
        f"could not be written ({problem(err)})",
        where=str(path),
        field=field,
        expected=f"a path for the {what} on a disk with room",
    )


def save_quietly(path: Path, data: bytes) -> bool:
    """Write a file atomically where failing is fine (a cache): False if it could not be."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(path) as temporary:
            temporary.write_bytes(data)
    except (OSError, ValueError):
        return False
    return True
