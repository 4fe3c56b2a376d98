"""What the history holds, as plain data: a session as listed, a step as kept, and the times
on them (always UTC). One shape of a step, whichever store it is kept in, and one set of limits
every record is checked against before it is written anywhere (the database, a pending file) or
read in (an export, a pending file): a value no database column can hold never reaches one."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, NamedTuple

from unknot.errors import UnknotError

if TYPE_CHECKING:
    from unknot.guide.player import StepRecord

STEP_FIELDS = (
    "position", "pose", "side", "planned_seconds", "held_seconds", "outcome", "areas", "done_at",
)  # fmt: skip

# The limits, from the schema (migrations/versions/0001): the columns' widths, and numbers that
# fit PostgreSQL's 32-bit integers with room to spare.
UID_CHARS = 36
NAME_CHARS = 200  # a routine's name, a pose's
AREA_CHARS = 40
SIDES = ("left", "right")
OUTCOMES = ("done", "cut short", "skipped")  # guide.player.Outcome's values
MAX_SECONDS = 1_000_000  # eleven days: far beyond any session, far below any column's limit
MAX_POSITION = 1_000_000
RATINGS = (0, 10)
NEEDS_CHARS = 100_000  # the needs as JSON; a real one is under 300 characters
TIME_CHARS = 64


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
    run: dict[str, Any] | None = None  # the run the session followed (`unknot after`), if any

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
            "run": self.run,
        }  # fmt: skip


class RecordError(ValueError):
    """One field of a record that no history may hold: what is wrong, and what would be right."""

    def __init__(self, what: str, expected: str) -> None:
        super().__init__(f"{what}; expected {expected}")
        self.what = what
        self.expected = expected


def step_row(position: int, record: StepRecord) -> dict[str, Any]:
    """One step as it finished, as every store keeps it and every export writes it; checked."""
    entry = record.entry
    row = {
        "position": position, "pose": entry.name, "side": entry.side,
        "planned_seconds": entry.hold, "held_seconds": record.held,
        "outcome": str(getattr(record.outcome, "value", record.outcome)),
        "areas": dict(entry.pose.areas) if entry.pose else {},
        "done_at": now().isoformat(),
    }  # fmt: skip
    check_step(row)
    return row


def session_head(
    uid: str, routine: str, needs: dict[str, Any], planned_seconds: int, before: dict[str, int]
) -> dict[str, Any]:
    """A session as it starts, in the export's shape (its steps to come); checked."""
    session: dict[str, Any] = {
        "uid": uid, "started_at": now().isoformat(), "ended_at": None, "routine": routine,
        "needs": needs, "planned_seconds": planned_seconds, "finished": False, "steps": [],
        "ratings": {"before": dict(before), "after": {}},
    }  # fmt: skip
    check_session(session)
    return session


# -- the checks ----------------------------------------------------------------------------------
def check_session(session: Any) -> None:
    """A session in the export's shape, every field and step; `RecordError` names what is wrong."""
    if not isinstance(session, dict):
        raise RecordError("is not a mapping", "a session as `unknot history export` writes it")
    check_uid(_field(session, "uid"))
    check_time(_field(session, "started_at"), "started_at")
    if _field(session, "ended_at") is not None:
        check_time(session["ended_at"], "ended_at")
    check_name(_field(session, "routine"), "routine")
    check_needs(_field(session, "needs"))
    check_seconds(_field(session, "planned_seconds"), "planned_seconds", whole=True)
    if not isinstance(_field(session, "finished"), bool):
        raise RecordError("'finished' is not true or false", "true or false")
    steps = _field(session, "steps")
    if not isinstance(steps, list):
        raise RecordError("'steps' is not a list", "a list of steps")
    for m, step in enumerate(steps, 1):
        try:
            check_step(step)
        except RecordError as err:
            raise RecordError(f"step {m}: {err.what}", err.expected) from None
    ratings = _field(session, "ratings")
    if not isinstance(ratings, dict):
        raise RecordError("'ratings' is not a mapping", "{before: {area: 0-10}, after: {...}}")
    for moment in ("before", "after"):
        check_ratings(ratings.get(moment), moment)


