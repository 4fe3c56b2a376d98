"""Which reader a run file needs, told by what the file is, not by its name: FIT by its header,
GPX and TCX by their root element, any of them inside gzip (as Strava exports them). One table
of readers, keyed by format."""

from __future__ import annotations

import re
import zlib
from collections.abc import Callable
from pathlib import Path

from unknot.errors import UnknotError
from unknot.files import read_bytes
from unknot.runs import fit, gpx, tcx
from unknot.runs.activity import Activity

MAX_FILE_BYTES = 64 << 20  # a day-long run at one record a second is under 40 MB of GPX
MAX_UNPACKED_BYTES = 256 << 20  # what a gzipped file may expand to
EXPECTED = "an activity file from a watch or an app: .fit, .gpx or .tcx (gzipped or not)"

READERS: dict[str, Callable[[bytes, str], Activity]] = {
    "FIT": fit.read,
    "GPX": gpx.read,
    "TCX": tcx.read,
}
_ROOT = re.compile(rb"<\s*(?:[A-Za-z_][\w.-]*:)?(gpx|TrainingCenterDatabase)\b")
ROOTS = {b"gpx": "GPX", b"TrainingCenterDatabase": "TCX"}


def kind(data: bytes) -> str | None:
    """FIT, GPX, TCX, GZIP or ZIP by the first bytes; None for anything else."""
    if data[:2] == b"\x1f\x8b":
        return "GZIP"
    if data[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        return "ZIP"
    if len(data) >= 12 and data[0] in (12, 14) and data[8:12] == b".FIT":
        return "FIT"
    head = data[:4096]
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):  # UTF-16: the root's name is in every other byte
        head = head.decode("utf-16", errors="ignore").encode("utf-8")
    found = _ROOT.search(head)
    return ROOTS[found.group(1)] if found else None


def read_file(path: Path) -> Activity:
    """The activity in the file at `path`, or one clear error naming what is wrong."""
    data = read_bytes(path, what="run", max_bytes=MAX_FILE_BYTES)
    return read_data(data, str(path))


def read_data(data: bytes, where: str) -> Activity:
    """The activity in `data` (a file's bytes, an upload)."""
    if not data:
        raise UnknotError("is empty", where=where, expected=EXPECTED)
    found = kind(data)
    if found == "GZIP":
        data = gunzip(data, where)
        found = kind(data)
        if found in ("GZIP", "ZIP", None):
            raise UnknotError(
                "is gzipped, but what is inside is not an activity file", where=where,
                expected=EXPECTED,
            )  # fmt: skip
    if found == "ZIP":
        raise UnknotError(
            "is a zip archive, not one activity", where=where,
            expected="a run file, or an export (Strava, Garmin) given to `unknot after` as it is",
        )  # fmt: skip
    if found is None:
        raise UnknotError("is not an activity file unknot can read", where=where, expected=EXPECTED)
    return READERS[found](data, where)


def gunzip(data: bytes, where: str, limit: int = MAX_UNPACKED_BYTES) -> bytes:
    """gzip's contents, streamed and capped, so a small bomb cannot fill memory; a cut-off
    stream keeps what was unpacked (the reader then says the file ends early)."""
    unpacker = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        out = unpacker.decompress(data, limit + 1)
    except zlib.error as err:
        raise UnknotError(
            f"is gzip that cannot be unpacked ({err})", where=where, expected=EXPECTED
        ) from None
    if len(out) > limit or unpacker.unconsumed_tail:
        raise UnknotError(
            f"unpacks to more than {limit >> 20} MB, far more than any run", where=where,
            expected="a run file of a day or less",
        )  # fmt: skip
    return out
