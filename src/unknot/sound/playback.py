"""Sound for a guided session: the chime and the voice, played in step with the player.

Each entry of the timeline gets its own clip: the chime at the start of its move and the words
counted from its start (the name, how to come in, the cues), and apart from them the words
counted from the hold's end (the count, the closing words). What plays is a pure function of
the player's state: the clip of the entry it is on, from the point it has reached, with the count
placed against the hold as + and - have left it, and any cue that would run into the count left
unsaid. So pause, skip, back and a longer or shorter hold keep voice and screen in step without
any bookkeeping: the sound card asks for samples, and gets the ones the player's clock points at.

The clips are prepared before and during the session: the first before it starts, the rest in
a background thread, one step at a time and in order, long before they are needed.
"""

from __future__ import annotations

import math
import threading
from typing import TYPE_CHECKING, Any, NamedTuple

from unknot.guide.timeline import COUNTDOWN_SECONDS, FROM_END, Timeline
from unknot.sound.track import (
    GAP_SECONDS,
    MUSIC_BELOW_VOICE,
    PEAK,
    RATE,
    TARGET_LUFS,
    chime,
    loudness_of,
    read_music,
    resampled,
    utterances,
)

if TYPE_CHECKING:
    from pathlib import Path

    import numpy as np
    from numpy.typing import NDArray

    from unknot.guide.player import Player
    from unknot.sound.voice import Voice

LEVEL = 0.8  # the clips are not loudness-normalised like the track: a fixed, comfortable gain


class Clip(NamedTuple):
    """One entry's sound, in seconds from the start of its move."""

    head: NDArray[np.float32]  # the chime and the words counted from the start, mixed
    spans: tuple[tuple[float, float], ...]  # when each of those words starts and ends
    tail: tuple[tuple[float, NDArray[np.float32]], ...]  # (seconds before the hold's end, words)
    hold_end: float  # where the hold ends as planned

    def cut(self, hold_end: float) -> float:
        """Where the head must stop for a hold ending at `hold_end`: before the first words that
        would still be speaking when the count begins (all of it for a planned hold)."""
        if hold_end >= self.hold_end:
            return len(self.head) / RATE
        clear = hold_end - COUNTDOWN_SECONDS - GAP_SECONDS
        return next((a for a, b in self.spans if b > clear), len(self.head) / RATE)

    def window(self, at: float, frames: int, hold_end: float) -> NDArray[np.float32]:
        """`frames` samples from `at` seconds into the entry, for a hold ending at `hold_end`."""
        import numpy

        out = numpy.zeros(frames, dtype=numpy.float32)
        first = round(at * RATE)
        stop = min(len(self.head), round(self.cut(hold_end) * RATE), round(hold_end * RATE))
        if first < stop:
            part = self.head[first : min(stop, first + frames)]
            out[: len(part)] = part
        for before_end, words in self.tail:
            begin = round((hold_end - before_end) * RATE) - first  # where in this window
            lo, hi = max(0, begin), min(frames, begin + len(words))
            if lo < hi:
                out[lo:hi] += words[lo - begin : hi - begin]
        return out

    def whole(self) -> NDArray[np.float32]:
        """The clip as planned, head and tail mixed: what a player that cannot re-time plays."""
        return self.window(0.0, round(self.hold_end * RATE), self.hold_end)


def entry_clips(timeline: Timeline, speaker: Voice) -> list[Clip]:
    """One clip per entry, each as long as the entry's move and hold."""
    import numpy

    said = utterances(timeline, speaker)
    bell = chime()
    clips = []
    for entry in timeline.entries:
        hold_end = float(entry.transition + entry.hold)
        length = round(hold_end * RATE)
        head = numpy.zeros(length, dtype=numpy.float32)
        head[: min(length, len(bell))] += bell[:length]
        spans: list[tuple[float, float]] = []
        tail: list[tuple[float, NDArray[np.float32]]] = []
        for u in said:
            if not entry.begins <= u.at < entry.end:
                continue
            at = u.at - entry.begins
            if set(u.kinds) <= FROM_END:
                tail.append((hold_end - at, numpy.clip(u.samples * LEVEL, -1.0, 1.0)))
                continue
            start = round(at * RATE)
            part = u.samples[: max(0, length - start)]
            head[start : start + len(part)] += part
            spans.append((at, at + len(part) / RATE))
        clips.append(Clip(numpy.clip(head * LEVEL, -1.0, 1.0), tuple(spans), tuple(tail), hold_end))
    return clips


