"""Reading the run just finished and advising the session after it, as a runner would check:
the figures a watch shows (against the truth the files were made from, and against the
reference readers), the session each kind of run gets and the line that says why, exports,
and every kind of bad file. The files are written by real encoders (tests/runfiles.py)."""

from __future__ import annotations

import contextlib
import gzip
import io
import itertools
import json
import os
import zipfile
from collections.abc import Callable
from functools import cache
from pathlib import Path

import fitdecode
import gpxpy
import pytest
from click.testing import Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import runfiles as rf
import unknot
from unknot.runs.formats import MAX_FILE_BYTES

WRITERS = {"fit": rf.write_fit, "gpx": rf.write_gpx, "tcx": rf.write_tcx}
KINDS = ("hilly_16k", "easy_5k", "treadmill", "ride", "paused", "auto_paused")


@cache
def made(kind: str) -> rf.Run:
    made_run: rf.Run = getattr(rf, kind)()
    return made_run


def written(folder: Path, kind: str, form: str, **options: object) -> Path:
    suffix = ".gz" if options.get("gzip") else ""
    return WRITERS[form](folder / f"{kind}.{form}{suffix}", made(kind), **options)  # type: ignore[operator]


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Path]:
    folder = tmp_path_factory.mktemp("runs")
    kept: dict[tuple[str, str, bool], Path] = {}

    def get(kind: str, form: str, gz: bool = False) -> Path:
        key = (kind, form, gz)
        if key not in kept:
            kept[key] = written(folder, kind, form, gzip=gz)
        return kept[key]

    return get


# -- the figures -------------------------------------------------------------------------------
CASES = [(k, f) for k in KINDS for f in WRITERS if not (k == "treadmill" and f == "gpx")]


@pytest.mark.parametrize(("kind", "form"), CASES)
def test_each_file_reads_to_the_figures_a_watch_shows(
    files: Callable[..., Path], kind: str, form: str
) -> None:
    truth = made(kind)
    read = unknot.read_run(files(kind, form))
    assert read.format == form.upper()
    assert read.sport == truth.sport
    assert read.treadmill == (truth.sub_sport == "treadmill")
    assert read.start is not None
    assert abs(read.start.timestamp() - truth.points[0].time.timestamp()) < 2
    assert read.distance_m == pytest.approx(truth.distance_m, rel=0.015)
    assert read.moving_s == pytest.approx(truth.moving_s, abs=max(30, 0.01 * truth.moving_s))
    assert read.elapsed_s == pytest.approx(truth.elapsed_s, abs=2)
    if truth.sub_sport == "treadmill":
        assert not read.ascent_m  # no altitude indoors: no climb made up
    else:
        assert read.ascent_m == pytest.approx(truth.ascent_m, rel=0.2, abs=8)
        assert read.descent_m == pytest.approx(truth.descent_m, rel=0.2, abs=8)
    assert read.heart_rate == pytest.approx(truth.avg_heart_rate, abs=2)
    assert read.cadence_spm == pytest.approx(truth.avg_cadence_spm, abs=2)
    if read.pace_s_per_km:
        true_pace = truth.moving_s / truth.distance_m * 1000
        assert read.pace_s_per_km == pytest.approx(true_pace, rel=0.02)


def test_a_fit_file_gives_the_devices_own_totals_as_fitdecode_reads_them(
    files: Callable[..., Path],
) -> None:
    path = files("hilly_16k", "fit")
    with fitdecode.FitReader(str(path), check_crc=fitdecode.CrcCheck.RAISE) as reader:
        session = next(
            f for f in reader if isinstance(f, fitdecode.FitDataMessage) and f.name == "session"
        )
    read = unknot.read_run(path)
    assert read.distance_m == pytest.approx(session.get_value("total_distance"))
    assert read.ascent_m == pytest.approx(session.get_value("total_ascent"))
    assert read.elapsed_s == pytest.approx(session.get_value("total_elapsed_time"))
    assert read.max_heart_rate == session.get_value("max_heart_rate")
    assert read.rules["distance"] == "the device" and read.rules["climbing"] == "the device"


