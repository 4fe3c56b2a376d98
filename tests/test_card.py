"""The printable card (`unknot plan --card`): true A4 or US Letter pages, type of 12 pt and more,
whole sentences, up to 20 steps a page, and the `--paper` option."""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

import unknot
from unknot.pictures import card
from unknot.plan.needs import read_needs
from unknot.plan.planner import plan
from unknot.routines.routine import resolve

SVG = "{http://www.w3.org/2000/svg}"
PAPER_POINTS = {"a4": (595.28, 841.89), "letter": (612.0, 792.0)}  # 210x297 mm, 8.5x11 in
SENTENCE_END = (".", "!", "?")


def founding() -> unknot.Timeline:
    """The founding routine as written: 28 steps on the card (each side its own step)."""
    return unknot.expand(unknot.routine("after-long-run"))


def seventeen_steps() -> unknot.Timeline:
    """The founding routine in 18 minutes, hips first: 17 steps, with moves long enough to be
    talked through (15 minutes held 17 steps when every move took 3 s)."""
    timeline = plan(resolve("after-long-run"), read_needs(minutes=18, tight=["hips"])).timeline
    assert len(timeline) == 17
    return timeline


LEGS = ["Three-Legged Dog", "Tip-Toe Three-Legged Dog", "Twisting Lizard", "Low Crescent Lunge",
        "Lifted Head to Knee", "Open Lizard", "Pigeon", "Seated Spinal Twist", "Knee-to-Chest",
        "Lying Spinal Twist"]  # fmt: skip
ROLLS = ["Quad Foam Roll", "IT Band Foam Roll", "Calf Foam Roll", "Glute Foam Roll",
         "Hamstring Foam Roll"]  # the longest cues in the catalog  # fmt: skip
ONCE = ["Child's Pose", "Cat-Cow", "Downward-Facing Dog", "Happy Baby", "Supported Fish", "Plow",
        "Legs Up the Wall", "Sphinx", "Puppy Pose", "Savasana"]  # fmt: skip


def routine_of(write: Callable[..., Path], per_side: list[str], once: list[str]) -> unknot.Timeline:
    """A routine file: `per_side` on the right then the left, then `once`."""
    lines = ["name: long-card", "title: A long card", "hold: 20", "steps:", "  - per_side:"]
    lines += [f'      - "{name}"' for name in per_side]
    lines += [f'  - "{name}"' for name in once]
    path = write("\n".join(lines) + "\n", name="long-card.yaml")
    return unknot.expand(unknot.load_routine(path))


def texts(document: str | ET.Element) -> list[ET.Element]:
    root = ET.fromstring(document) if isinstance(document, str) else document
    return [e for e in root.iter() if e.tag in (f"{SVG}text", f"{SVG}tspan")]


def words(documents: list[str]) -> str:
    """Every text on the pages, in the order drawn, as one line."""
    said = " ".join("".join(e.itertext()) for d in documents for e in texts(d))
    return " ".join(said.split())


def page_sizes(pdf: bytes) -> list[tuple[float, float]]:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf))
    return [(float(p.mediabox.width), float(p.mediabox.height)) for p in reader.pages]


@pytest.mark.parametrize("paper", ["a4", "letter"])
def test_the_pdf_page_is_the_paper(paper: str) -> None:
    sizes = page_sizes(card.card_pdf(seventeen_steps(), paper=paper))
    width, height = PAPER_POINTS[paper]
    assert sizes and all(abs(w - width) <= 0.5 and abs(h - height) <= 0.5 for w, h in sizes), sizes


def test_a4_is_the_default_and_the_paper_is_checked() -> None:
    (width, height), *_ = page_sizes(card.card_pdf(seventeen_steps()))
    assert (round(width * 25.4 / 72), round(height * 25.4 / 72)) == (210, 297)
    with pytest.raises(unknot.UnknotError, match="expected one of: a4, letter"):
        card.card_pdf(seventeen_steps(), paper="a5")


@pytest.mark.parametrize("paper", ["a4", "letter"])
def test_every_text_is_12_pt_or_more_and_black(paper: str) -> None:
    width, height = PAPER_POINTS[paper]
    for document in card.card_pages(founding(), paper=paper):
        root = ET.fromstring(document)
        # one user unit is one point: the page is as wide in pt as its view box
        assert root.get("width") == f"{width:g}pt" and root.get("height") == f"{height:g}pt"
        assert root.get("viewBox") == f"0 0 {width:g} {height:g}"
        parents = {child: parent for parent in root.iter() for child in parent}
        found = texts(root)
        assert found
        for element in found:
            assert parents[element] is root or parents[element].tag == f"{SVG}text"  # unscaled
            size, at = None, element
            while size is None and at is not None:
                size, at = at.get("font-size"), parents.get(at)
            assert size is not None and float(size) >= 12, (size, "".join(element.itertext()))
            assert element.get("fill") in ("#000", "#fff"), element.get("fill")  # #fff: in a mark


@pytest.mark.parametrize("timeline", [founding, seventeen_steps])
def test_every_step_is_there_with_its_key_cue_in_whole_sentences(
    timeline: Callable[[], unknot.Timeline],
) -> None:
    session = timeline()
    for paper in ("a4", "letter"):
        documents = card.card_pages(session, paper=paper)
        said = words(documents)
        position = 0
        for n, step in enumerate(card.steps(session), start=1):
            name = f"{n}. {step.pose.name}"
            found = said.find(name, position)
            assert found >= position, (name, said[position : position + 300])
            first = card.sentences(step.cue)[0]
            assert first.endswith(SENTENCE_END), first
            assert said.find(first, found) > found, (first, said[found : found + 300])
            position = found
        for cell in (c for page in card.pages(session, paper) for col in page.columns for c in col):
            cue = " ".join(line.runs[0].text for line in cell.lines if line.kind == "cue")
            assert cue.endswith(SENTENCE_END) and cell.step.cue.startswith(cue), cue
            side = [r.text for line in cell.lines for r in line.runs if line.kind == "meta"]
            if cell.step.side:  # the bold L/R mark and the side word
                assert side[0] == cell.step.side[0].upper() and cell.step.side in side[1]
            assert any(text.startswith(f"hold {cell.step.hold // 60 or cell.step.hold}")
                       for text in side), side  # fmt: skip


