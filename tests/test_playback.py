"""Sound during a guided session: clips in step with the player, whatever the runner presses."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

from conftest import UNKNOT
from unknot.guide.player import Player
from unknot.guide.timeline import Timeline
from unknot.plan.needs import read_needs
from unknot.plan.planner import plan
from unknot.routines.routine import resolve
from unknot.sound.playback import Clip, Playback, entry_clips
from unknot.sound.track import RATE
from unknot.sound.voice import voice


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def timeline() -> Timeline:
    return plan(resolve("after-long-run"), read_needs(minutes=3, tight=["hips"])).timeline


@pytest.fixture(scope="module")
def clips(timeline: Timeline) -> list[np.ndarray]:
    return [clip.whole() for clip in entry_clips(timeline, voice("piper"))]


@pytest.fixture(scope="module")
def real_clips(timeline: Timeline) -> list[Clip]:
    return entry_clips(timeline, voice("piper"))


def loud_from(clip: np.ndarray, start: float) -> float:
    """Seconds from `start` to the first loud 10 ms in the clip."""
    frame = int(0.01 * RATE)
    for n in range(int(start * RATE), len(clip) - frame, frame):
        if np.sqrt(np.mean(clip[n : n + frame] ** 2)) > 0.02:
            return n / RATE
    return float("inf")


def test_each_clip_is_its_entry_chime_then_words_on_time(
    timeline: Timeline, clips: list[np.ndarray]
) -> None:
    assert len(clips) == len(timeline.entries)
    for entry, clip in zip(timeline.entries, clips, strict=True):
        assert len(clip) == round((entry.transition + entry.hold) * RATE)
        assert loud_from(clip, 0.0) < 0.02  # the chime, at the start of the move
        announce = next(c for c in entry.cues if c.kind == "announce")
        at = announce.offset + entry.transition
        assert abs(loud_from(clip, at - 0.3) - at) <= 0.1


def test_what_plays_follows_the_player(timeline: Timeline, clips: list[np.ndarray]) -> None:
    clock = Clock()
    player = Player(timeline, clock=clock)
    sound = Playback(player, voice("none"))
    sound.clips = dict(enumerate(entry_clips(timeline, voice("piper"))))
    frames = 2048

    clock.now += 1.5  # 1.5 s into the first entry
    assert np.array_equal(sound.fill(frames), clips[0][int(1.5 * RATE) : int(1.5 * RATE) + frames])
    player.toggle_pause()
    clock.now += 5
    assert not sound.fill(frames).any()  # paused: silence
    player.toggle_pause()
    player.skip()  # the next entry's clip, from its start
    assert np.array_equal(sound.fill(frames), clips[1][:frames])
    clock.now += 2
    player.back()  # within 3 s: back to the first entry, from its start again
    assert np.array_equal(sound.fill(frames), clips[0][:frames])
    player.quit()
    assert not sound.fill(frames).any()


def test_a_clip_not_ready_is_silence_not_a_late_word(timeline: Timeline) -> None:
    player = Player(timeline, clock=Clock())
    assert not Playback(player, voice("none")).fill(512).any()


def test_without_a_sound_card_it_says_so_once_and_goes_on(tmp_path: Path) -> None:
    routine = tmp_path / "short.yaml"
    routine.write_text("steps:\n  - pose: Cat-Cow\n    hold: 3\n")
    env = dict(os.environ, UNKNOT_CACHE_DIR=str(tmp_path / "cache"))
    done = subprocess.run(
        [UNKNOT, "go", str(routine)], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "Session complete: 1 of 1 steps done" in done.stdout
    trouble = [line for line in done.stderr.splitlines() if line.strip()]
    if trouble:  # a machine without sound (CI): one line, then the session as usual
        assert (
            len(trouble) == 1
            and "no audio output here" in trouble[0]
            and "going on without sound" in trouble[0]
        )


def test_with_a_sound_device_the_session_plays_through_it(tmp_path: Path) -> None:
    """ALSA's null device stands in for a sound card: PortAudio opens it, the callback feeds it."""
    (tmp_path / ".asoundrc").write_text("pcm.!default {\n  type null\n}\n")
    routine = tmp_path / "short.yaml"
    routine.write_text("steps:\n  - pose: Cat-Cow\n    hold: 3\n")
    env = dict(os.environ, HOME=str(tmp_path), UNKNOT_CACHE_DIR=str(tmp_path / "cache"))
    done = subprocess.run(
        [UNKNOT, "go", str(routine)], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "no audio output" not in done.stderr  # the device was there, and was used
    assert "Session complete: 1 of 1 steps done" in done.stdout


def onsets(sound: Playback, clock: Clock, player: Player, seconds: float) -> list[float]:
    """When words start in the next `seconds` of what plays, as seconds before the hold's end
    (the screen's countdown), read 10 ms at a time on the player's fake clock."""
    frame = int(0.01 * RATE)
    found, quiet = [], 1.0  # seconds of quiet so far: a dip inside a word is no new start
    for _ in range(int(seconds / 0.01)):
        block = sound.fill(frame)
        if np.sqrt(np.mean(block**2)) > 0.02:
            if quiet >= 0.15:
                found.append(round(player.deadline - player.position(), 2))
            quiet = 0.0
        else:
            quiet += 0.01
        clock.now += 0.01
    return found


@pytest.mark.parametrize("change", [+10, -10, +20])
def test_after_plus_or_minus_the_count_lands_on_the_last_three_seconds(
    real_clips: list[Clip], change: int
) -> None:
    """The count is a word a second on the screen's 3, 2 and 1, wherever + and - moved the end;
    nothing said earlier runs into it."""
    timeline = plan(resolve("after-long-run"), read_needs()).timeline
    index = next(e.index for e in timeline if e.hold >= 25 and e.index > 0)
    entry = timeline.entries[index]
    clips = entry_clips(Timeline(timeline.routine, (entry,)), voice("piper"))
    clock = Clock()
    player = Player(timeline, clock=clock)
    sound = Playback(player, voice("none"))
    while player.index < index:
        player.skip()
    sound.clips = {index: clips[0]}
    clock.now += entry.transition + 12  # 12 s into the hold
    player.adjust(change)
    assert player.deadline - player.position() == pytest.approx(entry.hold - 12 + change)
    left = player.deadline - player.position()
    heard = onsets(sound, clock, player, left - 0.05)
    count = [t for t in heard if t <= 3.2]
    assert len(count) == 3, heard
    for said, screen in zip(count, (3, 2, 1), strict=True):
        assert abs(said - screen) <= 0.2, heard
    assert not [t for t in heard if 3.2 < t < 3.2 + 0.4], heard  # a breath clear of the count
