"""How much reading a run costs on top of the reference readers it is built on.

A 3-hour run at one record a second (10 800 samples: heart rate, cadence, altitude, distance,
positions), written as FIT (with fit-tool) and GPX (with gpxpy) by the tests' encoders, is read
by unknot (`unknot.read_run_data`: the format told by content, every sample into the streams,
and the summary's figures) and by the reference reader alone: fitdecode iterating every frame
of the FIT file, gpxpy parsing the GPX. Each is timed five times, interleaved, the best kept.
Prints the times and our overhead. Aim: under 20 % for each.

    python benchmarks/runs.py
"""

from __future__ import annotations

import io
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

ROUNDS = 5


def best(calls: dict[str, Callable[[], object]]) -> dict[str, float]:
    times = {name: float("inf") for name in calls}
    for _ in range(ROUNDS):
        for name, call in calls.items():  # interleaved: a noisy moment hurts both alike
            start = time.perf_counter()
            call()
            times[name] = min(times[name], time.perf_counter() - start)
    return times


def main() -> None:
    import fitdecode
    import gpxpy

    import runfiles
    import unknot

    run = runfiles.three_hours()
    fit = runfiles.fit_bytes(run)
    gpx = runfiles.gpx_bytes(run)

    def fitdecode_raw() -> None:
        with fitdecode.FitReader(io.BytesIO(fit), check_crc=fitdecode.CrcCheck.RAISE) as reader:
            for _frame in reader:
                pass

    def gpxpy_parse() -> None:
        gpxpy.parse(gpx.decode("utf-8"))

    unknot.read_run_data(fit, "warm.fit")  # imports and first-use caches, outside the timing
    unknot.read_run_data(gpx, "warm.gpx")
    times = best({
        "fitdecode": fitdecode_raw,
        "unknot FIT": lambda: unknot.read_run_data(fit, "run.fit"),
        "gpxpy": gpxpy_parse,
        "unknot GPX": lambda: unknot.read_run_data(gpx, "run.gpx"),
    })  # fmt: skip
    sizes = f"FIT {len(fit):,} bytes, GPX {len(gpx):,} bytes"
    print(f"3-hour run, {len(run.points):,} samples: {sizes}")
    for ours, reference in (("unknot FIT", "fitdecode"), ("unknot GPX", "gpxpy")):
        ratio = times[ours] / times[reference]
        print(
            f"  {ours}: {times[ours] * 1000:.0f} ms against {reference}'s "
            f"{times[reference] * 1000:.0f} ms: {ratio:.2f}x, overhead {(ratio - 1) * 100:+.0f} % "
            f"(aim: under +20 %)"
        )


if __name__ == "__main__":
    main()
