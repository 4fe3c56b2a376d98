"""Safety for every request and response, before the app sees it: the request must name this
server (its `Host`: no DNS rebinding), a request that changes anything must come from this
server's own pages (`Origin`, `Sec-Fetch-Site`: no cross-site writes), the address must be of a
sane length, and with `--lan` it must come from a paired device (`devices`): one that opened
the printed link (its pairing code) once, and carries the cookie it was given then. Every
response gets the security headers (a strict Content-Security-Policy).

Each refusal is one plain line, said before any of the app's work is done."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import urlencode

from starlette.datastructures import Headers
from starlette.responses import PlainTextResponse, RedirectResponse, Response

if TYPE_CHECKING:
    from unknot.web.devices import Devices

DEVICE_COOKIE = "unknot_device"
AUTHORITY_PATH = "/unknot-ca.crt"  # with --https: fetched before pairing, to trust the server
# Chrome keeps no cookie longer than 400 days; a device in use is given it again on pairing only,
# so a phone unused for more than a year pairs again.
DEVICE_COOKIE_SECONDS = 400 * 86400
UNPAIRED = (
    "forbidden: this device is not paired with unknot; open the link `unknot serve --lan` "
    "printed (or scan its QR code) on it once"
)
# Scripts, styles and images from this server only; nothing inline, no frames, no plugins.
PAGE_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "media-src 'self' blob:; connect-src 'self'; worker-src 'self'; manifest-src 'self'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
# A figure is an SVG image with its own small style sheet (light and dark); it runs nothing.
FIGURE_POLICY = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"
LOOPBACK = ("127.0.0.1", "localhost", "[::1]")  # what a browser on this machine may call it
QUERY_BYTES = 4096  # the longest plan the start page makes is ~700 bytes of query
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})  # they change nothing here
# Sec-Fetch-Site values of a request made by some other site's page (a port of this machine
# other than the served one is the "same site" for a browser, and still not this server).
FOREIGN_SITES = frozenset({"cross-site", "same-site"})


def new_token() -> str:
    return secrets.token_urlsafe(18)


class Pairing(NamedTuple):
    """With `--lan`: this run's pairing code (in the printed link) and the devices paired."""

    code: str
    devices: Devices


def served_hosts(port: int, lan_host: str | None = None) -> tuple[str, ...]:
    """Every `Host` a request to this server may carry: its loopback names, and with `--lan` the
    address printed for the phone, each with the port served (a browser leaves out port 80)."""
    names = [*LOOPBACK, *([lan_host] if lan_host else [])]
    hosts = [f"{name}:{port}" for name in names]
    return tuple(hosts + (names if port == 80 else []))


def same_secret(given: str, secret: str) -> bool:
    """Whether `given` is the token, in constant time. A token is URL-safe ASCII: anything
    else (`?token=é`) is simply not it."""
    return given.isascii() and hmac.compare_digest(given.encode(), secret.encode())


Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


def _refused(status: int, line: str) -> Response:
    return PlainTextResponse(line, status_code=status)


