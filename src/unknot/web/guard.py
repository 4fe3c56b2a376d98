"""Safety for every response: security headers (a strict Content-Security-Policy), and with
`--lan` an access token that every request must carry (in the printed link once, then in a
cookie)."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import urlencode

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


def new_token() -> str:
    return secrets.token_urlsafe(18)


Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


class Guard:
    """Security headers on every response; with a token, a 403 for any request without it."""

    def __init__(self, inner: Any, token: str | None) -> None:
        self.inner = inner
        self.token = token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.inner(scope, receive, send)
            return
        if self.token is not None:
            refusal = self._check(scope)
            if refusal is not None:
                await refusal(scope, receive, self._headed(send))
                return
        await self.inner(scope, receive, self._headed(send))

    def _check(self, scope: Scope) -> Response | None:
        from starlette.requests import HTTPConnection

        assert self.token is not None
        connection = HTTPConnection(scope)
        if hmac.compare_digest(connection.cookies.get(TOKEN_COOKIE, ""), self.token):
            return None
        given = connection.query_params.get("token", "")
        if given and hmac.compare_digest(given, self.token):
            # Into a cookie, and out of the address bar (and the browser's history).
            rest = [(k, v) for k, v in connection.query_params.multi_items() if k != "token"]
            target = connection.url.path + (f"?{urlencode(rest)}" if rest else "")
            response = RedirectResponse(target, status_code=303)
            response.set_cookie(
                TOKEN_COOKIE, self.token, max_age=30 * 86400, httponly=True, samesite="strict"
            )
            return response
        return PlainTextResponse(
            "forbidden: open the link unknot printed when it started (it carries the access token)",
            status_code=403,
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
                ]
                message["headers"] = headers
            await send(message)

        return with_headers
