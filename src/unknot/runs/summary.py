"""A run's figures the way runners know them, from an `Activity`: the device's own totals when the
file has them, else computed from the samples by the rules named below (and in the README).

- distance: the device's total; else the recorded distance stream; else the path between
  positions (great-circle).
- moving time: the time whose speed, averaged over MOVING_WINDOW_S, is at least STOP_SPEED
  (Strava's rule for runs); elapsed time is first to last sample, or the device's own.
- climbing: the device's total ascent and descent; else the altitude smoothed over
  SMOOTHING_S, with any rise or fall under HYSTERESIS_M ignored (raw sums of noisy GPS altitude
  count every wobble as a climb).
- heart rate: the device's average and maximum; else the time-weighted mean of the samples.
  Time in zones when the runner's maximum is known (the watch's profile, or given).
- cadence: steps a minute (both feet); files that keep a run's cadence per foot (FIT, TCX,
  Garmin's GPX) are doubled.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

from unknot.runs.activity import Activity, Floats
from unknot.words import clock, duration

STOP_SPEED = 0.894  # m/s (2 mph): below it, a runner is stopped
MOVING_WINDOW_S = 5.0
SMOOTHING_S = 15.0
HYSTERESIS_M = 3.0
LONGEST_GAP_S = 3600.0  # a sample an hour after the last: the watch was not recording between
EARTH_RADIUS_M = 6_371_008.8
PER_FOOT_BELOW = 120  # a run's cadence under this is counted per foot: no runner takes 120 steps
SPORT_NOUNS = {"cycling": "Ride", "swimming": "Swim", "walking": "Walk", "hiking": "Hike"}
# Heart-rate zones as fractions of the maximum: the common five-zone model.
ZONES = (0.5, 0.6, 0.7, 0.8, 0.9)


class Run(NamedTuple):
    """A run's summary: plain data, kept with a session in the history and printed as JSON."""

    sport: str | None  # running, cycling, ...; None when the file does not say
    treadmill: bool
    start: datetime | None
    distance_m: float | None
    elapsed_s: float | None
    moving_s: float | None
    ascent_m: float | None
    descent_m: float | None
    heart_rate: float | None  # average bpm
    max_heart_rate: float | None
    zones_s: tuple[float, ...] | None  # seconds in zones 1-5, when the maximum is known
    hr_max: float | None  # the runner's maximum heart rate, when known (given, or the watch's)
    cadence_spm: float | None
    format: str
    source: str  # the file's name, as the runner would know it
    notes: tuple[str, ...]
    rules: dict[str, str]  # figure -> where it came from ("the device", "the positions", ...)

    @property
    def is_run(self) -> bool:
        return self.sport in (None, "running")

    @property
    def pace_s_per_km(self) -> float | None:
        """Moving time over distance, as a runner's watch shows pace."""
        if not self.distance_m or not self.moving_s or self.distance_m < 100:
            return None
        return self.moving_s / (self.distance_m / 1000)

    def sentence(self) -> str:
        """The run in one line, as a runner's watch would sum it up."""
        what = "Run" if self.is_run else SPORT_NOUNS.get(self.sport or "", str(self.sport).title())
        if self.treadmill:
            what = "Treadmill run"
        when = self.start.astimezone().strftime("%a %d %b %Y %H:%M") if self.start else ""
        line = f"{what}{' ' + when if when else ''}: {(self.distance_m or 0) / 1000:.1f} km"
        line += f" in {duration(self.moving_s or 0)}"
        if self.pace_s_per_km and self.is_run:
            line += f" ({clock(self.pace_s_per_km)} a km)"
        parts = [line]
        if self.ascent_m is not None and not self.treadmill:
            parts.append(f"climbed {self.ascent_m:.0f} m")
        if self.heart_rate:
            top = f", max {self.max_heart_rate:.0f}" if self.max_heart_rate else ""
            parts.append(f"heart rate {self.heart_rate:.0f}{top}")
        if self.cadence_spm:
            unit = "steps" if self.is_run else "revolutions"
            parts.append(f"{self.cadence_spm:.0f} {unit} a minute")
        return ", ".join(parts) + "."

    def to_json(self) -> dict[str, Any]:
        data = self._asdict()
        data["start"] = self.start.isoformat() if self.start else None
        data["pace_s_per_km"] = _round(self.pace_s_per_km, 1)
        data["zones_s"] = list(self.zones_s) if self.zones_s else None
        data["notes"] = list(self.notes)
        for key in ("distance_m", "elapsed_s", "moving_s", "ascent_m", "descent_m"):
            data[key] = _round(data[key], 1)
        for key in ("heart_rate", "max_heart_rate", "cadence_spm"):
            data[key] = _round(data[key], 0)
        return data


