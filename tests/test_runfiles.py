"""runfiles makes what it promises: runs whose truth holds, and files that the reference readers
(fitdecode with CRC checks, gpxpy, defusedxml, zipfile, csv) read back to the same numbers."""

from __future__ import annotations

import csv
import dataclasses
import gzip
import io
import json
import math
import warnings
import zipfile
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import cache
from itertools import pairwise
from pathlib import Path
from typing import Any

import fitdecode
import gpxpy
import gpxpy.gpx
import pytest
from defusedxml import ElementTree as SafeET

import runfiles as rf

# Generating is cheap; writing and reading FIT is not, so each run and each file is made once.
RUNS: dict[str, Callable[[], rf.Run]] = {
    name: cache(getattr(rf, name))
    for name in (
        "hilly_16k", "easy_5k", "treadmill", "ride", "three_hours", "paused", "auto_paused", "tiny",
    )
}  # fmt: skip
TCX = f"{{{rf.TCX_NS}}}"
AX = f"{{{rf.TCX_AX_NS}}}"
TPX = "{http://www.garmin.com/xmlschemas/TrackPointExtension/v1}"


@pytest.fixture(scope="session")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("runfiles")


@cache
def _fit_file(folder: Path, name: str, **options: Any) -> Path:
    tag = "-".join(f"{k}={v}" for k, v in sorted(options.items()))
    return rf.write_fit(folder / f"{name}{tag}.fit", RUNS[name](), **options)


def fit_file(folder: Path, name: str, **options: Any) -> Path:
    return _fit_file(folder, name, **options)


def read_fit(
    source: Path | bytes,
    error_handling: fitdecode.ErrorHandling = fitdecode.ErrorHandling.RAISE,
) -> list[fitdecode.FitDataMessage]:
    fileish = io.BytesIO(source) if isinstance(source, bytes) else source
    with fitdecode.FitReader(
        fileish, check_crc=fitdecode.CrcCheck.RAISE, error_handling=error_handling
    ) as reader:
        return [f for f in reader if isinstance(f, fitdecode.FitDataMessage)]


def named(messages: list[fitdecode.FitDataMessage], name: str) -> list[fitdecode.FitDataMessage]:
    return [m for m in messages if m.name == name]


def semicircles(degrees: float) -> int:
    return round(degrees * 2**31 / 180)


# --------------------------------------------------------------------------------------------
# Generators


def test_runs_are_deterministic_and_at_one_second() -> None:
    assert rf.easy_5k() == RUNS["easy_5k"]()
    for name in ("hilly_16k", "easy_5k", "treadmill", "ride", "three_hours", "paused"):
        run = RUNS[name]()
        steps = {(b.time - a.time).total_seconds() for a, b in pairwise(run.points)}
        assert steps == {1.0}, name
        assert run.points[0].time == rf.START and run.points[0].time.tzinfo is UTC
        assert run.elapsed_s == (run.points[-1].time - run.points[0].time).total_seconds()
        distances = [p.distance or 0.0 for p in run.points]
        assert distances == sorted(distances), name
        assert distances[-1] == pytest.approx(run.distance_m, rel=0.01), name


def test_hilly_16k_truth() -> None:
    run = RUNS["hilly_16k"]()
    assert (run.sport, run.sub_sport) == ("running", "road")
    assert run.distance_m == 16_100.0
    assert 85 * 60 < run.elapsed_s < 95 * 60 and run.moving_s == run.elapsed_s
    assert run.ascent_m == pytest.approx(260, abs=3) and run.descent_m == pytest.approx(260, abs=3)
    assert 147 <= (run.avg_heart_rate or 0) <= 153 and 158 <= (run.max_heart_rate or 0) <= 168
    assert run.points[0].heart_rate == pytest.approx(130, abs=3)
    assert 170 <= (run.avg_cadence_spm or 0) <= 176
    # The recorded altitude is noisy: summing its rises naively overstates the climb many times.
    alts = [p.altitude or 0.0 for p in run.points]
    naive = sum(max(0.0, b - a) for a, b in pairwise(alts))
    assert naive > 5 * run.ascent_m
    lats = [p.lat or 0.0 for p in run.points]
    assert min(lats) > 51.0 and max(lats) < 51.1


