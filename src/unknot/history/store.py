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
import os
import shutil
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from unknot.errors import UnknotError

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine

    from unknot.guide.player import StepRecord

MIGRATIONS = Path(__file__).parent / "migrations"


class UnreachableError(UnknotError):
    """The database exists somewhere but cannot be reached now (a server down, a lost network)."""


RATING_RANGE = (0, 10)


class SessionRecord(NamedTuple):
    uid: str
    started_at: datetime
    ended_at: datetime | None
    routine: str
    planned_seconds: int
    finished: bool
    steps: int
    held_seconds: float
    before: dict[str, int]
    after: dict[str, int]

    @property
    def status(self) -> str:
        if self.ended_at is None:
            return "partial"  # the process ended without closing it: killed, or the power went
        return "finished" if self.finished else "stopped"

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.uid, "started_at": self.started_at.isoformat(), "routine": self.routine,
            "status": self.status, "steps": self.steps, "held_seconds": round(self.held_seconds, 1),
            "planned_seconds": self.planned_seconds, "before": self.before, "after": self.after,
        }  # fmt: skip


def data_dir() -> Path:
    from platformdirs import user_data_dir

    folder = Path(user_data_dir("unknot"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def database_url(explicit: str | None = None) -> str:
    """Where the history lives: --database, else UNKNOT_DATABASE_URL, else the user's data dir."""
    if explicit:
        return explicit
    configured = os.environ.get("UNKNOT_DATABASE_URL")
    if configured:
        return configured
    return f"sqlite:///{data_dir() / 'history.db'}"


def _now() -> datetime:
    return datetime.now(UTC)


def _utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


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
                expected="a database unknot can open (check --database or UNKNOT_DATABASE_URL)",
            ) from None  # fmt: skip
        self.added_from_pending = self._add_pending()

    def _add_pending(self) -> int:
        """Sessions kept in local files while the database could not be reached, added now."""
        added = 0
        for kept in sorted(PendingSession.folder().glob("*.json")):
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

            with Path(f"{database}.lock").open("a") as lock:
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
                    "started": _now(),
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

        entry = record.entry
        with self.engine.begin() as connection:
            if connection.execute(
                text("SELECT 1 FROM steps WHERE session_id = :session AND position = :position"),
                {"session": session_id, "position": position},
            ).first():
                return
            connection.execute(
                text(
                    "INSERT INTO steps (session_id, position, pose, side, planned_seconds, "
                    "held_seconds, outcome, areas, done_at) VALUES (:session, :position, :pose, "
                    ":side, :planned, :held, :outcome, :areas, :done)"
                ),
                {
                    "session": session_id,
                    "position": position,
                    "pose": entry.name,
                    "side": entry.side,
                    "planned": entry.hold,
                    "held": record.held,
                    "outcome": record.outcome.value,
                    "areas": json.dumps(dict(entry.pose.areas) if entry.pose else {}),
                    "done": _now(),
                },
            )

    def finish(self, session_id: int, finished: bool, after: dict[str, int]) -> None:
        from sqlalchemy import text

        with self.engine.begin() as connection:
            connection.execute(
                text("UPDATE sessions SET ended_at = :ended, finished = :finished WHERE id = :id"),
                {"ended": _now(), "finished": finished, "id": session_id},
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
                _as_datetime(started),
                _as_datetime(ended) if ended else None,
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
                "started_at": _stamp(row["started_at"]),
                "ended_at": _stamp(row["ended_at"]) if row["ended_at"] else None,
                "routine": row["routine"],
                "needs": json.loads(row["needs"]),
                "planned_seconds": row["planned_seconds"],
                "finished": bool(row["finished"]),
                "steps": [],
                "ratings": {"before": {}, "after": {}},
            }
        for row in steps:
            by_id[row["session_id"]]["steps"].append(
                {
                    k: row[k]
                    for k in (
                        "position",
                        "pose",
                        "side",
                        "planned_seconds",
                        "held_seconds",
                        "outcome",
                    )
                }
                | {"areas": json.loads(row["areas"]), "done_at": _stamp(row["done_at"])}
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
                        "started": _as_datetime(session["started_at"]),
                        "ended": _as_datetime(session["ended_at"]) if session["ended_at"] else None,
                        "routine": session["routine"],
                        "needs": json.dumps(session["needs"], sort_keys=True),
                        "planned": session["planned_seconds"],
                        "finished": session["finished"],
                    },
                ).one()
                for step in session["steps"]:
                    connection.execute(
                        text(
                            "INSERT INTO steps (session_id, position, pose, side, planned_seconds, "
                            "held_seconds, outcome, areas, done_at) VALUES (:session, :position, "
                            ":pose, :side, :planned, :held, :outcome, :areas, :done)"
                        ),
                        {
                            "session": row[0], "position": step["position"], "pose": step["pose"],
                            "side": step["side"], "planned": step["planned_seconds"],
                            "held": step["held_seconds"], "outcome": step["outcome"],
                            "areas": json.dumps(step["areas"]),
                            "done": _as_datetime(step["done_at"]),
                        },
                    )  # fmt: skip
                for moment in ("before", "after"):
                    self._ratings(connection, int(row[0]), moment, session["ratings"][moment])
                added += 1
        return added


