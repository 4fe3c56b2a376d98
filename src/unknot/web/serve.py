"""Running the web app: the socket it listens on, the address printed for a phone, uvicorn."""

from __future__ import annotations

from typing import Any, NamedTuple

import unknot


class Address(NamedTuple):
    host: str
    port: int
    token: str | None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/" + (f"?token={self.token}" if self.token else "")


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


def serve(web: Any, sock: Any) -> None:
    """Serve the app on the bound socket until Ctrl-C."""
    import uvicorn

    config = uvicorn.Config(web, log_level="warning", access_log=False, lifespan="off")
    uvicorn.Server(config).run(sockets=[sock])
