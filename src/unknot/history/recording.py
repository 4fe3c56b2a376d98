"""Recording a session as it is played, wherever it is played: `unknot go` and the web player
both write through a `Recording`, into a `SessionSink`: the history database (`Store`) or, while
that cannot be reached or written, a local file (`PendingSession`) added to the history later.

Nothing is lost when the database fails halfway: a `Recording` keeps the session so far (its
start, every step, its end) as well as writing it, so when a write fails (a server stopped, a
full disk, a file made read-only) it goes on in a pending file that holds the whole session, the
steps already written included, and writes every later step there. What happened is one line in
`Recording.notices` (and given to `on_notice` as it happens), for the caller to show.
"""

from __future__ import annotations

import copy
import itertools
import threading
import uuid
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from unknot.errors import UnknotError
from unknot.history.pending import PendingSession
from unknot.history.records import checked_step, new_session, now
from unknot.history.store import Store, UnreachableError, UnwritableError

if TYPE_CHECKING:
    from unknot.guide.player import StepRecord
    from unknot.guide.timeline import Timeline

T = TypeVar("T")


class SessionSink(Protocol):
    """Where a session's records go. Every call may come twice (a player that sent it again
    after losing the network): a sink writes nothing twice."""

    def start_session(self, session: dict[str, Any]) -> int:
        """Start `session` (as `records.new_session` makes it); its id in this sink."""
        ...

    def record_step(self, session_id: int, position: int, record: StepRecord) -> None: ...

    def finish(self, session_id: int, finished: bool, after: dict[str, int]) -> None: ...

    def rate(self, session_id: int, moment: str, ratings: dict[str, int]) -> None: ...


def open_sink(database: str | None, uid: str | None = None) -> tuple[SessionSink, str]:
    """The history, or a pending file when it cannot be reached or written (a server down, a
    read-only file or folder), with a line saying so; or the history with a line for each
    pending file it could not take (damaged), "" when there is nothing to say."""
    notices: list[str] = []
    try:
        store = Store(database)
        notices = store.notices
        store.check_writable()
    except UnreachableError as err:  # the session still runs; its record waits in a local file
        pending = PendingSession(uid, database=database)
        until = "written" if isinstance(err, UnwritableError) else "reached"
        notices.append(
            f"{err.line()}; this session is kept in {pending.path} and added to the history "
            f"the next time it can be {until}"
        )
        return pending, "; ".join(notices)
    return store, "; ".join(notices)


def _failures() -> tuple[type[BaseException], ...]:
    """What a sink raises when it cannot write now, rather than for a record that is wrong."""
    from sqlalchemy.exc import SQLAlchemyError

    return (OSError, UnreachableError, SQLAlchemyError)


def _said(err: BaseException) -> str:
    if isinstance(err, UnknotError):  # where and what; the expectation is the caller's to say
        return " ".join(": ".join(p for p in (err.where, err.what) if p).split())
    if isinstance(err, OSError):
        return f"{err.filename or 'the history'}: cannot be written ({err.strerror or err})"
    lines = str(getattr(err, "orig", None) or err).strip().splitlines()
    return f"the history cannot be written ({lines[0] if lines else type(err).__name__})"


