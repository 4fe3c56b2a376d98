"""A clear figure for every pose: resting on the floor and its props, inside its frame, in its
own colours, mirrored and marked per side, tinted where it stretches, moving where the pose
moves; and printed in the session's order on the card."""

from __future__ import annotations

import io
import itertools
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from unknot.catalog.figure import Figure, Posture
from unknot.catalog.poses import Pose, catalog
from unknot.pictures import card
from unknot.pictures import drawing as figures
from unknot.pictures.body import resting
from unknot.plan.needs import read_needs
from unknot.plan.planner import plan
from unknot.routines.routine import resolve

POSES = catalog().poses
SVG = "{http://www.w3.org/2000/svg}"
# Poses whose figure must move: they are done as a movement, not a held shape.
MOVING = ("Cat-Cow", "Happy Baby", "Downward-Facing Dog")
REST = 0.02  # body heights (3.5 cm on a 1.75 m runner): a resting point this close rests


def numbers(path: str) -> list[tuple[float, float]]:
    """The points of an SVG path made of M, L and Z."""
    values = [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", path)]
    return list(zip(values[::2], values[1::2], strict=True))


def paths(document: str) -> list[ET.Element]:
    return [e for e in ET.fromstring(document).iter(f"{SVG}path")]


def every_point(document: str) -> list[tuple[float, float]]:
    """Every point any path of the figure passes through, in any moment it moves through."""
    found = []
    for path in paths(document):
        found += numbers(path.get("d", ""))
        for animate in path.iter(f"{SVG}animate"):
            for value in animate.get("values", "").split(";"):
                found += numbers(value)
    return found


def postures(figure: Figure) -> list[Posture]:
    return [figure.posture, *(figure.motion.frames if figure.motion else ())]


@pytest.mark.parametrize("pose", POSES, ids=lambda p: p.name)
def test_every_figure_rests_on_what_carries_it_and_nothing_goes_through_the_floor(
    pose: Pose,
) -> None:
    assert pose.figure is not None, f"{pose.name} has no figure in data/figures/"
    for n, posture in enumerate(postures(pose.figure)):
        gaps = resting(posture, pose.figure.contacts, pose.figure.props)
        floating = {k: round(v, 3) for k, v in gaps.items() if abs(v) > REST and k != "floor"}
        assert not floating, f"{pose.name}, moment {n}: these do not rest: {floating}"
        assert gaps["floor"] >= -REST, f"{pose.name}, moment {n}: through the floor"


@pytest.mark.parametrize("pose", POSES, ids=lambda p: p.name)
def test_every_figure_fits_its_frame_and_carries_its_own_colours(pose: Pose) -> None:
    style = figures.style()
    for side in figures.sides(pose):
        for theme in ("auto", "print"):
            document = figures.svg(pose, side, theme=theme)
            for x, y in every_point(document):
                assert 0 <= x <= style.width and 0 <= y <= style.height, (side, x, y)
            assert "var(" not in document  # seen right where CSS variables are not
            for path in paths(document):
                assert path.get("fill", "").startswith("#") or path.get("fill") == "none"
                assert path.get("stroke", "").startswith("#")
            has_sheet = "prefers-color-scheme:dark" in document
            assert has_sheet == (theme == "auto")  # a web figure also has its dark colours


@pytest.mark.parametrize("pose", [p for p in POSES if p.per_side], ids=lambda p: p.name)
def test_the_left_side_is_the_mirror_of_the_right_and_each_is_marked(pose: Pose) -> None:
    width = figures.style().width
    right, left = (figures.svg(pose, side, motion=False) for side in ("right", "left"))
    pairs = list(zip(paths(right), paths(left), strict=True))
    assert pairs
    for a, b in pairs:  # shape for shape, x flipped about the middle
        ours, theirs = numbers(a.get("d", "")), numbers(b.get("d", ""))
        assert len(ours) == len(theirs) and a.get("fill") == b.get("fill")
        mine = sorted((round(x), round(y)) for x, y in ours)
        flipped = sorted((round(width - x), round(y)) for x, y in theirs)
        close = [
            abs(p[0] - q[0]) <= 1 and abs(p[1] - q[1]) <= 1
            for p, q in zip(mine, flipped, strict=True)
        ]
        assert sum(close) >= 0.9 * len(close)
    marks = ["".join(t.itertext()) for t in ET.fromstring(right).iter(f"{SVG}text")]
    assert marks == ["R"]
    assert ["".join(t.itertext()) for t in ET.fromstring(left).iter(f"{SVG}text")] == ["L"]


def test_a_pose_done_once_has_no_side_mark() -> None:
    child = catalog().find("Child's Pose")
    assert not list(ET.fromstring(figures.svg(child)).iter(f"{SVG}text"))


@pytest.mark.parametrize("pose", POSES, ids=lambda p: p.name)
def test_the_tint_is_on_segments_that_show_what_the_pose_stretches(pose: Pose) -> None:
    assert pose.figure is not None
    if not pose.areas:  # a pose for rest stretches nothing, and shows nothing stretched
        assert not pose.figure.stretch
        return
    assert pose.figure.stretch, f"{pose.name} tints nothing"
    shows = figures.style().shows
    worked = {segment for area in pose.areas for segment in shows.get(area, ())}
    for segment in pose.figure.stretch:
        assert segment.rsplit(".", 1)[-1] in worked, (pose.name, segment, pose.areas)
    tint = figures.style().themes["light"]["tint"]["fill"]
    for side in figures.sides(pose):
        fills = [p.get("fill") for p in paths(figures.svg(pose, side, theme="print"))]
        assert tint in fills


def test_the_lunge_tints_the_back_leg_on_either_side() -> None:
    lunge = catalog().find("Low Crescent Lunge")
    assert lunge.figure is not None
    assert lunge.figure.stretch == ("left.thigh",)  # the right foot forward, the left knee down
    assert figures.sided(lunge.figure, "left").stretch == ("right.thigh",)


@pytest.mark.parametrize("name", MOVING)
def test_a_pose_that_moves_moves_in_a_loop_and_its_still_does_not(name: str) -> None:
    pose = catalog().find(name)
    assert pose.figure is not None and pose.figure.motion is not None
    document = figures.svg(pose)
    loops = [a for p in paths(document) for a in p.iter(f"{SVG}animate")]
    assert loops and all(a.get("repeatCount") == "indefinite" for a in loops)
    assert {a.get("dur") for a in loops} == {f"{pose.figure.motion.seconds:g}s"}
    for a in loops:  # one path shape from moment to moment, so it can move between them
        shapes = {len(numbers(v)) for v in a.get("values", "").split(";")}
        assert len(shapes) == 1
    assert "<animate" not in figures.svg(pose, motion=False)


def test_the_move_from_one_pose_into_the_next_plays_once_and_ends_on_the_next() -> None:
    lunge, lifted = catalog().find("Low Crescent Lunge"), catalog().find("Lifted Head to Knee")
    document = figures.move_svg((lunge, "right"), (lifted, "right"), 6)
    moving = [a for p in paths(document) for a in p.iter(f"{SVG}animate")]
    assert moving and all(a.get("fill") == "freeze" and a.get("dur") == "6s" for a in moving)
    ends = {a.get("values", "").split(";")[-1] for a in moving}
    firsts = {a.get("values", "").split(";")[0] for a in moving}
    assert ends != firsts  # it goes somewhere


def test_black_and_white_keeps_every_kind_of_shape_apart() -> None:
    def grey(colour: str) -> float:
        r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
        return 0.299 * r + 0.587 * g + 0.114 * b

    for theme in ("light", "dark"):
        paint = figures.style().themes[theme]
        kinds = ("near", "trunk", "tint", "far", "wall", "prop", "mat")
        levels = sorted(grey(paint[k]["fill"]) for k in kinds)
        gaps = [b - a for a, b in itertools.pairwise(levels)]
        assert min(gaps) >= 12, (theme, dict(zip(kinds, levels, strict=True)))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("camera: {azimuth: 0, elevation: 0}\ncontacts: [pelvis]\nstretch: [right.thigh]\n"
         "joints: {right.knee: {flex: 200}}\n",
         "right.knee flex 200 is beyond what the joint does"),
        ("camera: {azimuth: 0, elevation: 0}\ncontacts: [right.kne]\nstretch: [right.thigh]\n",
         "unknown point 'right.kne' (did you mean 'right.knee'?)"),
        ("camera: {azimuth: 0, elevation: 0}\ncontacts: [pelvis]\nstretch: [right.thigh]\n"
         "joints: {right.knee: {twist: 10}}\n", "unknown field 'twist'"),
        ("camera: {azimuth: 0, elevation: 0}\ncontacts: [pelvis]\n", "missing field 'stretch'"),
        ("camera: {azimuth: 0, elevation: 0}\ncontacts: [pelvis]\nstretch: [right.thigh]\n"
         "props: [{kind: strap, at: right.hand}]\n", "a strap needs 'to'"),
    ],
)  # fmt: skip
def test_a_wrong_figure_is_refused_at_its_line(tmp_path: Path, text: str, message: str) -> None:
    from unknot.catalog.figure import read_figure
    from unknot.errors import UnknotError
    from unknot.yamlfile import load

    path = tmp_path / "pigeon.yaml"
    path.write_text(text)
    with pytest.raises(UnknotError, match=re.escape(message)) as caught:
        read_figure(load(path, what="pose figure"), ("block", "strap"))
    assert str(path) in str(caught.value)


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
