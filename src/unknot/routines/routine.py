"""Routines as a person writes them: YAML files of poses, holds, per-side blocks, flows and rests.

A routine says what to do in what order; it does not say when. `timeline.expand` turns it into
the timed session. The file format is documented in docs/routine-format.md.
"""

from __future__ import annotations

import stat
from pathlib import Path
from typing import NamedTuple

from unknot.catalog.holds import Hold, read_hold
from unknot.catalog.poses import Catalog, Pose, catalog, catalog_files, custom_pose
from unknot.catalog.vocabulary import VOCABULARY_FILES
from unknot.errors import UnknotError
from unknot.files import DATA
from unknot.names import NameIndex
from unknot.words import quoted
from unknot.yamlfile import Field, load

BUILT_IN = DATA / "routines"
SIDES = ("right", "left")
MAX_ROUNDS = 20
MAX_STEPS = 500  # steps as written
# The session as done: every round of a flow and both sides of per-side work counted. The
# planner's work grows with it (a per-side block fastest), so a routine whose steps multiply
# out past it is refused as it is read, before anything is expanded or planned.
MAX_SESSION_STEPS = 500
MAX_SESSION_MINUTES = 240  # the longest session, as written or as the minutes asked for
MAX_NAME_CHARS = 100  # a routine's name or title, a custom step's: it is shown on one line
MAX_CUSTOM_NOTE_CHARS = 300  # a custom step's note is its cue, shown and said: a few sentences

_ROUTINE_FIELDS = (
    "name", "title", "description", "source", "focus", "hold", "first_side", "steps",
)  # fmt: skip
_STEP_KINDS = ("pose", "flow", "rest", "per_side", "custom")
_STEP_FIELDS = {
    "pose": ("pose", "hold", "note"),
    "custom": ("custom", "per_side", "hold", "note"),  # per_side: true or false, here
    "flow": ("flow", "rounds", "hold", "then_hold", "note"),
    "rest": ("rest", "note"),
    "per_side": ("per_side", "back_to", "note"),
}


class PoseStep(NamedTuple):
    """Hold one pose (both sides in turn when the pose is done per side)."""

    pose: Pose
    hold: Hold | None = None
    note: str = ""


class FlowStep(NamedTuple):
    """Move back and forth between poses for a number of rounds.

    The first round settles into each pose for `hold`; later rounds move on after `then_hold`.
    """

    poses: tuple[Pose, ...]
    rounds: int
    hold: Hold | None = None
    then_hold: Hold | None = None
    note: str = ""


class RestStep(NamedTuple):
    """A pause between poses."""

    hold: Hold
    note: str = ""


class PerSideBlock(NamedTuple):
    """Steps done on one side, then all again on the other, re-entered through `back_to`."""

    steps: tuple[PoseStep | FlowStep | RestStep, ...]
    back_to: PoseStep | None = None
    note: str = ""


Step = PoseStep | FlowStep | RestStep | PerSideBlock


class Routine(NamedTuple):
    name: str
    title: str
    steps: tuple[Step, ...]
    description: str = ""
    source: str = ""
    hold: Hold | None = None
    first_side: str = "right"
    path: Path | None = None
    focus: tuple[str, ...] = ()  # areas it is for, weighted like --tight: favoured when nobody says

    def poses(self) -> list[Pose]:
        """Every pose the routine names, in order, each once."""
        found: dict[str, Pose] = {}
        for step in self.steps:
            inner = step.steps if isinstance(step, PerSideBlock) else (step,)
            if isinstance(step, PerSideBlock) and step.back_to:
                inner = (*inner, step.back_to)
            for s in inner:
                for pose in step_poses(s):
                    found.setdefault(pose.name, pose)
        return list(found.values())


def step_poses(step: PoseStep | FlowStep | RestStep) -> tuple[Pose, ...]:
    """The poses one step holds, in order (none for a rest)."""
    if isinstance(step, PoseStep):
        return (step.pose,)
    if isinstance(step, FlowStep):
        return step.poses
    return ()


def session_steps(step: Step) -> int:
    """How many entries of the session one step becomes (as `timeline.expand` lays them out):
    a flow's every round, both sides of per-side work, a block's `back_to` once."""
    if isinstance(step, PerSideBlock):
        return 2 * sum(_once(s) for s in step.steps) + (1 if step.back_to else 0)
    sides = 2 if any(p.per_side for p in step_poses(step)) else 1
    return sides * _once(step)


def _once(step: PoseStep | FlowStep | RestStep) -> int:
    return step.rounds * len(step.poses) if isinstance(step, FlowStep) else 1


