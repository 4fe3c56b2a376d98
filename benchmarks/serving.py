"""What the web benchmarks share: finding the `unknot` command, and a real `unknot serve` on a
free port of 127.0.0.1, with its own history and cache, started and stopped."""

from __future__ import annotations

import os
import re
import select
import shutil
import subprocess
import sys
from pathlib import Path
from typing import IO


def unknot_command(given: str | None = None) -> str:
    if given:
        return given
    beside = Path(sys.executable).with_name("unknot")
    found = str(beside) if beside.exists() else shutil.which("unknot")
    if not found:
        sys.exit("benchmark: the unknot command is not installed in this environment")
    return found


def start_server(
    command: str, folder: Path, voice: str, errors: IO[bytes]
) -> tuple[subprocess.Popen[str], int]:
    """`unknot serve` on a free port, and the port from its first line."""
    environment = {**os.environ, "UNKNOT_CACHE_DIR": str(folder / "cache")}
    server = subprocess.Popen(
        [command, "serve", "--port", "0", "--voice", voice,
         "--database", f"sqlite:///{folder / 'history.db'}"],
        stdout=subprocess.PIPE, stderr=errors, text=True, env=environment,
    )  # fmt: skip
    assert server.stdout is not None
    ready, _, _ = select.select([server.stdout], [], [], 120)
    line = server.stdout.readline() if ready else ""
    found = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
    if not found:
        stop_server(server)
        sys.exit(f"benchmark: the server did not start (first line: {line.strip()!r})")
    return server, int(found[1])


def stop_server(server: subprocess.Popen[str]) -> None:
    if server.poll() is None:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    if server.stdout is not None:
        server.stdout.close()


def report_stderr(errors: IO[bytes], last: int = 5, indent: str = "  ") -> None:
    """What the server wrote to stderr (`errors`, a temporary file), its last lines."""
    errors.seek(0)
    said = errors.read().decode(errors="replace").strip()
    if said:
        lines = said.splitlines()
        print(f"{indent}the server wrote {len(lines)} lines to stderr; the last ones:")
        for line in lines[-last:]:
            print(f"  | {line}")
