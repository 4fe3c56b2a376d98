"""A run file sent from the phone's file picker (a form's multipart/form-data, or the bare
file as the body): read as it arrives, capped in size and in time, parsed by the standard
library's MIME parser, and the runs read from them kept a while so the session can be linked to
the run it followed."""

from __future__ import annotations

import asyncio
import hashlib
from collections import OrderedDict
from email import policy
from email.parser import BytesParser
from threading import Lock
from typing import Any

from starlette.requests import Request

from unknot.web.records import RefusedError, read_body

UPLOAD_BYTES = 64 << 20  # what `unknot after` reads from a file (formats.MAX_FILE_BYTES)
UPLOAD_SECONDS = 120.0  # a 64 MB file over a slow Wi-Fi; a run file is usually under a second
RUNS_KEPT = 64
TOKEN_CHARS = 16
FORM = "multipart/form-data"


async def uploaded(request: Request) -> tuple[str, bytes]:
    """(the file's name, its bytes), or RefusedError saying what was wrong with the request."""
    kind = request.headers.get("content-type", "")
    length = request.headers.get("content-length", "")
    too_large = f"a run file is at most {UPLOAD_BYTES >> 20} MB"
    if length.isdigit() and int(length) > UPLOAD_BYTES + 65536:
        raise RefusedError(too_large, 413)
    try:
        body = await asyncio.wait_for(
            read_body(request, UPLOAD_BYTES + 65536, too_large), UPLOAD_SECONDS
        )
    except TimeoutError:
        raise RefusedError(f"the file took more than {UPLOAD_SECONDS:g} s to arrive", 408) from None
    if not kind.lower().startswith(FORM):
        return request.query_params.get("name", "run")[:200], body  # the bare file, from a script
    return _form_file(kind, body)


def _form_file(kind: str, body: bytes) -> tuple[str, bytes]:
    message = BytesParser(policy=policy.default).parsebytes(
        b"Content-Type: " + kind.encode("latin-1", "replace") + b"\r\n\r\n" + body
    )
    if not message.is_multipart():
        raise RefusedError("the form could not be read; expected a run file chosen on the page")
    for part in message.iter_parts():
        if part.get_param("name", header="content-disposition") != "run":
            continue
        data = part.get_payload(decode=True)
        name = part.get_filename()
        if not name:
            raise RefusedError("no run file was chosen; expected a .fit, .gpx or .tcx file")
        if not isinstance(data, bytes):
            data = b""  # an empty file chosen: the reader says so, in its words
        return name.replace("\\", "/").rsplit("/", 1)[-1][:200], data
    raise RefusedError("no run file was sent; expected a .fit, .gpx or .tcx file in 'run'")


class KeptRuns:
    """The runs read lately, by a token made from the file's bytes: a plan page names its run
    by token, and the session started from it is recorded with the run beside it."""

    def __init__(self) -> None:
        self._runs: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._lock = Lock()

    def keep(self, data: bytes, run: dict[str, Any]) -> str:
        token = hashlib.sha256(data).hexdigest()[:TOKEN_CHARS]
        with self._lock:
            self._runs[token] = run
            self._runs.move_to_end(token)
            while len(self._runs) > RUNS_KEPT:
                self._runs.popitem(last=False)
        return token

    def get(self, token: str) -> dict[str, Any] | None:
        with self._lock:
            return self._runs.get(token)
