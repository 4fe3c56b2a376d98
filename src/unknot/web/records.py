"""The player's records, as they arrive: start, each step, finish. JSON in, JSON out; every
record checked, and written through the library's `Recordings` (the same as `unknot go`)."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

import unknot
from unknot.web.request import PlanRequest, said_on_the_page

if TYPE_CHECKING:
    from unknot import Plan
    from unknot.web.caches import Library

RECORD_BYTES = 16_384  # the player's largest record (the start, with ratings) is ~300 bytes


def _error(message: str, status: int = 400) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


class RecordsApi:
    """`POST /api/sessions/{uid}/{what}`: a session's records from a browser."""

    def __init__(self, library: Library, recordings: unknot.Recordings) -> None:
        self.library = library
        self.recordings = recordings

    async def endpoint(self, request: Request) -> Response:
        try:
            uuid.UUID(request.path_params["uid"])
        except ValueError:
            return _error("the session id is not a UUID; expected the id the player made")
        if int(request.headers.get("content-length") or 0) > RECORD_BYTES:
            return _error(f"a record is at most {RECORD_BYTES} bytes", 413)
        try:
            body = await request.json()
            if not isinstance(body, dict):
                raise ValueError
        except ValueError:
            return _error("the body is not a JSON object; expected the player's record")
        try:
            await run_in_threadpool(self.record, request.path_params, body)
        except unknot.UnknotError as err:
            return _error(said_on_the_page(err))
        except (KeyError, TypeError, ValueError, IndexError) as err:
            return _error(f"the record is incomplete or wrong ({err})")
        return JSONResponse({"ok": True})

    def _plan(self, body: dict[str, Any]) -> Plan:
        query = parse_qsl(str(body.get("query", "")))
        return self.library.plan(PlanRequest.from_query(query))

    def record(self, params: dict[str, Any], body: dict[str, Any]) -> None:
        uid, what = str(params["uid"]), params["what"]
        if what == "start":
            plan = self._plan(body)
            before = unknot.parse_ratings(_ratings_text(body.get("before")), "before")
            self.recordings.start(uid, plan.timeline, plan.needs.to_record(), before)
        elif what == "step":
            entry = self._plan(body).timeline.entries[int(body["index"])]
            record = unknot.StepRecord(
                entry, round(float(body["held"]), 1), unknot.Outcome(str(body["outcome"]))
            )
            self.recordings.get(uid).step(record, position=int(body["position"]))
        elif what == "finish":
            after = unknot.parse_ratings(_ratings_text(body.get("after")), "after")
            self.recordings.get(uid).finish(bool(body["finished"]), after)
        else:
            raise unknot.UnknotError(f"{what!r} is not a record", expected="start, step or finish")


def _ratings_text(ratings: Any) -> str | None:
    if not ratings:
        return None
    if not isinstance(ratings, dict):
        raise unknot.UnknotError("ratings are not a map", expected="{area: 0-10, ...}")
    return ",".join(f"{area}:{value}" for area, value in ratings.items())
