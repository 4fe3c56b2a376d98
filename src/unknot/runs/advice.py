"""Today's session from the run just finished: which routine, which areas weighted, what to do
first, how many minutes, and one line of why for each choice. The rules are data
(data/after-run.yaml); this module reads the run's figures and applies them in order.

Rules that name a routine are kinds of session, and the first that applies is the one: its
other choices come with it, and the later kinds are passed over. Rules without a routine add
to whichever kind was chosen (hills weight the calves, a long descent adds foam rolling)."""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping
from functools import cache
from typing import Any, NamedTuple

import yaml

from unknot.files import DATA
from unknot.runs.summary import Run
from unknot.words import clock, duration

GENTLE_LEVEL = "beginner"  # `level: gentle`: the catalog's gentlest substitutes
SPORT_WORDS = {"cycling": "A ride", "swimming": "A swim", "walking": "A walk", "hiking": "A hike"}


class Advice(NamedTuple):
    routine: str
    tight: dict[str, int]  # area or group -> weight, from the rules (the runner's own on top)
    extra: tuple[str, ...]  # routines to do first
    minutes: float | None  # None: the routine as written
    level: str | None
    effort: str  # easy, steady, hard or unknown
    reasons: tuple[tuple[str, str], ...]  # (rule id, why), in the order applied

    def tight_words(self) -> list[str]:
        """The weights as --tight takes them: ["calves:2", "quads:2"]."""
        return [f"{area}:{weight}" for area, weight in self.tight.items()]

    def choices(
        self,
        *,
        tight: Iterable[str] = (),
        extra: Iterable[str] = (),
        minutes: str | float | None = None,
        level: str | None = None,
    ) -> dict[str, Any]:
        """The needs to plan with, as `read_needs` takes them: the advice's, with what the
        runner said on top (their weights win, their level wins, their minutes cap)."""
        return {
            "tight": (*self.tight_words(), *tight),
            "extra": tuple(dict.fromkeys((*self.extra, *extra))),
            "minutes": self.minutes if self.minutes is not None else (minutes or None),
            "level": level or self.level,
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "routine": self.routine, "tight": self.tight, "with": list(self.extra),
            "minutes": self.minutes, "level": self.level, "effort": self.effort,
            "why": [{"rule": rule, "why": why} for rule, why in self.reasons],
        }  # fmt: skip


@cache
def rules() -> dict[str, Any]:
    with (DATA / "after-run.yaml").open(encoding="utf-8") as file:
        data: dict[str, Any] = yaml.safe_load(file)
    return data


def effort(run: Run, past: Iterable[Run] = (), hr_max: float | None = None) -> tuple[str, str]:
    """(easy | steady | hard | unknown, the figure that says so)."""
    limits = rules()["effort"]
    top = hr_max
    if top and run.heart_rate:
        share = run.heart_rate / top
        said = f"average heart rate {run.heart_rate:.0f}, {share:.0%} of your maximum {top:.0f}"
        if share >= limits["hard_heart"]:
            return "hard", said
        return ("easy" if share <= limits["easy_heart"] else "steady"), said
    pace = run.pace_s_per_km
    paces = [p.pace_s_per_km for p in past if p.is_run and p.pace_s_per_km]
    if pace and len(paces) >= limits["past_runs"]:
        usual = statistics.median(p for p in paces if p)
        said = f"{_pace(pace)} a km against your usual {_pace(usual)}"
        if pace <= usual * (1 - limits["hard_pace"]):
            return "hard", said
        return ("easy" if pace >= usual * (1 + limits["easy_pace"]) else "steady"), said
    return "unknown", "no heart-rate maximum or past runs to compare with"


def advise(
    run: Run,
    past: Iterable[Run] = (),
    *,
    hr_max: float | None = None,
    minutes: float | None = None,
) -> Advice:
    """What to do after `run`, by the rules; `minutes` the runner has (caps the rules')."""
    kind, effort_reason = effort(run, past, hr_max)
    figures = _figures(run, kind)
    words = _words(run, figures, effort_reason)
    routine: str | None = None
    tight: dict[str, int] = {}
    extra: list[str] = []
    chosen_minutes: float | None = None
    level: str | None = None
    reasons: list[tuple[str, str]] = []
    for rule in rules()["rules"]:
        if not _applies(rule.get("when") or {}, figures):
            continue
        if "routine" in rule:
            if routine is not None:
                continue  # a kind of session was chosen already
            routine = rule["routine"]
            chosen_minutes = rule.get("minutes")
            if rule.get("level") == "gentle":
                level = GENTLE_LEVEL
        for area, weight in (rule.get("tight") or {}).items():
            tight[area] = max(weight, tight.get(area, 0))
        if rule.get("with") and rule["with"] not in extra:
            extra.append(rule["with"])
        reasons.append((rule["id"], rule["why"].format_map(words)))
    if minutes is not None:
        chosen_minutes = minutes if chosen_minutes is None else min(minutes, chosen_minutes)
    return Advice(
        routine or "after-long-run", tight, tuple(extra), chosen_minutes, level, kind,
        tuple(reasons),
    )  # fmt: skip


def _figures(run: Run, kind: str) -> dict[str, Any]:
    km = (run.distance_m or 0) / 1000
    climb = run.ascent_m or 0
    return {
        "km": km,
        "moving_minutes": (run.moving_s or run.elapsed_s or 0) / 60,
        "climb_m": climb,
        "climb_per_km": climb / km if km >= 1 else 0,
        "descent_m": run.descent_m or 0,
        "effort": kind,
        "sport": run.sport or "running",  # a file that does not say is taken for a run
    }


def _words(run: Run, figures: Mapping[str, Any], effort_reason: str) -> dict[str, str]:
    sport = figures["sport"]
    return {
        "km": f"{figures['km']:.1f}",
        "moving": duration(figures["moving_minutes"] * 60),
        "climb_m": f"{figures['climb_m']:.0f}",
        "climb_per_km": f"{figures['climb_per_km']:.0f}",
        "descent_m": f"{figures['descent_m']:.0f}",
        "effort_reason": effort_reason,
        "sport_word": SPORT_WORDS.get(sport, f"A {sport} activity"),
    }


def _applies(when: Mapping[str, Any], figures: Mapping[str, Any]) -> bool:
    for name, wanted in when.items():
        value = figures[name]
        if isinstance(value, str):
            text = str(wanted)
            negated = text.startswith("not ")
            if (value == text.removeprefix("not ")) == negated:
                return False
            continue
        text = str(wanted).strip()
        if text.startswith("<"):
            if not value < float(text[1:]):
                return False
        elif not value >= float(text):
            return False
    return True


def _pace(seconds: float) -> str:
    return clock(seconds)
