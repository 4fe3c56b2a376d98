"""Synthetic activities with known truth, written as real files the way devices and services write
them, so the run readers' tests can compare what they read against what really happened.

Three layers:

* Generators (`hilly_16k`, `easy_5k`, `treadmill`, `ride`, `three_hours`, `paused`,
  `auto_paused`, `tiny`) simulate a session second by second from a seeded `random.Random`, so
  every call gives the same `Run`. A `Run` holds the points as the device recorded them (with
  noise) and the noise-free truth the generator knows.
* Writers (`write_fit`, `write_gpx`, `write_tcx`) encode a `Run` with the real encoders
  (fit-tool, gpxpy, ElementTree), optionally gzip-compressed.
* Damage and bundles: broken files, Strava / Garmin exports, a watch mounted as a drive, and zip
  hazards (path traversal, deep nesting, a bomb).

Point values are already quantised to the FIT resolution (positions to whole semicircles, altitude
to 0.2 m, distance to 0.01 m, speed to 0.001 m/s, whole seconds, whole bpm, whole steps per
minute), so FIT, GPX and TCX all carry back exactly the numbers in `Run.points`. The one loss is
cadence in GPX and TCX: they store whole strides per minute per foot, so an odd spm loses its half
step there (FIT keeps it in `fractional_cadence`).
"""

from __future__ import annotations

import csv
import gzip as gzip_module
import io
import json
import math
import random
import struct
import zipfile
import zlib
from bisect import bisect_right
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any, Literal
from xml.etree import ElementTree as ET

import gpxpy.gpx
from fit_tool.base_type import BaseType
from fit_tool.data_message import DataMessage
from fit_tool.definition_message import DefinitionMessage
from fit_tool.developer_field import DeveloperField
from fit_tool.fit_file_header import FitFileHeader
from fit_tool.profile.messages.activity_message import ActivityMessage
from fit_tool.profile.messages.developer_data_id_message import DeveloperDataIdMessage
from fit_tool.profile.messages.device_info_message import DeviceInfoMessage
from fit_tool.profile.messages.event_message import EventMessage
from fit_tool.profile.messages.field_description_message import FieldDescriptionMessage
from fit_tool.profile.messages.file_id_message import FileIdMessage
from fit_tool.profile.messages.lap_message import LapMessage
from fit_tool.profile.messages.monitoring_info_message import MonitoringInfoMessage
from fit_tool.profile.messages.monitoring_message import MonitoringMessage
from fit_tool.profile.messages.record_message import RecordMessage
from fit_tool.profile.messages.session_message import SessionMessage
from fit_tool.profile.profile_type import (
    Activity,
    ActivityType,
    Event,
    EventType,
    FileType,
    GarminProduct,
    Intensity,
    LapTrigger,
    Manufacturer,
    SessionTrigger,
    Sport,
    SubSport,
    TimerTrigger,
)
from fit_tool.record import Record
from fit_tool.utils.crc import crc16

START = datetime(2026, 11, 29, 7, 30, tzinfo=UTC)
HOME = (51.05, -114.07)  # where the outdoor loops are: Calgary, near the Bow river

# A gap between two records longer than this means the timer was stopped (auto-pause): writers
# turn it into timer stop/start events (FIT), a new <Track> (TCX), and leave it out of timer time.
TIMER_GAP_S = 10.0

DEV_FIELD_NAME = "Power"  # the developer field `write_fit(developer_field=True)` adds
DEV_FIELD_UNITS = "Watts"
GARMIN_USER = "runner@example.com"
GARMIN_FIRST_ACTIVITY_ID = 17_123_456_000  # `garmin_export` numbers activities from here

_EARTH_R = 6_371_008.8  # mean Earth radius, m
_SEMICIRCLES = 2**31 / 180.0


@dataclass(frozen=True)
class Point:
    time: datetime  # timezone-aware UTC
    lat: float | None  # degrees; None for a treadmill
    lon: float | None
    altitude: float | None  # metres, as the device recorded it (with noise)
    distance: float | None  # metres, cumulative, as the device recorded it
    speed: float | None  # m/s
    heart_rate: int | None  # bpm
    # Steps per minute, BOTH feet (e.g. 172) for running; writers convert to per-foot. For cycling
    # it is crank revolutions per minute, stored as is.
    cadence: float | None


@dataclass(frozen=True)
class Run:
    sport: str  # "running", "cycling", "swimming"
    sub_sport: str | None  # "treadmill", "trail", "road" or None
    points: list[Point]
    # The truth the generator knows (no noise), for tests to compare against:
    distance_m: float  # along the noise-free path
    elapsed_s: float  # last point time - first point time
    moving_s: float  # time actually moving (excludes stops)
    ascent_m: float  # of the noise-free elevation profile, at the points' true positions
    descent_m: float
    avg_heart_rate: int | None  # of the recorded values, stops included (as watches count)
    max_heart_rate: int | None
    avg_cadence_spm: float | None  # of the recorded values while moving (zeros left out)


# --------------------------------------------------------------------------------------------
# Generators


@dataclass(frozen=True)
class _Plan:
    """What one simulated session is like; `_simulate` turns it into a Run."""

    seed: int
    sport: str
    sub_sport: str | None
    distance_m: float  # stop here, or (by_time) the distance the flat speed is solved for
    target_s: float  # how long distance_m should take: sets the flat speed
    loop_m: float | None  # length of the closed route; None: indoors, no positions or altitude
    loop_ascent_m: float = 0.0  # noise-free ascent of one loop
    hills: tuple[tuple[int, float], ...] = ((3, 1.0), (7, 0.45), (13, 0.2))  # waves, amplitude
    base_altitude: float = 1045.0
    by_time: bool = False  # stop after target_s seconds rather than at distance_m
    wobble: float = 0.02  # relative spread of the pace from second to second
    hr_start: float = 130.0
    hr_base: float = 145.0  # steady effort on the flat
    hr_drift: float = 6.0  # cardiac drift over target_s
    hr_grade: float = 220.0  # bpm per unit grade (so +11 bpm on a 5 % climb)
    hr_rest: float = 100.0  # where HR falls during a stop
    cadence: float = 172.0
    cadence_grade: float = 25.0  # spm per unit grade: shorter, quicker steps uphill
    stop_at_m: float | None = None
    stop_s: int = 0
    record_stop: bool = True  # False: auto-pause, no records while stopped


class _Ar1:
    """A slowly wandering noise (first-order autoregressive) with a given spread and memory."""

    def __init__(self, rng: random.Random, sigma: float, tau_s: float) -> None:
        self._rng = rng
        self._rho = math.exp(-1.0 / tau_s)
        self._kick = sigma * math.sqrt(1.0 - self._rho**2)
        self.value = rng.gauss(0.0, sigma)

    def step(self) -> float:
        self.value = self._rho * self.value + self._rng.gauss(0.0, self._kick)
        return self.value


class _Hills:
    """Noise-free elevation as a sum of sines, periodic over the loop so the loop closes."""

    def __init__(self, plan: _Plan, rng: random.Random) -> None:
        self.base = plan.base_altitude
        self.loop = plan.loop_m or 1.0
        self.waves = [(k, amp, rng.uniform(0, 2 * math.pi)) for k, amp in plan.hills]
        self.scale = 0.0
        if plan.loop_m and plan.loop_ascent_m > 0:
            self.scale = 1.0
            unit = _ascent_descent([self.height(s) for s in _frange(0.0, plan.loop_m, 2.0)])[0]
            self.scale = plan.loop_ascent_m / unit

    def height(self, s: float) -> float:
        w = 2 * math.pi * s / self.loop
        return self.base + self.scale * sum(a * math.sin(k * w + p) for k, a, p in self.waves)

    def grade(self, s: float) -> float:
        w = 2 * math.pi * s / self.loop
        c = 2 * math.pi / self.loop
        return self.scale * sum(a * k * c * math.cos(k * w + p) for k, a, p in self.waves)


