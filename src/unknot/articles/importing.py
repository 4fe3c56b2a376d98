"""Importing an article from where it is: a file (text or HTML), standard input, or a link.

A link is fetched by `fetch` (public addresses only, capped and timed), a page's main text is
taken by `extract` (comments and page furniture left out), and `reading` finds the routine.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import BinaryIO

from unknot.articles.article import Article
from unknot.articles.reading import read_article
from unknot.errors import UnknotError
from unknot.files import read_bytes

MAX_FILE_BYTES = 2_000_000  # as much as a page may be: an article is a few tens of kilobytes
_URL = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)
_WINDOWS_DRIVE = re.compile(r"^[a-z]:[\\/]", re.IGNORECASE)


def is_link(source: str) -> bool:
    """Whether `source` is written as a link (any scheme: the fetch refuses all but http(s))."""
    source = source.strip()
    return source.lower().startswith("www.") or (
        bool(_URL.match(source)) and not _WINDOWS_DRIVE.match(source)
    )


def import_article(
    source: str, *, stdin: BinaryIO | None = None, allow_private: bool = False
) -> Article:
    """The routine in the article at `source`: a path, "-" for `stdin`, or an http(s) link.

    `allow_private` lets a link reach this machine's own addresses: for tests only."""
    from unknot.articles.extract import page_text

    if source == "-":
        if stdin is None:
            raise UnknotError("no standard input to read", where="-", expected="an article's text")
        data = stdin.read(MAX_FILE_BYTES + 1)
        if len(data) > MAX_FILE_BYTES:
            raise UnknotError(
                f"is more than {MAX_FILE_BYTES:,} bytes",
                where="standard input",
                expected="one article's text or HTML",
            )
        _text_only(data, "standard input")
        extracted = page_text(data, url="standard input")
        return _read(extracted.text, extracted.title, "standard input")
    if is_link(source):
        from unknot.articles.fetch import fetch

        link = source.strip()
        if link.lower().startswith("www."):
            link = f"https://{link}"
        page = fetch(link, allow_private=allow_private)
        extracted = page_text(
            page.body, content_type=page.content_type, charset=page.charset, url=page.url
        )
        return _read(extracted.text, extracted.title, page.url)
    path = Path(source)
    data = read_bytes(path, what="text or HTML", max_bytes=MAX_FILE_BYTES)
    content_type = "text/html" if path.suffix.lower() in (".html", ".htm", ".xhtml") else ""
    _text_only(data, str(path))
    extracted = page_text(data, content_type=content_type, url=str(path))
    return _read(extracted.text, extracted.title or "", str(path))


def _text_only(data: bytes, where: str) -> None:
    """A program, an image or an archive is not an article: refused before it is read as one.
    (UTF-16 text has NULs between its letters, so a byte-order mark lets it through.)"""
    head = data[:8192]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13))
    if b"\0" in head or controls > len(head) // 20:
        raise UnknotError(
            "is not text (it looks like a program, an image or an archive)",
            where=where,
            expected="an article as a text or HTML file",
        )


def _read(text: str, title: str, where: str) -> Article:
    if not text.strip():
        raise UnknotError(
            "holds no text", where=where, expected="an article with a yoga or stretching routine"
        )
    return read_article(text, source=where, title=title)
