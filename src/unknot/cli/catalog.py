"""The pose catalog: `unknot poses`, `pose` and `figures`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

import unknot
from unknot.cli.options import Command, json_option, print_json, print_rich, print_table

if TYPE_CHECKING:
    from unknot import Pose


@click.command(cls=Command)
@click.option(
    "--area", "areas", multiple=True, help="Only poses that stretch this area (or group)."
)
@json_option
def poses(areas: tuple[str, ...], as_json: bool) -> None:
    """List the pose catalog."""
    wanted = unknot.vocabulary().resolve_areas(areas, field="area") if areas else []
    found = unknot.poses().stretching(wanted) if wanted else list(unknot.poses())
    if as_json:
        print_json([pose_json(p) for p in found])
        return
    rows = [
        [
            p.name,
            p.position,
            f"per {p.side_word}" if p.per_side else "",
            p.level,
            f"{p.hold} s",
            ", ".join(p.areas),
        ]
        for p in found
    ]
    print_table(["Pose", "Position", "Sides", "Level", "Hold", "Stretches"], rows)


@click.command(cls=Command)
@click.argument("name")
@json_option
def pose(name: str, as_json: bool) -> None:
    """Show one pose, found by any of its names."""
    found = unknot.poses().find(name)
    if as_json:
        print_json(pose_json(found))
        return
    print_rich(pose_panel(found))


@click.command(cls=Command)
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=str),
    help="The folder to write the figures and index.html into (made if missing).",
)
def figures(out_dir: str) -> None:
    """Write an SVG figure of every pose (and side), and an index.html that shows them all."""
    folder = Path(out_dir)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except (OSError, ValueError) as err:  # ValueError: a NUL character in the name
        said = err.strerror if isinstance(err, OSError) else "not a possible folder name"
        raise unknot.UnknotError(
            f"cannot be made ({said})", where=out_dir, field="out",
            expected="a folder unknot may write",
        ) from None  # fmt: skip
    files: dict[tuple[str, str | None], str] = {}
    poses = list(unknot.poses())
    for pose, side in unknot.every_figure(poses):
        name = unknot.figure_name(pose, side)
        svg = unknot.figure_svg(pose, side).encode()
        unknot.save(folder / name, svg, what="figure", field="out")
        files[(pose.name, side)] = name
    index = unknot.gallery_html(poses, files).encode()
    unknot.save(folder / "index.html", index, what="index", field="out")
    click.echo(f"Wrote {len(files)} figures and {folder / 'index.html'}.")


def pose_json(pose: Pose) -> dict[str, Any]:
    return {
        "name": pose.name,
        "sanskrit": pose.sanskrit or None,
        "aliases": list(pose.aliases),
        "position": pose.position,
        "per_side": pose.per_side,
        "side_word": pose.side_word or None,
        "areas": pose.areas,
        "hold": {"min_seconds": pose.hold.low, "max_seconds": pose.hold.high},
        "props": list(pose.props),
        "level": pose.level,
        "intensity": pose.intensity,
        "traits": list(pose.traits),
        "count": (
            {pose.counted.unit: [pose.counted.low, pose.counted.high], "every": pose.counted.every}
            if pose.counted
            else None
        ),
        "avoid": list(pose.avoid),
        "description": pose.description,
        "modifications": list(pose.modifications),
        "substitutes": list(pose.substitutes),
        "cues": {"enter": pose.cues.enter, "hold": list(pose.cues.hold), "exit": pose.cues.exit},
    }


def pose_panel(pose: Pose) -> Any:
    from rich.panel import Panel
    from rich.text import Text

    vocab = unknot.vocabulary()
    text = Text()
    heading = pose.name + (f"  ({pose.sanskrit})" if pose.sanskrit else "")
    text.append(heading + "\n", style="bold")
    text.append(pose.description + "\n\n")
    facts = [
        ("Also called", ", ".join(pose.aliases)),
        ("Position", pose.position),
        ("Sides", f"once per {pose.side_word}" if pose.per_side else "both together"),
        ("Stretches", ", ".join(f"{a} ({w})" for a, w in pose.areas.items()) or "nothing: a rest"),
        ("Hold", f"{pose.counted}, about {pose.hold} s" if pose.counted else f"{pose.hold} s"),
        ("Level", f"{pose.level}, {pose.intensity}"),
        ("Props", ", ".join(pose.props) or "none"),
        ("Safety", ", ".join(vocab.traits[t].label.lower() for t in pose.traits) or "nothing"),
        ("Avoid with", ", ".join(vocab.conditions[c].label for c in pose.avoid) or "nothing"),
        ("Instead", ", ".join(pose.substitutes) or "none listed"),
    ]
    for label, value in facts:
        text.append(f"{label + ':':<13}", style="bold")
        text.append(value + "\n")
    text.append("\nComing in: ", style="bold")
    text.append(pose.cues.enter + "\n")
    text.append("Holding:\n", style="bold")
    for cue in pose.cues.hold:
        text.append(f"  · {cue}\n")
    text.append("Coming out: ", style="bold")
    text.append(pose.cues.exit + "\n")
    if pose.modifications:
        text.append("Make it gentler:\n", style="bold")
        for tip in pose.modifications:
            text.append(f"  · {tip}\n")
    return Panel(text, expand=False)
