"""The cache of checked data: same answers as reading the files, and never stale or in the way."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from unknot.cache import cached
from unknot.catalog.poses import catalog_files, load_catalog
from unknot.errors import UnknotError
from unknot.files import DATA
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

    assert cached("thing", catalog_files(), build) == "built"
    for entry in own_cache.iterdir():
        entry.write_bytes(b"not a pickle")
    assert cached("thing", catalog_files(), build) == "built"
    assert len(calls) == 2
    assert cached("thing", catalog_files(), build) == "built"
    assert len(calls) == 2  # rewritten, and used


def test_an_unwritable_cache_directory_is_skipped(
    own_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    own_cache.write_text("a file where the folder should be")
    assert cached("thing", catalog_files(), lambda: 42) == 42


def test_the_cache_can_be_turned_off(monkeypatch: pytest.MonkeyPatch, own_cache: Path) -> None:
    monkeypatch.setenv("UNKNOT_CACHE_DIR", "")
    assert cached("thing", catalog_files(), lambda: 7) == 7
    assert not own_cache.exists()


def test_the_catalog_from_the_cache_equals_the_catalog_from_the_files(own_cache: Path) -> None:
    fresh = load_catalog()
    first = cached("catalog-test", catalog_files(), load_catalog)
    again = cached("catalog-test", catalog_files(), load_catalog)
    assert [p._asdict() for p in again.poses] == [p._asdict() for p in fresh.poses]
    assert first is not again  # the second one really came back from disk


def test_the_cache_depends_on_every_pose_file_and_figure() -> None:
    sources = catalog_files()
    for folder in ("poses", "figures"):
        assert [p for p in sources if p.parent == DATA / folder] == sorted(
            (DATA / folder).glob("*.yaml")
        )


def test_the_cached_catalog_is_read_again_when_one_pose_file_changes(
    own_cache: Path, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(DATA / "catalog.yaml", data)
    for folder in ("poses", "figures"):
        shutil.copytree(DATA / folder, data / folder)

    def load() -> list[tuple[str, int]]:
        catalog = cached("catalog-test", catalog_files(data), lambda: load_catalog(data))
        return [(p.name, p.hold.high) for p in catalog]

    before = load()
    assert load() == before  # from the cache
    pigeon = data / "poses" / "pigeon.yaml"
    pigeon.write_text(pigeon.read_text(encoding="utf-8").replace("hold: 30-90", "hold: 30-95"))
    os.utime(pigeon, ns=(pigeon.stat().st_atime_ns, pigeon.stat().st_mtime_ns + 1_000_000))
    after = load()
    assert ("Pigeon", 95) in after and ("Pigeon", 90) in before
    assert len(after) == len(before)
    (data / "figures" / "plow.yaml").unlink()  # one file fewer: the list of sources changed
    with pytest.raises(UnknotError, match="has no figure"):
        load()


def test_an_edit_copied_with_its_time_is_read_again(write_routine: Callable[..., Path]) -> None:
    """`cp -p` and `rsync -t` keep the modification time, and an edit may keep the size: a
    person's file is stamped by its content too."""
    path = write_routine("steps:\n  - pose: Pigeon\n    hold: 20\n")
    assert expand(load_routine(path)).entries[0].hold == 20
    times = path.stat()
    path.write_text("steps:\n  - pose: Pigeon\n    hold: 45\n")
    os.utime(path, ns=(times.st_atime_ns, times.st_mtime_ns))
    assert path.stat().st_size == times.st_size
    assert expand(load_routine(path)).entries[0].hold == 45


def test_unknot_s_own_files_are_stamped_once_a_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """Part of the installed package, like its code: no content read for them, every command."""
    from unknot import cache

    own = str(DATA / "routines" / "after-long-run.yaml")
    first = cache._file(own)
    assert len(first) == 3  # path, size, time: no digest

    def no_reading(*args: object) -> None:
        raise AssertionError("a package file was read to stamp it")

    monkeypatch.setattr(cache, "_digest", no_reading)
    assert cache._file(own) == first


def test_a_file_that_is_not_small_and_regular_is_left_to_the_reader(tmp_path: Path) -> None:
    """Nothing is hashed that the reader would refuse: the build reports it, the cache never
    reads it (a FIFO would hang, /dev/zero never end)."""
    from unknot import cache

    pipe = tmp_path / "pipe.yaml"
    os.mkfifo(pipe)
    built: list[int] = []
    assert cached("thing", [pipe], lambda: built.append(1) or 1) == 1
    assert built == [1]
    with pytest.raises(OSError):
        cache._digest(os.fspath(pipe))
    big = tmp_path / "big.yaml"
    big.write_bytes(b"#" * 1_000_001)
    with pytest.raises(OSError):
        cache._digest(os.fspath(big))
    with pytest.raises(OSError):
        cache._digest("/dev/zero")


def test_a_cache_that_cannot_be_written_is_silent(
    own_cache: Path, run: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("UNKNOT_CACHE_DIR", "/dev/null")
    result = run("plan", "after-long-run", "--minutes", "11", "--tight", "calves")
    assert result.exit_code == 0 and result.stderr == ""