class _Route:
    """A smooth closed path around HOME, as a dense polyline walked by distance."""

    def __init__(self, loop_m: float, rng: random.Random) -> None:
        p2, p3 = rng.uniform(0, 2 * math.pi), rng.uniform(0, 2 * math.pi)
        n = 2400
        xy = []
        for i in range(n + 1):
            th = 2 * math.pi * i / n
            r = 1.0 + 0.22 * math.cos(2 * th + p2) + 0.1 * math.sin(3 * th + p3)
            xy.append((r * math.cos(th), 0.75 * r * math.sin(th)))
        lengths = [0.0]
        for (x0, y0), (x1, y1) in pairwise(xy):
            lengths.append(lengths[-1] + math.hypot(x1 - x0, y1 - y0))
        k = loop_m / lengths[-1]
        self.loop = loop_m
        self.xy = [(x * k, y * k) for x, y in xy]
        self.cum = [c * k for c in lengths]

    def at(self, s: float) -> tuple[float, float]:
        s %= self.loop
        i = min(bisect_right(self.cum, s), len(self.cum) - 1)
        s0, s1 = self.cum[i - 1], self.cum[i]
        f = (s - s0) / (s1 - s0) if s1 > s0 else 0.0
        (x0, y0), (x1, y1) = self.xy[i - 1], self.xy[i]
        return x0 + f * (x1 - x0), y0 + f * (y1 - y0)


def _frange(a: float, b: float, step: float) -> Iterator[float]:
    n = int((b - a) / step)
    for i in range(n + 1):
        yield a + i * step
    if a + n * step < b:
        yield b


def _ascent_descent(heights: list[float]) -> tuple[float, float]:
    up = down = 0.0
    for h0, h1 in pairwise(heights):
        if h1 > h0:
            up += h1 - h0
        else:
            down += h0 - h1
    return up, down


def _speed_factor(sport: str, grade: float) -> float:
    """How much slower (or faster) than on the flat a climb or a descent is."""
    g = max(-0.15, min(0.15, grade))
    if sport == "cycling":
        return 1.0 / (1.0 + 12.0 * g) if g >= 0 else min(1.6, 1.0 / (1.0 + 5.0 * g))
    return 1.0 / (1.0 + 3.5 * g) if g >= 0 else 1.0 / (1.0 + 2.0 * g)


def _to_latlon(x: float, y: float) -> tuple[float, float]:
    lat0, lon0 = HOME
    lat = lat0 + math.degrees(y / _EARTH_R)
    lon = lon0 + math.degrees(x / (_EARTH_R * math.cos(math.radians(lat0))))
    # Whole semicircles: what FIT can hold, so every format gives back the same numbers.
    return round(lat * _SEMICIRCLES) / _SEMICIRCLES, round(lon * _SEMICIRCLES) / _SEMICIRCLES


def _simulate(plan: _Plan, start: datetime) -> Run:
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware")
    start = start.astimezone(UTC)
    rng = random.Random(plan.seed)
    hills = _Hills(plan, rng)
    route = _Route(plan.loop_m, rng) if plan.loop_m else None
    outdoor = route is not None
    cycling = plan.sport == "cycling"

    # The flat speed that makes distance_m take target_s on this profile.
    step = 5.0
    slow = sum(
        step / _speed_factor(plan.sport, hills.grade(s)) for s in _frange(0, plan.distance_m, step)
    )
    v_flat = slow / plan.target_s

    pace = _Ar1(rng, plan.wobble, 60.0)
    gps_x, gps_y = _Ar1(rng, 2.0, 20.0), _Ar1(rng, 2.0, 20.0)  # GPS error wanders, sigma 2 m
    cad_wander = _Ar1(rng, 1.0, 30.0)
    bias = 0.002  # the watch's own distance runs a little long, as footpod/GPS fusion does
    alt_drift = rng.choice((-1.0, 1.0)) * 4.0  # barometer drift over the session, m

    points: list[Point] = []
    true_heights: list[float] = []
    hr_values: list[int] = []
    moving_cadence: list[float] = []
    d = 0.0
    dev_d = 0.0
    hr = plan.hr_start
    stop_left = 0
    stop_done = plan.stop_at_m is None
    stop_times: tuple[int, int] | None = None  # seconds of arrival and of moving off
    t = 0
    while True:
        if not stop_done and plan.stop_at_m is not None and d >= plan.stop_at_m:
            # Arrived where the stop is: stand for stop_s seconds, then move off from here.
            stop_left, stop_done, stop_times = plan.stop_s, True, (t, t + plan.stop_s)
        stopped = stop_left > 0
        grade = hills.grade(d) if outdoor else 0.0
        v = 0.0 if stopped else v_flat * _speed_factor(plan.sport, grade) * (1.0 + pace.step())

        # Heart rate follows effort with a lag; faster to rise than to fall.
        if stopped:
            target, tau = plan.hr_rest, 45.0
        else:
            effort = max(-0.06, min(0.08, grade))
            target = plan.hr_base + plan.hr_drift * t / plan.target_s + plan.hr_grade * effort
            tau = 30.0
        hr += (target - hr) * (1.0 - math.exp(-1.0 / tau))
        heart_rate = round(hr + rng.gauss(0.0, 0.8))

        wander = cad_wander.step()
        if stopped or (cycling and grade < -0.035):  # standing, or coasting downhill
            cadence = 0.0
        else:
            cadence = float(round(plan.cadence + plan.cadence_grade * grade + wander))
            moving_cadence.append(cadence)

        lat: float | None = None
        lon: float | None = None
        altitude: float | None = None
        height = hills.base
        if route is not None:
            x, y = route.at(d)
            jitter = 0.6 if stopped else 0.0  # multipath while standing still
            x += gps_x.step() + rng.gauss(0.0, jitter)
            y += gps_y.step() + rng.gauss(0.0, jitter)
            lat, lon = _to_latlon(x, y)
            height = hills.height(d)
            noisy = height + alt_drift * t / plan.target_s + rng.gauss(0.0, 1.5)
            altitude = round(noisy * 5) / 5
        true_heights.append(height)
        if stopped:
            speed = abs(rng.gauss(0.0, 0.03))
        else:
            speed = max(0.0, v * (1.0 + bias) + rng.gauss(0.0, 0.04))

        # Auto-pause keeps the record where the runner stopped and the next one where they move
        # off, and none between.
        if plan.record_stop or not stopped or (stop_times is not None and t == stop_times[0]):
            points.append(
                Point(
                    time=start + timedelta(seconds=t),
                    lat=lat,
                    lon=lon,
                    altitude=altitude,
                    distance=round(dev_d * 100) / 100,
                    speed=round(speed * 1000) / 1000,
                    heart_rate=heart_rate,
                    cadence=cadence,
                )
            )
            hr_values.append(heart_rate)

        finished = (t >= plan.target_s) if plan.by_time else d >= plan.distance_m
        if finished:
            break
        if stopped:
            stop_left -= 1
            t += 1
            continue
        advance = v
        if not stop_done and plan.stop_at_m is not None and d + advance >= plan.stop_at_m:
            advance = plan.stop_at_m - d
        if not plan.by_time and d + advance >= plan.distance_m:
            advance = plan.distance_m - d
        d += advance
        dev_d += max(0.0, advance * (1.0 + bias + rng.gauss(0.0, 0.01)))
        t += 1

    elapsed = float(t)
    ascent, descent = _ascent_descent(true_heights)
    return Run(
        sport=plan.sport,
        sub_sport=plan.sub_sport,
        points=points,
        distance_m=d,
        elapsed_s=elapsed,
        moving_s=elapsed - (plan.stop_s if stop_times else 0),
        ascent_m=ascent if outdoor else 0.0,
        descent_m=descent if outdoor else 0.0,
        avg_heart_rate=round(sum(hr_values) / len(hr_values)),
        max_heart_rate=max(hr_values),
        avg_cadence_spm=sum(moving_cadence) / len(moving_cadence) if moving_cadence else None,
    )


def hilly_16k(start: datetime = START) -> Run:
    """16.1 km road loop, about 1 h 30 min (5:35/km, slower uphill), ~260 m up and down."""
    plan = _Plan(
        seed=16,
        sport="running",
        sub_sport="road",
        distance_m=16_100.0,
        target_s=16.1 * 335,
        loop_m=16_100.0,
        loop_ascent_m=260.0,
        hr_start=130.0,
        hr_base=147.0,
        hr_grade=150.0,
        cadence=173.0,
    )
    return _simulate(plan, start)


def easy_5k(start: datetime = START) -> Run:
    """5.0 km on the flat in about 30 min, HR ~135 (max ~145), cadence ~168."""
    plan = _Plan(
        seed=5,
        sport="running",
        sub_sport=None,
        distance_m=5_000.0,
        target_s=30 * 60,
        loop_m=5_000.0,
        loop_ascent_m=6.0,
        hr_start=112.0,
        hr_base=132.0,
        hr_drift=11.0,
        cadence=168.0,
    )
    return _simulate(plan, start)


