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
AREAS_SHOWN = 4  # the areas rated most often, a small chart each; more stop fitting a phone
LAST_SESSIONS = 8  # the rated sessions an area's chart shows, the most recent
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
    rated = [s for s in sorted(sessions, key=lambda s: s.started_at) if s.before or s.after]
    series = list(_series(rated).items())[:AREAS_SHOWN] if rated else []
    # The minutes a week across the top; under it one small chart an area (two a row), each
    # titled with the area's name: lines of their own, never labels printed over each other.
    rows = 1 + max(1, (len(series) + 1) // 2)
    figure = plt.figure(figsize=inches, constrained_layout=True)
    grid = figure.add_gridspec(rows, 2)
    _minutes_per_week(figure.add_subplot(grid[0, :]), sessions, today)
    if not series:
        _no_ratings(figure.add_subplot(grid[1, :]))
    for n, (label, values) in enumerate(series):
        _tightness(figure.add_subplot(grid[1 + n // 2, n % 2]), label, rated, values)
    if series:
        from matplotlib.lines import Line2D

        key = [Line2D([], [], color=BEFORE, marker="o", label="before the session"),
               Line2D([], [], color=AFTER, marker="s", label="after it")]  # fmt: skip
        figure.legend(handles=key, loc="outside lower center", ncols=2, frameon=False,
                      title="How tight it felt, 0 to 10")  # fmt: skip
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


def _no_ratings(axes: Any) -> None:
    axes.set_axis_off()
    axes.text(0.5, 0.5, "No ratings yet: rate how tight it feels\nbefore or after a session.",
              ha="center", va="center", transform=axes.transAxes)  # fmt: skip


def _tightness(
    axes: Any, label: str, rated: list[SessionRecord], values: list[tuple[int | None, int | None]]
) -> None:
    """One area's before (red) and after (blue), a slot per session that rated it; a session
    rated only before, or only after, is a dot of its own."""
    axes.set_title(label, fontsize=10)
    axes.set_ylim(0, 10.5)
    axes.set_yticks([0, 5, 10])
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    slots = [(s, v) for s, v in zip(rated, values, strict=True) if v != (None, None)]
    for moment, colour, marker in ((0, BEFORE, "o"), (1, AFTER, "s")):
        points = [(n, v[moment]) for n, (_, v) in enumerate(slots) if v[moment] is not None]
        if points:
            xs, ys = zip(*points, strict=True)
            axes.plot(xs, ys, f"{marker}-", color=colour, alpha=0.8, markersize=4)
    shown = slots[-LAST_SESSIONS:]
    axes.set_xlim(len(slots) - len(shown) - 0.5, len(slots) - 0.5)
    axes.set_xticks(range(len(slots) - len(shown), len(slots)))
    axes.set_xticklabels([s.started_at.astimezone().strftime("%d %b") for s, _ in shown],
                         fontsize=7, rotation=45)  # fmt: skip


def _series(rated: list[SessionRecord]) -> dict[str, list[tuple[int | None, int | None]]]:
    """Each area's (before, after) per session, None where it was not rated; areas rated
    identically share one chart, named for their group when they make one up ("Hips"), and the
    areas rated most often come first."""
    from unknot.catalog.vocabulary import vocabulary

    vocab = vocabulary()
    areas = sorted({a for s in rated for a in {*s.before, *s.after}})
    by_values: dict[tuple[Any, ...], list[str]] = {}
    for area in areas:
        values = tuple((s.before.get(area), s.after.get(area)) for s in rated)
        by_values.setdefault(values, []).append(area)
    groups = {frozenset(g.areas): g.label for g in vocab.groups.values()}

    def label(names: list[str]) -> str:
        shown = [vocab.areas[a].label if a in vocab.areas else a for a in names]
        return groups.get(frozenset(names), ", ".join(shown))

    ranked = sorted(by_values.items(), key=lambda kv: -sum(v != (None, None) for v in kv[0]))
    return {label(names): list(values) for values, names in ranked}
