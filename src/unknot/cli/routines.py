"""Routines and plans: `unknot routines`, `show`, `plan` and `validate`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

import unknot
from unknot.cli.options import (
    Command,
    file_option,
    json_option,
    print_json,
    print_table,
    routine_options,
    wrote,
)

if TYPE_CHECKING:
    from unknot import Plan


@click.command(cls=Command)
@json_option
def routines(as_json: bool) -> None:
    """List the built-in routines with their length and focus areas."""
    rows: list[dict[str, Any]] = []
    for name in unknot.built_in_routines():
        timeline = unknot.expand(unknot.routine(name))
        rows.append(
            {
                "name": name,
                "title": timeline.routine.title,
                "steps": len(timeline),
                "total_seconds": timeline.total,
                "focus": timeline.focus(),
                "description": timeline.routine.description,
            }
        )
    if as_json:
        print_json(rows)
        return
    table = [
        [r["name"], r["title"], unknot.clock(r["total_seconds"]), str(r["steps"]),
         ", ".join(r["focus"])]
        for r in rows
    ]  # fmt: skip
    print_table(["Routine", "Title", "Length", "Steps", "Focus"], table)


@click.command(cls=Command)
@routine_options
@file_option("--figures", "figures_path", "Also write a page (.html) with every step's figure.")
@json_option
def show(plan: Plan, figures_path: str | None, as_json: bool) -> None:
    """Show a routine's poses, sides, areas and holds as a table."""
    timeline = plan.timeline
    if figures_path:
        write_card(plan, figures_path, "figures", allowed=(".html",))
    if as_json:
        print_json(plan.to_json())
        return
    rows = []
    for entry in timeline:
        areas = ", ".join(entry.pose.areas) if entry.pose else ""
        if entry.pose and entry.pose.custom:
            areas = "not known: the article's own pose"
        name = entry.name + (f" (round {entry.round})" if entry.round else "")
        rows.append([str(entry.index + 1), name, entry.side or "", f"{entry.hold} s", areas])
    title = f"{timeline.routine.title} · {unknot.clock(timeline.total)}"
    print_table(["#", "Pose", "Side", "Hold", "Areas"], rows, title)


@click.command(cls=Command)
@routine_options
@file_option(
    "--card",
    "card_path",
    "Also write a printable card of the session (.pdf or .html): a page per 20 steps.",
)
@click.option("--paper", metavar="a4|letter", help="The card's paper: a4 (the default) or letter.")
@json_option
def plan(plan: Plan, card_path: str | None, paper: str | None, as_json: bool) -> None:
    """Print the timed session and why each step was kept, changed or left out."""
    timeline = plan.timeline
    if paper is not None and not card_path:
        raise unknot.UnknotError(
            "is for the card", field="paper", expected="--card FILE.pdf or FILE.html with it"
        )
    if card_path:
        write_card(plan, card_path, "card", allowed=(".pdf", ".html"), paper=paper or "a4")
    if as_json:
        print_json(plan.to_json())
        return
    rows = [
        [unknot.clock(e.start), e.name, e.side or "", f"{e.transition} s" if e.transition else "",
         f"{e.hold} s", e.key_cue]
        for e in timeline
    ]  # fmt: skip
    print_table(["At", "Step", "Side", "Move", "Hold", "Key cue"], rows, timeline.routine.title)
    click.echo(f"Total {unknot.clock(timeline.total)} ({timeline.total} s), {len(timeline)} steps.")
    if plan.needs.shapes or plan.needs.extra:
        print_why(plan)


@click.command(cls=Command)
@click.argument("file", type=click.Path(dir_okay=True, path_type=str))
@json_option
def validate(file: str, as_json: bool) -> None:
    """Check a routine file; every problem is reported at its line."""
    routine = unknot.load_routine(Path(file))
    timeline = unknot.expand(routine)
    result = {
        "file": file,
        "valid": True,
        "name": routine.name,
        "steps": len(timeline),
        "poses": len(routine.poses()),
        "total_seconds": timeline.total,
    }
    if as_json:
        print_json(result)
        return
    click.echo(
        f"{file}: valid routine {routine.name!r}: {len(routine.poses())} poses, "
        f"{len(timeline)} steps, {unknot.clock(timeline.total)}."
    )


def write_card(
    plan: Plan, path_text: str, field: str, allowed: tuple[str, ...], *, paper: str = "a4"
) -> None:
    """The session's card as a PDF or an HTML page on the paper, written atomically."""
    path = Path(path_text)
    if path.suffix.lower() not in allowed:
        raise unknot.UnknotError(
            f"cannot write a {path.suffix or 'file without an extension'}",
            where=path_text,
            field=field,
            expected=f"a file ending in {' or '.join(allowed)}",
        )
    if path.suffix.lower() == ".pdf":
        card = unknot.card_pdf(plan.timeline, paper=paper)
        unknot.save(path, card, what="card", field=field)
    else:
        page = unknot.card_html(plan.timeline, paper=paper).encode()
        unknot.save(path, page, what="page", field=field)
    wrote(path)


def print_why(plan: Plan) -> None:
    """Each step as written: kept, shortened, lengthened, substituted or left out, and why."""
    fitted = f"{plan.needs.minutes:g} minutes" if plan.needs.minutes else "the routine's length"
    favouring = f", favouring {plan.favoured}" if plan.favoured else ""
    click.echo(f"\nFitted to {fitted}{favouring}.")
    click.echo("Why:")
    for d in plan.decisions:
        hold = f" {d.hold} s" if d.hold is not None and d.hold != d.written_hold else ""
        name = d.pose + (f" -> {d.instead}" if d.instead and d.kept else "")
        click.echo(f"  {d.status + hold:<17} {name}: {d.reason}")
    if plan.area_seconds:
        covered = ", ".join(f"{a} {unknot.clock(s)}" for a, s in plan.area_seconds.items())
        click.echo(f"Time stretching what you named: {covered}.")
    if plan.doses:
        held = ", ".join(f"{a} {unknot.clock(s)}" for a, s in plan.doses.items())
        click.echo(f"Held in a real stretch of what you named, each side: {held}.")
    left_out = [d.pose for d in plan.decisions if not d.kept]
    if left_out:
        click.echo(f"Left out: {', '.join(left_out)}.")