def checked_sessions(data: Any, *, where: str = "") -> list[dict[str, Any]]:
    """An export's sessions, each checked, or one UnknotError naming the first that is wrong
    (by its number and uid): nothing of a file is written unless all of it can be."""
    expected = "a .json or .csv file from `unknot history export`"
    sessions = data.get("sessions") if isinstance(data, dict) else None
    if not isinstance(sessions, list):
        raise UnknotError("has no list of sessions", where=where, expected=expected)
    seen: dict[str, int] = {}
    for n, session in enumerate(sessions, 1):
        uid = session.get("uid") if isinstance(session, dict) else None
        named = f"session {n}"
        if isinstance(uid, str) and uid.isprintable():
            named = f"session {n} ({uid})"
        try:
            check_session(session)
        except RecordError as err:
            raise UnknotError(f"{named}: {err.what}", where=where, expected=err.expected) from None
        if session["uid"] in seen:
            raise UnknotError(
                f"{named} has the uid of session {seen[session['uid']]}", where=where,
                expected="each session once, as `unknot history export` writes them",
            )  # fmt: skip
        seen[session["uid"]] = n
    return sessions


def new_session(
    routine: str,
    needs: dict[str, Any],
    planned_seconds: int,
    before: dict[str, int],
    uid: str | None = None,
) -> dict[str, Any]:
    """A session as it starts, checked, as every sink is given it; an `UnknotError` naming what
    is wrong otherwise. Without a `uid`, a new one."""
    import uuid

    try:
        return session_head(uid or str(uuid.uuid4()), routine, needs, planned_seconds, before)
    except RecordError as err:
        raise refusal(err, "session") from None


def checked_step(position: int, record: StepRecord) -> dict[str, Any]:
    """A step's row (`step_row`), checked; an `UnknotError` naming the step otherwise."""
    try:
        return step_row(position, record)
    except RecordError as err:
        raise refusal(err, f"step {position}") from None


def refusal(err: RecordError, what: str) -> UnknotError:
    """A record the history will not take, as the one line a caller shows."""
    return UnknotError(f"{what}: {err.what}", field="history", expected=err.expected)


def check_step(step: Any) -> None:
    if not isinstance(step, dict):
        raise RecordError("is not a mapping", "a step as `unknot history export` writes it")
    position = _field(step, "position")
    if not _whole(position) or not 0 <= position <= MAX_POSITION:
        raise RecordError(
            f"'position' is {_shown(position)}", f"a whole number from 0 to {MAX_POSITION}"
        )
    check_name(_field(step, "pose"), "pose")
    if _field(step, "side") not in (None, *SIDES):
        raise RecordError(f"'side' is {_shown(step['side'])}", "left, right or null")
    check_seconds(_field(step, "planned_seconds"), "planned_seconds", whole=True)
    check_seconds(_field(step, "held_seconds"), "held_seconds", whole=False)
    if _field(step, "outcome") not in OUTCOMES:
        raise RecordError(f"'outcome' is {_shown(step['outcome'])}", "done, cut short or skipped")
    areas = _field(step, "areas")
    if not isinstance(areas, dict) or not all(
        isinstance(a, str) and 0 < len(a) <= AREA_CHARS and _whole(w) and 0 <= w <= 10
        for a, w in areas.items()
    ):
        raise RecordError("'areas' is not a map of areas to weights", "{area: 1-3, ...}")
    check_time(_field(step, "done_at"), "done_at")


def check_uid(value: Any) -> str:
    if not isinstance(value, str) or not 0 < len(value) <= UID_CHARS or not value.isprintable():
        raise RecordError(
            f"'uid' is {_shown(value)}", f"the session's id, 1 to {UID_CHARS} printable characters"
        )
    return value


