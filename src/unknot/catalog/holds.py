"""How long a pose is held: a number of seconds or a range ("20-30", "2-3 min", "45s")."""

from __future__ import annotations

import math
import re
from typing import NamedTuple

from unknot.errors import UnknotError
from unknot.yamlfile import Field

MAX_HOLD_SECONDS = 1800  # half an hour in one pose is a nap, not a hold
EXPECTED = (
    f"seconds from 1 to {MAX_HOLD_SECONDS} as a number (30), a range (20-30) "
    "or with a unit (45s, 2 min, 1-2 min)"
)

_HOLD = re.compile(
    r"^\s*(?P<low>\d+(?:\.\d+)?)\s*(?:(?:-|\u2013|to)\s*(?P<high>\d+(?:\.\d+)?))?\s*"
    r"(?P<unit>s|sec|secs|seconds?|m|min|mins|minutes?)?\s*$",
    re.IGNORECASE,
)


class Hold(NamedTuple):
    """A hold in seconds, from `low` to `high` (equal for a fixed hold)."""

    low: int
    high: int

    @property
    def seconds(self) -> int:
        """The hold used when nothing asks for more or less: the middle of the range."""
        return round((self.low + self.high) / 2)

    def __str__(self) -> str:
        return f"{self.low}" if self.low == self.high else f"{self.low}-{self.high}"


def parse_hold(text: str) -> Hold | None:
    """The hold `text` describes, or None when it is not a hold."""
    match = _HOLD.match(text)
    if not match:
        return None
    scale = 60 if (match["unit"] or "s").lower().startswith("m") else 1
    low = float(match["low"]) * scale
    high = float(match["high"]) * scale if match["high"] else low
    return Hold(round(low), round(high))


def read_hold(field: Field) -> Hold:
    """A hold from YAML: a number of seconds or a text like "20-30"; anything else is an error."""
    if field.kind in ("int", "float"):
        value = field.scalar()
        finite = math.isfinite(value)
        hold: Hold | None = Hold(round(value), round(value)) if finite else None
    elif field.kind == "str":
        hold = parse_hold(str(field.node.value))
    else:
        raise field.error(f"is {field.describe()}", EXPECTED)
    if hold is None:
        raise field.error(f"{field.node.value!r} is not a hold", EXPECTED)
    return check_hold(hold, field)


def check_hold(hold: Hold, field: Field | None = None, *, what: str = "") -> Hold:
    """`hold` if it is a sensible length, else an error naming the field."""
    problem = ""
    if hold.low <= 0:
        problem = f"{hold.low} s is too short for a hold"
    elif hold.high > MAX_HOLD_SECONDS:
        problem = f"{hold.high} s is too long for a hold"
    elif hold.low > hold.high:
        problem = f"the range {hold.low}-{hold.high} runs backwards"
    if problem:
        if field is not None:
            raise field.error(problem, EXPECTED)
        raise UnknotError(problem, field=what, expected=EXPECTED)
    return hold