def test_a_long_cue_keeps_whole_sentences_that_fit() -> None:
    one = "Breathe in slowly and let the whole of your back grow long and wide and soft."
    cue = " ".join([one, "Then rest!", "Stay here as long as it feels good to you today?", one])
    lines = card.cue_lines(cue, 150.0)
    kept = " ".join(lines)
    assert len(lines) <= card.CUE_LINES and kept.endswith(SENTENCE_END) and cue.startswith(kept)
    assert card.sentences(cue)[0] in kept
    long_one = " ".join(["and then a little further"] * 12) + "."
    assert " ".join(card.cue_lines(long_one, 150.0)) == long_one  # the first sentence, whole
    assert card.sentences("No end mark") == ["No end mark"]


def test_17_steps_make_one_page_and_30_make_two(write_routine: Callable[..., Path]) -> None:
    seventeen = seventeen_steps()
    twenty = routine_of(write_routine, LEGS, [])
    thirty = routine_of(write_routine, LEGS, ONCE)
    assert [len(card.steps(t)) for t in (seventeen, twenty, thirty)] == [17, 20, 30]
    for paper in ("a4", "letter"):
        assert len(page_sizes(card.card_pdf(seventeen, paper=paper))) == 1
        assert len(page_sizes(card.card_pdf(twenty, paper=paper))) == 1
        assert len(page_sizes(card.card_pdf(thirty, paper=paper))) == 2
        one, two = card.card_pages(thirty, paper=paper)
        assert "1/2" in words([one]) and "2/2" in words([two])
        assert "1/1" not in words(card.card_pages(seventeen, paper=paper))
        assert words([one]).startswith("A long card · ")  # the title on every page
        assert words([two]).startswith("A long card · ")


def test_the_longest_cues_take_pages_not_smaller_type(write_routine: Callable[..., Path]) -> None:
    """20 steps with the catalog's longest cues fit on a page in Liberation Sans (Arial's
    widths); in a wider font they may take two, never type under 12 pt or a cut cue."""
    twenty = routine_of(write_routine, ROLLS + LEGS[:5], [])
    for paper in ("a4", "letter"):
        laid = card.pages(twenty, paper)
        assert 1 <= len(laid) <= 2
        for cell in (c for page in laid for column in page.columns for c in column):
            assert all(line.size >= 12 for line in cell.lines)
            cue = " ".join(line.runs[0].text for line in cell.lines if line.kind == "cue")
            assert cue == cell.step.cue


def test_the_figures_are_larger_than_they_were() -> None:
    """The card of 17 steps printed each body about 15 mm long: now each figure, as printed
    (cropped to where it draws, at the page's one scale), is twice that or more."""
    timeline = seventeen_steps()
    (page,) = card.pages(timeline, "a4")
    widths = sorted(
        card.drawing_of(step, number).wide * page.frame * 25.4 / 72
        for number, step in enumerate(card.steps(timeline), start=1)
    )
    assert widths[len(widths) // 2] >= 30, widths  # mm, the middle one
    assert widths[0] >= 25, widths


def test_the_cli_writes_letter_and_refuses_an_unknown_paper(
    run: Callable[..., Result], tmp_path: Path
) -> None:
    target = tmp_path / "card.pdf"
    result = run("plan", "after-long-run", "--card", str(target), "--paper", "letter")
    assert result.exit_code == 0, result.stderr
    sizes = page_sizes(target.read_bytes())
    assert sizes and all(abs(w - 612) <= 0.5 and abs(h - 792) <= 0.5 for w, h in sizes)
    page = tmp_path / "card.html"
    assert run("plan", "after-long-run", "--card", str(page), "--paper", "letter").exit_code == 0
    assert "@page{size:letter;" in page.read_text()

    bad = run("plan", "after-long-run", "--card", str(tmp_path / "bad.pdf"), "--paper", "a5")
    assert bad.exit_code == 2
    lines = bad.stderr.strip().splitlines()
    assert len(lines) == 1 and "--paper" in lines[0] and "a4" in lines[0] and "letter" in lines[0]
    assert not (tmp_path / "bad.pdf").exists()
    alone = run("plan", "after-long-run", "--paper", "letter")
    assert alone.exit_code == 2 and "--paper" in alone.stderr and "--card" in alone.stderr


def test_the_html_card_has_the_same_pages_and_type() -> None:
    session = founding()
    page = card.card_html(session, paper="a4")
    assert "@page{size:A4;" in page
    assert "@page{size:letter;" in card.card_html(session, paper="letter")
    assert page.count("<section>") == len(card.pages(session, "a4")) == 2
    assert "1/2" in page and "2/2" in page
    sizes = [float(s) for s in re.findall(r"font(?:-size)?:(\d+(?:\.\d+)?)pt", page)]
    assert sizes and min(sizes) >= 12
    assert page.count("<svg") == len(card.steps(session))
    for step in card.steps(session):
        assert card.sentences(step.cue)[0].replace("'", "&#x27;") in page