class Guard:
    """The checks every request passes before the app, in this order: Host, the address's
    length, where it comes from, the token; and the security headers on every response."""

    def __init__(
        self, inner: Any, pairing: Pairing | None, hosts: Iterable[str], scheme: str = "http"
    ) -> None:
        self.inner = inner
        self.pairing = pairing
        self.scheme = scheme
        self.hosts = frozenset(h.lower() for h in hosts)
        self.origins = frozenset(f"{scheme}://{h}" for h in self.hosts)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.inner(scope, receive, send)
            return
        refusal = self._refusal(scope)
        if refusal is not None:
            if scope["type"] == "websocket":  # no socket is served here: closed at once
                await send({"type": "websocket.close", "code": 1008})
                return
            await refusal(scope, receive, self._headed(send))
            return
        await self.inner(scope, receive, self._headed(send))

    def _refusal(self, scope: Scope) -> Response | None:
        headers = Headers(scope=scope)
        host = headers.get("host", "").strip().lower()
        if host not in self.hosts:
            # A page elsewhere that renamed itself to this machine's address (DNS rebinding),
            # or a proxy that passed on someone else's request: neither is this server's.
            named = f"the Host {host!r}" if host else "no Host"
            return _refused(
                421,
                f"misdirected request: {named} is not this server's address; "
                f"expected one of {', '.join(sorted(self.hosts))}",
            )
        if len(scope.get("query_string", b"")) > QUERY_BYTES:
            return _refused(
                414, f"the address is too long; expected a query of at most {QUERY_BYTES} bytes"
            )
        foreign = self._foreign(scope["method"] if scope["type"] == "http" else "GET", headers)
        if foreign:
            return _refused(
                403, f"forbidden: {foreign}; expected a request from unknot's own pages"
            )
        if self.pairing is not None and scope.get("path") != AUTHORITY_PATH:
            return self._check_device(scope, self.pairing)
        return None

    def _foreign(self, method: str, headers: Headers) -> str:
        """Why a request looks made by another site's page, or "" when it does not."""
        site = headers.get("sec-fetch-site", "").lower()
        if method not in SAFE_METHODS:
            # A form or fetch from any page can POST here (text/plain needs no preflight): only
            # this server's own origin, or a client that names none (a script, curl), may.
            origin = headers.get("origin")
            if origin is not None and origin.lower() not in self.origins:
                return f"a {method} from the page of another origin ({origin!r})"
            if site in FOREIGN_SITES:
                return f"a {method} from another site's page (Sec-Fetch-Site: {site})"
            return ""
        # Reading is open to a link followed from anywhere (a navigation), not to another site's
        # scripts, images or frames, which could only make this server work (an <img> asking
        # for a plan), since the browser keeps the answer from them.
        mode = headers.get("sec-fetch-mode", "navigate").lower()
        destination = headers.get("sec-fetch-dest", "document").lower()
        if site in FOREIGN_SITES and (mode != "navigate" or destination != "document"):
            return f"another site's page asked for this ({destination}, {mode})"
        return ""

    def _check_device(self, scope: Scope, pairing: Pairing) -> Response | None:
        from starlette.requests import HTTPConnection

        import unknot

        connection = HTTPConnection(scope)
        if pairing.devices.known(connection.cookies.get(DEVICE_COOKIE, "")):
            return None
        given = connection.query_params.get("pair", "")
        if not (given and same_secret(given, pairing.code)):
            return _refused(403, UNPAIRED)
        try:
            cookie = pairing.devices.pair(connection.headers.get("user-agent", ""))
        except unknot.UnknotError as err:
            return _refused(507, f"this device cannot be paired: {err.line()}")
        # Into a cookie of its own, and the code out of the address bar (and the history).
        rest = [(k, v) for k, v in connection.query_params.multi_items() if k != "pair"]
        target = connection.url.path + (f"?{urlencode(rest)}" if rest else "")
        response = RedirectResponse(target, status_code=303)
        response.set_cookie(
            DEVICE_COOKIE, cookie, max_age=DEVICE_COOKIE_SECONDS, httponly=True,
            samesite="strict", secure=self.scheme == "https",
        )  # fmt: skip
        return response

    @staticmethod
    def _headed(send: Send) -> Send:
        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                kind = dict(headers).get(b"content-type", b"")
                policy = FIGURE_POLICY if kind.startswith(b"image/svg") else PAGE_POLICY
                headers += [
                    (b"content-security-policy", policy.encode()),
                    (b"x-content-type-options", b"nosniff"),
                    # No address sent to another site; to this one, yes: under "no-referrer"
                    # a browser sends a form's POST with `Origin: null`, which is refused.
                    (b"referrer-policy", b"same-origin"),
                    (b"cross-origin-opener-policy", b"same-origin"),
                    # Another site's page may not read or embed what this server answers.
                    (b"cross-origin-resource-policy", b"same-origin"),
                ]
                message["headers"] = headers
            await send(message)

        return with_headers
