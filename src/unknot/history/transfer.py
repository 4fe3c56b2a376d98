"""The history moved out and in: the export's format as JSON or CSV, checked on the way in."""

from __future__ import annotations

import json
from typing import Any

from unknot.errors import UnknotError

FORMAT = "unknot-history"
EXPECTED = "a .json or .csv file from `unknot history export`"
# What each session and step of an export holds, and of which JSON types.
SESSION_TYPES: dict[str, tuple[type, ...]] = {
    "uid": (str,), "started_at": (str,), "ended_at": (str, type(None)), "routine": (str,),
    "needs": (dict,), "planned_seconds": (int,), "finished": (bool,), "steps": (list,),
    "ratings": (dict,),
}  # fmt: skip
STEP_TYPES: dict[str, tuple[type, ...]] = {
    "position": (int,), "pose": (str,), "side": (str, type(None)), "planned_seconds": (int,),
    "held_seconds": (int, float), "outcome": (str,), "areas": (dict,), "done_at": (str,),
}  # fmt: skip


def export_text(data: dict[str, Any], *, as_csv: bool) -> str:
    """An export (`Store.export()`) as the text of a .json or .csv file."""
    return to_csv(data) if as_csv else json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def read_export(text: str, *, where: str, as_csv: bool) -> dict[str, Any]:
    """An export read back and checked, field by field, before anything is written."""
    try:
        data = from_csv(text) if as_csv else json.loads(text)
    except (ValueError, KeyError, TypeError) as err:
        raise UnknotError(
            f"is not an unknot history export ({err})", where=where, expected=EXPECTED
        ) from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise UnknotError("is not an unknot history export", where=where, expected=EXPECTED)
    sessions = data.get("sessions")
    if not isinstance(sessions, list):
        raise UnknotError("has no list of sessions", where=where, expected=EXPECTED)
    for n, session in enumerate(sessions, 1):
        _check(session, SESSION_TYPES, f"session {n}", where)
        for m, step in enumerate(session["steps"], 1):
            _check(step, STEP_TYPES, f"session {n}, step {m}", where)
        ratings = session["ratings"]
        for moment in ("before", "after"):
            values = ratings.get(moment)
            if not isinstance(values, dict) or not all(
                isinstance(v, int) and not isinstance(v, bool) for v in values.values()
            ):
                raise UnknotError(
                    f"session {n}: its {moment} ratings are not a map of areas to numbers",
                    where=where, expected=EXPECTED,
                )  # fmt: skip
    return data


def _check(item: Any, types: dict[str, tuple[type, ...]], what: str, where: str) -> None:
    if not isinstance(item, dict):
        raise UnknotError(f"{what} is not a mapping", where=where, expected=EXPECTED)
    for name, allowed in types.items():
        value = item.get(name, KeyError)
        wrong = isinstance(value, bool) and bool not in allowed  # JSON true is not a number
        if value is KeyError or not isinstance(value, allowed) or wrong:
            raise UnknotError(
                f"{what}: {name!r} is missing or of the wrong type", where=where,
                expected=EXPECTED,
            )  # fmt: skip


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
    return {"format": FORMAT, "version": 1, "sessions": list(sessions.values())}
