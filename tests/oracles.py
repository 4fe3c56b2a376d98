"""References the planner is checked against, in the tests and benchmarks/planner.py: slow, plain,
and sharing nothing with its search but the options it may choose from."""

from __future__ import annotations

import math
from itertools import product

from unknot.guide.timeline import expand
from unknot.plan.layout import shaped_routine, units_of
from unknot.plan.model import Option
from unknot.plan.needs import Needs
from unknot.plan.planner import Problem, problem
from unknot.plan.relief import Rules, score
from unknot.routines.routine import Routine


def exhaustive_score(routine: Routine, needs: Needs, planner_rules: Rules | None = None) -> float:
    """The best score by trying every combination of options (every hold on the grid, every
    step kept or left out), each expanded into a real timeline and scored; -inf when none fits.
    When none fits with every demand (warm-up, doses), the last demand is given up and it tries
    again, as the planner does. Only for routines small enough."""
    task = problem(routine, needs, planner_rules)
    while True:
        best = _exhaustive(task, needs)
        if best > -math.inf or not task.demands:
            return best
        task = problem(routine, needs, planner_rules, len(task.demands) - 1)


def _exhaustive(task: Problem, needs: Needs) -> float:
    units = [u for u in units_of(task.layout) if u.step is not None]
    choices: list[list[Option | None]] = []
    for unit in units:
        options: list[Option | None] = [o for o, _, _ in task.options(unit).options]
        if task.optimise and task.droppable(unit):
            options.append(None)
        choices.append(options if task.optimise else [unit.choice])
    best = -math.inf
    for combination in product(*choices):
        for unit, choice in zip(units, combination, strict=True):
            unit.choice = choice
        shaped = shaped_routine(task.routine, task.layout, task.optimise)
        if not shaped.steps:
            continue
        hold = None if task.optimise else needs.hold
        timeline = expand(shaped, hold=hold, first_side=needs.first_side)
        if task.optimise and timeline.total > task.limit:
            continue
        best = max(best, score(timeline, task.ctx.weights, task.ctx.rules))
    return best
