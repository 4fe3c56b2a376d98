"""A routine brought from an article on the phone ("Bring a routine"): the form's one field,
read capped in size and time, taken as a link or as the article's own text, read by the
library, and the routine saved under a token made from its YAML, so a plan names it by that
token and never by a path."""

from __future__ import annotations

import asyncio
import hashlib
import re
from email import policy
from email.parser import BytesParser
from pathlib import Path
from urllib.parse import parse_qsl

from starlette.requests import Request

import unknot
from unknot.web.records import RefusedError, read_body
from unknot.web.request import HEX, IMPORTED, IMPORTED_TOKEN_CHARS

FIELD = "article"  # the form's one field: a link, or the article's text
IMPORT_BYTES = 200_000  # the form as sent: a long article's text is some tens of kilobytes
IMPORT_SECONDS = 30.0  # 200 kB over a slow phone connection, with room to spare
TOO_LARGE = f"the article's text is at most {IMPORT_BYTES // 1000} kB; paste its link instead"
FOLDER = "imported"  # under the data folder: one routine file per token
# A share sheet gives "the page's title + its link": a link in that much other text is the link.
SHARED_TEXT_CHARS = 200
SHARED_TEXT_LINES = 3
_LINK = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)
_TRAILING = ".,;:!?)]}'\""  # punctuation a sentence puts after a link, not part of it
FORM = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"


async def sent_article(request: Request) -> str:
    """The form's field as text, or RefusedError saying what was wrong with the request."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind not in (FORM, MULTIPART):
        raise RefusedError(
            f"the article is sent as a form ({FORM} or {MULTIPART}), not {kind or 'nothing'!r}",
            415,
        )
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > IMPORT_BYTES:
        raise RefusedError(TOO_LARGE, 413)
    try:
        body = await asyncio.wait_for(read_body(request, IMPORT_BYTES, TOO_LARGE), IMPORT_SECONDS)
    except TimeoutError:
        raise RefusedError(
            f"the article took more than {IMPORT_SECONDS:g} s to arrive", 408
        ) from None
    text = _multipart_field(request, body) if kind == MULTIPART else _form_field(body)
    text = text.replace("\r\n", "\n")  # a form sends a textarea's lines ended by CRLF
    if not text.strip():
        raise RefusedError("nothing was given; expected a link or an article's text", 400)
    return text


def _form_field(body: bytes) -> str:
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, errors="strict")
    except (UnicodeDecodeError, ValueError):
        raise RefusedError("the form is not UTF-8 text; expected the page's own form") from None
    return next((value for name, value in pairs if name == FIELD), "")


def _multipart_field(request: Request, body: bytes) -> str:
    kind = request.headers.get("content-type", "")
    message = BytesParser(policy=policy.default).parsebytes(
        b"Content-Type: " + kind.encode("latin-1", "replace") + b"\r\n\r\n" + body
    )
    if not message.is_multipart():
        raise RefusedError("the form could not be read; expected the page's own form")
    for part in message.iter_parts():
        if part.get_param("name", header="content-disposition") != FIELD:
            continue
        data = part.get_payload(decode=True)
        if not isinstance(data, bytes):
            return ""
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            raise RefusedError("the article is not UTF-8 text; expected its text or link") from None
    return ""


def shared_link(text: str) -> str | None:
    """The link `text` is, when it is one: a link alone (`scheme://...` of any scheme, which
    the library refuses but for http and https, in its words; or `www.`), or one http(s) link
    in little other text (a phone's share sheet: "Title\\nhttps://..."). None for an article's
    text, even a one-word one ("Cat-Cow:" is no link)."""
    whole = text.strip()
    alone = whole and not any(c.isspace() for c in whole)
    if alone and ("://" in whole or whole.lower().startswith("www.")) and unknot.is_link(whole):
        return whole
    links = _LINK.findall(whole)
    if len(links) != 1:
        return None
    rest = whole.replace(links[0], " ")
    lines = [line for line in rest.splitlines() if line.strip()]
    if len(rest.strip()) > SHARED_TEXT_CHARS or len(lines) > SHARED_TEXT_LINES:
        return None  # an article that mentions a link: read as the text it is
    link = links[0].rstrip(_TRAILING)
    return link if unknot.is_link(link) else None


def read(text: str, *, allow_private: bool = False) -> unknot.Article:
    """The article `text` is, or links to (fetched by the library: public http(s) pages only,
    unless `allow_private`, which only tests set)."""
    link = shared_link(text)
    # Only ever a link to import_article, which reads anything else as a path on this machine.
    if link is not None and unknot.is_link(link):
        return unknot.import_article(link, allow_private=allow_private)
    return unknot.read_article(text, source="pasted text")


def imported_path(token: str) -> Path:
    """Where the routine of `token` is kept (the token is checked by `request.imported_token`
    before it gets here; this checks it again, as it makes a path)."""
    if len(token) != IMPORTED_TOKEN_CHARS or not set(token) <= HEX:
        raise ValueError(f"not an imported routine's token: {token!r}")
    return unknot.data_dir() / FOLDER / f"{token}.yaml"


def save(article: unknot.Article) -> str:
    """Save the article's routine under its token; the routine's name for a plan
    (`imported-<token>`). An UnknotError when it would not read back as a routine."""
    token = hashlib.sha256(article.routine_yaml().encode()).hexdigest()[:IMPORTED_TOKEN_CHARS]
    path = imported_path(token)
    path.parent.mkdir(parents=True, exist_ok=True)
    # The same routine twice is the same file: written again, with the same bytes.
    unknot.save_routine(article, path, replace=True)
    return IMPORTED + token


def not_found_line(article: unknot.Article) -> str:
    """What the page says for an article with no routine in it, in the library's words."""
    why = next((n for n in article.notes if n.startswith("no routine found")), "")
    reason = why.split(":", 1)[1].strip() if ":" in why else "it names no poses to follow"
    return (
        f"No routine found in {article.source or 'the text'}: {reason}; expected an article "
        "with a yoga or stretching routine (its steps, or its link)"
    )
