"""Running the web app: the socket it listens on, the address printed for a phone, uvicorn, and
the limits on every connection that no ASGI app can set: how long and how large a request's
head may be, how long a connection may sit idle or unread, how many there may be."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, NamedTuple

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

import unknot

HEAD_SECONDS = 10.0  # a request's line and headers, from its first byte or the answer before
HEAD_BYTES = 32_768  # a query is at most 4 KB (guard); the rest is headers and cookies
KEEP_ALIVE_SECONDS = 5  # an idle kept-alive connection is closed after this
UNREAD_SECONDS = 30.0  # a client that reads none of its answer for this long is dropped
CONNECTIONS = 1024  # past this many at once, a new request is answered 503 at once
SHUTDOWN_SECONDS = 5  # Ctrl-C waits this long at most for requests under way


class Address(NamedTuple):
    host: str
    port: int
    pair_code: str | None
    scheme: str = "http"

    @property
    def url(self) -> str:
        pair = f"?pair={self.pair_code}" if self.pair_code else ""
        return f"{self.scheme}://{self.host}:{self.port}/{pair}"


def lan_address() -> str:
    """This machine's address on the local network, for the link printed for the phone."""
    import socket

    # Connecting a UDP socket only asks the routing table which interface it would use:
    # no packet is sent. 192.0.2.1 is a documentation address, reached by nobody.
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))
            return str(probe.getsockname()[0])
        except OSError:
            return "127.0.0.1"


def listen(host: str, port: int) -> Any:
    """A bound socket (port 0 picks a free one), so the address can be printed before serving."""
    import socket

    # IPPROTO_TCP said outright: asyncio then sets TCP_NODELAY on every connection, without
    # which each response on a kept-alive connection waited ~40 ms for a delayed ACK (Nagle).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as err:
        sock.close()
        raise unknot.UnknotError(
            f"cannot listen on {host}:{port} ({err.strerror})", field="port",
            expected="a free port (or 0 for any free port)",
        ) from None  # fmt: skip
    sock.listen(2048)
    return sock


class BoundedProtocol(HttpToolsProtocol):
    """uvicorn's HTTP/1.1 (httptools), with the deadlines it lacks. uvicorn times out only an
    idle kept-alive connection, and its timer stops at the first byte: a client that sends its
    head a byte a second, or never reads its answer, holds a connection (and its memory) for
    good, and the head's size has no bound. Here the head must be whole within `HEAD_SECONDS`
    and `HEAD_BYTES` of the connection opening (or of the answer before), and a connection
    whose answer is not read for `UNREAD_SECONDS` is dropped. (A body's deadline is the app's,
    which alone reads one.)"""

    _head_timer: asyncio.TimerHandle | None = None
    _unread_timer: asyncio.TimerHandle | None = None
    _head_bytes = 0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._await_head()

    def _await_head(self) -> None:
        self._cancel_head()
        self._head_bytes = 0
        self._head_timer = self.loop.call_later(
            HEAD_SECONDS, self._refuse, 408, f"a request's head must come within {HEAD_SECONDS:g} s"
        )

    def _cancel_head(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self._head_timer is not None and not self.transport.is_closing():  # head unfinished
            self._head_bytes += len(data)
            if self._head_bytes > HEAD_BYTES:
                self._refuse(431, f"a request's head is at most {HEAD_BYTES} bytes")

    def on_headers_complete(self) -> None:
        self._cancel_head()
        super().on_headers_complete()

    def on_response_complete(self) -> None:
        waiting = not self.pipeline  # else the next request's head has come already
        super().on_response_complete()
        if waiting and not self.transport.is_closing():
            self._await_head()

    def _refuse(self, status: int, line: str) -> None:
        from http import HTTPStatus

        self._head_timer = None
        if self.transport.is_closing():
            return
        if self._head_bytes:  # a connection that never said anything is closed without a word
            body = f"{line}\n".encode()
            self.transport.write(
                f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\n"
                f"content-type: text/plain; charset=utf-8\r\ncontent-length: {len(body)}\r\n"
                "connection: close\r\n\r\n".encode()
                + body
            )
        self.transport.close()

    def pause_writing(self) -> None:
        super().pause_writing()
        if self._unread_timer is None:
            self._unread_timer = self.loop.call_later(UNREAD_SECONDS, self.transport.abort)

    def resume_writing(self) -> None:
        super().resume_writing()
        if self._unread_timer is not None:
            self._unread_timer.cancel()
            self._unread_timer = None

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_head()
        if self._unread_timer is not None:
            self._unread_timer.cancel()
            self._unread_timer = None
        super().connection_lost(exc)


def serve(web: Any, sock: Any, tls: tuple[Path, Path] | None = None) -> None:
    """Serve the app on the bound socket until Ctrl-C; over TLS with `tls` (the certificate
    and key files)."""
    import uvicorn

    config = uvicorn.Config(
        web, log_level="warning", access_log=False, lifespan="off", http=BoundedProtocol,
        ws="none",  # no WebSocket is served
        proxy_headers=False,  # nothing is in front of it: X-Forwarded-* is anybody's word
        server_header=False, timeout_keep_alive=KEEP_ALIVE_SECONDS,
        limit_concurrency=CONNECTIONS, timeout_graceful_shutdown=SHUTDOWN_SECONDS,
        ssl_certfile=str(tls[0]) if tls else None, ssl_keyfile=str(tls[1]) if tls else None,
    )  # fmt: skip
    uvicorn.Server(config).run(sockets=[sock])