def test_a_gpx_file_is_read_point_for_point_as_gpxpy_reads_it(files: Callable[..., Path]) -> None:
    path = files("hilly_16k", "gpx")
    parsed = gpxpy.parse(path.read_text())
    points = [p for t in parsed.tracks for s in t.segments for p in s.points]
    read = unknot.read_run(path)
    assert read.elapsed_s == (points[-1].time - points[0].time).total_seconds()
    # gpxpy's own 2D length sums every wobble of the fix; ours is the truth's, within 1.5 %
    assert read.distance_m == pytest.approx(made("hilly_16k").distance_m, rel=0.015)
    assert read.rules["climbing"].startswith("altitude smoothed over 15 s")


def test_raw_gps_altitude_is_not_summed_wobble_by_wobble(files: Callable[..., Path]) -> None:
    path = files("easy_5k", "gpx")
    parsed = gpxpy.parse(path.read_text())
    heights = [p.elevation for t in parsed.tracks for s in t.segments for p in s.points]
    raw = sum(max(0.0, b - a) for a, b in itertools.pairwise(heights))
    read = unknot.read_run(path)
    assert raw > 10 * made("easy_5k").ascent_m  # the noise a flat run carries
    assert read.ascent_m is not None and read.ascent_m < 3 * made("easy_5k").ascent_m + 5


@pytest.mark.parametrize("form", ["fit", "gpx", "tcx"])
def test_gzipped_files_and_misleading_names_are_told_by_content(
    files: Callable[..., Path], tmp_path: Path, form: str
) -> None:
    plain = unknot.read_run(files("hilly_16k", form))
    packed = files("hilly_16k", form, gz=True)
    misnamed = tmp_path / "activity.txt"
    misnamed.write_bytes(packed.read_bytes())
    for path in (packed, misnamed):
        read = unknot.read_run(path)
        assert read.format == form.upper() and read.distance_m == plain.distance_m


def test_heart_rate_zones_when_the_maximum_is_known(files: Callable[..., Path]) -> None:
    read = unknot.read_run(files("hilly_16k", "fit"), hr_max=190)
    assert read.zones_s is not None and len(read.zones_s) == 5
    assert sum(read.zones_s) == pytest.approx(made("hilly_16k").elapsed_s, rel=0.02)
    assert unknot.read_run(files("hilly_16k", "gpx")).zones_s is None  # no maximum, no zones


@pytest.mark.parametrize("drop", [False, True])
def test_developer_fields_with_or_without_their_definition(tmp_path: Path, drop: bool) -> None:
    path = rf.write_fit(
        tmp_path / "dev.fit", made("easy_5k"), developer_field=True, drop_developer_definition=drop
    )
    read = unknot.read_run(path)
    assert read.distance_m == pytest.approx(made("easy_5k").distance_m, rel=0.015)
    assert not read.notes


# -- what the run calls for ------------------------------------------------------------------
def test_a_long_hilly_run_gets_the_whole_sequence_weighted_to_what_hills_work(
    files: Callable[..., Path],
) -> None:
    read = unknot.read_run(files("hilly_16k", "fit"))
    advice = unknot.advise(read)
    assert advice.routine == "after-long-run" and advice.minutes is None
    assert {"calves", "hip-flexors", "quads"} <= set(advice.tight)
    rules = [rule for rule, _ in advice.reasons]
    assert rules[:2] == ["long", "hills"]
    plan = unknot.fit(unknot.routine(advice.routine), unknot.read_needs(**advice.choices()))
    written_poses = {e.name for e in unknot.expand(unknot.routine("after-long-run")).entries}
    assert written_poses - {"Plow"} <= {e.name for e in plan.timeline.entries}  # all of it
    plain = unknot.fit(unknot.routine("after-long-run"), unknot.read_needs())
    held = {(e.name, e.side): e.hold for e in plain.timeline.entries}
    lunge = next(e for e in plan.timeline.entries if e.name == "Downward-Facing Dog")
    assert lunge.hold > held[("Downward-Facing Dog", None)]  # calves: held longer


