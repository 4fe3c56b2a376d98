"""An activity as a file recorded it: what sport, the device's own totals, and the streams of
samples (time, position, altitude, distance, speed, heart rate, cadence), one reader per format
filling the same shape. Nothing here is computed; `summary` turns it into the figures."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import numpy.typing as npt

Floats = npt.NDArray[np.float64]

STREAMS = ("time", "lat", "lon", "altitude", "distance", "speed", "heart_rate", "cadence")

# What each stream may hold on Earth, for a person: a value outside is a device's "no value"
# marker or a damaged byte, and is dropped rather than averaged in.
PLAUSIBLE: dict[str, tuple[float, float]] = {
    "lat": (-90, 90),
    "lon": (-180, 180),
    "altitude": (-500, 9000),
    "distance": (0, 2_000_000),
    "speed": (0, 40),  # m/s: far beyond any runner, within any ride
    "heart_rate": (25, 250),
    "cadence": (1, 260),
}

# The sports files name, as unknot names them. FIT names them in its profile, GPX in a free
# <type>, TCX in Sport="..."; Strava writes numbers into GPX (9 is a run, 1 a ride).
SPORTS = {
    "running": "running", "run": "running", "9": "running", "trail_running": "running",
    "trail running": "running", "treadmill running": "running", "virtual_run": "running",
    "virtualrun": "running", "street_running": "running", "track_running": "running",
    "cycling": "cycling", "biking": "cycling", "ride": "cycling", "1": "cycling",
    "road_biking": "cycling", "mountain_biking": "cycling", "virtualride": "cycling",
    "swimming": "swimming", "swim": "swimming", "walking": "walking", "walk": "walking",
    "hiking": "hiking", "hike": "hiking",
}  # fmt: skip


def sport_name(value: object) -> str | None:
    """A file's sport in unknot's words: running, cycling, swimming, walking, hiking, or the
    file's own word, lower-cased; None when it does not say."""
    if value is None:
        return None
    text = str(value).strip().lower().replace("-", "_")
    if not text or text in ("generic", "other", "all", "none"):
        return None
    return SPORTS.get(text, SPORTS.get(text.replace("_", " "), text.replace("_", " ")))


@dataclass
class Activity:
    """One recorded activity. Streams are arrays of one length, NaN where a sample lacks a
    value; `time` is seconds since the epoch (UTC). `totals` are the device's own figures,
    named as `summary` reads them: distance (m), timer and elapsed (s), ascent and descent (m),
    heart_rate and max_heart_rate (bpm), cadence (steps a minute), and a known `hr_max` (the
    runner's maximum heart rate, from the watch's profile)."""

    format: str  # "FIT", "GPX", "TCX"
    sport: str | None = None
    sub_sport: str | None = None
    name: str | None = None
    started: datetime | None = None
    streams: dict[str, Floats] = field(default_factory=dict)
    totals: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # what the reader had to pass over

    def __len__(self) -> int:
        return len(self.streams.get("time", ()))

    def stream(self, name: str) -> Floats | None:
        """A stream with at least one value, or None."""
        values = self.streams.get(name)
        if values is None or not len(values) or bool(np.isnan(values).all()):
            return None
        return values

    @property
    def start(self) -> datetime | None:
        """When the activity began: the device's start, else its first sample."""
        if self.started is not None:
            return self.started
        times = self.stream("time")
        if times is None:
            return None
        return datetime.fromtimestamp(float(np.nanmin(times)), UTC)


class Columns:
    """Samples gathered one by one (a reader's loop), then made into the activity's streams:
    sorted by time, samples without a time dropped, implausible values made NaN."""

    def __init__(self) -> None:
        self._rows: dict[str, list[float]] = {name: [] for name in STREAMS}

    def add(self, time: float, **values: Any) -> None:
        rows = self._rows
        rows["time"].append(time)
        for name in STREAMS[1:]:
            value = values.get(name)
            rows[name].append(np.nan if value is None else value)

    def __len__(self) -> int:
        return len(self._rows["time"])

    def streams(self) -> dict[str, Floats]:
        arrays = {name: np.asarray(rows, dtype=np.float64) for name, rows in self._rows.items()}
        times = arrays["time"]
        keep = ~np.isnan(times)
        order = np.argsort(times[keep], kind="stable")  # files are in order; merged laps may not be
        out: dict[str, Floats] = {}
        for name, values in arrays.items():
            values = values[keep][order]
            if name in PLAUSIBLE:
                low, high = PLAUSIBLE[name]
                with np.errstate(invalid="ignore"):
                    values[(values < low) | (values > high)] = np.nan
            out[name] = values
        return out
