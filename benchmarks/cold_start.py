"""Cold start of `unknot plan after-long-run --json` against bare `python -c pass`.

Both are run as fresh processes, alternately, in the same run (so a busy machine slows both),
after one warm-up each; the medians and their ratio are printed. Aim: under 6x bare Python.

    python benchmarks/cold_start.py [--runs N]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path


def unknot_command() -> list[str]:
    beside = Path(sys.executable).with_name("unknot")
    found = str(beside) if beside.exists() else shutil.which("unknot")
    if not found:
        sys.exit("benchmark: the unknot command is not installed in this environment")
    return [found, "plan", "after-long-run", "--json"]


def run_once(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def compile_package() -> None:
    """Byte-compile unknot as a regular install would, even where PYTHONDONTWRITEBYTECODE is set."""
    import compileall
    import importlib.util

    spec = importlib.util.find_spec("unknot")
    if spec and spec.origin:
        compileall.compile_dir(Path(spec.origin).parent, quiet=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    commands = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "unknot plan --json": unknot_command(),
    }
    times: dict[str, list[float]] = {name: [] for name in commands}
    compile_package()
    for command in commands.values():
        run_once(command)  # warm-up: disk cache, pyc files, unknot's data cache
    for _ in range(args.runs):
        for name, command in commands.items():
            times[name].append(run_once(command))
    medians = {name: statistics.median(values) for name, values in times.items()}
    for name, median in medians.items():
        spread = f"min {min(times[name]) * 1000:.1f} ms, max {max(times[name]) * 1000:.1f} ms"
        print(f"{name:<20} median {median * 1000:6.1f} ms  ({spread}, {args.runs} runs)")
    ratio = medians["unknot plan --json"] / medians["python -c pass"]
    print(f"ratio                {ratio:6.2f}x bare Python (aim: under 6x)")


if __name__ == "__main__":
    main()
