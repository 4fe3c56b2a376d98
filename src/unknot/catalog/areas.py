"""Areas with a number each, as people write them: `hips:3,calves` (how tight, weighted 1-10)
or `hips:6,calves:4` (how tight it feels, 0-10). One grammar for `--tight`, a routine's
`focus`, the ratings before and after a session, and the web page's fields."""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from unknot.catalog.vocabulary import vocabulary
from unknot.errors import UnknotError
from unknot.numbers import whole
from unknot.words import quoted


class Scale(NamedTuple):
    """The numbers an area may carry, and what a person writes when none is given."""

    low: int
    high: int
    default: int | None  # None: the number must be given
    noun: str  # what the number is called
    expected: str  # what a right answer looks like, for errors
    keep_highest: bool  # an area named twice (hips:3 and glutes): the highest, or the last


WEIGHTS = Scale(
    1,
    10,
    1,
    "weight",
    "areas or groups, each optionally weighted from 1 to 10: hips:3,calves",
    True,
)
RATINGS = Scale(
    0, 10, None, "rating", "areas with how tight they feel, 0 to 10: hips:6,calves:4", False
)


def words(values: Iterable[str]) -> list[str]:
    """Comma-separated words from one or more values, blanks dropped."""
    return [w.strip() for v in values for w in v.split(",") if w.strip()]


def parse_weighted(
    values: Iterable[str], scale: Scale, *, field: str, where: str = ""
) -> dict[str, int]:
    """`hips:3,calves` -> every area of hips at 3, calves at the default; groups expanded."""
    found: dict[str, int] = {}
    given = words(values)
    if not given:
        return found  # the common case: no vocabulary to load
    vocab = vocabulary()
    for word in given:
        name, colon, number = word.partition(":")
        value = scale.default
        if colon or value is None:
            value = whole(number)  # the digits 0-9 only, and not 5,000 of them
            if value is None or not scale.low <= value <= scale.high:
                raise UnknotError(
                    f"{quoted(word, 40)} has the {scale.noun} {quoted(number)}"
                    if colon and scale.default is not None
                    else f"{quoted(word, 40)} has no {scale.noun} from {scale.low} to {scale.high}",
                    where=where,
                    field=field,
                    expected=scale.expected,
                )
        for area in vocab.resolve_areas([name.strip()], where=where, field=field):
            found[area] = max(value, found.get(area, value)) if scale.keep_highest else value
    return found


def named_areas(values: Iterable[str]) -> tuple[str, ...]:
    """The areas and groups named, canonical and without numbers: ('hips', 'calves')."""
    index = vocabulary().area_index
    names = (index.canonical(w.partition(":")[0].strip()) for w in words(values))
    return tuple(dict.fromkeys(n for n in names if n))


def parse_ratings(text: str | None, field: str) -> dict[str, int]:
    """`hips:6,calves:4` -> {area: 0-10} for every area named, groups expanded."""
    return parse_weighted([text] if text else [], RATINGS, field=field)
