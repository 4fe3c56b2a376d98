"""The pose catalog: every pose unknot can guide, one file per pose.

A pose carries what a guide needs to know about it: how it is found (name, Sanskrit, aliases),
where it starts from, whether it is done per side, what it stretches and how much, how long it is
usually held, who should avoid it and what to do instead, and the cues to say, in our own words.

In the data folder, `poses/<slug>.yaml` holds a pose (the slug is its name as a file name:
`poses/child-s-pose.yaml`), `figures/<slug>.yaml` how to draw it, and `catalog.yaml` lists the
slugs in catalog order, the order `unknot poses` shows, which nothing in a pose's own data gives.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from unknot.catalog.holds import Hold, read_hold
from unknot.catalog.vocabulary import (
    UNKNOWN_POSITION,
    VOCABULARY_FILES,
    Vocabulary,
    vocabulary,
)
from unknot.errors import UnknotError
from unknot.files import DATA
from unknot.names import NameIndex, did_you_mean, key, slug
from unknot.yamlfile import Field, load

if TYPE_CHECKING:
    from unknot.catalog.figure import Figure

AREA_WEIGHTS = (1, 3)
ORDER_FILE = "catalog.yaml"  # these three in the data folder
POSE_FOLDER = "poses"
FIGURE_FOLDER = "figures"

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
    "intensity",
    "traits",
    "count",
    "description",
    "modifications",
    "substitutes",
    "cues",
    "spoken",
)
_OPTIONAL = ("sanskrit", "side_word", "aliases", "hold", "count", "traits", "spoken")
_REQUIRED = tuple(f for f in _POSE_FIELDS if f not in _OPTIONAL)
COUNT_UNITS = ("reps", "breaths")
ROLLING_PROPS = ("foam-roller", "ball")  # a pose on one of these rolls the muscle
MAX_COUNT = 100


class Cues(NamedTuple):
    """What to say: coming in, while holding (the first is the key cue), coming out."""

    enter: str
    hold: tuple[str, ...]
    exit: str


class Spoken(NamedTuple):
    """What the voice says, as a teacher would to someone with their eyes closed: how to come in,
    how the side sounds to a body ("{side} knee forward"), the way out where it matters, the one
    safety cue that comes first in the hold, and, for a pose that moves, the breath to move with.
    `{side}` and `{other}` stand for "right" and "left" in a pose done per side."""

    come_in: str
    side: str = ""
    way_out: str = ""
    care: str = ""
    rhythm: str = ""

    def filled(self, text: str, side: str | None) -> str:
        """`text` with its side words filled in ("right", then "left" for `{other}`)."""
        if not side:
            return text
        other = "left" if side == "right" else "right"
        return text.replace("{side}", side).replace("{other}", other)


SPOKEN_WORDS = {"in": 30, "side": 6, "out": 20, "care": 18, "rhythm": 20}  # at most, each


class Count(NamedTuple):
    """A pose done as a number of moves or breaths rather than held still: `low`-`high` of them,
    one every `every` seconds. Its hold is the time they take."""

    unit: str  # "reps" or "breaths"
    low: int
    high: int
    every: int

    def of(self, seconds: float) -> int:
        """How many fit in `seconds`: at least one."""
        return max(1, round(seconds / self.every))

    def __str__(self) -> str:
        many = f"{self.low}" if self.low == self.high else f"{self.low}-{self.high}"
        return f"{many} {self.unit}"


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
    intensity: str  # gentle, moderate or deep: a session warms up before it goes deep
    traits: tuple[str, ...]  # what it does that matters for safety, its position's included
    avoid: tuple[str, ...]  # the conditions that rule out any of its traits (conditions.yaml)
    description: str
    modifications: tuple[str, ...]
    substitutes: tuple[str, ...]
    cues: Cues
    counted: Count | None = None  # done as reps or breaths, not held still
    spoken: Spoken | None = None  # what the voice says; None: the screen's words are said
    figure: Figure | None = None  # how to draw it (figures/<slug>.yaml); every catalog pose has one
    custom: bool = False  # not in the catalog: an article's own pose, known by its name alone

    @property
    def resting(self) -> bool:
        """A resting pose (Savasana): it stretches nothing. A custom pose has no areas because
        what it stretches is not known, which does not make it a rest."""
        return not self.areas and not self.custom

    @property
    def dynamic(self) -> bool:
        """Done as moves (reps or breaths) rather than a still hold."""
        return self.counted is not None

    @property
    def rolls(self) -> bool:
        """Done on a foam roller or a ball pressed into the muscle, rather than stretched."""
        return any(p in ROLLING_PROPS for p in self.props)

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


CUSTOM_HOLD = Hold(30, 30)  # a custom step's hold when neither it nor its routine gives one
CUSTOM_HOLD_CUE = "Hold it and breathe slowly."
CUSTOM_NO_FIGURE = "No figure: this pose is from the article, follow its description."


def custom_pose(name: str, *, per_side: bool = False, note: str = "") -> Pose:
    """A pose that is not in the catalog (an article's own, under the article's name), guided
    by its name and hold alone. Nothing else about it is known, so it has no areas, traits,
    level, intensity, props, substitutes or figure, and starts from a position not known. Its
    words are our own plain ones: the note (what the article says about it) is its cue; the
    voice says it is the article's pose, with no figure from unknot, and to go gently."""
    side = ", on your {side} side" if per_side else ""
    return Pose(
        name=name,
        sanskrit="",
        aliases=(),
        position=UNKNOWN_POSITION,
        per_side=per_side,
        side_word="side" if per_side else "",
        areas={},
        hold=CUSTOM_HOLD,
        props=(),
        level="",  # not known: neither a beginner's pose nor an advanced one
        intensity="",
        traits=(),
        avoid=(),
        description=note or f"{name}, as the article describes it.",
        modifications=(),
        substitutes=(),
        cues=Cues(
            f"{name}: as the article describes it.",
            (note or CUSTOM_HOLD_CUE,),
            "Come out of it slowly.",
        ),
        spoken=Spoken(
            come_in=f"The article's own pose, with no figure from unknot: do it as the article "
            f"describes{side}.",
            side="{side} side" if per_side else "",
            care="Unknot could not check this pose for you, so go gently, "
            "and ease off if anything hurts.",
        ),
        custom=True,
    )


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


