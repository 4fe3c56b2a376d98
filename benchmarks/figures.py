"""How long figures take to draw, and what a phone's first visit asks of the server.

Prints, all measured in this run, the median over every catalog pose (each side counted once):
  1. a still figure (the card, the contact sheet), the baseline;
  2. a web figure (a pose that moves is animated: every moment drawn), as a ratio of 1;
  3. a move from one pose into the next (`/figures/moves/...`), as a ratio of 1;
  4. the CPU one session's figures and moves cost the server once (after-long-run, 15 minutes:
     what the player fetches at its start, each then cached), and their bytes.
Aim: a session's figures and moves under 5 s of one core, drawn off the event loop.

    python benchmarks/figures.py [--rounds N]
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import statistics
import time
from collections.abc import Callable

from unknot.catalog.poses import catalog
from unknot.pictures.drawing import move_svg, sides, svg
from unknot.plan.needs import read_needs
from unknot.plan.planner import plan
from unknot.routines.routine import resolve


def timed(draw: Callable[[], str], rounds: int) -> float:
    """The median seconds of `rounds` calls."""
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        draw()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    rounds = parser.parse_args().rounds
    poses = list(catalog())
    figures = [(pose, sides(pose)[0]) for pose in poses]
    still = statistics.median(
        timed(lambda p=p, s=s: svg(p, s, motion=False), rounds) for p, s in figures
    )
    web = statistics.median(timed(lambda p=p, s=s: svg(p, s), rounds) for p, s in figures)
    pairs = list(itertools.pairwise(figures))
    move = statistics.median(timed(lambda a=a, b=b: move_svg(a, b, 8), rounds) for a, b in pairs)
    print(f"1. a still figure: {still * 1000:.1f} ms (baseline)")
    print(f"2. a web figure: {web * 1000:.1f} ms, {web / still:.1f}x the still")
    print(f"3. a move between two poses: {move * 1000:.1f} ms, {move / still:.1f}x the still")

    timeline = plan(resolve("after-long-run"), read_needs(minutes=15)).timeline
    entries = [e for e in timeline.entries if e.pose is not None]
    start = time.perf_counter()
    drawn = {(e.pose.name, e.side): svg(e.pose, e.side) for e in entries if e.pose}
    moves = [
        move_svg((a.pose, a.side), (b.pose, b.side), b.transition)
        for a, b in itertools.pairwise(timeline.entries)
        if a.pose and b.pose and b.transition
    ]
    spent = time.perf_counter() - start
    texts = [t.encode() for t in [*drawn.values(), *moves]]
    size, packed = sum(map(len, texts)), sum(len(gzip.compress(t, 6)) for t in texts)
    print(
        f"4. one session ({len(drawn)} figures, {len(moves)} moves): {spent:.2f} s of CPU, "
        f"once; {size / 1e6:.1f} MB, {packed / 1e6:.2f} MB as served (gzip)"
    )


if __name__ == "__main__":
    main()
