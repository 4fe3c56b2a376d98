"""How long a runner waits for the voice of a new session, on the real server with the neural
voice (`unknot serve --voice piper`), an empty speech cache, loopback.

For a new 20-minute plan, as the player page asks (its page, then every clip in order):
seconds to the first clip and to the whole session's clips. Measured twice in one run:

  new machine: the server just started, nothing said before (its idle-time voicing has
      only just begun, and gives way to the session);
  after idle time: once the server has said, in idle time, the sentences the built-in
      routines are likely to say (it goes quiet), a different new plan (other areas, other
      minutes, the other side first), whose clips are then mixed from kept sentences.

The first is the baseline; the ratio of the two is printed, with the seconds of idle time it
took. Aims (issue 17): first clip under 2 s, a whole 20-minute plan under 20 s, on 2 cores.

    python benchmarks/voicing.py [--unknot PATH]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

import httpx
from serving import report_stderr, start_server, stop_server, unknot_command

FIRST = {"routine": "after-long-run", "tight": ["hips", "hamstrings"], "minutes": "20"}
SECOND = {"routine": "after-long-run", "tight": ["calves", "back"], "minutes": "19",
          "first_side": "left"}  # fmt: skip


def session(base: str, wanted: dict[str, object]) -> tuple[float, float, int, float]:
    """Seconds to the first clip and to all of them, the clips, and the session's minutes."""
    query = urlencode(wanted, doseq=True)
    with httpx.Client(base_url=base, timeout=600) as client:
        began = time.perf_counter()
        page = client.get(f"/play?{query}")
        page.raise_for_status()
        data = client.get(f"/api/play?{query}").json()
        first = 0.0
        for n, entry in enumerate(data["entries"]):
            client.get(entry["clip"]).raise_for_status()
            if n == 0:
                first = time.perf_counter() - began
        whole = time.perf_counter() - began
    return first, whole, len(data["entries"]), data["total_seconds"] / 60


def cpu_seconds(pid: int) -> float:
    """The server's CPU time so far (user and system), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / 100  # utime, stime in clock ticks (100 Hz)


def until_quiet(pid: int) -> float:
    """Wait until the server has used under 0.05 s of CPU in 2 s; the seconds waited."""
    began = time.perf_counter()
    before = cpu_seconds(pid)
    while True:
        time.sleep(2)
        now = cpu_seconds(pid)
        if now - before < 0.05:
            return time.perf_counter() - began
        before = now


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--unknot", help="the unknot command to serve (default: this one's)")
    args = parser.parse_args()
    command = unknot_command(args.unknot)
    with tempfile.TemporaryDirectory() as folder, tempfile.TemporaryFile() as errors:
        server, port = start_server(command, Path(folder), "piper", errors)
        base = f"http://127.0.0.1:{port}"
        try:
            print(f"unknot serve on {base} (--voice piper, an empty speech cache)")
            cold = session(base, FIRST)
            print(f"  new machine:      first clip {cold[0]:6.2f} s, all {cold[2]} clips "
                  f"{cold[1]:6.2f} s ({cold[3]:.1f}-minute plan)")  # fmt: skip
            waited = until_quiet(server.pid)
            warm = session(base, SECOND)
            print(f"  after idle time:  first clip {warm[0]:6.2f} s, all {warm[2]} clips "
                  f"{warm[1]:6.2f} s ({warm[3]:.1f}-minute plan; the server was busy "
                  f"{waited:.0f} s more saying likely sentences)")  # fmt: skip
            print(f"  ratio, new machine / after idle time: first clip "
                  f"{cold[0] / warm[0]:.1f}x, whole plan {cold[1] / warm[1]:.1f}x")  # fmt: skip
            print("  aims: first clip under 2 s, a 20-minute plan under 20 s")
        finally:
            stop_server(server)
        report_stderr(errors)


if __name__ == "__main__":
    main()
