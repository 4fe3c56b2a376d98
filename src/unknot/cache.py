"""A cache of checked data, so a command does not parse and validate the same YAML every time.

Reading the catalog and a routine through YAML with line-by-line checks costs more than the rest
of `unknot plan` together. The checked result is pickled in the user's cache directory, keyed by
unknot's version, its own code (every module's size and modification time: a pickle holds
objects of classes that a changed module may have reshaped) and each source file's path, size
and modification time (and, for a person's own file, a digest of its content); a change to any
of them, or an unreadable entry, means building it again.
Set `UNKNOT_CACHE_DIR` to move the cache, or to an empty string to turn it off.
"""

from __future__ import annotations

import errno
import os
import pickle
import stat
import zlib
from collections.abc import Callable, Sequence
from functools import cache
from pathlib import Path
from typing import TypeVar

from unknot.version import __version__

T = TypeVar("T")


def cache_dir() -> Path | None:
    configured = os.environ.get("UNKNOT_CACHE_DIR")
    if configured is not None:
        return Path(configured) if configured else None
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "unknot"


def _stamp(sources: Sequence[Path]) -> tuple[object, ...]:
    return (__version__, _code(), *(_file(os.fspath(source)) for source in sources))


def _file(path: str) -> tuple[object, ...]:
    """A file's real path, size and modification time, and for a person's own file (a routine)
    a digest of its content too: an edit copied with its time (`cp -p`, `rsync -t`) keeps size
    and time alike. unknot's own data files are part of the installed package, looked at once a
    process like its code (every command reads some sixty of them)."""
    known = _PACKAGE_FILES.get(path)
    if known is not None:
        return known
    st = os.stat(path)  # noqa: PTH116 - a plain string is faster here, on every command
    folder, name = os.path.split(path)
    real = _FOLDERS.get(folder)
    if real is None:  # each folder resolved once: resolving costs a system call per part
        real = _FOLDERS[folder] = os.path.realpath(folder or ".")
    if path.startswith(_PACKAGE):
        found = _PACKAGE_FILES[path] = (f"{real}{os.sep}{name}", st.st_size, st.st_mtime_ns)
        return found
    return (f"{real}{os.sep}{name}", st.st_size, st.st_mtime_ns, _digest(path))


def _digest(path: str) -> str:
    """The content's digest. Only a regular file of at most MAX_BYTES is read (opened without
    blocking, so a FIFO swapped in cannot hang it); anything else is an OSError, and the
    reader, not the cache, says what is wrong with it."""
    import hashlib

    from unknot.files import MAX_BYTES

    descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    try:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_BYTES:
            raise OSError(errno.EINVAL, "not a small regular file", path)
        digest = hashlib.blake2b(digest_size=16)
        size = 0
        while chunk := os.read(descriptor, 1 << 16):
            size += len(chunk)
            if size > MAX_BYTES:
                raise OSError(errno.EFBIG, "larger than a routine may be", path)
            digest.update(chunk)
    finally:
        os.close(descriptor)
    return digest.hexdigest()


_PACKAGE = str(Path(__file__).parent) + os.sep
_PACKAGE_FILES: dict[str, tuple[object, ...]] = {}
_FOLDERS: dict[str, str] = {}


@cache
def _code() -> int:
    """unknot's own modules, as one number that changes when any of them does."""
    package = str(Path(__file__).parent)
    stamps = []
    for folder, folders, files in os.walk(package):
        folders[:] = [f for f in folders if f not in ("__pycache__", "data", "static", "templates")]
        for name in files:
            if name.endswith(".py"):
                st = os.stat(os.path.join(folder, name))  # noqa: PTH116, PTH118 - fast here
                stamps.append((name, st.st_size, st.st_mtime_ns))
    return zlib.crc32(repr(sorted(stamps)).encode())


def cached(kind: str, sources: Sequence[Path], build: Callable[[], T]) -> T:
    """`build()`'s result, from the cache when none of `sources` has changed since."""
    folder = cache_dir()
    try:
        stamp = _stamp(sources)
    except OSError:
        return build()  # a missing source: let build() report it properly
    if folder is None:
        return build()
    entry = folder / f"{kind}-{zlib.crc32(repr(stamp).encode()):08x}.pickle"
    try:
        saved_stamp, value = pickle.loads(entry.read_bytes())
        if saved_stamp == stamp:
            return value  # type: ignore[no-any-return]
    except Exception:
        pass
    value = build()
    _write(entry, (stamp, value))
    return value


def _write(entry: Path, content: object) -> None:
    """Write atomically (temporary file, then rename); a cache that cannot be written is skipped."""
    from unknot.files import save_quietly

    save_quietly(entry, pickle.dumps(content, protocol=pickle.HIGHEST_PROTOCOL))
