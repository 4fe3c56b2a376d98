"""What each page shows, as data: the dict a page is rendered from is the JSON its `/api` twin
serves, so the page, the JSON and the command line never disagree."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import unknot

if TYPE_CHECKING:
    from jinja2 import Environment

    from unknot import Entry, Plan, Store
    from unknot.web.caches import Library
    from unknot.web.request import PlanRequest

TEMPLATES = Path(__file__).parent / "templates"
MINUTES_PRESETS = (5, 10, 15, 20, 30)  # a tap each on the start page; any other is typed


def label(name: str) -> str:
    """An area's or a group's name for people: hip-flexors -> Hip flexors."""
    vocab = unknot.vocabulary()
    term = vocab.areas.get(name) or vocab.groups.get(name)
    return term.label if term else name


def when(stamp: str) -> str:
    """An ISO time as this machine's local time, short enough for a phone: Tue 24 Nov 06:25."""
    return datetime.fromisoformat(stamp).astimezone().strftime("%a %d %b %H:%M")


def figure_url(pose: unknot.Pose, side: str | None) -> str | None:
    """Where the pose's figure is served; None for a custom step's pose (the article's own, not
    in the catalog), which has none: the page shows a text panel in its place."""
    return None if pose.custom else f"/figures/{unknot.figure_name(pose, side)}"


def _routine_data(library: Library, name: str) -> dict[str, Any]:
    from unknot.web.request import IMPORTED

    try:
        timeline = unknot.expand(library.routine(name))
    except unknot.UnknotError as err:  # a file given to `serve`, edited badly or gone since
        return {"name": name, "title": name, "problem": err.line(), "built_in": False, "poses": []}
    # A custom step's pose is not offered to leave out: --skip names catalog poses only.
    poses = {e.pose.name: None for e in timeline.entries if e.pose and not e.pose.custom}
    imported = name.startswith(IMPORTED)
    return {
        "name": name, "title": timeline.routine.title, "steps": len(timeline),
        "poses": list(poses),  # in the routine's order, each once: what "leave out" offers
        "total_seconds": timeline.total, "focus": timeline.focus(),
        "focus_labels": [label(a) for a in timeline.focus()],
        "description": timeline.routine.description,
        "built_in": name not in library.files and not imported,
        "imported": imported,  # read from an article on this server (Bring a routine)
    }  # fmt: skip


def _area_groups() -> list[dict[str, Any]]:
    vocab = unknot.vocabulary()
    grouped = {a for g in vocab.groups.values() for a in g.areas}
    groups: list[dict[str, Any]] = [
        {
            "name": g.name,
            "label": g.label,
            "areas": [{"name": a, "label": vocab.areas[a].label} for a in g.areas],
        }
        for g in vocab.groups.values()
    ]
    # the areas no group stands for, under a heading of their own
    more = [
        {"name": a.name, "label": a.label} for a in vocab.areas.values() if a.name not in grouped
    ]
    return [*groups, {"name": None, "label": "More", "areas": more}]


def start_data(library: Library, chosen: str = "") -> dict[str, Any]:
    """The start page's choices; `chosen`, an imported routine's name ("Change" on its plan),
    is offered too, after the others."""
    from unknot.web.request import imported_token

    vocab = unknot.vocabulary()
    names = list(library.names)
    try:
        if chosen not in names and imported_token(chosen):
            names.append(chosen)
    except unknot.UnknotError:  # not a token: the plan it came from said so
        pass
    return {
        "routines": [_routine_data(library, name) for name in names],
        "areas": _area_groups(),
        "conditions": [{"name": c.name, "label": c.label} for c in vocab.conditions.values()],
        "levels": list(vocab.levels),
        "props": [
            {"name": p, "label": p.replace("-", " ").capitalize()}
            for p in vocab.props
            if p != "wall"  # every home has one: never asked about
        ],
        "minutes_presets": MINUTES_PRESETS,
    }


