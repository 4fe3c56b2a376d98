"""The history as pictures a person reads at a glance: minutes per week, and how tight each area
felt before and after each session, over time. matplotlib is loaded only here."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

from unknot.errors import UnknotError
from unknot.history.records import SessionRecord

FORMATS = (".png", ".svg")
WEEKS = 12
BEFORE, AFTER, BARS = "#e4572e", "#2e86ab", "#7a9e7e"


def plot(
    sessions: list[SessionRecord],
    path: Path,
    today: date | None = None,
    inches: tuple[float, float] = (8, 7),
) -> None:
    """Write the charts to `path` (.png or .svg), atomically, `inches` wide and high."""
    if path.suffix.lower() not in FORMATS:
        raise UnknotError(
            "cannot draw charts into that file", where=str(path), field="plot",
            expected=f"a file ending in {' or '.join(FORMATS)}",
        )  # fmt: skip
    from unknot.files import atomic_path, writable_folder, write_error

    writable_folder(path, what="charts", field="plot")
    import matplotlib

    matplotlib.use("Agg")  # no screen needed
    import matplotlib.pyplot as plt

    today = today or date.today()
    figure, (weekly, tightness) = plt.subplots(2, 1, figsize=inches, constrained_layout=True)
    _minutes_per_week(weekly, sessions, today)
    _tightness(tightness, sessions)
    try:
        with atomic_path(path) as temporary:
            figure.savefig(temporary, format=path.suffix.lower().lstrip("."), dpi=120)
    except OSError as err:  # the disk full, the file too large for the system
        raise write_error(err, path, what="charts", field="plot") from None
    finally:
        plt.close(figure)


def _minutes_per_week(axes: Any, sessions: list[SessionRecord], today: date) -> None:
    this_monday = today - timedelta(days=today.weekday())
    mondays = [this_monday - timedelta(weeks=n) for n in range(WEEKS - 1, -1, -1)]
    minutes = dict.fromkeys(mondays, 0.0)
    for session in sessions:
        day = session.started_at.astimezone().date()
        monday = day - timedelta(days=day.weekday())
        if monday in minutes:
            minutes[monday] += session.held_seconds / 60
    labels = [m.strftime("%d %b") for m in mondays]
    axes.bar(labels, list(minutes.values()), color=BARS)
    axes.set_title("Minutes stretched per week")
    axes.set_ylabel("minutes")
    axes.tick_params(axis="x", labelrotation=45)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)


def _tightness(axes: Any, sessions: list[SessionRecord]) -> None:
    """Before and after each rated session, one line pair per area (or group rated alike)."""
    rated = [s for s in sorted(sessions, key=lambda s: s.started_at) if s.before and s.after]
    axes.set_title("How tight it felt: before (red) and after (blue) each session", wrap=True)
    axes.set_ylim(0, 10.5)
    axes.set_ylabel("tightness, 0-10")
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    if not rated:
        axes.text(0.5, 0.5, "No ratings yet: unknot go asks before and after.",
                  ha="center", va="center", transform=axes.transAxes)  # fmt: skip
        return
    numbers = list(range(1, len(rated) + 1))  # one slot per session, however close in time
    for label, series in list(_series(rated).items())[:6]:  # more stop being readable
        xs = [n for n, value in zip(numbers, series, strict=True) if value is not None]
        before = [v[0] for v in series if v is not None]
        after = [v[1] for v in series if v is not None]
        axes.plot(xs, before, "o-", color=BEFORE, alpha=0.7)
        axes.plot(xs, after, "o-", color=AFTER, alpha=0.7)
        axes.annotate(label, (xs[-1], after[-1]), textcoords="offset points", xytext=(6, -3),
                      fontsize=8, color=AFTER)  # fmt: skip
    axes.set_xticks(numbers)
    axes.set_xticklabels([s.started_at.astimezone().strftime("%d %b") for s in rated])
    axes.set_xlim(0.5, len(rated) + 1.5)


def _series(rated: list[SessionRecord]) -> dict[str, list[tuple[int, int] | None]]:
    """Each area's (before, after) per session; areas rated identically share one line, named
    for their group when they make one up ("hips")."""
    from unknot.catalog.vocabulary import vocabulary

    areas = sorted({a for s in rated for a in set(s.before) & set(s.after)})
    by_values: dict[tuple[Any, ...], list[str]] = {}
    for area in areas:
        values = tuple(
            (s.before[area], s.after[area]) if area in s.before and area in s.after else None
            for s in rated
        )
        by_values.setdefault(values, []).append(area)
    groups = {frozenset(g.areas): g.name for g in vocabulary().groups.values()}
    return {
        groups.get(frozenset(names), ", ".join(names)): list(values)
        for values, names in by_values.items()
    }
