"""The session as an audio track, rendered with the real engines and checked by ear's numbers:
duration, when each cue starts (found from the audio's energy), loudness, music under speech."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
from collections.abc import Callable
from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest
import soundfile
from click.testing import Result

from conftest import GUARD, UNKNOT, eventually
from unknot.plan.needs import read_needs
from unknot.plan.planner import plan
from unknot.routines.routine import resolve
from unknot.sound import track as audio
from unknot.sound.voice import voice

NEEDS = ["--tight", "hips", "--minutes", "15"]
FRAME = 0.01  # seconds per energy frame
SPEECH = 0.02  # RMS above this in a frame is sound


def run_unknot(*args: str, cache: Path, **kwargs: object) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, UNKNOT_CACHE_DIR=str(cache))
    return subprocess.run(  # type: ignore[call-overload, no-any-return]
        [UNKNOT, *args], capture_output=True, text=True, env=env, timeout=GUARD, **kwargs
    )


def espeak_export(target: Path, minutes: int) -> subprocess.CompletedProcess[str]:
    """The seed routine in `minutes`, in espeak-ng's voice, to `target` (a cache beside it)."""
    return run_unknot(
        "export", "after-long-run", "--minutes", str(minutes), "--voice", "espeak",
        "--audio", str(target), cache=target.parent / "cache",
    )  # fmt: skip


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The issue's example, exported as MP3 (cold cache) and WAV (warm)."""
    folder = tmp_path_factory.mktemp("export")
    cache = folder / "cache"
    files = {}
    for suffix in ("mp3", "wav"):
        target = folder / f"session.{suffix}"
        done = run_unknot("export", "after-long-run", *NEEDS, "--audio", str(target), cache=cache)
        assert done.returncode == 0, done.stderr
        files[suffix] = target
    files["cache"] = cache
    return files


def energy(samples: np.ndarray, rate: int) -> np.ndarray:
    frame = int(FRAME * rate)
    count = len(samples) // frame
    return np.sqrt((samples[: count * frame].reshape(count, frame) ** 2).mean(axis=1))


def onset(rms: np.ndarray, at: float) -> float | None:
    """When sound starts near `at`: the first loud frame from 0.3 s before it."""
    first = int((at - 0.3) / FRAME)
    loud = np.flatnonzero(rms[first : int((at + 0.5) / FRAME)] > SPEECH)
    return (first + loud[0]) * FRAME if len(loud) else None


def expected_plan() -> object:
    return plan(resolve("after-long-run"), read_needs(tight=["hips"], minutes=15))


def test_the_track_lasts_exactly_as_long_as_the_session(exported: dict[str, Path]) -> None:
    total = expected_plan().timeline.total  # type: ignore[attr-defined]
    for suffix in ("mp3", "wav"):
        info = soundfile.info(exported[suffix])
        assert abs(info.frames / info.samplerate - total) <= 0.05, suffix


def test_every_spoken_cue_starts_on_its_timeline_second(exported: dict[str, Path]) -> None:
    timeline = expected_plan().timeline  # type: ignore[attr-defined]
    cue_seconds = {float(e.start + c.offset) for e in timeline for c in e.cues}
    sheet = json.loads(audio.chapters_path(exported["wav"]).read_text())
    samples, rate = soundfile.read(exported["wav"], dtype="float32")
    rms = energy(samples, rate)
    assert len(sheet["cues"]) >= 2 * len(timeline.entries)  # the pose as it begins, and its cue
    for cue in sheet["cues"]:
        assert cue["at_seconds"] in cue_seconds  # said on a second the timeline gives
        heard = onset(rms, cue["at_seconds"])
        assert heard is not None, cue
        assert abs(heard - cue["at_seconds"]) <= 0.1, (cue, heard)


def test_the_pose_and_side_are_said_as_each_begins(exported: dict[str, Path]) -> None:
    timeline = expected_plan().timeline  # type: ignore[attr-defined]
    sheet = json.loads(audio.chapters_path(exported["wav"]).read_text())
    said = " ".join(c["text"] for c in sheet["cues"])
    announced = [c.text for e in timeline for c in e.cues if c.kind == "announce"]
    for entry, words in zip(timeline, announced, strict=True):
        assert words in said, words
        assert entry.name in words
        if entry.side:  # the side as a body hears it: "Pigeon, right knee forward."
            assert entry.side in words and "left" not in words.replace(entry.side, ""), words
    assert said.rstrip().endswith(timeline.entries[-1].cues[-1].text)


def test_loudness_is_phone_friendly(exported: dict[str, Path]) -> None:
    import pyloudnorm

    samples, rate = soundfile.read(exported["wav"], dtype="float64")
    loudness = pyloudnorm.Meter(rate).integrated_loudness(samples)
    assert -17.0 <= loudness <= -15.0
    assert np.max(np.abs(samples)) <= 0.95