def test_a_short_easy_run_in_five_minutes_is_a_short_hips_session(
    files: Callable[..., Path],
) -> None:
    advice = unknot.advise(unknot.read_run(files("easy_5k", "gpx")), minutes=5)
    assert advice.reasons[0][0] == "short-easy" and "hips" in advice.tight
    plan = unknot.fit(unknot.routine(advice.routine), unknot.read_needs(**advice.choices()))
    assert plan.timeline.total <= 5 * 60
    areas = {a for e in plan.timeline.entries if e.pose for a in e.pose.areas}
    assert areas & {"glutes", "hip-flexors", "outer-hips", "groin"}


def test_a_hard_effort_gets_the_gentle_lying_down_session(files: Callable[..., Path]) -> None:
    read = unknot.read_run(files("hilly_16k", "fit"))
    assert read.heart_rate is not None
    advice = unknot.advise(read, hr_max=read.heart_rate / 0.88)
    assert advice.effort == "hard" and advice.routine == "easy-after-hard"
    assert advice.level == "beginner" and advice.reasons[0][0] == "hard"
    assert "long" not in [rule for rule, _ in advice.reasons]  # one kind of session, not two
    plan = unknot.fit(unknot.routine(advice.routine), unknot.read_needs(**advice.choices()))
    positions = {e.pose.position for e in plan.timeline.entries if e.pose}
    assert positions <= {"supine"}


def test_pace_against_the_runners_own_runs_says_how_hard(files: Callable[..., Path]) -> None:
    read = unknot.read_run(files("easy_5k", "fit"))
    pace = read.pace_s_per_km
    assert pace is not None
    slower = [read._replace(moving_s=read.moving_s * 1.15) for _ in range(3)]  # type: ignore[operator]
    assert unknot.advise(read, slower).effort == "hard"
    faster = [read._replace(moving_s=read.moving_s * 0.9) for _ in range(3)]  # type: ignore[operator]
    assert unknot.advise(read, faster).effort == "easy"
    assert unknot.advise(read, slower[:2]).effort == "unknown"  # too few to judge by


def test_a_ride_is_said_not_to_be_a_run_and_still_gets_a_session(
    files: Callable[..., Path],
) -> None:
    advice = unknot.advise(unknot.read_run(files("ride", "fit")))
    assert advice.reasons[0][0] == "not-a-run" and "not a run" in advice.reasons[0][1]
    assert advice.minutes == 10 and "foam-rolling" not in advice.extra  # no "pounding" on a bike


def test_the_rules_file_names_only_what_the_planner_knows() -> None:
    from unknot.runs.advice import rules

    vocab = unknot.vocabulary()
    for rule in rules()["rules"]:
        assert rule["why"] and rule["id"]
        if "routine" in rule:
            unknot.routine(rule["routine"])
        if "with" in rule:
            unknot.routine(rule["with"])
        unknot.read_needs(tight=[f"{a}:{w}" for a, w in (rule.get("tight") or {}).items()])
        assert set(rule.get("when") or {}) <= {
            "km", "moving_minutes", "climb_per_km", "climb_m", "descent_m", "effort", "sport",
        }  # fmt: skip
    assert vocab.levels


# -- the command -------------------------------------------------------------------------------
def test_unknot_after_says_what_and_why(
    run: Callable[..., Result], files: Callable[..., Path]
) -> None:
    result = run("after", str(files("hilly_16k", "fit")))
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "16.1 km" in out and "climbed 260 m" in out
    assert "the whole after-long-run sequence" in out
    assert "calves, hip flexors and quads" in out
    assert "Savasana" in out
    short = run("after", str(files("easy_5k", "gpx")), "--minutes", "5")
    assert short.exit_code == 0 and "a few minutes for the hips" in short.stdout
    assert "Total 4:" in short.stdout or "Total 5:00" in short.stdout


