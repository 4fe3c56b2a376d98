"""The player's records, as they arrive: start, each step, finish. JSON in, JSON out; every
record checked against the session it belongs to (its plan, its timeline), and written through
the library's `Recordings` (the same as `unknot go`). A record that is wrong in any way is one
clear line with a 4xx status, and nothing of it is written."""

from __future__ import annotations

import asyncio
import json
import threading
import uuid
from collections import OrderedDict
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response

import unknot
from unknot.web.request import PlanRequest, said_on_the_page

if TYPE_CHECKING:
    from unknot import Plan
    from unknot.web.caches import Library
    from unknot.web.uploads import KeptRuns

RECORD_BYTES = 16_384  # the player's largest record (the start, with ratings) is ~300 bytes
BODY_SECONDS = 10.0  # a record's body must arrive within this (a phone sends it in one packet)
# A step's records: each try at a step is one (back and skip make more than one a step), so
# positions run from 1 to some small multiple of the entries; ten is far past any session.
POSITIONS_PER_ENTRY = 10
# How much longer than planned a step may be held: `+` adds 10 s a press and has no limit of
# its own, so the bound is a person's, not the player's: ten minutes more than any hold planned
# (the longest planned is a few minutes of Savasana) is sixty presses, past any real session.
EXTRA_HOLD_SECONDS = 600
OUTCOMES = ("done", "cut short", "skipped")
SESSIONS_KEPT = 10_000  # the plan each recent session started with, by its id
JSON_TYPE = "application/json"


class RefusedError(Exception):
    """A record refused before anything is written: the status and the line said."""

    def __init__(self, line: str, status: int = 400) -> None:
        super().__init__(line)
        self.line = line
        self.status = status


def _error(message: str, status: int = 400, *, close: bool = False) -> JSONResponse:
    # Closing the connection after a body cut short: the rest of it is not read.
    headers = {"Connection": "close"} if close else None
    return JSONResponse({"error": message}, status_code=status, headers=headers)


class NotANumberError(ValueError):
    pass


def _not_a_constant(name: str) -> Any:
    # json.loads takes NaN and Infinity, which JSON has not (and no number of seconds is).
    raise NotANumberError(f"{name} is not a JSON number")


async def read_body(request: Request, limit: int, too_large: str) -> bytes:
    """The body, read as it comes, never more than `limit` bytes of it (whatever
    Content-Length says, or when there is none: a chunked body)."""
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise RefusedError(too_large, 413)
        chunks.append(chunk)
    return b"".join(chunks)


def whole(body: dict[str, Any], name: str, low: int, high: int) -> int:
    value = body.get(name)
    if type(value) is not int or not low <= value <= high:  # (a bool is not a number here)
        raise RefusedError(f"{name}: {value!r} is not a whole number from {low} to {high}")
    return value


def seconds(body: dict[str, Any], name: str, high: float) -> float:
    value = body.get(name)
    if isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value <= high:
        return float(value)  # (NaN and infinity are out of range)
    raise RefusedError(f"{name}: {value!r} is not a number of seconds from 0 to {high:g}")


