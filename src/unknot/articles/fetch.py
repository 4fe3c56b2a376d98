"""One web page, fetched for the article importer without letting a link reach inside.

A link someone pastes is untrusted: it may name this computer, a home network, a cloud
server's metadata service, or a name whose DNS answer moves between a check and the connection
(rebinding). So the link's host is resolved once, every address it resolves to is checked, and
the connection goes to that checked address and nowhere else; TLS is still verified against the
host's name. Redirects are followed by hand and every hop is checked the same way. The time,
the bytes read and the bytes unpacked are all capped, and no cookie is kept or sent.

The transport is our own, on the standard library's `http.client`, not ssrfguard. ssrfguard
(Apache-2.0, which an MIT project may depend on) does pin the connection to the checked address,
but its clients are httpx and requests (neither is one of unknot's run-time dependencies), the
caps, deadline, redirects and unpacking here would still be ours, and it is a young 0.x library
with a moving API: what it would add is the address table below, a few dozen lines.
"""

from __future__ import annotations

import contextlib
import http.client
import ipaddress
import re
import socket
import ssl
import threading
import time
import zlib
from typing import NamedTuple
from urllib.parse import quote, urljoin, urlsplit

from unknot.errors import UnknotError
from unknot.version import __version__

TIMEOUT_SECONDS = 10  # for each connect and read, and for the whole fetch, redirects included
MAX_BYTES = 2_000_000  # read from the network, compressed or not: an article page is far less
MAX_UNPACKED_BYTES = 8_000_000  # what a compressed page may unpack to (HTML packs 4-8 times)
MAX_REDIRECTS = 5
CHUNK = 64 * 1024
USER_AGENT = f"unknot/{__version__} (a post-run stretching coach, reading one article)"
EXPECTED = "an http or https link to a public page"
# What an article can be read from; anything else (an image, a PDF, a download) is refused
# before its body is read.
TEXT_TYPES = frozenset(
    {"text/html", "application/xhtml+xml", "text/plain", "text/markdown", "text/x-markdown"}
)
REDIRECTS = frozenset({301, 302, 303, 307, 308})
PORTS = frozenset({80, 443})
MAX_ATTEMPTS = (
    3  # addresses tried per host: enough for a dual-stack site, bounded for a hostile one
)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Sockaddr = tuple[str, int] | tuple[str, int, int, int]


class Page(NamedTuple):
    """A fetched page: where it ended up, its bytes, and what its server said they are."""

    url: str  # the final URL, after redirects
    body: bytes  # unpacked, if the server compressed it
    content_type: str  # the media type, lower case, without parameters ("" if none was sent)
    charset: str | None  # the Content-Type header's charset, if it named one


class _FetchError(Exception):
    """A refusal or failure inside one hop; `fetch` adds where it happened."""

    def __init__(self, what: str, expected: str = EXPECTED) -> None:
        super().__init__(what)
        self.what = what
        self.expected = expected


def fetch(url: str, *, allow_private: bool = False, timeout: float | None = None) -> Page:
    """The page at `url`, or one UnknotError naming what is wrong, where, and what would do.

    `allow_private=True` is for tests with a local server: it lets the link, and any redirect,
    reach a plain loopback address (127.0.0.0/8 or ::1, by number or by a name such as
    localhost) on any port. Every other check stays: the scheme, no user name in the link, the
    caps, and every other non-public address (10.0.0.1, ::ffff:127.0.0.1, 169.254.169.254, ...)
    is still refused, so a redirect out of the test server to one is still caught.

    `timeout` replaces TIMEOUT_SECONDS (the tests lower it so a stalled server fails fast).
    """
    limit = TIMEOUT_SECONDS if timeout is None else timeout
    shown = _shown(url)
    deadline = _Deadline(limit)
    try:
        current = url
        for hop in range(MAX_REDIRECTS + 1):
            try:
                target = _check_url(current, allow_private)
                answer = _get(target, deadline, limit, allow_private)
            except _FetchError as fail:
                where = f"redirected to {_shown(current)}: " if hop else ""
                raise UnknotError(where + fail.what, where=shown, expected=fail.expected) from None
            if isinstance(answer, Page):
                return answer
            try:
                current = urljoin(target.url, answer)
            except ValueError as err:
                raise UnknotError(
                    f"redirects to {_shown(answer)}, which is not a link unknot can read ({err})",
                    where=shown, expected=EXPECTED,
                ) from None  # fmt: skip
        raise UnknotError(
            f"redirects more than {MAX_REDIRECTS} times", where=shown,
            expected=f"a link that reaches its page in {MAX_REDIRECTS} redirects or fewer",
        )  # fmt: skip
    finally:
        deadline.cancel()


