"""The session as one audio track: every cue spoken at its timeline second, a chime at the start
of every move, optional music ducked under the voice, loudness made phone-friendly.

The timeline is the only clock: the track lasts exactly `timeline.total` seconds and each
utterance starts on the second the timeline gives it. When two cues would overlap, the
important one keeps its place (the later words follow the earlier without a gap) and a passing
reminder (a breath cue, "halfway") is left unsaid.
"""

from __future__ import annotations

import errno
import json
import math
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from unknot.errors import UnknotError
from unknot.guide.timeline import FROM_END, CueKind, Timeline

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    from unknot.sound.voice import Voice

RATE = 24_000  # every format here takes it, Opus included; the voice is resampled to it
TARGET_LUFS = -16.0  # loud enough for a phone's speaker, with room under it for music
PEAK = 0.9  # about -1 dBFS: headroom for lossy encoders
CHIME_SECONDS = 0.6
WRITE_BLOCK = RATE  # samples handed to the encoder at a time
GAP_SECONDS = 0.6  # between cues that have to follow each other: a breath
MUSIC_BELOW_VOICE = 14.0  # LU: the music between cues, under the voice's loudness
DUCK_LU = 10.0  # and this much quieter again under speech
DUCK_RAMP_SECONDS = 0.35
FADE_IN_SECONDS, FADE_OUT_SECONDS = 4.0, 8.0

# What the guide says aloud. "enter" (how to come in) is the screen's: the voice has its own
# words for it ("come_in"), shorter and made to be heard.
SPOKEN = frozenset(CueKind) - {CueKind.ENTER}
PASSING = frozenset({CueKind.HALFWAY, CueKind.BREATH, CueKind.RHYTHM})  # better unsaid than late

FORMATS = {  # suffix -> (libsndfile format, subtype)
    ".wav": ("WAV", "PCM_16"),
    ".flac": ("FLAC", "PCM_16"),
    ".ogg": ("OGG", "VORBIS"),
    ".opus": ("OGG", "OPUS"),
    ".mp3": ("MP3", "MPEG_LAYER_III"),
}


class Utterance(NamedTuple):
    """Words to say, starting at `at` seconds into the session."""

    at: float
    text: str
    kinds: tuple[str, ...]
    samples: NDArray[np.float32]

    @property
    def end(self) -> float:
        return self.at + len(self.samples) / RATE


class Chapter(NamedTuple):
    start: float
    end: float
    title: str


class Track(NamedTuple):
    samples: NDArray[np.float32]
    utterances: tuple[Utterance, ...]
    chapters: tuple[Chapter, ...]
    loudness: float  # integrated LUFS after normalising

    @property
    def seconds(self) -> float:
        return len(self.samples) / RATE


def resampled(samples: NDArray[np.float32], rate: int) -> NDArray[np.float32]:
    if rate == RATE or len(samples) == 0:
        return samples
    import soxr

    return soxr.resample(samples, rate, RATE).astype("float32")  # type: ignore[no-any-return]


def _said_together(timeline: Timeline) -> list[tuple[float, tuple[str, ...], str]]:
    """The spoken cues, those at the same second as one text, in time order."""
    by_time: dict[float, list[tuple[str, str]]] = {}
    for entry in timeline:
        for cue in entry.cues:
            if cue.kind in SPOKEN:
                by_time.setdefault(float(entry.start + cue.offset), []).append((cue.kind, cue.text))
    return [
        (at, tuple(k for k, _ in by_time[at]), " ".join(t for _, t in by_time[at]))
        for at in sorted(by_time)
    ]


def spoken_sentences(timeline: Timeline, speaker: Voice) -> list[str]:
    """Every sentence the guide says in this timeline, each once, in the order first said:
    what a voice must have said (and kept) before the session's clips cost nothing to make."""
    seen: dict[str, None] = {}
    for _, _, text in _said_together(timeline):
        seen.update(dict.fromkeys(speaker.sentences(text)))
    return list(seen)


def utterances(timeline: Timeline, speaker: Voice) -> list[Utterance]:
    """What is said and when: cues at the same second are said together; overlaps resolved."""
    import numpy

    said: list[Utterance] = []
    for at, kinds, text in _said_together(timeline):
        speech = speaker.say(text)
        samples = resampled(speech.samples, speech.rate)
        if len(samples) == 0:
            continue
        on_the_clock = set(kinds) <= FROM_END  # the count: placed against the hold's end
        if said and at < said[-1].end + GAP_SECONDS and not on_the_clock:
            if set(kinds) <= PASSING:
                continue  # a passing reminder: better unsaid than late
            before = said.pop()
            pause = numpy.zeros(int(GAP_SECONDS * RATE), dtype=numpy.float32)
            samples = numpy.concatenate([before.samples, pause, samples])
            at, text, kinds = before.at, f"{before.text} {text}", before.kinds + kinds
        said.append(Utterance(at, text, kinds, samples))
    return said


