"""Safety for every request and response, before the app sees it: the request must name this
server (its `Host`: no DNS rebinding), a request that changes anything must come from this
server's own pages (`Origin`, `Sec-Fetch-Site`: no cross-site writes), the address must be of a
sane length, and with `--lan` it must carry the access token (in the printed link once, then
in a cookie). Every response gets the security headers (a strict Content-Security-Policy).

Each refusal is one plain line, said before any of the app's work is done."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any
from urllib.parse import urlencode

from starlette.datastructures import Headers
from starlette.responses import PlainTextResponse, RedirectResponse, Response

TOKEN_COOKIE = "unknot_token"
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

    def __init__(self, inner: Any, token: str | None, hosts: Iterable[str]) -> None:
        self.inner = inner
        self.token = token
        self.hosts = frozenset(h.lower() for h in hosts)
        self.origins = frozenset(f"http://{h}" for h in self.hosts)

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
        if self.token is not None:
            return self._check_token(scope)
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

    def _check_token(self, scope: Scope) -> Response | None:
        from starlette.requests import HTTPConnection

        assert self.token is not None
        connection = HTTPConnection(scope)
        if same_secret(connection.cookies.get(TOKEN_COOKIE, ""), self.token):
            return None
        given = connection.query_params.get("token", "")
        if given and same_secret(given, self.token):
            # Into a cookie, and out of the address bar (and the browser's history).
            rest = [(k, v) for k, v in connection.query_params.multi_items() if k != "token"]
            target = connection.url.path + (f"?{urlencode(rest)}" if rest else "")
            response = RedirectResponse(target, status_code=303)
            response.set_cookie(
                TOKEN_COOKIE, self.token, max_age=30 * 86400, httponly=True, samesite="strict"
            )
            return response
        return _refused(
            403,
            "forbidden: open the link unknot printed when it started (it carries the access token)",
        )

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
                    (b"referrer-policy", b"no-referrer"),
                    (b"cross-origin-opener-policy", b"same-origin"),
                    # Another site's page may not read or embed what this server answers.
                    (b"cross-origin-resource-policy", b"same-origin"),
                ]
                message["headers"] = headers
            await send(message)

        return with_headers
