"""The history moved out and in: the export's format as JSON or CSV, checked on the way in.

Every export is checked whole before anything is written (`records.checked_sessions`: each field
of each session and step against the history's limits), and every way a file can be wrong is
one `UnknotError` naming the session, never a traceback.

A CSV export is opened in spreadsheets, where a cell that starts with `=`, `+`, `-`, `@`, a tab or
a carriage return is run as a formula: such a cell is written with a `'` before it (as is one that
starts with `'`, so that the mark is never ambiguous), and reading takes exactly one `'` off a
cell that starts with one, so the CSV still reads back as the same history.
"""

from __future__ import annotations

import json
from typing import Any

from unknot.errors import UnknotError
from unknot.history.records import checked_sessions

FORMAT = "unknot-history"
VERSION = 1
EXPECTED = "a .json or .csv file from `unknot history export`"
FORMULA = ("=", "+", "-", "@", "\t", "\r")  # what a spreadsheet reads as the start of a formula
MARK = "'"


def export_text(data: dict[str, Any], *, as_csv: bool) -> str:
    """An export (`Store.export()`) as the text of a .json or .csv file."""
    return to_csv(data) if as_csv else json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def read_export(text: str, *, where: str, as_csv: bool) -> dict[str, Any]:
    """An export read back and checked, field by field, before anything is written."""
    import csv

    try:
        data = from_csv(text) if as_csv else json.loads(text)
    except RecursionError:
        raise UnknotError(
            "is not an unknot history export (nested too deeply)", where=where, expected=EXPECTED
        ) from None
    except (ValueError, KeyError, TypeError, csv.Error) as err:
        problem = " ".join(str(err).split())[:200]
        raise UnknotError(
            f"is not an unknot history export ({problem})", where=where, expected=EXPECTED
        ) from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise UnknotError("is not an unknot history export", where=where, expected=EXPECTED)
    if data.get("version") != VERSION:
        raise UnknotError(
            f"is an export of version {data.get('version')!r}", where=where,
            expected=f"version {VERSION}, as this unknot writes (a newer one may read it)",
        )  # fmt: skip
    checked_sessions(data, where=where)
    return data


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

    out = io.StringIO(newline="")
    # RFC 4180's CRLF: with "\n" alone the writer would not quote a cell holding "\r", which
    # then splits its row on the way back.
    writer = csv.writer(out, lineterminator="\r\n")
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
            writer.writerow([_cell(value) for value in head + tail])
    return out.getvalue()


def from_csv(text: str) -> dict[str, Any]:
    """The export that `to_csv` wrote, back as data."""
    import csv
    import io

    previous = csv.field_size_limit()
    csv.field_size_limit(max(previous, len(text) + 1))  # a cell may be as long as the file
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""))
        if tuple(reader.fieldnames or ()) != CSV_COLUMNS:
            raise ValueError("not an unknot history CSV")
        rows = [{k: _uncell(v) for k, v in row.items()} for row in reader]
    finally:
        csv.field_size_limit(previous)
    sessions: dict[str, dict[str, Any]] = {}
    for row in rows:
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
    return {"format": FORMAT, "version": VERSION, "sessions": list(sessions.values())}


def _cell(value: Any) -> str:
    """A value as a CSV cell a spreadsheet shows and never runs."""
    text = str(value)
    return MARK + text if text.startswith((*FORMULA, MARK)) else text


def _uncell(cell: Any) -> Any:
    """`_cell` undone: one mark off a cell that starts with one (a short row's missing cells,
    None, are left for the checks to name)."""
    return cell[1:] if isinstance(cell, str) and cell.startswith(MARK) else cell
