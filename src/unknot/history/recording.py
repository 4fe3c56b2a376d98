"""Recording a session as it is played, wherever it is played: `unknot go` and the web player
both write through a `Recording`, into a `SessionSink`: the history database (`Store`) or, while
that cannot be reached, a local file (`PendingSession`) added to the history later."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol

from unknot.errors import UnknotError
from unknot.history.pending import PendingSession
from unknot.history.store import Store, UnreachableError

if TYPE_CHECKING:
    from unknot.guide.player import StepRecord
    from unknot.guide.timeline import Timeline


class SessionSink(Protocol):
    """Where a session's records go. Every call may come twice (a player that sent it again
    after losing the network): a sink writes nothing twice."""

    def start_session(
        self,
        routine: str,
        needs: dict[str, Any],
        planned_seconds: int,
        before: dict[str, int],
        uid: str | None = None,
    ) -> int: ...

    def record_step(self, session_id: int, position: int, record: StepRecord) -> None: ...

    def finish(self, session_id: int, finished: bool, after: dict[str, int]) -> None: ...

    def rate(self, session_id: int, moment: str, ratings: dict[str, int]) -> None: ...


def open_sink(database: str | None, uid: str | None = None) -> tuple[SessionSink, str]:
    """The history, or a pending file when it cannot be reached, with a line saying so."""
    try:
        return Store(database), ""
    except UnreachableError as err:  # the session still runs; its record waits in a local file
        pending = PendingSession(uid)
        return pending, (
            f"{err.line()}; this session is kept in {pending.path} and added to the history "
            "the next time it can be reached"
        )


class Recording:
    """One session written as it is played: started once, each step as it ends, then closed."""

    def __init__(self, sink: SessionSink, session_id: int) -> None:
        self.sink = sink
        self.session = session_id
        self._positions = itertools.count(1)  # never reused: a step done again is a new row

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
        planned = timeline.total
        return cls(
            sink, sink.start_session(timeline.routine.name, dict(needs), planned, before, uid)
        )

    def step(self, record: StepRecord, position: int | None = None) -> None:
        """A step as it ended; `position` given by a player that numbers its own records."""
        self.sink.record_step(self.session, position or next(self._positions), record)

    def finish(self, finished: bool, after: dict[str, int]) -> None:
        self.sink.finish(self.session, finished, after)

    def rate(self, moment: str, ratings: dict[str, int]) -> None:
        self.sink.rate(self.session, moment, ratings)


class Recordings:
    """Sessions played elsewhere (in browsers), recorded by the id each player made, as their
    records arrive, in any number and more than once. After a restart, a session started before
    it is found again by its id."""

    def __init__(self, database: str | None) -> None:
        self.database = database
        self._store: Store | None = None
        self._open: dict[str, Recording] = {}
        self._lock = threading.Lock()

    def store(self) -> Store:
        with self._lock:
            if self._store is None:
                self._store = Store(self.database)
            return self._store

    def _sink(self, uid: str) -> SessionSink:
        try:
            return self.store()
        except UnreachableError:  # kept in a local file, added when the database is back
            return PendingSession(uid)

    def start(
        self, uid: str, timeline: Timeline, needs: Mapping[str, Any], before: dict[str, int]
    ) -> Recording:
        if uid not in self._open:
            self._open[uid] = Recording.begin(self._sink(uid), timeline, needs, before, uid)
        return self._open[uid]

    def get(self, uid: str) -> Recording:
        """The session with this id, started here before (or before a restart)."""
        if uid not in self._open:
            known = self.store().session_id(uid)
            if known is None:
                raise UnknotError(
                    f"no session {uid!r} was started here", field="session",
                    expected="the id the player sent when the session began",
                )  # fmt: skip
            self._open[uid] = Recording(self.store(), known)
        return self._open[uid]
