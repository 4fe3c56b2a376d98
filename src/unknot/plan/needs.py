"""What a person brings today: tight areas (weighted), the minutes they have, poses to skip,
conditions to avoid, their level, the props at hand, and the holds and sides they prefer.
Parsed from the command line's words and checked against the vocabularies, with a did-you-mean
for every unknown name."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NamedTuple

from unknot.catalog.areas import WEIGHTS, named_areas, parse_weighted, words
from unknot.catalog.holds import MAX_HOLD_SECONDS
from unknot.catalog.poses import catalog
from unknot.catalog.vocabulary import vocabulary
from unknot.errors import UnknotError
from unknot.guide.timeline import DEFAULT_PACE, GUIDES, PACES, Guide
from unknot.names import NameIndex
from unknot.numbers import read_number
from unknot.routines.routine import MAX_SESSION_MINUTES, resolve
from unknot.words import quoted

MINUTES = (1, MAX_SESSION_MINUTES)  # the minutes a session may be given
SPEED = (0.01, 1000)  # how many times faster than real time a session may run (for practice)
HOLD_SECONDS = (1, MAX_HOLD_SECONDS)  # a default hold, in seconds
SIDES = ("right", "left")
# A wall (or a door frame) is in every home: --props never rules out a pose for one.
ALWAYS_AT_HAND = ("wall",)
PROP_ALIASES = {
    "foam-roller": ("roller",),
    "ball": ("massage ball", "tennis ball", "lacrosse ball"),
}
NOTHING_AT_HAND = ("none", "nothing", "no props")  # --props none: only the floor and a wall


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
    props: tuple[str, ...] | None = None  # the props at hand (--props); None: any
    guide: str | None = None  # how much the voice says (--guide): full (None), brief or quiet
    pace: int | None = None  # the voice's words a minute (--pace); None: the calm default

    @property
    def voicing(self) -> Guide:
        """How the session is talked through: what is said, and so how long each move takes."""
        return Guide(self.guide or GUIDES[0], self.pace or DEFAULT_PACE)

    def lacks(self, props: Iterable[str]) -> list[str]:
        """The props among `props` the person does not have at hand."""
        if self.props is None:
            return []
        return [p for p in props if p not in self.props and p not in ALWAYS_AT_HAND]

    @property
    def shapes(self) -> bool:
        """Whether anything asks the planner to change the routine as written."""
        return bool(self.tight or self.minutes or self.skip or self.avoid or self.level)

    def to_record(self) -> dict[str, Any]:
        """The needs as the history keeps them with a session: only what was given."""
        return {k: v for k, v in self._asdict().items() if v not in (None, (), {})}


def parse_tight(values: Iterable[str], *, where: str = "", field: str = "tight") -> dict[str, int]:
    """`hips:3,calves` -> every area of hips at weight 3, calves at 1 (the highest weight wins)."""
    return parse_weighted(values, WEIGHTS, field=field, where=where)


def parse_poses(values: Iterable[str], field: str) -> tuple[str, ...]:
    named = words(values)
    if not named:
        return ()  # the common case: nothing to look up, so no catalog to load
    poses = catalog()
    return tuple(dict.fromkeys(poses.find(w, field=field).name for w in named))


def parse_conditions(values: Iterable[str]) -> tuple[str, ...]:
    named = words(values)
    if not named:
        return ()
    index = vocabulary().condition_index
    return tuple(dict.fromkeys(index.find(w, field="avoid").name for w in named))


def parse_props(values: Iterable[str]) -> tuple[str, ...] | None:
    """`block,strap` -> the props at hand; `none` -> no props at all; nothing given -> None."""
    named = words(values)
    if not named:
        return None
    index: NameIndex[str] = NameIndex("prop")
    for prop in vocabulary().props:
        aliases = (prop + "s", *PROP_ALIASES.get(prop, ()))
        index.add(prop, prop, (*aliases, *(a + "s" for a in PROP_ALIASES.get(prop, ()))))
    found: list[str] = []
    for word in named:
        if word.lower() in (*NOTHING_AT_HAND, "mat"):  # a mat is not a prop: every pose has one
            continue
        found.append(index.find(word, field="props"))
    return tuple(dict.fromkeys(found))


def parse_level(value: str | None) -> str | None:
    if not value:
        return None
    index: NameIndex[str] = NameIndex("level")
    for level in vocabulary().levels:
        index.add(level, level)
    return index.find(value, field="level")


def parse_number(
    value: float | str | None, field: str, limits: tuple[float, float], unit: str
) -> float | None:
    """A number from a person (typed, or text from a form), within `limits`; blank is None.
    Only plain decimal in the digits 0-9 is read (see `unknot.numbers`)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    low, high = limits
    return read_number(value, field=field, low=low, high=high, unit=unit)


def parse_side(value: str | None) -> str | None:
    if not value:
        return None
    side = value.strip().lower()
    if side not in SIDES:
        raise UnknotError(
            f"{quoted(value)} is not a side", field="first_side", expected="right or left"
        )
    return side


def parse_extra(values: Iterable[str]) -> tuple[str, ...]:
    """Routines done first (--with), each found now, so a mistake names its field."""
    named = tuple(words(values))
    for name in named:
        try:
            resolve(name)
        except UnknotError as err:
            if err.field:  # a mistake inside that routine's file, at its own field
                raise
            raise UnknotError(
                err.what, where=err.where, field="extra", expected=err.expected
            ) from None
    return named


def read_needs(
    *,
    tight: Iterable[str] = (),
    minutes: float | str | None = None,
    skip: Iterable[str] = (),
    avoid: Iterable[str] = (),
    level: str | None = None,
    hold: int | str | None = None,
    first_side: str | None = None,
    extra: Iterable[str] = (),
    props: Iterable[str] = (),
    guide: str | None = None,
    pace: int | str | None = None,
) -> Needs:
    """Needs from a person's words (the command line's options, a web form's fields): every
    value checked here, once, and any mistake an error naming its field."""
    held = parse_number(hold, "hold", HOLD_SECONDS, "seconds")
    if held is not None and not held.is_integer():
        raise UnknotError(
            f"{hold!r} is not a whole number of seconds", field="hold",
            expected=f"a whole number of seconds from 1 to {MAX_HOLD_SECONDS}",
        )  # fmt: skip
    return Needs(
        tight=parse_tight(tight),
        named=named_areas(tight),
        minutes=parse_number(minutes, "minutes", MINUTES, "minutes"),
        skip=parse_poses(skip, "skip"),
        avoid=parse_conditions(avoid),
        level=parse_level(level),
        hold=None if held is None else int(held),
        first_side=parse_side(first_side),
        extra=parse_extra(extra),
        props=parse_props(props),
        guide=parse_guide(guide),
        pace=parse_pace(pace),
    )


def parse_guide(value: str | None) -> str | None:
    """full, brief or quiet (None for full, the default)."""
    if not value:
        return None
    index: NameIndex[str] = NameIndex("guide")
    for mode in GUIDES:
        index.add(mode, mode)
    found = index.find(value, field="guide")
    return None if found == GUIDES[0] else found


def parse_pace(value: int | str | None) -> int | None:
    """Words a minute for the voice (None for the calm default)."""
    pace = parse_number(value, "pace", PACES, "words a minute")
    if pace is None:
        return None
    if not pace.is_integer():
        raise UnknotError(
            f"{value!r} is not a whole number of words a minute", field="pace",
            expected=f"a whole number from {PACES[0]} to {PACES[1]} (the default: {DEFAULT_PACE})",
        )  # fmt: skip
    return None if pace == DEFAULT_PACE else int(pace)
