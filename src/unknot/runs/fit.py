"""FIT, the binary format of Garmin, Coros, Suunto, Wahoo and most watches, read with fitdecode
(MIT; Garmin's own SDK forbids benchmarking and copyleft use).

A file cut short keeps every message read before the cut; a file whose checksum does not match
is read again without the check and said to be damaged; a developer field whose definition is
missing is passed over (fitdecode reads it as unknown bytes)."""

from __future__ import annotations

import io
import struct
import warnings
from datetime import UTC, datetime
from typing import Any

from unknot.errors import UnknotError
from unknot.runs.activity import Activity, Columns, sport_name

SEMICIRCLE = 180 / 2**31  # FIT positions are 32-bit fractions of half a turn

# record fields -> stream; the enhanced ones (32-bit) win over the 16-bit ones when both exist
RECORD_FIELDS = {
    "position_lat": "lat", "position_long": "lon", "altitude": "altitude",
    "enhanced_altitude": "altitude", "distance": "distance", "speed": "speed",
    "enhanced_speed": "speed", "heart_rate": "heart_rate", "cadence": "cadence",
    "fractional_cadence": "fractional_cadence",
}  # fmt: skip
SESSION_TOTALS = {
    "total_distance": "distance", "total_timer_time": "timer",
    "total_elapsed_time": "elapsed", "total_ascent": "ascent", "total_descent": "descent",
    "avg_heart_rate": "heart_rate", "max_heart_rate": "max_heart_rate",
}  # fmt: skip
SUMMED = ("distance", "timer", "elapsed", "ascent", "descent")
# What fitdecode raises from inside when a byte it reads is damaged (a size, a type, a value)
DAMAGE = (ValueError, TypeError, KeyError, IndexError, struct.error, ArithmeticError, UnicodeError)


def read(data: bytes, where: str) -> Activity:
    import fitdecode

    try:
        return _read(data, where, fitdecode.CrcCheck.RAISE)
    except fitdecode.FitCRCError:
        activity = _read(data, where, fitdecode.CrcCheck.DISABLED)
        activity.notes.append(
            "its checksum does not match, so the file may be damaged: figures read as they are"
        )
        return activity


def _read(data: bytes, where: str, check: Any) -> Activity:
    import fitdecode

    activity = Activity("FIT")
    columns = Columns()
    sessions: list[dict[str, Any]] = []
    kinds: list[str] = []
    layouts: dict[int, Any] = {}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # fitdecode warns of what we report ourselves
            reader = fitdecode.FitReader(
                io.BytesIO(data), check_crc=check, error_handling=fitdecode.ErrorHandling.IGNORE
            )
            for frame in reader:
                if not isinstance(frame, fitdecode.FitDataMessage):
                    continue
                name = frame.name
                if name == "record":
                    _record(frame, columns, layouts)
                elif name == "session":
                    sessions.append(_values(frame))
                elif name == "file_id":
                    kinds.append(str(frame.get_value("type", fallback="") or ""))
                    created = frame.get_value("time_created", fallback=None)
                    if isinstance(created, datetime) and activity.started is None:
                        activity.started = _utc(created)
                elif name == "sport":
                    activity.sport = activity.sport or sport_name(
                        frame.get_value("sport", fallback=None)
                    )
                    activity.sub_sport = activity.sub_sport or _sub(frame)
                elif name in ("user_profile", "zones_target"):
                    hr_max = frame.get_value("max_heart_rate", fallback=None)
                    if isinstance(hr_max, int | float) and 100 <= hr_max <= 250:
                        activity.totals["hr_max"] = float(hr_max)
    except fitdecode.FitCRCError:
        raise
    except fitdecode.FitHeaderError as err:
        if not len(columns) and not sessions:
            raise UnknotError(
                f"is not a FIT file that can be read ({err})",
                where=where, expected="an activity file from a watch: .fit, .gpx or .tcx",
            ) from None  # fmt: skip
        activity.notes.append(_cut_note(columns))
    except (fitdecode.FitEOFError, EOFError) as err:
        if not len(columns) and not sessions:
            raise UnknotError(
                f"ends before its first record ({_first_line(err)})", where=where,
                expected="a whole activity file from a watch",
            ) from None  # fmt: skip
        activity.notes.append(_cut_note(columns))
    except (fitdecode.FitError, *DAMAGE) as err:  # fitdecode tripping over damaged bytes
        if not len(columns) and not sessions:
            raise UnknotError(
                f"is damaged and could not be read as FIT ({_first_line(err)})", where=where,
                expected="an undamaged activity file from a watch",
            ) from None  # fmt: skip
        activity.notes.append(
            f"the file is damaged after its first {len(columns):,} samples: kept those"
        )
    if kinds and "activity" not in kinds:
        raise UnknotError(
            f"is a FIT {kinds[0] or 'settings'} file, not a recorded activity",
            where=where, expected="an activity file (on a Garmin, in GARMIN/Activity)",
        )  # fmt: skip
    activity.streams = columns.streams()
    _sessions(activity, sessions)
    return activity


