"""Every session remembered: steps as they finish, partial sessions kept, several writers,
export and import, forgetting, and a database that is not ours left alone."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from click.testing import Result

from conftest import GUARD, UNKNOT, create_database
from unknot.history.records import new_session
from unknot.history.stats import stats, streaks
from unknot.history.store import Store
from unknot.plan.needs import read_needs
from unknot.plan.planner import plan
from unknot.routines.routine import resolve

# What `unknot go --minutes 3` plans: its steps and the seconds they hold.
THREE_MINUTES = plan(resolve("after-long-run"), read_needs(minutes=3)).timeline


def go(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [UNKNOT, "go", "after-long-run", "--voice", "none", *args],
        capture_output=True, text=True, timeout=GUARD, env=env or dict(os.environ),
    )  # fmt: skip


def in_background(*args: str) -> subprocess.Popen[str]:
    """A guided session running on its own, its plain lines readable as they come."""
    return subprocess.Popen(
        [UNKNOT, "go", "after-long-run", "--voice", "none", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def test_a_guided_session_is_recorded_step_by_step_with_ratings(database: str) -> None:
    done = go("--minutes", "3", "--speed", "300", "--before", "hips:7", "--after", "hips:3")
    assert done.returncode == 0, done.stderr
    (session,) = Store().sessions()
    assert session.status == "finished" and session.routine == "after-long-run"
    assert session.steps == len(THREE_MINUTES) >= 3
    assert session.held_seconds == sum(e.hold for e in THREE_MINUTES)
    assert session.before["glutes"] == 7 and session.after["glutes"] == 3
    figures = stats(Store())
    assert figures["sessions"] == 1 and figures["streak"]["current_days"] == 1
    assert figures["tightness"]["glutes"] == {"sessions": 1, "before": 7.0, "after": 3.0}


def test_records_sent_again_are_written_once_on_both_engines(database: str) -> None:
    from unknot.guide.player import Outcome, StepRecord
    from unknot.guide.timeline import expand
    from unknot.routines.routine import resolve

    store = Store(database)
    entry = expand(resolve("after-long-run")).entries[0]
    uid = "5f0c9a8e-1d2b-4c3a-9e8f-7a6b5c4d3e2f"  # the web player's id for its session
    for _ in range(2):  # everything sent twice, as a player does when an answer is lost
        session = store.start_session(
            new_session("after-long-run", {}, 600, {"calves": 6}, uid=uid)
        )
        store.record_step(session, 1, StepRecord(entry, 30.0, Outcome.DONE))
        store.record_step(session, 2, StepRecord(entry, 12.5, Outcome.CUT_SHORT))
        store.finish(session, True, {"calves": 2})
    (kept,) = store.sessions()
    assert kept.uid == uid and kept.steps == 2 and kept.held_seconds == 42.5
    assert kept.before == {"calves": 6} and kept.after == {"calves": 2}
    assert store.session_id(uid) == session and store.session_id("unknown") is None


def test_a_session_killed_halfway_is_kept_as_partial(database: str) -> None:
    process = in_background("--speed", "20")
    assert process.stdout is not None
    for _ in range(3):  # three steps have begun, so at least two are written
        process.stdout.readline()
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=GUARD)
    (session,) = Store().sessions()
    assert session.status == "partial"
    assert session.steps >= 2


def test_two_writers_at_once_lose_nothing(database: str) -> None:
    runs = [in_background("--minutes", "4", "--speed", "200") for _ in range(2)]
    for run in runs:
        assert run.wait(timeout=GUARD) == 0, run.stderr.read() if run.stderr else ""
    sessions = Store().sessions()
    assert len(sessions) == 2
    assert all(s.status == "finished" and s.steps > 0 for s in sessions), sessions
    assert sessions[0].steps == sessions[1].steps


def test_export_then_import_round_trips_exactly(
    run: Callable[..., Result], tmp_path: Path, database: str
) -> None:
    assert go("--minutes", "2", "--speed", "300", "--before", "calves:5").returncode == 0
    first = tmp_path / "first.json"
    assert run("history", "export", str(first)).exit_code == 0
    other = f"sqlite:///{tmp_path / 'other.db'}"
    imported = run("history", "--database", other, "import", str(first))
    assert imported.exit_code == 0 and "Imported 1 sessions" in imported.stdout
    again = run("history", "--database", other, "import", str(first))
    assert "Imported 0 sessions (1 were here already)" in again.stdout  # idempotent
    second = tmp_path / "second.json"
    assert run("history", "--database", other, "export", str(second)).exit_code == 0
    assert json.loads(first.read_text()) == json.loads(second.read_text())
    # The same through CSV, into a third history.
    sheet = tmp_path / "history.csv"
    assert run("history", "export", "--csv", str(sheet)).exit_code == 0
    third = f"sqlite:///{tmp_path / 'third.db'}"
    assert "Imported 1 sessions" in run("history", "--database", third, "import", str(sheet)).stdout
    final = tmp_path / "third.json"
    assert run("history", "--database", third, "export", str(final)).exit_code == 0
    assert json.loads(first.read_text()) == json.loads(final.read_text())
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n")
    result = run("history", "import", str(bad))
    assert result.exit_code == 2 and "is not an unknot history export" in result.stderr


def test_forget_deletes_one_session(run: Callable[..., Result], database: str) -> None:
    assert go("--minutes", "2", "--speed", "300").returncode == 0
    assert go("--minutes", "2", "--speed", "300").returncode == 0
    keep, drop = Store().sessions()
    result = run("history", "forget", drop.uid[:8])
    assert result.exit_code == 0
    assert [s.uid for s in Store().sessions()] == [keep.uid]
    unknown = run("history", "forget", "zzzz")
    assert unknown.exit_code == 2 and "0 sessions match 'zzzz'" in unknown.stderr


def test_a_file_that_is_not_our_database_is_left_alone(
    run: Callable[..., Result], tmp_path: Path
) -> None:
    foreign = tmp_path / "notes.db"
    foreign.write_bytes(b"my own notes, not a database")
    result = run("history", "--database", f"sqlite:///{foreign}")
    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "is not an unknot history" in result.stderr and "left untouched" in result.stderr
    assert foreign.read_bytes() == b"my own notes, not a database"


def test_history_and_stats_as_json(run: Callable[..., Result], database: str) -> None:
    assert go("--minutes", "3", "--speed", "300").returncode == 0
    listed = json.loads(run("history", "--json").stdout)
    assert listed[0]["status"] == "finished" and listed[0]["steps"] == len(THREE_MINUTES)
    figures = json.loads(run("stats", "--json").stdout)
    assert figures["sessions"] == 1 and figures["areas_most"]


def test_streaks_count_consecutive_days() -> None:
    days = [date(2026, 11, d) for d in (1, 2, 3, 5, 6, 20, 21, 22, 23)]
    assert streaks(days, today=date(2026, 11, 24)) == (4, 4)  # yesterday's run still counts
    assert streaks(days, today=date(2026, 11, 26)) == (0, 4)
    assert streaks([], today=date(2026, 11, 24)) == (0, 0)


def test_bad_ratings_get_one_line(run: Callable[..., Result]) -> None:
    result = run("go", "after-long-run", "--before", "hips:11", "--voice", "none", "--speed", "500")
    assert result.exit_code == 2
    assert "--before: 'hips:11' has no rating from 0 to 10" in result.stderr


def test_the_session_is_recorded_even_when_quit_with_q_or_sigterm(database: str) -> None:
    process = in_background("--speed", "1")  # step 1 lasts 25 s: it is under way when stopped
    assert process.stdout is not None
    # Step 1 has begun: the session is in the history and SIGTERM is caught (both come first).
    assert process.stdout.readline().startswith("0:00  Child's Pose")
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=GUARD) == 0
    assert process.stdout.read().startswith("Session stopped: 0 of ")
    (session,) = Store().sessions()
    assert session.status == "stopped"


def test_the_charts_show_ratings_given_only_before_or_only_after(
    run: Callable[..., Result], tmp_path: Path
) -> None:
    svg = tmp_path / "stats.svg"
    assert run("stats", "--plot", str(svg)).exit_code == 0
    assert "No ratings yet" in svg.read_text()
    done = go("--minutes", "2", "--speed", "300", "--before", "calves:6")  # no after: skipped
    assert done.returncode == 0, done.stderr
    assert run("stats", "--plot", str(svg)).exit_code == 0
    text = svg.read_text()
    assert "No ratings yet" not in text and "Calves" in text


def test_stats_draws_its_charts(run: Callable[..., Result], tmp_path: Path) -> None:
    import xml.etree.ElementTree as ET

    from PIL import Image

    for before in ("hips:8", "hips:6,calves:5"):
        done = go("--minutes", "2", "--speed", "300", "--before", before, "--after", "hips:3")
        assert done.returncode == 0, done.stderr
    png, svg = tmp_path / "stats.png", tmp_path / "stats.svg"
    assert run("stats", "--plot", str(png)).exit_code == 0
    with Image.open(png) as picture:
        assert picture.size[0] >= 800 and picture.size[1] >= 700
        assert len(picture.getcolors(1 << 20) or []) > 50  # drawn, not blank
    assert run("stats", "--plot", str(svg)).exit_code == 0
    text = svg.read_text()
    ET.fromstring(text)
    assert "Minutes stretched per week" in text and "Hips" in text  # a chart of its own
    bad = run("stats", "--plot", str(tmp_path / "stats.gif"))
    assert bad.exit_code == 2 and "a file ending in .png or .svg" in bad.stderr


def test_an_older_history_is_migrated_forward_after_a_backup(tmp_path: Path) -> None:
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import create_engine, inspect

    from unknot.history.store import MIGRATIONS

    path = tmp_path / "old.db"
    url = f"sqlite:///{path}"
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with create_engine(url).begin() as connection:  # a history as the first release left it
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")
    store = Store(url)
    assert (tmp_path / "old.db.before-0001.bak").exists()
    indexes = {i["name"] for i in inspect(store.engine).get_indexes("sessions")}
    assert "sessions_by_start" in indexes
    assert store.sessions() == []


def test_a_database_that_cannot_be_reached_keeps_the_session_for_it(
    run: Callable[..., Result], tmp_path: Path, postgres_server: tuple[str, int]
) -> None:
    _, port = postgres_server
    name = f"unknot_later_{os.getpid()}_{abs(hash(tmp_path)) % 10**8}"
    down = f"postgresql+psycopg://postgres@127.0.0.1:{port}/{name}"  # not there yet: unreachable
    env = dict(os.environ, UNKNOT_DATABASE_URL=down)
    done = go("--minutes", "2", "--speed", "300", "--before", "hips:5", env=env)
    assert done.returncode == 0
    assert "Session complete" in done.stdout
    (notice,) = [line for line in done.stderr.splitlines() if line.strip()]
    assert "cannot be reached" in notice and "this session is kept in" in notice
    pending = tmp_path / "data" / "unknot" / "pending"
    # Another history opening (the test's own SQLite) leaves it: it waits for its own.
    assert json.loads(run("history", "--json").stdout) == []
    assert len(list(pending.glob("*.json"))) == 1
    assert create_database(port, name) == down  # the database is back
    back = run("history", "--database", down, "--json")
    (session,) = json.loads(back.stdout)
    assert session["status"] == "finished" and session["before"]["glutes"] == 5
    assert not list(pending.glob("*.json"))


def test_a_web_session_waits_in_its_file_across_a_restart_until_its_database_is_back(
    tmp_path: Path, postgres_server: tuple[str, int]
) -> None:
    import unknot

    _, port = postgres_server
    name = f"web_later_{os.getpid()}_{abs(hash(tmp_path)) % 10**8}"
    url = f"postgresql+psycopg://postgres@127.0.0.1:{port}/{name}"  # not there yet
    timeline = unknot.expand(unknot.routine("after-long-run"))
    uid = "4d3c2b1a-0f9e-4d8c-b7a6-958473625140"

    def step(recordings: unknot.Recordings, position: int) -> None:
        entry = timeline.entries[position - 1]
        record = unknot.StepRecord(entry, 20.0, unknot.Outcome.DONE)
        recordings.get(uid).step(record, position=position)

    heard: list[str] = []
    first = unknot.Recordings(url)
    first.on_notice = heard.append
    first.start(uid, timeline, {}, {"hips": 5})
    step(first, 1)
    assert len(heard) == 1 and "is kept in" in heard[0]
    sink = first.get(uid).sink
    assert not isinstance(sink, unknot.Store)  # a pending file, which the server holds
    sink.close()  # type: ignore[attr-defined]  # the server stops: its process lets go of it
    again = unknot.Recordings(url)  # restarted, the database still down: found in its file
    step(again, 2)
    again.get(uid).finish(True, {"hips": 2})
    assert create_database(port, name) == url
    (session,) = unknot.Store(url).sessions()
    assert session.uid == uid and session.steps == 2 and session.status == "finished"
    assert session.before == {"hips": 5} and session.after == {"hips": 2}


def test_opening_a_history_leaves_nothing_where_it_is_run(
    database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)  # a PostgreSQL database's name is no file to lock beside
    Store(database).sessions()
    assert list(here.iterdir()) == []
