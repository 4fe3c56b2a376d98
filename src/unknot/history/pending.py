"""A session kept in a local file while the history database cannot be reached."""

from __future__ import annotations

import json
import uuid
from typing import TYPE_CHECKING, Any

from unknot.history.places import pending_folder
from unknot.history.records import now, step_row

if TYPE_CHECKING:
    from unknot.guide.player import StepRecord


class PendingSession:
    """A session kept in a local file while the database cannot be reached, in the export's
    format; the next time a Store opens, it is added to the history and the file removed."""

    def __init__(self, uid: str | None = None) -> None:
        self.uid = uid or str(uuid.uuid4())
        self.path = pending_folder() / f"{self.uid}.json"
        self.data: dict[str, Any] = {}

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
            "uid": self.uid, "started_at": now().isoformat(), "ended_at": None,
            "routine": routine, "needs": needs, "planned_seconds": planned_seconds,
            "finished": False, "steps": [], "ratings": {"before": before, "after": {}},
        }  # fmt: skip
        self._save()
        return 0

    def record_step(self, session_id: int, position: int, record: StepRecord) -> None:
        if any(step["position"] == position for step in self.data["steps"]):
            return
        self.data["steps"].append(step_row(position, record))
        self._save()

    def finish(self, session_id: int, finished: bool, after: dict[str, int]) -> None:
        self.data.update(ended_at=now().isoformat(), finished=finished)
        self.data["ratings"]["after"] = after
        self._save()

    def rate(self, session_id: int, moment: str, ratings: dict[str, int]) -> None:
        self.data["ratings"][moment].update(ratings)
        self._save()
