"""Where the history lives: a SQLite file in the user's data folder, or any SQLAlchemy URL."""

from __future__ import annotations

import os
from pathlib import Path


def data_dir(*, create: bool = True) -> Path:
    from platformdirs import user_data_dir

    folder = Path(user_data_dir("unknot"))
    if create:
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


def pending_folder(*, create: bool = True) -> Path:
    """Where sessions wait, one file each, while the database cannot be reached."""
    folder = data_dir(create=create) / "pending"
    if create:
        folder.mkdir(parents=True, exist_ok=True)
    return folder


def identity(url: str) -> str:
    """Which database a URL names, as a pending file records it: the same for every spelling of
    one database (a relative SQLite path, another driver), and never a password."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except ArgumentError:
        return url
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:" and not database.startswith("file:"):
            database = os.path.realpath(database)
        return f"sqlite:///{database}"
    if backend == "postgresql" and parsed.port is None:
        parsed = parsed.set(port=5432)
    return parsed.set(drivername=backend, password=None, query={}).render_as_string(
        hide_password=False
    )


def shown(url: str) -> str:
    """A URL as messages show it: its password hidden."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url
