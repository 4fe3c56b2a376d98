"""Where the history lives: a SQLite file in the user's data folder, or any SQLAlchemy URL."""

from __future__ import annotations

import os
from pathlib import Path


def data_dir() -> Path:
    from platformdirs import user_data_dir

    folder = Path(user_data_dir("unknot"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def database_url(explicit: str | None = None) -> str:
    """Where the history lives: --database, else UNKNOT_DATABASE_URL, else the user's data dir."""
    if explicit:
        return explicit
    configured = os.environ.get("UNKNOT_DATABASE_URL")
    if configured:
        return configured
    return f"sqlite:///{data_dir() / 'history.db'}"


def pending_folder() -> Path:
    """Where sessions wait, one file each, while the database cannot be reached."""
    folder = data_dir() / "pending"
    folder.mkdir(parents=True, exist_ok=True)
    return folder