def chime() -> NDArray[np.float32]:
    """A soft bell: two inharmonic partials under a quick attack and a slow decay (our own)."""
    import numpy

    t = numpy.arange(int(CHIME_SECONDS * RATE)) / RATE
    tone = numpy.sin(2 * math.pi * 880 * t) + 0.5 * numpy.sin(2 * math.pi * 880 * 2.76 * t)
    envelope = numpy.minimum(1.0, t / 0.005) * numpy.exp(-t / 0.12)
    return (0.25 * tone * envelope).astype(numpy.float32)  # type: ignore[no-any-return]


def chapters(timeline: Timeline) -> tuple[Chapter, ...]:
    return tuple(
        Chapter(e.begins, e.end, f"{e.name}, {e.side_label}" if e.side else e.name)
        for e in timeline
    )


def read_music(path: Path) -> NDArray[np.float32]:
    """A music file as mono samples at RATE; a file that is no sound is an `UnknotError`."""
    import numpy
    import soundfile

    expected = "a WAV, FLAC, OGG, Opus or MP3 file"
    try:
        if not stat.S_ISREG(path.stat().st_mode):  # a FIFO or a device would never end
            raise UnknotError("is not a regular file", where=str(path), field="music",
                              expected=expected)  # fmt: skip
        with _decoder_notes_unprinted():
            music, rate = soundfile.read(path, dtype="float32", always_2d=True)
    except OSError as err:
        raise UnknotError(
            f"cannot be read ({err.strerror or err})", where=str(path), field="music",
            expected=expected,
        ) from None  # fmt: skip
    except (RuntimeError, soundfile.LibsndfileError):
        # libsndfile says "does not exist or is not a regular file" of a file it cannot decode
        raise UnknotError(
            "cannot be decoded as sound", where=str(path), field="music", expected=expected
        ) from None
    mono = resampled(music.mean(axis=1).astype(numpy.float32), int(rate))
    if len(mono) == 0 or not numpy.any(mono):
        raise UnknotError("has no sound", where=str(path), field="music", expected="some music")
    return mono


