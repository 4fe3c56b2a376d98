"""The public API (`import unknot`): what the command line and the web app use, and what a person
scripting unknot would: it is complete, costs nothing to import, names fields (never flags) in
its errors, and records a session the same way whoever plays it."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import unknot
from conftest import create_database

INIT = Path(unknot.__file__)


def _api_table() -> dict[str, tuple[str, str]]:
    tree = ast.parse(INIT.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.AnnAssign) and getattr(node.target, "id", "") == "_API":
            return ast.literal_eval(node.value)  # type: ignore[no-any-return]
    raise AssertionError("no _API table in unknot/__init__.py")


def _typed_names() -> dict[str, tuple[str, str]]:
    """What the TYPE_CHECKING block imports, as the type checker sees the API."""
    tree = ast.parse(INIT.read_text(encoding="utf-8"))
    block = next(n for n in tree.body if isinstance(n, ast.If))
    found: dict[str, tuple[str, str]] = {}
    for node in block.body:
        assert isinstance(node, ast.ImportFrom) and node.module
        for alias in node.names:
            found[alias.asname or alias.name] = (node.module, alias.name)
    return found


def test_every_public_name_resolves_and_the_three_lists_agree() -> None:
    table = _api_table()
    assert sorted(unknot.__all__) == sorted(["__version__", *table])
    assert _typed_names() == table
    for name, (module, attribute) in table.items():
        value = getattr(unknot, name)
        assert value is getattr(sys.modules[module], attribute), name
    with pytest.raises(AttributeError, match="no attribute 'nothing_here'"):
        unknot.nothing_here  # noqa: B018


def test_importing_unknot_loads_none_of_its_parts() -> None:
    probe = (
        "import sys, unknot; "
        "print(sorted(m for m in sys.modules if m.startswith('unknot.') and m != 'unknot.version'))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    assert loaded.strip() == "[]"


@pytest.mark.parametrize(
    ("given", "field", "what"),
    [
        ({"minutes": "lots"}, "minutes", "'lots' is not a number from 1 to 240"),
        ({"minutes": "inf"}, "minutes", "'inf' is not a number from 1 to 240"),
        ({"hold": "2.5"}, "hold", "'2.5' is not a whole number of seconds"),
        ({"first_side": "up"}, "first_side", "'up' is not a side"),
        ({"avoid": ["kneez"]}, "avoid", "unknown condition 'kneez' (did you mean 'knees'?)"),
        ({"tight": ["hips:11"]}, "tight", "'hips:11' has the weight '11'"),
        ({"level": "expert"}, "level", "unknown level 'expert'"),
    ],
)
def test_the_library_names_fields_not_flags(
    given: dict[str, object], field: str, what: str
) -> None:
    with pytest.raises(unknot.UnknotError) as caught:
        unknot.read_needs(**given)  # type: ignore[arg-type]
    assert caught.value.field == field
    assert caught.value.what.startswith(what)
    assert "--" not in caught.value.line()


def test_needs_as_text_and_as_numbers_are_the_same_needs() -> None:
    typed = unknot.read_needs(tight=["hips:3", "calves"], minutes=10, hold=30, first_side="left")
    text = unknot.read_needs(tight=["hips:3,calves"], minutes="10", hold="30", first_side="Left")
    assert typed == text
    assert text.to_record() == {
        "tight": typed.tight, "named": ("hips", "calves"), "minutes": 10.0, "hold": 30,
        "first_side": "left",
    }  # fmt: skip


def _played(sink: unknot.SessionSink) -> tuple[unknot.Plan, list[unknot.StepRecord]]:
    """A short session played on a fake clock, recorded into `sink` as `unknot go` does."""
    plan = unknot.fit(unknot.routine("after-long-run"), unknot.read_needs(minutes=5))
    now = [0.0]
    recording = unknot.Recording.begin(sink, plan.timeline, plan.needs.to_record(), {"hips": 6})
    player = unknot.Player(plan.timeline, clock=lambda: now[0])
    player.on_record = recording.step
    player.start()
    now[0] = plan.timeline.entries[1].start + 1.0  # into the second step's hold
    player.tick()
    player.skip()
    now[0] += 2.0
    player.quit()
    recording.finish(unknot.summarize(player).finished, {"hips": 3})
    return plan, player.records


def test_a_session_recorded_into_the_store_or_a_pending_file_is_the_same_history(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, postgres_server: tuple[str, int]
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    store = unknot.Store(f"sqlite:///{tmp_path / 'direct.db'}")
    plan, records = _played(store)
    # A PostgreSQL database that is not there yet: the session still records, in a local file.
    _, port = postgres_server
    name = f"later_{os.getpid()}_{abs(hash(tmp_path)) % 10**8}"
    url = f"postgresql+psycopg://postgres@127.0.0.1:{port}/{name}"
    pending = unknot.open_sink(url)
    assert not isinstance(pending[0], unknot.Store)  # the database is down: a local file
    assert "this session is kept in" in pending[1]
    _played(pending[0])
    other = unknot.Store(f"sqlite:///{tmp_path / 'other.db'}")  # another history: not for it
    assert other.added_from_pending == 0
    assert create_database(port, name) == url
    later = unknot.Store(url)  # its own database, back: opens, adds what was pending
    assert later.added_from_pending == 1

    def history(s: unknot.Store) -> list[dict[str, object]]:
        sessions = s.export()["sessions"]
        return [
            {
                "routine": x["routine"], "needs": x["needs"], "finished": x["finished"],
                "ratings": x["ratings"], "planned": x["planned_seconds"],
                "steps": [(t["position"], t["pose"], t["side"], t["held_seconds"], t["outcome"])
                          for t in x["steps"]],
            }
            for x in sessions
        ]  # fmt: skip

    direct, kept = history(store), history(later)
    assert direct == kept
    assert direct[0]["ratings"] == {"before": {"hips": 6}, "after": {"hips": 3}}
    assert [s[4] for s in direct[0]["steps"]] == [r.outcome.value for r in records]
    assert direct[0]["planned"] == plan.timeline.total
    assert json.dumps(direct)  # plain data all the way down
