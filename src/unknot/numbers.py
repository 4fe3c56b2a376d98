"""Numbers as a person writes them (an option, a form's field, a routine file), read strictly.

Python's own `int()` and `float()` are too forgiving for what a person types: they take
full-width and Arabic-Indic digits, superscripts, `nan`, `inf` and `1e400`, and spend their
time on a number thousands of digits long. Here a number is plain decimal in the ASCII digits
0-9 (`30`, `-5`, `2.5`, `.5`), at most `MAX_CHARS` characters, so it is always finite, and it
is checked against the limits of what it is for before anything uses it.
"""

from __future__ import annotations

import math
import re

from unknot.errors import UnknotError
from unknot.words import quoted

MAX_CHARS = 20  # "1800", "0.01", "240": no number unknot takes needs more
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")  # [0-9]: the ASCII digits only
_WHOLE = re.compile(r"[+-]?[0-9]+")


def decimal(text: str) -> float | None:
    """The number `text` writes in plain decimal, or None when it writes none."""
    text = text.strip()
    if len(text) > MAX_CHARS or not _DECIMAL.fullmatch(text):
        return None
    return float(text)  # at most MAX_CHARS digits: always finite


def whole(text: str) -> int | None:
    """The whole number `text` writes in plain decimal digits, or None when it writes none."""
    text = text.strip()
    if len(text) > MAX_CHARS or not _WHOLE.fullmatch(text):
        return None
    return int(text)


def in_range(value: object, low: float, high: float) -> float | None:
    """`value` (a number, or the text of one) as a float if it is finite and within
    `low`..`high`, else None. A yes/no value is not a number, even though Python counts it."""
    number: float | None
    if isinstance(value, bool):
        return None
    if isinstance(value, int):  # compared as it is: float() of a huge int would overflow
        return float(value) if low <= value <= high else None
    if isinstance(value, float):
        number = value
    elif isinstance(value, str):
        number = decimal(value)
    else:
        return None
    if number is None or not math.isfinite(number) or not low <= number <= high:
        return None
    return number


def read_number(
    value: object, *, field: str, low: float, high: float, unit: str, where: str = ""
) -> float:
    """`value` (a number, or the text a person typed) if it is a number from `low` to `high`,
    else one clear error naming `field`."""
    number = in_range(value, low, high)
    if number is None:
        text = value.strip() if isinstance(value, str) else str(value)
        what = f"{quoted(text)} is not a number from {low:g} to {high:g}"
        if not text.isascii():
            what += " (only the digits 0-9 are read)"
        raise UnknotError(
            what, where=where, field=field, expected=f"a number of {unit} from {low:g} to {high:g}"
        )
    return number
