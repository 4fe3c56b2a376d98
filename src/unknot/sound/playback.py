"""Sound for a guided session: the chime and the voice, played in step with the player.

Each entry of the timeline gets its own clip (the chime at the start of its move, then every
cue at its offset, as the audio track has them). What plays is a pure function of the player's
state: the clip of the entry it is on, from the point it has reached. So pause, skip, back and
a longer hold keep voice and screen in step without any bookkeeping: the sound card asks for
samples, and gets the ones the player's clock points at.

The clips are prepared before and during the session: the first before it starts, the rest in
a background thread, one step at a time and in order, long before they are needed.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from unknot.guide.timeline import Timeline
from unknot.sound.track import RATE, chime, utterances

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    from unknot.guide.player import Player
    from unknot.sound.voice import Voice

LEVEL = 0.8  # the clips are not loudness-normalised like the track: a fixed, comfortable gain


def entry_clips(
    timeline: Timeline, speaker: Voice, upto: int | None = None
) -> list[NDArray[np.float32]]:
    """One clip per entry (up to index `upto`), each as long as the entry's move and hold."""
    import numpy

    said = utterances(timeline, speaker)
    bell = chime()
    clips = []
    for entry in timeline.entries:
        length = round((entry.transition + entry.hold) * RATE)
        clip = numpy.zeros(length, dtype=numpy.float32)
        clip[: min(length, len(bell))] += bell[:length]
        for u in said:
            if entry.begins <= u.at < entry.end:
                start = round((u.at - entry.begins) * RATE)
                part = u.samples[: max(0, length - start)]
                clip[start : start + len(part)] += part
        clips.append(numpy.clip(clip * LEVEL, -1.0, 1.0))
    return clips


class Playback:
    """Feeds a sound card from the player's state; `start` opens the device, `stop` closes it."""

    def __init__(self, player: Player, speaker: Voice) -> None:
        self.player = player
        self.speaker = speaker
        self.clips: dict[int, NDArray[np.float32]] = {}
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
        start = round((player.position() - player.entry_begins) * RATE)
        if 0 <= start < len(clip):
            part = clip[start : start + frames]
            out[: len(part)] = part
        return out

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