# --- The link -------------------------------------------------------------------------------


class _Target(NamedTuple):
    url: str
    scheme: str
    host: str  # the ASCII name (IDNA), or the address as text
    written: str  # the host as the link wrote it, for messages
    port: int
    path: str  # the request target: path and query, percent-encoded
    literal: IPAddress | None  # the address, when the link gives one rather than a name


_LABEL = r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?"
_HOST_NAME = re.compile(rf"{_LABEL}(?:\.{_LABEL})*")
_PATH_SAFE = "/%!$&'()*+,;=:@-._~"  # what may stay as it is in a path; the rest is escaped


def _check_url(url: str, allow_private: bool) -> _Target:
    """The link's parts, once its scheme, port, credentials and host are acceptable."""
    try:
        split = urlsplit(url.strip())
        scheme = split.scheme.lower()
        if scheme not in ("http", "https"):
            said = f"{scheme[:20]}: links are" if scheme else "a link without http:// is"
            raise _FetchError(f"refused: {said} not {'web pages' if scheme else 'a web page'}")
        if "@" in split.netloc:
            raise _FetchError("refused: the link carries a user name or password")
        port = split.port  # may raise ValueError for a port that is not a number
    except ValueError as err:
        raise _FetchError(f"is not a link unknot can read ({err})") from None
    if port is None:
        port = 443 if scheme == "https" else 80
    elif port not in PORTS and not allow_private:
        raise _FetchError(f"refused: port {port}; only the web's own ports 80 and 443 are fetched")
    host, literal = _host(split.hostname or "", allow_private)
    path = quote(split.path or "/", safe=_PATH_SAFE)
    if split.query:
        path += "?" + quote(split.query, safe=_PATH_SAFE + "?")
    return _Target(url, scheme, host, split.hostname or "", port, path, literal)


def _host(written: str, allow_private: bool) -> tuple[str, IPAddress | None]:
    """The host as ASCII (IDNA) and, when it is an address, the address."""
    if not written:
        raise _FetchError("has no site name")
    if ":" in written:  # only a bracketed IPv6 address has a colon in its host
        try:
            address = ipaddress.ip_address(written)
        except ValueError:
            raise _FetchError(f"is not a valid address: [{written}]") from None
        return str(address), address
    name = written[:-1] if written.endswith(".") else written  # "localhost." is localhost
    try:
        # The standard codec maps full-width letters, digits and dots to ASCII too, so a
        # full-width "localhost" or "127.0.0.1" is judged as what it is.
        name = name.encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise _FetchError(f"is not a valid site name: {written}") from None
    number = _ipv4_number(name)
    if number is not None:
        return str(number), number
    if len(name) > 253 or not _HOST_NAME.fullmatch(name):
        raise _FetchError(f"is not a valid site name: {written}")
    if (name == "localhost" or name.endswith(".localhost")) and not allow_private:
        raise _FetchError(f"refused: {written} is this computer, not a public web page")
    return name, None


def _ipv4_number(name: str) -> ipaddress.IPv4Address | None:
    """The address a host written as numbers means, as a browser reads it: 2130706433,
    0x7f.1, 0177.0.0.1 and 127.1 are all 127.0.0.1. None for a name that does not end in a
    number; a refusal for one that does but is no address."""
    labels = name.split(".")
    if _number(labels[-1]) is None:
        return None
    parts = [_number(label) for label in labels]
    if len(parts) > 4 or any(p is None for p in parts):
        raise _FetchError(f"is not a valid address: {name}")
    values = [p for p in parts if p is not None]
    if any(v > 255 for v in values[:-1]) or values[-1] >= 256 ** (5 - len(values)):
        raise _FetchError(f"is not a valid address: {name}")
    whole = values[-1] + sum(v << (8 * (3 - i)) for i, v in enumerate(values[:-1]))
    return ipaddress.IPv4Address(whole)


def _number(label: str) -> int | None:
    """One label of a numeric host: decimal, 0x hexadecimal or 0-led octal."""
    digits, base = label, 10
    if label[:2] in ("0x", "0X"):
        digits, base = label[2:], 16
        if not digits:
            return 0
    elif len(label) > 1 and label.startswith("0"):
        digits, base = label[1:], 8
    allowed = {10: "0123456789", 16: "0123456789abcdefABCDEF", 8: "01234567"}[base]
    if not digits or any(c not in allowed for c in digits):
        return None
    return int(digits, base)