def run_from_json(data: object) -> Run | None:
    """A run as `Run.to_json` wrote it (into the history); None for anything else."""
    if not isinstance(data, dict):
        return None
    numbers = ("distance_m", "elapsed_s", "moving_s", "ascent_m", "descent_m", "heart_rate",
               "max_heart_rate", "cadence_spm", "hr_max")  # fmt: skip
    values: dict[str, Any] = {}
    for key in numbers:
        value = data.get(key)
        values[key] = float(value) if isinstance(value, int | float) and value >= 0 else None
    try:
        start = datetime.fromisoformat(data["start"]) if data.get("start") else None
    except (TypeError, ValueError):
        start = None
    text = {k: data.get(k) if isinstance(data.get(k), str) else None for k in ("sport", "format")}
    return Run(
        sport=text["sport"], treadmill=bool(data.get("treadmill")), start=start, zones_s=None,
        format=text["format"] or "", source=str(data.get("source") or "")[:200], notes=(),
        rules={}, **values,
    )  # fmt: skip


def summarize(activity: Activity, source: str, hr_max: float | None = None) -> Run:
    totals = activity.totals
    rules: dict[str, str] = {}
    times = activity.stream("time")
    distance, rules["distance"] = _distance(activity)
    elapsed = totals.get("elapsed")
    rules["elapsed"] = "the device"
    if elapsed is None and times is not None:
        elapsed, rules["elapsed"] = float(times[-1] - times[0]), "first to last sample"
    moving, rules["moving"] = _moving(activity)
    if moving is None and totals.get("timer"):
        moving, rules["moving"] = totals["timer"], "the device's timer"
    ascent, descent, rules["climbing"] = _climbing(activity)
    heart, top, rules["heart_rate"] = _heart(activity)
    known_max = hr_max or totals.get("hr_max")
    zones = _zones(activity, known_max) if known_max else None
    cadence, rules["cadence"] = _cadence(activity)
    treadmill = (activity.sub_sport or "") in ("treadmill", "indoor_running", "virtual_activity")
    if activity.stream("lat") is None and activity.sport in (None, "running") and distance:
        treadmill = True  # a run with distance and no positions was indoors
    return Run(
        sport=activity.sport, treadmill=treadmill, start=activity.start, distance_m=distance,
        elapsed_s=elapsed, moving_s=moving, ascent_m=ascent, descent_m=descent,
        heart_rate=heart, max_heart_rate=top, zones_s=zones, hr_max=known_max,
        cadence_spm=cadence,
        format=activity.format, source=source, notes=tuple(activity.notes),
        rules={k: v for k, v in rules.items() if v},
    )  # fmt: skip


def _distance(activity: Activity) -> tuple[float | None, str]:
    if activity.totals.get("distance"):
        return activity.totals["distance"], "the device"
    recorded = activity.stream("distance")
    if recorded is not None:
        values = recorded[~np.isnan(recorded)]
        steps = np.diff(values)
        return float(steps[steps > 0].sum()), "the recorded distance"  # a reset adds nothing
    path = _path_steps(activity)
    times = activity.stream("time")
    if path is None or times is None:
        return None, ""
    moving = _moving_steps(activity)
    if moving is not None:  # a GPS fix wanders while standing: those steps are not distance
        path = np.where(moving[1], path, 0.0)
    return float(np.nansum(path)), "the positions, averaged over 5 s, while moving"