def test_after_go_records_the_session_with_its_run(
    run: Callable[..., Result], files: Callable[..., Path]
) -> None:
    result = run(
        "after", str(files("easy_5k", "fit")), "--minutes", "3", "--go", "--speed", "500",
        "--voice", "none",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    sessions = json.loads(run("history", "--json").stdout)
    assert len(sessions) == 1 and sessions[0]["run"]["distance_m"] == pytest.approx(5000, rel=0.01)
    listed = run("history").stdout
    assert "5.0 km" in listed
    stats = json.loads(run("stats", "--json").stdout)["after_runs"]
    assert stats["sessions"] == 1 and stats["runs"] == 1
    assert stats["km"] == pytest.approx(5, abs=0.1)
    # the runs in the history are what the next run's pace is compared with
    assert len(unknot.past_runs(unknot.Store())) == 1


def test_after_json_carries_the_run_the_advice_and_the_plan(
    run: Callable[..., Result], files: Callable[..., Path]
) -> None:
    data = json.loads(run("after", str(files("treadmill", "tcx")), "--json").stdout)
    assert data["run"]["treadmill"] is True and data["run"]["ascent_m"] is None
    assert data["advice"]["routine"] == "after-long-run"
    assert data["plan"]["total_seconds"] <= 15 * 60


# -- exports -----------------------------------------------------------------------------------
def dated(kind: str, day: int) -> rf.Run:
    from datetime import UTC, datetime

    maker: Callable[..., rf.Run] = getattr(rf, kind)
    return maker(datetime(2026, 11, day, 7, 0, tzinfo=UTC))


@pytest.fixture(scope="module")
def season() -> list[rf.Run]:
    """Three weeks: the newest activity a ride, the newest run a hilly one."""
    return [dated("tiny", 3), dated("easy_5k", 10), dated("hilly_16k", 20), dated("ride", 22)]


@pytest.mark.parametrize("language", ["en", "de"])
@pytest.mark.parametrize("as_zip", [True, False])
def test_a_strava_export_gives_its_newest_run(
    tmp_path: Path, season: list[rf.Run], language: str, as_zip: bool
) -> None:
    activities = [(1000 + n, r, ("fit", "gpx", "tcx", "fit")[n]) for n, r in enumerate(season)]
    target = tmp_path / ("export.zip" if as_zip else "export")
    rf.strava_export(target, activities, as_zip=as_zip, language=language)
    newest, _ = unknot.latest_run(target)
    assert newest.start is not None and newest.start.day == 20 and newest.is_run
    listed, notes = unknot.recent_runs(target)
    assert [r.start.day for r in listed if r.start] == [20, 10, 3] and not notes


def test_a_garmin_export_with_zips_inside_and_a_watch_drive(
    tmp_path: Path, season: list[rf.Run]
) -> None:
    garmin = rf.garmin_export(tmp_path / "garmin.zip", season)
    assert unknot.latest_run(garmin)[0].start.day == 20  # type: ignore[union-attr]
    drive = rf.watch_drive(tmp_path / "WATCH", season)
    newest, notes = unknot.latest_run(drive)
    assert newest.start is not None and newest.start.day == 20
    assert not notes  # the watch's monitoring and settings files are passed over quietly


def test_after_list_shows_the_last_runs(
    run: Callable[..., Result], tmp_path: Path, season: list[rf.Run]
) -> None:
    drive = rf.watch_drive(tmp_path / "WATCH", season)
    result = run("after", str(drive), "--list", "--json")
    assert [r["distance_m"] // 1000 for r in json.loads(result.stdout)] == [16, 5, 0]


def test_dangerous_archives_are_refused(tmp_path: Path) -> None:
    for path, said in (
        (rf.zip_with_traversal(tmp_path / "evil.zip", made("easy_5k")), "climbs out"),
        (rf.nested_zip(tmp_path / "deep.zip", 5, made("easy_5k")), "nests zip archives"),
        (rf.zip_bomb(tmp_path / "bomb.zip"), "unpacks to more than"),
    ):
        with pytest.raises(unknot.UnknotError, match=said) as caught:
            unknot.latest_run(path)
        assert str(path) in caught.value.line()
    assert unknot.latest_run(rf.nested_zip(tmp_path / "ok.zip", 2, made("easy_5k")))[0].is_run


# -- bad files ---------------------------------------------------------------------------------
def test_a_file_cut_short_keeps_what_was_read_and_says_so(
    files: Callable[..., Path], tmp_path: Path
) -> None:
    for form in ("fit", "gpx", "tcx"):
        cut = rf.truncated(files("hilly_16k", form), tmp_path / f"cut.{form}", 0.6)
        read = unknot.read_run(cut)
        assert any("ends early" in n for n in read.notes), form
        assert 0.4 * 16100 < (read.distance_m or 0) < 0.75 * 16100, form


def test_a_damaged_checksum_is_read_and_said(files: Callable[..., Path], tmp_path: Path) -> None:
    read = unknot.read_run(rf.corrupt_crc(files("easy_5k", "fit"), tmp_path / "crc.fit"))
    assert any("checksum" in n for n in read.notes)
    assert read.distance_m == pytest.approx(5000, rel=0.015)


def test_bad_files_get_one_clear_line(
    run: Callable[..., Result], tmp_path: Path, files: Callable[..., Path]
) -> None:
    empty = tmp_path / "empty.fit"
    empty.write_bytes(b"")
    text = tmp_path / "notes.gpx"
    text.write_text("not a run at all\n")
    entity = tmp_path / "entity.gpx"
    entity.write_text('<?xml version="1.0"?><!DOCTYPE gpx [<!ENTITY a "aa">]><gpx>&a;</gpx>')
    route = tmp_path / "route.gpx"
    route.write_text(
        '<gpx version="1.1"><trk><trkseg><trkpt lat="1" lon="2"/></trkseg></trk></gpx>'
    )
    huge = tmp_path / "huge.fit"
    with huge.open("wb") as f:
        f.truncate(MAX_FILE_BYTES + 1)
    bomb = tmp_path / "bomb.gpx.gz"
    with gzip.open(bomb, "wb", compresslevel=1) as f:
        for _ in range(300):
            f.write(b" " * (1 << 20))
    fifo = tmp_path / "pipe.fit"
    os.mkfifo(fifo)
    drive = rf.watch_drive(tmp_path / "W", [made("tiny")])
    settings_fit = next((drive / "GARMIN" / "Monitor").iterdir())
    cases = {
        empty: "is empty", text: "is not an activity file", entity: "declares XML entities",
        route: "holds no timed track points", huge: "too large", bomb: "unpacks to more than",
        fifo: "named pipe", Path("/dev/zero"): "is a device", tmp_path / "gone.fit": "no such file",
        settings_fit: "not a recorded activity",
    }  # fmt: skip
    for path, said in cases.items():
        result = run("after", str(path))
        assert result.exit_code == 2, (path, result.output)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and said in lines[0] and "expected" in lines[0], (path, lines)
        assert "Traceback" not in result.output


@cache
def small_fit() -> bytes:
    return rf.fit_bytes(made("tiny"))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_any_damage_to_a_file_gives_a_run_or_a_clear_error(data: st.DataObject) -> None:
    form = data.draw(st.sampled_from(["fit", "gpx", "tcx"]))
    whole = {"fit": small_fit, "gpx": lambda: rf.gpx_bytes(made("tiny")),
             "tcx": lambda: rf.tcx_bytes(made("tiny"))}[form]()  # fmt: skip
    damaged = bytearray(whole)
    for _ in range(data.draw(st.integers(0, 8))):
        at = data.draw(st.integers(0, len(damaged) - 1))
        damaged[at] = data.draw(st.integers(0, 255))
    damaged = damaged[: data.draw(st.integers(0, len(damaged)))]
    try:
        read = unknot.read_run_data(bytes(damaged), f"damaged.{form}")
    except unknot.UnknotError as err:
        assert "damaged" in err.line() and "\n" not in err.line()
        return
    assert read.distance_m is None or read.distance_m >= 0
    json.dumps(read.to_json(), allow_nan=False)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=4096))
