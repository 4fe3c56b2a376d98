"""Bring a routine: `unknot import SOURCE` reads a routine out of an article (a text or HTML
file, standard input, or a link), says what it found and writes a routine file to guide."""

from __future__ import annotations

import sys
from pathlib import Path

import click

import unknot
from unknot.cli.options import Command, json_option, print_json, print_table, wrote


@click.command("import", cls=Command)
@click.argument("source", metavar="SOURCE")
@click.option(
    "-o", "--output", "output", type=click.Path(dir_okay=False, path_type=str), metavar="FILE",
    help="Where to write the routine (default: its name, .yaml, in this folder).",
)  # fmt: skip
@click.option("--force", is_flag=True, help="Write over FILE if it exists.")
@json_option
def import_(source: str, output: str | None, force: bool, as_json: bool) -> None:
    """Read the yoga or stretching routine in an article and write it as a routine file.

    SOURCE is a text or HTML file, - for standard input, or an http(s) link. Poses the catalog
    does not know become custom steps: guided by name and hold, with no figure.
    """
    article = unknot.import_article(source, stdin=sys.stdin.buffer)
    if not article.found:
        if as_json:
            print_json(article.to_json())
        raise unknot.UnknotError(
            "holds no routine that unknot can find (fewer than two poses named, and no hold)",
            where=article.source,
            expected="an article that names the poses of a sequence",
        )
    path = Path(output) if output else Path(f"{article.routine_data()['name']}.yaml")
    unknot.save_routine(article, path, replace=force)
    if as_json:
        print_json({**article.to_json(), "written": str(path)})
        wrote(path)
        return
    _say(article)
    wrote(path)
    click.echo(f"To be guided through it: unknot go {path}")


def _say(article: unknot.Article) -> None:
    rows = []
    for n, step in enumerate(article.steps, 1):
        name = step.name if step.pose else f"{step.name} (custom)"
        said = "" if unknot.same_name(step.said, step.name) else f'"{step.said}"'
        sides = ", ".join(
            word for word, yes in (("each side", step.per_side), ("flow", step.flow)) if yes
        )
        hold = str(step.hold) if step.hold else ""
        rows.append([str(n), name, sides, hold, f"{step.confidence:.2f}", said])
    title = f"{article.title or article.source}: {len(article.steps)} steps"
    print_table(["", "step", "sides", "hold", "sure", "as written"], rows, title)
    for block in article.blocks:
        numbers = [n for n, s in enumerate(article.steps, 1) if s.block == block.number]
        back = f", back in through {block.back_to.name}" if block.back_to else ""
        click.echo(
            f"Steps {numbers[0]}-{numbers[-1]}: on one side, then all again on the other{back}."
        )
    if article.default_hold:
        click.echo(f"Every pose: {article.default_hold}.")
    if article.custom:
        click.echo(
            f"{len(article.custom)} not in unknot's catalog: guided by name and hold, no figure, "
            "and left out when you name a condition to avoid."
        )
    if article.unplaced:
        click.echo("Could not place:")
        for line in article.unplaced:
            click.echo(f"  line {line.line}: {unknot.shorten(line.text, 90)}")