def _path_steps(activity: Activity) -> Floats | None:
    """Metres between each sample and the one before (haversine) along the positions averaged
    over MOVING_WINDOW_S: the fix's jitter, summed raw, adds a few per cent to a run."""
    times, lat, lon = activity.stream("time"), activity.stream("lat"), activity.stream("lon")
    if times is None or lat is None or lon is None:
        return None
    lat, lon = _smoothed(times, lat, MOVING_WINDOW_S), _smoothed(times, lon, MOVING_WINDOW_S)
    if lat is None or lon is None:
        return None
    phi, lam = np.radians(lat), np.radians(lon)
    dphi, dlam = np.diff(phi), np.diff(lam)
    a = np.sin(dphi / 2) ** 2 + np.cos(phi[:-1]) * np.cos(phi[1:]) * np.sin(dlam / 2) ** 2
    steps: Floats = 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0, 1)))
    return steps


def _moving_steps(activity: Activity) -> tuple[Floats, npt.NDArray[np.bool_], str] | None:
    """Each step between samples: its seconds, whether it was moving, and by which rule. The
    speed is over the window ending at the step (or over the step, when that is longer): from
    the recorded distance, else the straight-line displacement of the positions (a standing
    runner's wandering fix goes nowhere), else the recorded speed."""
    times = activity.stream("time")
    if times is None or len(times) < 2:
        return None
    dt = np.diff(times)
    back_times = times[1:] - MOVING_WINDOW_S
    # at least a millisecond: two samples at one time (a device's repeat) move no one
    window = np.maximum(np.maximum(np.minimum(times[1:] - times[0], MOVING_WINDOW_S), dt), 1e-3)
    long_step = dt >= MOVING_WINDOW_S
    recorded = activity.stream("distance")
    lat, lon = activity.stream("lat"), activity.stream("lon")
    if recorded is not None and (filled := _fill(recorded)) is not None:
        covered = np.maximum.accumulate(filled)
        back = np.interp(back_times, times, covered)
        speed = np.where(
            long_step, np.diff(covered) / np.maximum(dt, 1e-9), (covered[1:] - back) / window
        )
        rule = "distance over 5 s against 0.894 m/s"
    elif lat is not None and lon is not None and (y := _fill(lat)) is not None:
        x = _fill(lon)
        assert x is not None  # a fix has both
        metres_lat = np.radians(1) * EARTH_RADIUS_M
        metres_lon = metres_lat * np.cos(np.radians(float(np.nanmean(y))))
        east, north = x * metres_lon, y * metres_lat
        reach = np.where(long_step[:, None], np.stack([east[:-1], north[:-1]], 1),
                         np.stack([np.interp(back_times, times, east),
                                   np.interp(back_times, times, north)], 1))  # fmt: skip
        moved = np.hypot(east[1:] - reach[:, 0], north[1:] - reach[:, 1])
        speed = moved / np.where(long_step, np.maximum(dt, 1e-9), window)
        rule = "displacement over 5 s against 0.894 m/s"
    elif (recorded_speed := activity.stream("speed")) is not None:
        smooth = _smoothed(times, recorded_speed, MOVING_WINDOW_S)
        speed = np.nan_to_num(recorded_speed if smooth is None else smooth)[1:]
        rule = "recorded speed over 5 s against 0.894 m/s"
    else:
        return None
    return dt, (speed >= STOP_SPEED) & (dt <= LONGEST_GAP_S), rule


def _moving(activity: Activity) -> tuple[float | None, str]:
    steps = _moving_steps(activity)
    if steps is None:
        return None, ""
    dt, moving, rule = steps
    return float(dt[moving].sum()), rule


def _climbing(activity: Activity) -> tuple[float | None, float | None, str]:
    totals = activity.totals
    if "ascent" in totals:
        return totals["ascent"], totals.get("descent"), "the device"
    times, altitude = activity.stream("time"), activity.stream("altitude")
    if times is None or altitude is None:
        return None, None, ""
    smooth = _smoothed(times, altitude, SMOOTHING_S)
    if smooth is None:
        return None, None, ""
    ascent, descent = _turns([float(v) for v in smooth[~np.isnan(smooth)]], HYSTERESIS_M)
    return ascent, descent, "altitude smoothed over 15 s, changes under 3 m ignored"


