"""TCX, Garmin's Training Center XML (schema TrainingCenterDatabase v2), read with the standard
library's pull parser as the schema lays it out: Activity (Sport) > Lap (the device's totals) >
Track > Trackpoint (Time, Position, AltitudeMeters, DistanceMeters, HeartRateBpm, Cadence, and
Speed and RunCadence in the ActivityExtension). A treadmill run has no Position; a file cut short
keeps every whole Trackpoint before the cut.

Elements are matched by local name, so files that spell the namespace differently still read."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from xml.etree.ElementTree import Element, ParseError, XMLPullParser

from unknot.errors import UnknotError
from unknot.runs.activity import Activity, Columns, sport_name
from unknot.runs.xml import check_safe, decoded

CHUNK_CHARS = 1 << 16
POINT_STREAMS = {
    "AltitudeMeters": "altitude", "DistanceMeters": "distance", "Cadence": "cadence",
    "Speed": "speed", "RunCadence": "cadence",
}  # fmt: skip
LAP_TOTALS = {"TotalTimeSeconds": "timer", "DistanceMeters": "distance"}


def read(data: bytes, where: str) -> Activity:
    text = decoded(data, where, "TCX")
    check_safe(text, where, "TCX")
    activity = Activity("TCX")
    columns = Columns()
    state: dict[str, Any] = {"activities": 0, "laps": 0, "hr": [], "hr_max": 0.0, "root": None}
    parser: XMLPullParser[Element] = XMLPullParser(events=("start", "end"))
    try:
        for at in range(0, len(text), CHUNK_CHARS):
            parser.feed(text[at : at + CHUNK_CHARS])
            _events(parser, activity, columns, state)
        parser.close()
        _events(parser, activity, columns, state)
    except ParseError as err:
        if not len(columns) and not state["laps"]:
            raise UnknotError(
                f"is not TCX that can be read ({str(err)[:120]})",
                where=where, expected="a TCX file from a watch or an app",
            ) from None  # fmt: skip
        activity.notes.append(
            f"the file ends early: kept the {len(columns):,} track points read before the cut"
        )
    if state["root"] != "TrainingCenterDatabase":
        raise UnknotError(
            "is XML but not TCX", where=where, expected="a TCX file (<TrainingCenterDatabase>)"
        )
    if not state["activities"]:
        raise UnknotError(
            "holds no activity (a course or workout, not a recorded run)",
            where=where, expected="a TCX file recorded by a watch or an app",
        )  # fmt: skip
    if state["hr"]:  # the laps' averages, weighted by their times
        weights = sum(t for _, t in state["hr"]) or len(state["hr"])
        activity.totals["heart_rate"] = sum(h * (t or 1) for h, t in state["hr"]) / weights
    if state["hr_max"]:
        activity.totals["max_heart_rate"] = state["hr_max"]
    activity.streams = columns.streams()
    return activity


def _events(
    parser: XMLPullParser[Element], activity: Activity, columns: Columns, state: Any
) -> None:
    for happened in parser.read_events():
        event, element = happened  # type: ignore[misc]  # typeshed's union: events are pairs
        assert isinstance(element, Element)  # "start" and "end" events carry elements
        tag = _local(element.tag)
        if event == "start":
            if state["root"] is None:
                state["root"] = tag
            elif tag == "Activity":
                state["activities"] += 1
                if state["activities"] == 1:
                    activity.sport = sport_name(element.get("Sport"))
            continue
        if state["activities"] > 1:  # a second activity in one file: the first one is read
            continue
        if tag == "Trackpoint":
            _trackpoint(element, columns)
            element.clear()
        elif tag == "Lap":
            _lap(element, activity, state)
            element.clear()
        elif tag == "Activity" and activity.started is None:
            started = _time(_child_text(element, "Id"))
            activity.started = started


def _trackpoint(point: Element, columns: Columns) -> None:
    time: datetime | None = None
    values: dict[str, float] = {}
    for child in point.iter():
        tag = _local(child.tag)
        if tag == "Time":
            time = _time(child.text)
        elif tag in ("LatitudeDegrees", "LongitudeDegrees"):
            number = _number(child.text)
            if number is not None:
                values["lat" if tag[1] == "a" else "lon"] = number
        elif tag == "Value" and "heart_rate" not in values:  # HeartRateBpm's only child
            number = _number(child.text)
            if number is not None:
                values["heart_rate"] = number
        elif tag in POINT_STREAMS:
            number = _number(child.text)
            if number is not None:
                values[POINT_STREAMS[tag]] = number
    if time is not None:
        columns.add(time.timestamp(), **values)


def _lap(lap: Element, activity: Activity, state: Any) -> None:
    state["laps"] += 1
    if activity.started is None:
        activity.started = _time(lap.get("StartTime"))
    seconds = 0.0
    for child in lap:
        tag = _local(child.tag)
        number = _number(child.text) if tag in LAP_TOTALS else None
        if number is not None:
            total = LAP_TOTALS[tag]
            activity.totals[total] = activity.totals.get(total, 0.0) + number
            seconds = number if total == "timer" else seconds
        elif tag in ("AverageHeartRateBpm", "MaximumHeartRateBpm"):
            value = _number(_child_text(child, "Value"))
            if value is None:
                continue
            if tag == "MaximumHeartRateBpm":
                state["hr_max"] = max(state["hr_max"], value)
            else:
                state["hr"].append((value, seconds))


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _child_text(element: Element, name: str) -> str | None:
    for child in element:
        if _local(child.tag) == name:
            return child.text
    return None


def _number(text: str | None) -> float | None:
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        return None
    return value if value == value and abs(value) != float("inf") else None


def _time(text: str | None) -> datetime | None:
    """An xsd:dateTime (TCX writes UTC with a Z); None when it is not one."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
