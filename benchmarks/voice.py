"""How the guide sounds, in numbers: the whole after-long-run session rendered with the neural
voice, as a runner with eyes closed hears it.

Prints, for each guide (full, brief, quiet): words a minute per utterance (median over the
utterances of 8 words or more, pauses included), the pause between sentences, the share of what
is heard that repeats a sentence said in the last 4 minutes (names and the count aside), moves
whose name is still being said when the hold starts, where the count lands after + and -
(from the terminal's playback, on a fake clock), and the voice against music between cues and
under speech (BS.1770 loudness of the voice track and of the music alone, as mixed). With
--script it prints the whole spoken script, time by time.

    python benchmarks/voice.py [--script]
"""

from __future__ import annotations

import itertools
import statistics
import sys
import tempfile
from pathlib import Path


def count_landing(timeline: object, speaker: object) -> list[float]:
    """Seconds between each count word and the screen's 3, 2, 1 after +10 s and -10 s, for the
    first hold of 25 s or more."""
    import numpy as np

    from unknot.guide.player import Player
    from unknot.guide.timeline import Timeline
    from unknot.sound.playback import Playback, entry_clips
    from unknot.sound.track import RATE

    entries = timeline.entries  # type: ignore[attr-defined]
    index = next(e.index for e in entries if e.hold >= 25 and e.index > 0)
    clip = entry_clips(Timeline(timeline.routine, (entries[index],)), speaker)[0]  # type: ignore[attr-defined, arg-type]
    errors = []
    for change in (10, -10):
        now = [100.0]
        player = Player(timeline, clock=lambda now=now: now[0])  # type: ignore[arg-type]
        sound = Playback(player, speaker)  # type: ignore[arg-type]
        while player.index < index:
            player.skip()
        sound.clips = {index: clip}
        now[0] += entries[index].transition + 12
        player.adjust(change)
        quiet, onsets = 1.0, []  # seconds of quiet: a dip inside a word is no new start
        while player.deadline - player.position() > 0.05:
            block = sound.fill(int(0.01 * RATE))
            if np.sqrt(np.mean(block**2)) > 0.02:
                if quiet >= 0.15:
                    onsets.append(player.deadline - player.position())
                quiet = 0.0
            else:
                quiet += 0.01
            now[0] += 0.01
        count = [t for t in onsets if t <= 3.2]
        errors += [abs(t - n) for t, n in zip(count, (3, 2, 1), strict=False)]
    return errors


def main() -> None:
    import numpy as np
    import pyloudnorm

    from unknot.guide.timeline import FROM_END, REPEAT_SECONDS, CueKind
    from unknot.plan.needs import read_needs
    from unknot.plan.planner import plan
    from unknot.routines.routine import resolve
    from unknot.sound import track as audio
    from unknot.sound.voice import voice

    speaker = voice("piper")
    for guide in ("full", "brief", "quiet"):
        timeline = plan(resolve("after-long-run"), read_needs(guide=guide)).timeline
        said = audio.utterances(timeline, speaker)
        rates = [
            len(u.text.split()) / (len(u.samples) / audio.RATE) * 60
            for u in said
            if len(u.text.split()) >= 8
        ]
        heard = repeated = 0.0
        last: dict[str, float] = {}
        names = {CueKind.ANNOUNCE, *FROM_END}
        for entry in timeline:
            for cue in entry.cues:
                if cue.kind == CueKind.ENTER:
                    continue
                at, seconds = entry.start + cue.offset, len(cue.text.split())
                heard += seconds
                if cue.kind not in names and at - last.get(cue.text, -1e9) < REPEAT_SECONDS:
                    repeated += seconds
                last[cue.text] = at
        ever: dict[str, int] = {}
        for entry in timeline:
            for cue in entry.cues:
                if cue.kind not in (CueKind.ENTER, CueKind.ANNOUNCE, *FROM_END):
                    ever[cue.text] = ever.get(cue.text, 0) + 1
        again = sum(n - 1 for n in ever.values()) / max(1, sum(ever.values()))
        late = [
            round(u.end - e.start, 1)
            for e in timeline
            for u in said
            if u.at < e.start <= u.end and "announce" in u.kinds
        ]
        if "--script" in sys.argv:
            print(
                "  late names:",
                [
                    (e.name, round(u.end - e.start, 1))
                    for e in timeline
                    for u in said
                    if u.at < e.start <= u.end and "announce" in u.kinds
                ],
            )
        print(f"guide {guide}: {len(timeline.entries)} steps, {timeline.total / 60:.1f} min")
        if rates:
            print(f"  words a minute, utterances of 8+ words: median {statistics.median(rates):.0f}"
                  f" (p90 {np.percentile(rates, 90):.0f}, n={len(rates)})")  # fmt: skip
        print(f"  heard again within {REPEAT_SECONDS // 60} min (names and count aside): "
              f"{100 * repeated / max(heard, 1):.0f} % of words; sentences said before in the"
              f" session: {100 * again:.0f} %")  # fmt: skip
        moves = [e.transition for e in timeline if e.index]
        print(f"  moves: median {statistics.median(moves):.0f} s, shortest {min(moves)} s;"
              f" names still being said as the hold starts: {len(late)}"
              + (f" (at worst {max(late)} s in)" if late else ""))  # fmt: skip
        if guide == "full":
            errors = count_landing(timeline, speaker)
            print(f"  count after +10 s and -10 s: {len(errors)} words, off the screen's 3-2-1"
                  f" by at most {max(errors):.2f} s")  # fmt: skip
            with tempfile.TemporaryDirectory() as folder:
                rate = audio.RATE
                noise = np.random.default_rng(1).normal(0, 0.2, rate * 30).astype(np.float32)
                import soundfile

                music = Path(folder) / "music.wav"
                soundfile.write(music, noise, rate)
                voice_only, _, bed = audio.mix(timeline, speaker, music)
            assert bed is not None
            meter = pyloudnorm.Meter(rate)
            music_alone = bed  # the two are made loud together: their difference stays
            voice_lufs = meter.integrated_loudness(voice_only)
            gaps, under = [], []
            for a, b in itertools.pairwise(said):
                middle = (a.end + b.at) / 2
                if b.at - a.end >= 2:
                    gaps.append(
                        meter.integrated_loudness(
                            music_alone[int((middle - 0.5) * rate) : int((middle + 0.5) * rate)]
                        )
                    )
                if a.end - a.at >= 1.5:
                    mid = (a.at + a.end) / 2
                    span = music_alone[int((mid - 0.5) * rate) : int((mid + 0.5) * rate)]
                    under.append(meter.integrated_loudness(span))
            print(
                f"  music under the voice: between cues at least {voice_lufs - max(gaps):.1f} LU,"
                f" under speech at least {voice_lufs - max(under):.1f} LU"
            )
        if "--script" in sys.argv:
            for u in said:
                print(f"    {int(u.at) // 60:2d}:{u.at % 60:04.1f}  {u.text}")


if __name__ == "__main__":
    main()