def _spoken(field: Field, per_side: bool) -> Spoken:
    fields = field.mapping(list(SPOKEN_WORDS), required=["in"])
    texts = {name: fields[name].string() for name in fields}
    for name, text in texts.items():
        words = len(text.split())
        if not 0 < words <= SPOKEN_WORDS[name]:
            raise fields[name].error(
                f"has {words} words", f"1 to {SPOKEN_WORDS[name]} words, said as the body moves"
            )
        marks = set(re.findall(r"\{(\w*)\}", text))
        if marks - {"side", "other"} or ((marks or name == "side") and not per_side):
            raise fields[name].error(
                f"has placeholders {', '.join(sorted('{' + m + '}' for m in marks))}",
                "{side} and {other} only, and only in a pose done per side",
            )
        if per_side and re.search(r"\b(right|left)\b", text, re.IGNORECASE):
            raise fields[name].error(
                "names a side in a pose done on both",
                "{side} and {other} instead of right and left",
            )
    if per_side and "{side}" not in texts.get("side", ""):
        raise field.error("has no side for a pose done per side", 'side: "{side} knee forward"')
    return Spoken(
        texts["in"], texts.get("side", ""), texts.get("out", ""), texts.get("care", ""),
        texts.get("rhythm", ""),
    )  # fmt: skip


def _count(field: Field) -> Count:
    fields = field.mapping([*COUNT_UNITS, "every"], required=["every"])
    units = [u for u in COUNT_UNITS if u in fields]
    if len(units) != 1:
        raise field.error(
            "names no count" if not units else "names both reps and breaths",
            "one of reps or breaths (8-12) and every: the seconds each takes",
        )
    counted = fields[units[0]]
    hold = read_hold(counted)  # a count reads like a hold: 10, or 8-12
    if hold.high > MAX_COUNT:
        raise counted.error(f"{hold.high} is too many", f"at most {MAX_COUNT}")
    every = fields["every"].integer(low=1, high=60)
    return Count(units[0], hold.low, hold.high, every)


