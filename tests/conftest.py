"""Shared fixtures: the real CLI in process, the installed command, routine files on disk, and
`unknot serve` as a real server (for test_web.py's browser and what only a real server does)."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from unknot.cli.main import cli

UNKNOT = str(Path(sys.executable).with_name("unknot"))  # the console script pip installed
# How long a test waits for something that happens in seconds (a line, a file, a page's state)
# before calling it stuck: only ever a guard against hanging, never the thing measured, so a
# busy machine makes a test slower, not red.
GUARD = 600.0
# The web tests' plan: the issue's example.
QUERY = "routine=after-long-run&tight=hips&tight=hamstrings&minutes=12"
# The browser the web tests drive: Debian's, never a downloaded one. As the environment asks:
# no sandbox as root, and none of Chromium's calls home.
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
]  # fmt: skip
ARTIFACTS = Path(__file__).parent / "artifacts" / "web"  # screenshots, looked at by a person

# The seed's sequence expanded with both legs, as DESIGN.md lists it: (pose, side).
SIDE_BLOCK = [
    "Three-Legged Dog",
    "Tip-Toe Three-Legged Dog",
    "Twisting Lizard",
    "Low Crescent Lunge",
    "Lifted Head to Knee",
    "Open Lizard",
    "Pigeon",
    "Seated Spinal Twist",
]
SEED_SEQUENCE: list[tuple[str, str | None]] = [
    ("Child's Pose", None),
    ("Cat-Cow", None),
    ("Downward-Facing Dog", None),
    *[(pose, "right") for pose in SIDE_BLOCK],
    ("Downward-Facing Dog", None),
    *[(pose, "left") for pose in SIDE_BLOCK],
    ("Happy Baby", None),
    ("Knee-to-Chest", "right"),
    ("Lying Spinal Twist", "right"),
    ("Knee-to-Chest", "left"),
    ("Lying Spinal Twist", "left"),
    ("Supported Fish", None),
    ("Plow", None),
    ("Savasana", None),
]


@pytest.fixture(autouse=True)
def own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test gets an empty data cache of its own (subprocesses inherit it too)."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("UNKNOT_CACHE_DIR", str(folder))
    # ...and a history of its own: no test writes to the person's real one.
    monkeypatch.setenv("UNKNOT_DATABASE_URL", f"sqlite:///{tmp_path / 'history.db'}")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))  # sessions kept while offline
    return folder


def eventually(condition: Callable[[], object], what: str, guard: float = GUARD) -> None:
    """Wait for `condition()` to come true (a file appearing, a row written), looking often;
    `guard` only stops a test that would otherwise hang."""
    give_up = time.monotonic() + guard
    while not condition():
        assert time.monotonic() < give_up, f"still waiting after {guard:g} s for {what}"
        time.sleep(0.02)


class Server:
    """`unknot serve` in a subprocess, on a free port, with a history database of its own."""

    def __init__(self, folder: Path, *args: str) -> None:
        self.database = folder / "history.db"
        self.process = subprocess.Popen(
            [UNKNOT, "serve", "--port", "0", "--database", f"sqlite:///{self.database}", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        self.banner = [self.process.stdout.readline()]  # the address, printed once it listens
        found = re.search(r"(https?)://(\S+?):(\d+)/(\S*)", self.banner[0])
        if found is None:
            self.process.kill()
            _, err = self.process.communicate()
            raise AssertionError(f"no address in {self.banner}: {err}")
        self.port = int(found[3])
        self.url = f"{found[1]}://127.0.0.1:{self.port}/"  # tests only ever talk to loopback
        self.link = found[0]

    def read_banner(self) -> list[str]:
        """Every line printed before serving, up to "Ctrl-C stops it."."""
        assert self.process.stdout is not None
        while not self.banner[-1].startswith("Ctrl-C stops it.") and self.banner[-1]:
            self.banner.append(self.process.stdout.readline())
        return self.banner

    def rows(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        with sqlite3.connect(self.database) as connection:
            return connection.execute(sql, params).fetchall()

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=GUARD)
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait()
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[..., Server]]:
    """Start `unknot serve ARGS...` (each in a folder of its own); all stopped at the end."""
    started: list[Server] = []

    def start(*args: str) -> Server:
        folder = tmp_path / f"server-{len(started)}"
        folder.mkdir()
        started.append(Server(folder, *args))
        return started[-1]

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def run() -> Callable[..., Result]:
    """Run `unknot ARGS...` in process; stdout and stderr kept apart."""

    def invoke(*args: str) -> Result:
        return CliRunner().invoke(cli, list(args), prog_name="unknot")

    return invoke


@pytest.fixture
def write_routine(tmp_path: Path) -> Callable[..., Path]:
    """Write a routine file and return its path."""

    def write(text: str | bytes, name: str = "routine.yaml") -> Path:
        path = tmp_path / name
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
        return path

    return write


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[tuple[str, int]]:
    """A real PostgreSQL (Debian's package, which scripts/test installs) in a temporary folder,
    run as the unprivileged postgres user on 127.0.0.1, for this test run only."""
    import shutil
    import subprocess
    import tempfile

    bins = sorted(Path("/usr/lib/postgresql").glob("*/bin"))
    if not bins:
        pytest.fail(
            "PostgreSQL is not installed: scripts/test installs it (apt-get install postgresql)"
        )
    folder = Path(tempfile.mkdtemp(prefix="unknot-pg-"))
    as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if as_postgres:
        shutil.chown(folder, "postgres", "postgres")
    data, port = folder / "data", _free_port()
    subprocess.run(
        [*as_postgres, str(bins[-1] / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres",
         "--no-sync"], check=True, capture_output=True,
    )  # fmt: skip
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"
    subprocess.run(
        [*as_postgres, str(bins[-1] / "pg_ctl"), "-D", str(data), "-o", options,
         "-l", str(folder / "log"), "-w", "start"], check=True, capture_output=True,
    )  # fmt: skip
    try:
        yield str(bins[-1]), port
    finally:
        subprocess.run(
            [*as_postgres, str(bins[-1] / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
            capture_output=True,
        )
        shutil.rmtree(folder, ignore_errors=True)


def create_database(port: int, name: str) -> str:
    """A new, empty PostgreSQL database on the tests' server; its URL."""
    import psycopg

    with psycopg.connect(
        f"host=127.0.0.1 port={port} user=postgres dbname=postgres", autocommit=True
    ) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    return f"postgresql+psycopg://postgres@127.0.0.1:{port}/{name}"


@pytest.fixture(params=["sqlite", "postgresql"])
def database(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> str:
    """A fresh, empty history on each engine: SQLite in a file, or a new PostgreSQL database."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'history.db'}"
    else:
        _, port = request.getfixturevalue("postgres_server")
        url = create_database(port, f"unknot_{os.getpid()}_{abs(hash(tmp_path)) % 10**8}")
    monkeypatch.setenv("UNKNOT_DATABASE_URL", url)
    return url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Chromium for one module's tests (tests/test_web.py, tests/test_player_screen.py)."""
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()
