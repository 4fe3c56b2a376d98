"""How fast the history records a step and computes stats, on SQLite.

Fills a fresh database (a temporary SQLite file, or the empty one given by --database, such
as a PostgreSQL database) with ten years of daily sessions (8 steps each, ratings before and after),
then prints the median time to record one step (through the same Store.record_step a guided
session uses) and the time to compute `unknot stats` over it all. Aim: a step under 5 ms, stats
under 100 ms.

    python benchmarks/history.py [--years N]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

AREAS = '{"glutes": 3, "outer-hips": 3}'


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument(
        "--database", help="an empty database URL to fill (default: a temporary SQLite file)"
    )
    args = parser.parse_args()
    from sqlalchemy import text

    from unknot.guide.player import Outcome, StepRecord
    from unknot.history.records import new_session
    from unknot.history.stats import stats
    from unknot.history.store import Store
    from unknot.plan.needs import Needs
    from unknot.plan.planner import plan
    from unknot.routines.routine import resolve

    entries = plan(resolve("after-long-run"), Needs(minutes=5.0)).timeline.entries[:8]
    with tempfile.TemporaryDirectory() as folder:
        store = Store(args.database or f"sqlite:///{Path(folder) / 'history.db'}")
        days = 365 * args.years
        start = datetime.now(UTC) - timedelta(days=days)
        session = store.start_session(
            new_session("after-long-run", {"minutes": 5}, 300, {"glutes": 6})
        )
        with store.engine.begin() as connection:  # bulk fill: the shape a real history has
            for day in range(days):
                when = start + timedelta(days=day)
                row = connection.execute(
                    text("INSERT INTO sessions (uid, started_at, ended_at, routine, needs, "
                         "planned_seconds, finished) VALUES (:u, :s, :e, 'after-long-run', '{}', "
                         "300, :f) RETURNING id"),
                    {"u": f"bench-{day}", "s": when, "e": when + timedelta(minutes=5), "f": True},
                ).one()  # fmt: skip
                connection.execute(
                    text("INSERT INTO steps (session_id, position, pose, side, planned_seconds, "
                         "held_seconds, outcome, areas, done_at) VALUES (:i, :p, 'Pigeon', "
                         "'right', 30, 30, 'done', :a, :d)"),
                    [{"i": row[0], "p": n, "d": when, "a": AREAS} for n in range(8)],
                )  # fmt: skip
                connection.execute(
                    text("INSERT INTO ratings (session_id, moment, area, value) VALUES "
                         "(:i, 'before', 'glutes', 6), (:i, 'after', 'glutes', 3)"),
                    {"i": row[0]},
                )  # fmt: skip
        step_times = []
        for n in range(50):
            record = StepRecord(entries[n % len(entries)], 30.0, Outcome.DONE)
            began = time.perf_counter()
            store.record_step(session, n, record)
            step_times.append(time.perf_counter() - began)
        stats(store)  # warm
        if __import__("os").environ.get("PROFILE"):
            import cProfile

            cProfile.runctx("stats(store)", globals(), locals(), sort="tottime")
        stats_times = []
        for _ in range(3):
            began = time.perf_counter()
            stats(store)
            stats_times.append(time.perf_counter() - began)
    print(f"history of {days} daily sessions ({days * 8} steps) on {store.engine.dialect.name}:")
    print(f"record a step: median {statistics.median(step_times) * 1000:.2f} ms "
          f"(max {max(step_times) * 1000:.2f} ms, 50 steps; aim < 5 ms)")  # fmt: skip
    print(f"stats over all of it: median {statistics.median(stats_times) * 1000:.1f} ms "
          f"(aim < 100 ms)")  # fmt: skip


if __name__ == "__main__":
    main()
