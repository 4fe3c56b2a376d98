"""A session kept in a local file while the history database cannot be reached or written, and
its hand-over to that database once it can be.

The hand-over is owned: the process playing the session holds an exclusive `flock` on `UID.lock`
beside `UID.json` from the session's start to its end, and a `Store` opening takes that lock
without waiting before it imports the file; a file whose lock is held is still being written and
is left for a later Store. A lock rather than a `.writing` name renamed when done, because a
writer that dies (SIGKILL, the power) releases its lock with it: the partial session it leaves
is imported, as partial, the next time, where a renamed-when-done file would wait forever for a
writer that is gone. The lock is a file of its own because the JSON is replaced atomically on
every write, a new inode each time, and a lock on the old one would guard nothing.

Each file names the database it waits for (as `places.identity` spells it), and only that one
takes it: a session kept while one history was down never lands in another.
"""

from __future__ import annotations

import copy
import errno
import hashlib
import json
import os
import re
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, NamedTuple

from unknot.history.places import database_url, identity, pending_folder
from unknot.history.records import (
    RecordError,
    check_session,
    checked_step,
    now,
)

if TYPE_CHECKING:
    from unknot.guide.player import StepRecord

FORMAT = "unknot-pending"
VERSION = 2  # 1: the bare session, naming no database (unknot before pending files said which)
WRITER_WAIT = 10.0  # seconds a writer waits for an importer holding its file (one import)


class PendingSession:
    """A session kept in a local file, in the export's shape, with the database it waits for;
    the next Store opened on that database adds it to the history and removes the file.

    Given `session` (a session so far, as `records.session_head` makes it, with its steps), the
    file starts from it: a session whose database stopped taking it halfway goes on here."""

    def __init__(
        self,
        uid: str | None = None,
        *,
        database: str | None = None,
        session: dict[str, Any] | None = None,
    ) -> None:
        self.uid = uid or (str(session["uid"]) if session else str(uuid.uuid4()))
        self.database = identity(database_url(database))
        self.path = pending_folder(create=False) / f"{file_name(self.uid)}.json"
        self.data: dict[str, Any] = copy.deepcopy(session) if session else {}
        self._lock: IO[str] | None = None
        if self.data:
            try:
                self._save()
            except BaseException:
                self.close()  # not left holding the file for a session that is not in it
                raise

    @classmethod
    def resume(cls, uid: str, *, database: str | None = None) -> PendingSession | None:
        """The session `uid` kept in a file for `database` (by this process before a restart),
        to carry on writing; None if there is none."""
        pending = cls(uid, database=database)
        if not pending.path.exists():
            return None
        try:
            pending._hold()
        except OSError:
            return None
        kept = pending._kept()
        if kept is None:
            pending.close()
            return None
        pending.data = kept
        return pending

    # -- the sink --------------------------------------------------------------------------------
    def start_session(self, session: dict[str, Any]) -> int:
        if self.data:  # the same session sent again
            return 0
        self._hold()
        self.data = self._kept() or session  # kept before a restart: carry on with it
        self._save()
        return 0

    def record_step(self, session_id: int, position: int, record: StepRecord) -> None:
        row = checked_step(position, record)
        if any(step["position"] == position for step in self.data["steps"]):
            return
        self.data["steps"].append(row)
        self._save()

    def finish(self, session_id: int, finished: bool, after: dict[str, int]) -> None:
        self.data.update(ended_at=now().isoformat(), finished=finished)
        self.data["ratings"]["after"] = dict(after)
        self._save()

    def rate(self, session_id: int, moment: str, ratings: dict[str, int]) -> None:
        self.data["ratings"][moment].update(ratings)
        self._save()

    def replace(self, session: dict[str, Any]) -> None:
        """The whole session written again from `session` (a recording's own copy of it)."""
        self.data = copy.deepcopy(session)
        self._save()

    def close(self) -> None:
        """Let the file go: from now on a Store may add it to the history."""
        if self._lock is not None:
            self._lock.close()
            self._lock = None

    # -- the file --------------------------------------------------------------------------------
    def _hold(self) -> None:
        if self._lock is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._lock = claim(self.path.with_suffix(".lock"), wait=WRITER_WAIT)
            if self._lock is None:
                raise BlockingIOError(
                    errno.EWOULDBLOCK, "is being written by another process", str(self.path)
                )

    def _kept(self) -> dict[str, Any] | None:
        """The session as a file kept it before a restart, if it is this one's; a damaged file
        is moved aside (its session starts again here) rather than written over."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        try:
            database, session = read_pending(text)
        except RecordError:
            self.path.replace(self.path.with_name(f"{self.path.name}.damaged"))
            return None
        return session if session["uid"] == self.uid and database == self.database else None

    def _save(self) -> None:
        """The whole session so far, replacing the file atomically (OSError if the disk is full
        or the folder cannot be written: the caller decides what to say). The file is held from
        the session's start to its end, and after that only while it is written."""
        from unknot.files import atomic_path

        self._hold()
        kept = {"format": FORMAT, "version": VERSION, "database": self.database}
        text = json.dumps(kept | {"session": self.data}, allow_nan=False)
        try:
            with atomic_path(self.path) as temporary:
                temporary.write_text(text, encoding="utf-8")
        finally:
            if self.data.get("ended_at"):  # the session is over: the next Store may take it
                self.close()


