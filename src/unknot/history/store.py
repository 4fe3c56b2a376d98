"""Every guided session remembered: when, which routine and needs, each step as it was really
done, and how tight each area felt before and after. All writes go through `Store`.

The database is SQLite in the user's data directory by default (WAL, foreign keys on), or any
SQLAlchemy URL in `UNKNOT_DATABASE_URL` or `--database`. The schema is Alembic's migrations in
`migrations/`, run by themselves on first use; an older SQLite file is copied aside before it is
migrated forward, and a SQLite file that is not an unknot history is refused before anything
opens it for writing (`sqlite_file`). Steps are written as they finish, so a session that is
killed halfway is kept, as partial, with what was done.

Writing twice writes once, enforced by the database, not by a look first: a session's uid and a
step's (session, position) are unique, and every insert is `INSERT ... ON CONFLICT DO NOTHING`,
so the same record sent at the same moment from two tabs, threads or processes lands once. Every
record is checked against `records`' limits before it is written, and a database that fails is
one line (`UnreachableError`, `UnwritableError`, or an `UnknotError` for a damaged file).
"""

from __future__ import annotations

import functools
import json
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from unknot.errors import UnknotError
from unknot.history.places import database_url, identity, shown
from unknot.history.records import (
    MAX_SECONDS,
    STEP_FIELDS,
    RecordError,
    SessionRecord,
    as_datetime,
    check_needs,
    check_ratings,
    checked_sessions,
    checked_step,
    held,
    now,
    refusal,
    run_of,
    stamp,
)

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine, Row
    from sqlalchemy.sql.expression import TableClause

    from unknot.guide.player import StepRecord

MIGRATIONS = Path(__file__).parent / "migrations"
REACHABLE = "a database unknot can open (check its URL, or UNKNOT_DATABASE_URL)"
WRITABLE = "a history that can be written (a disk with room, a file and folder not read-only)"
# Seconds held, summed only where they are a number a step can hold: a row an older unknot let
# in (infinite, negative) counts as nothing instead of making every total infinite.
HELD = f"CASE WHEN st.held_seconds >= 0 AND st.held_seconds <= {MAX_SECONDS} THEN st.held_seconds ELSE 0 END"  # noqa: E501


class UnreachableError(UnknotError):
    """The database exists somewhere but cannot be reached now (a server down, a lost network)."""


class UnwritableError(UnreachableError):
    """The database was reached but does not take writes now: read-only, a full disk, a server
    that stopped halfway. A session goes on in a pending file, as when it cannot be reached."""


