"""What each condition leaves out of a plan, and why: the catalog's safety model as a table.

A condition (conditions.yaml) rules out traits (traits.yaml); a pose with any of them is left
out of that person's plans or replaced. `document()` is docs/safety.md, written from the data
by `scripts/safety-doc` (a test checks the file is current), so the docs cannot drift from
what the planner does.
"""

from __future__ import annotations

from typing import NamedTuple

from unknot.catalog.poses import Pose, catalog
from unknot.catalog.vocabulary import Condition, vocabulary
from unknot.files import DATA

HEAD_FILE = DATA / "safety-head.md"


class LeftOut(NamedTuple):
    """One trait a condition rules out: why, and the catalog's poses that have it."""

    trait: str
    label: str
    why: str
    poses: tuple[str, ...]


def left_out(condition: Condition, poses: list[Pose] | None = None) -> list[LeftOut]:
    """For each trait the condition rules out: why, and the poses it leaves out."""
    vocab = vocabulary()
    every = list(catalog()) if poses is None else poses
    return [
        LeftOut(
            trait, vocab.traits[trait].label, why, tuple(p.name for p in every if trait in p.traits)
        )
        for trait, why in condition.rules_out.items()
    ]


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def document() -> str:
    """docs/safety.md: the head (data/safety-head.md), then a table for every condition."""
    vocab = vocabulary()
    poses = list(catalog())
    lines = [HEAD_FILE.read_text(encoding="utf-8").rstrip(), ""]
    for condition in vocab.conditions.values():
        words = ", ".join(f"`{a}`" for a in (condition.name, *condition.aliases))
        lines += [f"### {condition.label}", "", f"`--avoid` {words}", ""]
        lines += ["| left out | why | poses |", "| --- | --- | --- |"]
        for row in left_out(condition, poses):
            names = ", ".join(row.poses) or "(none in the catalog)"
            lines.append(f"| {_cell(row.label)} | {_cell(row.why)} | {_cell(names)} |")
        if condition.see:
            lines += ["", f"See a professional: {condition.see}"]
        lines.append("")
    return "\n".join(lines)
