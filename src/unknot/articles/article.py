"""What the importer found in an article: its steps, with where each came from, and the routine.

An `Article` keeps the article's own words next to what unknot made of them, so a person can
check each step: the wording that named it, the catalog pose it was matched to (or none, for a
custom step), the hold as the text states it, and how sure the match is.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import yaml

from unknot.catalog.poses import Pose
from unknot.errors import UnknotError
from unknot.names import slug

if TYPE_CHECKING:
    from unknot.routines.routine import Routine

SECONDS_PER_BREATH = 6  # a slow breath in a held stretch: in for about three, out for three
DEFAULT_HOLD_SECONDS = 30  # when an article gives no hold at all


class StatedHold(NamedTuple):
    """A hold as the article states it: "5 breaths", "10-30 seconds", "at least 30 seconds".

    `low` alone is a minimum and `high` alone a maximum; both equal is one value.
    """

    unit: str  # "seconds" or "breaths"
    low: int | None
    high: int | None

    def to_json(self) -> dict[str, int]:
        if self.low is not None and self.low == self.high:
            return {self.unit: self.low}
        found = {}
        if self.low is not None:
            found[f"min_{self.unit}"] = self.low
        if self.high is not None:
            found[f"max_{self.unit}"] = self.high
        return found

    def seconds(self) -> tuple[int, int]:
        """The hold to guide, in seconds: a minimum is held a little past it, a maximum is met
        halfway, breaths are counted at a slow breath's pace."""
        per = SECONDS_PER_BREATH if self.unit == "breaths" else 1
        low = self.low if self.low is not None else (self.high or 0) // 2
        high = self.high if self.high is not None else low + max(low // 2, per)
        return max(1, low * per), max(1, high * per)

    def __str__(self) -> str:
        word = self.unit if self.unit == "breaths" else "s"
        if self.low is not None and self.low == self.high:
            return f"{self.low} {word}" if word == "breaths" else f"{self.low}{word}"
        if self.low is not None and self.high is not None:
            return f"{self.low}-{self.high} {word}".replace(" s", "s")
        if self.low is not None:
            return f"at least {self.low} {word}".replace(" s", "s")
        return f"up to {self.high} {word}".replace(" s", "s")


class FoundStep(NamedTuple):
    """One step of the article, as read."""

    name: str  # the catalog pose's name, or the article's own name for a custom step
    said: str  # the words in the text that named it
    line: int  # 1-based line of the text where it is named
    confidence: float  # 0-1: how sure the name is the pose
    pose: Pose | None = None  # None: a custom step, guided by name and hold
    per_side: bool = False  # done once on each side
    stated_side: bool = False  # the text says so (not only the catalog's pose)
    hold: StatedHold | None = None
    block: int | None = None  # the per-side block it is in (1, 2, ...)
    flow: int | None = None  # the flow it is part of (moved through with its neighbours)
    rounds: int = 0  # a flow's rounds
    note: str = ""  # what the article says about a custom step, shortened


class Unplaced(NamedTuple):
    """A line that looked like part of the routine but could not be made a step."""

    line: int
    text: str


class Block(NamedTuple):
    """Steps done on one side, then again on the other, re-entered through `back_to`."""

    number: int
    back_to: Pose | None = None


class Article(NamedTuple):
    source: str
    title: str
    steps: tuple[FoundStep, ...]
    unplaced: tuple[Unplaced, ...] = ()
    notes: tuple[str, ...] = ()
    default_hold: StatedHold | None = None
    blocks: tuple[Block, ...] = ()

    @property
    def found(self) -> bool:
        """Whether the article holds a routine at all."""
        return bool(self.steps)

    @property
    def custom(self) -> tuple[FoundStep, ...]:
        return tuple(s for s in self.steps if s.pose is None)

    def routine_data(self) -> dict[str, Any]:
        """The routine as the data a routine file holds (docs/routine-format.md)."""
        data: dict[str, Any] = {
            "name": _short_slug(self.title) or "imported",
            "title": (self.title or "Imported routine")[:100],
        }
        if self.source:
            data["source"] = self.source
        if self.default_hold:
            data["hold"] = _hold_text(self.default_hold)
        data["steps"] = _steps(self)
        return data

    def routine(self) -> Routine:
        """The routine itself, read back through the routine reader as any routine file is."""
        from unknot.routines.routine import read_routine
        from unknot.yamlfile import parse

        data = self.routine_data()
        root = parse(self.routine_yaml(), where=self.source or "article", what="routine")
        return read_routine(root, name=data["name"])

    def routine_yaml(self) -> str:
        head = "# Imported by unknot from an article: check each step against the article.\n"
        body = yaml.safe_dump(self.routine_data(), sort_keys=False, allow_unicode=True, width=100)
        return head + body

    def to_json(self) -> dict[str, Any]:
        flows = {s.flow for s in self.steps if s.flow}
        return {
            "source": self.source,
            "title": self.title,
            "found": self.found,
            "default_hold": self.default_hold.to_json() if self.default_hold else None,
            "steps": [
                {
                    "name": s.name,
                    "said": s.said,
                    "pose": s.pose.name if s.pose else None,
                    "aliases": [
                        *([s.pose.sanskrit] if s.pose and s.pose.sanskrit else []),
                        *(s.pose.aliases if s.pose else ()),
                    ],
                    "per_side": s.per_side,
                    "block": s.block,
                    "flow": s.flow if s.flow in flows else None,
                    # a step without its own hold takes the one the article gives every pose
                    "hold": _json_hold(s.hold or self.default_hold),
                    "confidence": round(s.confidence, 2),
                    "line": s.line,
                }
                for s in self.steps
            ],
            "unplaced": [{"line": u.line, "text": u.text} for u in self.unplaced],
            "notes": list(self.notes),
            "routine": self.routine_yaml() if self.found else "",
        }


def _json_hold(hold: StatedHold | None) -> dict[str, int] | None:
    return hold.to_json() if hold else None


def save_routine(article: Article, path: Path, *, replace: bool = False) -> None:
    """Write the article's routine to `path`, checked by reading it back first; an existing
    file is kept unless `replace`."""
    from unknot.files import save

    if not article.found:
        raise UnknotError(
            "holds no routine", where=article.source, expected="an article with poses"
        )
    article.routine()  # a routine that would not read back is never written
    if path.exists() and not replace:
        raise UnknotError(
            "already exists", where=str(path), expected="a new file name (-o FILE), or --force"
        )
    save(path, article.routine_yaml().encode(), what="routine", field="output")


def _short_slug(title: str, limit: int = 60) -> str:
    whole = slug(title)
    if len(whole) <= limit:
        return whole
    return whole[:limit].rsplit("-", 1)[0]


def _hold_text(hold: StatedHold) -> int | str:
    low, high = hold.seconds()
    return low if low == high else f"{low}-{high}"


def _one(step: FoundStep) -> dict[str, Any] | str:
    if step.pose is None:
        item: dict[str, Any] = {"custom": step.name[:100]}
        if step.per_side:
            item["per_side"] = True
    else:
        if step.hold is None and not step.note:
            return step.pose.name
        item = {"pose": step.pose.name}
    if step.hold:
        item["hold"] = _hold_text(step.hold)
    if step.note and step.pose is None:
        item["note"] = step.note
    return item


def _flow(steps: list[FoundStep]) -> dict[str, Any]:
    item: dict[str, Any] = {"flow": [s.pose.name for s in steps if s.pose]}
    item["rounds"] = max(s.rounds for s in steps) or 3
    held = next((s.hold for s in steps if s.hold), None)
    if held:
        item["hold"] = _hold_text(held)
    return item


def _runs(steps: list[FoundStep]) -> list[dict[str, Any] | str]:
    """Steps as written: consecutive steps of one flow become one flow step."""
    out: list[dict[str, Any] | str] = []
    i = 0
    while i < len(steps):
        step = steps[i]
        if step.flow is not None:
            group = [s for s in steps[i:] if s.flow == step.flow]
            group = group[
                : next((k for k, s in enumerate(steps[i:]) if s.flow != step.flow), len(group))
            ]
            if len(group) >= 2 and all(s.pose for s in group):
                out.append(_flow(group))
                i += len(group)
                continue
        out.append(_one(step))
        i += 1
    return out


def _steps(article: Article) -> list[dict[str, Any] | str]:
    out: list[dict[str, Any] | str] = []
    backs = {b.number: b.back_to for b in article.blocks}
    steps = list(article.steps)
    i = 0
    while i < len(steps):
        number = steps[i].block
        if number is None:
            j = next((k for k in range(i, len(steps)) if steps[k].block is not None), len(steps))
            out.extend(_runs(steps[i:j]))
            i = j
            continue
        j = next((k for k in range(i, len(steps)) if steps[k].block != number), len(steps))
        block: dict[str, Any] = {"per_side": _runs(steps[i:j])}
        back = backs.get(number)
        if back is not None:
            block["back_to"] = back.name
        out.append(block)
        i = j
    return out