def _traits(f: dict[str, Field], position: str, vocab: Vocabulary) -> tuple[str, ...]:
    """The pose's own traits, and those its base position implies, in the vocabulary's order."""
    given = f.get("traits")
    empty = given is None or (given.kind == "seq" and not given.node.value)
    named = set() if empty else set(_choices(given, list(vocab.traits), "trait"))  # type: ignore[arg-type]
    named |= {t.name for t in vocab.traits.values() if position in t.implied_by}
    return tuple(t for t in vocab.traits if t in named)


def _avoid(traits: tuple[str, ...], vocab: Vocabulary) -> tuple[str, ...]:
    return tuple(c.name for c in vocab.conditions.values() if any(t in c.rules_out for t in traits))


def _hold(f: dict[str, Field], field: Field) -> tuple[Hold, Count | None]:
    if ("hold" in f) == ("count" in f):
        raise field.error(
            "gives both a hold and a count" if "hold" in f else "gives neither a hold nor a count",
            "hold: seconds held still (20-30), or count: {reps: 8-12, every: 3} for moves",
        )
    if "hold" in f:
        return read_hold(f["hold"]), None
    count = _count(f["count"])
    return Hold(count.low * count.every, count.high * count.every), count


def _pose(f: dict[str, Field], field: Field, vocab: Vocabulary) -> Pose:
    per_side = f["per_side"].boolean()
    if per_side != ("side_word" in f):
        raise field.error(
            "side_word goes with per_side: true and only with it",
            f"side_word ({', '.join(vocab.side_words)}) exactly when the pose is done per side",
        )

    def texts(name: str) -> tuple[str, ...]:
        return tuple(f[name].strings(expected=f"a list of {name}")) if name in f else ()

    def listed(name: str, choices: list[str] | tuple[str, ...], what: str) -> tuple[str, ...]:
        if name not in f or (f[name].kind == "seq" and not f[name].node.value):
            return ()
        return _choices(f[name], choices, what)

    position = _choice(f["position"], list(vocab.positions), "position")
    traits = _traits(f, position, vocab)
    hold, count = _hold(f, field)
    return Pose(
        name=f["name"].string(),
        sanskrit=f["sanskrit"].string() if "sanskrit" in f else "",
        aliases=texts("aliases"),
        position=position,
        per_side=per_side,
        side_word=_choice(f["side_word"], vocab.side_words, "side word") if per_side else "",
        areas=_areas(f["areas"], vocab),
        hold=hold,
        props=listed("props", vocab.props, "prop"),
        level=_choice(f["level"], vocab.levels, "level"),
        intensity=_choice(f["intensity"], vocab.intensities, "intensity"),
        traits=traits,
        avoid=_avoid(traits, vocab),
        description=f["description"].string(),
        modifications=texts("modifications"),
        substitutes=texts("substitutes"),
        cues=_cues(f["cues"]),
        counted=count,
        spoken=_spoken(f["spoken"], per_side) if "spoken" in f else None,
    )


class _Read(NamedTuple):
    """A pose as read from its file, with the fields it was read from, for errors across files."""

    pose: Pose
    fields: dict[str, Field]


def _read(path: Path, figure: Path, vocab: Vocabulary) -> _Read:
    """One pose file, and its figure file."""
    from unknot.catalog.figure import read_figure  # the figure model is apart: it will be replaced

    root = load(path, what="pose")
    fields = root.mapping(_POSE_FIELDS, required=_REQUIRED)
    pose = _pose(fields, root, vocab)
    if not figure.is_file():
        raise root.error("has no figure", f"its figure in {figure}")
    drawn = read_figure(load(figure, what="pose figure"), vocab.props)
    return _Read(pose._replace(figure=drawn), fields)


def _spellings(fields: dict[str, Field]) -> Iterator[Field]:
    """The fields that hold the pose's name, its Sanskrit name and each alias."""
    yield fields["name"]
    if "sanskrit" in fields:
        yield fields["sanskrit"]
    if "aliases" in fields:
        aliases = fields["aliases"]
        yield from aliases.sequence(expected="a list") if aliases.kind == "seq" else [aliases]


def _name_clash(read: list[_Read]) -> None:
    """The first name or alias that two files use, as an error naming both."""
    owners: dict[str, tuple[str, Field]] = {}
    for pose, fields in read:
        for field in _spellings(fields):
            spelling = field.string()
            owner, first = owners.setdefault(key(spelling), (pose.name, field))
            if first.source != field.source:
                raise field.error(
                    f"pose name {spelling!r} is used by both {owner!r} ({first.where}) "
                    f"and {pose.name!r}",
                    "every name and alias to belong to one pose only",
                )


