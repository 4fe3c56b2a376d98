"""A clear figure for every pose: complete, inside its frame, on the floor, mirrored per side,
and printed in the session's order on the card."""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from unknot.catalog.figure import Figure
from unknot.catalog.poses import Pose, catalog
from unknot.pictures import card
from unknot.pictures import drawing as figures
from unknot.plan.needs import read_needs
from unknot.plan.planner import plan
from unknot.routines.routine import resolve

POSES = catalog().poses
SVG = "{http://www.w3.org/2000/svg}"


def lowest_point(figure: Figure) -> float:
    """The lowest y any part of the set-down figure reaches, worked out here on its own."""
    body = figures.style().body
    points = figures.joints(figure)
    return min(
        min(y - body["line"] / 2 for name, (_, y) in points.items() if name != "head"),
        points["head"][1] - body["head_radius"],
    )


def coordinates(document: str) -> list[tuple[float, float]]:
    """Every point an SVG draws, with circles' and lines' extent."""
    root = ET.fromstring(document)
    points: list[tuple[float, float]] = []
    for element in root.iter():
        a = {k: float(v) for k, v in element.attrib.items() if re.fullmatch(r"-?[\d.]+", v)}
        if element.get("class") == "floor":
            continue  # the floor runs the whole width on purpose
        if element.tag == f"{SVG}line":
            half = a["stroke-width"] / 2
            for x, y in ((a["x1"], a["y1"]), (a["x2"], a["y2"])):
                points += [(x - half, y - half), (x + half, y + half)]
        elif element.tag == f"{SVG}circle":
            points += [(a["cx"] - a["r"], a["cy"] - a["r"]), (a["cx"] + a["r"], a["cy"] + a["r"])]
        elif element.tag == f"{SVG}rect" and "x" in a:
            points += [(a["x"], a["y"]), (a["x"] + a["width"], a["y"] + a["height"])]
    return points


@pytest.mark.parametrize("pose", POSES, ids=lambda p: p.name)
def test_every_pose_has_a_figure_inside_its_frame_and_on_the_floor(pose: Pose) -> None:
    assert pose.figure is not None, f"{pose.name} has no figure in data/figures/"
    style = figures.style()
    for side in figures.sides(pose):
        document = figures.svg(pose, side)
        ET.fromstring(document)  # well-formed
        for x, y in coordinates(document):
            assert -0.5 <= x <= style.width + 0.5 and -0.5 <= y <= style.height + 0.5, (side, x, y)
    points = figures.joints(pose.figure)
    assert lowest_point(pose.figure) == pytest.approx(0.0, abs=1e-9)  # nothing below
    for contact in pose.figure.contacts:  # what the pose rests on is on the floor
        assert points[contact][1] <= 0.065, (contact, points[contact])


@pytest.mark.parametrize("pose", [p for p in POSES if p.per_side], ids=lambda p: p.name)
def test_the_left_side_is_the_mirror_of_the_right(pose: Pose) -> None:
    width = figures.style().width
    right = ET.fromstring(figures.svg(pose, "right"))
    left = ET.fromstring(figures.svg(pose, "left"))
    pairs = list(zip(right.iter(), left.iter(), strict=True))
    for a, b in pairs:  # the same drawing, element by element, x flipped about the middle
        if a.get("class") == "floor":
            continue  # the floor spans the whole width either way
        for name in ("x1", "x2", "cx"):
            if name in a.attrib:
                assert float(a.get(name, 0)) == pytest.approx(
                    width - float(b.get(name, 0)), abs=0.11
                )
        for name in ("y1", "y2", "cy", "r", "stroke-width"):
            assert a.get(name) == b.get(name)


def test_the_stretched_areas_are_tinted() -> None:
    dog = catalog().find("Downward-Facing Dog")
    document = figures.svg(dog)
    assert 'class="tint"' in document  # hamstrings and calves, weight 3
    assert "prefers-color-scheme:dark" in document  # light and dark


def test_a_pose_without_a_figure_fails_the_catalog(tmp_path: Path) -> None:
    import shutil

    from unknot.catalog.poses import load_catalog
    from unknot.errors import UnknotError
    from unknot.files import DATA

    shutil.copy(DATA / "catalog.yaml", tmp_path)
    for folder in ("poses", "figures"):
        shutil.copytree(DATA / folder, tmp_path / folder)
    (tmp_path / "figures" / "pigeon.yaml").unlink()
    with pytest.raises(UnknotError, match=r"pigeon\.yaml:1: has no figure"):
        load_catalog(tmp_path)


def test_figures_command_writes_every_figure_and_an_index(
    run: Callable[..., Result], tmp_path: Path
) -> None:
    out = tmp_path / "figs"
    result = run("figures", "--out", str(out))
    assert result.exit_code == 0, result.stderr
    expected = sum(2 if p.per_side else 1 for p in POSES)
    assert len(list(out.glob("*.svg"))) == expected
    index = (out / "index.html").read_text()
    for pose in POSES:
        assert pose.name.replace("'", "&#x27;") in index or pose.name in index


def card_timeline():  # type: ignore[no-untyped-def]
    return plan(resolve("after-long-run"), read_needs(minutes=15, tight=["hips"])).timeline


def test_the_card_lists_the_sessions_poses_in_order(
    run: Callable[..., Result], tmp_path: Path
) -> None:
    from pypdf import PdfReader

    target = tmp_path / "card.pdf"
    result = run(
        "plan", "after-long-run", "--minutes", "15", "--tight", "hips", "--card", str(target)
    )
    assert result.exit_code == 0, result.stderr
    reader = PdfReader(io.BytesIO(target.read_bytes()))
    assert len(reader.pages) == 1
    text = " ".join(reader.pages[0].extract_text().split())  # wrapped titles rejoined
    names = [f"{n}. {s.pose.name}" for n, s in enumerate(card.steps(card_timeline()), start=1)]
    positions = [text.find(name) for name in names]
    assert all(p >= 0 for p in positions), (names, text[:500])
    assert positions == sorted(positions)


def test_the_html_card_and_the_show_page(run: Callable[..., Result], tmp_path: Path) -> None:
    page = tmp_path / "card.html"
    assert run("plan", "after-long-run", "--minutes", "15", "--card", str(page)).exit_code == 0
    html = page.read_text()
    assert html.count("<svg") == len(
        card.steps(plan(resolve("after-long-run"), read_needs(minutes=15)).timeline)
    )
    shown = tmp_path / "show.html"
    assert run("show", "after-long-run", "--figures", str(shown)).exit_code == 0
    assert "Seated Spinal Twist" in shown.read_text()
    bad = run("plan", "after-long-run", "--card", str(tmp_path / "card.docx"))
    assert bad.exit_code == 2 and "a file ending in .pdf or .html" in bad.stderr
