"""How long a pose is held: a number of seconds or a range ("20-30", "2-3 min", "45s")."""

from __future__ import annotations

import re
from typing import NamedTuple

from unknot.errors import UnknotError
from unknot.numbers import decimal
from unknot.words import quoted
from unknot.yamlfile import Field

MAX_HOLD_SECONDS = 1800  # half an hour in one pose is a nap, not a hold
EXPECTED = (
    f"seconds from 1 to {MAX_HOLD_SECONDS} as a number (30), a range (20-30) "
    "or with a unit (45s, 2 min, 1-2 min)"
)

# [0-9], not \d: Python's \d matches any script's digits (full-width, Arabic-Indic...). A sign
# is read so that -5 is "too short" rather than "not a hold".
_NUMBER = r"[+-]?[0-9]+(?:\.[0-9]+)?"
_HOLD = re.compile(
    rf"^\s*(?P<low>{_NUMBER})\s*(?:(?:-|\u2013|to)\s*(?P<high>{_NUMBER}))?\s*"
    r"(?P<unit>s|sec|secs|seconds?|m|min|mins|minutes?)?\s*$",
    re.IGNORECASE,
)
MAX_HOLD_CHARS = 40  # "20 to 30 seconds" is 16; a longer text is not a hold (nor read as one)


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
    match = _HOLD.match(text) if len(text) <= MAX_HOLD_CHARS else None
    if not match:
        return None
    low, high = decimal(match["low"]), decimal(match["high"] or match["low"])
    if low is None or high is None:  # more digits than any hold has
        return None
    scale = 60 if (match["unit"] or "s").lower().startswith("m") else 1
    return Hold(round(low * scale), round(high * scale))


def read_hold(field: Field) -> Hold:
    """A hold from YAML: a number of seconds or a text like "20-30"; anything else is an error.

    A number is read from the text as written, in decimal: YAML 1.1 would read `010` as octal
    (8), `1_000` as a thousand and `1:30` as base 60."""
    if field.kind not in ("int", "float", "str"):
        raise field.error(f"is {field.describe()}", EXPECTED)
    text = str(field.node.value)
    hold = parse_hold(text)
    if hold is None:
        raise field.error(f"{quoted(text)} is not a hold", EXPECTED)
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
