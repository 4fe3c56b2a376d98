"""How fast the planner fits a routine to random needs.

Prints, all measured in this run (plans kept between runs are turned off but for line 2):
  1. the median time to plan `after-long-run` (shipped rules) for random needs;
  2. the median time to find one of those plans again in the cache (a new, temporary one);
  3. on the same needs, the search alone in each of its back-ends (plain-Python frontiers, and
     NumPy tables, NumPy imported already), which must choose alike;
  4. the planner against the exhaustive search it is checked against (tests/oracles.py), on
     random cases small enough to enumerate (after-long-run with most poses skipped, a coarser
     grid), and the ratio between them;
  5. the time to plan a synthetic routine of 200 steps.
Aim: under 5 ms for the built-in routine, under 100 ms for 200 steps.

    python benchmarks/planner.py [--cases N]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from unknot.catalog.poses import catalog
from unknot.catalog.vocabulary import vocabulary
from unknot.errors import UnknotError
from unknot.plan import planner, relief
from unknot.plan.dense import DenseSearch
from unknot.plan.frontier import FrontierSearch
from unknot.plan.needs import Needs, read_needs
from unknot.routines.routine import Routine, read_routine, resolve
from unknot.yamlfile import parse

AREAS = [*vocabulary().areas, "hips", "back", "legs"]
COARSE = relief.rules()._replace(grid=(relief.GridBand(1800, 10),))


def random_needs(rng: random.Random, routine: Routine, keep: int | None = None) -> Needs:
    names = list(dict.fromkeys(p.name for p in routine.poses()))
    skip = rng.sample(names, len(names) - keep) if keep else []
    return read_needs(
        tight=[f"{a}:{rng.randint(1, 5)}" for a in rng.sample(AREAS, rng.randint(0, 3))],
        minutes=float(rng.randint(2, 30)),
        skip=skip,
        avoid=rng.sample(["knees", "neck", "wrists"], rng.randint(0, 1)),
    )


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def synthetic(steps: int, rng: random.Random) -> Routine:
    names = [p.name for p in catalog() if p.areas]
    lines = ["hold: 20-30\nsteps:\n"]
    count = 0
    while count < steps:
        if rng.random() < 0.2:
            size = rng.randint(2, 4)
            lines.append("  - per_side:\n")
            lines.extend(f"      - {rng.choice(names)}\n" for _ in range(size))
            count += size
        else:
            lines.append(f"  - {rng.choice(names)}\n")
            count += 1
    return read_routine(parse("".join(lines), where="synthetic", what="routine"), name="synthetic")


def ms(values: list[float]) -> str:
    return f"median {statistics.median(values) * 1000:.2f} ms"


def back_ends(routine: Routine, cases: list[Needs]) -> None:
    """The search alone, in each back-end, on the same problems."""
    times: dict[str, list[float]] = {"frontier": [], "dense": []}
    for needs in cases:
        task = planner.problem(routine, needs)
        while True:  # as the planner does: the last demands given up until a plan fits
            layers, _ = planner.search_layers(task)
            found = []
            try:
                for name, back_end in (("frontier", FrontierSearch), ("dense", DenseSearch)):
                    search = back_end(task.limit, task.ctx, task.keep_all)
                    start = time.perf_counter()
                    found.append(search.run(layers))
                    times[name].append(time.perf_counter() - start)
                break
            except UnknotError:
                if not task.demands:
                    raise
                task = planner.problem(routine, needs, None, len(task.demands) - 1)
        assert found[0] == found[1], needs
    print(f"  the search alone: frontier {ms(times['frontier'])}, NumPy {ms(times['dense'])} "
          "(NumPy imported already), the same choices")  # fmt: skip


def against_exhaustive(routine: Routine, rng: random.Random, cases: int) -> None:
    sys.path.insert(0, str(Path(__file__).parent.parent / "tests"))
    from oracles import exhaustive_score

    fast, slow = [], []
    while len(fast) < min(cases, 40):
        needs = random_needs(rng, routine, keep=rng.randint(3, 5))
        try:
            expected = exhaustive_score(routine, needs, COARSE)
            fast.append(timed(lambda n=needs: planner.plan(routine, n, COARSE)))
        except UnknotError:
            continue
        slow.append(timed(lambda n=needs: exhaustive_score(routine, n, COARSE)))
        assert abs(planner.plan(routine, needs, COARSE).score - expected) < 1e-6
    quick, brute = statistics.median(fast) * 1000, statistics.median(slow) * 1000
    print(f"same cases, small enough to enumerate: planner median {quick:.2f} ms, exhaustive "
          f"median {brute:.2f} ms: {brute / quick:.1f}x faster, same scores")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100)
    args = parser.parse_args()
    rng = random.Random(2026)
    routine = resolve("after-long-run")
    os.environ["UNKNOT_CACHE_DIR"] = ""  # plans made, not found again
    planner.plan(routine, Needs(minutes=10.0))  # warm: caches in memory

    cases = [random_needs(rng, routine) for _ in range(args.cases)]
    built_in = [timed(lambda n=needs: planner.plan(routine, n)) for needs in cases]
    p90 = statistics.quantiles(built_in, n=10)[-1] * 1000
    print(f"after-long-run, random needs: {ms(built_in)} (p90 {p90:.2f} ms, "
          f"{args.cases} plans; aim < 5 ms)")  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="unknot-plans-") as folder:
        os.environ["UNKNOT_CACHE_DIR"] = folder
        for needs in cases:
            planner.plan(routine, needs)
        again = [timed(lambda n=needs: planner.plan(routine, n)) for needs in cases]
        os.environ["UNKNOT_CACHE_DIR"] = ""
    print(f"  the same plans found again in the cache: {ms(again)}")
    back_ends(routine, cases)

    against_exhaustive(routine, rng, args.cases)

    big = synthetic(200, rng)
    needs = read_needs(minutes=60, tight=["hips:3", "hamstrings"])
    planner.plan(big, needs)
    times = [timed(lambda: planner.plan(big, needs)) for _ in range(5)]
    big_median = statistics.median(times) * 1000
    print(f"synthetic routine of 200 steps, 60 minutes: median {big_median:.1f} ms (aim < 100 ms)")


if __name__ == "__main__":
    main()