# --- The address ----------------------------------------------------------------------------

_PRIVATE = "a private address (a home, office or cloud network)"
_DOC = "a documentation address"
_V4: tuple[tuple[ipaddress.IPv4Network, str], ...] = tuple(
    (ipaddress.IPv4Network(net), why)
    for net, why in (
        ("0.0.0.0/8", "a 'this network' address"),
        ("127.0.0.0/8", "a loopback address (this computer)"),
        ("10.0.0.0/8", _PRIVATE),
        ("172.16.0.0/12", _PRIVATE),
        ("192.168.0.0/16", _PRIVATE),
        ("100.64.0.0/10", "a carrier-grade NAT address (inside an internet provider)"),
        ("169.254.0.0/16", "a link-local address (where cloud servers keep their metadata)"),
        ("192.0.0.0/24", "an address reserved for protocols"),
        ("192.0.2.0/24", _DOC),
        ("198.51.100.0/24", _DOC),
        ("203.0.113.0/24", _DOC),
        ("198.18.0.0/15", "a benchmarking address"),
        ("192.88.99.0/24", "a retired 6to4 relay address"),
        ("224.0.0.0/4", "a multicast address"),
        ("240.0.0.0/4", "a reserved address"),
    )
)
_V6: tuple[tuple[ipaddress.IPv6Network, str], ...] = tuple(
    (ipaddress.IPv6Network(net), why)
    for net, why in (
        ("::1/128", "a loopback address (this computer)"),
        ("::/128", "the unspecified address"),
        ("::/96", "an old IPv4-compatible address"),
        ("64:ff9b:1::/48", "a local NAT64 address"),
        ("100::/64", "a discard-only address"),
        ("2001::/32", "a Teredo tunnel address"),
        ("2001:db8::/32", _DOC),
        ("3fff::/20", _DOC),
        ("5f00::/16", "a segment-routing address"),
        ("fc00::/7", "a private (unique local) address"),
        ("fe80::/10", "a link-local address"),
        ("fec0::/10", "a site-local address"),
        ("ff00::/8", "a multicast address"),
    )
)
_MAPPED = ipaddress.IPv6Network("::ffff:0:0/96")
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_TEREDO = ipaddress.IPv6Network("2001::/32")
_GLOBAL_UNICAST = ipaddress.IPv6Network("2000::/3")
_LOOPBACK = (ipaddress.IPv4Network("127.0.0.0/8"), ipaddress.IPv6Network("::1/128"))


def refusal(address: IPAddress, *, allow_loopback: bool = False) -> str | None:
    """Why a fetch may not connect to `address` ("a loopback address ..."), or None if it is a
    public one. Explicit tables first, since Python's `is_global` differs between versions
    (3.11 calls 224.0.0.1, fec0::1 and 64:ff9b::7f00:1 global); then `is_global` as well."""
    if allow_loopback and any(address in net for net in _LOOPBACK):
        return None
    if isinstance(address, ipaddress.IPv4Address):
        if address == ipaddress.IPv4Address(0):
            return "the unspecified address"
        for net, why in _V4:
            if address in net:
                return why
        return None if address.is_global else "not a public address"
    # IPv6 that carries an IPv4 address inside is judged by what it carries, so an IPv6
    # spelling cannot smuggle in a private IPv4 one.
    inner: list[ipaddress.IPv4Address] = []
    if address in _MAPPED or address in _NAT64:
        inner = [ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)]
    elif address.sixtofour is not None:
        inner = [address.sixtofour]
    elif address in _TEREDO and address.teredo is not None:
        inner = list(address.teredo)
    for carried in inner:
        inside = refusal(carried)
        if inside:
            return f"carries {carried}, {inside}"
    if inner and (address in _MAPPED or address in _NAT64):
        return None  # a public IPv4 address, as IPv6
    for v6net, why in _V6:
        if address in v6net:
            return why
    if address not in _GLOBAL_UNICAST:
        return "a reserved address"
    return None if address.is_global else "not a public address"