@contextmanager
def _decoder_notes_unprinted() -> Iterator[None]:
    """The process's stderr closed for a moment: the MP3 decoder under libsndfile (mpg123)
    prints notes of its own about a damaged file straight to it, past any Python handler."""
    try:
        saved = os.dup(2)
    except OSError:
        yield
        return
    try:
        with Path(os.devnull).open("wb") as null:
            os.dup2(null.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def loudness_of(samples: NDArray[np.float32]) -> float:
    """Integrated loudness (ITU-R BS.1770, pyloudnorm) of at most the first two minutes; a
    sound shorter than a second is measured looped to one."""
    import numpy
    import pyloudnorm

    measured = samples[: 120 * RATE] if len(samples) >= RATE else numpy.resize(samples, RATE)
    return float(pyloudnorm.Meter(RATE).integrated_loudness(measured))


def _music_bed(
    path: Path, length: int, said: list[Utterance], voice_lufs: float
) -> NDArray[np.float32]:
    """The music, looped or cut to length, set by loudness (ITU-R BS.1770) under the voice:
    MUSIC_BELOW_VOICE LU below it between cues, DUCK_LU more under speech, faded in and out."""
    import numpy

    bed = numpy.resize(read_music(path), length)  # loops by repeating, cuts at the end
    music_lufs = loudness_of(bed)
    if not math.isfinite(voice_lufs) or not math.isfinite(music_lufs):
        return numpy.zeros(length, dtype=numpy.float32)
    between = 10 ** ((voice_lufs - MUSIC_BELOW_VOICE - music_lufs) / 20)
    control = numpy.full(length, between, dtype=numpy.float32)
    ramp = int(DUCK_RAMP_SECONDS * RATE)
    for u in said:
        start, end = max(0, int(u.at * RATE) - ramp), min(length, int(u.end * RATE) + ramp)
        control[start:end] = between * 10 ** (-DUCK_LU / 20)
    kernel = numpy.ones(ramp, dtype=numpy.float32) / ramp  # smooth the steps into ramps
    smooth = numpy.convolve(control, kernel, mode="same").astype(numpy.float32)
    fade_in, fade_out = (
        min(length, int(FADE_IN_SECONDS * RATE)),
        min(length, int(FADE_OUT_SECONDS * RATE)),
    )
    smooth[:fade_in] *= numpy.linspace(0, 1, fade_in, dtype=numpy.float32)
    smooth[length - fade_out :] *= numpy.linspace(1, 0, fade_out, dtype=numpy.float32)
    return bed * smooth


def render(timeline: Timeline, speaker: Voice, music: Path | None = None) -> Track:
    """The whole session as samples at RATE, exactly `timeline.total` seconds long."""
    track, said, bed = mix(timeline, speaker, music)
    track, loudness = _normalise(track + bed if bed is not None else track)
    return Track(track, tuple(said), chapters(timeline), loudness)


def mix(
    timeline: Timeline, speaker: Voice, music: Path | None = None
) -> tuple[NDArray[np.float32], list[Utterance], NDArray[np.float32] | None]:
    """The chimes and the voice, what is said, and the music bed set under them (not yet
    added, nor made loud enough: `render` does both)."""
    import numpy

    length = round(timeline.total * RATE)
    track = numpy.zeros(length, dtype=numpy.float32)
    bell = chime()
    for entry in timeline:
        start = round(entry.begins * RATE)
        part = bell[: max(0, length - start)]
        track[start : start + len(part)] += part
    said = utterances(timeline, speaker)
    for u in said:
        start = round(u.at * RATE)
        part = u.samples[: max(0, length - start)]
        track[start : start + len(part)] += part
    if music is None:
        return track, said, None
    import pyloudnorm

    voice_lufs = float(pyloudnorm.Meter(RATE).integrated_loudness(track))
    return track, said, _music_bed(music, length, said, voice_lufs)


def _normalise(track: NDArray[np.float32]) -> tuple[NDArray[np.float32], float]:
    """To about TARGET_LUFS (ITU-R BS.1770, measured by pyloudnorm), peaks held under PEAK."""
    import numpy
    import pyloudnorm

    loudness = float(pyloudnorm.Meter(RATE).integrated_loudness(track))
    if not math.isfinite(loudness):
        return track, loudness  # silence stays silence
    # The limiter only touches short peaks, so what it takes off is its share of the energy:
    # the loudness of the limited track is estimated from that, without measuring it again,
    # and the gain raised until the estimate meets the target.
    gain = 10 ** ((TARGET_LUFS - loudness) / 20)
    for _ in range(6):
        loud = track * numpy.float32(gain)
        limited = _limit(loud)
        kept = float(numpy.dot(limited, limited)) / max(1e-12, float(numpy.dot(loud, loud)))
        estimate = loudness + 20 * math.log10(gain) + 10 * math.log10(max(kept, 1e-12))
        if abs(estimate - TARGET_LUFS) < 0.2:
            break
        gain *= 10 ** ((TARGET_LUFS - estimate) / 20)
    return limited, estimate


def _limit(track: NDArray[np.float32]) -> NDArray[np.float32]:
    """A peak limiter: the gain dips smoothly (over about 10 ms) around every peak above PEAK.

    The gain is worked out on 2.5 ms blocks and spread back over their samples: the same dips
    for a fraction of the work."""
    import numpy
    from scipy.ndimage import maximum_filter1d, uniform_filter1d

    block = int(0.0025 * RATE)
    count = -(-len(track) // block)
    padded = numpy.zeros(count * block, dtype=numpy.float32)
    padded[: len(track)] = numpy.abs(track)
    peaks = padded.reshape(count, block).max(axis=1)
    cut = 1 - numpy.minimum(1.0, PEAK / numpy.maximum(peaks, 1e-9))  # how much each block needs
    cut = uniform_filter1d(maximum_filter1d(cut, size=9), size=5)  # held over neighbours, eased
    gain = numpy.repeat((1 - cut).astype(numpy.float32), block)[: len(track)]
    return numpy.clip(track * gain, -PEAK, PEAK)  # type: ignore[no-any-return]


def audio_format(path: Path) -> tuple[str, str]:
    """libsndfile's format and subtype for a file name, or a clear error."""
    found = FORMATS.get(path.suffix.lower())
    if found is None:
        raise UnknotError(
            f"no encoder for {path.suffix or 'a file without an extension'!r}",
            where=str(path),
            field="audio",
            expected=f"a file ending in {', '.join(FORMATS)}",
        )
    return found


def track_files(path: Path) -> list[Path]:
    """The files an export to `path` writes (the audio, then its cue sheets), or one clear error
    when any of them cannot be written: asked before minutes of rendering, not after."""
    from unknot.files import writable_folder

    audio_format(path)
    writable_folder(path, what="audio track", field="audio")
    sheets = [cue_sheet_path(path), chapters_path(path)]
    for sheet in sheets:
        writable_folder(sheet, what="cue sheet", field="audio")
    return [path, *sheets]


def write(track: Track, path: Path, title: str) -> list[Path]:
    """Write the track, with its chapters inside where the format has room (MP3, FLAC), and
    its cue sheets beside it, each atomically; returns the files."""
    import soundfile

    from unknot.files import atomic_path, problem
    from unknot.sound.chapters import add_chapters

    kind, subtype = audio_format(path)
    track_files(path)
    try:
        with atomic_path(path) as temporary:  # removed again, whatever goes wrong
            try:
                _encode(track.samples, temporary, kind, subtype)
            except (RuntimeError, soundfile.LibsndfileError) as err:
                raise _system_error(err, temporary) from None
            add_chapters(temporary, path.suffix, track.chapters, title)
    except OSError as err:
        said = problem(err) if err.errno else err.strerror
        raise UnknotError(
            f"could not be written ({said})", where=str(path), field="audio",
            expected="a writable path with room, ending in one of " + ", ".join(FORMATS),
        ) from None  # fmt: skip
    return [path, *_cue_sheets(track, path, title)]


def _system_error(err: Exception, temporary: Path) -> OSError:
    """libsndfile's failure as the OSError it stands for. It says only "System error" for a
    full disk or a file-size limit, so the file system is asked while the partial file is
    still there (once it is removed, the disk has room again)."""
    import resource

    try:
        if os.statvfs(temporary.parent).f_bavail == 0:
            return OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        limit, _ = resource.getrlimit(resource.RLIMIT_FSIZE)
        written = temporary.stat().st_size if temporary.exists() else 0
        # The encoder stops at the limit, give or take the block it was writing.
        if limit != resource.RLIM_INFINITY and written >= limit - WRITE_BLOCK * 4:
            return OSError(errno.EFBIG, os.strerror(errno.EFBIG))
    except OSError:
        pass
    said = getattr(err, "error_string", None) or str(err)  # without the temporary file's name
    return OSError(0, " ".join(said.split()))


def _encode(
    samples: NDArray[np.float32], out: Any, kind: str, subtype: str, **options: Any
) -> None:
    import soundfile

    # In blocks: libsndfile's Vorbis encoder crashes when given a long track in one call.
    with soundfile.SoundFile(out, "w", RATE, 1, format=kind, subtype=subtype, **options) as sound:
        for start in range(0, len(samples), WRITE_BLOCK):
            sound.write(samples[start : start + WRITE_BLOCK])


def encoded(samples: NDArray[np.float32], suffix: str = ".mp3") -> bytes:
    """Samples as the bytes of an audio file, to serve (MP3 by default: every phone plays it)."""
    import io

    kind, subtype = audio_format(Path(f"clip{suffix}"))
    # Variable bit rate: a clip is mostly silence between cues, which then costs next to nothing.
    options = {"bitrate_mode": "VARIABLE", "compression_level": 0.6} if kind == "MP3" else {}
    buffer = io.BytesIO()
    _encode(samples, buffer, kind, subtype, **options)
    return buffer.getvalue()


def _cue_sheets(track: Track, path: Path, title: str) -> list[Path]:
    """A .cue sheet and a .chapters.json beside the audio: these formats carry no chapters."""
    lines = [f'TITLE "{_quoted(title)}"', f'FILE "{_quoted(path.name)}" {_cue_type(path)}']
    for n, chapter in enumerate(track.chapters, start=1):
        minutes, rest = divmod(chapter.start, 60)
        frames = round((rest - int(rest)) * 75)
        lines += [
            f"  TRACK {n:02d} AUDIO",
            f'    TITLE "{_quoted(chapter.title)}"',
            f"    INDEX 01 {int(minutes):02d}:{int(rest):02d}:{min(frames, 74):02d}",
        ]
    chapters_json = {
        "title": title,
        "audio": path.name,
        "seconds": round(track.seconds, 3),
        "chapters": [
            {"start_seconds": c.start, "end_seconds": c.end, "title": c.title}
            for c in track.chapters
        ],
        "cues": [
            {"at_seconds": u.at, "end_seconds": round(u.end, 3), "text": u.text}
            for u in track.utterances
        ],
    }
    from unknot.files import save

    written = []
    for target, text in (
        (cue_sheet_path(path), "\n".join(lines) + "\n"),
        (chapters_path(path), json.dumps(chapters_json, indent=2) + "\n"),
    ):
        save(target, text.encode(), what="cue sheet", field="audio")
        written.append(target)
    return written


def cue_sheet_path(audio: Path) -> Path:
    """session.mp3 -> session.mp3.cue: one sheet per file, even beside a .wav of the same name."""
    return audio.with_name(audio.name + ".cue")


def chapters_path(audio: Path) -> Path:
    return audio.with_name(audio.name + ".chapters.json")


def _quoted(text: str) -> str:
    return text.replace('"', "'")


def _cue_type(path: Path) -> str:
    return {".wav": "WAVE", ".mp3": "MP3"}.get(path.suffix.lower(), path.suffix.upper().lstrip("."))
