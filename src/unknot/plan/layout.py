"""The routine laid out for the planner: a unit for every step as written, with what adapting
made of it and what the planner chose, grouped in blocks as the routine's per-side blocks are;
and the routine rebuilt from the units once they are chosen."""

from __future__ import annotations

from collections.abc import Iterator

from unknot.catalog.holds import Hold
from unknot.plan.adapt import Change, Written, adapt_step
from unknot.plan.model import Context, Option
from unknot.plan.needs import Needs
from unknot.routines.routine import FlowStep, PerSideBlock, PoseStep, RestStep, Routine, Step


class Unit:
    """One step as written, what adapting made of it, and what the planner chose."""

    def __init__(self, written: Written, needs: Needs, used: set[str]) -> None:
        self.written = written
        self.step: Written | None
        self.changes: list[Change]
        self.step, self.changes = adapt_step(written, needs, used)
        self.choice: Option | None = None
        self.required = False  # the search may not leave it out
        self.least_hold = 0  # the shortest hold the search may give it (a dose, a warm-up)
        self.added = ""  # why the planner brought it in from the catalog ("": written so)


class Block:
    """A per-side block: its steps, done on one side then the other, and the pose back to start."""

    def __init__(self, written: PerSideBlock, needs: Needs, used: set[str]) -> None:
        self.written = written
        self.units = [Unit(s, needs, used) for s in written.steps]
        self.back_to = Unit(written.back_to, needs, used) if written.back_to else None


Layout = list[Unit | Block]


def lay_out(routine: Routine, needs: Needs) -> Layout:
    """Every step of the routine, adapted to the needs (in order, substitutes not repeated)."""
    used = {p.name for p in routine.poses()}
    return [
        Block(s, needs, used) if isinstance(s, PerSideBlock) else Unit(s, needs, used)
        for s in routine.steps
    ]


def units_of(layout: Layout) -> Iterator[Unit]:
    """Every unit in the routine's order, a block's pose back to start after its steps."""
    for item in layout:
        if isinstance(item, Block):
            yield from item.units
            if item.back_to:
                yield item.back_to
        else:
            yield item


def keep_as_written(layout: Layout, ctx: Context) -> None:
    """Choose, for every unit still done, its written hold (and a flow's every round)."""
    for unit in units_of(layout):
        step = unit.step
        if step is None:
            continue
        pose = step.poses[0] if isinstance(step, FlowStep) else getattr(step, "pose", None)
        rounds = step.rounds if isinstance(step, FlowStep) else 0
        unit.choice = Option(ctx.written_hold(step.hold, pose).seconds, rounds)


def _chosen_step(unit: Unit) -> Written | None:
    step, choice = unit.step, unit.choice
    if step is None or choice is None:
        return None
    fixed = Hold(choice.hold, choice.hold)
    if isinstance(step, RestStep):
        return step
    if isinstance(step, FlowStep):
        return step._replace(rounds=choice.rounds, hold=fixed)
    return step._replace(hold=fixed)


def shaped_routine(routine: Routine, layout: Layout, chosen_holds: bool) -> Routine:
    """The routine as it will be guided: kept steps, with the chosen holds (or as written)."""

    def step_of(unit: Unit) -> Written | None:
        return _chosen_step(unit) if chosen_holds else unit.step

    steps: list[Step] = []
    for item in layout:
        if isinstance(item, Unit):
            chosen = step_of(item)
            if chosen:
                steps.append(chosen)
            continue
        inner = tuple(s for s in (step_of(u) for u in item.units) if s)
        back = step_of(item.back_to) if item.back_to else None
        if inner:
            steps.append(
                PerSideBlock(inner, back if isinstance(back, PoseStep) else None, item.written.note)
            )
    return routine._replace(steps=tuple(steps))
