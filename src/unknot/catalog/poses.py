"""The pose catalog: every pose unknot can guide, read from `data/poses.yaml`.

A pose carries what a guide needs to know about it: how it is found (name, Sanskrit, aliases),
where it starts from, whether it is done per side, what it stretches and how much, how long it is
usually held, who should avoid it and what to do instead, and the cues to say, in our own words.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from unknot.catalog.holds import Hold, read_hold
from unknot.catalog.vocabulary import VOCABULARY_FILES, Vocabulary, vocabulary
from unknot.files import DATA
from unknot.names import NameIndex, did_you_mean
from unknot.yamlfile import Field, load

if TYPE_CHECKING:
    from unknot.catalog.figure import Figure

LEVELS = ("beginner", "intermediate", "advanced")
SIDE_WORDS = ("leg", "side", "arm")
AREA_WEIGHTS = (1, 3)

_POSE_FIELDS = (
    "name",
    "sanskrit",
    "aliases",
    "position",
    "per_side",
    "side_word",
    "areas",
    "hold",
    "props",
    "level",
    "avoid",
    "description",
    "modifications",
    "substitutes",
    "cues",
    "figure",
)
_REQUIRED = tuple(f for f in _POSE_FIELDS if f not in ("sanskrit", "side_word", "aliases"))


class Cues(NamedTuple):
    """What to say: coming in, while holding (the first is the key cue), coming out."""

    enter: str
    hold: tuple[str, ...]
    exit: str


class Pose(NamedTuple):
    name: str
    sanskrit: str
    aliases: tuple[str, ...]
    position: str
    per_side: bool
    side_word: str
    areas: dict[str, int]
    hold: Hold
    props: tuple[str, ...]
    level: str
    avoid: tuple[str, ...]
    description: str
    modifications: tuple[str, ...]
    substitutes: tuple[str, ...]
    cues: Cues
    figure: Figure | None = None  # how to draw it (figures.py); every shipped pose has one

    @property
    def key_cue(self) -> str:
        return self.cues.hold[0]

    def side_label(self, side: str | None) -> str:
        """'right leg', 'left side', or '' for a pose done once."""
        return f"{side} {self.side_word}" if side else ""


class Catalog:
    """Poses in catalog order, found by any name a person might use."""

    def __init__(self, poses: list[Pose]) -> None:
        self.poses = poses
        self.index: NameIndex[Pose] = NameIndex("pose", listing="`unknot poses`")
        for pose in poses:
            self.index.add(
                pose.name, pose, (pose.sanskrit, *pose.aliases) if pose.sanskrit else pose.aliases
            )

    def find(self, name: str, *, where: str = "", field: str = "") -> Pose:
        return self.index.find(name, where=where, field=field)

    def get(self, name: str) -> Pose | None:
        return self.index.get(name)

    def stretching(self, areas: list[str]) -> list[Pose]:
        """Poses that stretch any of `areas`, most weight on them first."""
        scored = [(sum(p.areas.get(a, 0) for a in areas), i, p) for i, p in enumerate(self.poses)]
        return [p for score, _, p in sorted(scored, key=lambda t: (-t[0], t[1])) if score > 0]

    def __iter__(self) -> Iterator[Pose]:
        return iter(self.poses)


def _choice(field: Field, choices: tuple[str, ...] | list[str], what: str) -> str:
    value = field.string(expected=f"{what}: one of {', '.join(choices)}")
    if value not in choices:
        raise field.error(
            f"unknown {what} {value!r}{did_you_mean(value, choices)}",
            f"one of {', '.join(choices)}",
        )
    return value


def _choices(field: Field, choices: tuple[str, ...] | list[str], what: str) -> tuple[str, ...]:
    if field.kind == "seq":
        return tuple(
            _choice(item, choices, what) for item in field.sequence(expected=f"a list of {what}s")
        )
    return (_choice(field, choices, what),)


def _areas(field: Field, vocab: Vocabulary) -> dict[str, int]:
    areas: dict[str, int] = {}
    if field.kind == "map" and not field.node.value:
        return areas
    for name, weight in field.items(expected="a mapping of area: weight (1-3)"):
        if name not in vocab.areas:
            raise weight.error(f"unknown area {name!r}", f"one of {', '.join(vocab.areas)}")
        areas[name] = weight.integer(low=AREA_WEIGHTS[0], high=AREA_WEIGHTS[1])
    return areas  # empty for a resting pose such as Savasana


def _cues(field: Field) -> Cues:
    fields = field.mapping(["enter", "hold", "exit"], required=["enter", "hold", "exit"])
    hold = fields["hold"].strings(expected="a list of cues")
    if not hold:
        raise fields["hold"].error("is empty", "at least one cue for the hold")
    return Cues(fields["enter"].string(), tuple(hold), fields["exit"].string())


def _figure(field: Field) -> Figure:
    from unknot.catalog.figure import read_figure

    return read_figure(field)


def _pose(field: Field, vocab: Vocabulary, props: list[str]) -> Pose:
    f = field.mapping(_POSE_FIELDS, required=_REQUIRED)
    per_side = f["per_side"].boolean()
    if per_side != ("side_word" in f):
        raise field.error(
            "side_word goes with per_side: true and only with it",
            f"side_word ({', '.join(SIDE_WORDS)}) exactly when the pose is done per side",
        )

    def texts(name: str) -> tuple[str, ...]:
        return tuple(f[name].strings(expected=f"a list of {name}")) if name in f else ()

    def listed(name: str, choices: list[str] | tuple[str, ...], what: str) -> tuple[str, ...]:
        if name not in f or (f[name].kind == "seq" and not f[name].node.value):
            return ()
        return _choices(f[name], choices, what)

    return Pose(
        name=f["name"].string(),
        sanskrit=f["sanskrit"].string() if "sanskrit" in f else "",
        aliases=texts("aliases"),
        position=_choice(f["position"], list(vocab.positions), "position"),
        per_side=per_side,
        side_word=_choice(f["side_word"], SIDE_WORDS, "side word") if per_side else "",
        areas=_areas(f["areas"], vocab),
        hold=read_hold(f["hold"]),
        props=listed("props", props, "prop"),
        level=_choice(f["level"], LEVELS, "level"),
        avoid=listed("avoid", list(vocab.conditions), "condition"),
        description=f["description"].string(),
        modifications=texts("modifications"),
        substitutes=texts("substitutes"),
        cues=_cues(f["cues"]),
        figure=_figure(f["figure"]) if "figure" in f else None,
    )


def load_catalog(path: Path) -> Catalog:
    """Read and check a catalog file: every field, every name, every substitute."""
    vocab = vocabulary()
    root = load(path, what="pose catalog").mapping(["props", "poses"], required=["poses"])
    props = root["props"].strings(expected="a list of props") if "props" in root else []
    fields = root["poses"].sequence(expected="a list of poses")
    catalog = Catalog([_pose(item, vocab, props) for item in fields])
    for item, pose in zip(fields, catalog.poses, strict=True):
        for substitute in pose.substitutes:
            found = catalog.find(substitute, where=item.where, field=f"{item.path}.substitutes")
            if found is pose:
                raise item.error(f"{pose.name!r} lists itself as a substitute", "other poses")
    return catalog


CATALOG_FILE = DATA / "poses.yaml"


@cache
def catalog() -> Catalog:
    """The shipped catalog (read once per process, and cached between runs)."""
    from unknot.cache import cached

    return cached("catalog", [CATALOG_FILE, *VOCABULARY_FILES], lambda: load_catalog(CATALOG_FILE))