class Store:
    """The history database: opened (and migrated) once, written to through these methods.

    Opening it adds the sessions kept in pending files for this database (`added_from_pending`);
    `notices` holds one line for each pending file that was damaged or could not be added."""

    def __init__(self, url: str | None = None) -> None:
        from sqlalchemy import create_engine, event
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        self.url = database_url(url)
        self.shown = shown(self.url)  # the URL as messages say it, without its password
        expected = "sqlite:///PATH or postgresql+psycopg://USER@HOST/DB"
        try:
            backend = make_url(self.url).get_backend_name()
            options: dict[str, Any] = {}
            if backend == "postgresql":  # a server restarted since: a new connection, not a failure
                options = {"pool_pre_ping": True, "connect_args": {"connect_timeout": 10}}
            self.engine: Engine = create_engine(self.url, **options)
        except (ArgumentError, ModuleNotFoundError) as err:
            raise UnknotError(
                f"cannot use {self.shown!r} ({err})", field="database", expected=expected
            ) from None
        head, revisions = _revisions()
        if self.engine.dialect.name == "sqlite":

            @event.listens_for(self.engine, "connect")
            def _pragmas(connection: Any, record: Any) -> None:
                cursor = connection.cursor()
                cursor.execute("PRAGMA foreign_keys=ON")
                cursor.execute("PRAGMA busy_timeout=10000")  # other writers: wait, don't fail
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.close()

        with self._migration_lock():
            path = self._sqlite_path()
            # Before the first connection, which would already write; under the lock, so a
            # file another unknot is making this moment is seen made, not half made.
            if path is not None:
                from unknot.history.sqlite_file import vet

                vet(path, where=self.shown, revisions=revisions, head=head)
            self._migrate(head, revisions)
        from unknot.history.pending import hand_over

        handed = hand_over(identity(self.url), self._take_pending)
        self.added_from_pending = handed.added
        self.notices: list[str] = handed.notices

    def _sqlite_path(self) -> Path | None:
        """The SQLite file, if the history is one (not in memory, not a file: URI)."""
        database = self.engine.url.database
        if self.engine.dialect.name != "sqlite" or not database or database == ":memory:":
            return None
        return None if self.engine.url.query.get("uri") else Path(database)

    @contextmanager
    def _migration_lock(self) -> Iterator[None]:
        """One process at a time checks and migrates the schema (others wait, then find it done).

        SQLite: a lock file beside the database (pysqlite runs DDL outside any transaction, so
        another process could see half a schema). PostgreSQL: an advisory lock."""
        path = self._sqlite_path()
        if path is not None:
            import fcntl

            if not path.parent.is_dir():
                raise UnknotError(
                    "cannot be opened (its folder does not exist)", where=self.shown,
                    field="database",
                    expected="a SQLite file in a folder that exists and may be written",
                )  # fmt: skip
            try:
                lock = Path(f"{path}.lock").open("a")  # noqa: SIM115 - closed below
            except OSError:
                yield  # a read-only folder: nothing can be migrated in it, it can only be read
                return
            with lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                try:
                    yield
                finally:
                    fcntl.flock(lock, fcntl.LOCK_UN)
        elif self.engine.dialect.name == "postgresql":
            from sqlalchemy import text
            from sqlalchemy.exc import DBAPIError

            try:
                connection = self.engine.connect()
            except DBAPIError as err:
                raise self._failed(err, writing=False) from None
            with connection:
                connection.execute(text("SELECT pg_advisory_lock(726354)"))
                try:
                    yield
                finally:
                    connection.execute(text("SELECT pg_advisory_unlock(726354)"))
        else:
            yield

    # -- schema ----------------------------------------------------------------------------------
    def _migrate(self, head: str, revisions: frozenset[str]) -> None:
        from alembic import command
        from alembic.runtime.migration import MigrationContext
        from sqlalchemy import inspect
        from sqlalchemy.exc import DBAPIError, OperationalError

        try:
            with self.engine.connect() as connection:
                tables = set(inspect(connection).get_table_names())
                current = MigrationContext.configure(connection).get_current_revision()
        except OperationalError as err:
            raise self._failed(err, writing=False) from None
        except DBAPIError as err:
            raise UnknotError(
                f"is not an unknot history ({_first_line(err)}); it was left untouched",
                where=self.shown, expected="an unknot history database, or a new path",
            ) from None  # fmt: skip
        if tables and current is None:
            raise UnknotError(
                "holds tables of something else; it was left untouched",
                where=self.shown,
                expected="an unknot history database, or a new path",
            )
        if current == head:
            return
        if current is not None and current not in revisions:
            from unknot.history.sqlite_file import newer

            raise newer(self.shown, current, head)
        if current is not None:
            self._backup(current)
        config = _alembic_config()
        try:
            with self.engine.begin() as connection:
                config.attributes["connection"] = connection
                command.upgrade(config, "head")
        except DBAPIError as err:
            # Another process opening a new history at the same moment may have migrated it
            # first (the whole migration is one transaction): then there is nothing left to do.
            try:
                with self.engine.connect() as connection:
                    done = MigrationContext.configure(connection).get_current_revision() == head
            except DBAPIError:
                done = False
            if not done:
                raise self._failed(err, writing=True) from None

    def _backup(self, revision: str) -> None:
        """Copy an older SQLite file aside before migrating it forward."""
        path = self._sqlite_path()
        if path is not None and path.exists():
            try:
                shutil.copy2(path, f"{path}.before-{revision}.bak")
            except OSError as err:
                raise UnwritableError(
                    f"cannot be copied aside before it is migrated ({err.strerror})",
                    where=self.shown, expected=WRITABLE,
                ) from None  # fmt: skip

    # -- talking to the database, every failure one line -----------------------------------------
    def _failed(self, err: Exception, *, writing: bool) -> UnknotError:
        from sqlalchemy.exc import OperationalError

        problem = _first_line(err)
        if writing:
            return UnwritableError(
                f"cannot be written ({problem})", where=self.shown, expected=WRITABLE
            )
        if isinstance(err, OperationalError):
            return UnreachableError(
                f"cannot be reached ({problem})", where=self.shown, expected=REACHABLE
            )
        return UnknotError(
            f"is damaged ({problem})", where=self.shown,
            expected="an unknot history that can be read (a copy from before, or an export)",
        )  # fmt: skip

    @contextmanager
    def _writing(self, *, dry_run: bool = False) -> Iterator[Connection]:
        """One transaction, all or nothing (with `dry_run`, rolled back at the end); the
        database failing is an `UnwritableError`."""
        from sqlalchemy.exc import DBAPIError

        try:
            with self.engine.connect() as connection, connection.begin() as transaction:
                yield connection
                if dry_run:
                    transaction.rollback()
        except DBAPIError as err:
            raise self._failed(err, writing=True) from None

    @contextmanager
    def _reading(self) -> Iterator[Connection]:
        from sqlalchemy.exc import DBAPIError

        try:
            with self.engine.connect() as connection:
                yield connection
        except DBAPIError as err:
            raise self._failed(err, writing=False) from None

    def check_writable(self) -> None:
        """An `UnwritableError` now, rather than at the first step, for a history that cannot
        be written (a read-only file or server); a full disk shows only when it is written."""
        from sqlalchemy import text

        with self._writing() as connection:
            connection.execute(text("UPDATE sessions SET id = id WHERE 1 = 0"))

    def _insert(
        self,
        connection: Connection,
        table: TableClause,
        row: dict[str, Any],
        keys: list[str],
        *,
        update: tuple[str, ...] = (),
        returning: str | None = None,
    ) -> Row[Any] | None:
        """Insert `row` unless one with the same `keys` is there (then update the `update`
        columns, or leave it); the `returning` column of a row inserted, else None."""
        name = self.engine.dialect.name
        if name in ("sqlite", "postgresql"):
            statement: Any  # each dialect's own Insert, with the same on_conflict_* methods
            if name == "sqlite":
                from sqlalchemy.dialects.sqlite import insert as sqlite_insert

                statement = sqlite_insert(table).values(row)
            else:
                from sqlalchemy.dialects.postgresql import insert as postgresql_insert

                statement = postgresql_insert(table).values(row)
            if update:
                excluded = statement.excluded
                statement = statement.on_conflict_do_update(
                    index_elements=keys, set_={c: excluded[c] for c in update}
                )
            else:
                statement = statement.on_conflict_do_nothing(index_elements=keys)
            if returning is None:
                connection.execute(statement)
                return None
            return connection.execute(statement.returning(table.c[returning])).first()
        return self._insert_elsewhere(connection, table, row, keys, update, returning)

    def _insert_elsewhere(
        self,
        connection: Connection,
        table: TableClause,
        row: dict[str, Any],
        keys: list[str],
        update: tuple[str, ...],
        returning: str | None,
    ) -> Row[Any] | None:
        """The same on a database without ON CONFLICT: a savepoint, and the unique index's
        refusal taken as "there already"."""
        from sqlalchemy import and_, insert
        from sqlalchemy import update as update_
        from sqlalchemy.exc import IntegrityError

        statement = insert(table).values(row)
        try:
            with connection.begin_nested():
                if returning is None:
                    connection.execute(statement)
                    return None
                return connection.execute(statement.returning(table.c[returning])).first()
        except IntegrityError:
            if update:
                match = and_(*(table.c[k] == row[k] for k in keys))
                connection.execute(update_(table).where(match).values({c: row[c] for c in update}))
            return None

    # -- writing ---------------------------------------------------------------------------------
    def start_session(self, session: dict[str, Any]) -> int:
        """A new session (`records.new_session`); given one whose uid is here already (a request
        sent again by a player whose network dropped, or sent twice at once), that session's
        id, and nothing is written twice."""
        with self._writing() as connection:
            return self._add_session(connection, session)[0]

    def record_step(self, session_id: int, position: int, record: StepRecord) -> None:
        """One step as it finished: written at once, so a killed session keeps it. A position
        already recorded is left as it is (the same step sent again)."""
        row = checked_step(position, record)
        with self._writing() as connection:
            self._add_step(connection, session_id, row)

    def finish(self, session_id: int, finished: bool, after: dict[str, int]) -> None:
        from sqlalchemy import text

        try:
            check_ratings(after, "after")
        except RecordError as err:
            raise refusal(err, "session") from None
        with self._writing() as connection:
            connection.execute(
                text("UPDATE sessions SET ended_at = :ended, finished = :finished WHERE id = :id"),
                {"ended": now(), "finished": bool(finished), "id": session_id},
            )
            connection.execute(  # sent again, the after ratings replace, never add up
                text("DELETE FROM ratings WHERE session_id = :id AND moment = 'after'"),
                {"id": session_id},
            )
            self._ratings(connection, session_id, "after", after, replace=True)

    def rate(self, session_id: int, moment: str, ratings: dict[str, int]) -> None:
        """Add ratings to a session (the after ones, asked once the session is closed); an area
        rated again takes the new value."""
        try:
            if moment not in ("before", "after"):
                raise RecordError(f"{moment!r} is not a moment", "before or after")
            check_ratings(ratings, moment)
        except RecordError as err:
            raise refusal(err, "ratings") from None
        with self._writing() as connection:
            self._ratings(connection, session_id, moment, ratings, replace=True)

    def _add_session(self, connection: Connection, session: dict[str, Any]) -> tuple[int, bool]:
        """(its id, True) for a session added; (the id, False) for one whose uid is here."""
        from sqlalchemy import text

        sessions, _, _ = _tables()
        row = {
            "uid": session["uid"], "started_at": as_datetime(session["started_at"]),
            "ended_at": as_datetime(session["ended_at"]) if session["ended_at"] else None,
            "routine": session["routine"], "needs": check_needs(session["needs"]),
            "planned_seconds": session["planned_seconds"], "finished": session["finished"],
        }  # fmt: skip
        added = self._insert(connection, sessions, row, ["uid"], returning="id")
        if added is None:
            known = connection.execute(
                text("SELECT id FROM sessions WHERE uid = :uid"), {"uid": session["uid"]}
            ).scalar_one()
            return int(known), False
        session_id = int(added[0])
        for moment in ("before", "after"):
            self._ratings(connection, session_id, moment, session["ratings"][moment])
        return session_id, True

    def _add_step(self, connection: Connection, session_id: int, step: dict[str, Any]) -> None:
        _, steps, _ = _tables()
        row = {name: step[name] for name in STEP_FIELDS} | {
            "session_id": session_id,
            "areas": json.dumps(step["areas"], sort_keys=True),
            "done_at": as_datetime(step["done_at"]),
        }
        self._insert(connection, steps, row, ["session_id", "position"])

    def _ratings(
        self,
        connection: Connection,
        session_id: int,
        moment: str,
        ratings: dict[str, int],
        *,
        replace: bool = False,
    ) -> None:
        _, _, table = _tables()
        for area, value in ratings.items():
            row = {"session_id": session_id, "moment": moment, "area": area, "value": value}
            keys = ["session_id", "moment", "area"]
            self._insert(connection, table, row, keys, update=("value",) if replace else ())

    def _take_pending(self, session: dict[str, Any]) -> None:
        """A session kept in a pending file, merged in: all of it if it is new; if it began
        here (the database stopped taking it halfway), the steps it lacks, and its end."""
        from sqlalchemy import text

        with self._writing() as connection:
            session_id, added = self._add_session(connection, session)
            for step in session["steps"]:
                self._add_step(connection, session_id, step)
            if added:
                return
            if session["ended_at"]:
                connection.execute(
                    text("UPDATE sessions SET ended_at = :ended, finished = :finished "
                         "WHERE id = :id"),
                    {"ended": as_datetime(session["ended_at"]), "finished": session["finished"],
                     "id": session_id},
                )  # fmt: skip
            self._ratings(connection, session_id, "before", session["ratings"]["before"])
            ratings_after = session["ratings"]["after"]
            self._ratings(connection, session_id, "after", ratings_after, replace=True)

    def session_id(self, uid: str) -> int | None:
        from sqlalchemy import text

        with self._reading() as connection:
            found = connection.execute(
                text("SELECT id FROM sessions WHERE uid = :uid"), {"uid": uid}
            ).scalar()
        return None if found is None else int(found)

    def forget(self, uid: str) -> bool:
        """Delete one session and everything recorded with it; False if there was none."""
        from sqlalchemy import text

        with self._writing() as connection:
            gone = connection.execute(text("DELETE FROM sessions WHERE uid = :uid"), {"uid": uid})
        return gone.rowcount > 0

    # -- reading ---------------------------------------------------------------------------------
    def sessions(self, limit: int | None = None) -> list[SessionRecord]:
        """Recent sessions, newest first."""
        from sqlalchemy import text

        with self._reading() as connection:
            rows = connection.execute(
                text(
                    "SELECT s.id, s.uid, s.started_at, s.ended_at, s.routine, s.planned_seconds, "
                    f"s.finished, COUNT(st.id), COALESCE(SUM({HELD}), 0), s.needs FROM sessions s "
                    "LEFT JOIN steps st ON st.session_id = s.id GROUP BY s.id "
                    "ORDER BY s.started_at DESC, s.id DESC"
                    + (f" LIMIT {int(limit)}" if limit else "")
                )
            ).all()
            ratings: dict[int, dict[str, dict[str, int]]] = {}
            for session_id, moment, area, value in connection.execute(
                text("SELECT session_id, moment, area, value FROM ratings")
            ):
                ratings.setdefault(session_id, {}).setdefault(moment, {})[area] = value
        return [
            SessionRecord(
                uid,
                as_datetime(started),
                as_datetime(ended) if ended else None,
                routine,
                planned,
                bool(finished),
                int(steps),
                held(total),
                ratings.get(sid, {}).get("before", {}),
                ratings.get(sid, {}).get("after", {}),
                run_of(needs),
            )
            for sid, uid, started, ended, routine, planned, finished, steps, total, needs in rows
        ]

    def area_seconds(self) -> dict[str, float]:
        """Seconds held in poses that stretch each area, over the whole history."""
        from sqlalchemy import text

        with self._reading() as connection:  # summed per pose's areas by the database
            rows = connection.execute(
                text(f"SELECT st.areas, SUM({HELD}) FROM steps st GROUP BY st.areas")
            ).all()
        totals: dict[str, float] = {}
        for areas, total in rows:
            try:
                named = json.loads(areas)
            except (TypeError, ValueError, RecursionError):
                continue  # a row no unknot wrote: it names no area
            for area in named if isinstance(named, dict) else ():
                totals[area] = totals.get(area, 0.0) + held(total)
        return totals

    # -- moving history ----------------------------------------------------------------------
    def export(self, uid: str | None = None) -> dict[str, Any]:
        """Everything (or the session `uid`), as plain data: import it into another store to
        get the same history."""
        from sqlalchemy import text

        where, inside, params = "", "", {}
        if uid is not None:
            where, params = " WHERE uid = :uid", {"uid": uid}
            inside = " WHERE session_id IN (SELECT id FROM sessions WHERE uid = :uid)"

        def rows(sql: str) -> list[Any]:
            return list(connection.execute(text(sql), params).mappings().all())

        with self._reading() as connection:
            sessions = rows(f"SELECT * FROM sessions{where} ORDER BY id")
            steps = rows(f"SELECT * FROM steps{inside} ORDER BY session_id, position, id")
            ratings = rows(f"SELECT * FROM ratings{inside} ORDER BY id")
        by_id: dict[int, dict[str, Any]] = {}
        for row in sessions:
            by_id[row["id"]] = {
                "uid": row["uid"],
                "started_at": stamp(row["started_at"]),
                "ended_at": stamp(row["ended_at"]) if row["ended_at"] else None,
                "routine": row["routine"],
                "needs": json.loads(row["needs"]),
                "planned_seconds": row["planned_seconds"],
                "finished": bool(row["finished"]),
                "steps": [],
                "ratings": {"before": {}, "after": {}},
            }
        for row in steps:
            by_id[row["session_id"]]["steps"].append(
                {k: row[k] for k in STEP_FIELDS}
                | {
                    "held_seconds": held(row["held_seconds"]),
                    "areas": json.loads(row["areas"]),
                    "done_at": stamp(row["done_at"]),
                }
            )
        for row in ratings:
            by_id[row["session_id"]]["ratings"][row["moment"]][row["area"]] = row["value"]
        return {"format": "unknot-history", "version": 1, "sessions": list(by_id.values())}

    def import_(self, data: dict[str, Any], *, dry_run: bool = False) -> int:
        """Sessions from an export; one already here (same uid) is skipped. Returns how many
        were added, or with `dry_run` would be: the same transaction, rolled back. All or
        nothing: every session is checked first, and one that is wrong refuses the whole."""
        sessions = checked_sessions(data)
        added = 0
        with self._writing(dry_run=dry_run) as connection:
            for session in sessions:
                session_id, new = self._add_session(connection, session)
                if new:
                    for step in session["steps"]:
                        self._add_step(connection, session_id, step)
                    added += 1
        return added


def _first_line(err: Exception) -> str:
    orig = getattr(err, "orig", None) or err
    lines = str(orig).strip().splitlines()
    return lines[0] if lines else type(orig).__name__


def _alembic_config() -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


@functools.cache
def _revisions() -> tuple[str, frozenset[str]]:
    """The newest revision this unknot knows, and every one it knows."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(_alembic_config())
    head = script.get_current_head()
    assert head is not None
    return head, frozenset(r.revision for r in script.walk_revisions())


@functools.cache
def _tables() -> tuple[TableClause, TableClause, TableClause]:
    """The tables, for inserts built by SQLAlchemy (the schema itself is the migrations'). The
    columns carry no types, so values reach the driver as they are, as with text()."""
    from sqlalchemy import column, table

    sessions = table(
        "sessions",
        *(column(c) for c in ("id", "uid", "started_at", "ended_at", "routine", "needs")),
        column("planned_seconds"),
        column("finished"),
    )
    steps = table("steps", column("id"), column("session_id"), *(column(c) for c in STEP_FIELDS))
    ratings = table(
        "ratings", *(column(c) for c in ("id", "session_id", "moment", "area", "value"))
    )
    return sessions, steps, ratings
