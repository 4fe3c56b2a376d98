"""What the XML formats (GPX, TCX) share: text from bytes, and the one refusal an activity file
earns before any parser sees it: entity declarations, which no GPX or TCX file needs and which
are how an XML file is made to swell (a "billion laughs") or reach for other files."""

from __future__ import annotations

import codecs
import re

from unknot.errors import UnknotError

_FIRST_ELEMENT = re.compile(r"<[A-Za-z_]")  # a DOCTYPE can only come before the first element


def decoded(data: bytes, where: str, format: str) -> str:
    """The file as text: in the encoding its byte-order mark or declaration names, else UTF-8;
    a byte that is not text in that encoding becomes U+FFFD rather than an error."""
    for bom, encoding in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"),
                          (codecs.BOM_UTF16_BE, "utf-16-be")):  # fmt: skip
        if data.startswith(bom):
            return data[len(bom) :].decode(encoding, errors="replace")
    encoding = "utf-8"
    head = data[:200]
    if head.startswith(b"<?xml"):
        declared = head.split(b"?>", 1)[0]
        at = declared.find(b"encoding=")
        if at >= 0:
            name = declared[at + 9 :].strip()[1:].split(b'"')[0].split(b"'")[0]
            try:
                encoding = codecs.lookup(name.decode("ascii")).name
            except (LookupError, UnicodeDecodeError):
                encoding = "utf-8"
    text = data.decode(encoding, errors="replace")
    if text.startswith("<?xml"):  # the text is decoded now: a parser must not decode it again
        end = text.find("?>")
        text = text[end + 2 :] if end >= 0 else text
    return text


def check_safe(text: str, where: str, format: str) -> None:
    first = _FIRST_ELEMENT.search(text)
    head = text[: first.start() if first else len(text)]
    if "<!ENTITY" in head or "<!DOCTYPE" in head:
        raise UnknotError(
            f"declares XML entities or a DOCTYPE, which no {format} file needs; not read",
            where=where, expected=f"a {format} file as a watch or an app writes it",
        )  # fmt: skip