def _index(read: list[_Read]) -> Catalog:
    """The catalog of these poses, each found by its names; each file named after its pose."""
    poses = [pose for pose, _ in read]
    # The index finds a clash on its own, but cannot say where: the files are looked through
    # only then, which spares every cold start a second pass over every name.
    try:
        catalog = Catalog(poses)
    except UnknotError:
        _name_clash(read)
        raise
    if any(catalog.get(pose.name) is not pose for pose in poses):
        _name_clash(read)  # one name in two files, which the index takes for one pose
    for pose, fields in read:
        named = f"{slug(pose.name)}.yaml"
        if Path(fields["name"].source).name != named:
            raise fields["name"].error(
                f"the file of pose {pose.name!r} is not named after it",
                f"{named}, and its figure {FIGURE_FOLDER}/{named}",
            )
    return catalog


def _order(data: Path, files: dict[str, Path]) -> list[str]:
    """The slugs in catalog.yaml, each with a pose file; every pose file listed there."""
    root = load(data / ORDER_FILE, what="pose catalog").mapping(["poses"], required=["poses"])
    listed: dict[str, Field] = {}
    for item in root["poses"].sequence(expected="a list of pose files (their slugs)"):
        stem = item.string(expected="a pose file's name without .yaml")
        if stem in listed:
            raise item.error(f"{stem!r} is listed twice", "each pose once")
        if stem not in files:
            raise item.error(
                f"no pose file {stem}.yaml in {data / POSE_FOLDER}{did_you_mean(stem, files)}",
                "the name of a pose file without .yaml",
            )
        listed[stem] = item
    for stem, path in files.items():
        if stem not in listed:
            raise UnknotError(
                f"is not listed in {data / ORDER_FILE}",
                where=str(path),
                expected=f"{stem!r} in its list, where the pose comes in the catalog",
            )
    return list(listed)


def _yaml_files(folder: Path) -> list[Path]:
    """The folder's YAML files by name; none for a missing folder (each pose then says so)."""
    try:
        # Names sorted as text, not as paths: this runs on every command, and Path compares slowly.
        names = sorted(os.listdir(folder))  # noqa: PTH208
    except (FileNotFoundError, NotADirectoryError):
        return []
    return [folder / name for name in names if name.endswith(".yaml")]


def catalog_files(data: Path = DATA) -> tuple[Path, ...]:
    """Every file the catalog is read from: what a cache of it depends on. unknot's own are
    listed once a process, like its code; another folder's every time."""
    return _own_catalog_files() if data == DATA else _listed(data)


@cache
def _own_catalog_files() -> tuple[Path, ...]:
    return _listed(DATA)


def _listed(data: Path) -> tuple[Path, ...]:
    return (data / ORDER_FILE, *_yaml_files(data / POSE_FOLDER), *_yaml_files(data / FIGURE_FOLDER))


def load_catalog(data: Path = DATA) -> Catalog:
    """Read and check the catalog in the folder `data`: catalog.yaml, every pose file in poses/
    and its figure in figures/; every field, every name across files, every substitute."""
    vocab = vocabulary()
    files = {path.stem: path for path in _yaml_files(data / POSE_FOLDER)}
    order = _order(data, files)
    for path in _yaml_files(data / FIGURE_FOLDER):
        if path.stem not in files:
            raise UnknotError(
                "is the figure of no pose",
                where=str(path),
                expected=f"the pose it draws in {data / POSE_FOLDER / path.name}",
            )
    read = [_read(files[stem], data / FIGURE_FOLDER / f"{stem}.yaml", vocab) for stem in order]
    catalog = _index(read)
    for pose, fields in read:
        for substitute in pose.substitutes:
            field = fields["substitutes"]
            if catalog.find(substitute, where=field.where, field=field.path) is pose:
                raise field.error(f"{pose.name!r} lists itself as a substitute", "other poses")
    return catalog


@cache
def catalog() -> Catalog:
    """The shipped catalog (read once per process, and cached between runs)."""
    from unknot.cache import cached

    return cached("catalog", [*catalog_files(), *VOCABULARY_FILES], load_catalog)
