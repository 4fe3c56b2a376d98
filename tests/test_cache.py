"""The cache of checked data: same answers as reading the files, and never stale or in the way."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from unknot.cache import cached
from unknot.catalog.poses import CATALOG_FILE, load_catalog
from unknot.guide.timeline import expand
from unknot.routines.routine import load_routine


def test_a_cached_routine_gives_the_same_timeline(write_routine: Callable[..., Path]) -> None:
    path = write_routine("steps:\n  - Child's Pose\n  - per_side: [Pigeon, Plow]\n")
    first = expand(load_routine(path)).to_json()
    second = expand(load_routine(path)).to_json()  # from the cache this time
    assert first == second


def test_an_edited_routine_is_read_again(write_routine: Callable[..., Path]) -> None:
    path = write_routine("steps:\n  - pose: Pigeon\n    hold: 20\n")
    assert expand(load_routine(path)).entries[0].hold == 20
    path.write_text("steps:\n  - pose: Pigeon\n    hold: 45\n")
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1_000_000))
    assert expand(load_routine(path)).entries[0].hold == 45


def test_a_routine_made_invalid_after_caching_is_reported(
    run: Callable[..., Result], write_routine: Callable[..., Path]
) -> None:
    path = write_routine("steps: [Pigeon]\n")
    assert run("validate", str(path)).exit_code == 0
    path.write_text("steps: [Pidgeon]\n")
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1_000_000))
    assert run("validate", str(path)).exit_code == 2


def test_a_corrupt_cache_entry_is_only_a_miss(own_cache: Path) -> None:
    calls: list[int] = []

    def build() -> str:
        calls.append(1)
        return "built"

    assert cached("thing", [CATALOG_FILE], build) == "built"
    for entry in own_cache.iterdir():
        entry.write_bytes(b"not a pickle")
    assert cached("thing", [CATALOG_FILE], build) == "built"
    assert len(calls) == 2
    assert cached("thing", [CATALOG_FILE], build) == "built"
    assert len(calls) == 2  # rewritten, and used


def test_an_unwritable_cache_directory_is_skipped(
    own_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    own_cache.write_text("a file where the folder should be")
    assert cached("thing", [CATALOG_FILE], lambda: 42) == 42


def test_the_cache_can_be_turned_off(monkeypatch: pytest.MonkeyPatch, own_cache: Path) -> None:
    monkeypatch.setenv("UNKNOT_CACHE_DIR", "")
    assert cached("thing", [CATALOG_FILE], lambda: 7) == 7
    assert not own_cache.exists()


def test_the_catalog_from_the_cache_equals_the_catalog_from_the_file(own_cache: Path) -> None:
    fresh = load_catalog(CATALOG_FILE)
    first = cached("catalog-test", [CATALOG_FILE], lambda: load_catalog(CATALOG_FILE))
    again = cached("catalog-test", [CATALOG_FILE], lambda: load_catalog(CATALOG_FILE))
    assert [p._asdict() for p in again.poses] == [p._asdict() for p in fresh.poses]
    assert first is not again  # the second one really came back from disk
