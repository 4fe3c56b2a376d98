"""Cold start of `unknot plan` against bare `python -c pass`, on the same interpreter.

Every command is run as a fresh process, all of them in turn in every round (so a busy machine
slows them alike), after one warm-up each that fills unknot's data cache (a temporary one, so
your own is neither used nor filled); the medians and each command's ratio to bare Python are
printed. Aims: the routine as written at most 5x bare Python, a planned session (--tight,
--minutes) at most 8x. The last command asks for new minutes every round, so no plan is cached:
the cost of the first plan for new needs (no aim).

    python benchmarks/cold_start.py [--runs N] [--unknot PATH]...

`--unknot` times another installation's command (another checkout's .venv/bin/unknot); given
twice or more, all are timed in the same rounds, to compare before and after a change.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

BARE = "python -c pass"
PLANNED = ["plan", "after-long-run", "--tight", "hips:3,hamstrings", "--json", "--minutes"]
# name, `unknot`'s arguments in a given round (new needs every round defeat the plan cache), aim
CASES: list[tuple[str, Callable[[int], list[str]], float | None]] = [
    ("plan --json", lambda _: ["plan", "after-long-run", "--json"], 5.0),
    ("plan --tight --minutes --json", lambda _: [*PLANNED, "10"], 8.0),
    ("  same, new minutes each run", lambda n: [*PLANNED, f"{9 + n / 1000:g}"], None),
]


def find_unknot(given: str | None) -> Path:
    if given:
        return Path(given)
    beside = Path(sys.executable).with_name("unknot")
    found = str(beside) if beside.exists() else shutil.which("unknot")
    if not found:
        sys.exit("benchmark: the unknot command is not installed in this environment")
    return Path(found)


def interpreter_of(script: Path) -> str:
    """The Python a console script runs on (its #! line), so bare Python is the same one."""
    first = script.read_bytes().split(b"\n", 1)[0].decode()
    return first[2:].strip() if first.startswith("#!") else sys.executable


def run_once(command: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, env=env)
    return time.perf_counter() - start


def compile_package(python: str, env: dict[str, str]) -> None:
    """Byte-compile unknot as a regular install would, even where PYTHONDONTWRITEBYTECODE is set."""
    code = "import compileall, pathlib, unknot; compileall.compile_dir(pathlib.Path(unknot.__file__).parent, quiet=1)"  # noqa: E501
    subprocess.run([python, "-c", code], check=True, env=env)


class Installation:
    """One unknot command, its interpreter, its commands and their times."""

    def __init__(self, unknot: Path, cache: Path) -> None:
        self.unknot = unknot
        self.python = interpreter_of(unknot)
        self.env = {**os.environ, "UNKNOT_CACHE_DIR": str(cache)}
        self.env.pop("PYTHONDONTWRITEBYTECODE", None)
        self.commands: dict[str, Callable[[int], list[str]]] = {
            BARE: lambda _: [self.python, "-c", "pass"]
        }
        for name, arguments, _ in CASES:
            self.commands[name] = lambda n, a=arguments: [str(unknot), *a(n)]  # type: ignore[misc]
        self.times: dict[str, list[float]] = {name: [] for name in self.commands}

    def report(self, runs: int) -> None:
        print(f"{self.unknot}, {runs} runs each, interleaved:")
        bare = statistics.median(self.times[BARE])
        aims = {name: aim for name, _, aim in CASES}
        for name, values in self.times.items():
            median = statistics.median(values)
            spread = f"min {min(values) * 1000:5.1f}, max {max(values) * 1000:5.1f}"
            line = f"  {name:<30} median {median * 1000:6.1f} ms ({spread})"
            if name != BARE:
                aim = aims[name]
                line += f"  {median / bare:5.2f}x bare" + (f" (aim: <= {aim:g}x)" if aim else "")
            print(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument(
        "--unknot",
        action="append",
        help="an unknot command to time (default: this venv's); twice or more to compare them "
        "in the same rounds",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="unknot-cold-start-") as folder:
        installs = [
            Installation(find_unknot(given), Path(folder) / str(n))
            for n, given in enumerate(args.unknot or [None])
        ]
        for install in installs:
            compile_package(install.python, install.env)
            for command in install.commands.values():
                run_once(command(0), install.env)  # warm-up: disk, pyc files, the data cache
        for n in range(1, args.runs + 1):
            for install in installs:
                for name, command in install.commands.items():
                    install.times[name].append(run_once(command(n), install.env))
    for install in installs:
        install.report(args.runs)


if __name__ == "__main__":
    main()