MUSIC_LOOP_SECONDS = 600  # the web player loops the music; more than this is not sent
VOICE_SAMPLE = "Breathe in slowly, and let your shoulders soften as you breathe out."


def clip_music(path: Path, speaker: Voice | None) -> NDArray[np.float32]:
    """The music for a player that mixes it under the clips itself (the web player): at most
    MUSIC_LOOP_SECONDS, set MUSIC_BELOW_VOICE LU under the clips' voice (measured on a sentence
    it says; under the track's loudness without a voice). Ducking under speech is the player's."""
    import numpy

    music = read_music(path)[: MUSIC_LOOP_SECONDS * RATE]
    voice_lufs = TARGET_LUFS
    if speaker is not None:
        speech = speaker.say(VOICE_SAMPLE)
        said = loudness_of(resampled(speech.samples, speech.rate) * LEVEL)
        voice_lufs = said if math.isfinite(said) else voice_lufs
    music_lufs = loudness_of(music)
    if not math.isfinite(music_lufs):  # too quiet to measure: sent as it is
        return music
    gain = 10 ** ((voice_lufs - MUSIC_BELOW_VOICE - music_lufs) / 20)
    out: NDArray[np.float32] = numpy.clip(music * gain, -PEAK, PEAK).astype(numpy.float32)
    return out


class Playback:
    """Feeds a sound card from the player's state; `start` opens the device, `stop` closes it."""

    def __init__(self, player: Player, speaker: Voice) -> None:
        self.player = player
        self.speaker = speaker
        self.clips: dict[int, Clip] = {}
        self._stream: Any = None
        self._worker: threading.Thread | None = None
        self._stopping = threading.Event()

    def prepare(self) -> None:
        """Every clip, in order (the first ones are needed first), until told to stop."""
        timeline = self.player.timeline
        for index, entry in enumerate(timeline.entries):
            if self._stopping.is_set():
                return
            if index not in self.clips:
                self.clips[index] = entry_clips(Timeline(timeline.routine, (entry,)), self.speaker)[
                    0
                ]

    def fill(self, frames: int) -> NDArray[np.float32]:
        """The next `frames` samples: where the player is, in the clip of its entry."""
        import numpy

        out = numpy.zeros(frames, dtype=numpy.float32)
        player = self.player
        if player.finished or player.paused:
            return out
        clip = self.clips.get(player.index)
        if clip is None:
            return out  # not ready yet: better silent than late
        at = player.position() - player.entry_begins
        return clip.window(max(0.0, at), frames, player.deadline - player.entry_begins)

    def start(self) -> str:
        """Open the default output and start playing; returns '' or why there is no sound."""
        try:
            import sounddevice
        except OSError as err:  # PortAudio itself is missing
            return f"no audio output here ({err}); going on without sound"
        timeline = self.player.timeline
        opening = Timeline(timeline.routine, timeline.entries[:1])  # only its words, right now
        self.clips[0] = entry_clips(opening, self.speaker)[0]

        def callback(outdata: Any, frames: int, time: Any, status: Any) -> None:
            outdata[:, 0] = self.fill(frames)

        try:
            self._stream = sounddevice.OutputStream(
                samplerate=RATE, channels=1, dtype="float32", callback=callback
            )
            self._stream.start()
        except (sounddevice.PortAudioError, ValueError) as err:
            self._stream = None
            return f"no audio output here ({err}); going on without sound"
        self._worker = threading.Thread(target=self.prepare, daemon=True)
        self._worker.start()
        return ""

    def stop(self) -> None:
        """Close the device and wait for the speech being prepared (at most one step's words)."""
        self._stopping.set()
        if self._stream is not None:
            self._stream.stop()
            self._stream.close()
            self._stream = None
        if self._worker is not None:
            self._worker.join()
            self._worker = None