class _Reader:
    """Reads one routine file's steps against a catalog, counting the session they make."""

    def __init__(self, poses: Catalog) -> None:
        self.catalog = poses
        self.counted = 0  # entries of the session, of the steps read so far

    def check(self, field: Field, more: int) -> None:
        """An error at `field` if `more` entries would make the session too long."""
        if self.counted + more > MAX_SESSION_STEPS:
            raise field.error(
                f"takes the session to at least {self.counted + more:,} steps, counting every "
                "round of a flow and both sides of per-side work",
                f"a routine of at most {MAX_SESSION_STEPS:,} steps done in all",
            )

    def count(self, field: Field, more: int) -> None:
        self.check(field, more)
        self.counted += more

    def pose(self, field: Field) -> Pose:
        name = field.string(expected="the name of a pose in the catalog (see `unknot poses`)")
        return self.catalog.find(name, where=field.where, field=field.path)

    def note(self, fields: dict[str, Field]) -> str:
        return fields["note"].string(expected="a note as text") if "note" in fields else ""

    def hold(self, fields: dict[str, Field], name: str = "hold") -> Hold | None:
        return read_hold(fields[name]) if name in fields else None

    def step(self, field: Field, *, in_block: bool) -> Step:
        if field.kind == "str":  # shorthand: a bare pose name
            return PoseStep(self.pose(field))
        expected = f"a step: a pose name or a mapping with one of {', '.join(_STEP_KINDS)}"
        if field.kind != "map":
            raise field.error(f"is {field.describe()}", expected)
        keys = [str(k.value) for k, _ in field.node.value]
        kinds = [k for k in keys if k in _STEP_KINDS]
        if "custom" in kinds and "per_side" in kinds:  # a custom step's own per_side: true
            kinds.remove("per_side")
        if len(kinds) != 1:
            what = "names no step kind" if not kinds else f"mixes {' and '.join(kinds)}"
            raise field.error(what, expected)
        kind = kinds[0]
        fields = field.mapping(_STEP_FIELDS[kind])
        if kind == "pose":
            return PoseStep(self.pose(fields["pose"]), self.hold(fields), self.note(fields))
        if kind == "rest":
            return RestStep(read_hold(fields["rest"]), self.note(fields))
        if kind == "custom":
            return self.custom(fields)
        if kind == "flow":
            return self.flow(fields, in_block=in_block)
        if in_block:
            raise field.error("a per_side block inside a per_side block", "steps of one side")
        return self.block(fields)

    def custom(self, fields: dict[str, Field]) -> PoseStep:
        """A pose the catalog does not have, by the article's own name (see `custom_pose`); the
        note is its cue, so it is not the step's note as well (it would be said twice)."""
        name = self.custom_name(fields["custom"])
        per_side = fields["per_side"].boolean() if "per_side" in fields else False
        note = self.note(fields)
        if len(note) > MAX_CUSTOM_NOTE_CHARS:
            raise fields["note"].error(
                f"is {len(note):,} characters long",
                f"a short note of at most {MAX_CUSTOM_NOTE_CHARS} characters, in your own words",
            )
        return PoseStep(custom_pose(name, per_side=per_side, note=note), self.hold(fields))

    def custom_name(self, field: Field) -> str:
        """The article's name for a pose, as written: one line, and not a catalog pose's."""
        expected = "the article's name for the pose, on one line"
        name = field.string(expected=expected)
        if not name.isprintable():  # names are shown on one line, and said
            raise field.error("holds a line break or another control character", expected)
        if len(name) > MAX_NAME_CHARS:
            raise field.error(
                f"is {len(name):,} characters long", f"at most {MAX_NAME_CHARS} characters"
            )
        known = self.catalog.get(name)
        if known is not None:  # the catalog's pose brings its figure, cautions and cues
            called = "" if known.name == name else f" as {known.name!r}"
            raise field.error(
                f"{quoted(name, 40)} is in the catalog{called}: write `pose: {known.name}`",
                "custom: only for a pose that is not in the catalog (see `unknot poses`)",
            )
        return name

    def flow(self, fields: dict[str, Field], *, in_block: bool) -> FlowStep:
        items = fields["flow"].sequence(expected="a list of two or more pose names")
        if len(items) < 2:
            raise fields["flow"].error(
                f"has {len(items)} pose", "two or more poses to move between"
            )
        rounds = fields["rounds"].integer(low=1, high=MAX_ROUNDS) if "rounds" in fields else 3
        # Before a pose is looked up, so a flow of 20,000 poses is refused at once (outside a
        # block, its per-side poses doubling it are counted once they are known).
        self.check(fields["flow"], rounds * len(items) * (2 if in_block else 1))
        for item in items:
            if item.kind == "map" and any(str(k.value) == "custom" for k, _ in item.node.value):
                raise item.error(
                    "is a custom step inside a flow", "catalog poses only in a flow (a custom "
                    "step is a step of its own, or inside a per_side block)",
                )  # fmt: skip
        return FlowStep(
            tuple(self.pose(item) for item in items),
            rounds,
            self.hold(fields),
            self.hold(fields, "then_hold"),
            self.note(fields),
        )

    def block(self, fields: dict[str, Field]) -> PerSideBlock:
        items = fields["per_side"].sequence(expected="a list of steps done on each side")
        if not items:
            raise fields["per_side"].error("is an empty block", "at least one step for each side")
        if len(items) > MAX_STEPS:
            raise fields["per_side"].error(f"has {len(items):,} steps", f"at most {MAX_STEPS}")
        steps = tuple(self.side_step(item) for item in items)
        if isinstance(steps[0], RestStep):
            raise items[0].error(
                "a per_side block starts with a rest",
                "a pose first (put the rest before the block)",
            )
        back_to = None
        if "back_to" in fields:
            back = fields["back_to"]
            if back.kind == "str":
                back_to = PoseStep(self.pose(back))
            else:
                found = back.mapping(("pose", "hold"), required=("pose",))
                back_to = PoseStep(self.pose(found["pose"]), self.hold(found))
        return PerSideBlock(steps, back_to, self.note(fields))

    def side_step(self, field: Field) -> PoseStep | FlowStep | RestStep:
        """A step inside a per-side block (where another block is not allowed), done twice."""
        step = self.step(field, in_block=True)
        assert not isinstance(step, PerSideBlock)  # step() refuses a block inside a block
        self.count(field, 2 * _once(step))
        return step

    def top_step(self, field: Field) -> Step:
        """A step of the routine itself, counted as the session will do it."""
        before = self.counted
        step = self.step(field, in_block=False)
        self.counted = before  # a block's own steps were counted as read; now the whole of it
        self.count(field, session_steps(step))
        return step


