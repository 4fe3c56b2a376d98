"""The history against a hostile user (issue 13): nothing lost, nothing touched that is not
unknot's, every mistake one line. Six families, each test named for its family:

- pending:     the hand-over of sessions kept in files (a writer mid-session, another database's
               file, damaged files),
- midsession:  the database failing while a session plays (a server stopped, a file made
               read-only, a full disk, a read-only history at the start),
- concurrency: the same record at the same moment (threads, processes) and an old history's
               duplicates,
- import:      malformed exports (tests/hostile/history.yaml), big ones, a dry run,
- foreign:     files at the history's path that are not an unknot history (untouched: sha256),
- gaps:        CSV formulas, `forget ""`, held Infinity.

The command is the real `unknot` (conftest's UNKNOT, a subprocess), and the library is whatever
`import unknot` finds; so the same file, run by another checkout's pytest, counts what that
checkout handles: `UNKNOT_HOSTILE_ANY_WORDING=1 /tmp/ci/main/.venv/bin/pytest
tests/test_history_hostile.py` (its lines are in its own words: with that set, a refusal counts
as handled when it is one line, exit 2 and nothing written, whatever it says).
"""

from __future__ import annotations

import copy
import csv
import hashlib
import io
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

import unknot
from conftest import GUARD, UNKNOT, _free_port, create_database, eventually
from unknot.history.records import new_session

CASES: dict[str, Any] = yaml.safe_load(
    (Path(__file__).parent / "hostile" / "history.yaml").read_text(encoding="utf-8")
)
ROOT = os.geteuid() == 0
WORDING = os.environ.get("UNKNOT_HOSTILE_ANY_WORDING") != "1"  # check what the line says


# -- running it ----------------------------------------------------------------------------------
def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [UNKNOT, *args], capture_output=True, text=True, timeout=GUARD,
        env=env or dict(os.environ),
    )  # fmt: skip


