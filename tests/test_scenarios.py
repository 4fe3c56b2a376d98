"""Runners' scenarios (tests/scenarios.yaml) planned by the real planner and checked as a teacher
would check them: the rules every plan keeps, and each scenario's own."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

import unknot
from unknot.catalog.vocabulary import vocabulary
from unknot.plan.needs import Needs
from unknot.plan.planner import Plan
from unknot.plan.relief import rules

SCENARIOS = yaml.safe_load((Path(__file__).parent / "scenarios.yaml").read_text())["scenarios"]


@cache
def written_holds(routine: str) -> dict[str, int]:
    """The longest hold each pose has in the routine as written."""
    held: dict[str, int] = {}
    for entry in unknot.fit(unknot.routine(routine), Needs(level="advanced")).timeline:
        if entry.pose:
            held[entry.pose.name] = max(held.get(entry.pose.name, 0), entry.hold)
    return held


def plan_for(scenario: dict[str, Any]) -> Plan:
    needs = unknot.read_needs(**scenario["needs"])
    return unknot.fit(unknot.routine(scenario["routine"]), needs)


def check_rules_for_all(plan: Plan, routine: str) -> list[str]:
    """What breaks the rules every plan keeps (see scenarios.yaml), in words."""
    vocab, needs, wrong = vocabulary(), plan.needs, []
    ruled_out = vocab.ruled_out(needs.avoid)
    entries = [e for e in plan.timeline if e.pose]
    for entry in entries:
        pose = entry.pose
        assert pose is not None
        bad = [t for t in pose.traits if t in ruled_out]
        if bad:
            wrong.append(f"{pose.name} has {bad}, ruled out by {needs.avoid}")
        if pose.level == "advanced" and needs.level != "advanced":
            wrong.append(f"{pose.name} is advanced, and --level advanced was not given")
        longest = max(pose.hold.high, written_holds(routine).get(pose.name, 0))
        if pose.areas and entry.hold > longest:
            wrong.append(f"{pose.name} held {entry.hold} s, past its {longest} s")
        if "inversion" in pose.traits and entry.hold > written_holds(routine).get(pose.name, 0):
            wrong.append(f"{pose.name}, an inversion, held longer than written")
    if plan.budget is not None and plan.timeline.total > plan.budget:
        wrong.append(f"{plan.timeline.total} s is over the {plan.budget} s given")
    deep = next((n for n, e in enumerate(entries) if e.pose and e.pose.intensity == "deep"), None)
    if deep is not None:
        before = sum(e.hold for e in entries[:deep] if e.pose and e.pose.areas)
        enough = rules().warm_up_seconds if plan.timeline.total >= 600 else 1
        if before < enough:
            wrong.append(f"{entries[deep].pose.name} comes after {before} s of warming up")  # type: ignore[union-attr]
    return wrong


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s["name"] for s in SCENARIOS])
def test_a_runners_scenario_gets_a_plan_a_teacher_would_sign(scenario: dict[str, Any]) -> None:
    plan = plan_for(scenario)
    assert check_rules_for_all(plan, scenario["routine"]) == []
    names = {e.pose.name for e in plan.timeline if e.pose}
    assert names.isdisjoint(scenario.get("never", [])), names & set(scenario["never"])
    assert set(scenario.get("has", [])) <= names
    for area, seconds in scenario.get("each_side", {}).items():
        assert plan.doses[area] >= seconds, (area, plan.doses)


def test_the_table_covers_at_least_twenty_scenarios() -> None:
    assert len(SCENARIOS) >= 20


@pytest.mark.parametrize("condition", list(vocabulary().conditions))
@pytest.mark.parametrize("routine", ["after-long-run", "easy-after-hard", "foam-rolling"])
@pytest.mark.parametrize("minutes", [None, 4, 10, 25])
def test_no_plan_for_any_condition_holds_a_pose_it_rules_out(
    condition: str, routine: str, minutes: int | None
) -> None:
    needs = unknot.read_needs(avoid=[condition], minutes=minutes, tight=["hips,calves"])
    try:
        plan = unknot.fit(unknot.routine(routine), needs)
    except unknot.UnknotError as err:  # a plan may be impossible; a wrong plan may not be
        assert "nothing" in err.what
        return
    assert check_rules_for_all(plan, routine) == []