class RecordsApi:
    """`POST /api/sessions/{uid}/{what}`: a session's records from a browser."""

    def __init__(
        self, library: Library, recordings: unknot.Recordings, runs: KeptRuns | None = None
    ) -> None:
        self.library = library
        self.recordings = recordings
        self.runs = runs
        # The canonical query each session started with: its steps must name the same plan.
        self._queries: OrderedDict[str, str] = OrderedDict()
        self._lock = threading.Lock()  # records are written from worker threads

    async def endpoint(self, request: Request) -> Response:
        try:
            uid = self._uid(request.path_params["uid"])
            kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
            if kind != JSON_TYPE:
                # Also what keeps a form on another site from posting here: a form cannot send
                # JSON, and a fetch that does must first ask (a preflight), which is not answered.
                raise RefusedError(
                    f"a record is sent as {JSON_TYPE}, not {kind or 'nothing'!r}", 415
                )
            length = request.headers.get("content-length", "")
            if length.isdigit() and int(length) > RECORD_BYTES:
                raise RefusedError(f"a record is at most {RECORD_BYTES} bytes", 413)
            try:
                raw = await asyncio.wait_for(
                    read_body(request, RECORD_BYTES, f"a record is at most {RECORD_BYTES} bytes"),
                    BODY_SECONDS,
                )
            except TimeoutError:
                raise RefusedError(
                    f"the record took more than {BODY_SECONDS:g} s to arrive", 408
                ) from None
            body = self._parse(raw)
            await run_in_threadpool(self.record, uid, request.path_params["what"], body)
        except RefusedError as refused:
            return _error(refused.line, refused.status, close=refused.status in (408, 413))
        except ClientDisconnect:
            return _error("the client went away", close=True)
        except unknot.UnknotError as err:
            return _error(said_on_the_page(err))
        return JSONResponse({"ok": True})

    @staticmethod
    def _uid(given: str) -> str:
        try:
            return str(uuid.UUID(given))  # one spelling of each id: lower case, with hyphens
        except ValueError:
            raise RefusedError(
                "the session id is not a UUID; expected the id the player made"
            ) from None

    @staticmethod
    def _parse(raw: bytes) -> dict[str, Any]:
        try:
            body = json.loads(raw, parse_constant=_not_a_constant)
        except NotANumberError as err:
            raise RefusedError(f"the body is not the player's record: {err}") from None
        except (ValueError, RecursionError):  # (not UTF-8 is a ValueError too)
            body = None
        if not isinstance(body, dict):
            raise RefusedError("the body is not a JSON object; expected the player's record")
        return body

    def _plan(self, body: dict[str, Any]) -> tuple[str, Plan]:
        """The plan a record names by its query, and that query in its canonical spelling."""
        query = body.get("query")
        if not isinstance(query, str):
            raise RefusedError(f"query: {query!r} is not the session's query; expected its text")
        wanted = PlanRequest.from_query(parse_qsl(query))
        return wanted.query(), self.library.plan(wanted)

    def _kept_needs(self, plan: Plan, query: str) -> dict[str, Any]:
        """The needs kept with the session: the plan's, and the run it follows, when known."""
        needs = plan.needs.to_record()
        token = PlanRequest.from_query(parse_qsl(query)).run
        run = self.runs.get(token) if self.runs is not None and token else None
        return needs | {"run": run} if run else needs

    def record(self, uid: str, what: str, body: dict[str, Any]) -> None:
        if what == "start":
            self._start(uid, body)
        elif what == "step":
            self._step(uid, body)
        elif what == "finish":
            finished = body.get("finished")
            if not isinstance(finished, bool):
                raise RefusedError(f"finished: {finished!r} is not true or false")
            after = unknot.parse_ratings(_ratings_text(body.get("after")), "after")
            self.recordings.get(uid).finish(finished, after)
        else:
            raise unknot.UnknotError(f"{what!r} is not a record", expected="start, step or finish")

    def _start(self, uid: str, body: dict[str, Any]) -> None:
        query, plan = self._plan(body)
        before = unknot.parse_ratings(_ratings_text(body.get("before")), "before")
        with self._lock:
            known = self._queries.get(uid)
            if known is not None and known != query:
                raise RefusedError(f"session {uid} was started with another plan", 409)
            self.recordings.start(uid, plan.timeline, self._kept_needs(plan, query), before)
            self._remember(uid, query)

    def _step(self, uid: str, body: dict[str, Any]) -> None:
        query, plan = self._plan(body)
        recording = self.recordings.get(uid)  # "no session ... was started here"
        self._same_plan(uid, query, plan)
        entries = plan.timeline.entries
        position = whole(body, "position", 1, POSITIONS_PER_ENTRY * len(entries))
        entry = entries[whole(body, "index", 0, len(entries) - 1)]
        held = seconds(body, "held", entry.hold + EXTRA_HOLD_SECONDS)
        outcome = body.get("outcome")
        if outcome not in OUTCOMES:
            raise RefusedError(f"outcome: {outcome!r} is not one of {', '.join(OUTCOMES)}")
        record = unknot.StepRecord(entry, round(held, 1), unknot.Outcome(outcome))
        recording.step(record, position=position)

    def _same_plan(self, uid: str, query: str, plan: Plan) -> None:
        """A step belongs to its session's plan: the query the session started with. A session
        started before this server did (it restarted) is known by what the history kept of it:
        its routine, needs and planned length, which the step's plan must match."""
        with self._lock:
            known = self._queries.get(uid)
        if known is None:
            try:
                kept = self.recordings.store().export(uid)["sessions"]
            except unknot.UnreachableError:  # kept in a pending file: the checks below suffice
                return
            timeline = plan.timeline
            ours = (timeline.routine.name, _plain(plan.needs.to_record()), timeline.total)
            if (
                not kept
                or (
                    kept[0]["routine"],
                    _plain(_without_run(kept[0]["needs"])),
                    kept[0]["planned_seconds"],
                )
                != ours
            ):
                raise RefusedError(f"this step is not of the plan session {uid} was started with")
            with self._lock:
                self._remember(uid, query)
        elif known != query:
            raise RefusedError(f"this step is not of the plan session {uid} was started with")

    def _remember(self, uid: str, query: str) -> None:
        self._queries[uid] = query
        self._queries.move_to_end(uid)
        while len(self._queries) > SESSIONS_KEPT:
            self._queries.popitem(last=False)


def _without_run(needs: Any) -> Any:
    return {k: v for k, v in needs.items() if k != "run"} if isinstance(needs, dict) else needs


def _plain(data: Any) -> str:
    """Data as the history keeps it (JSON), to compare what a plan needs with what was kept."""
    return json.dumps(data, sort_keys=True, default=list)


def _ratings_text(ratings: Any) -> str | None:
    if not ratings:
        return None
    if not isinstance(ratings, dict) or any(
        type(v) is not int or "," in k or ":" in k for k, v in ratings.items()
    ):  # (an area named "hips:3,calves" would say two ratings in the text parsed)
        raise unknot.UnknotError(
            "ratings are not a map of areas to whole numbers", expected="{area: 0-10, ...}"
        )
    return ",".join(f"{area}:{value}" for area, value in ratings.items())
