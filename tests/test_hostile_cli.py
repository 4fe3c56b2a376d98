"""Hostile inputs through the real command line (the table in tests/hostile/cli.yaml): each is
one line on stderr naming what is wrong, where and what would be right, exit status 2; never a
traceback, never a hang, never a silent pass.

Rows run in process (Click's CliRunner) unless they could hang or need limits of their own: those
run the installed command in a subprocess, stopped after a guard time. To count how an older
build fares, point `UNKNOT_HOSTILE_COMMAND` at its `unknot` (every row then runs it as a
subprocess): `UNKNOT_HOSTILE_COMMAND=/old/.venv/bin/unknot pytest tests/test_hostile_cli.py`
(with `UNKNOT_HOSTILE_WORDS=0`, its own wording is accepted).
"""

from __future__ import annotations

import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import pytest
import yaml
from click.testing import CliRunner

from conftest import GUARD, UNKNOT
from unknot.cli.main import cli

TABLE = Path(__file__).parent / "hostile" / "cli.yaml"
ROWS: list[dict[str, Any]] = yaml.safe_load(TABLE.read_text(encoding="utf-8"))
COMMAND = os.environ.get("UNKNOT_HOSTILE_COMMAND") or ""
# With UNKNOT_HOSTILE_WORDS=0, a row's words are not looked for (an older build words its lines
# differently): one line, the status, no traceback are still required.
WORDS = os.environ.get("UNKNOT_HOSTILE_WORDS") != "0"
# A refused input is refused at once, and the test waits for the process to end; what is still
# running after the suite's one generous guard has hung. (Measuring older code, whose hangs are
# known, UNKNOT_HANG_GUARD may shorten it; the suite itself never does.)
HANG_GUARD = float(os.environ.get("UNKNOT_HANG_GUARD", GUARD))
# A guard too: a reader that trusts /dev/zero fails with MemoryError at this size instead of
# taking the machine's memory with it.
MEMORY_GUARD = 3 << 30
FAMILIES = ("files", "numbers", "writers", "routine-limits", "cache", "options")
_REPEAT = re.compile(r"\{([^{}*]+)\*(\d+)\}")


class Outcome(NamedTuple):
    status: int
    stdout: str
    stderr: str


def fill(text: str, places: dict[str, str]) -> str:
    """The row's placeholders filled: {tmp}, {full} and {TEXT*N}."""
    text = _REPEAT.sub(lambda m: m[1] * int(m[2]), text)
    for name, value in places.items():
        text = text.replace(f"{{{name}}}", value)
    return text


def make(folder: Path, things: list[dict[str, Any]], places: dict[str, str]) -> None:
    for thing in things:
        if "file" in thing:
            path = folder / thing["file"]
            path.write_text(fill(thing["text"], places), encoding="utf-8")
            if "mode" in thing:
                path.chmod(thing["mode"])
        elif "fifo" in thing:
            os.mkfifo(folder / thing["fifo"])
        elif "dir" in thing:
            (folder / thing["dir"]).mkdir()
        elif "link" in thing:
            (folder / thing["link"]).symlink_to(fill(thing["to"], places))
        elif "socket" in thing:
            here = Path.cwd()
            os.chdir(folder)  # a socket's path is limited to about 100 bytes: bound by its name
            try:
                with socket.socket(socket.AF_UNIX) as server:
                    server.bind(thing["socket"])
            finally:
                os.chdir(here)
        else:
            raise AssertionError(f"cannot make {thing}")


def in_process(args: list[str], env: dict[str, str]) -> Outcome:
    result = CliRunner().invoke(cli, args, prog_name="unknot", env=env)
    if result.exception and not isinstance(result.exception, SystemExit):
        # A traceback is what a person would have seen: keep it for the assertion below.
        import traceback

        shown = "".join(traceback.format_exception(result.exception))
        return Outcome(1, result.stdout, result.stderr + shown)
    return Outcome(result.exit_code, result.stdout, result.stderr)


