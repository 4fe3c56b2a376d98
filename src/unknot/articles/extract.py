"""A page's main text: the article without its menus, comments, asides and scripts.

The bytes are decoded the way a browser would (byte-order mark, then the server's charset, then
the page's own <meta>, then UTF-8, then Windows-1252), so no encoding, however odd, stops the
import. HTML goes to trafilatura, which finds the article and writes it out as plain text with
each heading and each list item on a line of its own (items start "- "), the lines the importer
reads. Markup is only ever parsed, by lxml, never run; a page deeper or larger than any article
is refused before trafilatura sees it, since its cost grows with the number of elements.
"""

from __future__ import annotations

import codecs
import itertools
import re
from typing import NamedTuple

import lxml.etree
import lxml.html
import trafilatura

from unknot.errors import UnknotError

# An article's page has hundreds to a few thousand elements, a heavy one some ten thousand;
# trafilatura takes about 70 microseconds an element, so this keeps the worst page to seconds.
MAX_ELEMENTS = 30_000
MAX_DEPTH = 256  # libxml2 stops reading markup nested deeper, so the rest would be lost unseen
EXPECTED = "an ordinary article page"
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})


class Extracted(NamedTuple):
    """What was read from a page: all of it text, none of it markup."""

    title: str  # "" when the page names none
    text: str  # one heading, paragraph or list item a line
    html: bool  # whether the page was HTML (else it was plain text, returned as it was)


def page_text(
    body: bytes | str, *, content_type: str = "", charset: str | None = None, url: str = ""
) -> Extracted:
    """The title and main text of a page (bytes as fetched, or text already decoded)."""
    text = body if isinstance(body, str) else decode(body, charset)
    text = clean(text)
    if not looks_like_html(text, content_type):
        return Extracted("", text, html=False)
    where = url or "the page"
    root = _parse(text, where)
    if root is None:
        return Extracted("", "", html=True)
    for element in list(root.iter(*_NEVER_TEXT)):
        element.drop_tree()  # its tail, the text after it, stays
    title, main = "", ""
    try:
        found = trafilatura.bare_extraction(
            root, url=url or None, include_comments=False, include_tables=True,
            include_formatting=False, include_links=False, include_images=False,
            with_metadata=True,
        )  # fmt: skip
    except RecursionError:
        found = None  # a deep page trafilatura walks by recursion: the flat rendering below
    if found is not None and not isinstance(found, dict):
        title = found.title or ""
        main = found.text or ""
    if not main.strip():
        main = _render(root)
    return Extracted(_one_line(title or _title(root)), _tidy(main), html=True)


# --- Decoding -------------------------------------------------------------------------------

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# As browsers read them (the WHATWG Encoding standard): these labels mean Windows-1252, and
# a <meta> that says UTF-16 (read as ASCII, so it cannot be) means UTF-8.
_AS_CP1252 = frozenset({"ascii", "latin_1", "iso8859-1", "cp1252"})
_UTF16 = frozenset({"utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be"})
# Python's own codecs that no web page is written in (escapes, DNS names) and UTF-7, which
# browsers never honour: a label naming one is passed over.
_NOT_CHARSETS = frozenset(
    {"utf-7", "unicode-escape", "raw-unicode-escape", "punycode", "idna", "undefined", "mbcs",
     "oem", "charmap"}
)  # fmt: skip


def decode(body: bytes, charset: str | None = None) -> str:
    """The page as text: its BOM, else the header's charset, else its <meta> charset, else
    UTF-8, else Windows-1252 (which reads any bytes). Never fails."""
    for bom, encoding in _BOMS:
        if body.startswith(bom):
            return body[len(bom) :].decode(encoding, errors="replace")
    found = _decoded(body, charset)
    if found is None:
        found = _decoded(body, _meta_charset(body), meta=True)
    if found is not None:
        return found
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return body.decode("cp1252", errors="replace")


def _decoded(body: bytes, label: str | None, *, meta: bool = False) -> str | None:
    """The body in the charset `label` names, or None if it names none or is wrong about it."""
    named = _encoding(label)
    if named in _UTF16 and (meta or b"\x00" not in body[:4096]):
        # A page read as ASCII to find its <meta> is not UTF-16, nor is one with no NUL near
        # its start (UTF-16's "<" and newline are "<\0" and "\n\0"): UTF-8, as browsers do.
        named = "utf-8"
    if named is None:
        return None
    try:
        return body.decode(named)
    except (UnicodeDecodeError, LookupError):
        return None


def _encoding(label: str | None) -> str | None:
    """A charset label as a Python codec name, or None for one that is no text encoding."""
    if not label:
        return None
    try:
        info = codecs.lookup(label.strip().strip("\"'"))
    except (LookupError, ValueError):
        return None  # a bogus name ("utf-99", "x-nonsense", or one with a NUL in it)
    if info.name in _NOT_CHARSETS or not getattr(info, "_is_text_encoding", True):
        return None
    return "cp1252" if info.name in _AS_CP1252 else info.name


def _meta_charset(body: bytes) -> str | None:
    """The charset a page's own <meta> declares in its first 4 KB, read as the HTML parser
    reads it (not by pattern), or None."""
    head = body[:4096].replace(b"\x00", b"")
    if b"<meta" not in head.lower():
        return None
    try:
        root = lxml.html.document_fromstring(head, parser=_parser("ISO-8859-1"))
    except (lxml.etree.ParserError, ValueError):
        return None
    for meta in root.iter("meta"):
        if meta.get("charset"):
            return str(meta.get("charset"))
        if str(meta.get("http-equiv", "")).lower() == "content-type":
            for param in str(meta.get("content", "")).split(";")[1:]:
                key, _, value = param.partition("=")
                if key.strip().lower() == "charset" and value.strip():
                    return value.strip()
    return None