def file_name(uid: str) -> str:
    """A uid as a file name: itself when it is a plain id (a UUID), else a digest of it, so no
    uid can name a path outside the folder."""
    if re.fullmatch(r"[A-Za-z0-9-]{1,36}", uid):
        return uid
    return hashlib.sha256(uid.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def read_pending(text: str) -> tuple[str | None, dict[str, Any]]:
    """(the database it waits for, the session) from a pending file's text; `RecordError` if it is
    damaged. A file from an unknot before version 2 names no database: None."""
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as err:
        raise RecordError(f"is not JSON ({err})", "a pending session as unknot writes it") from None
    if isinstance(data, dict) and data.get("format") == FORMAT:
        database, session = data.get("database"), data.get("session")
        if not isinstance(database, str):
            raise RecordError("names no database", "the database the session waits for")
    else:
        database, session = None, data
    check_session(session)
    assert isinstance(session, dict)
    return database, session


class Handed(NamedTuple):
    added: int  # sessions added
    notices: list[str]  # one line for each file that is damaged, or could not be added now


def hand_over(database: str, add: Callable[[dict[str, Any]], None]) -> Handed:
    """Every pending session waiting for `database` (and those from an older unknot, which did
    not say which), given to `add` and its file removed once added. A file being written is
    left for later, as is one that `add` cannot write now (it raises OSError or an UnknotError
    other than `RecordError`); a damaged one is moved aside to `NAME.damaged`, said once."""
    from unknot.errors import UnknotError

    added, notices, failed = 0, [], 0
    folder = pending_folder(create=False)
    if not folder.is_dir():
        return Handed(0, [])
    for path in sorted(folder.glob("*.json")):
        if path.name.startswith("."):
            continue  # a file being written, under its temporary name
        try:
            lock = claim(path.with_suffix(".lock"), wait=0.0)
        except OSError:
            continue  # a folder that cannot be written: nothing can be handed over from it
        if lock is None:
            continue  # still being written: a later Store takes it
        with lock:
            try:
                waits_for, session = read_pending(path.read_text(encoding="utf-8"))
            except FileNotFoundError:
                continue  # taken by another Store a moment ago
            except (RecordError, OSError, UnicodeDecodeError) as err:
                notices.append(_moved_aside(path, str(err)))
                continue
            if waits_for is not None and waits_for != database:
                continue  # another database's: left for it
            try:
                add(session)
            except RecordError as err:
                notices.append(_moved_aside(path, str(err)))
                continue
            except (OSError, UnknotError):
                failed += 1
                continue
            added += 1
            path.unlink(missing_ok=True)
            path.with_suffix(".lock").unlink(missing_ok=True)
    if failed:
        notices.append(
            f"{failed} pending session{'s' if failed > 1 else ''} in {folder} could not be added "
            "to the history now; they are kept for the next time"
        )
    return Handed(added, notices)


def _moved_aside(path: Path, problem: str) -> str:
    aside = path.with_name(f"{path.name}.damaged")
    try:
        path.replace(aside)
    except OSError:
        return f"{path}: a pending session is damaged ({problem}); it was left out of the history"
    return (
        f"{path}: a pending session is damaged ({problem}); it was moved to {aside.name} and left "
        "out of the history"
    )


def claim(lock_path: Path, *, wait: float) -> IO[str] | None:
    """An exclusive lock on `lock_path` (created if need be), or None if another process holds
    it still after `wait` seconds. Held as long as the file returned is open, and released by
    the kernel if the process dies."""
    import fcntl

    give_up = time.monotonic() + wait
    while True:
        handle = lock_path.open("a", encoding="utf-8")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            if time.monotonic() >= give_up:
                return None
            time.sleep(0.01)
            continue
        except OSError:
            handle.close()
            raise
        try:
            current = lock_path.stat().st_ino
        except FileNotFoundError:
            current = None
        if current == os.fstat(handle.fileno()).st_ino:
            return handle
        handle.close()  # removed by an importer while we waited for it: take the new one