def test_other_runs_truth() -> None:
    easy = RUNS["easy_5k"]()
    assert easy.distance_m == 5000 and 28 * 60 < easy.elapsed_s < 32 * 60
    assert 132 <= (easy.avg_heart_rate or 0) <= 138 and 141 <= (easy.max_heart_rate or 0) <= 148
    assert easy.avg_cadence_spm == pytest.approx(168, abs=1)

    mill = RUNS["treadmill"]()
    assert mill.sub_sport == "treadmill" and mill.distance_m == 8000
    assert mill.elapsed_s == pytest.approx(45 * 60, abs=5)
    assert all(p.lat is None and p.lon is None and p.altitude is None for p in mill.points)
    assert all(p.distance is not None and p.speed is not None for p in mill.points)
    assert mill.ascent_m == 0 and mill.avg_cadence_spm == pytest.approx(174, abs=1)

    ride = RUNS["ride"]()
    assert ride.sport == "cycling" and ride.distance_m == 40_000
    assert ride.elapsed_s == pytest.approx(80 * 60, rel=0.05)
    assert 80 <= (ride.avg_cadence_spm or 0) <= 95  # rpm for a ride

    long = RUNS["three_hours"]()
    assert len(long.points) == 10_800 and long.elapsed_s == 10_799
    assert long.distance_m == pytest.approx(30_000, rel=0.05)


def test_paused_and_auto_paused() -> None:
    stay, auto = RUNS["paused"](), RUNS["auto_paused"]()
    for run in (stay, auto):
        assert run.distance_m == 10_000
        assert run.moving_s == run.elapsed_s - 300
    assert stay.elapsed_s == auto.elapsed_s
    assert len(stay.points) - len(auto.points) == 299
    gaps = [(a, b) for a, b in pairwise(auto.points) if (b.time - a.time).total_seconds() > 1]
    assert len(gaps) == 1
    before, after = gaps[0]
    assert (after.time - before.time).total_seconds() == 300
    assert before.distance == after.distance  # stood still
    assert (before.heart_rate or 0) - (after.heart_rate or 0) > 20  # and HR fell meanwhile
    standing = [p for p in stay.points if before.time < p.time < after.time]
    assert len(standing) == 299
    assert all((p.speed or 0) < 0.2 and p.cadence == 0 for p in standing)
    assert len({(p.lat, p.lon) for p in standing}) > 250  # GPS wanders on the spot


def test_start_is_kept_and_must_be_aware() -> None:
    other = datetime(2027, 3, 1, 18, 5, tzinfo=UTC)
    assert rf.tiny(start=other).points[0].time == other
    with pytest.raises(ValueError):
        rf.tiny(start=datetime(2027, 3, 1, 18, 5))


# --------------------------------------------------------------------------------------------
# FIT