# Controls a page has no business holding (all but tab and newline), and lone surrogates,
# which cannot be encoded to pass on to the parser.
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


def clean(text: str) -> str:
    """Newlines made \\n, a leading BOM dropped, and control characters removed."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROLS.sub("", text.removeprefix("\ufeff"))


_TAG = re.compile(
    r"</?(?:p|div|br|li|ul|ol|h[1-6]|a|span|em|strong|b|i|body|head|title|meta|link|table"
    r"|tr|td|article|section|header|footer|nav|main|script|style|img)\b[^<>]*>",
    re.IGNORECASE,
)


def looks_like_html(text: str, content_type: str = "") -> bool:
    """HTML by its media type, or by how it starts, or by holding several tags (a page sent
    as text/plain, or a saved one). A count of tag-like pieces decides, no more."""
    if content_type.split(";")[0].strip().lower() in HTML_TYPES:
        return True
    start = text.lstrip()[:64].lower()
    if start.startswith(("<!doctype", "<html", "<?xml")):
        return True
    return len(list(itertools.islice(_TAG.finditer(text, 0, 65536), 4))) >= 4


# --- Parsing --------------------------------------------------------------------------------


def _parser(encoding: str = "utf-8") -> lxml.html.HTMLParser:
    """lxml's HTML parser as we use it: no network, no comments or processing instructions,
    the encoding ours (so a page's own declaration cannot contradict the decoding)."""
    return lxml.html.HTMLParser(
        encoding=encoding, remove_comments=True, remove_pis=True, no_network=True,
        collect_ids=False, default_doctype=False,
    )  # fmt: skip


def _parse(text: str, where: str) -> lxml.html.HtmlElement | None:
    """The page's tree, or None for a page with nothing in it; a refusal for one nested or
    sized beyond any article."""
    parser = _parser()
    try:
        root = lxml.html.document_fromstring(text.encode("utf-8"), parser=parser)
    except (lxml.etree.ParserError, ValueError):
        return None  # empty, or only whitespace
    for entry in parser.error_log:
        if entry.type_name == "ERR_RESOURCE_LIMIT" or "depth" in entry.message.lower():
            raise UnknotError(
                f"nests its markup more than {MAX_DEPTH} deep, far deeper than any article",
                where=where, expected=EXPECTED,
            )  # fmt: skip
    count = sum(1 for _ in itertools.islice(root.iter(), MAX_ELEMENTS + 1))
    if count > MAX_ELEMENTS:
        raise UnknotError(
            f"has more than {MAX_ELEMENTS:,} elements, far more than any article page",
            where=where, expected=EXPECTED,
        )  # fmt: skip
    return root


def _title(root: lxml.html.HtmlElement) -> str:
    """The page's title when trafilatura found none: <title>, else the first <h1>."""
    for path in ("//head/title", "//title", "//h1"):
        for element in root.xpath(path):
            found = _one_line(element.text_content())
            if found:
                return found
    return ""


# --- Plain text, when trafilatura finds nothing ---------------------------------------------

# Never the article's words: code, what shows only without scripts, inert templates, drawings.
_NEVER_TEXT = ("script", "style", "noscript", "template", "svg", "iframe", "object", "embed")
# Left out of the fallback rendering: never text (scripts, styles), or never the article.
_DROPPED = frozenset(
    {"script", "style", "noscript", "template", "head", "nav", "header", "footer", "aside",
     "form", "iframe", "svg", "math", "button", "select", "textarea", "object", "embed"}
)  # fmt: skip
_BLOCKS = frozenset(
    {"p", "div", "section", "article", "main", "blockquote", "pre", "h1", "h2", "h3", "h4", "h5",
     "h6", "ul", "ol", "li", "dl", "dt", "dd", "table", "tr", "figure", "figcaption", "hr",
     "address", "details", "summary", "body"}
)  # fmt: skip
_COMMENTS = re.compile(r"comment|disqus|respond|reply", re.IGNORECASE)


def _render(root: lxml.html.HtmlElement) -> str:
    """The page as lines of text, each block and list item its own, by walking the tree
    without recursion. Parts that are never the article, comments included, are left out."""
    pieces: list[str] = []
    skip: lxml.etree._Element | None = None  # the element whose subtree is being left out
    for event, element in lxml.etree.iterwalk(root, events=("start", "end")):
        tag = element.tag if isinstance(element.tag, str) else ""
        if skip is not None:
            if event == "end" and element is skip:
                skip = None
                pieces.append(element.tail or "")
            continue
        if event == "start":
            marks = f"{element.get('class', '')} {element.get('id', '')}"
            if tag in _DROPPED or _COMMENTS.search(marks):
                skip = element
                continue
            if tag in _BLOCKS or tag == "br":
                pieces.append("\n")
            if tag == "li":
                pieces.append("- ")
            if tag in ("td", "th"):
                pieces.append(" ")
            pieces.append(element.text or "")
        else:
            if tag in _BLOCKS:
                pieces.append("\n")
            pieces.append(element.tail or "")
    return "".join(pieces)


def _tidy(text: str) -> str:
    """One line per line of content: inner runs of spaces made one, blank lines dropped;
    an indented list item keeps its indent."""
    lines = []
    for line in clean(text).split("\n"):
        indent = line[: len(line) - len(line.lstrip(" "))] if line.lstrip().startswith("- ") else ""
        words = " ".join(line.split())
        if words:
            lines.append(indent + words)
    return "\n".join(lines)


def _one_line(text: str) -> str:
    return " ".join(clean(text).split())
