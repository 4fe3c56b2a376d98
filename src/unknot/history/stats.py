"""What the history says: streaks, minutes per week, areas stretched most and least, and how
tight each area felt before and after."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from unknot.history.store import Store


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
    runs = _runs(sessions)
    return {
        "sessions": len(sessions),
        "finished": sum(s.status == "finished" for s in sessions),
        "minutes": round(sum(s.held_seconds for s in sessions) / 60, 1),
        "streak": {"current_days": current, "longest_days": longest},
        "minutes_per_week": {week: round(m, 1) for week, m in sorted(weeks.items())},
        "areas_most": [{"area": a, "minutes": round(s / 60, 1)} for a, s in ranked[:3]],
        "areas_least": [{"area": a, "minutes": round(s / 60, 1)} for a, s in ranked[-3:][::-1]],
        "tightness": dict(sorted(tightness.items())),
        "after_runs": runs,
    }


def _runs(sessions: Iterable[Any]) -> dict[str, Any]:
    """The sessions done after a run read with `unknot after`: how many, over how many runs and
    kilometres, and the last few side by side with what was done."""
    seen: set[tuple[Any, Any]] = set()
    km = 0.0
    count = 0
    recent: list[dict[str, Any]] = []
    for session in sessions:  # newest first
        run = session.run
        if not run:
            continue
        count += 1
        key = (run.get("start"), run.get("distance_m"))
        distance = run.get("distance_m")
        if key not in seen:
            seen.add(key)
            km += distance / 1000 if isinstance(distance, int | float) else 0
        if len(recent) < 5:
            recent.append({
                "started_at": session.started_at.isoformat(), "routine": session.routine,
                "held_seconds": round(session.held_seconds, 1), "run": run,
            })  # fmt: skip
    return {"sessions": count, "runs": len(seen), "km": round(km, 1), "recent": recent}
