"""Holds as articles write them: "hold for 5 to 10 breaths", "at least 30 seconds", "1-3 minutes",
"five calm breaths", "Minutes: 1:55-2:55" (a video's window), "30 seconds to one minute"."""

from __future__ import annotations

import re
from functools import cache
from typing import NamedTuple

from unknot.articles.article import StatedHold
from unknot.articles.matching import words

MAX_SECONDS = 1800
MAX_BREATHS = 100
_VAGUE = ("few", "several", "couple", "a few", "a couple of")  # "for a few minutes" is no hold


class FoundHold(NamedTuple):
    hold: StatedHold
    start: int
    end: int
    window: bool  # from a video's time window, not said in words


@cache
def _patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    spelled = sorted((w for w in words().numbers if w not in _VAGUE), key=len, reverse=True)
    # "forty five" is kept as "forty-five" too, the way it is usually written
    spelled_out = "|".join(re.escape(w).replace(r"\ ", r"[\s-]") for w in spelled)
    number = r"(?:\d{1,4}(?:\.\d+)?|" + spelled_out + r")"
    unit = r"(?:seconds?|secs?|minutes?|mins?|breaths?|(?<=\d)s|(?<=\d\s)s)\b"
    adjective = r"(?:\s+(?:deep|slow|calm|quiet|full|long|more|additional|steady|even|big))*"
    hold = re.compile(
        rf"(?<![\w-])(?P<qual>at\s+least|a\s+minimum\s+of|minimum\s+of|minimum|up\s+to|at\s+most"
        rf"|a\s+maximum\s+of|no\s+more\s+than)?\s*(?P<a>{number})\s*(?P<aunit>{unit})?"
        rf"(?:\s*(?:-|\u2013|to|or)\s*(?P<b>{number}))?{adjective}\s*-?\s*(?P<unit>{unit})(?![\w-])",
        re.IGNORECASE,
    )
    window = re.compile(r"(\d{1,2}):([0-5]\d)\s*[-\u2013]\s*(\d{1,2}):([0-5]\d)")
    return hold, window


def _number(text: str) -> float | None:
    text = text.lower()
    if text[0].isdigit():
        return float(text)
    return words().numbers.get(re.sub(r"[\s-]+", " ", text))


def _in(unit: str) -> tuple[str, int]:
    u = unit.lower()
    if u.startswith("b"):
        return "breaths", 1
    if u.startswith("m"):
        return "seconds", 60
    return "seconds", 1


def holds_in(text: str) -> list[FoundHold]:
    """Every hold stated in `text`, in order."""
    hold, window = _patterns()
    found: list[FoundHold] = []
    for m in hold.finditer(text):
        unit, scale = _in(m["unit"])
        a, b = _number(m["a"]), _number(m["b"]) if m["b"] else None
        if a is None:
            continue
        a_scale = _in(m["aunit"])[1] if m["aunit"] else scale
        if m["aunit"] and _in(m["aunit"])[0] != unit:
            continue  # "5 breaths or 30 seconds": the first unit is read on its own
        low = round(a * a_scale)
        high = round(b * scale) if b is not None else low
        if (m["qual"] or "").lower().startswith(("at least", "a minimum", "minimum")):
            stated = StatedHold(unit, low, None)
        elif (m["qual"] or "").lower().startswith(("up", "at most", "a maximum", "no more")):
            stated = StatedHold(unit, None, high)
        else:
            stated = StatedHold(unit, min(low, high), max(low, high))
        if not _plausible(stated) or (unit == "breaths" and m["a"].lower() in ("a", "an")):
            continue  # "take a breath in" is a breath, not a hold
        found.append(FoundHold(stated, m.start(), m.end(), window=False))
    for m in window.finditer(text):
        start = int(m[1]) * 60 + int(m[2])
        end = int(m[3]) * 60 + int(m[4])
        if 0 < end - start <= MAX_SECONDS:
            length = end - start
            found.append(FoundHold(StatedHold("seconds", length, length), m.start(), m.end(), True))
    return sorted(found, key=lambda h: h.start)


def _plausible(hold: StatedHold) -> bool:
    top = MAX_BREATHS if hold.unit == "breaths" else MAX_SECONDS
    values = [v for v in (hold.low, hold.high) if v is not None]
    return all(0 < v <= top for v in values)