def go_in_background(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [UNKNOT, "go", "after-long-run", "--voice", "none", "--minutes", "3", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env or dict(os.environ),
    )  # fmt: skip


def lines_of(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def refused(result: subprocess.CompletedProcess[str], error: str) -> None:
    """Exit 2 and one line on stderr, holding `error`: never a traceback."""
    said = lines_of(result.stderr)
    assert result.returncode == 2, result.stderr[-3000:]
    assert len(said) == 1, result.stderr[-3000:]
    assert error in said[0] or not WORDING, said[0]


def planned_steps() -> int:
    """How many steps `go after-long-run --minutes 3` has."""
    plan = unknot.fit(unknot.routine("after-long-run"), unknot.read_needs(minutes=3))
    return len(plan.timeline.entries)


def pending_folder(tmp_path: Path) -> Path:
    return tmp_path / "data" / "unknot" / "pending"  # conftest's XDG_DATA_HOME


def a_step(index: int = 0, held: float = 30.0) -> unknot.StepRecord:
    entry = unknot.expand(unknot.routine("after-long-run")).entries[index]
    return unknot.StepRecord(entry, held, unknot.Outcome.DONE)


class Postgres:
    """A PostgreSQL server of this test's own, to stop and start again mid-session."""

    def __init__(self) -> None:
        bins = sorted(Path("/usr/lib/postgresql").glob("*/bin"))
        assert bins, "PostgreSQL is not installed: scripts/test installs it"
        self.bin = bins[-1]
        self.folder = Path(tempfile.mkdtemp(prefix="unknot-pg-own-"))
        self.as_postgres = ["runuser", "-u", "postgres", "--"] if ROOT else []
        if ROOT:
            shutil.chown(self.folder, "postgres", "postgres")
        self.port = _free_port()
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"
        subprocess.run(
            [*self.as_postgres, str(self.bin / "initdb"), "-D", str(self.folder / "data"),
             "-A", "trust", "-U", "postgres", "--no-sync"], check=True, capture_output=True,
        )  # fmt: skip
        self.start()

    def _ctl(self, *args: str) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        subprocess.run(
            [*self.as_postgres, str(self.bin / "pg_ctl"), "-D", str(self.folder / "data"),
             "-o", options, "-l", str(self.folder / "log"), "-w", *args],
            check=True, capture_output=True, timeout=GUARD,
        )  # fmt: skip

    def start(self) -> None:
        self._ctl("start")

    def stop(self) -> None:
        self._ctl("-m", "immediate", "stop")


@pytest.fixture
def own_postgres() -> Iterator[Postgres]:
    server = Postgres()
    yield server
    subprocess.run(
        [*server.as_postgres, str(server.bin / "pg_ctl"), "-D", str(server.folder / "data"),
         "-m", "immediate", "stop"], capture_output=True,
    )  # fmt: skip
    shutil.rmtree(server.folder, ignore_errors=True)


@pytest.fixture
def read_only() -> Iterator[Callable[[Path], None]]:
    """Make a file or folder read-only (immutable for root, who ignores modes); undone after."""
    made: list[tuple[Path, int]] = []

    def make(path: Path) -> None:
        made.append((path, path.stat().st_mode))
        if ROOT:
            subprocess.run(["chattr", "+i", str(path)], check=True)
        else:
            path.chmod(0o555 if path.is_dir() else 0o444)

    yield make
    for path, mode in reversed(made):
        if not path.exists():  # gone since, made writable by the test (SQLite removes its -wal
            continue  # when the last connection closes): nothing to undo
        if ROOT:
            subprocess.run(["chattr", "-i", str(path)], check=False)
        path.chmod(mode)


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A file system of 4 MB of its own (tmpfs), to fill up mid-session."""
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(disk)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"a small file system cannot be mounted here: {mounted.stderr.strip()}")
    yield disk
    subprocess.run(["umount", "-l", str(disk)], check=False)


def fill(disk: Path) -> None:
    with (disk / "filler").open("wb") as filler:
        try:
            while True:
                filler.write(b"\0" * 65536)
                filler.flush()
        except OSError:
            pass


# -- the data ------------------------------------------------------------------------------------
def _put(data: Any, path: str, value: Any, *, delete: bool = False) -> None:
    *parents, last = path.split(".")
    for key in parents:
        data = data[int(key)] if isinstance(data, list) else data[key]
    key_: Any = int(last) if isinstance(data, list) else last
    if delete:
        del data[key_]
    else:
        data[key_] = value


def _made(value: Any) -> Any:
    if isinstance(value, dict) and "make" in value:
        if value["make"] == "long_text":
            return "x" * value["chars"]
        if value["make"] == "long_area":
            return {"a" * 41: 3}
        raise AssertionError(f"no maker {value['make']!r}")
    return value


def export_for(case: dict[str, Any]) -> tuple[str, bool]:
    """The file a case describes: (its text, whether it is CSV)."""
    data = copy.deepcopy(CASES["base"])
    for path in case.get("delete", []):
        _put(data, path, None, delete=True)
    for path, value in case.get("set", {}).items():
        _put(data, path, _made(value))
    spec = case.get("text")
    if spec is not None:
        return _text(spec, data), False
    if case.get("csv"):
        return unknot.export_text(data, as_csv=True), True
    return json.dumps(data), False


def _text(spec: dict[str, Any], data: dict[str, Any]) -> str:
    if "given" in spec:
        return str(spec["given"])
    depth = spec.get("depth", 0)
    if spec["make"] == "deep_json":
        return "[" * depth + "]" * depth
    if spec["make"] == "deep_needs":
        data["sessions"][0]["needs"] = "__DEEP__"
        return json.dumps(data).replace('"__DEEP__"', '{"a": ' * depth + "1" + "}" * depth)
    if spec["make"] == "surrogate_pose":
        data["sessions"][0]["steps"][0]["pose"] = "__S__"
        return json.dumps(data).replace('"__S__"', '"\\ud800"')
    if spec["make"] == "pending_infinity":
        session = copy.deepcopy(CASES["base"]["sessions"][0])
        session["steps"][0]["held_seconds"] = float("inf")
        return json.dumps(session)
    raise AssertionError(f"no maker {spec['make']!r}")


def by_name(family: str) -> list[Any]:
    return [pytest.param(case, id=case["name"]) for case in CASES[family]]


def fingerprint(path: Path) -> dict[str, str]:
    """The database file and any -wal, -shm or -journal beside it, each by its sha256 (or its
    absence): what "untouched" means."""
    return {
        suffix: hashlib.sha256(part.read_bytes()).hexdigest() if part.exists() else "absent"
        for suffix in ("", "-wal", "-shm", "-journal")
        for part in [Path(f"{path}{suffix}")]
    }


def make_history(path: Path) -> None:
    """An unknot history at `path` (by the unknot under test), holding the base export."""
    store = unknot.Store(f"sqlite:///{path}")
    store.import_(copy.deepcopy(CASES["base"]))
    store.engine.dispose()  # the last connection closed: the -wal checkpointed and gone


def make_foreign(case: dict[str, Any], path: Path) -> None:
    spec = case.get("file")
    if spec is None:
        pass
    elif "zeros" in spec:
        path.write_bytes(b"\0" * spec["zeros"])
    elif "text" in spec:
        path.write_text(spec["text"], encoding="utf-8")
    elif "sql" in spec and spec.get("wal"):
        # Another app's WAL database while it is open: its -wal and -shm copied as they are.
        with tempfile.TemporaryDirectory() as folder:
            live = Path(folder) / "app.db"
            connection = sqlite3.connect(live)
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA wal_autocheckpoint=0")
            for statement in spec["sql"]:
                connection.execute(statement)
            connection.commit()
            for suffix in ("", "-wal", "-shm"):
                shutil.copyfile(f"{live}{suffix}", f"{path}{suffix}")
            connection.close()
    elif "sql" in spec:
        connection = sqlite3.connect(path)
        for statement in spec["sql"]:
            connection.execute(statement)
        connection.commit()
        connection.close()
    elif spec.get("history"):
        make_history(path)
        if "revision" in spec:
            with sqlite3.connect(path) as connection:
                connection.execute(
                    "UPDATE alembic_version SET version_num = ?", (spec["revision"],)
                )
            connection.close()
        if "zero_page" in spec:
            with sqlite3.connect(path) as connection:
                if spec["zero_page"] == 1:
                    page = 1
                else:
                    (page,) = connection.execute(
                        "SELECT rootpage FROM sqlite_master WHERE name = 'sessions'"
                    ).fetchone()
            connection.close()
            with path.open("r+b") as file:
                file.seek((page - 1) * 4096)
                file.write(b"\0" * 4096)
    for suffix, content in (case.get("beside") or {}).items():
        Path(f"{path}{suffix}").write_bytes(os.urandom(content["random"]))


# == import ======================================================================================
IMPORT_CASES = by_name("import")


@pytest.mark.parametrize("case", IMPORT_CASES)
def test_import_through_the_command(case: dict[str, Any], database: str, tmp_path: Path) -> None:
    text, as_csv = export_for(case)
    file = tmp_path / ("hostile.csv" if as_csv else "hostile.json")
    file.write_text(text, encoding="utf-8", errors="surrogatepass")
    result = cli("history", "--database", database, "import", str(file))
    if "imports" in case:
        assert result.returncode == 0, result.stderr[-3000:]
        assert f"Imported {case['imports']} sessions" in result.stdout
        return
    refused(result, case["error"])
    assert unknot.Store(database).sessions() == []  # all or nothing: nothing


@pytest.mark.parametrize("case", IMPORT_CASES)
def test_import_through_the_library(case: dict[str, Any], database: str) -> None:
    text, as_csv = export_for(case)
    store = unknot.Store(database)
    if "imports" in case:
        data = unknot.read_export(text, where="hostile", as_csv=as_csv)
        assert store.import_(data) == case["imports"]
        return
    with pytest.raises(unknot.UnknotError) as caught:
        store.import_(unknot.read_export(text, where="hostile", as_csv=as_csv))
    assert case["error"] in caught.value.line() or not WORDING
    assert store.sessions() == []


def test_import_an_export_past_a_megabyte(database: str, tmp_path: Path) -> None:
    sessions = []
    for n in range(200):  # about 1.5 MB, indented as `history export` writes it
        session = copy.deepcopy(CASES["base"]["sessions"][0])
        session["uid"] = f"00000000-0000-4000-8000-{n:012d}"
        session["steps"] = [copy.deepcopy(session["steps"][p % 2]) for p in range(16)]
        for position, step in enumerate(session["steps"], 1):
            step["position"] = position
        sessions.append(session)
    source = f"sqlite:///{tmp_path / 'source.db'}"
    unknot.Store(source).import_({"format": "unknot-history", "version": 1, "sessions": sessions})
    file = tmp_path / "big.json"
    assert cli("history", "--database", source, "export", str(file)).returncode == 0
    assert file.stat().st_size > 1_000_000
    result = cli("history", "--database", database, "import", str(file))
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Imported 200 sessions" in result.stdout


def test_import_dry_run_says_and_writes_nothing(database: str, tmp_path: Path) -> None:
    file = tmp_path / "two.json"
    file.write_text(json.dumps(CASES["base"]), encoding="utf-8")
    result = cli("history", "--database", database, "import", "--dry-run", str(file))
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip() == "Would import 2 sessions (0 are here already)."
    assert unknot.Store(database).sessions() == []
    assert cli("history", "--database", database, "import", str(file)).returncode == 0
    again = cli("history", "--database", database, "import", "--dry-run", str(file))
    assert again.stdout.strip() == "Would import 0 sessions (2 are here already)."


# == foreign files ===============================================================================
@pytest.mark.parametrize("case", by_name("foreign"))
def test_foreign_file_is_refused_and_left_untouched(case: dict[str, Any], tmp_path: Path) -> None:
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    path = folder / "history.db"
    make_foreign(case, path)
    before = fingerprint(path)
    result = cli("history", "--database", f"sqlite:///{path}")
    if case.get("accepted"):
        assert result.returncode == 0, result.stderr[-3000:]
        assert "No sessions yet" in result.stdout
        return
    refused(result, case["error"])
    assert fingerprint(path) == before  # every byte, and no -wal or -shm made beside it


def test_foreign_postgresql_database_of_another_app(postgres_server: tuple[str, int]) -> None:
    import psycopg

    _, port = postgres_server
    url = create_database(port, f"other_app_{os.getpid()}")
    dsn = f"host=127.0.0.1 port={port} user=postgres dbname=other_app_{os.getpid()}"
    with psycopg.connect(dsn, autocommit=True) as connection:
        connection.execute("CREATE TABLE notes (body text)")
    refused(cli("history", "--database", url), "holds tables of something else")
    with psycopg.connect(dsn) as connection:
        tables = connection.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
        ).fetchall()
    assert tables == [("notes",)]


def test_foreign_postgresql_history_of_a_newer_unknot(database: str) -> None:
    from sqlalchemy import text

    store = unknot.Store(database)
    with store.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0099'"))
    store.engine.dispose()
    result = cli("history", "--database", database)
    refused(result, "was made by a newer unknot (revision 0099); this one knows up to")


# == pending =====================================================================================
@pytest.mark.parametrize("case", by_name("pending"))
def test_pending_damaged_file_is_named_once_and_nothing_breaks(
    case: dict[str, Any], tmp_path: Path
) -> None:
    folder = pending_folder(tmp_path)
    folder.mkdir(parents=True)

    def damaged(name: str) -> Path:
        path = folder / f"{name}.json"
        if "bytes" in case:
            path.write_bytes(bytes(case["bytes"]))
        else:
            path.write_text(
                case["text"] if isinstance(case["text"], str) else _text(case["text"], {}),
                encoding="utf-8",
            )
        return path

    first = damaged("1f2e3d4c-0000-4000-8000-00000000000a")
    listed = cli("history")
    assert listed.returncode == 0, listed.stderr[-3000:]
    (said,) = lines_of(listed.stderr)
    assert first.name in said and "damaged" in said
    again = cli("history")
    assert again.returncode == 0 and lines_of(again.stderr) == []  # said once
    second = damaged("1f2e3d4c-0000-4000-8000-00000000000b")
    played = cli("go", "after-long-run", "--voice", "none", "--minutes", "2", "--speed", "300")
    assert played.returncode == 0, played.stderr[-3000:]
    (said,) = lines_of(played.stderr)
    assert second.name in said and "damaged" in said
    assert unknot.Store().sessions()[0].status == "finished"


def playing_for_a_missing_database(
    prefix: str, tmp_path: Path, postgres_server: tuple[str, int]
) -> tuple[subprocess.Popen[str], int, str, str]:
    """`unknot go` under way for a PostgreSQL database not there yet (so unreachable), three
    steps begun (two kept in its pending file); the process, the port, the name and the URL."""
    _, port = postgres_server
    name = f"{prefix}_{os.getpid()}_{abs(hash(tmp_path)) % 10**8}"
    url = f"postgresql+psycopg://postgres@127.0.0.1:{port}/{name}"
    writer = go_in_background("--speed", "25", env=dict(os.environ, UNKNOT_DATABASE_URL=url))
    assert writer.stdout is not None
    for _ in range(3):
        assert writer.stdout.readline()
    return writer, port, name, url


def test_pending_session_being_written_is_not_taken_halfway(
    tmp_path: Path, postgres_server: tuple[str, int]
) -> None:
    """A session kept in a pending file while its database is down, and another process opening
    that database (now back) while the session still plays: nothing is taken until it ends,
    then all of it is."""
    writer, port, name, url = playing_for_a_missing_database("late", tmp_path, postgres_server)
    eventually(lambda: list(pending_folder(tmp_path).glob("*.json")), "the pending file")
    create_database(port, name)
    opened = unknot.Store(url)  # the database is back, while the session still plays
    assert opened.sessions() == []
    assert writer.wait(timeout=GUARD) == 0
    (session,) = unknot.Store(url).sessions()  # once it has ended, all of it
    assert session.status == "finished" and session.steps == planned_steps()
    assert not list(pending_folder(tmp_path).glob("*.json"))


def test_pending_session_of_a_killed_writer_is_taken_as_partial(
    tmp_path: Path, postgres_server: tuple[str, int]
) -> None:
    writer, port, name, url = playing_for_a_missing_database("killed", tmp_path, postgres_server)
    writer.send_signal(signal.SIGKILL)  # its lock goes with it
    writer.wait(timeout=GUARD)
    create_database(port, name)
    (session,) = unknot.Store(url).sessions()
    assert session.status == "partial" and session.steps >= 2


def test_pending_session_goes_only_to_its_own_database(
    tmp_path: Path, postgres_server: tuple[str, int]
) -> None:
    _, port = postgres_server
    name = f"own_{os.getpid()}_{abs(hash(tmp_path)) % 10**8}"
    url = f"postgresql+psycopg://postgres@127.0.0.1:{port}/{name}"
    env = dict(os.environ, UNKNOT_DATABASE_URL=url)
    played = cli("go", "after-long-run", "--voice", "none", "--minutes", "2", "--speed", "300",
                 env=env)  # fmt: skip
    assert played.returncode == 0, played.stderr[-3000:]
    other = f"sqlite:///{tmp_path / 'other.db'}"
    assert unknot.Store(other).sessions() == []  # not the one that was down
    assert len(list(pending_folder(tmp_path).glob("*.json"))) == 1
    create_database(port, name)
    assert len(unknot.Store(url).sessions()) == 1


# == mid-session failures ========================================================================
def test_midsession_postgresql_stopping_keeps_every_step(
    own_postgres: Postgres, tmp_path: Path
) -> None:
    env = dict(os.environ, UNKNOT_DATABASE_URL=own_postgres.url)
    player = go_in_background("--speed", "25", env=env)
    assert player.stdout is not None and player.stderr is not None
    for _ in range(3):
        assert player.stdout.readline()
    own_postgres.stop()
    assert player.wait(timeout=GUARD) == 0, player.stderr.read()[-3000:]
    assert "Traceback" not in player.stderr.read()
    assert len(list(pending_folder(tmp_path).glob("*.json"))) == 1  # where the rest went
    own_postgres.start()
    (session,) = unknot.Store(own_postgres.url).sessions()
    assert session.status == "finished" and session.steps == planned_steps()


def test_midsession_postgresql_stopping_is_one_notice_and_every_step(
    own_postgres: Postgres,
) -> None:
    plan = unknot.fit(unknot.routine("after-long-run"), unknot.read_needs(minutes=3))
    store = unknot.Store(own_postgres.url)
    recording = unknot.Recording.begin(store, plan.timeline, {"minutes": 3}, {"hips": 6})
    heard: list[str] = []
    recording.on_notice = heard.append
    entries = plan.timeline.entries
    for entry in entries[:2]:
        recording.step(unknot.StepRecord(entry, float(entry.hold), unknot.Outcome.DONE))
    own_postgres.stop()
    for entry in entries[2:]:
        recording.step(unknot.StepRecord(entry, float(entry.hold), unknot.Outcome.DONE))
    recording.finish(True, {"hips": 2})
    assert len(recording.notices) == 1 and heard == recording.notices
    assert "kept in" in recording.notices[0] and "so far (3 steps)" in recording.notices[0]
    own_postgres.start()
    (session,) = unknot.Store(own_postgres.url).sessions()
    assert session.steps == len(entries) and session.status == "finished"
    assert session.before == {"hips": 6} and session.after == {"hips": 2}


def test_midsession_history_made_read_only_keeps_every_step(
    tmp_path: Path, read_only: Callable[[Path], None]
) -> None:
    path = tmp_path / "history.db"
    player = go_in_background("--speed", "25")
    assert player.stdout is not None and player.stderr is not None
    for _ in range(3):
        assert player.stdout.readline()
    for part in (path, Path(f"{path}-wal")):
        read_only(part)
    assert player.wait(timeout=GUARD) == 0, player.stderr.read()[-3000:]
    assert "Traceback" not in player.stderr.read()
    assert len(list(pending_folder(tmp_path).glob("*.json"))) == 1
    for part in (path, Path(f"{path}-wal")):  # writable again: the pending file goes in
        subprocess.run(["chattr", "-i", str(part)], check=False) if ROOT else part.chmod(0o644)
    (session,) = unknot.Store().sessions()
    assert session.status == "finished" and session.steps == planned_steps()


def test_midsession_disk_filling_up_keeps_every_step(tiny_disk: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{tiny_disk / 'history.db'}"
    player = go_in_background("--speed", "25", env=dict(os.environ, UNKNOT_DATABASE_URL=url))
    assert player.stdout is not None and player.stderr is not None
    for _ in range(3):
        assert player.stdout.readline()
    fill(tiny_disk)
    assert player.wait(timeout=GUARD) == 0, player.stderr.read()[-3000:]
    assert "Traceback" not in player.stderr.read()
    assert len(list(pending_folder(tmp_path).glob("*.json"))) == 1
    (tiny_disk / "filler").unlink()
    (session,) = unknot.Store(url).sessions()
    assert session.status == "finished" and session.steps == planned_steps()


def test_midsession_a_full_disk_for_the_pending_file_too_loses_nothing(
    tiny_disk: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The history and the pending folder on one disk that fills up: the session is kept in
    memory, said once, and written whole as soon as there is room again."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tiny_disk / "data"))
    url = f"sqlite:///{tiny_disk / 'history.db'}"
    plan = unknot.fit(unknot.routine("after-long-run"), unknot.read_needs(minutes=3))
    entries = plan.timeline.entries
    recording = unknot.Recording.begin(unknot.Store(url), plan.timeline, {}, {"hips": 5})

    def step(entry: unknot.Entry) -> None:
        recording.step(unknot.StepRecord(entry, float(entry.hold), unknot.Outcome.DONE))

    step(entries[0])
    fill(tiny_disk)
    step(entries[1])
    step(entries[2])
    assert len(recording.notices) == 1 and "kept in memory" in recording.notices[0]
    (tiny_disk / "filler").unlink()  # room again
    for entry in entries[3:]:
        step(entry)
    recording.finish(True, {"hips": 1})
    assert len(recording.notices) == 2 and "now kept in" in recording.notices[1]
    (session,) = unknot.Store(url).sessions()
    assert session.steps == len(entries) and session.status == "finished"
    assert session.after == {"hips": 1}


def test_midsession_read_only_history_file_does_not_stop_go(
    tmp_path: Path, read_only: Callable[[Path], None]
) -> None:
    assert cli("history").returncode == 0  # the history exists, then is made read-only
    read_only(tmp_path / "history.db")
    played = cli("go", "after-long-run", "--voice", "none", "--minutes", "2", "--speed", "300")
    assert played.returncode == 0, played.stderr[-3000:]
    (said,) = lines_of(played.stderr)
    assert "cannot be written" in said and "this session is kept in" in said
    assert "Session complete" in played.stdout
    subprocess.run(["chattr", "-i", str(tmp_path / "history.db")], check=False)
    (tmp_path / "history.db").chmod(0o644)
    assert len(unknot.Store().sessions()) == 1


def test_midsession_read_only_history_folder_does_not_stop_go(
    tmp_path: Path, read_only: Callable[[Path], None]
) -> None:
    folder = tmp_path / "kept"
    folder.mkdir()
    url = f"sqlite:///{folder / 'history.db'}"
    assert cli("history", "--database", url).returncode == 0
    read_only(folder)
    env = dict(os.environ, UNKNOT_DATABASE_URL=url)
    played = cli("go", "after-long-run", "--voice", "none", "--minutes", "2", "--speed", "300",
                 env=env)  # fmt: skip
    assert played.returncode == 0, played.stderr[-3000:]
    (said,) = lines_of(played.stderr)
    assert "this session is kept in" in said
    assert len(list(pending_folder(tmp_path).glob("*.json"))) == 1


# == concurrency =================================================================================
def at_once(count: int, work: Callable[[], object]) -> list[BaseException]:
    """`work` in `count` threads released together; what they raised."""
    barrier, errors = threading.Barrier(count), []

    def run() -> None:
        barrier.wait()
        try:
            work()
        except BaseException as err:  # every failure is the test's to report
            errors.append(err)

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(GUARD)
    return errors


def test_concurrency_eight_identical_steps_are_written_once(database: str) -> None:
    store = unknot.Store(database)
    for n in range(5):  # several rounds: a race lost once is enough
        session = store.start_session(new_session("after-long-run", {}, 600, {}, uid=f"steps-{n}"))
        errors = at_once(8, lambda: store.record_step(session, 1, a_step()))  # noqa: B023
        assert errors == []
    assert [s.steps for s in store.sessions()] == [1] * 5


def test_concurrency_eight_identical_starts_are_one_session(database: str) -> None:
    store = unknot.Store(database)
    for n in range(5):
        ids: list[int] = []
        uid = f"2a1b0c9d-0000-4000-8000-{n:012d}"
        started = new_session("after-long-run", {}, 600, {"hips": 5}, uid)
        errors = at_once(8, lambda: ids.append(store.start_session(started)))  # noqa: B023
        assert errors == [] and len(set(ids)) == 1
    sessions = store.sessions()
    assert len(sessions) == 5 and all(s.before == {"hips": 5} for s in sessions)


def test_concurrency_two_tabs_sharing_an_outbox_through_recordings(database: str) -> None:
    timeline = unknot.expand(unknot.routine("after-long-run"))
    recordings = unknot.Recordings(database)
    uid = "7c6b5a49-3827-4160-9f8e-7d6c5b4a3921"
    errors = at_once(8, lambda: recordings.start(uid, timeline, {}, {"hips": 4}))
    assert errors == []
    step = unknot.StepRecord(timeline.entries[0], 20.0, unknot.Outcome.DONE)
    errors = at_once(8, lambda: recordings.get(uid).step(step, position=1))
    assert errors == []
    errors = at_once(8, lambda: recordings.get(uid).finish(True, {"hips": 2}))
    assert errors == []
    (session,) = unknot.Store(database).sessions()
    assert session.steps == 1 and session.held_seconds == 20.0
    assert session.before == {"hips": 4} and session.after == {"hips": 2}


def test_concurrency_the_same_export_imported_by_four_processes(
    database: str, tmp_path: Path
) -> None:
    file = tmp_path / "two.json"
    file.write_text(json.dumps(CASES["base"]), encoding="utf-8")
    unknot.Store(database)  # migrated first: the race is the import's, not the schema's
    command = [UNKNOT, "history", "--database", database, "import", str(file)]
    runs = [
        subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(4)
    ]
    for run in runs:
        _, err = run.communicate(timeout=GUARD)
        assert run.returncode == 0, err[-3000:]
    sessions = unknot.Store(database).sessions()
    assert sorted(s.steps for s in sessions) == [1, 2]


def test_concurrency_an_old_history_with_duplicate_steps_is_cleaned(database: str) -> None:
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import create_engine, inspect, text

    config = Config()
    config.set_main_option(
        "script_location", str(Path(unknot.__file__).parent / "history" / "migrations")
    )
    engine = create_engine(database)
    with engine.begin() as connection:  # a history as 0002 left it, a step written 3 times
        config.attributes["connection"] = connection
        command.upgrade(config, "0002")
        connection.execute(
            text("INSERT INTO sessions (uid, started_at, routine, needs, planned_seconds, "
                 "finished) VALUES ('old', '2026-11-01 07:00:00+00:00', 'after-long-run', '{}', "
                 "600, true)")
        )  # fmt: skip
        for _ in range(3):
            connection.execute(
                text("INSERT INTO steps (session_id, position, pose, side, planned_seconds, "
                     "held_seconds, outcome, areas, done_at) SELECT id, 1, 'Pigeon', 'right', 30, "
                     "30, 'done', '{}', started_at FROM sessions")
            )  # fmt: skip
    engine.dispose()
    store = unknot.Store(database)
    (session,) = store.sessions()
    assert session.steps == 1
    indexes = inspect(store.engine).get_indexes("steps")
    assert any(i["unique"] and i["column_names"] == ["session_id", "position"] for i in indexes)


# == quieter gaps ================================================================================
FORMULAS = {"routine": '=HYPERLINK("http://x","x")', "pose": "@SUM(A1)"}


def test_gaps_csv_cells_are_never_formulas_and_still_import_back(
    database: str, tmp_path: Path
) -> None:
    data = copy.deepcopy(CASES["base"])
    data["sessions"][0]["routine"] = FORMULAS["routine"]
    data["sessions"][0]["steps"][0]["pose"] = FORMULAS["pose"]
    data["sessions"][1]["routine"] = "'quoted"
    unknot.Store(database).import_(data)
    sheet = tmp_path / "history.csv"
    assert cli("history", "--database", database, "export", str(sheet)).returncode == 0
    for row in csv.reader(io.StringIO(sheet.read_bytes().decode("utf-8"), newline="")):
        assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in row), row
    back = f"sqlite:///{tmp_path / 'back.db'}"
    assert "Imported 2 sessions" in cli("history", "--database", back, "import", str(sheet)).stdout
    assert unknot.Store(back).export() == unknot.Store(database).export()


def test_gaps_csv_round_trip_of_any_history() -> None:
    from hypothesis import given, settings
    from hypothesis import strategies as st

    text = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\0"), min_size=1,
                   max_size=30)  # fmt: skip
    stamp = st.datetimes(timezones=st.just(__import__("datetime").UTC)).map(
        lambda moment: moment.isoformat()
    )
    seconds = st.integers(0, 100_000)
    areas = st.dictionaries(st.sampled_from(["hips", "calves", "-x", "=y"]), st.integers(1, 3))
    step = st.fixed_dictionaries({
        "position": st.integers(0, 1000), "pose": text,
        "side": st.sampled_from([None, "left", "right"]), "planned_seconds": seconds,
        "held_seconds": st.floats(0, 100_000),
        "outcome": st.sampled_from(["done", "cut short", "skipped"]), "areas": areas,
        "done_at": stamp,
    })  # fmt: skip
    ratings = st.dictionaries(st.sampled_from(["glutes", "+calves", "@hips"]), st.integers(0, 10))
    session = st.fixed_dictionaries({
        "uid": st.text(st.sampled_from("=+-@'abc0123"), min_size=1, max_size=36),
        "started_at": stamp, "ended_at": st.none() | stamp, "routine": text,
        "needs": st.dictionaries(st.sampled_from(["minutes", "=tight"]), st.integers(0, 60) | text),
        "planned_seconds": seconds, "finished": st.booleans(),
        "steps": st.lists(step, max_size=3, unique_by=lambda s: s["position"]),
        "ratings": st.fixed_dictionaries({"before": ratings, "after": ratings}),
    })  # fmt: skip

    @settings(max_examples=150, deadline=None)
    @given(st.lists(session, max_size=3, unique_by=lambda s: s["uid"]))
    def round_trip(sessions: list[dict[str, Any]]) -> None:
        data = {"format": "unknot-history", "version": 1, "sessions": sessions}
        sheet = unknot.export_text(data, as_csv=True)
        for row in csv.reader(io.StringIO(sheet, newline="")):
            assert not any(c.startswith(("=", "+", "-", "@", "\t", "\r")) for c in row), row
        assert unknot.read_export(sheet, where="sheet", as_csv=True) == data

    round_trip()


def test_gaps_forget_an_empty_or_short_id_is_refused(database: str, tmp_path: Path) -> None:
    file = tmp_path / "two.json"
    file.write_text(json.dumps(CASES["base"]), encoding="utf-8")
    assert cli("history", "import", str(file)).returncode == 0
    for given in ("", "   ", "3b2"):
        refused(cli("history", "forget", given), "at least 4 characters")
    assert len(unknot.Store().sessions()) == 2
    assert cli("history", "forget", "3b2f").returncode == 0
    assert len(unknot.Store().sessions()) == 1


@pytest.mark.parametrize("held", [float("inf"), float("nan"), -1.0])
def test_gaps_the_store_refuses_a_step_held_for_no_real_time(database: str, held: float) -> None:
    store = unknot.Store(database)
    session = store.start_session(new_session("after-long-run", {}, 600, {}))
    with pytest.raises(unknot.UnknotError) as caught:
        store.record_step(session, 1, a_step(held=held))
    assert "'held_seconds' is" in caught.value.line()
    (listed,) = store.sessions()
    assert listed.steps == 0


def test_gaps_an_old_history_holding_infinity_is_still_read(database: str, tmp_path: Path) -> None:
    from sqlalchemy import text

    store = unknot.Store(database)
    session = store.start_session(new_session("after-long-run", {}, 600, {"hips": 4}))
    store.record_step(session, 1, a_step())
    held = [float("inf"), float("-inf"), -5.0]
    if store.engine.dialect.name == "postgresql":
        held.append(float("nan"))  # (SQLite keeps NaN as NULL, which the column refuses)
    with store.engine.begin() as connection:  # as an older unknot let them in
        for position, value in enumerate(held, 2):
            connection.execute(
                text("INSERT INTO steps (session_id, position, pose, side, planned_seconds, "
                     "held_seconds, outcome, areas, done_at) SELECT session_id, :p, pose, side, "
                     "planned_seconds, :h, outcome, areas, done_at FROM steps WHERE position = 1"),
                {"p": position, "h": value},
            )  # fmt: skip
    store.engine.dispose()
    for args in (["history"], ["history", "--json"], ["stats", "--json"]):
        result = cli(*args)
        assert result.returncode == 0, result.stderr[-3000:]
        assert "Infinity" not in result.stdout and "NaN" not in result.stdout
    (listed,) = json.loads(cli("history", "--json").stdout)
    assert listed["held_seconds"] == 30.0
    file = tmp_path / "history.json"
    assert cli("history", "export", str(file)).returncode == 0
    assert json.loads(file.read_text(), parse_constant=float) and "Infinity" not in file.read_text()