def _as_datetime(value: Any) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    result = _utc(value)
    assert result is not None
    return result


def _stamp(value: Any) -> str:
    return _as_datetime(value).isoformat()


# -- what the history says ---------------------------------------------------------------------
def streaks(days: Iterable[date], today: date) -> tuple[int, int]:
    """(current, longest) runs of consecutive days with a session; today may still be to come."""
    ordered = sorted(set(days))
    longest = run = 0
    previous: date | None = None
    for day in ordered:
        run = run + 1 if previous is not None and day - previous == timedelta(days=1) else 1
        longest = max(longest, run)
        previous = day
    current = 0
    day = today if today in ordered else today - timedelta(days=1)
    present = set(ordered)
    while day in present:
        current += 1
        day -= timedelta(days=1)
    return current, longest


def stats(store: Store, today: date | None = None) -> dict[str, Any]:
    """Streaks, minutes per week, areas stretched most and least, tightness before and after."""
    today = today or datetime.now().astimezone().date()
    sessions = store.sessions()
    local_days = [s.started_at.astimezone().date() for s in sessions]
    current, longest = streaks(local_days, today)
    weeks: dict[str, float] = {}
    for session, day in zip(sessions, local_days, strict=True):
        monday = day - timedelta(days=day.weekday())
        weeks[monday.isoformat()] = weeks.get(monday.isoformat(), 0.0) + session.held_seconds / 60
    areas = store.area_seconds()
    ranked = sorted(areas.items(), key=lambda kv: -kv[1])
    tightness: dict[str, dict[str, Any]] = {}
    for session in sessions:
        for area in set(session.before) & set(session.after):
            entry = tightness.setdefault(area, {"sessions": 0, "before": 0.0, "after": 0.0})
            entry["sessions"] += 1
            entry["before"] += session.before[area]
            entry["after"] += session.after[area]
    for entry in tightness.values():
        entry["before"] = round(entry["before"] / entry["sessions"], 2)
        entry["after"] = round(entry["after"] / entry["sessions"], 2)
    return {
        "sessions": len(sessions),
        "finished": sum(s.status == "finished" for s in sessions),
        "minutes": round(sum(s.held_seconds for s in sessions) / 60, 1),
        "streak": {"current_days": current, "longest_days": longest},
        "minutes_per_week": {week: round(m, 1) for week, m in sorted(weeks.items())},
        "areas_most": [{"area": a, "minutes": round(s / 60, 1)} for a, s in ranked[:3]],
        "areas_least": [{"area": a, "minutes": round(s / 60, 1)} for a, s in ranked[-3:][::-1]],
        "tightness": dict(sorted(tightness.items())),
    }


def parse_ratings(text: str | None, option: str) -> dict[str, int]:
    """`hips:6,calves:4` -> {area: 0-10}, groups expanded to their areas."""
    if not text:
        return {}
    from unknot.catalog.vocabulary import vocabulary

    ratings: dict[str, int] = {}
    for word in (w.strip() for w in text.split(",") if w.strip()):
        name, _, value = word.partition(":")
        if not value.strip().isdigit() or not RATING_RANGE[0] <= int(value) <= RATING_RANGE[1]:
            raise UnknotError(
                f"{word!r} has no rating from 0 to 10",
                field=option,
                expected="areas with how tight they feel, 0 to 10: hips:6,calves:4",
            )
        for area in vocabulary().resolve_areas([name.strip()], field=option):
            ratings[area] = int(value)
    return ratings