def leave_out_choices(routines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each pose of any routine offered, once, with the routines it is in (the page shows
    those of the routine chosen), sorted by name."""
    holding: dict[str, list[str]] = {}
    for routine in routines:
        for pose in routine["poses"]:
            holding.setdefault(pose, []).append(routine["name"])
    return [{"name": p, "routines": r} for p, r in sorted(holding.items())]


def plan_data(plan: Plan, request: PlanRequest) -> dict[str, Any]:
    data = plan.to_json()
    data["query"] = request.query()
    data["total"] = unknot.clock(plan.timeline.total)
    data["cards"] = [  # each pose once, as the plan page shows it (a flow's rounds folded)
        {
            "pose": step.pose.name, "side": step.side,
            "side_label": step.pose.side_label(step.side), "hold_seconds": step.hold,
            "cue": step.cue, "note": step.note, "figure": figure_url(step.pose, step.side),
            "custom": step.pose.custom,
        }
        for step in unknot.card_steps(plan.timeline)
    ]  # fmt: skip
    data["changes"] = [d for d in data["decisions"] if d["status"] != "kept"]
    return data


def move_url(before: Entry | None, entry: Entry) -> str | None:
    """The figure of the move into `entry` from the pose before it, if both are poses with
    figures (a custom step's pose has none)."""
    if before is None or before.pose is None or entry.pose is None or entry.transition < 1:
        return None
    if before.pose.custom or entry.pose.custom:
        return None
    first = unknot.figure_name(before.pose, before.side).removesuffix(".svg")
    then = unknot.figure_name(entry.pose, entry.side).removesuffix(".svg")
    return f"/figures/moves/{first}/{then}/{entry.transition}.svg"


def _entry_data(entry: Entry, before: Entry | None, clip: str | None) -> dict[str, Any]:
    data = entry.to_json()
    data.update(
        name=entry.name, side_label=entry.side_label, key_cue=entry.key_cue,
        begins_seconds=entry.begins, note=entry.note,
        figure=figure_url(entry.pose, entry.side) if entry.pose else None,
        move_figure=move_url(before, entry), clip=clip,
    )  # fmt: skip
    return data


def play_data(
    plan: Plan, request: PlanRequest, voice: str, *, music: bool = False
) -> dict[str, Any]:
    query = request.query()
    timeline = plan.timeline
    return {
        "music": "/audio/music.mp3" if music else None,
        "routine": timeline.routine.name,
        "title": timeline.routine.title,
        "query": query,
        "total_seconds": timeline.total,
        "total": unknot.clock(timeline.total),
        "rate_areas": [
            {"name": a, "label": label(a)} for a in plan.needs.named or timeline.focus(3)
        ],
        "entries": [
            _entry_data(
                e,
                timeline.entries[e.index - 1] if e.index else None,
                f"/audio/{e.index}.mp3?{query}" if voice != "none" else None,
            )
            for e in timeline.entries
        ],
    }


SESSIONS_SHOWN = 20
EMPTY_AFTER_HOURS = 12  # a session with no step yet, this old, is not one still under way


def empty(session: unknot.SessionRecord, now: datetime) -> bool:
    """A session that holds nothing: stopped (or left) before a step was recorded."""
    if session.steps:
        return False
    left = (now - session.started_at).total_seconds() > EMPTY_AFTER_HOURS * 3600
    return session.ended_at is not None or left


def history_data(store: Store, titles: dict[str, str]) -> dict[str, Any]:
    """The recent sessions, each with its routine's title; those that hold nothing are not
    listed but counted (the page offers to remove them)."""
    now = datetime.now().astimezone()
    sessions = store.sessions()
    shown = [s for s in sessions if not empty(s, now)][:SESSIONS_SHOWN]
    return {
        "sessions": [{**s.to_json(), "title": titles.get(s.routine, s.routine)} for s in shown],
        "empty": [s.uid for s in sessions if empty(s, now)],
        "stats": unknot.history_stats(store),
    }


def past_runs(store: Store) -> list[unknot.Run]:
    return unknot.past_runs(store)


def after_data(run: unknot.Run, advice: unknot.Advice, token: str) -> dict[str, Any]:
    """A run read on the start page: its figures, the session it calls for, and why."""
    from unknot.web.request import PlanRequest

    chosen = advice.choices()
    minutes = chosen["minutes"]
    wanted = PlanRequest(
        routine=advice.routine, tight=tuple(chosen["tight"]),
        minutes=f"{minutes:g}" if minutes else "", level=chosen["level"] or "",
        extra=tuple(chosen["extra"]), run=token,
    )  # fmt: skip
    return {
        "run": run.to_json(),
        "said": run.sentence(),
        "notes": list(run.notes),
        "is_run": run.is_run,
        "advice": advice.to_json(),
        "why": [why[:1].upper() + why[1:] + "." for _, why in advice.reasons],
        "plan_url": f"/plan?{wanted.query()}",
        "change_url": f"/?{wanted.query()}",
    }


CHECK_BELOW = 0.7  # a step matched less surely than this is flagged "check this" on the page


def imported_data(
    article: unknot.Article, routine: str | None, problem: str = ""
) -> dict[str, Any]:
    """An article read on the start page: the library's JSON of it, each step with what the page
    shows of it, and the plan of its routine (`routine`: its name for a plan, None when it
    could not be saved, `problem` saying why)."""
    from unknot.web.request import PlanRequest

    data = article.to_json()
    # A per-side block is done on one side, step by step, then on the other: said on each of
    # its steps with the numbers it runs over, as the plan will do it.
    spans: dict[int, list[int]] = {}
    for number, step in enumerate(article.steps, 1):
        if step.block is not None:
            spans.setdefault(step.block, []).append(number)
    for shown, step in zip(data["steps"], article.steps, strict=True):
        hold = step.hold or article.default_hold
        span = spans.get(step.block, []) if step.block is not None else []
        sides = "each side" if step.per_side or span else ""
        if len(span) > 1:
            sides = f"each side, steps {span[0]}-{span[-1]} in turn"
        shown.update(
            custom=step.pose is None, hold_text=str(hold) if hold else "", sides=sides,
            check=step.confidence < CHECK_BELOW,
            # the article's own words, when they are not simply the name shown
            wording=step.said if step.said.strip().casefold() != step.name.casefold() else "",
        )  # fmt: skip
    data["plan_url"] = f"/plan?{PlanRequest(routine=routine).query()}" if routine else None
    data["problem"] = problem
    return data


def templates() -> Environment:
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default=True),  # routine files are text from anywhere
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["clock"] = unknot.clock
    env.filters["when"] = when
    env.globals["minutes_range"] = unknot.MINUTES
    return env