@pytest.mark.parametrize("name", ["hilly_16k", "treadmill", "ride", "paused", "auto_paused"])
def test_fit_reads_back_the_run(out: Path, name: str) -> None:
    run = RUNS[name]()
    messages = read_fit(fit_file(out, name))
    file_id = named(messages, "file_id")[0]
    assert file_id.get_value("type") == "activity" and file_id.get_value("manufacturer") == "garmin"
    assert file_id.get_value("time_created") == run.points[0].time
    records = named(messages, "record")
    assert len(records) == len(run.points)
    running = run.sport == "running"
    for p, r in zip(run.points, records, strict=True):
        assert r.get_value("timestamp") == p.time
        if p.lat is None:
            assert not r.has_field("position_lat") and not r.has_field("enhanced_altitude")
        else:
            assert r.get_value("position_lat") == semicircles(p.lat)
            assert r.get_value("position_long") == semicircles(p.lon or 0.0)
            assert r.get_value("enhanced_altitude") == pytest.approx(p.altitude, abs=1e-6)
        assert r.get_value("distance") == pytest.approx(p.distance, abs=1e-6)
        assert r.get_value("enhanced_speed") == pytest.approx(p.speed, abs=1e-6)
        assert r.get_value("heart_rate") == p.heart_rate
        if running:
            cadence = 2 * (r.get_value("cadence") + r.get_value("fractional_cadence"))
        else:
            cadence = r.get_value("cadence")
        assert cadence == p.cadence

    (session,) = named(messages, "session")
    gap = 300.0 if name == "auto_paused" else 0.0
    assert session.get_value("sport") == run.sport
    sub_sport = {"hilly_16k": "street", "treadmill": "treadmill", "ride": "road"}  # FIT's names
    assert session.get_value("sub_sport") == sub_sport.get(name, "generic")
    assert session.get_value("total_elapsed_time") == run.elapsed_s
    assert session.get_value("total_timer_time") == run.elapsed_s - gap
    assert session.get_value("total_moving_time") == run.moving_s
    assert session.get_value("total_distance") == pytest.approx(run.distance_m, rel=0.01)
    assert session.get_value("total_ascent") == round(run.ascent_m)
    assert session.get_value("total_descent") == round(run.descent_m)
    assert session.get_value("avg_heart_rate") == run.avg_heart_rate
    assert session.get_value("max_heart_rate") == run.max_heart_rate
    # fitdecode names the running form of avg_cadence after its sub-field.
    whole = session.get_value("avg_running_cadence" if running else "avg_cadence")
    fraction = session.get_value("avg_fractional_cadence", fallback=0.0)
    average = (whole + fraction) * (2 if running else 1)
    assert average == pytest.approx(run.avg_cadence_spm, abs=0.02)

    laps = named(messages, "lap")
    kilometres = math.ceil((run.points[-1].distance or 0) / 1000)
    assert session.get_value("num_laps") == len(laps) == kilometres
    lap_distance = sum(lap.get_value("total_distance") for lap in laps)
    assert lap_distance == pytest.approx(session.get_value("total_distance"), abs=0.05)
    assert sum(lap.get_value("total_elapsed_time") for lap in laps) == run.elapsed_s
    timer_events = [m.get_value("event_type") for m in named(messages, "event")]
    assert timer_events == (["start", "stop_all"] * (2 if gap else 1))
    assert named(messages, "activity")[0].get_value("num_sessions") == 1


def test_fit_three_hours(out: Path) -> None:
    messages = read_fit(fit_file(out, "three_hours"))
    assert len(named(messages, "record")) == 10_800
    assert named(messages, "session")[0].get_value("total_elapsed_time") == 10_799


def test_fit_legacy_and_both_altitude_speed(out: Path) -> None:
    legacy = fit_file(out, "tiny", altitude_speed="legacy")
    with fitdecode.FitReader(legacy, check_crc=fitdecode.CrcCheck.RAISE) as reader:
        layouts = [f for f in reader if isinstance(f, fitdecode.FitDefinitionMessage)]
    record_fields = {fd.def_num for d in layouts if d.name == "record" for fd in d.field_defs}
    assert {2, 6} <= record_fields and not {73, 78} & record_fields  # altitude, speed only
    run = RUNS["tiny"]()
    for options in ({"altitude_speed": "legacy"}, {"altitude_speed": "both"}):
        records = named(read_fit(fit_file(out, "tiny", **options)), "record")
        assert [r.get_value("altitude") for r in records] == pytest.approx(
            [p.altitude for p in run.points]
        )
        # fitdecode expands altitude into enhanced_altitude too, so both names answer.
        assert records[5].get_value("enhanced_altitude") == pytest.approx(run.points[5].altitude)
        assert records[5].get_value("speed") == pytest.approx(run.points[5].speed)


def test_fit_developer_field(out: Path) -> None:
    run = RUNS["easy_5k"]()
    messages = read_fit(fit_file(out, "easy_5k", developer_field=True))
    (description,) = named(messages, "field_description")
    assert description.get_value("field_name") == rf.DEV_FIELD_NAME
    assert len(named(messages, "developer_data_id")) == 1
    records = named(messages, "record")
    assert [r.get_value(rf.DEV_FIELD_NAME) for r in records] == rf.developer_power(run)
    assert len(named(messages, "session")) == 1


