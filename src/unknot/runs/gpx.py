"""GPX, the open XML format of positions, read with gpxpy (Apache-2.0). Heart rate and cadence
live in extensions (Garmin's TrackPointExtension, and the plain <hr>/<cad> others write); they
are found by their local names, whatever the namespace's prefix.

A file cut short is read up to its last whole track point and said to be cut."""

from __future__ import annotations

from typing import Any

from unknot.errors import UnknotError
from unknot.runs.activity import Activity, Columns, sport_name
from unknot.runs.xml import check_safe, decoded

EXTENSION_STREAMS = {
    "hr": "heart_rate", "heartrate": "heart_rate", "heart_rate": "heart_rate",
    "cad": "cadence", "cadence": "cadence", "runcadence": "cadence",
    "speed": "speed",
}  # fmt: skip
CLOSING = "</trkseg></trk></gpx>"


def read(data: bytes, where: str) -> Activity:
    import gpxpy
    import gpxpy.gpx

    text = decoded(data, where, "GPX")
    check_safe(text, where, "GPX")
    activity = Activity("GPX")
    # gpxpy parses with lxml when it is installed (trafilatura brings it), and lxml raises
    # ValueError for a damaged namespace or a control character where ElementTree would not
    unreadable = (gpxpy.gpx.GPXException, ValueError)
    try:
        gpx = gpxpy.parse(text)
    except unreadable as err:
        end = text.rfind("</trkpt>")
        if end < 0 or "</gpx>" in text[end:]:
            raise UnknotError(
                f"is not GPX that can be read ({_first_line(err)})",
                where=where, expected="a GPX file from a watch or an app",
            ) from None  # fmt: skip
        try:  # cut short: the points up to the last whole one, closed as the file would be
            gpx = gpxpy.parse(text[: end + len("</trkpt>")] + CLOSING)
        except unreadable:
            raise UnknotError(
                f"is GPX cut short, and what is left cannot be read ({_first_line(err)})",
                where=where, expected="a whole GPX file",
            ) from None  # fmt: skip
        activity.notes.append("the file ends early: kept the track up to its last whole point")
    columns = Columns()
    for track in gpx.tracks:
        activity.sport = activity.sport or sport_name(track.type)
        activity.name = activity.name or track.name
        for segment in track.segments:
            for point in segment.points:
                if point.time is None:
                    continue
                values: dict[str, Any] = {"lat": point.latitude, "lon": point.longitude}
                if point.elevation is not None:
                    values["altitude"] = point.elevation
                if point.extensions:
                    _extensions(point.extensions, values)
                columns.add(point.time.timestamp(), **values)
    if not len(columns):
        if gpx.routes or gpx.waypoints or any(t.segments for t in gpx.tracks):
            raise UnknotError(
                "holds no timed track points (a planned route, not a recorded run)",
                where=where, expected="a GPX file recorded by a watch or an app, with times",
            )  # fmt: skip
        raise UnknotError(
            "holds no track", where=where, expected="a GPX file with a recorded track"
        )
    activity.name = activity.name or gpx.name
    activity.streams = columns.streams()
    return activity


def _extensions(elements: list[Any], values: dict[str, Any]) -> None:
    for element in elements:
        for child in element.iter():
            tag = child.tag.rsplit("}", 1)[-1].lower()
            stream = EXTENSION_STREAMS.get(tag)
            if stream is None or stream in values or not child.text:
                continue
            try:
                values[stream] = float(child.text)
            except ValueError:
                continue


def _first_line(err: Exception) -> str:
    return (str(err).splitlines() or [type(err).__name__])[0][:200]