def as_subprocess(command: str, args: list[str], env: dict[str, str], size: int | None) -> Outcome:
    def limits() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_GUARD, MEMORY_GUARD))
        if size is not None:
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG, not a killed process
            resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))

    try:
        done = subprocess.run(
            [command, *args],
            capture_output=True,
            text=True,
            errors="replace",
            env={**os.environ, **env},
            timeout=HANG_GUARD,
            preexec_fn=limits,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        return Outcome(-1, "", f"still running after {HANG_GUARD:g} s: it hangs")
    return Outcome(done.returncode, done.stdout, done.stderr)


@pytest.fixture(scope="module")
def full_disk() -> Iterator[Path | None]:
    """A folder on a tiny tmpfs with no room left, or None when one cannot be mounted."""
    folder = Path(tempfile.mkdtemp(prefix="unknot-full-"))
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(folder)], capture_output=True
    )
    if mounted.returncode != 0:
        folder.rmdir()
        yield None
        return
    try:
        with (folder / "filler").open("wb", buffering=0) as filler:
            try:
                while True:
                    filler.write(b"x" * 4096)
            except OSError:
                pass  # full: what every row on it meets
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], capture_output=True)
        folder.rmdir()


def temporaries(folder: Path) -> list[str]:
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.rglob("*") if ".tmp" in p.name)


def row_id(row: dict[str, Any]) -> str:
    return str(row["id"])


@pytest.mark.parametrize("row", ROWS, ids=row_id)
def test_a_hostile_input_gets_one_clear_line(
    row: dict[str, Any],
    tmp_path: Path,
    full_disk: Path | None,
) -> None:
    needs = row.get("needs")
    if needs == "full_disk" and full_disk is None:
        pytest.skip("no tmpfs could be mounted for a full disk (the RLIMIT_FSIZE rows still run)")
    if needs == "not_root" and os.geteuid() == 0:
        pytest.skip("running as root, where file permissions do not bite")
    folder = tmp_path / "row"
    folder.mkdir()
    places = {"tmp": str(folder), "full": str(full_disk or "")}
    make(folder, row.get("make", []), places)
    env = {k: fill(v, places) for k, v in row.get("env", {}).items()}
    args = [fill(a, places) for a in row["args"]]
    size = row.get("file_size_limit")
    command = COMMAND or UNKNOT

    def outcome(arguments: list[str], limit: int | None = None) -> Outcome:
        if COMMAND or row.get("guard") or limit is not None:
            return as_subprocess(command, arguments, env, limit)
        return in_process(arguments, env)

    if "first" in row:
        first = outcome([fill(a, places) for a in row["first"]])
        assert first.status == 0, first
    for edit in row.get("edit", []):  # as `cp -p` leaves it: new content, the old time
        path = folder / edit["file"]
        times = path.stat()
        path.write_text(fill(edit["text"], places), encoding="utf-8")
        os.utime(path, ns=(times.st_atime_ns, times.st_mtime_ns))

    got = outcome(args, size)
    assert "Traceback" not in got.stderr, got.stderr
    status = row.get("status", 2)
    assert got.status == status, got
    lines = got.stderr.splitlines()
    if status == 2:
        assert len(lines) == 1, lines
        assert lines[0].startswith("unknot"), lines
        assert not WORDS or fill(row["says"], places) in lines[0], lines[0]
    else:
        assert all(line.startswith("Wrote ") for line in lines), lines
        assert fill(row.get("prints", ""), places) in got.stdout
    if "clean" in row:
        assert temporaries(Path(fill(row["clean"], places))) == []
    if "link_kept" in row:
        link = Path(fill(row["link_kept"], places))
        assert link.is_symlink(), f"{link} was replaced by a file of its own"
        assert link.resolve().read_bytes().lower().startswith(b"<!doctype html>")


def test_every_row_names_its_family_once() -> None:
    ids = [row_id(row) for row in ROWS]
    assert len(set(ids)) == len(ids)
    assert {i.split("/")[0] for i in ids} == set(FAMILIES)
    for row in ROWS:
        assert row.get("status", 2) != 2 or "says" in row, row["id"]


def test_the_full_disk_is_really_full(full_disk: Path | None) -> None:
    if full_disk is None:
        pytest.skip("no tmpfs could be mounted (mount -t tmpfs needs root)")
    assert shutil.disk_usage(full_disk).free == 0
