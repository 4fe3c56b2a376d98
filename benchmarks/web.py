"""Page weight and latency of the web app (`unknot serve`), on loopback.

Starts the real server (`unknot serve --port 0 --voice none`, a temporary SQLite history) and
measures, in the same run:
  1. page weight: for the start, plan and player pages, the HTML and every resource a browser
     loads for it on a first visit (style sheets and icons from <link>, <script src>, <img src>,
     the figures the player fetches from its session data, the service worker its script
     registers), each fetched once, in KB of 1,000 bytes as sent. Voice clips are left out
     (`--voice none`). Aim: under 150 KB a page;
  2. latency: 100 concurrent clients, each on its own kept-alive connection, to /plan,
     /api/plan, /play and /api/play with the same query and, as the baseline under the same
     load, a trivial static file (/static/icon.svg). Twice: paced (each client one request
     every 200 ms, about 500 a second in all, like 100 phones busy at once) and saturated (each
     client back to back: a closed loop, where latency is mostly the queue, about 100 /
     (requests a second)). Prints the median, the p99, the requests a second, each p99 as a
     ratio to the baseline's, and the CPU time a request of the server (from /proc, where there
     is one) and of the clients (this process, which shares the machine's cores with the
     server). Aim: p99 under 50 ms.

    python benchmarks/web.py [--clients N] [--requests N] [--seconds S] [--pace S]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import statistics
import tempfile
import time
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urljoin, urlsplit

import httpx
from serving import report_stderr, start_server, stop_server, unknot_command

QUERY = "routine=after-long-run&tight=hips&tight=hamstrings&minutes=12"
PAGE_AIM_KB = 150
P99_AIM_MS = 50
BASELINE = "/static/icon.svg"
KINDS = ("HTML", "CSS", "JS", "figures/images", "other")
LINK_RELS = {"stylesheet", "icon", "apple-touch-icon", "manifest", "preload", "modulepreload"}
REGISTERED = re.compile(r"""serviceWorker\s*\.\s*register\(\s*["']([^"']+)["']""")


# -- the server (started by benchmarks/serving.py) ------------------------------------------
def cpu_clock(pid: int) -> Callable[[], float | None]:
    """A clock of the CPU seconds process `pid` has used (all its threads), or of None."""
    stat = Path(f"/proc/{pid}/stat")
    ticks = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100

    def used() -> float | None:
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            return None
        return (int(fields[11]) + int(fields[12])) / ticks  # utime + stime

    return used


# -- page weight ----------------------------------------------------------------------------------
class Resources(HTMLParser):
    """What a browser loads for a page: its <link>s, scripts and images, in document order, and
    the text of the player's session data block."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self.session_data = ""
        self._in_data = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        given = {name: value or "" for name, value in attrs}
        if tag == "link" and LINK_RELS & set(given.get("rel", "").lower().split()):
            self.found.append(given.get("href", ""))
        elif tag == "script" and given.get("src"):
            self.found.append(given["src"])
        elif tag == "script" and given.get("id") == "session-data":
            self._in_data = True
        elif tag == "img" and given.get("src"):
            self.found.append(given["src"])

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_data = False

    def handle_data(self, data: str) -> None:
        if self._in_data:
            self.session_data += data


def kind_of(response: httpx.Response) -> str:
    content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "text/html":
        return "HTML"
    if content_type == "text/css":
        return "CSS"
    if "javascript" in content_type:
        return "JS"
    if content_type.startswith("image/"):
        return "figures/images"
    return "other"


class Weight(NamedTuple):
    bytes_by_kind: dict[str, int]
    count_by_kind: dict[str, int]
    problems: list[str]

    @property
    def total(self) -> int:
        return sum(self.bytes_by_kind.values())


def page_weight(client: httpx.Client, url: str) -> Weight:
    """The bytes of a page and of everything it makes a browser load, each fetched once."""
    sizes = dict.fromkeys(KINDS, 0)
    counts = dict.fromkeys(KINDS, 0)
    problems: list[str] = []
    seen: set[str] = set()

    def fetch(address: str) -> httpx.Response:
        seen.add(address)
        response = client.get(address)
        if response.status_code != 200:
            problems.append(f"{urlsplit(address).path} answered {response.status_code}")
        if response.headers.get("content-encoding"):
            problems.append(f"{urlsplit(address).path} came {response.headers['content-encoding']}")
        kind = kind_of(response)
        sizes[kind] += response.num_bytes_downloaded  # the body as sent, headers left out
        counts[kind] += 1
        return response

    page = fetch(url)
    parser = Resources()
    parser.feed(page.text)
    wanted = [urljoin(url, address) for address in parser.found if address]
    if parser.session_data:  # the player fetches each step's figure before it is needed
        session = json.loads(parser.session_data)
        figures = [e.get("figure") for e in session.get("entries", [])]
        wanted += [urljoin(url, f) for f in figures if f]
    for address in wanted:
        if address in seen or urlsplit(address).netloc != urlsplit(url).netloc:
            continue
        response = fetch(address)
        if kind_of(response) == "JS":  # a script may register a service worker: loaded too
            wanted += [urljoin(address, w) for w in REGISTERED.findall(response.text)]
    return Weight(sizes, counts, problems)


def print_weights(base: str) -> None:
    pages = {"start": "/", "plan": f"/plan?{QUERY}", "player": f"/play?{QUERY}"}
    print(
        f"page weight: a first visit, all that the page loads, each once (aim < {PAGE_AIM_KB} KB)"
    )
    print(
        "  KB = 1000 bytes as sent; lazy images counted; audio left out (voice clips: --voice none)"
    )
    columns = [k for k in KINDS if k != "other"]
    print(f"  {'page':<8}" + "".join(f"{k:>18}" for k in columns) + f"{'total':>12}")
    with httpx.Client(base_url=base, timeout=30) as client:
        for name, path in pages.items():
            weight = page_weight(client, urljoin(base, path))
            cells = [
                f"{weight.bytes_by_kind[k] / 1000:7.1f} KB ({weight.count_by_kind[k]:>2})"
                for k in columns
            ]
            other = weight.bytes_by_kind["other"]
            extra = f"  (+{other / 1000:.1f} KB of other kinds)" if other else ""
            print(f"  {name:<8}" + "".join(f"{c:>18}" for c in cells), end="")
            print(f"{weight.total / 1000:9.1f} KB{extra}")
            for problem in weight.problems:
                print(f"    ! {problem}")
    print("  (in brackets: the number of files of each kind)")


# -- latency --------------------------------------------------------------------------------------
class Latency(NamedTuple):
    times: list[float]
    failures: int
    seconds: float
    server_cpu: float | None  # seconds of the server's CPU over the timed run
    client_cpu: float  # and of this process's, the load generator's

    @property
    def median(self) -> float:
        return statistics.median(self.times) if self.times else float("nan")

    @property
    def p99(self) -> float:
        if len(self.times) < 2:
            return self.times[0] if self.times else float("nan")
        return statistics.quantiles(self.times, n=100)[98]

    @property
    def rate(self) -> float:
        return len(self.times) / self.seconds if self.seconds else float("nan")

    @property
    def cpu_per_request(self) -> float | None:
        if self.server_cpu is None or not self.times:
            return None
        return self.server_cpu / (len(self.times) + self.failures)

    @property
    def client_cpu_per_request(self) -> float:
        return self.client_cpu / max(1, len(self.times) + self.failures)


class Connection:
    """One client's kept-alive HTTP/1.1 connection, spoken by hand: a load generator that costs
    a tenth of httpx's CPU a request, so the measurement is of the server, which shares the
    machine's two cores with it."""

    def __init__(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, host: str
    ) -> None:
        self.reader, self.writer = reader, writer
        self.host = host  # the Host header: the server answers only requests that name it

    @classmethod
    async def open(cls, host: str, port: int) -> Connection:
        return cls(*await asyncio.open_connection(host, port), f"{host}:{port}")

    async def get(self, path: str) -> int:
        """The status of GET `path`, its body read to the end."""
        self.writer.write(f"GET {path} HTTP/1.1\r\nHost: {self.host}\r\n\r\n".encode())
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = re.search(rb"(?i)\r\ncontent-length: *(\d+)", head)
        if length is None:
            raise ConnectionError(f"no content-length for {path}")
        await self.reader.readexactly(int(length[1]))
        return status

    def close(self) -> None:
        self.writer.close()


async def one_client(
    connection: Connection,
    path: str,
    count: int,
    deadline: float,
    times: list[float],
    pace: float,
) -> int:
    """`count` requests, one every `pace` seconds (0: back to back), stopping at the deadline;
    returns the failures."""
    failures = 0
    if pace:
        await asyncio.sleep(random.uniform(0, pace))  # the clients' requests spread out
    for _ in range(count):
        began = time.perf_counter()
        if began >= deadline:
            break
        try:
            status = await connection.get(path)
        except (OSError, asyncio.IncompleteReadError, ConnectionError):
            failures += 1
            continue
        elapsed = time.perf_counter() - began
        if status == 200:
            times.append(elapsed)
        else:
            failures += 1
        if pace:
            await asyncio.sleep(max(0.0, pace - elapsed))
    return failures


async def load(
    clients: list[Connection],
    path: str,
    requests: int,
    warmup: int,
    seconds: float,
    pace: float,
    server_cpu: Callable[[], float | None],
) -> Latency:
    """Every client at once: a warm-up, then `requests` each, timed (at most `seconds`)."""
    ignored: list[float] = []
    deadline = time.perf_counter() + seconds
    await asyncio.gather(*(one_client(c, path, warmup, deadline, ignored, 0) for c in clients))
    times: list[float] = []
    cpu_before, client_before = server_cpu(), time.process_time()
    began = time.perf_counter()
    deadline = began + seconds
    failures = await asyncio.gather(
        *(one_client(c, path, requests, deadline, times, pace) for c in clients)
    )
    elapsed = time.perf_counter() - began
    cpu_after = server_cpu()
    cpu = None if cpu_before is None or cpu_after is None else cpu_after - cpu_before
    return Latency(times, sum(failures), elapsed, cpu, time.process_time() - client_before)


async def measure_latency(
    base: str,
    paths: list[str],
    clients: int,
    requests: int,
    warmup: int,
    seconds: float,
    pace: float,
    server_cpu: Callable[[], float | None],
) -> dict[str, Latency]:
    # One connection per simulated client, as 100 phones would have: each kept alive, none
    # shared. Loopback only: the server listens on 127.0.0.1.
    address = urlsplit(base)
    assert address.hostname == "127.0.0.1" and address.port is not None
    pool = [await Connection.open("127.0.0.1", address.port) for _ in range(clients)]
    try:
        return {
            path: await load(pool, path, requests, warmup, seconds, pace, server_cpu)
            for path in paths
        }
    finally:
        for connection in pool:
            connection.close()


def print_latency(
    results: dict[str, Latency], clients: int, requests: int, warmup: int, pace: float
) -> None:
    how = f"each one request every {pace * 1000:.0f} ms" if pace else "each back to back"
    print(
        f"latency: {clients} concurrent clients on loopback, {how}, {requests} requests each "
        f"after {warmup} warm-up (aim: p99 < {P99_AIM_MS} ms); Q = {QUERY}"
    )
    header = f"{'url':<18}{'requests':>9}{'median':>11}{'p99':>11}{'req/s':>8}{'p99 vs icon':>14}"
    print(f"  {header}{'CPU/request: server':>22}{'client':>9}")
    baseline = results[BASELINE].p99
    for path, result in results.items():
        shown = path.replace(QUERY, "Q")
        ratio = "baseline" if path == BASELINE else f"{result.p99 / baseline:.1f}x"
        per_request = result.cpu_per_request
        cpu = "n/a" if per_request is None else f"{per_request * 1000:.2f} ms"
        print(
            f"  {shown:<18}{len(result.times):>9}{result.median * 1000:>8.1f} ms"
            f"{result.p99 * 1000:>8.1f} ms{result.rate:>8.0f}{ratio:>14}{cpu:>22}"
            f"{result.client_cpu_per_request * 1000:>6.2f} ms"
        )
        planned = clients * requests
        if result.failures or len(result.times) + result.failures < planned:
            print(
                f"    ! {result.failures} failed, {planned - len(result.times) - result.failures}"
                f" not sent (stopped at {result.seconds:.1f} s)"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--requests", type=int, default=20, help="timed requests per client")
    parser.add_argument("--warmup", type=int, default=2, help="untimed requests per client")
    parser.add_argument(
        "--seconds", type=float, default=30, help="at most this long for each url's timed run"
    )
    parser.add_argument(
        "--pace", type=float, default=0.2,
        help="seconds between one client's requests in the paced run (the saturated run sends "
        "them back to back)",
    )  # fmt: skip
    args = parser.parse_args()
    # The baseline is timed last too, with the server as warm as for the pages: the first
    # URL of a run also pays for the server's first moments under load.
    pages = [f"{p}?{QUERY}" for p in ("/plan", "/api/plan", "/play", "/api/play")]
    paths = [*pages, BASELINE]
    with (
        tempfile.TemporaryDirectory() as folder,
        tempfile.TemporaryFile() as errors,
    ):
        server, port = start_server(unknot_command(), Path(folder), "none", errors)
        base = f"http://127.0.0.1:{port}"
        try:
            print(f"unknot serve on {base}/ (--voice none, a temporary SQLite history)")
            print_weights(base)
            for pace in (args.pace, 0.0):
                results = asyncio.run(
                    measure_latency(
                        base, paths, args.clients, args.requests, args.warmup, args.seconds,
                        pace, cpu_clock(server.pid),
                    )
                )  # fmt: skip
                print_latency(results, args.clients, args.requests, args.warmup, pace)
            if server.poll() is not None:
                print(f"! the server stopped by itself (exit status {server.returncode})")
        finally:
            stop_server(server)
        report_stderr(errors, last=10, indent="")


if __name__ == "__main__":
    main()
