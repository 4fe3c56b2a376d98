"""The fixed words the whole project shares: body areas and their groups, conditions to avoid,
base positions and what moving between them costs, and the levels, side words and props a pose
is described with. All of it lives in data files."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from typing import TYPE_CHECKING, NamedTuple

from unknot.names import NameIndex, did_you_mean

if TYPE_CHECKING:
    from unknot.yamlfile import Field

from unknot.files import DATA


class Term(NamedTuple):
    """One word of a vocabulary: its canonical name, a label for people, other spellings."""

    name: str
    label: str
    aliases: tuple[str, ...] = ()


class Trait(NamedTuple):
    """What a pose does that matters for safety (traits.yaml), and the positions that imply it."""

    name: str
    label: str
    means: str
    implied_by: tuple[str, ...] = ()


class Condition(NamedTuple):
    """A condition to be careful of: the traits it rules out, each with why, and when to see a
    professional instead of stretching it."""

    name: str
    label: str
    aliases: tuple[str, ...]
    rules_out: dict[str, str]  # trait -> why
    see: str


class Group(NamedTuple):
    """A name that stands for several areas ("hips")."""

    name: str
    label: str
    aliases: tuple[str, ...]
    areas: tuple[str, ...]


class Position(NamedTuple):
    """A base position and how far off the floor it is (0 lying, 4 standing)."""

    name: str
    label: str
    level: int


TRANSITION_RULES = ("same_position_seconds", "change_seconds", "per_level_seconds")
# Where a pose starts when that is not known: a custom step's (an article's pose that is not in
# the catalog). Never a position of positions.yaml; a move to or from it takes the longest move.
UNKNOWN_POSITION = "unknown"


class Transitions(NamedTuple):
    """Seconds to move between steps, from their base positions."""

    same_position: int
    change: int
    per_level: int
    prop: int = 0  # to fetch and place a prop (a block, a strap, a roller)
    wall: int = 0  # to move to a wall


class Vocabulary:
    """Every shared word, with indexes that find areas and conditions by any spelling."""

    def __init__(
        self,
        areas: dict[str, Term],
        groups: dict[str, Group],
        conditions: dict[str, Condition],
        positions: dict[str, Position],
        transitions: Transitions,
        *,
        traits: dict[str, Trait],
        levels: tuple[str, ...],
        side_words: tuple[str, ...],
        props: tuple[str, ...],
        intensities: tuple[str, ...],
    ) -> None:
        self.areas = areas
        self.groups = groups
        self.conditions = conditions
        self.traits = traits
        self.intensities = intensities  # gentlest first
        self.positions = positions
        self.transitions = transitions
        self.levels = levels  # gentlest first: the order is what a plan's level compares
        self.side_words = side_words
        self.props = props
        # Building the indexes also proves no spelling belongs to two entries.
        self.area_index: NameIndex[tuple[str, ...]] = NameIndex("area")
        for term in areas.values():
            self.area_index.add(term.name, (term.name,), term.aliases)
        for group in groups.values():
            self.area_index.add(group.name, group.areas, group.aliases)
        self.condition_index: NameIndex[Condition] = NameIndex("condition")
        for condition in conditions.values():
            self.condition_index.add(condition.name, condition, condition.aliases)

    def ruled_out(self, conditions: Iterable[str]) -> dict[str, list[str]]:
        """Trait -> the conditions among `conditions` that rule it out."""
        found: dict[str, list[str]] = {}
        for name in conditions:
            for trait in self.conditions[name].rules_out:
                found.setdefault(trait, []).append(name)
        return found

    def resolve_areas(self, names: Iterable[str], *, where: str = "", field: str = "") -> list[str]:
        """Canonical areas for the names a person used, groups expanded, in first-seen order."""
        if isinstance(names, list) and len(names) == 1 and names[0] in self.areas:
            return [names[0]]  # the common case, asked for often by the planner
        found: list[str] = []
        for name in names:
            found.extend(self.area_index.find(name, where=where, field=field))
        return list(dict.fromkeys(found))

    def transition_seconds(self, before: str | None, after: str) -> int:
        """Seconds to get from one base position into the next (0 before the first step)."""
        if before is None:
            return 0
        if UNKNOWN_POSITION in (before, after):  # it may be anywhere: time for the longest move
            levels = [p.level for p in self.positions.values()]
            climb = max(levels) - min(levels)
            return self.transitions.change + self.transitions.per_level * climb
        if before == after:
            return self.transitions.same_position
        climb = abs(self.positions[before].level - self.positions[after].level)
        return self.transitions.change + self.transitions.per_level * climb

    def fetch_seconds(self, props: tuple[str, ...]) -> int:
        """Seconds to get a pose's props in place: the longest of fetching one and going to a
        wall (the props are fetched together)."""
        return max(
            [self.transitions.wall if p == "wall" else self.transitions.prop for p in props],
            default=0,
        )


def _terms(root: Field, name: str) -> dict[str, Term]:
    terms: dict[str, Term] = {}
    for key, field in root.items(expected=f"a mapping of {name}"):
        fields = field.mapping(["label", "aliases"], required=["label"])
        aliases = (
            fields["aliases"].strings(expected="a list of names") if "aliases" in fields else []
        )
        terms[key] = Term(key, fields["label"].string(), tuple(aliases))
    return terms


def _traits(root: Field, positions: dict[str, Position]) -> dict[str, Trait]:
    traits: dict[str, Trait] = {}
    for key, field in root.items(expected="a mapping of traits"):
        fields = field.mapping(["label", "means", "implied_by"], required=["label", "means"])
        implied = (
            fields["implied_by"].strings(expected="positions") if "implied_by" in fields else []
        )
        for position in implied:
            if position not in positions:
                raise fields["implied_by"].error(
                    f"unknown position {position!r}", f"one of {', '.join(positions)}"
                )
        traits[key] = Trait(key, fields["label"].string(), fields["means"].string(), tuple(implied))
    return traits


def _conditions(root: Field, traits: dict[str, Trait]) -> dict[str, Condition]:
    conditions: dict[str, Condition] = {}
    for key, field in root.items(expected="a mapping of conditions"):
        fields = field.mapping(
            ["label", "aliases", "rules_out", "see"], required=["label", "rules_out", "see"]
        )
        aliases = fields["aliases"].strings(expected="names") if "aliases" in fields else []
        rules_out: dict[str, str] = {}
        for trait, why in fields["rules_out"].items(expected="a mapping of trait: why"):
            if trait not in traits:
                raise why.error(
                    f"unknown trait {trait!r}{did_you_mean(trait, traits)}",
                    "a trait of traits.yaml",
                )
            rules_out[trait] = why.string()
        if not rules_out:
            raise fields["rules_out"].error("is empty", "at least one trait it rules out")
        conditions[key] = Condition(
            key, fields["label"].string(), tuple(aliases), rules_out, fields["see"].string()
        )
    return conditions


def _groups(root: Field, areas: dict[str, Term]) -> dict[str, Group]:
    groups: dict[str, Group] = {}
    for key, field in root.items(expected="a mapping of groups"):
        fields = field.mapping(["label", "areas", "aliases"], required=["label", "areas"])
        members = fields["areas"].strings(expected="a list of areas")
        for member in members:
            if member not in areas:
                raise fields["areas"].error(f"unknown area {member!r}", "areas defined above")
        aliases = (
            fields["aliases"].strings(expected="a list of names") if "aliases" in fields else []
        )
        groups[key] = Group(key, fields["label"].string(), tuple(aliases), tuple(members))
    return groups


def _positions(root: Field) -> dict[str, Position]:
    positions: dict[str, Position] = {}
    for key, field in root.items(expected="a mapping of positions"):
        fields = field.mapping(["label", "level"], required=["label", "level"])
        level = fields["level"].integer(low=0, high=10)
        positions[key] = Position(key, fields["label"].string(), level)
    return positions


def _words(field: Field, what: str) -> tuple[str, ...]:
    """A list of distinct words, at least one."""
    words = field.strings(expected=f"a list of {what}s")
    if not words:
        raise field.error("is empty", f"at least one {what}")
    for i, word in enumerate(words):
        if word in words[:i]:
            raise field.error(f"{word!r} is given twice", f"each {what} once")
    return tuple(words)


VOCABULARY_FILES = tuple(
    DATA / f
    for f in ("areas.yaml", "conditions.yaml", "traits.yaml", "positions.yaml", "pose-words.yaml")
)


@cache
def vocabulary() -> Vocabulary:
    """The shipped vocabulary (read once per process, and cached between runs)."""
    from unknot.cache import cached

    return cached("vocabulary", VOCABULARY_FILES, read_vocabulary)


def read_vocabulary() -> Vocabulary:
    """Read and check the vocabulary files."""
    from unknot.yamlfile import load

    area_file = load(DATA / "areas.yaml", what="area vocabulary").mapping(
        ["areas", "groups"], required=["areas"]
    )
    areas = _terms(area_file["areas"], "areas")
    groups = _groups(area_file["groups"], areas) if "groups" in area_file else {}
    position_file = load(DATA / "positions.yaml", what="position vocabulary").mapping(
        ["positions", "transitions"], required=["positions", "transitions"]
    )
    rule = position_file["transitions"].mapping(
        [*TRANSITION_RULES, "prop_seconds", "wall_seconds"], required=list(TRANSITION_RULES)
    )
    transitions = Transitions(
        same_position=rule["same_position_seconds"].integer(low=0, high=60),
        change=rule["change_seconds"].integer(low=0, high=60),
        per_level=rule["per_level_seconds"].integer(low=0, high=60),
        prop=rule["prop_seconds"].integer(low=0, high=60) if "prop_seconds" in rule else 0,
        wall=rule["wall_seconds"].integer(low=0, high=60) if "wall_seconds" in rule else 0,
    )
    positions = _positions(position_file["positions"])
    trait_file = load(DATA / "traits.yaml", what="trait vocabulary").mapping(
        ["traits"], required=["traits"]
    )
    traits = _traits(trait_file["traits"], positions)
    condition_file = load(DATA / "conditions.yaml", what="condition vocabulary").mapping(
        ["conditions"], required=["conditions"]
    )
    conditions = _conditions(condition_file["conditions"], traits)
    lists = ["levels", "side_words", "props", "intensities"]
    words = load(DATA / "pose-words.yaml", what="pose vocabulary").mapping(lists, required=lists)
    return Vocabulary(
        areas,
        groups,
        conditions,
        positions,
        transitions,
        traits=traits,
        levels=_words(words["levels"], "level"),
        side_words=_words(words["side_words"], "side word"),
        props=_words(words["props"], "prop"),
        intensities=_words(words["intensities"], "intensity"),
    )