def test_fit_developer_field_without_its_definition(out: Path) -> None:
    path = fit_file(out, "easy_5k", drop_developer_definition=True)
    run = RUNS["easy_5k"]()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        messages = read_fit(path, error_handling=fitdecode.ErrorHandling.WARN)
    assert any("dev_data_index 0 not defined" in str(w.message) for w in caught)
    assert not named(messages, "field_description") and not named(messages, "developer_data_id")
    records = named(messages, "record")
    assert len(records) == len(run.points)
    # Undescribed, the field comes out nameless as raw bytes (uint16 little-endian: lo, hi).
    unnamed = [f for f in records[0].fields if f.name is None]
    low, high = unnamed[0].value
    assert low + 256 * high == rf.developer_power(run)[0]
    assert len(read_fit(path, error_handling=fitdecode.ErrorHandling.IGNORE)) == len(messages)
    with pytest.raises(fitdecode.FitParseError):
        read_fit(path, error_handling=fitdecode.ErrorHandling.RAISE)


def test_fit_without_totals_and_with_one_lap(out: Path) -> None:
    messages = read_fit(fit_file(out, "tiny", totals=False))
    names = {m.name for m in messages}
    assert "record" in names and not {"lap", "session", "activity"} & names
    laps = named(read_fit(fit_file(out, "tiny", lap_every_m=None)), "lap")
    assert len(laps) == 1 and laps[0].get_value("lap_trigger") == "session_end"


def test_fit_gzip(out: Path) -> None:
    path = rf.write_fit(out / "tiny-gz.fit", RUNS["tiny"](), gzip=True)
    assert path.name == "tiny-gz.fit.gz"
    records = named(read_fit(gzip.decompress(path.read_bytes())), "record")
    assert len(records) == len(RUNS["tiny"]().points)
    again = rf.write_fit(out / "tiny-gz.fit.gz", RUNS["tiny"](), gzip=True)
    assert again == path  # no second .gz


def test_damaged_fit_fails_its_checks(out: Path) -> None:
    good = fit_file(out, "tiny")
    with pytest.raises(fitdecode.FitCRCError):
        read_fit(rf.corrupt_crc(good, out / "crc.fit"))
    with pytest.raises(fitdecode.FitCRCError):  # the records size is covered by the header CRC
        read_fit(rf.flip_byte(good, out / "header.fit", 4))
    with pytest.raises(fitdecode.FitCRCError):  # the low byte of the last record's heart rate
        read_fit(rf.flip_byte(good, out / "value.fit", _last_record_value_offset(good)))
    with pytest.raises(fitdecode.FitEOFError):  # cut short, it ends before its declared size
        read_fit(rf.truncated(good, out / "short.fit"))
    packed = rf.write_fit(out / "tiny-packed.fit", RUNS["tiny"](), gzip=True)
    with pytest.raises(EOFError):
        gzip.decompress(rf.truncated(packed, out / "short.fit.gz", 0.5).read_bytes())


def _last_record_value_offset(path: Path) -> int:
    """Where a value byte of the last record is: chosen from the file so it hits data."""
    with fitdecode.FitReader(path, keep_raw_chunks=True) as reader:
        last = [f for f in reader if isinstance(f, fitdecode.FitDataMessage) and f.name == "record"]
    chunk = last[-1].chunk
    return int(chunk.offset) + len(chunk.bytes) - 1


# --------------------------------------------------------------------------------------------
# GPX and TCX