class Recording:
    """One session written as it is played: started once, each step as it ends, then closed.

    `notices` gathers a line for each thing the person should know (the history stopped taking
    the session, and where the rest of it went); `on_notice`, if set, hears each at once."""

    def __init__(
        self, sink: SessionSink, session_id: int, *, session: dict[str, Any] | None = None
    ) -> None:
        self.sink = sink
        self.session = session_id
        self.notices: list[str] = []
        self.on_notice: Callable[[str], None] | None = None
        self._positions = itertools.count(1)  # never reused: a step done again is a new row
        # The session so far, in the export's shape: what a pending file starts from if the
        # sink fails. Without it (a sink given bare), a failure is raised as before.
        self._kept = session
        self._database = sink.url if isinstance(sink, Store) else None
        if isinstance(sink, PendingSession):
            self._database = sink.database
        self._unsaved = False  # the session so far is only in memory: saved again at each write

    @classmethod
    def begin(
        cls,
        sink: SessionSink,
        timeline: Timeline,
        needs: Mapping[str, Any],
        before: dict[str, int],
        uid: str | None = None,
    ) -> Recording:
        """A new session in `sink` (or, given the `uid` of one it has, that one)."""
        uid = uid or (sink.uid if isinstance(sink, PendingSession) else str(uuid.uuid4()))
        routine, planned = timeline.routine.name, timeline.total
        head = new_session(routine, dict(needs), planned, before, uid)
        recording = cls(sink, 0, session=head)
        # Each sink its own copy: a pending file adds steps to what it holds, as does `head`.
        started = recording._write(lambda s: s.start_session(copy.deepcopy(head)))
        recording.session = started or 0
        return recording

    def step(self, record: StepRecord, position: int | None = None) -> None:
        """A step as it ended; `position` given by a player that numbers its own records."""
        at = position or next(self._positions)
        row = checked_step(at, record)
        if self._kept is not None and all(s["position"] != at for s in self._kept["steps"]):
            self._kept["steps"].append(row)
        self._write(lambda s: s.record_step(self.session, at, record))

    def finish(self, finished: bool, after: dict[str, int]) -> None:
        if self._kept is not None:
            self._kept.update(ended_at=now().isoformat(), finished=bool(finished))
            self._kept["ratings"]["after"] = dict(after)
        self._write(lambda s: s.finish(self.session, finished, after))

    def rate(self, moment: str, ratings: dict[str, int]) -> None:
        if self._kept is not None and moment in self._kept["ratings"]:
            self._kept["ratings"][moment].update(ratings)
        self._write(lambda s: s.rate(self.session, moment, ratings))

    # -- when the sink fails ---------------------------------------------------------------------
    def _write(self, call: Callable[[SessionSink], T]) -> T | None:
        if self._unsaved:
            self._keep_in_file(None)  # the whole session so far, this record with it
            return None
        try:
            return call(self.sink)
        except _failures() as err:
            if self._kept is None:
                raise
            self._keep_in_file(err)
            return None

    def _keep_in_file(self, err: BaseException | None) -> None:
        """Go on in a pending file holding the whole session so far; if even that cannot be
        written, keep it in memory and try again with the next record."""
        assert self._kept is not None
        was_pending = isinstance(self.sink, PendingSession)
        try:
            if isinstance(self.sink, PendingSession):
                pending = self.sink
                pending.replace(self._kept)
            else:
                uid = str(self._kept["uid"])
                pending = PendingSession(uid, database=self._database, session=self._kept)
        except OSError as failure:
            if not self._unsaved:
                self._unsaved = True
                self._say(
                    f"{_said(err or failure)}; and this session cannot be kept in a file either "
                    f"({_said(failure)}): it is kept in memory and written as soon as it can be"
                )
            return
        self.sink, self.session = pending, 0
        if self._unsaved:
            self._unsaved = False
            self._say(f"this session is now kept in {pending.path}")
        elif not was_pending:
            steps = len(self._kept["steps"])
            self._say(
                f"{_said(err) if err else 'the history failed'}; this session so far ({steps} "
                f"step{'' if steps == 1 else 's'}) is kept in {pending.path} from now on, and "
                "added to the history the next time it can be written"
            )

    def _say(self, line: str) -> None:
        self.notices.append(line)
        if self.on_notice is not None:
            self.on_notice(line)


class Recordings:
    """Sessions played elsewhere (in browsers), recorded by the id each player made, as their
    records arrive, in any number, more than once and at the same moment. After a restart, a
    session started before it is found again by its id (in the history, or its pending file)."""

    def __init__(self, database: str | None) -> None:
        self.database = database
        # Hears each line worth saying: a pending file the history could not take, a session
        # that went on in a pending file (the server's to print or log; the library never does).
        self.on_notice: Callable[[str], None] | None = None
        self._store: Store | None = None
        self._open: dict[str, Recording] = {}
        self._lock = threading.Lock()
        self._sessions = threading.Lock()  # one start or look-up of a session at a time

    def store(self) -> Store:
        with self._lock:
            if self._store is None:
                self._store = Store(self.database)
                for line in self._store.notices:
                    self._say(line)
            return self._store

    def _say(self, line: str) -> None:
        if self.on_notice is not None:
            self.on_notice(line)

    def _heard(self, recording: Recording) -> Recording:
        recording.on_notice = self._say
        for line in recording.notices:  # said while it began
            self._say(line)
        return recording

    def _sink(self, uid: str) -> SessionSink:
        try:
            return self.store()
        except UnreachableError as err:  # kept in a local file, added when the database is back
            pending = PendingSession(uid, database=self.database)
            self._say(f"{_said(err)}; session {uid} is kept in {pending.path} until it is back")
            return pending

    def start(
        self, uid: str, timeline: Timeline, needs: Mapping[str, Any], before: dict[str, int]
    ) -> Recording:
        with self._sessions:
            if uid not in self._open:
                begun = Recording.begin(self._sink(uid), timeline, needs, before, uid)
                self._open[uid] = self._heard(begun)
            return self._open[uid]

    def get(self, uid: str) -> Recording:
        """The session with this id, started here before (or before a restart)."""
        with self._sessions:
            if uid not in self._open:
                self._open[uid] = self._heard(self._found(uid))
            return self._open[uid]

    def _found(self, uid: str) -> Recording:
        try:
            store = self.store()
            known = store.session_id(uid)
        except UnreachableError:
            pending = PendingSession.resume(uid, database=self.database)
            if pending is None:
                raise
            return Recording(pending, 0, session=copy.deepcopy(pending.data))
        if known is None:
            pending = PendingSession.resume(uid, database=self.database)
            if pending is None:
                raise UnknotError(
                    f"no session {uid!r} was started here", field="session",
                    expected="the id the player sent when the session began",
                )  # fmt: skip
            return Recording(pending, 0, session=copy.deepcopy(pending.data))
        (session,) = store.export(uid)["sessions"]
        return Recording(store, known, session=session)