def treadmill(start: datetime = START) -> Run:
    """8 km in 45 min on a treadmill: no positions, no altitude; distance and speed from the
    footpod."""
    plan = _Plan(
        seed=8,
        sport="running",
        sub_sport="treadmill",
        distance_m=8_000.0,
        target_s=45 * 60,
        loop_m=None,
        wobble=0.0,  # the belt keeps its speed
        hr_start=105.0,
        hr_base=148.0,
        hr_drift=8.0,
        cadence=174.0,
    )
    return _simulate(plan, start)


def ride(start: datetime = START) -> Run:
    """40 km road ride in about 1 h 20 min. Cadence is crank rpm (~88), 0 while coasting."""
    plan = _Plan(
        seed=40,
        sport="cycling",
        sub_sport="road",
        distance_m=40_000.0,
        target_s=80 * 60,
        loop_m=20_000.0,
        loop_ascent_m=180.0,
        hills=((2, 1.0), (5, 0.5), (11, 0.25)),
        base_altitude=1100.0,
        wobble=0.04,
        hr_start=110.0,
        hr_base=138.0,
        hr_grade=300.0,
        cadence=88.0,
        cadence_grade=-60.0,
    )
    return _simulate(plan, start)


def three_hours(start: datetime = START) -> Run:
    """A 3 h run at one record a second (10 800 points), about 30 km, three gently rolling
    10 km laps of a park."""
    plan = _Plan(
        seed=3,
        sport="running",
        sub_sport=None,
        distance_m=30_000.0,
        target_s=10_799,  # 10 800 records, the first at second 0
        by_time=True,
        loop_m=10_000.0,
        loop_ascent_m=50.0,
        hr_start=120.0,
        hr_base=140.0,
        hr_drift=12.0,
        cadence=170.0,
    )
    return _simulate(plan, start)


def _paused_plan(record_stop: bool) -> _Plan:
    return _Plan(
        seed=10,
        sport="running",
        sub_sport=None,
        distance_m=10_000.0,
        target_s=10 * 330,
        loop_m=10_000.0,
        loop_ascent_m=60.0,
        hr_start=125.0,
        hr_base=148.0,
        cadence=172.0,
        stop_at_m=5_000.0,
        stop_s=300,
        record_stop=record_stop,
    )


def paused(start: datetime = START) -> Run:
    """10 km with a 5-minute stop at 5 km while the watch keeps recording: speed ~0, position
    jittering in place, HR falling. `moving_s` leaves the stop out; the timer ran through it."""
    return _simulate(_paused_plan(record_stop=True), start)


def auto_paused(start: datetime = START) -> Run:
    """`paused` with auto-pause on: no records during the stop, a 300 s gap in the timestamps
    (the record before and the one after are at the same place)."""
    return _simulate(_paused_plan(record_stop=False), start)


def tiny(start: datetime = START) -> Run:
    """A 2-minute jog (121 points): any valid activity, quickly, for tests about containers."""
    plan = _Plan(
        seed=2,
        sport="running",
        sub_sport=None,
        distance_m=360.0,
        target_s=120,
        by_time=True,
        loop_m=1_000.0,
        loop_ascent_m=4.0,
    )
    return _simulate(plan, start)


def developer_power(run: Run) -> list[int]:
    """The values `write_fit(developer_field=True)` writes in its developer field, one a point:
    a rough running (or riding) power in watts from the recorded speed."""
    out = []
    for p in run.points:
        v = p.speed or 0.0
        watts = (
            0.5 * 1.2 * 0.32 * v**3 + 0.004 * 80 * 9.81 * v if run.sport == "cycling" else 73 * v
        )
        out.append(round(watts))
    return out


# --------------------------------------------------------------------------------------------
# Shared by the writers


@dataclass(frozen=True)
class _Lap:
    first: int  # index of the first point that belongs to the lap
    last: int  # index of its last point (the one where it ends)
    start: datetime  # the previous lap's end, or the first point's time


def _laps(run: Run, every_m: float | None) -> list[_Lap]:
    """Auto-laps on the device's own distance, as a watch splits them: a lap ends at the first
    record at or past each multiple of every_m; the next lap starts at that moment."""
    points = run.points
    ends: list[int] = []
    if every_m:
        mark = every_m
        for i, p in enumerate(points):
            if p.distance is not None and p.distance >= mark and i < len(points) - 1:
                ends.append(i)
                while p.distance >= mark:
                    mark += every_m
    ends.append(len(points) - 1)
    laps = []
    first, start = 0, points[0].time
    for end in ends:
        laps.append(_Lap(first=first, last=end, start=start))
        first, start = end + 1, points[end].time
    return laps


def _timer_s(points: list[Point], since: datetime | None = None) -> float:
    """Seconds the timer ran: time between records, leaving out auto-pause gaps."""
    total = 0.0
    previous = since
    for p in points:
        if previous is not None:
            dt = (p.time - previous).total_seconds()
            if dt <= TIMER_GAP_S:
                total += dt
        previous = p.time
    return total


def _lap_span(run: Run, lap: _Lap) -> list[Point]:
    return run.points[lap.first : lap.last + 1]


def _lap_distance(run: Run, lap: _Lap) -> float:
    end = run.points[lap.last].distance or 0.0
    before = run.points[lap.first - 1].distance if lap.first > 0 else 0.0
    return end - (before or 0.0)


def _calories(run: Run, distance_m: float) -> int:
    per_km = {"cycling": 25.0, "swimming": 250.0}.get(run.sport, 70.0)
    return round(per_km * distance_m / 1000.0)


