"""What the history holds, as plain data: a session as listed, a step as kept, and the times
on them (always UTC). One shape of a step, whichever store it is kept in."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from unknot.guide.player import StepRecord

STEP_FIELDS = (
    "position", "pose", "side", "planned_seconds", "held_seconds", "outcome", "areas", "done_at",
)  # fmt: skip


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


def step_row(position: int, record: StepRecord) -> dict[str, Any]:
    """One step as it finished, as every store keeps it and every export writes it."""
    entry = record.entry
    return {
        "position": position, "pose": entry.name, "side": entry.side,
        "planned_seconds": entry.hold, "held_seconds": record.held,
        "outcome": record.outcome.value,
        "areas": dict(entry.pose.areas) if entry.pose else {},
        "done_at": now().isoformat(),
    }  # fmt: skip


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
