"""What a person brings today: tight areas (weighted), the minutes they have, poses to skip,
conditions to avoid, their level, and the holds and sides they prefer. Parsed from the command
line's words and checked against the vocabularies, with a did-you-mean for every unknown name."""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from unknot.catalog.poses import LEVELS, catalog
from unknot.catalog.vocabulary import vocabulary
from unknot.errors import UnknotError
from unknot.names import NameIndex

MAX_MINUTES = 240
TIGHT_WEIGHTS = (1, 10)
TIGHT_EXPECTED = "areas or groups, each optionally weighted from 1 to 10: hips:3,calves"


class Needs(NamedTuple):
    tight: dict[str, int] = {}  # noqa: RUF012 - never mutated; canonical area -> weight
    named: tuple[str, ...] = ()  # the areas and groups as the person named them, canonical
    minutes: float | None = None
    skip: tuple[str, ...] = ()  # canonical pose names
    avoid: tuple[str, ...] = ()  # canonical conditions
    level: str | None = None
    hold: int | None = None
    first_side: str | None = None
    extra: tuple[str, ...] = ()  # routines done before this one (--with)

    @property
    def shapes(self) -> bool:
        """Whether anything asks the planner to change the routine as written."""
        return bool(self.tight or self.minutes or self.skip or self.avoid or self.level)


def _words(values: Iterable[str]) -> list[str]:
    """Comma-separated words from one or more options, blanks dropped."""
    return [w.strip() for v in values for w in v.split(",") if w.strip()]


def parse_tight(values: Iterable[str], *, where: str = "", field: str = "tight") -> dict[str, int]:
    """`hips:3,calves` -> every area of hips at weight 3, calves at 1 (the highest weight wins)."""
    vocab = vocabulary()
    tight: dict[str, int] = {}
    for word in _words(values):
        name, _, weight_text = word.partition(":")
        weight = 1
        if weight_text:
            if not weight_text.strip().isdigit() or not (
                TIGHT_WEIGHTS[0] <= int(weight_text) <= TIGHT_WEIGHTS[1]
            ):
                raise UnknotError(
                    f"{word!r} has the weight {weight_text!r}",
                    where=where,
                    field=field,
                    expected=TIGHT_EXPECTED,
                )
            weight = int(weight_text)
        for area in vocab.resolve_areas([name.strip()], where=where, field=field):
            tight[area] = max(weight, tight.get(area, 0))
    return tight


def named_areas(values: Iterable[str]) -> tuple[str, ...]:
    """The areas and groups named, canonical and without weights: ('hips', 'calves')."""
    index = vocabulary().area_index
    names = (index.canonical(w.partition(":")[0].strip()) for w in _words(values))
    return tuple(dict.fromkeys(n for n in names if n))


def parse_poses(values: Iterable[str], option: str) -> tuple[str, ...]:
    poses = catalog()
    return tuple(dict.fromkeys(poses.find(w, field=option).name for w in _words(values)))


def parse_conditions(values: Iterable[str]) -> tuple[str, ...]:
    index = vocabulary().condition_index
    return tuple(dict.fromkeys(index.find(w, field="avoid").name for w in _words(values)))


def parse_level(value: str | None) -> str | None:
    if value is None:
        return None
    index: NameIndex[str] = NameIndex("level")
    for level in LEVELS:
        index.add(level, level)
    return index.find(value, field="level")


def read_needs(
    *,
    tight: Iterable[str] = (),
    minutes: float | None = None,
    skip: Iterable[str] = (),
    avoid: Iterable[str] = (),
    level: str | None = None,
    hold: int | None = None,
    first_side: str | None = None,
    extra: Iterable[str] = (),
) -> Needs:
    """Needs from the command line's words; any unknown name is an error naming the option."""
    if minutes is not None and not 1 <= minutes <= MAX_MINUTES:
        raise UnknotError(
            f"{minutes:g} is out of range",
            field="minutes",
            expected=f"1 to {MAX_MINUTES} minutes",
        )
    return Needs(
        tight=parse_tight(tight),
        named=named_areas(tight),
        minutes=minutes,
        skip=parse_poses(skip, "skip"),
        avoid=parse_conditions(avoid),
        level=parse_level(level),
        hold=hold,
        first_side=first_side,
        extra=tuple(_words(extra)),
    )