def _per_foot(run: Run, cadence: float) -> float:
    """Running cadence as FIT, GPX and TCX store it: strides per minute of one foot."""
    return cadence / 2.0 if run.sport == "running" else cadence


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _finish(path: Path, data: bytes, gzip: bool) -> Path:
    path = Path(path)
    if gzip:
        if not path.name.endswith(".gz"):
            path = path.with_name(path.name + ".gz")
        data = gzip_module.compress(data, mtime=0)  # mtime=0: the same bytes every time
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def _iso(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


# --------------------------------------------------------------------------------------------
# FIT


_LOCAL = {
    "file_id": 0,
    "device_info": 1,
    "event": 2,
    "record": 3,
    "lap": 4,
    "session": 5,
    "activity": 6,
    "developer_data_id": 7,
    "field_description": 8,
    "monitoring_info": 9,
    "monitoring": 10,
}
_SPORTS = {"running": Sport.RUNNING, "cycling": Sport.CYCLING, "swimming": Sport.SWIMMING}
_APP_ID = bytes.fromhex("5c1e0a77f1d34b2a9e6d0b8f31c2a4e7")  # made up: our "Connect IQ app"


def _sub_sport(run: Run) -> SubSport:
    if run.sub_sport == "treadmill":
        return SubSport.TREADMILL
    if run.sub_sport == "trail":
        return SubSport.TRAIL
    if run.sub_sport == "road":
        # FIT's "road" is a bike road; road running is "street".
        return SubSport.ROAD if run.sport == "cycling" else SubSport.STREET
    return SubSport.GENERIC


def _ms(t: datetime) -> int:
    return int(t.timestamp()) * 1000  # fit-tool takes Unix milliseconds; FIT keeps whole seconds


class _FitStream:
    """Appends messages one at a time with fit-tool's encoders, as a device writes its file.

    FitFileBuilder keeps a message object per record, and each RecordMessage builds some eighty
    Field objects: about a millisecond a record, ten seconds for a three-hour run. Encoding each
    message as it comes lets one RecordMessage be reused for every point, five times faster, with
    the same definition and data bytes fit-tool would produce.
    """

    def __init__(self) -> None:
        self._chunks: list[bytes] = []
        self._defined: dict[int, bytes] = {}

    def add(self, message: DataMessage) -> None:
        """Append a fresh message, defining its layout first unless the last one still fits."""
        definition = DefinitionMessage.from_data_message(message)
        fresh = Record.from_message(definition).to_bytes()
        if self._defined.get(message.local_id) != fresh:
            self._chunks.append(fresh)
            self._defined[message.local_id] = fresh
        message.set_definition_message(definition)
        self._chunks.append(Record.from_message(message).to_bytes())

    def define_once(self, message: DataMessage) -> None:
        """Fix the layout of a message that will be reused for many records."""
        definition = DefinitionMessage.from_data_message(message)
        fresh = Record.from_message(definition).to_bytes()
        self._chunks.append(fresh)
        self._defined[message.local_id] = fresh
        message.set_definition_message(definition)

    def add_defined(self, message: DataMessage) -> None:
        self._chunks.append(Record.from_message(message).to_bytes())

    def to_bytes(self) -> bytes:
        body = b"".join(self._chunks)
        # The 14-byte header with its own CRC, as Garmin devices write it; the file CRC covers
        # the header and the records.
        header = FitFileHeader(records_size=len(body), gen_crc=True).to_bytes()
        crc: int = crc16(body, crc=crc16(header))
        return bytes(header) + body + struct.pack("<H", crc)


def _file_id(file_type: FileType, created: datetime) -> FileIdMessage:
    m = FileIdMessage(local_id=_LOCAL["file_id"])
    m.type = file_type
    m.manufacturer = Manufacturer.GARMIN.value
    m.product = GarminProduct.FR965.value
    m.serial_number = 3_456_789_012
    m.time_created = _ms(created)
    return m


def _device_info(when: datetime) -> DeviceInfoMessage:
    m = DeviceInfoMessage(local_id=_LOCAL["device_info"])
    m.timestamp = _ms(when)
    m.device_index = 0  # the creator
    m.manufacturer = Manufacturer.GARMIN.value
    m.product = GarminProduct.FR965.value
    m.serial_number = 3_456_789_012
    m.software_version = 19.18
    return m


def _event(when: datetime, event_type: EventType, trigger: TimerTrigger) -> EventMessage:
    m = EventMessage(local_id=_LOCAL["event"])
    m.timestamp = _ms(when)
    m.event = Event.TIMER
    m.event_type = event_type
    m.timer_trigger = trigger
    m.event_group = 0
    return m


def _fill_totals(
    m: LapMessage | SessionMessage,
    run: Run,
    span: list[Point],
    start: datetime,
    distance: float,
    timer: float,
) -> None:
    """The totals laps and sessions share, over the points of span."""
    end = span[-1].time
    m.timestamp = _ms(end)
    m.start_time = _ms(start)
    m.total_elapsed_time = (end - start).total_seconds()
    m.total_timer_time = timer
    m.total_distance = distance
    m.total_calories = _calories(run, distance)
    speeds = [p.speed for p in span if p.speed is not None]
    if speeds and timer > 0:
        m.avg_speed = m.enhanced_avg_speed = distance / timer
        m.max_speed = m.enhanced_max_speed = max(speeds)
    hrs = [p.heart_rate for p in span if p.heart_rate is not None]
    if hrs:
        m.avg_heart_rate = round(sum(hrs) / len(hrs))
        m.max_heart_rate = max(hrs)
    cadence = _mean([p.cadence for p in span if p.cadence])
    if cadence is not None:
        _set_cadence(m, _per_foot(run, cadence), "avg_cadence", "avg_fractional_cadence")
    m.sport = _SPORTS.get(run.sport, Sport.GENERIC)
    m.sub_sport = _sub_sport(run)


def _set_cadence(m: DataMessage, per_foot: float, whole: str, fraction: str) -> None:
    """FIT cadence is a whole number of (per-foot) cycles plus a fraction in 1/128ths."""
    per_foot = round(per_foot * 128) / 128  # so the fraction cannot round up to a whole 1.0
    units = math.floor(per_foot)
    setattr(m, whole, units)
    if per_foot - units:
        setattr(m, fraction, per_foot - units)


AltitudeSpeed = Literal["enhanced", "legacy", "both"]


def write_fit(
    path: Path,
    run: Run,
    *,
    totals: bool = True,
    developer_field: bool = False,
    drop_developer_definition: bool = False,
    lap_every_m: float | None = 1000.0,
    altitude_speed: AltitudeSpeed = "enhanced",
    gzip: bool = False,
) -> Path:
    """Write `run` as a FIT activity file, the way a Garmin watch does (see `fit_bytes`)."""
    data = fit_bytes(
        run,
        totals=totals,
        developer_field=developer_field,
        drop_developer_definition=drop_developer_definition,
        lap_every_m=lap_every_m,
        altitude_speed=altitude_speed,
    )
    return _finish(path, data, gzip)


def fit_bytes(
    run: Run,
    *,
    totals: bool = True,
    developer_field: bool = False,
    drop_developer_definition: bool = False,
    lap_every_m: float | None = 1000.0,
    altitude_speed: AltitudeSpeed = "enhanced",
) -> bytes:
    """`run` as a FIT activity file, the way a Garmin watch writes it.

    file_id, device_info, timer start, records (laps written as each one ends, timer stop/start
    around auto-pause gaps), timer stop, then session and activity. Options:

    * totals=False: records and events only; no lap, session or activity message (what a
      recording that crashed, or some phone apps, leave).
    * developer_field=True: a developer_data_id, a field_description ("Power", W, uint16,
      native field record.power) and that field in every record (`developer_power(run)`).
    * drop_developer_definition=True: records still carry the developer field, but neither its
      developer_data_id nor its field_description is in the file. Implies developer_field.
    * lap_every_m: auto-lap distance on the device's distance; None for one lap overall.
    * altitude_speed: "enhanced" (enhanced_altitude/enhanced_speed, current watches), "legacy"
      (altitude/speed, older devices) or "both".
    """
    developer_field = developer_field or drop_developer_definition
    points = run.points
    if not points:
        raise ValueError("a run without points cannot be a FIT activity")
    out = _FitStream()
    out.add(_file_id(FileType.ACTIVITY, points[0].time))
    out.add(_device_info(points[0].time))

    power_field: DeveloperField | None = None
    if developer_field:
        if not drop_developer_definition:
            dev = DeveloperDataIdMessage(local_id=_LOCAL["developer_data_id"])
            dev.application_id = _APP_ID
            dev.developer_data_index = 0
            dev.application_version = 1
            out.add(dev)
            desc = FieldDescriptionMessage(local_id=_LOCAL["field_description"])
            desc.developer_data_index = 0
            desc.field_definition_number = 0
            desc.fit_base_type_id = BaseType.UINT16
            desc.field_name = DEV_FIELD_NAME
            desc.units = DEV_FIELD_UNITS
            desc.native_mesg_num = RecordMessage.ID
            desc.native_field_num = 7  # record.power
            out.add(desc)
        power_field = DeveloperField(
            developer_data_index=0, field_id=0, base_type=BaseType.UINT16, size=2,
            name=DEV_FIELD_NAME, units=DEV_FIELD_UNITS,
        )  # fmt: skip
    watts = developer_power(run) if developer_field else []

    out.add(_event(points[0].time, EventType.START, TimerTrigger.MANUAL))
    laps = _laps(run, lap_every_m) if totals else []
    lap_at = {lap.last: (n, lap) for n, lap in enumerate(laps)}

    record = RecordMessage(
        local_id=_LOCAL["record"], developer_fields=[power_field] if power_field else None
    )
    enhanced = altitude_speed in ("enhanced", "both")
    legacy = altitude_speed in ("legacy", "both")
    setters = _record_setters(run, enhanced=enhanced, legacy=legacy)

    for i, p in enumerate(points):
        if i > 0 and (p.time - points[i - 1].time).total_seconds() > TIMER_GAP_S:
            # Auto-pause: the watch stops the timer and starts it when the runner moves off.
            out.add(_event(points[i - 1].time, EventType.STOP_ALL, TimerTrigger.AUTO))
            out.add(_event(p.time, EventType.START, TimerTrigger.AUTO))
        if i == 0:
            # The layout must hold every field some point has, even if this one lacks it.
            for setter in setters:
                setter(record, p, True)
            if power_field:
                power_field.set_value(0, 0)
            out.define_once(record)
        for setter in setters:
            setter(record, p, False)
        if power_field:
            power_field.set_value(0, watts[i])
        out.add_defined(record)
        if i in lap_at:
            n, lap = lap_at[i]
            out.add(
                _lap_message(run, lap, n, last=n == len(laps) - 1, auto=lap_every_m is not None)
            )

    out.add(_event(points[-1].time, EventType.STOP_ALL, TimerTrigger.MANUAL))
    if totals:
        timer = _timer_s(points)
        session = SessionMessage(local_id=_LOCAL["session"])
        _fill_totals(session, run, points, points[0].time, points[-1].distance or 0.0, timer)
        session.event = Event.SESSION
        session.event_type = EventType.STOP
        session.trigger = SessionTrigger.ACTIVITY_END
        session.first_lap_index = 0
        session.num_laps = len(laps)
        session.total_moving_time = run.moving_s
        session.total_ascent = round(run.ascent_m)
        session.total_descent = round(run.descent_m)
        if points[0].lat is not None:
            session.start_position_lat = points[0].lat
            session.start_position_long = points[0].lon
        out.add(session)
        activity = ActivityMessage(local_id=_LOCAL["activity"])
        activity.timestamp = _ms(points[-1].time)
        activity.total_timer_time = timer
        activity.num_sessions = 1
        activity.type = Activity.MANUAL
        activity.event = Event.ACTIVITY
        activity.event_type = EventType.STOP
        out.add(activity)
    return out.to_bytes()


_Setter = Callable[[RecordMessage, Point, bool], None]


def _record_setters(run: Run, *, enhanced: bool, legacy: bool) -> list[_Setter]:
    """One setter per record field some point has. With placeholder=True a missing value is
    given a stand-in so the definition includes the field; otherwise missing means invalid."""
    points = run.points

    def has(attr: str) -> bool:
        return any(getattr(p, attr) is not None for p in points)

    def plain(name: str, attr: str, convert: Callable[[Any], Any] = lambda v: v) -> _Setter:
        def setter(m: RecordMessage, p: Point, placeholder: bool) -> None:
            value = getattr(p, attr)
            if value is None:
                setattr(m, name, 0 if placeholder else None)
            else:
                setattr(m, name, convert(value))

        return setter

    setters: list[_Setter] = [lambda m, p, _: setattr(m, "timestamp", _ms(p.time))]
    if has("lat"):
        setters += [plain("position_lat", "lat"), plain("position_long", "lon")]
    if has("distance"):
        setters.append(plain("distance", "distance"))
    for attr, names in (("speed", "speed"), ("altitude", "altitude")):
        if has(attr):
            if enhanced:
                setters.append(plain(f"enhanced_{names}", attr))
            if legacy:
                setters.append(plain(names, attr))
    if has("heart_rate"):
        setters.append(plain("heart_rate", "heart_rate"))
    if has("cadence"):
        running = run.sport == "running"

        def cadence(m: RecordMessage, p: Point, placeholder: bool) -> None:
            if p.cadence is None:
                m.cadence = 0 if placeholder else None
                if running:
                    m.fractional_cadence = 0.0 if placeholder else None
                return
            per_foot = _per_foot(run, p.cadence)
            m.cadence = math.floor(per_foot)
            if running:  # always present, so every record has the same layout
                m.fractional_cadence = per_foot - math.floor(per_foot)

        setters.append(cadence)
    return setters


def _lap_message(run: Run, lap: _Lap, index: int, *, last: bool, auto: bool) -> LapMessage:
    m = LapMessage(local_id=_LOCAL["lap"])
    span = _lap_span(run, lap)
    distance = _lap_distance(run, lap)
    since = None if lap.first == 0 else lap.start
    _fill_totals(m, run, span, lap.start, distance, _timer_s(span, since))
    m.message_index = index
    m.event = Event.LAP
    m.event_type = EventType.STOP
    m.intensity = Intensity.ACTIVE
    m.lap_trigger = (
        LapTrigger.SESSION_END if last else (LapTrigger.DISTANCE if auto else LapTrigger.MANUAL)
    )
    if span[0].lat is not None:
        m.start_position_lat = span[0].lat
        m.start_position_long = span[0].lon
        m.end_position_lat = span[-1].lat
        m.end_position_long = span[-1].lon
    return m


def _monitoring_fit(day: datetime) -> bytes:
    """A day's wellness file (FIT type monitoring_b), as a watch keeps in GARMIN/Monitor."""
    out = _FitStream()
    out.add(_file_id(FileType.MONITORING_B, day))
    info = MonitoringInfoMessage(local_id=_LOCAL["monitoring_info"])
    info.timestamp = _ms(day)
    out.add(info)
    steps = 0
    for hour in range(24):
        m = MonitoringMessage(local_id=_LOCAL["monitoring"])
        m.timestamp = _ms(day + timedelta(hours=hour))
        m.activity_type = ActivityType.WALKING
        steps += 300 + 40 * hour
        m.cycles = steps
        m.heart_rate = 58 + hour % 7
        out.add(m)
    return out.to_bytes()


def _settings_fit(when: datetime) -> bytes:
    out = _FitStream()
    out.add(_file_id(FileType.SETTINGS, when))
    return out.to_bytes()


# --------------------------------------------------------------------------------------------
# GPX


_GPX_TPX = "http://www.garmin.com/xmlschemas/TrackPointExtension/v1"


def _activity_name(run: Run) -> str:
    hour = run.points[0].time.hour
    part = "Morning" if 5 <= hour < 12 else "Afternoon" if hour < 18 else "Evening"
    kind = {"cycling": "Ride", "swimming": "Swim"}.get(run.sport, "Run")
    if run.sub_sport == "treadmill":
        return f"Treadmill {kind}"
    return f"{part} {kind}"


def write_gpx(path: Path, run: Run, *, gzip: bool = False) -> Path:
    """Write `run` as a GPX file (see `gpx_bytes`)."""
    return _finish(path, gpx_bytes(run), gzip)


def gpx_bytes(run: Run) -> bytes:
    """`run` as Garmin Connect exports GPX 1.1: one track with its <type>, trkpts with ele
    and time, and TrackPointExtension v1 hr/cad (cad per foot for running, whole strides).

    Points without a position are left out (a GPX trkpt needs one); a run with none at all, a
    treadmill run, cannot be GPX and raises ValueError.
    """
    located = [p for p in run.points if p.lat is not None and p.lon is not None]
    if not located:
        raise ValueError(f"a {run.sub_sport or run.sport} run has no positions: no GPX for it")
    gpx = gpxpy.gpx.GPX()
    gpx.creator = "Garmin Connect"
    gpx.nsmap["gpxtpx"] = _GPX_TPX
    gpx.time = run.points[0].time
    gpx.link = "connect.garmin.com"
    gpx.link_text = "Garmin Connect"
    track = gpxpy.gpx.GPXTrack(name=_activity_name(run))
    track.type = run.sport  # type: ignore[assignment]  # gpxpy declares it None-only
    segment = gpxpy.gpx.GPXTrackSegment()
    track.segments.append(segment)
    gpx.tracks.append(track)
    for p in located:
        tp = gpxpy.gpx.GPXTrackPoint(p.lat, p.lon, elevation=p.altitude, time=p.time)
        ext = ET.Element(f"{{{_GPX_TPX}}}TrackPointExtension")
        if p.heart_rate is not None:
            ET.SubElement(ext, f"{{{_GPX_TPX}}}hr").text = str(p.heart_rate)
        if p.cadence is not None:
            ET.SubElement(ext, f"{{{_GPX_TPX}}}cad").text = str(
                math.floor(_per_foot(run, p.cadence))
            )
        if len(ext):
            tp.extensions.append(ext)
        segment.points.append(tp)
    return gpx.to_xml(version="1.1").encode("utf-8")


# --------------------------------------------------------------------------------------------
# TCX

TCX_NS = "http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2"
TCX_AX_NS = "http://www.garmin.com/xmlschemas/ActivityExtension/v2"
_XSI = "http://www.w3.org/2001/XMLSchema-instance"
_TCX_SPORT = {"running": "Running", "cycling": "Biking"}


def _sub(parent: ET.Element, tag: str, text: object | None = None, **attrib: str) -> ET.Element:
    e = ET.SubElement(parent, tag, attrib)
    if text is not None:
        e.text = text if isinstance(text, str) else _num(text)
    return e


def _num(value: object) -> str:
    # repr: the shortest text that reads back as the same float, so no digit is lost.
    return repr(value) if isinstance(value, float) else str(value)


def write_tcx(
    path: Path, run: Run, *, lap_every_m: float | None = 1000.0, gzip: bool = False
) -> Path:
    """Write `run` as a TCX file (see `tcx_bytes`)."""
    return _finish(path, tcx_bytes(run, lap_every_m=lap_every_m), gzip)


def tcx_bytes(run: Run, *, lap_every_m: float | None = 1000.0) -> bytes:
    """`run` as Garmin Connect exports TCX v2, elements in the schema's sequence order.

    One Lap per lap_every_m of device distance (None: one lap), each with its Track; after an
    auto-pause gap a new Track starts, as Garmin writes. Running cadence is ns3:RunCadence (whole
    strides per foot); cycling uses the plain Cadence element.

    The tags carry their prefixes literally ("ns3:TPX") with the xmlns declared on the root,
    because ElementTree reserves ns<digits> prefixes and Garmin's files use ns3.
    """
    if not run.points:
        raise ValueError("a run without points cannot be a TCX activity")
    running = run.sport == "running"
    root = ET.Element(
        "TrainingCenterDatabase",
        {
            "xmlns": TCX_NS,
            "xmlns:ns3": TCX_AX_NS,
            "xmlns:xsi": _XSI,
            "xsi:schemaLocation": (
                f"{TCX_NS} http://www.garmin.com/xmlschemas/TrainingCenterDatabasev2.xsd"
            ),
        },
    )
    activity = _sub(_sub(root, "Activities"), "Activity", Sport=_TCX_SPORT.get(run.sport, "Other"))
    _sub(activity, "Id", _iso(run.points[0].time))
    for lap in _laps(run, lap_every_m):
        span = _lap_span(run, lap)
        distance = _lap_distance(run, lap)
        el = _sub(activity, "Lap", StartTime=_iso(lap.start))
        _sub(el, "TotalTimeSeconds", _timer_s(span, None if lap.first == 0 else lap.start))
        _sub(el, "DistanceMeters", round(distance, 2))
        speeds = [p.speed for p in span if p.speed is not None]
        if speeds:
            _sub(el, "MaximumSpeed", max(speeds))
        _sub(el, "Calories", _calories(run, distance))
        hrs = [p.heart_rate for p in span if p.heart_rate is not None]
        if hrs:
            _sub(_sub(el, "AverageHeartRateBpm"), "Value", round(sum(hrs) / len(hrs)))
            _sub(_sub(el, "MaximumHeartRateBpm"), "Value", max(hrs))
        _sub(el, "Intensity", "Active")
        cadence = _mean([p.cadence for p in span if p.cadence])
        if cadence is not None and not running:
            _sub(el, "Cadence", round(cadence))
        _sub(el, "TriggerMethod", "Distance" if lap_every_m else "Manual")
        track = _sub(el, "Track")
        for i, p in enumerate(span):
            previous = run.points[lap.first + i - 1] if lap.first + i > 0 else None
            if previous and i > 0 and (p.time - previous.time).total_seconds() > TIMER_GAP_S:
                track = _sub(el, "Track")
            _trackpoint(track, run, p)
        lx = _sub(_sub(el, "Extensions"), "ns3:LX")
        if speeds and distance:
            timer = _timer_s(span, None if lap.first == 0 else lap.start)
            _sub(lx, "ns3:AvgSpeed", round(distance / timer, 3) if timer else 0.0)
        if cadence is not None:
            if running:
                _sub(lx, "ns3:AvgRunCadence", math.floor(cadence / 2))
            else:
                _sub(lx, "ns3:MaxBikeCadence", round(max(p.cadence or 0 for p in span)))
    creator = _sub(activity, "Creator", **{"xsi:type": "Device_t"})
    _sub(creator, "Name", "Forerunner 965")
    _sub(creator, "UnitId", 3_456_789_012)
    _sub(creator, "ProductID", GarminProduct.FR965.value)
    version = _sub(creator, "Version")
    for tag, value in (
        ("VersionMajor", 19),
        ("VersionMinor", 18),
        ("BuildMajor", 0),
        ("BuildMinor", 0),
    ):
        _sub(version, tag, value)
    author = _sub(root, "Author", **{"xsi:type": "Application_t"})
    _sub(author, "Name", "Connect Api")
    build = _sub(_sub(author, "Build"), "Version")
    for tag, value in (
        ("VersionMajor", 0),
        ("VersionMinor", 0),
        ("BuildMajor", 0),
        ("BuildMinor", 0),
    ):
        _sub(build, tag, value)
    _sub(author, "LangID", "en")
    _sub(author, "PartNumber", "006-D2449-00")
    ET.indent(root, space="  ")
    # The declaration as Garmin writes it (ElementTree's own uses single quotes).
    body = ET.tostring(root, encoding="unicode")
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{body}\n'.encode()


def _trackpoint(track: ET.Element, run: Run, p: Point) -> None:
    tp = _sub(track, "Trackpoint")
    _sub(tp, "Time", _iso(p.time))
    if p.lat is not None and p.lon is not None:
        pos = _sub(tp, "Position")
        _sub(pos, "LatitudeDegrees", p.lat)
        _sub(pos, "LongitudeDegrees", p.lon)
    if p.altitude is not None:
        _sub(tp, "AltitudeMeters", p.altitude)
    if p.distance is not None:
        _sub(tp, "DistanceMeters", p.distance)
    if p.heart_rate is not None:
        _sub(_sub(tp, "HeartRateBpm"), "Value", p.heart_rate)
    if p.cadence is not None and run.sport != "running":
        _sub(tp, "Cadence", round(p.cadence))
    running_cadence = p.cadence is not None and run.sport == "running"
    if p.speed is not None or running_cadence:
        tpx = _sub(_sub(tp, "Extensions"), "ns3:TPX")
        if p.speed is not None:
            _sub(tpx, "ns3:Speed", p.speed)
        if running_cadence and p.cadence is not None:
            _sub(tpx, "ns3:RunCadence", math.floor(p.cadence / 2))


# --------------------------------------------------------------------------------------------
# Damage


def corrupt_crc(src: Path, dst: Path) -> Path:
    """Copy src to dst with its last two bytes (a FIT file's CRC) inverted."""
    data = bytearray(Path(src).read_bytes())
    data[-1] ^= 0xFF
    data[-2] ^= 0xFF
    Path(dst).write_bytes(bytes(data))
    return Path(dst)


def flip_byte(src: Path, dst: Path, offset: int) -> Path:
    """Copy src to dst with the byte at offset (negative: from the end) inverted."""
    data = bytearray(Path(src).read_bytes())
    data[offset] ^= 0xFF
    Path(dst).write_bytes(bytes(data))
    return Path(dst)


def truncated(src: Path, dst: Path, fraction: float = 0.6) -> Path:
    """Copy the first fraction of src's bytes to dst, as an interrupted copy or upload leaves."""
    if not 0.0 <= fraction < 1.0:
        raise ValueError("fraction must be in [0, 1)")
    data = Path(src).read_bytes()
    Path(dst).write_bytes(data[: int(len(data) * fraction)])
    return Path(dst)


# --------------------------------------------------------------------------------------------
# Strava's "download your data"


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_STRAVA_TYPES = {
    "en": {"running": "Run", "cycling": "Ride", "swimming": "Swim"},
    "de": {"running": "Lauf", "cycling": "Radfahrt", "swimming": "Schwimmen"},
}

# Strava's activities.csv columns in its order: (English, German, value). Strava repeats several
# names in a second block with other units: the first Distance is km (metres for swims), the
# second metres; the first Elapsed Time whole seconds, the second a float. The German names
# beyond the brief's five are our best rendering, not checked against a real export.
_Row = dict[str, Any]
_COLUMNS: list[tuple[str, str, Callable[[_Row], str]]] = [
    ("Activity ID", "Aktivitäts-ID", lambda r: str(r["id"])),
    ("Activity Date", "Aktivitätsdatum", lambda r: r["date"]),
    ("Activity Name", "Name der Aktivität", lambda r: r["name"]),
    ("Activity Type", "Aktivitätsart", lambda r: r["type"]),
    ("Activity Description", "Aktivitätsbeschreibung", lambda r: r["description"]),
    ("Elapsed Time", "Verstrichene Zeit", lambda r: str(round(r["run"].elapsed_s))),
    ("Distance", "Distanz", lambda r: r["short_distance"]),
    ("Max Heart Rate", "Max. Herzfrequenz", lambda r: _f1(r["run"].max_heart_rate)),
    ("Relative Effort", "Relative Anstrengung", lambda r: _f1(r["effort"])),
    ("Commute", "Pendeln", lambda r: "false"),
    ("Activity Private Note", "Private Notiz zur Aktivität", lambda r: ""),
    ("Activity Gear", "Aktivitätsausrüstung", lambda r: r["gear"]),
    ("Filename", "Dateiname", lambda r: r["filename"]),
    ("Athlete Weight", "Sportlergewicht", lambda r: "70.0"),
    ("Bike Weight", "Fahrradgewicht", lambda r: "8.2" if r["run"].sport == "cycling" else ""),
    ("Elapsed Time", "Verstrichene Zeit", lambda r: _f1(r["run"].elapsed_s)),
    ("Moving Time", "Bewegungszeit", lambda r: _f1(r["run"].moving_s)),
    ("Distance", "Distanz", lambda r: _f1(round(r["run"].distance_m, 1))),
    ("Max Speed", "Max. Geschwindigkeit", lambda r: _f1(r["max_speed"])),
    ("Average Speed", "Durchschnittsgeschwindigkeit", lambda r: _f1(r["avg_speed"])),
    ("Elevation Gain", "Höhenzunahme", lambda r: _f1(round(r["run"].ascent_m, 1))),
    ("Elevation Loss", "Höhenverlust", lambda r: _f1(round(r["run"].descent_m, 1))),
    ("Elevation Low", "Niedrigster Höhenwert", lambda r: _f1(r["ele_low"])),
    ("Elevation High", "Höchster Höhenwert", lambda r: _f1(r["ele_high"])),
    ("Max Grade", "Max. Steigung", lambda r: ""),
    ("Average Grade", "Durchschnittliche Steigung", lambda r: "0.0"),
    # Strava keeps run cadence per foot (about 86 for 172 spm), as the watch sends it.
    ("Max Cadence", "Max. Trittfrequenz", lambda r: _f1(r["max_cadence"])),
    ("Average Cadence", "Durchschnittliche Trittfrequenz", lambda r: _f1(r["avg_cadence"])),
    ("Max Heart Rate", "Max. Herzfrequenz", lambda r: _f1(r["run"].max_heart_rate)),
    ("Average Heart Rate", "Durchschnittliche Herzfrequenz", lambda r: _f1(r["avg_hr"])),
    ("Max Watts", "Max. Watt", lambda r: ""),
    ("Average Watts", "Durchschnittliche Watt", lambda r: ""),
    ("Calories", "Kalorien", lambda r: _f1(r["calories"])),
    ("Relative Effort", "Relative Anstrengung", lambda r: _f1(r["effort"])),
    ("Total Work", "Gesamtarbeit", lambda r: ""),
    ("Perceived Exertion", "Wahrgenommene Anstrengung", lambda r: ""),
    ("Type", "Typ", lambda r: ""),
    ("Start Time", "Startzeit", lambda r: ""),
    ("Commute", "Pendeln", lambda r: "0.0"),
    ("From Upload", "Von Upload", lambda r: "1.0"),
    ("Grade Adjusted Distance", "Steigungsbereinigte Distanz", lambda r: ""),
    (
        "Average Elapsed Speed",
        "Durchschnittliche Gesamtgeschwindigkeit",
        lambda r: _f1(r["elapsed_speed"]),
    ),
    ("Timer Time", "Timer-Zeit", lambda r: ""),
    ("Media", "Medien", lambda r: ""),
]


def _f1(value: float | int | None) -> str:
    """Strava's numbers in the second block: a float, at least one decimal; blank for none."""
    if value is None:
        return ""
    return repr(float(value)) if float(value) != int(value) else f"{float(value):.1f}"


def _strava_date(t: datetime, language: str) -> str:
    t = t.astimezone(UTC)
    if language == "de":
        return t.strftime("%d.%m.%Y, %H:%M:%S")
    hour = t.hour % 12 or 12
    half = "AM" if t.hour < 12 else "PM"
    return f"{_MONTHS[t.month - 1]} {t.day}, {t.year}, {hour}:{t:%M:%S} {half}"


def _strava_row(activity_id: int, run: Run, fmt: str, language: str, first: bool) -> _Row:
    types = _STRAVA_TYPES[language]
    km = run.distance_m / 1000
    if run.sport == "swimming":  # swims show metres there, with a thousands separator
        short = f"{round(run.distance_m):,}"
        short = short.replace(",", ".") if language == "de" else short
    else:
        short = f"{km:.2f}".replace(".", ",") if language == "de" else f"{km:.2f}"
    if language == "de":
        name = {"Lauf": "Lauf am Morgen", "Radfahrt": "Radfahrt am Morgen"}.get(
            types.get(run.sport, ""), "Aktivität am Morgen"
        )
    else:
        name = _activity_name(run)
    altitudes = [p.altitude for p in run.points if p.altitude is not None]
    cad = [p.cadence for p in run.points if p.cadence]
    per_foot = 0.5 if run.sport == "running" else 1.0
    avg_hr = _mean([float(p.heart_rate) for p in run.points if p.heart_rate is not None])
    effort = None
    if avg_hr is not None:
        effort = round(run.moving_s / 60 * max(0.0, avg_hr - 90) / 40)
    return {
        "id": activity_id,
        "run": run,
        "date": _strava_date(run.points[0].time, language),
        "name": name,
        "type": types.get(run.sport, "Workout"),
        # The first row gets the quirks a CSV reader must survive: comma, newline, quotes.
        "description": 'Hills, then coffee.\nLegs felt "heavy", calves tight.' if first else "",
        "short_distance": short,
        "effort": effort,
        "gear": "Trek Domane" if run.sport == "cycling" else "Pegasus 41",
        "filename": f"activities/{activity_id}.{fmt}.gz",
        "max_speed": round(max((p.speed or 0.0) for p in run.points), 3),
        "avg_speed": round(run.distance_m / run.moving_s, 3) if run.moving_s else None,
        "elapsed_speed": round(run.distance_m / run.elapsed_s, 3) if run.elapsed_s else None,
        "ele_low": min(altitudes) if altitudes else None,
        "ele_high": max(altitudes) if altitudes else None,
        "max_cadence": max(cad) * per_foot if cad else None,
        "avg_cadence": round(sum(cad) / len(cad) * per_foot, 1) if cad else None,
        "avg_hr": round(avg_hr, 1) if avg_hr is not None else None,
        "calories": _calories(run, run.distance_m),
    }


def strava_activities_csv(activities: list[tuple[int, Run, str]], language: str = "en") -> bytes:
    """The activities.csv of a Strava export (UTF-8 with a byte-order mark, CRLF lines)."""
    if language not in _STRAVA_TYPES:
        raise ValueError(f"language must be one of {sorted(_STRAVA_TYPES)}")
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow([de if language == "de" else en for en, de, _ in _COLUMNS])
    for n, (activity_id, run, fmt) in enumerate(activities):
        row = _strava_row(activity_id, run, fmt, language, first=n == 0)
        writer.writerow([value(row) for _, _, value in _COLUMNS])
    return buf.getvalue().encode("utf-8-sig")


def strava_export(
    target: Path,
    activities: list[tuple[int, Run, str]],
    *,
    as_zip: bool = True,
    language: str = "en",
) -> Path:
    """What Strava's "download your data" gives, as a zip at target (or, as_zip=False, the same
    tree in the folder target): activities.csv, activities/<id>.fit.gz|.gpx.gz|.tcx.gz (the str
    of each tuple is "fit", "gpx" or "tcx"), profile.csv, shoes.csv and an empty media/.
    """
    members: dict[str, bytes | None] = {}  # None: a folder
    members["activities.csv"] = strava_activities_csv(activities, language)
    members["profile.csv"] = (
        "\ufeffAthlete ID,Email Address,First Name,Last Name,Sex,Description,Weight,City,"
        "State,Country,Health Consent Status,Date of Health Consent Status\r\n"
        "98765432,runner@example.com,Robin,Runner,F,,70.0,Calgary,Alberta,Canada,consented,"
        '"Jan 2, 2026, 9:00:00 AM"\r\n'
    ).encode()
    members["shoes.csv"] = (
        "\ufeffShoe Name,Shoe Brand,Shoe Model,Shoe Default Sport Types\r\n".encode()
    )
    members["media/"] = None
    for activity_id, run, fmt in activities:
        if fmt not in ("fit", "gpx", "tcx"):
            raise ValueError(f"format must be fit, gpx or tcx, not {fmt!r}")
        members[f"activities/{activity_id}.{fmt}.gz"] = _encode(run, fmt, gzip=True)
    return _lay_out(Path(target), members, as_zip)


def _encode(run: Run, fmt: str, *, gzip: bool = False) -> bytes:
    encoders: dict[str, Callable[[Run], bytes]] = {
        "fit": fit_bytes,
        "gpx": gpx_bytes,
        "tcx": tcx_bytes,
    }
    data = encoders[fmt](run)
    return gzip_module.compress(data, mtime=0) if gzip else data


def _lay_out(target: Path, members: dict[str, bytes | None], as_zip: bool) -> Path:
    if as_zip:
        target.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as z:
            for name, data in members.items():
                if data is None:
                    z.writestr(zipfile.ZipInfo(name), b"")  # a trailing "/" makes it a folder
                else:
                    z.writestr(name, data)
        return target
    for name, data in members.items():
        where = target / name
        if data is None:
            where.mkdir(parents=True, exist_ok=True)
        else:
            where.parent.mkdir(parents=True, exist_ok=True)
            where.write_bytes(data)
    return target


# --------------------------------------------------------------------------------------------
# Garmin's account export and a watch as a drive


def garmin_export(target: Path, runs: list[Run], *, user: str = GARMIN_USER) -> Path:
    """A Garmin account export zip at target: zips inside the zip.

    DI_CONNECT/DI-Connect-Uploaded-Files/UploadedFiles_0-_Part1.zip holds
    `<user>_<activityid>.fit` (ids GARMIN_FIRST_ACTIVITY_ID, +1, ...), and beside it
    DI_CONNECT/DI-Connect-Fitness/<user>_0_summarizedActivities.json and
    DI_CONNECT/DI-Connect-User/user_profile.json. The summaries use Garmin's units: distance and
    elevation in centimetres, durations in milliseconds, times as Unix milliseconds.
    """
    inner = io.BytesIO()
    summaries = []
    with zipfile.ZipFile(inner, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for n, run in enumerate(runs):
            activity_id = GARMIN_FIRST_ACTIVITY_ID + n
            z.writestr(f"{user}_{activity_id}.fit", _encode(run, "fit"))
            summaries.append(_garmin_summary(activity_id, run))
    fitness = [{"summarizedActivitiesExport": summaries}]
    profile = {"userName": user, "firstName": "Robin", "lastName": "Runner", "gender": "FEMALE"}
    members: dict[str, bytes | None] = {
        "DI_CONNECT/DI-Connect-Uploaded-Files/UploadedFiles_0-_Part1.zip": inner.getvalue(),
        f"DI_CONNECT/DI-Connect-Fitness/{user}_0_summarizedActivities.json": json.dumps(
            fitness, indent=1
        ).encode(),
        "DI_CONNECT/DI-Connect-User/user_profile.json": json.dumps(profile).encode(),
        "DI_CONNECT/DI-Connect-Wellness/": None,
    }
    return _lay_out(Path(target), members, as_zip=True)


def _garmin_summary(activity_id: int, run: Run) -> dict[str, Any]:
    start_ms = int(run.points[0].time.timestamp()) * 1000
    kind = {"cycling": "road_biking", "swimming": "lap_swimming"}.get(run.sport, "running")
    if run.sub_sport == "treadmill":
        kind = "treadmill_running"
    summary: dict[str, Any] = {
        "activityId": activity_id,
        "name": _activity_name(run),
        "activityType": kind,
        "sportType": run.sport.upper(),
        "userProfileId": 98765432,
        "beginTimestamp": start_ms,
        "startTimeGmt": start_ms,
        "startTimeLocal": start_ms,  # the wearer's zone is UTC here
        "duration": run.elapsed_s * 1000,
        "elapsedDuration": run.elapsed_s * 1000,
        "movingDuration": run.moving_s * 1000,
        "distance": round(run.distance_m * 100, 1),
        "elevationGain": round(run.ascent_m * 100, 1),
        "elevationLoss": round(run.descent_m * 100, 1),
        "avgHr": run.avg_heart_rate,
        "maxHr": run.max_heart_rate,
        "calories": _calories(run, run.distance_m),
        "manufacturer": "GARMIN",
    }
    if run.points[0].lat is not None:
        summary["startLatitude"] = run.points[0].lat
        summary["startLongitude"] = run.points[0].lon
    if run.avg_cadence_spm is not None:
        key = "avgRunCadence" if run.sport == "running" else "avgBikeCadence"
        summary[key] = round(run.avg_cadence_spm, 1)
    return summary


def watch_drive(folder: Path, runs: list[Run]) -> Path:
    """A Garmin watch plugged in as a drive, at folder: GARMIN/Activity/<YYYY-MM-DD-HH-MM-SS>.fit
    for each run (named by its UTC start), GARMIN/Monitor/<name>.FIT (a wellness file, FIT type
    monitoring_b, not an activity), GARMIN/Settings/Settings.fit (type settings),
    GARMIN/GarminDevice.xml and an empty GARMIN/Sports."""
    folder = Path(folder)
    garmin = folder / "GARMIN"
    names = [f"{run.points[0].time.astimezone(UTC):%Y-%m-%d-%H-%M-%S}.fit" for run in runs]
    if len(set(names)) != len(names):
        raise ValueError("two runs start in the same second: a watch cannot hold both")
    for run, name in zip(runs, names, strict=True):
        write_fit(garmin / "Activity" / name, run)
    day = (runs[0].points[0].time if runs else START).replace(hour=0, minute=0, second=0)
    (garmin / "Monitor").mkdir(parents=True, exist_ok=True)
    (garmin / "Monitor" / "B3T10000.FIT").write_bytes(_monitoring_fit(day))
    (garmin / "Settings").mkdir(parents=True, exist_ok=True)
    (garmin / "Settings" / "Settings.fit").write_bytes(_settings_fit(day))
    (garmin / "Sports").mkdir(parents=True, exist_ok=True)
    (garmin / "GarminDevice.xml").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<Device xmlns="http://www.garmin.com/xmlschemas/GarminDevice/v2">\n'
        "  <Model><PartNumber>006-B4315-00</PartNumber><Description>Forerunner 965"
        "</Description></Model>\n"
        "  <Id>3456789012</Id>\n"
        "</Device>\n",
        encoding="utf-8",
    )
    return folder


# --------------------------------------------------------------------------------------------
# Zip hazards


def zip_with_traversal(path: Path, run: Run | None = None) -> Path:
    """A zip with a harmless member "ok.fit" and one named "../../evil.fit" that would land two
    folders above wherever a careless reader extracts it."""
    data = _encode(run or tiny(), "fit")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("ok.fit", data)
        z.writestr(zipfile.ZipInfo("../../evil.fit"), data)  # ZipInfo keeps the name as given
    return path


def nested_zip(path: Path, depth: int, run: Run | None = None) -> Path:
    """Zips inside zips: path is layer 1; layer n holds "layer<n+1>.zip", and the last layer
    (depth) holds "run.fit"."""
    if depth < 1:
        raise ValueError("depth must be at least 1")
    name, data = "run.fit", _encode(run or tiny(), "fit")
    for layer in range(depth, 0, -1):
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as z:
            z.writestr(name, data)
        name, data = f"layer{layer}.zip", buf.getvalue()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def zip_bomb(path: Path, size: int = 1 << 30, name: str = "activity.fit") -> Path:
    """A zip whose one member, name, inflates to size bytes of zeros (1 GiB by default) from about
    a thousandth of that, written a block at a time so building it needs no memory to speak of.

    One mebibyte of zeros is deflated once and ended with a full flush, which makes the block
    independent of what came before; the stream is that block repeated, then a final block.
    """
    if not 0 < size < 1 << 32:
        raise ValueError("size must fit a plain (not zip64) zip entry")
    chunk = 1 << 20
    full, rest = divmod(size, chunk)
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = c.compress(bytes(chunk)) + c.flush(zlib.Z_FULL_FLUSH)
    tail_c = zlib.compressobj(9, zlib.DEFLATED, -15)
    tail = tail_c.compress(bytes(rest)) + tail_c.flush(zlib.Z_FINISH)
    crc = 0
    zeros = bytes(chunk)
    for _ in range(full):
        crc = zlib.crc32(zeros, crc)
    crc = zlib.crc32(bytes(rest), crc)
    packed = len(block) * full + len(tail)
    encoded_name = name.encode()
    dos_time, dos_date = (7 << 11) | (30 << 5), ((2026 - 1980) << 9) | (11 << 5) | 29
    local = struct.pack(
        "<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, dos_time, dos_date, crc, packed, size,
        len(encoded_name), 0,
    )  # fmt: skip
    central = struct.pack(
        "<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, dos_time, dos_date, crc, packed, size,
        len(encoded_name), 0, 0, 0, 0, 0, 0,
    )  # fmt: skip
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as f:
        f.write(local + encoded_name)
        for _ in range(full):
            f.write(block)
        f.write(tail)
        central_at = f.tell()
        f.write(central + encoded_name)
        central_size = f.tell() - central_at
        f.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 1, 1, central_size, central_at, 0))
    return path