def _turns(heights: list[float], threshold: float) -> tuple[float, float]:
    """Ascent and descent between the turning points of `heights`: a turn counts once the way
    back passes `threshold`, and each climb is measured from the low to the high it reached
    (not from where the threshold was passed, which would lose it at every turn)."""
    ascent = descent = 0.0
    if not heights:
        return ascent, descent
    low = high = last = heights[0]  # `last`: the turning point the current leg began at
    trend = 0  # 1 climbing, -1 descending, 0 not yet known
    for value in heights[1:]:
        if trend == 0:
            low, high = min(low, value), max(high, value)
            if value - low >= threshold:
                trend, last, high = 1, low, value
            elif high - value >= threshold:
                trend, last, low = -1, high, value
        elif trend == 1:
            if value > high:
                high = value
            elif high - value >= threshold:
                ascent += high - last
                trend, last, low = -1, high, value
        else:
            if value < low:
                low = value
            elif value - low >= threshold:
                descent += last - low
                trend, last, high = 1, low, value
    if trend == 1:
        ascent += high - last
    elif trend == -1:
        descent += last - low
    return ascent, descent


def _heart(activity: Activity) -> tuple[float | None, float | None, str]:
    totals = activity.totals
    if "heart_rate" in totals:
        return totals["heart_rate"], totals.get("max_heart_rate"), "the device"
    times, heart = activity.stream("time"), activity.stream("heart_rate")
    if times is None or heart is None:
        return None, None, ""
    weights = _weights(times)
    known = ~np.isnan(heart)
    if not weights[known].sum():
        return float(np.nanmean(heart)), float(np.nanmax(heart)), "the samples"
    average = float(np.average(heart[known], weights=weights[known]))
    return average, float(np.nanmax(heart)), "the samples, weighted by time"


def _zones(activity: Activity, hr_max: float) -> tuple[float, ...] | None:
    times, heart = activity.stream("time"), activity.stream("heart_rate")
    if times is None or heart is None:
        return None
    weights = _weights(times)
    edges = [z * hr_max for z in ZONES]
    zones = []
    for n, low in enumerate(edges):
        high = edges[n + 1] if n + 1 < len(edges) else np.inf
        inside = (heart >= low) & (heart < high)
        zones.append(round(float(weights[inside].sum()), 1))
    return tuple(zones)


def _cadence(activity: Activity) -> tuple[float | None, str]:
    running = activity.sport in (None, "running")
    if "cadence" in activity.totals:
        return activity.totals["cadence"], "the device"
    times, cadence = activity.stream("time"), activity.stream("cadence")
    if times is None or cadence is None:
        return None, ""
    weights = _weights(times)
    known = ~np.isnan(cadence)
    if not known.any():
        return None, ""
    average = float(np.average(cadence[known], weights=np.maximum(weights[known], 1e-9)))
    if running and float(np.nanmedian(cadence)) < PER_FOOT_BELOW:
        return average * 2, "the samples, per foot doubled to steps"
    return average, "the samples"


def _weights(times: Floats) -> Floats:
    """Each sample's share of time: the step after it, up to a minute (a gap is a pause)."""
    dt = np.diff(times, append=times[-1])
    dt[(dt < 0) | (dt > 60)] = 0
    return dt


def _smoothed(times: Floats, values: Floats, seconds: float) -> Floats | None:
    """A centred moving average over `seconds` of time (not of samples: watches record
    irregularly), NaN gaps filled from their neighbours."""
    filled = _fill(values)
    if filled is None:
        return None
    total = np.concatenate(([0.0], np.cumsum(filled)))
    low = np.searchsorted(times, times - seconds / 2, side="left")
    high = np.searchsorted(times, times + seconds / 2, side="right")
    smooth: Floats = (total[high] - total[low]) / np.maximum(high - low, 1)
    return smooth


def _fill(values: Floats) -> Floats | None:
    known = ~np.isnan(values)
    if not known.any():
        return None
    if known.all():
        return values
    index = np.arange(len(values))
    filled: Floats = np.interp(index, index[known], values[known])
    return filled


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(float(value), digits)