def _addresses(target: _Target, deadline: _Deadline, allow_private: bool) -> list[Sockaddr]:
    """Where to connect: the link's own address, or every address its name resolves to, each
    one checked. One refused address refuses the host (a name that answers with a public
    address and a private one is not to be trusted with either)."""
    found: list[tuple[IPAddress, Sockaddr]] = []
    if target.literal is not None:
        ip = target.literal
        found.append(
            (ip, (str(ip), target.port, 0, 0) if ip.version == 6 else (str(ip), target.port))
        )
    else:
        for family, text, scope in _lookup(target.host, target.port, deadline):
            try:
                ip = ipaddress.ip_address(text)
            except ValueError:
                raise _FetchError(f"{target.written} resolves to {text}, not an address") from None
            v6 = family == socket.AF_INET6
            found.append((ip, (text, target.port, 0, scope) if v6 else (text, target.port)))
    for ip, _ in found:
        why = refusal(ip, allow_loopback=allow_private)
        if why:
            raise _FetchError(f"refused: {_said(target, ip, why)}, not a public web page")
    return [sockaddr for _, sockaddr in found]


def _said(target: _Target, ip: IPAddress, why: str) -> str:
    """The refused address in words: as the link wrote it, then what it is."""
    carries = why.startswith("carries")
    if target.literal is None:  # a name: say where it led
        return f"{target.written} is {ip}, {'which ' if carries else ''}{why}"
    if carries:
        return f"{target.written} {why}"
    if str(ip) == target.written:
        return f"{target.written} is {why}"
    return f"{target.written} is {ip}, {why}"


def _lookup(host: str, port: int, deadline: _Deadline) -> list[tuple[int, str, int]]:
    """The host's addresses (family, address, IPv6 scope), from one lookup. getaddrinfo
    cannot be given a timeout, so it runs in a thread of its own that the fetch stops waiting
    for at the deadline."""
    box: dict[str, object] = {}

    def look() -> None:
        try:
            box["found"] = socket.getaddrinfo(
                host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
            )
        except (OSError, UnicodeError) as err:
            box["error"] = err

    worker = threading.Thread(target=look, name="unknot-lookup", daemon=True)
    worker.start()
    worker.join(deadline.left())
    if worker.is_alive():
        raise _FetchError(
            f"did not answer within {deadline.seconds:g} s (still looking up {host})", _AGAIN
        )
    if "error" in box or not box.get("found"):
        raise _FetchError(f"no site is found at {host}", "a link whose site name is spelt right")
    answers = box["found"]
    assert isinstance(answers, list)
    found: list[tuple[int, str, int]] = []
    for info in answers:
        family, sockaddr = info[0], info[4]
        if family in (socket.AF_INET, socket.AF_INET6):
            scope = sockaddr[3] if len(sockaddr) == 4 else 0
            found.append((int(family), str(sockaddr[0]), int(scope)))
    return found


# --- The connection -------------------------------------------------------------------------

_AGAIN = "a site that answers; try again later"


class _Deadline:
    """The whole fetch's time limit. A socket's own timeout bounds one read; this bounds them
    all: at the limit, the open connection is shut down under whatever is waiting on it."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expired = False
        self._end = time.monotonic() + seconds
        self._lock = threading.Lock()
        self._sock: socket.socket | None = None
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True
        self._timer.start()

    def left(self) -> float:
        """Seconds left, or the refusal once there are none."""
        left = self._end - time.monotonic()
        if left <= 0 or self.expired:
            raise self.failure()
        return left

    def failure(self) -> _FetchError:
        return _FetchError(f"did not answer within {self.seconds:g} s", _AGAIN)

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            self._sock = sock
            expired = self.expired
        if expired:
            _cut(sock)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            sock = self._sock
        if sock is not None:
            _cut(sock)

    def cancel(self) -> None:
        self._timer.cancel()


def _cut(sock: socket.socket) -> None:
    """Shut the connection under a blocked read. The plain socket's shutdown, even for TLS:
    the TLS one would tear down state the reading thread is still using."""
    with contextlib.suppress(OSError):  # already closed: nothing is waiting on it
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


def _open(sockaddrs: list[Sockaddr], limit: float, deadline: _Deadline) -> socket.socket:
    """A socket connected to one of the checked addresses, never to a name."""
    error: OSError = OSError("no address to connect to")
    for sockaddr in sockaddrs[:MAX_ATTEMPTS]:
        family = socket.AF_INET6 if len(sockaddr) == 4 else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.settimeout(min(limit, deadline.left()))
            sock.connect(sockaddr)
        except OSError as err:
            sock.close()
            error = err
            continue
        except BaseException:
            sock.close()
            raise
        deadline.watch(sock)
        return sock
    raise error


class _PinnedHTTP(http.client.HTTPConnection):
    """HTTP to a checked address; the Host header still names the site."""

    def __init__(
        self, target: _Target, sockaddrs: list[Sockaddr], limit: float, deadline: _Deadline
    ) -> None:
        super().__init__(target.host, target.port, timeout=limit)
        self._sockaddrs = sockaddrs
        self._limit = limit
        self._deadline = deadline

    def connect(self) -> None:
        self.sock = _open(self._sockaddrs, self._limit, self._deadline)


class _PinnedHTTPS(http.client.HTTPSConnection):
    """HTTPS to a checked address, its certificate verified against the site's name."""

    def __init__(
        self, target: _Target, sockaddrs: list[Sockaddr], limit: float, deadline: _Deadline
    ) -> None:
        self._tls = tls_context()
        super().__init__(target.host, target.port, timeout=limit, context=self._tls)
        self._sockaddrs = sockaddrs
        self._limit = limit
        self._deadline = deadline

    def connect(self) -> None:
        raw = _open(self._sockaddrs, self._limit, self._deadline)
        try:
            tls = self._tls.wrap_socket(
                raw, server_hostname=self.host, do_handshake_on_connect=False
            )
        except BaseException:
            raw.close()
            raise
        try:
            self._deadline.watch(tls)  # the raw socket was handed over to TLS: watch its heir
            tls.do_handshake()
        except BaseException:
            tls.close()
            raise
        self.sock = tls


