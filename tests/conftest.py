"""Shared fixtures: the real CLI in process, the installed command, routine files on disk."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from unknot.cli import cli

UNKNOT = str(Path(sys.executable).with_name("unknot"))  # the console script pip installed

# The seed's sequence expanded with both legs, as DESIGN.md lists it: (pose, side).
SIDE_BLOCK = [
    "Three-Legged Dog",
    "Tip-Toe Three-Legged Dog",
    "Twisting Lizard",
    "Low Crescent Lunge",
    "Lifted Head to Knee",
    "Open Lizard",
    "Pigeon",
    "Seated Spinal Twist",
]
SEED_SEQUENCE: list[tuple[str, str | None]] = [
    ("Child's Pose", None),
    ("Cat-Cow", None),
    ("Downward-Facing Dog", None),
    *[(pose, "right") for pose in SIDE_BLOCK],
    ("Downward-Facing Dog", None),
    *[(pose, "left") for pose in SIDE_BLOCK],
    ("Happy Baby", None),
    ("Knee-to-Chest", "right"),
    ("Lying Spinal Twist", "right"),
    ("Knee-to-Chest", "left"),
    ("Lying Spinal Twist", "left"),
    ("Supported Fish", None),
    ("Plow", None),
    ("Savasana", None),
]


@pytest.fixture(autouse=True)
def own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test gets an empty data cache of its own (subprocesses inherit it too)."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("UNKNOT_CACHE_DIR", str(folder))
    # ...and a history of its own: no test writes to the person's real one.
    monkeypatch.setenv("UNKNOT_DATABASE_URL", f"sqlite:///{tmp_path / 'history.db'}")
    return folder


@pytest.fixture
def run() -> Callable[..., Result]:
    """Run `unknot ARGS...` in process; stdout and stderr kept apart."""

    def invoke(*args: str) -> Result:
        return CliRunner().invoke(cli, list(args), prog_name="unknot")

    return invoke


@pytest.fixture
def write_routine(tmp_path: Path) -> Callable[..., Path]:
    """Write a routine file and return its path."""

    def write(text: str | bytes, name: str = "routine.yaml") -> Path:
        path = tmp_path / name
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
        return path

    return write