def test_any_bytes_give_a_run_or_a_clear_error(data: bytes) -> None:
    for prefix in (b"", b"\x0e\x10\x00\x00\x00\x00\x00\x00.FIT", b"<gpx>", b"\x1f\x8b"):
        with contextlib.suppress(unknot.UnknotError):
            unknot.read_run_data(prefix + data, "x")


# -- on the phone ------------------------------------------------------------------------------
def test_the_start_page_reads_a_run_and_links_its_session(
    files: Callable[..., Path], tmp_path: Path
) -> None:
    from starlette.testclient import TestClient

    from unknot.web.app import Settings, app

    database = tmp_path / "web.db"
    client = TestClient(
        app(Settings(voice="none", database=f"sqlite:///{database}")),
        base_url="http://127.0.0.1:8765", follow_redirects=False,
    )  # fmt: skip
    with client:
        start = client.get("/")
        assert 'action="/after"' in start.text and 'type="file"' in start.text
        sent = {"run": ("morning.fit", files("hilly_16k", "fit").read_bytes())}
        page = client.post("/after", files=sent, headers={"Origin": "http://127.0.0.1:8765"})
        assert page.status_code == 200
        assert "the whole after-long-run sequence" in page.text and "16.1 km" in page.text
        found = client.post("/api/after", files=sent).json()
        assert found["advice"]["routine"] == "after-long-run"
        plan_url = found["plan_url"]
        assert client.get(plan_url).status_code == 200
        # a session started from that plan is kept with the run beside it
        query = plan_url.split("?", 1)[1]
        uid = "5b1f6a52-6c53-4d61-9d1c-3f0a3c1b2a10"
        started = client.post(f"/api/sessions/{uid}/start", json={"query": query})
        assert started.status_code == 200, started.text
        kept = unknot.Store(f"sqlite:///{database}").sessions()
        assert kept[0].run is not None and kept[0].run["distance_m"] == pytest.approx(16132, abs=1)
        # bad files, and other origins, get the same clear words, as a 4xx
        empty = client.post("/api/after", files={"run": ("empty.fit", b"")})
        assert empty.status_code == 400 and "is empty" in empty.json()["error"]
        shown = client.post("/after", files={"run": ("x.gpx", b"<gpx/>")})
        assert shown.status_code == 400 and "holds no track" in shown.text
        other = client.post("/after", files=sent, headers={"Origin": "http://evil.example"})
        assert other.status_code == 403


def test_an_upload_too_large_is_refused_before_it_is_read(tmp_path: Path) -> None:
    from starlette.testclient import TestClient

    from unknot.web.app import Settings, app
    from unknot.web.uploads import UPLOAD_BYTES

    client = TestClient(
        app(Settings(voice="none", database=f"sqlite:///{tmp_path}/w.db")),
        base_url="http://127.0.0.1:8765",
    )
    with client:
        body = io.BytesIO(b"\0" * (UPLOAD_BYTES + 70_000))
        refused = client.post("/api/after", content=body.getvalue())
        assert refused.status_code == 413 and "at most 64 MB" in refused.json()["error"]


def test_a_zip_upload_names_what_to_do_instead(tmp_path: Path) -> None:
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w") as archive:
        archive.writestr("a.fit", small_fit())
    with pytest.raises(unknot.UnknotError, match="is a zip archive"):
        unknot.read_run_data(packed.getvalue(), "export.zip")