def tls_context() -> ssl.SSLContext:
    """The system's certificates and the usual checks (tests may put their own CA in)."""
    return ssl.create_default_context()


def _get(target: _Target, deadline: _Deadline, limit: float, allow_private: bool) -> Page | str:
    """One request: the page, or the Location a redirect points to."""
    sockaddrs = _addresses(target, deadline, allow_private)
    pinned = _PinnedHTTPS if target.scheme == "https" else _PinnedHTTP
    conn = pinned(target, sockaddrs, limit, deadline)
    try:
        conn.request("GET", target.path, headers={
            "User-Agent": USER_AGENT,
            "Accept": "text/html, application/xhtml+xml, text/plain;q=0.9, */*;q=0.1",
            "Accept-Encoding": "gzip, deflate",
            "Connection": "close",
        })  # fmt: skip
        response = conn.getresponse()
        status = response.status
        if status in REDIRECTS:
            location = response.getheader("Location")
            if not location:
                raise _FetchError(f"answered {status} (a redirect) without saying where to")
            return location.strip()
        if not 200 <= status < 300:
            reason = " ".join(str(response.reason).split())[:80]
            raise _FetchError(
                f"the site answered {status} {reason}".rstrip(),
                "a link to a page that exists (it opens in a browser)",
            )
        content_type, charset = _media_type(response.getheader("Content-Type"))
        if content_type and content_type not in TEXT_TYPES:
            raise _FetchError(f"is {content_type}, not a web page", _ARTICLE)
        body = _read_body(response, conn, deadline, limit)
        if not content_type and _binary(body):
            raise _FetchError("is not text (its server did not say what it is)", _ARTICLE)
        return Page(target.url, body, content_type, charset)
    except _FetchError:
        raise
    except Exception as err:
        raise _failure(err, deadline) from None
    finally:
        conn.close()


_ARTICLE = "a link to an article's page (HTML or plain text)"


def _failure(err: Exception, deadline: _Deadline) -> _FetchError:
    """What went wrong on the wire, in plain words."""
    if deadline.expired or isinstance(err, TimeoutError):
        return deadline.failure()
    if isinstance(err, ssl.SSLCertVerificationError):
        why = err.verify_message or "not trusted"
        return _FetchError(
            f"its certificate could not be verified ({why})",
            "an https site with a valid certificate for its name",
        )
    if isinstance(err, ssl.SSLError):
        return _FetchError(f"the secure connection failed ({err.reason or err})", _AGAIN)
    if isinstance(err, ConnectionRefusedError):
        return _FetchError("the site refused the connection", _AGAIN)
    if isinstance(err, OSError):
        return _FetchError(f"the connection failed ({err.strerror or err})", _AGAIN)
    if isinstance(err, http.client.HTTPException):
        return _FetchError(f"the site sent a broken answer ({type(err).__name__})", _AGAIN)
    if isinstance(err, ValueError | UnicodeError):
        return _FetchError(f"the site sent an answer unknot cannot read ({err})", _AGAIN)
    raise err  # anything else is a bug of ours, not the site's


