"""The web app under load and under a crowd of new sessions, on loopback, against the real server.

Two measurements, each on a real `unknot serve --port 0` with a temporary history and cache:

  load (the default): `--clients` (200) concurrent clients, each on its own kept-alive
     connection, for `--seconds` (20), back to back over a mix of what phones ask: the start
     page, a plan, the player page and its JSON, a figure, a static file, the history, and the
     player's records (a session started, then steps). Prints the requests answered, p50 and
     p99 latency, and every error by kind; then that the server still answers a new client
     normally (the start page and a plan), with the time it took. `--voice none`.

  --first-clip: how long a real runner waits for the first voice clip of a new session
     (`/play?...`, then `/audio/0.mp3?...`, as the player page does), first on an idle server,
     then just after `--players` (40) other new `/play` addresses were opened, each of which
     asks for a whole session to be voiced. Prints both and the delay. `--voice espeak` by
     default (`--voice piper` for the neural voice). The speech cache starts empty.

    python benchmarks/load.py [--clients N] [--seconds S]
    python benchmarks/load.py --first-clip [--players N] [--voice espeak|piper]
    ... [--unknot PATH]  (another unknot command, e.g. an older checkout's, for a before figure)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import re
import statistics
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import NamedTuple

from serving import report_stderr, start_server, stop_server, unknot_command

QUERY = "routine=after-long-run&tight=hips&tight=hamstrings&minutes=12"
GUARD = 120.0  # seconds: a request not answered by then counts as an error, not a hang


# -- the server (started by benchmarks/serving.py) ------------------------------------------
def rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


# -- a small HTTP/1.1 client, spoken by hand (cheap, so the server is what is measured) ----------
class Answer(NamedTuple):
    status: int
    body: bytes


class Connection:
    """One kept-alive connection to the server on 127.0.0.1, opened again when it is closed."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.host = f"127.0.0.1:{port}"
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(
        self, method: str, path: str, body: bytes = b"", kind: str = "application/json"
    ) -> Answer:
        if self.writer is None or self.reader is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        head = f"{method} {path} HTTP/1.1\r\nHost: {self.host}\r\n"
        if method == "POST":
            head += f"Content-Type: {kind}\r\nContent-Length: {len(body)}\r\n"
        self.writer.write(head.encode() + b"\r\n" + body)
        try:
            answer = await asyncio.wait_for(self._answer(), GUARD)
        except BaseException:
            self.close()
            raise
        return answer

    async def _answer(self) -> Answer:
        assert self.reader is not None
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = re.search(rb"(?i)\r\ncontent-length: *(\d+)", head)
        if length is not None:
            body = await self.reader.readexactly(int(length[1]))
        elif re.search(rb"(?i)\r\ntransfer-encoding: *chunked", head):
            body = b""
            while size := int((await self.reader.readuntil(b"\r\n")).strip(), 16):
                body += (await self.reader.readexactly(size + 2))[:-2]
            await self.reader.readuntil(b"\r\n")
        else:
            raise ConnectionError("an answer with neither a length nor chunks")
        if re.search(rb"(?i)\r\nconnection: *close", head):
            self.close()
        return Answer(status, body)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


# -- load -----------------------------------------------------------------------------------
PAGES = [
    "/", f"/plan?{QUERY}", f"/api/plan?{QUERY}", f"/play?{QUERY}", f"/api/play?{QUERY}",
    "/figures/pigeon-right.svg", "/static/style.css", "/api/history",
]  # fmt: skip


Times = dict[str, list[float]]  # seconds, by what was asked (the path without its query)


async def client(port: int, deadline: float, times: Times, errors: Counter[str]) -> None:
    """Back to back until the deadline: the pages in a random order, and now and then a session's
    records (a start, then steps), as the player sends them."""
    connection = Connection(port)
    uid, position = str(uuid.uuid4()), 0
    try:
        while time.perf_counter() < deadline:
            if random.random() < 0.15:  # about one request in seven is a record
                if position == 0:
                    what, record = "start", {"query": QUERY, "before": {"calves": 5}}
                else:
                    what = "step"
                    record = {"query": QUERY, "position": position, "index": position % 10,
                              "held": 20.0, "outcome": "done"}  # fmt: skip
                position += 1
                method, path, body = "POST", f"/api/sessions/{uid}/{what}", json.dumps(record)
            else:
                method, path, body = "GET", random.choice(PAGES), ""
            began = time.perf_counter()
            try:
                answer = await connection.request(method, path, body.encode())
            except (OSError, asyncio.IncompleteReadError, ConnectionError, TimeoutError) as err:
                errors[type(err).__name__] += 1
                continue
            if answer.status == 200:
                kind = f"{method} {re.sub(r'/[0-9a-f-]{36}/', '/{uid}/', path.split('?')[0])}"
                times.setdefault(kind, []).append(time.perf_counter() - began)
            else:
                errors[f"{answer.status} on {path.split('?')[0]}"] += 1
    finally:
        connection.close()


async def load(port: int, clients: int, seconds: float) -> tuple[Times, Counter[str], float]:
    times: Times = {}
    errors: Counter[str] = Counter()
    began = time.perf_counter()
    deadline = began + seconds
    await asyncio.gather(*(client(port, deadline, times, errors) for _ in range(clients)))
    return times, errors, time.perf_counter() - began