class PendingSession:
    """A session kept in a local file while the database cannot be reached, in the export's
    format; the next time a Store opens, it is added to the history and the file removed."""

    def __init__(self, uid: str | None = None) -> None:
        self.uid = uid or str(uuid.uuid4())
        self.path = self.folder() / f"{self.uid}.json"
        self.data: dict[str, Any] = {}

    @staticmethod
    def folder() -> Path:
        folder = data_dir() / "pending"
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def _save(self) -> None:
        from unknot.files import save

        save(self.path, json.dumps(self.data).encode(), what="pending session")

    def start_session(
        self,
        routine: str,
        needs: dict[str, Any],
        planned_seconds: int,
        before: dict[str, int],
        uid: str | None = None,
    ) -> int:
        if self.path.exists():  # the same session sent again
            self.data = json.loads(self.path.read_text(encoding="utf-8"))
            return 0
        self.data = {
            "uid": self.uid, "started_at": _now().isoformat(), "ended_at": None,
            "routine": routine, "needs": needs, "planned_seconds": planned_seconds,
            "finished": False, "steps": [], "ratings": {"before": before, "after": {}},
        }  # fmt: skip
        self._save()
        return 0

    def record_step(self, session_id: int, position: int, record: StepRecord) -> None:
        entry = record.entry
        if any(step["position"] == position for step in self.data["steps"]):
            return
        self.data["steps"].append(
            {
                "position": position, "pose": entry.name, "side": entry.side,
                "planned_seconds": entry.hold, "held_seconds": record.held,
                "outcome": record.outcome.value,
                "areas": dict(entry.pose.areas) if entry.pose else {},
                "done_at": _now().isoformat(),
            }
        )  # fmt: skip
        self._save()

    def finish(self, session_id: int, finished: bool, after: dict[str, int]) -> None:
        self.data.update(ended_at=_now().isoformat(), finished=finished)
        self.data["ratings"]["after"] = after
        self._save()

    def rate(self, session_id: int, moment: str, ratings: dict[str, int]) -> None:
        self.data["ratings"][moment].update(ratings)
        self._save()


CSV_COLUMNS = (
    "session", "started_at", "ended_at", "routine", "needs", "planned_seconds", "finished",
    "before", "after", "position", "pose", "side", "step_planned_seconds", "held_seconds",
    "outcome", "areas", "done_at",
)  # fmt: skip


def to_csv(data: dict[str, Any]) -> str:
    """An export as CSV: one row per step, the session's fields on each (a session without
    steps gets one row with the step's fields empty); JSON inside cells where a value is a map."""
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for session in data["sessions"]:
        head = [
            session["uid"], session["started_at"], session["ended_at"] or "", session["routine"],
            json.dumps(session["needs"], sort_keys=True), session["planned_seconds"],
            int(session["finished"]), json.dumps(session["ratings"]["before"], sort_keys=True),
            json.dumps(session["ratings"]["after"], sort_keys=True),
        ]  # fmt: skip
        for step in session["steps"] or [None]:
            tail = ["", "", "", "", "", "", "", ""] if step is None else [
                step["position"], step["pose"], step["side"] or "", step["planned_seconds"],
                repr(float(step["held_seconds"])), step["outcome"],
                json.dumps(step["areas"], sort_keys=True), step["done_at"],
            ]  # fmt: skip
            writer.writerow(head + tail)
    return out.getvalue()


def from_csv(text: str) -> dict[str, Any]:
    """The export that `to_csv` wrote, back as data."""
    import csv
    import io

    reader = csv.DictReader(io.StringIO(text))
    if tuple(reader.fieldnames or ()) != CSV_COLUMNS:
        raise ValueError("not an unknot history CSV")
    sessions: dict[str, dict[str, Any]] = {}
    for row in reader:
        session = sessions.setdefault(
            row["session"],
            {
                "uid": row["session"], "started_at": row["started_at"],
                "ended_at": row["ended_at"] or None, "routine": row["routine"],
                "needs": json.loads(row["needs"]), "planned_seconds": int(row["planned_seconds"]),
                "finished": row["finished"] == "1", "steps": [],
                "ratings": {"before": json.loads(row["before"]), "after": json.loads(row["after"])},
            },
        )  # fmt: skip
        if row["position"]:
            session["steps"].append(
                {
                    "position": int(row["position"]), "pose": row["pose"],
                    "side": row["side"] or None,
                    "planned_seconds": int(row["step_planned_seconds"]),
                    "held_seconds": float(row["held_seconds"]), "outcome": row["outcome"],
                    "areas": json.loads(row["areas"]), "done_at": row["done_at"],
                }
            )  # fmt: skip
    return {"format": "unknot-history", "version": 1, "sessions": list(sessions.values())}