def read_routine(root: Field, *, name: str, path: Path | None = None) -> Routine:
    """A routine from its parsed YAML; every mistake is an error at its line."""
    fields = root.mapping(
        _ROUTINE_FIELDS, required=("steps",), expected="a routine: a mapping with steps"
    )
    items = fields["steps"].sequence(expected="a list of steps")
    if not items:
        raise fields["steps"].error("is empty", "at least one step")
    if len(items) > MAX_STEPS:
        raise fields["steps"].error(f"has {len(items):,} steps", f"at most {MAX_STEPS}")
    reader = _Reader(catalog())
    steps = tuple(reader.top_step(item) for item in items)
    text = {
        k: fields[k].string() for k in ("name", "title", "description", "source") if k in fields
    }
    for key in ("name", "title"):
        if len(text.get(key, "")) > MAX_NAME_CHARS:
            raise fields[key].error(
                f"is {len(text[key]):,} characters long", f"at most {MAX_NAME_CHARS} characters"
            )
    focus: tuple[str, ...] = ()
    if "focus" in fields:
        from unknot.catalog.areas import WEIGHTS, parse_weighted

        names = fields["focus"].strings(expected="a list of areas or groups, weighted like hips:2")
        parse_weighted(names, WEIGHTS, where=fields["focus"].where, field="focus")  # all known
        focus = tuple(names)
    first_side = "right"
    if "first_side" in fields:
        first_side = fields["first_side"].string(expected="right or left").lower()
        if first_side not in SIDES:
            raise fields["first_side"].error(f"{first_side!r} is not a side", "right or left")
    return Routine(
        name=text.get("name", name),
        title=text.get("title", text.get("name", name)),
        steps=steps,
        description=text.get("description", ""),
        source=text.get("source", ""),
        hold=read_hold(fields["hold"]) if "hold" in fields else None,
        first_side=first_side,
        path=path,
        focus=focus,
    )


def load_routine(path: Path) -> Routine:
    """Read and check a routine file (cached while it and the catalog are unchanged)."""
    from unknot.cache import cached

    def read() -> Routine:
        return read_routine(load(path, what="routine"), name=path.stem, path=path)

    if not _is_file(path):
        return read()  # let the reader say what is wrong with it
    return cached("routine", [path, *catalog_files(), *VOCABULARY_FILES], read)


def _is_file(path: Path) -> bool:
    """Whether a regular file is there; False for any trouble (a name too long for the file
    system, a NUL character), which the reader then reports. Path.is_file() raises for some."""
    try:
        return stat.S_ISREG(path.stat().st_mode)
    except (OSError, ValueError):
        return False


def _exists(path: Path) -> bool:
    try:
        path.stat()
    except (OSError, ValueError):
        return False
    return True


def built_in_names() -> list[str]:
    return sorted(p.stem for p in BUILT_IN.glob("*.yaml"))


def resolve(name_or_path: str) -> Routine:
    """A built-in routine by name, or the routine in a file."""
    path = Path(name_or_path)
    looks_like_path = path.suffix in (".yaml", ".yml") or "/" in name_or_path or _exists(path)
    if looks_like_path:
        return load_routine(path)
    index: NameIndex[str] = NameIndex("routine")
    for built_in in built_in_names():
        index.add(built_in, built_in)
    if len(name_or_path) > MAX_NAME_CHARS or name_or_path not in index:
        near = index.did_you_mean(name_or_path) if len(name_or_path) <= MAX_NAME_CHARS else ""
        raise UnknotError(
            f"unknown routine {quoted(name_or_path, 40)}{near}",
            expected=f"a built-in routine ({', '.join(built_in_names())}) or a routine file path",
        )
    return load_routine(BUILT_IN / f"{index.find(name_or_path)}.yaml")