async def afterwards(port: int) -> list[tuple[str, int, float]]:
    """A new client, once the load is over: the start page and a new plan, answered normally?"""
    checked = []
    connection = Connection(port)
    try:
        for path in ("/", "/api/plan?routine=after-long-run&minutes=9"):
            began = time.perf_counter()
            answer = await connection.request("GET", path)
            checked.append((path, answer.status, time.perf_counter() - began))
    finally:
        connection.close()
    return checked


def quantile(times: list[float], q: int) -> float:
    if len(times) < 2:
        return times[0] if times else float("nan")
    return statistics.quantiles(times, n=100)[q - 1]


def run_load(command: str, clients: int, seconds: float) -> None:
    with tempfile.TemporaryDirectory() as folder, tempfile.TemporaryFile() as errors:
        server, port = start_server(command, Path(folder), "none", errors)
        try:
            print(
                f"unknot serve on 127.0.0.1:{port} (--voice none); {clients} clients, {seconds:g} s"
            )
            by_kind, failed, elapsed = asyncio.run(load(port, clients, seconds))
            times = [t for kind in by_kind.values() for t in kind]
            print(
                f"  {len(times)} answered 200 in {elapsed:.1f} s ({len(times) / elapsed:.0f}/s): "
                f"p50 {quantile(times, 50) * 1000:.1f} ms, p99 {quantile(times, 99) * 1000:.1f} ms"
            )
            for kind, taken in sorted(by_kind.items()):
                print(
                    f"    {kind:<36}{len(taken):>7}  p50 {quantile(taken, 50) * 1000:7.1f} ms"
                    f"  p99 {quantile(taken, 99) * 1000:7.1f} ms"
                )
            print(f"  errors: {sum(failed.values())}" + "".join(
                f"\n    {count} x {kind}" for kind, count in failed.most_common()
            ))  # fmt: skip
            for path, status, took in asyncio.run(afterwards(port)):
                print(f"  afterwards: GET {path} -> {status} in {took * 1000:.1f} ms")
            memory = rss_mb(server.pid)
            if memory is not None:
                print(f"  the server's memory afterwards: {memory:.0f} MB")
            if server.poll() is not None:
                print(f"  ! the server stopped by itself (exit status {server.returncode})")
        finally:
            stop_server(server)
        report_stderr(errors)


# -- the first clip -------------------------------------------------------------------------
async def first_clip(port: int, query: str) -> float:
    """Seconds from asking for a new session's player page to having its first clip."""
    connection = Connection(port)
    try:
        began = time.perf_counter()
        page = await connection.request("GET", f"/play?{query}")
        clip = await connection.request("GET", f"/audio/0.mp3?{query}")
        if page.status != 200 or clip.status != 200:
            raise SystemExit(f"benchmark: /play {page.status}, /audio/0.mp3 {clip.status}")
        return time.perf_counter() - began
    finally:
        connection.close()


async def warm(port: int, query: str) -> None:
    connection = Connection(port)
    try:
        await connection.request("GET", f"/audio/0.mp3?{query}")
    finally:
        connection.close()


async def crowd(port: int, players: int) -> None:
    """`players` new /play addresses opened at once, each answered before this returns."""

    async def one(minutes: int) -> None:
        connection = Connection(port)
        try:
            await connection.request("GET", f"/play?routine=after-long-run&minutes={minutes}")
        finally:
            connection.close()

    await asyncio.gather(*(one(20 + n) for n in range(players)))


def run_first_clip(command: str, players: int, voice: str) -> None:
    with tempfile.TemporaryDirectory() as folder, tempfile.TemporaryFile() as errors:
        server, port = start_server(command, Path(folder), voice, errors)
        try:
            print(f"unknot serve on 127.0.0.1:{port} (--voice {voice}, an empty speech cache)")
            # Warm: the voice, the planner and the phrases every session shares (a clip alone
            # starts no background voicing).
            asyncio.run(warm(port, "routine=after-long-run&minutes=9"))
            idle = asyncio.run(first_clip(port, "routine=after-long-run&minutes=10"))
            print(f"  first clip of a new session, idle server:        {idle:6.2f} s")
            began = time.perf_counter()
            asyncio.run(crowd(port, players))
            opened = time.perf_counter() - began
            busy = asyncio.run(first_clip(port, "routine=after-long-run&minutes=11"))
            print(
                f"  first clip after {players} new /play addresses:     {busy:6.2f} s "
                f"(the {players} pages took {opened:.2f} s)"
            )
            print(f"  delay: {busy - idle:+.2f} s")
            threads = len(list(Path(f"/proc/{server.pid}/task").glob("*")))
            print(f"  the server's threads: {threads}")
        finally:
            stop_server(server)
        report_stderr(errors)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--first-clip", action="store_true", help="measure the first clip instead")
    parser.add_argument("--players", type=int, default=40)
    parser.add_argument("--voice", default="espeak", choices=("espeak", "piper"))
    parser.add_argument("--unknot", help="the unknot command to serve (default: this one's)")
    args = parser.parse_args()
    command = unknot_command(args.unknot)
    if args.first_clip:
        run_first_clip(command, args.players, args.voice)
    else:
        run_load(command, args.clients, args.seconds)


if __name__ == "__main__":
    main()