def _media_type(header: str | None) -> tuple[str, str | None]:
    """ "text/html; charset=UTF-8" -> ("text/html", "utf-8")."""
    if not header:
        return "", None
    kind, *params = header.split(";")
    charset = None
    for param in params:
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset":
            charset = value.strip().strip("\"'").lower() or None
    return kind.strip().lower(), charset


def _binary(body: bytes) -> bool:
    """A body with NULs near its start (and no UTF-16 byte-order mark) is not text."""
    return body[:2] not in (b"\xff\xfe", b"\xfe\xff") and b"\x00" in body[:1024]


def _read_body(
    response: http.client.HTTPResponse,
    conn: http.client.HTTPConnection,
    deadline: _Deadline,
    limit: float,
) -> bytes:
    """The body, read a chunk at a time: at most MAX_BYTES off the network and, when it is
    compressed, MAX_UNPACKED_BYTES unpacked, so neither a huge page nor a small zip bomb
    gets into memory."""
    too_big = _FetchError(
        f"is more than {MAX_BYTES // 1_000_000} MB, far more than any article",
        "a link to one article's page",
    )
    length = response.getheader("Content-Length")
    if length and length.strip().isdigit() and int(length) > MAX_BYTES:
        raise too_big
    unpacker = _Unpacker(response.getheader("Content-Encoding"))
    read = 0
    while True:
        if conn.sock is not None:
            conn.sock.settimeout(min(limit, deadline.left()))
        chunk = response.read1(CHUNK)
        if not chunk:
            break
        read += len(chunk)
        if read > MAX_BYTES:
            raise too_big
        unpacker.feed(chunk)
    deadline.left()  # a read the deadline cut short ends in an empty chunk, not the page's end
    return unpacker.finish()


class _Unpacker:
    """Content-Encoding undone incrementally, output capped as it grows."""

    def __init__(self, encoding: str | None) -> None:
        self.encoding = (encoding or "identity").strip().lower()
        if self.encoding not in ("identity", "gzip", "x-gzip", "deflate"):
            raise _FetchError(
                f"was sent compressed as {self.encoding[:40]}, which unknot did not ask for",
                "a site that sends its pages plain or gzip-compressed",
            )
        self._out = bytearray()
        self._head = b""  # deflate: the first bytes, to tell zlib's wrapper from raw deflate
        self._z: zlib._Decompress | None = None
        if self.encoding in ("gzip", "x-gzip"):
            self._z = zlib.decompressobj(16 + zlib.MAX_WBITS)

    def feed(self, data: bytes) -> None:
        if self.encoding == "identity":
            self._out += data
            return
        if self._z is None:  # deflate, undecided: servers send it with or without zlib's header
            self._head += data
            if len(self._head) < 2:
                return
            wrapped = self._head[0] & 0x0F == 8 and int.from_bytes(self._head[:2], "big") % 31 == 0
            self._z = zlib.decompressobj(zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS)
            data, self._head = self._head, b""
        try:
            while data and not self._z.eof:
                # A megabyte at a time, so no piece is ever held twice at full size.
                room = min(MAX_UNPACKED_BYTES - len(self._out) + 1, 1 << 20)
                self._out += self._z.decompress(data, room)
                self._check()
                data = self._z.unconsumed_tail
        except zlib.error as err:
            raise self._broken(err) from None

    def finish(self) -> bytes:
        if self._z is None:
            if self._head:  # a deflate body of one byte
                raise self._broken(zlib.error("too short"))
            return bytes(self._out)
        if not self._z.eof:  # cut short: what came through may lack the page's end, or all of it
            raise self._broken(zlib.error("it ends before its end"))
        return bytes(self._out)

    def _check(self) -> None:
        if len(self._out) > MAX_UNPACKED_BYTES:
            raise _FetchError(
                f"unpacks to more than {MAX_UNPACKED_BYTES // 1_000_000} MB, far more than any"
                " article (a zip bomb, or not an article)",
                "a link to one article's page",
            )

    def _broken(self, err: zlib.error) -> _FetchError:
        return _FetchError(f"sent a compressed page that cannot be unpacked ({err})", _AGAIN)


def _shown(url: str) -> str:
    """A link as an error shows it: on one line, and not a page long."""
    flat = " ".join(str(url).split())
    return flat if len(flat) <= 200 else flat[:197] + "..."
