"""How fast the full after-long-run session renders to audio, against its own length.

Renders the whole track (every phrase spoken by the neural voice, chimes, loudness) twice in
this process: with an empty phrase cache (cold) and again with it filled (warm), and encodes
the warm track as MP3. Prints each time and its real-time factor (track length / time taken).
Aim: cold at least 30x faster than real time, warm at least 500x.

    python benchmarks/audio.py
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        os.environ["UNKNOT_CACHE_DIR"] = str(Path(folder) / "cache")  # an empty cache: cold
        from unknot.plan.needs import Needs
        from unknot.plan.planner import plan
        from unknot.routines.routine import resolve
        from unknot.sound import track as audio
        from unknot.sound.voice import voice

        timeline = plan(resolve("after-long-run"), Needs()).timeline
        audio.render(plan(resolve("foam-rolling"), Needs()).timeline, voice("none"))  # imports
        results = {}
        for label in ("cold", "warm"):
            speaker = voice("piper")
            start = time.perf_counter()
            track = audio.render(timeline, speaker)
            results[label] = time.perf_counter() - start
        start = time.perf_counter()
        audio.write(track, Path(folder) / "session.mp3", "benchmark")
        encode = time.perf_counter() - start
    length = track.seconds
    print(f"after-long-run track: {length:.0f} s, {len(track.utterances)} spoken cues")
    for label, seconds in results.items():
        aim = 30 if label == "cold" else 500
        factor = length / seconds
        print(f"render, {label} phrase cache: {seconds:6.2f} s = {factor:7.1f}x real time "
              f"(aim >= {aim}x)")  # fmt: skip
    print(f"MP3 encoding of the warm track: {encode:6.2f} s = {length / encode:7.1f}x real time")
    warm_total = results["warm"] + encode
    print(
        f"warm render and MP3 together: {warm_total:6.2f} s = {length / warm_total:7.1f}x real time"
    )


if __name__ == "__main__":
    main()