def _layout(fields: list[Any]) -> tuple[int, list[tuple[int, str]]]:
    """Where a record's fields are in its list: the timestamp's index, and (index, stream) for
    the ones read, an enhanced (32-bit) field placed after its 16-bit twin so it wins."""
    time = -1
    found: list[tuple[int, str, bool]] = []
    for index, fit_field in enumerate(fields):
        name = fit_field.name
        if name == "timestamp":
            time = index
        elif name in RECORD_FIELDS:
            found.append((index, RECORD_FIELDS[name], name.startswith("enhanced_")))
    found.sort(key=lambda f: f[2])
    return time, [(index, stream) for index, stream, _ in found]


def _record(frame: Any, columns: Columns, layouts: dict[int, Any]) -> None:
    # Reading a field's name costs a lookup through its definition; records of one definition
    # lay their fields out alike, so where each is found is worked out once per definition.
    fields = frame.fields
    key = id(frame.def_mesg)
    known = layouts.get(key)
    if known is None or known[0] != len(fields):
        known = (len(fields), *_layout(fields), frame.def_mesg)  # the definition kept alive
        layouts[key] = known
    _, time_at, wanted, _ = known
    time = fields[time_at].value if time_at >= 0 else None
    if not isinstance(time, datetime):
        return
    values: dict[str, Any] = {}
    for index, stream in wanted:
        value = fields[index].value
        if value is not None and not isinstance(value, tuple | str):
            values[stream] = value
    for axis in ("lat", "lon"):
        if axis in values:
            values[axis] *= SEMICIRCLE
    if "cadence" in values:
        values["cadence"] = values["cadence"] + (values.pop("fractional_cadence", 0) or 0)
    columns.add(time.timestamp(), **values)


def _values(frame: Any) -> dict[str, Any]:
    return {f.name: f.value for f in frame.fields if f.value is not None}


def _sub(frame: Any) -> str | None:
    sub = frame.get_value("sub_sport", fallback=None)
    text = str(sub).lower() if sub is not None else ""
    return None if text in ("", "generic", "none", "all") else text


def _sessions(activity: Activity, sessions: list[dict[str, Any]]) -> None:
    """The device's totals: one session, or the sessions of the sport that took longest (a
    multisport file: the run of a triathlon)."""
    if not sessions:
        return
    longest = max(sessions, key=lambda s: _number(s.get("total_elapsed_time")))
    sport = longest.get("sport")
    chosen = [s for s in sessions if s.get("sport") == sport]
    activity.sport = sport_name(sport) or activity.sport
    sub = str(longest.get("sub_sport") or "").lower()
    if sub and sub not in ("generic", "all"):
        activity.sub_sport = sub
    start = longest.get("start_time")
    if isinstance(start, datetime):
        activity.started = _utc(min(s.get("start_time", start) for s in chosen))
    for fit_name, name in SESSION_TOTALS.items():
        values = [float(s[fit_name]) for s in chosen if isinstance(s.get(fit_name), int | float)]
        if not values:
            continue
        if name in SUMMED:
            activity.totals[name] = sum(values)
        elif name == "max_heart_rate":
            activity.totals[name] = max(values)
        else:
            activity.totals[name] = values[0]
    cadence = longest.get("avg_running_cadence", longest.get("avg_cadence"))
    if isinstance(cadence, int | float) and cadence > 0:
        fraction = longest.get("avg_fractional_cadence") or 0
        # FIT keeps a run's cadence per foot (strides a minute); runners count steps
        steps = 2 if activity.sport == "running" else 1
        activity.totals["cadence"] = (float(cadence) + float(fraction)) * steps


def _number(value: object) -> float:
    return float(value) if isinstance(value, int | float) else 0.0


def _cut_note(columns: Columns) -> str:
    return f"the file ends early: kept the {len(columns):,} samples read before the cut"


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _first_line(err: Exception) -> str:
    return (str(err).splitlines() or [type(err).__name__])[0][:200]