def test_gpx_reads_back(out: Path) -> None:
    run = RUNS["hilly_16k"]()
    path = rf.write_gpx(out / "hilly.gpx", run)
    gpx = gpxpy.parse(path.read_text(encoding="utf-8"))
    (track,) = gpx.tracks
    assert track.type == "running" and len(track.segments) == 1
    points = track.segments[0].points
    assert len(points) == len(run.points)
    for p, g in zip(run.points, points, strict=True):
        assert (g.time, g.latitude, g.longitude, g.elevation) == (p.time, p.lat, p.lon, p.altitude)
        ext = {e.tag: e.text for e in g.extensions[0]}
        assert ext[f"{TPX}hr"] == str(p.heart_rate)
        assert ext[f"{TPX}cad"] == str(int((p.cadence or 0) // 2))  # per foot, whole strides


def test_gpx_ride_gzip_and_treadmill(out: Path) -> None:
    run = RUNS["tiny"]()
    ride = dataclasses.replace(run, sport="cycling", sub_sport="road")
    path = rf.write_gpx(out / "ride.gpx", ride, gzip=True)
    assert path.name == "ride.gpx.gz"
    gpx = gpxpy.parse(gzip.decompress(path.read_bytes()).decode())
    assert gpx.tracks[0].type == "cycling"
    first = gpx.tracks[0].segments[0].points[0]
    cad = {e.tag: e.text for e in first.extensions[0]}[f"{TPX}cad"]
    assert cad == str(int(run.points[0].cadence or 0))  # rpm as is
    with pytest.raises(ValueError):
        rf.write_gpx(out / "mill.gpx", RUNS["treadmill"]())
    cut = rf.truncated(rf.write_gpx(out / "tiny.gpx", run), out / "cut.gpx")
    with pytest.raises(gpxpy.gpx.GPXException):
        gpxpy.parse(cut.read_text(encoding="utf-8"))


# The schema's sequences, for the elements these files use.
LAP_ORDER = [
    "TotalTimeSeconds", "DistanceMeters", "MaximumSpeed", "Calories", "AverageHeartRateBpm",
    "MaximumHeartRateBpm", "Intensity", "Cadence", "TriggerMethod", "Track", "Notes", "Extensions",
]  # fmt: skip
TRACKPOINT_ORDER = [
    "Time", "Position", "AltitudeMeters", "DistanceMeters", "HeartRateBpm", "Cadence",
    "SensorState", "Extensions",
]  # fmt: skip


def _in_order(element: Any, order: list[str]) -> bool:
    positions = [order.index(child.tag.removeprefix(TCX)) for child in element]
    return positions == sorted(positions)


def _tcx(path: Path) -> Any:
    data = path.read_bytes()
    return SafeET.fromstring(gzip.decompress(data) if path.suffix == ".gz" else data)


def test_tcx_reads_back(out: Path) -> None:
    run = RUNS["auto_paused"]()
    root = _tcx(rf.write_tcx(out / "auto.tcx", run))
    (activity,) = root.iter(f"{TCX}Activity")
    assert activity.get("Sport") == "Running"
    assert activity.findtext(f"{TCX}Id") == "2026-11-29T07:30:00.000Z"
    laps = activity.findall(f"{TCX}Lap")
    assert len(laps) == math.ceil((run.points[-1].distance or 0) / 1000)
    points = list(root.iter(f"{TCX}Trackpoint"))
    assert len(points) == len(run.points)
    assert len(list(root.iter(f"{TCX}Track"))) == len(laps) + 1  # a new Track after the pause
    for lap in laps:
        assert lap.get("StartTime") and _in_order(lap, LAP_ORDER)
        assert lap.find(f"{TCX}Extensions/{AX}LX/{AX}AvgRunCadence") is not None
    total = sum(float(lap.findtext(f"{TCX}TotalTimeSeconds") or 0) for lap in laps)
    assert total == run.moving_s
    for p, tp in zip(run.points, points, strict=True):
        assert _in_order(tp, TRACKPOINT_ORDER)
        assert tp.findtext(f"{TCX}Time") == p.time.strftime("%Y-%m-%dT%H:%M:%S.000Z")
        assert float(tp.findtext(f"{TCX}Position/{TCX}LatitudeDegrees") or 0) == p.lat
        assert float(tp.findtext(f"{TCX}AltitudeMeters") or 0) == p.altitude
        assert float(tp.findtext(f"{TCX}DistanceMeters") or 0) == p.distance
        assert tp.findtext(f"{TCX}HeartRateBpm/{TCX}Value") == str(p.heart_rate)
        tpx = tp.find(f"{TCX}Extensions/{AX}TPX")
        assert float(tpx.findtext(f"{AX}Speed")) == p.speed
        assert tpx.findtext(f"{AX}RunCadence") == str(int((p.cadence or 0) // 2))


def test_tcx_treadmill_ride_and_damage(out: Path) -> None:
    mill = RUNS["treadmill"]()
    root = _tcx(rf.write_tcx(out / "mill.tcx.gz", mill, gzip=True))
    points = list(root.iter(f"{TCX}Trackpoint"))
    assert len(points) == len(mill.points)
    assert not list(root.iter(f"{TCX}Position")) and not list(root.iter(f"{TCX}AltitudeMeters"))
    assert all(tp.find(f"{TCX}DistanceMeters") is not None for tp in points)

    ride = dataclasses.replace(RUNS["tiny"](), sport="cycling", sub_sport="road")
    root = _tcx(rf.write_tcx(out / "ride.tcx", ride, lap_every_m=None))
    assert next(root.iter(f"{TCX}Activity")).get("Sport") == "Biking"
    (lap,) = root.iter(f"{TCX}Lap")
    assert lap.findtext(f"{TCX}TriggerMethod") == "Manual" and _in_order(lap, LAP_ORDER)
    first = next(root.iter(f"{TCX}Trackpoint"))
    assert first.findtext(f"{TCX}Cadence") == str(round(ride.points[0].cadence or 0))
    assert not list(root.iter(f"{AX}RunCadence"))

    cut = rf.truncated(out / "ride.tcx", out / "cut.tcx")
    with pytest.raises(SafeET.ParseError):
        _tcx(cut)


# --------------------------------------------------------------------------------------------
# Bundles


def _strava_activities() -> list[tuple[int, rf.Run, str]]:
    tiny = RUNS["tiny"]()
    later = rf.tiny(start=rf.START + timedelta(days=1, hours=10))  # 17:30, an afternoon
    ride = dataclasses.replace(later, sport="cycling", sub_sport="road")
    return [(101, tiny, "fit"), (102, ride, "gpx"), (103, RUNS["tiny"](), "tcx")]


def _csv_rows(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")  # Strava's byte-order mark
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_strava_export_zip(out: Path) -> None:
    activities = _strava_activities()
    path = rf.strava_export(out / "export_98765432.zip", activities)
    with zipfile.ZipFile(path) as z:
        names = set(z.namelist())
        expected = {"activities.csv", "profile.csv", "media/"}
        expected |= {f"activities/{i}.{fmt}.gz" for i, _, fmt in activities}
        assert expected <= names
        header, *rows = _csv_rows(z.read("activities.csv"))
        counts = Counter(header)
        for twice in ("Elapsed Time", "Distance", "Max Heart Rate", "Relative Effort", "Commute"):
            assert counts[twice] == 2, twice
        assert len(rows) == 3 and all(len(row) == len(header) for row in rows)
        column = {name: header.index(name) for name in header}  # the first of each name
        assert [row[column["Activity Type"]] for row in rows] == ["Run", "Ride", "Run"]
        assert rows[0][column["Activity Date"]] == "Nov 29, 2026, 7:30:00 AM"
        assert rows[1][column["Activity Date"]] == "Nov 30, 2026, 5:30:00 PM"
        assert "\n" in rows[0][column["Activity Description"]]  # quoted, survives the reader
        assert rows[0][column["Distance"]] == f"{activities[0][1].distance_m / 1000:.2f}"
        second_distance = len(header) - 1 - header[::-1].index("Distance")
        assert float(rows[0][second_distance]) == pytest.approx(activities[0][1].distance_m, 0.1)
        files = [row[column["Filename"]] for row in rows]
        assert files == [f"activities/{i}.{fmt}.gz" for i, _, fmt in activities]
        assert len(named(read_fit(gzip.decompress(z.read(files[0]))), "record")) == 121
        assert gpxpy.parse(gzip.decompress(z.read(files[1])).decode()).tracks[0].type == "cycling"
        tcx = SafeET.fromstring(gzip.decompress(z.read(files[2])))
        assert len(list(tcx.iter(f"{TCX}Trackpoint"))) == 121


def test_strava_export_german_folder(out: Path) -> None:
    folder = rf.strava_export(out / "strava-de", _strava_activities(), as_zip=False, language="de")
    assert (folder / "media").is_dir() and (folder / "profile.csv").is_file()
    assert (folder / "activities" / "101.fit.gz").is_file()
    header, *rows = _csv_rows((folder / "activities.csv").read_bytes())
    for name in ("Aktivitäts-ID", "Aktivitätsdatum", "Name der Aktivität", "Aktivitätsart"):
        assert name in header
    column = {name: header.index(name) for name in header}
    assert [row[column["Aktivitätsart"]] for row in rows] == ["Lauf", "Radfahrt", "Lauf"]
    assert rows[0][column["Aktivitätsdatum"]] == "29.11.2026, 07:30:00"
    assert rows[0][column["Dateiname"]] == "activities/101.fit.gz"
    assert "," in rows[0][column["Distanz"]]  # a decimal comma in the first Distanz


def test_garmin_export(out: Path) -> None:
    runs = [RUNS["tiny"](), rf.tiny(start=rf.START + timedelta(days=2))]
    path = rf.garmin_export(out / "garmin.zip", runs)
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        inner_name = "DI_CONNECT/DI-Connect-Uploaded-Files/UploadedFiles_0-_Part1.zip"
        assert inner_name in names
        summary = f"DI_CONNECT/DI-Connect-Fitness/{rf.GARMIN_USER}_0_summarizedActivities.json"
        activities = json.loads(z.read(summary))[0]["summarizedActivitiesExport"]
        assert "DI_CONNECT/DI-Connect-User/user_profile.json" in names
        with zipfile.ZipFile(io.BytesIO(z.read(inner_name))) as inner:
            ids = [rf.GARMIN_FIRST_ACTIVITY_ID + n for n in range(2)]
            assert inner.namelist() == [f"{rf.GARMIN_USER}_{i}.fit" for i in ids]
            second = read_fit(inner.read(inner.namelist()[1]))
    assert [a["activityId"] for a in activities] == ids
    assert activities[0]["distance"] == pytest.approx(runs[0].distance_m * 100, abs=1)  # cm
    assert named(second, "session")[0].get_value("start_time") == runs[1].points[0].time


def test_watch_drive(out: Path) -> None:
    runs = [RUNS["tiny"](), rf.tiny(start=rf.START + timedelta(hours=9, seconds=7))]
    garmin = rf.watch_drive(out / "watch", runs) / "GARMIN"
    activities = sorted(p.name for p in (garmin / "Activity").iterdir())
    assert activities == ["2026-11-29-07-30-00.fit", "2026-11-29-16-30-07.fit"]
    assert len(named(read_fit(garmin / "Activity" / activities[1]), "record")) == 121
    (monitor,) = (garmin / "Monitor").iterdir()
    messages = read_fit(monitor)
    assert named(messages, "file_id")[0].get_value("type") == "monitoring_b"
    assert named(messages, "monitoring") and not named(messages, "record")
    assert (garmin / "Settings").is_dir() and (garmin / "GarminDevice.xml").is_file()
    with pytest.raises(ValueError):
        rf.watch_drive(out / "watch2", [runs[0], runs[0]])


def test_zip_hazards(out: Path) -> None:
    with zipfile.ZipFile(rf.zip_with_traversal(out / "evil.zip")) as z:
        assert z.namelist() == ["ok.fit", "../../evil.fit"]
        assert read_fit(z.read("../../evil.fit"))

    data = rf.nested_zip(out / "nested.zip", 3).read_bytes()
    for layer in (2, 3):
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            assert z.namelist() == [f"layer{layer}.zip"]
            data = z.read(f"layer{layer}.zip")
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert len(named(read_fit(z.read("run.fit")), "record")) == 121

    bomb = rf.zip_bomb(out / "bomb.zip")
    assert bomb.stat().st_size < 2 * 2**20
    with zipfile.ZipFile(bomb) as z:
        (info,) = z.infolist()
        assert info.file_size >= 2**30
        with z.open(info) as member:
            assert member.read(4 * 2**20) == bytes(4 * 2**20)
    # A small one read to the end: its stream and CRC are right (zipfile checks at EOF).
    small = rf.zip_bomb(out / "small.zip", size=3 * 2**20 + 5)
    with zipfile.ZipFile(small) as z:
        assert z.testzip() is None and z.read("activity.fit") == bytes(3 * 2**20 + 5)