def check_name(value: Any, name: str) -> str:
    if not isinstance(value, str) or not 0 < len(value) <= NAME_CHARS or not _storable(value):
        raise RecordError(
            f"{name!r} is {_shown(value)}", f"a name of 1 to {NAME_CHARS} characters of text"
        )
    return value


def check_seconds(value: Any, name: str, *, whole: bool) -> float:
    number = _whole(value) if whole else _whole(value) or isinstance(value, float)
    if not number or not math.isfinite(value) or not 0 <= value <= MAX_SECONDS:
        kind = "whole number" if whole else "number"
        expected = f"a {kind} of seconds from 0 to {MAX_SECONDS}"
        raise RecordError(f"{name!r} is {_shown(value)}", expected)
    return float(value)


def check_time(value: Any, name: str) -> datetime:
    """An ISO 8601 timestamp ("2026-11-24T07:30:00+00:00"); one without an offset is UTC."""
    try:
        if not isinstance(value, str) or len(value) > TIME_CHARS:
            raise ValueError
        moment = utc(datetime.fromisoformat(value))
    except (ValueError, OverflowError):
        raise RecordError(
            f"{name!r} is {_shown(value)}", "an ISO 8601 time such as 2026-11-24T07:30:00+00:00"
        ) from None
    assert moment is not None
    return moment


def check_needs(value: Any) -> str:
    """The needs a session was planned with, as the JSON text kept for them."""
    expected = f"a mapping of plain values, at most {NEEDS_CHARS} characters as JSON"
    if not isinstance(value, dict):
        raise RecordError("'needs' is not a mapping", expected)
    try:
        text = json.dumps(value, sort_keys=True, allow_nan=False)
    except (TypeError, ValueError, RecursionError):
        raise RecordError("'needs' holds values JSON cannot keep", expected) from None
    if len(text) > NEEDS_CHARS or not _storable(text):
        raise RecordError("'needs' is too large", expected)
    return text


def run_of(needs: object) -> dict[str, Any] | None:
    """The run kept in a session's needs (JSON text), when it has one: a mapping."""
    if not isinstance(needs, str) or '"run"' not in needs:
        return None  # most sessions: no JSON to parse
    try:
        run = json.loads(needs).get("run")
    except (ValueError, AttributeError, RecursionError):
        return None
    return run if isinstance(run, dict) else None


def check_ratings(values: Any, moment: str) -> dict[str, int]:
    low, high = RATINGS
    if not isinstance(values, dict) or not all(
        isinstance(a, str) and 0 < len(a) <= AREA_CHARS and _storable(a) and _whole(v)
        and low <= v <= high
        for a, v in values.items()
    ):  # fmt: skip
        raise RecordError(
            f"its {moment} ratings are not a map of areas to numbers",
            f"{{area: {low}-{high}, ...}} with areas of at most {AREA_CHARS} characters",
        )
    return values


def _field(item: dict[str, Any], name: str) -> Any:
    if name not in item:
        raise RecordError(f"{name!r} is missing or of the wrong type", f"a {name!r} field")
    return item[name]


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)  # JSON true is not a number


def _storable(text: str) -> bool:
    """Text every database keeps as given: no NUL (PostgreSQL refuses it), valid UTF-8."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate, as JSON's "\\ud800" reads
        return False
    return "\0" not in text


def _shown(value: Any) -> str:
    shown = repr(value)
    return shown if len(shown) <= 40 else f"{shown[:37]}..."


# -- times ---------------------------------------------------------------------------------------
def now() -> datetime:
    return datetime.now(UTC)


def utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def as_datetime(value: Any) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    result = utc(value)
    assert result is not None
    return result


def stamp(value: Any) -> str:
    return as_datetime(value).isoformat()


def held(value: Any) -> float:
    """Seconds held, as read back: a value no check would let in now (infinite, not a number,
    negative: written by an older unknot) counts as nothing rather than breaking every reader."""
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return 0.0
    return seconds if math.isfinite(seconds) and 0 <= seconds <= MAX_SECONDS else 0.0