def test_a_chapter_per_step_beside_the_file(exported: dict[str, Path]) -> None:
    timeline = expected_plan().timeline  # type: ignore[attr-defined]
    cue_sheet = audio.cue_sheet_path(exported["mp3"]).read_text()
    assert 'FILE "session.mp3" MP3' in cue_sheet
    assert cue_sheet.count("TRACK ") == len(timeline.entries)
    chapters = json.loads(audio.chapters_path(exported["mp3"]).read_text())["chapters"]
    assert [c["start_seconds"] for c in chapters] == [e.begins for e in timeline]
    assert chapters[3]["title"].endswith("right leg")


def test_the_mp3_carries_a_chapter_per_step_that_a_player_lists(exported: dict[str, Path]) -> None:
    """ffprobe reads the ID3 table of contents as a phone's player does: one chapter a step,
    titled with the pose and side, starting where its move starts."""
    timeline = expected_plan().timeline  # type: ignore[attr-defined]
    probe = subprocess.run(
        ["ffprobe", "-v", "error", "-show_chapters", "-of", "json", str(exported["mp3"])],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    chapters = json.loads(probe.stdout)["chapters"]
    assert len(chapters) == len(timeline.entries)
    for chapter, entry in zip(chapters, timeline, strict=True):
        assert float(chapter["start_time"]) == pytest.approx(entry.begins, abs=0.001)
        assert float(chapter["end_time"]) == pytest.approx(entry.end, abs=0.001)
        title = f"{entry.name}, {entry.side_label}" if entry.side else entry.name
        assert chapter["tags"]["title"] == title
    info = soundfile.info(exported["mp3"])  # and it still plays, as long as before
    assert abs(info.frames / info.samplerate - timeline.total) <= 0.05


def test_a_flac_export_carries_its_chapters_as_vorbis_comments(tmp_path: Path) -> None:
    target = tmp_path / "session.flac"
    done = espeak_export(target, minutes=4)
    assert done.returncode == 0, done.stderr
    probe = subprocess.run(
        ["ffprobe", "-v", "error", "-show_chapters", "-of", "json", str(target)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    timeline = plan(resolve("after-long-run"), read_needs(minutes=4)).timeline
    titles = [c["tags"]["title"] for c in json.loads(probe.stdout)["chapters"]]
    assert titles == [f"{e.name}, {e.side_label}" if e.side else e.name for e in timeline]
    samples, _ = soundfile.read(target, dtype="float32")
    assert len(samples) > 0


def test_the_second_export_reuses_the_spoken_phrases(exported: dict[str, Path]) -> None:
    phrases = list((exported["cache"] / "speech").glob("*.npy"))
    assert len(phrases) >= 20
    before = {p: p.stat().st_mtime_ns for p in phrases}
    again = run_unknot(
        "export", "after-long-run", *NEEDS, "--audio", str(exported["wav"]), cache=exported["cache"]
    )
    assert again.returncode == 0
    assert {p: p.stat().st_mtime_ns for p in phrases} == before
    assert len(list((exported["cache"] / "speech").glob("*.npy"))) == len(phrases)


def test_the_neural_voice_is_deterministic() -> None:
    speaker = voice("piper")
    first = speaker._synthesize("Pigeon, right leg.")
    second = speaker._synthesize("Pigeon, right leg.")
    assert first.rate == 22050 and first.seconds > 0.5
    assert np.array_equal(first.samples, second.samples)


def test_music_is_quieter_under_speech_than_between_cues(tmp_path: Path) -> None:
    rate, tone = 24000, 5000.0  # a tone far above the voice, to tell it apart
    t = np.arange(rate * 7) / rate
    music = tmp_path / "music.wav"
    soundfile.write(music, 0.5 * np.sin(2 * np.pi * tone * t), rate)  # 7 s, so it must loop
    target = tmp_path / "with-music.wav"
    done = run_unknot(
        "export", "after-long-run", "--minutes", "3", "--music", str(music),
        "--audio", str(target), cache=tmp_path / "cache",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    samples, rate = soundfile.read(target, dtype="float32")
    cues = json.loads(audio.chapters_path(target).read_text())["cues"]

    def tone_level(start: float, end: float) -> float:
        part = samples[int(start * rate) : int(end * rate)]
        spectrum = np.abs(np.fft.rfft(part * np.hanning(len(part))))
        return float(spectrum[round(tone * len(part) / rate)] / len(part))

    under = [tone_level(c["at_seconds"] + 0.4, c["at_seconds"] + 0.9) for c in cues]
    gaps = [  # the middle of every quiet stretch of 3 s or more between two cues
        tone_level(
            (a["end_seconds"] + b["at_seconds"]) / 2 - 0.25,
            (a["end_seconds"] + b["at_seconds"]) / 2 + 0.25,
        )
        for a, b in pairwise(cues)
        if b["at_seconds"] - a["end_seconds"] >= 3
    ]
    assert len(gaps) >= 3, "some quiet stretches between cues"
    assert np.median(under) < 0.5 * np.median(gaps)
    assert min(gaps) > 0  # the music plays to the end, looped


def test_the_voice_stays_ten_lu_above_the_music_and_the_music_fades(tmp_path: Path) -> None:
    """Loudness as BS.1770 measures it: the music alone (between cues) at least 10 LU under
    the voice alone (the same session without music), everywhere; faded out at the end."""
    import pyloudnorm

    rate = 24000
    noise = np.random.default_rng(7).normal(0, 0.3, rate * 20).astype(np.float32)  # loud music
    music = tmp_path / "music.wav"
    soundfile.write(music, noise, rate)
    cache = tmp_path / "cache"
    tracks = {}
    for name, extra in (("voice", []), ("both", ["--music", str(music)])):
        target = tmp_path / f"{name}.wav"
        done = run_unknot(
            "export", "after-long-run", "--minutes", "3", *extra, "--audio", str(target),
            cache=cache,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        tracks[name] = soundfile.read(target, dtype="float64")[0]
    meter = pyloudnorm.Meter(rate)
    voice_lufs = meter.integrated_loudness(tracks["voice"])
    cues = json.loads(audio.chapters_path(tmp_path / "both.wav").read_text())["cues"]
    for a, b in pairwise(cues):
        if b["at_seconds"] - a["end_seconds"] >= 2:
            middle = (a["end_seconds"] + b["at_seconds"]) / 2
            part = tracks["both"][int((middle - 0.5) * rate) : int((middle + 0.5) * rate)]
            assert meter.integrated_loudness(part) <= voice_lufs - 10, (a, b)
    gap = tracks["both"][int((cues[-1]["end_seconds"] + 0.5) * rate) :]  # after the last words
    assert np.sqrt(np.mean(gap[: rate // 2] ** 2)) > 0.003  # the music plays on
    assert np.sqrt(np.mean(gap[-rate // 4 :] ** 2)) < 0.003  # and fades out at the end


def test_espeak_is_the_light_fallback(tmp_path: Path) -> None:
    if shutil.which("espeak-ng") is None:
        pytest.fail(
            "espeak-ng is not installed: scripts/test installs it (apt-get install espeak-ng)"
        )
    target = tmp_path / "espeak.ogg"
    done = espeak_export(target, minutes=3)
    assert done.returncode == 0, done.stderr
    info = soundfile.info(target)
    planned = plan(resolve("after-long-run"), read_needs(minutes=3))
    assert planned.timeline.total <= 180
    assert abs(info.frames / info.samplerate - planned.timeline.total) <= 0.05


def one_line(result: Result) -> str:
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


def test_mistakes_get_one_line_and_status_2(
    run: Callable[..., Result], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = ["export", "after-long-run", "--minutes", "2", "--voice", "none"]
    assert "no encoder for '.m4a'" in one_line(run(*base, "--audio", str(tmp_path / "s.m4a")))
    missing = tmp_path / "no" / "such" / "folder" / "s.mp3"
    assert "cannot be written" in one_line(run(*base, "--audio", str(missing)))
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    if os.geteuid() != 0:  # root may write anywhere; the missing folder above covers it there
        assert "cannot be written" in one_line(run(*base, "--audio", str(locked / "s.mp3")))
    assert "unknown voice 'robot'" in one_line(
        run("export", "after-long-run", "--voice", "robot", "--audio", str(tmp_path / "s.wav"))
    )
    monkeypatch.setenv("PATH", str(tmp_path))  # no espeak-ng anywhere on it
    espeak = run(
        "export", "after-long-run", "--voice", "espeak", "--audio", str(tmp_path / "e.wav")
    )
    assert "espeak-ng is not installed" in one_line(espeak)
    noise = tmp_path / "noise.mp3"
    noise.write_bytes(b"not music at all")
    assert "--music" in one_line(
        run(*base, "--music", str(noise), "--audio", str(tmp_path / "m.wav"))
    )


def test_a_killed_export_leaves_no_half_written_file(tmp_path: Path) -> None:
    target = tmp_path / "killed.mp3"
    env = dict(os.environ, UNKNOT_CACHE_DIR=str(tmp_path / "cache"))
    process = subprocess.Popen(
        [UNKNOT, "export", "after-long-run", "--audio", str(target)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    speech = tmp_path / "cache" / "speech"
    eventually(lambda: any(speech.glob("*.npy")), "the first phrase spoken")  # busy speaking
    assert process.poll() is None, "the export ended before it could be killed"
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=GUARD)
    assert not target.exists()
    assert not audio.cue_sheet_path(target).exists()
