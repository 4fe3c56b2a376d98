"""Every guided session remembered: when, which routine and needs, each step as it was really
done, and how tight each area felt before and after. All writes go through `Store`.

The database is SQLite in the user's data directory by default (WAL, foreign keys on), or any
SQLAlchemy URL in `UNKNOT_DATABASE_URL` or `--database`. The schema is Alembic's migrations in
`unknot/migrations`, run by themselves on first use; an older SQLite file is copied aside before
it is migrated forward. Steps are written as they finish, so a session that is killed halfway is
kept, as partial, with what was done.
"""

from __future__ import annotations

import json
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from unknot.errors import UnknotError
from unknot.history.places import database_url, pending_folder
from unknot.history.records import (
    STEP_FIELDS,
    SessionRecord,
    as_datetime,
    now,
    stamp,
    step_row,
)

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine

    from unknot.guide.player import StepRecord

MIGRATIONS = Path(__file__).parent / "migrations"


class UnreachableError(UnknotError):
    """The database exists somewhere but cannot be reached now (a server down, a lost network)."""


class Store:
    """The history database: opened (and migrated) once, written to through these methods."""

    def __init__(self, url: str | None = None) -> None:
        from sqlalchemy import create_engine, event
        from sqlalchemy.exc import ArgumentError, OperationalError

        self.url = database_url(url)
        try:
            self.engine: Engine = create_engine(self.url, future=True)
        except (ArgumentError, ModuleNotFoundError) as err:
            raise UnknotError(
                f"cannot use {self.url!r} ({err})", field="database",
                expected="sqlite:///PATH or postgresql+psycopg://USER@HOST/DB",
            ) from None  # fmt: skip
        if self.engine.dialect.name == "sqlite":

            @event.listens_for(self.engine, "connect")
            def _pragmas(connection: Any, record: Any) -> None:
                cursor = connection.cursor()
                cursor.execute("PRAGMA foreign_keys=ON")
                cursor.execute("PRAGMA busy_timeout=10000")  # other writers: wait, don't fail
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.close()

        try:
            with self._migration_lock():
                self._migrate()
        except OperationalError as err:
            raise UnreachableError(
                f"cannot be reached ({str(err.orig).splitlines()[0]})", where=self.url,
                expected="a database unknot can open (check its URL, or UNKNOT_DATABASE_URL)",
            ) from None  # fmt: skip
        self.added_from_pending = self._add_pending()

    def _add_pending(self) -> int:
        """Sessions kept in local files while the database could not be reached, added now."""
        added = 0
        for kept in sorted(pending_folder().glob("*.json")):
            try:
                session = json.loads(kept.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue  # being written this very moment, or damaged: left for later
            added += self.import_({"sessions": [session]})
            kept.unlink(missing_ok=True)
        return added

    @contextmanager
    def _migration_lock(self) -> Iterator[None]:
        """One process at a time checks and migrates the schema (others wait, then find it done).

        SQLite: a lock file beside the database (pysqlite runs DDL outside any transaction, so
        another process could see half a schema). PostgreSQL: an advisory lock."""
        database = self.engine.url.database
        if self.engine.dialect.name == "sqlite" and database and database != ":memory:":
            import fcntl

            try:
                lock = Path(f"{database}.lock").open("a")  # noqa: SIM115 - closed below
            except OSError as err:
                raise UnknotError(
                    f"cannot be opened ({err.strerror})", where=self.url, field="database",
                    expected="a SQLite file in a folder that exists and may be written",
                ) from None  # fmt: skip
            with lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                try:
                    yield
                finally:
                    fcntl.flock(lock, fcntl.LOCK_UN)
        elif self.engine.dialect.name == "postgresql":
            from sqlalchemy import text

            with self.engine.connect() as connection:
                connection.execute(text("SELECT pg_advisory_lock(726354)"))
                try:
                    yield
                finally:
                    connection.execute(text("SELECT pg_advisory_unlock(726354)"))
        else:
            yield

    # -- schema ----------------------------------------------------------------------------------
    def _migrate(self) -> None:
        from alembic import command
        from alembic.config import Config
        from alembic.runtime.migration import MigrationContext
        from alembic.script import ScriptDirectory
        from sqlalchemy import inspect
        from sqlalchemy.exc import DatabaseError, OperationalError

        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        head = ScriptDirectory.from_config(config).get_current_head()
        try:
            with self.engine.connect() as connection:
                tables = set(inspect(connection).get_table_names())
                current = MigrationContext.configure(connection).get_current_revision()
        except OperationalError:
            raise  # cannot be reached: reported as such by the caller
        except DatabaseError as err:
            problem = str(err.orig).splitlines()[0]
            raise UnknotError(
                f"is not an unknot history ({problem}); it was left untouched",
                where=self.url,
                expected="an unknot history database, or a new path",
            ) from None
        if tables and current is None:
            raise UnknotError(
                "holds tables of something else; it was left untouched",
                where=self.url,
                expected="an unknot history database, or a new path",
            )
        if current == head:
            return
        if current is not None:
            self._backup(current)
        try:
            with self.engine.begin() as connection:
                config.attributes["connection"] = connection
                command.upgrade(config, "head")
        except DatabaseError:
            # Another process opening a new history at the same moment may have migrated it
            # first (the whole migration is one transaction): then there is nothing left to do.
            with self.engine.connect() as connection:
                if MigrationContext.configure(connection).get_current_revision() != head:
                    raise

    def _backup(self, revision: str) -> None:
        """Copy an older SQLite file aside before migrating it forward."""
        database = self.engine.url.database
        if self.engine.dialect.name == "sqlite" and database and Path(database).exists():
            shutil.copy2(database, f"{database}.before-{revision}.bak")

    # -- writing ---------------------------------------------------------------------------------
    def start_session(
        self,
        routine: str,
        needs: dict[str, Any],
        planned_seconds: int,
        before: dict[str, int],
        uid: str | None = None,
    ) -> int:
        """A new session; given the `uid` of one already started (a request sent again by a
        player whose network dropped), that session's id, and nothing is written twice."""
        from sqlalchemy import text

        known = self.session_id(uid) if uid is not None else None
        if known is not None:
            return known
        with self.engine.begin() as connection:
            row = connection.execute(
                text(
                    "INSERT INTO sessions (uid, started_at, routine, needs, planned_seconds, "
                    "finished) VALUES (:uid, :started, :routine, :needs, :planned, :finished) "
                    "RETURNING id"
                ),
                {
                    "uid": uid or str(uuid.uuid4()),
                    "started": now(),
                    "routine": routine,
                    "needs": json.dumps(needs, sort_keys=True),
                    "planned": planned_seconds,
                    "finished": False,
                },
            ).one()
            self._ratings(connection, int(row[0]), "before", before)
        return int(row[0])

    def record_step(self, session_id: int, position: int, record: StepRecord) -> None:
        """One step as it finished: written at once, so a killed session keeps it. A position
        already recorded is left as it is (the same step sent again)."""
        from sqlalchemy import text

        with self.engine.begin() as connection:
            if connection.execute(
                text("SELECT 1 FROM steps WHERE session_id = :session AND position = :position"),
                {"session": session_id, "position": position},
            ).first():
                return
            _insert_step(connection, session_id, step_row(position, record))

    def finish(self, session_id: int, finished: bool, after: dict[str, int]) -> None:
        from sqlalchemy import text

        with self.engine.begin() as connection:
            connection.execute(
                text("UPDATE sessions SET ended_at = :ended, finished = :finished WHERE id = :id"),
                {"ended": now(), "finished": finished, "id": session_id},
            )
            connection.execute(  # sent again, the after ratings replace, never add up
                text("DELETE FROM ratings WHERE session_id = :id AND moment = 'after'"),
                {"id": session_id},
            )
            self._ratings(connection, session_id, "after", after)

    def _ratings(
        self, connection: Connection, session_id: int, moment: str, ratings: dict[str, int]
    ) -> None:
        from sqlalchemy import text

        for area, value in ratings.items():
            connection.execute(
                text(
                    "INSERT INTO ratings (session_id, moment, area, value) "
                    "VALUES (:session, :moment, :area, :value)"
                ),
                {"session": session_id, "moment": moment, "area": area, "value": value},
            )

    def rate(self, session_id: int, moment: str, ratings: dict[str, int]) -> None:
        """Add ratings to a session (the after ones, asked once the session is closed)."""
        with self.engine.begin() as connection:
            self._ratings(connection, session_id, moment, ratings)

    def session_id(self, uid: str) -> int | None:
        from sqlalchemy import text

        with self.engine.connect() as connection:
            found = connection.execute(
                text("SELECT id FROM sessions WHERE uid = :uid"), {"uid": uid}
            ).scalar()
        return None if found is None else int(found)

    def forget(self, uid: str) -> bool:
        """Delete one session and everything recorded with it; False if there was none."""
        from sqlalchemy import text

        with self.engine.begin() as connection:
            gone = connection.execute(text("DELETE FROM sessions WHERE uid = :uid"), {"uid": uid})
        return gone.rowcount > 0

    # -- reading ---------------------------------------------------------------------------------
    def sessions(self, limit: int | None = None) -> list[SessionRecord]:
        """Recent sessions, newest first."""
        from sqlalchemy import text

        with self.engine.connect() as connection:
            rows = connection.execute(
                text(
                    "SELECT s.id, s.uid, s.started_at, s.ended_at, s.routine, s.planned_seconds, "
                    "s.finished, COUNT(st.id), COALESCE(SUM(st.held_seconds), 0) FROM sessions s "
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
                float(held),
                ratings.get(sid, {}).get("before", {}),
                ratings.get(sid, {}).get("after", {}),
            )
            for sid, uid, started, ended, routine, planned, finished, steps, held in rows
        ]

    def area_seconds(self) -> dict[str, float]:
        """Seconds held in poses that stretch each area, over the whole history."""
        from sqlalchemy import text

        with self.engine.connect() as connection:  # summed per pose's areas by the database
            rows = connection.execute(
                text("SELECT areas, SUM(held_seconds) FROM steps GROUP BY areas")
            ).all()
        totals: dict[str, float] = {}
        for areas, held in rows:
            for area in json.loads(areas):
                totals[area] = totals.get(area, 0.0) + float(held)
        return totals

    # -- moving history ----------------------------------------------------------------------
    def export(self) -> dict[str, Any]:
        """Everything, as plain data: import it into another store to get the same history."""
        from sqlalchemy import text

        with self.engine.connect() as connection:
            sessions = (
                connection.execute(text("SELECT * FROM sessions ORDER BY id")).mappings().all()
            )
            steps = (
                connection.execute(text("SELECT * FROM steps ORDER BY session_id, position, id"))
                .mappings()
                .all()
            )
            ratings = connection.execute(text("SELECT * FROM ratings ORDER BY id")).mappings().all()
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
                | {"areas": json.loads(row["areas"]), "done_at": stamp(row["done_at"])}
            )
        for row in ratings:
            by_id[row["session_id"]]["ratings"][row["moment"]][row["area"]] = row["value"]
        return {"format": "unknot-history", "version": 1, "sessions": list(by_id.values())}

    def import_(self, data: dict[str, Any]) -> int:
        """Sessions from an export; one already here (same uid) is skipped. Returns how many."""
        from sqlalchemy import text

        added = 0
        with self.engine.begin() as connection:
            known = {uid for (uid,) in connection.execute(text("SELECT uid FROM sessions"))}
            for session in data["sessions"]:
                if session["uid"] in known:
                    continue
                row = connection.execute(
                    text(
                        "INSERT INTO sessions (uid, started_at, ended_at, routine, needs, "
                        "planned_seconds, finished) VALUES (:uid, :started, :ended, :routine, "
                        ":needs, :planned, :finished) RETURNING id"
                    ),
                    {
                        "uid": session["uid"],
                        "started": as_datetime(session["started_at"]),
                        "ended": as_datetime(session["ended_at"]) if session["ended_at"] else None,
                        "routine": session["routine"],
                        "needs": json.dumps(session["needs"], sort_keys=True),
                        "planned": session["planned_seconds"],
                        "finished": session["finished"],
                    },
                ).one()
                for step in session["steps"]:
                    _insert_step(connection, int(row[0]), step)
                for moment in ("before", "after"):
                    self._ratings(connection, int(row[0]), moment, session["ratings"][moment])
                added += 1
        return added


def _insert_step(connection: Connection, session_id: int, step: dict[str, Any]) -> None:
    """A step row (`records.step_row`'s shape) into the steps table."""
    from sqlalchemy import text

    columns = ", ".join(STEP_FIELDS)
    values = ", ".join(f":{name}" for name in STEP_FIELDS)
    connection.execute(
        text(f"INSERT INTO steps (session_id, {columns}) VALUES (:session_id, {values})"),
        step | {"session_id": session_id, "areas": json.dumps(step["areas"]),
                "done_at": as_datetime(step["done_at"])},
    )  # fmt: skip
