"""The article benchmark's scorer (benchmarks/articles.py), on hand-built annotations and outputs.

None of these call the real importer: the outputs are dicts shaped like Article.to_json().
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from unknot.errors import UnknotError

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "articles.py"


def _load() -> ModuleType:
    # benchmarks/ is not a package: load the script by its path, under a name of its own
    spec = importlib.util.spec_from_file_location("articles_benchmark", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while being built
    spec.loader.exec_module(module)
    return module


bench = _load()


def step(name: str, **given: Any) -> dict[str, Any]:
    """An importer step named `name`, with the contract's keys defaulted."""
    base: dict[str, Any] = {
        "name": name,
        "said": name,
        "pose": None,
        "aliases": [],
        "per_side": False,
        "block": None,
        "flow": None,
        "hold": None,
        "confidence": 1.0,
        "line": 1,
    }
    return {**base, **given}


def output(*steps: dict[str, Any], found: bool | None = None) -> dict[str, Any]:
    return {
        "source": "",
        "title": "",
        "found": bool(steps) if found is None else found,
        "steps": list(steps),
        "unplaced": [],
        "notes": [],
        "routine": "",
    }


EXPECTED: dict[str, Any] = {
    "poses": ["Child's Pose", "Downward-Facing Dog", "Pigeon", "Child's Pose"],
    "aliases_seen": {
        "Child's Pose": "Child\u2019s Pose",
        "Downward-Facing Dog": ["Adho Mukha Svanasana", "down dog"],
        "Pigeon": "Eka Pada Rajakapotasana",
    },
    "bilateral": ["Pigeon"],
    "repeat_blocks": [],
    "holds": {
        "default_hold": {"min_seconds": 30, "max_seconds": 60},
        "Child's Pose": {"breaths": 8},
    },
}


def perfect() -> dict[str, Any]:
    return output(
        step("Child\u2019s Pose", hold={"breaths": 8}),
        step("down dog", hold={"min_seconds": 30, "max_seconds": 60}),
        step("Pigeon", per_side=True, hold={"min_seconds": 30, "max_seconds": 60}),
        step("Child's Pose"),
    )


def test_normalise_follows_the_readme() -> None:
    assert bench.normalise("Child\u2019s Pose") == "childs"
    assert bench.normalise("CHILDS POSE") == "childs"
    assert bench.normalise("Legs-Up-The-Wall Pose") == "legs up the wall"
    assert bench.normalise("  Cat/Cow ") == "cat cow"


def test_a_perfect_output_scores_one() -> None:
    score = bench.score_article("01", EXPECTED, perfect())
    assert (score.tp, score.fp, score.fn) == (3, 0, 0)
    figures = bench.totals([score])
    assert figures["strict"]["f1"] == 1.0
    assert figures["lenient"]["f1"] == 1.0
    assert figures["order"]["mean"] == 1.0
    assert figures["per_side"]["recall"] == 1.0
    assert figures["holds"]["accuracy"] == 1.0
    assert figures["holds"]["spurious"] == 0


def test_an_invented_pose_lowers_precision() -> None:
    made_up = perfect()
    made_up["steps"].append(step("Warrior III"))
    score = bench.score_article("01", EXPECTED, made_up)
    assert (score.tp, score.fp, score.fn) == (3, 1, 0)
    assert score.extra == ["Warrior III"]
    figures = bench.totals([score])["strict"]
    assert figures["precision"] == pytest.approx(0.75)
    assert figures["recall"] == 1.0


def test_a_missed_pose_lowers_recall() -> None:
    missing = perfect()
    del missing["steps"][2]  # Pigeon
    score = bench.score_article("01", EXPECTED, missing)
    assert (score.tp, score.fp, score.fn) == (2, 0, 1)
    assert score.missed == ["Pigeon"]
    assert score.per_side_missed == ["Pigeon"]
    figures = bench.totals([score])["strict"]
    assert figures["precision"] == 1.0
    assert figures["recall"] == pytest.approx(2 / 3)


def test_names_map_through_the_articles_aliases_first() -> None:
    # 'Seated Spinal Twist' names the chair twist in this article, though it is a canonical
    # name of its own elsewhere: the article's table wins
    expected = {
        "poses": ["Seated Chair Twist"],
        "aliases_seen": {"Seated Chair Twist": "Seated Spinal Twist"},
    }
    twist = step("Seated Spinal Twist", pose="Seated Spinal Twist")
    assert bench.step_key(twist, expected) == "seated chair twist"
    # said first, then name, pose and aliases: a catalog name found only among the aliases
    sanskrit = step("Dog", said="the dog thing", aliases=["Adho Mukha Svanasana"])
    assert bench.step_key(sanskrit, EXPECTED) == "downward facing dog"
    # a canonical name of the article's poses, then the safe synonyms, then the name itself
    assert bench.step_key(step("x", pose="Pigeon"), EXPECTED) == "pigeon"
    assert bench.step_key(step("Bakasana"), {"poses": ["Crow"]}) == "crow"
    assert bench.step_key(step("Half Moon"), EXPECTED) == "half moon"


def test_synonyms_meet_on_both_sides() -> None:
    expected = {"poses": ["Supta Baddha Konasana"], "aliases_seen": {}}
    score = bench.score_article("20", expected, output(step("Reclining Cobbler")))
    assert (score.tp, score.fp, score.fn) == (1, 0, 0)


@pytest.mark.parametrize(
    ("want", "got", "matches"),
    [
        ({"seconds": 30}, {"seconds": 30}, True),
        ({"seconds": 30}, {"seconds": 30.0, "breaths": None}, True),
        ({"seconds": 30}, {"seconds": 45}, False),
        ({"seconds": 30}, {"breaths": 30}, False),  # same number, other unit
        ({"seconds": 30}, None, False),
        ({"breaths": 5}, {"breaths": 5}, True),
        ({"min_breaths": 5, "max_breaths": 10}, {"min_breaths": 5, "max_breaths": 10}, True),
        ({"min_breaths": 5, "max_breaths": 10}, {"min_breaths": 5, "max_breaths": 8}, False),
        ({"min_breaths": 5, "max_breaths": 10}, {"breaths": 5}, False),  # a range, not a value
        ({"min_seconds": 30}, {"min_seconds": 30}, True),
        ({"min_seconds": 30}, {"seconds": 30}, False),  # "at least 30 s" is not "30 s"
        ({"min_seconds": 30}, {"max_seconds": 30}, False),  # nor "up to 30 s"
        ({"min_seconds": 30}, {"min_seconds": 30, "max_seconds": 60}, False),
        ({"max_seconds": 30}, {"max_seconds": 30}, True),
        # both units annotated: either one matching is enough
        ({"breaths": 5, "seconds": 30}, {"breaths": 5}, True),
        ({"breaths": 5, "seconds": 30}, {"seconds": 30}, True),
        ({"breaths": 5, "seconds": 30}, {"breaths": 6, "seconds": 20}, False),
        # one unit annotated: the importer's other unit is not looked at
        ({"breaths": 5}, {"breaths": 5, "seconds": 30}, True),
    ],
)
def test_holds_compare_unit_kind_and_value(
    want: dict[str, Any], got: dict[str, Any] | None, matches: bool
) -> None:
    assert bench.holds_match(want, got) is matches


def test_holds_use_the_first_step_and_the_default_hold() -> None:
    wrong = perfect()
    wrong["steps"][0]["hold"] = {"seconds": 60}  # Child's Pose: 8 breaths annotated
    wrong["steps"][3]["hold"] = {"breaths": 8}  # its second step does not count
    wrong["steps"][1]["hold"] = {"seconds": 30}  # the default is a 30-60 s range
    score = bench.score_article("01", EXPECTED, wrong)
    assert (score.holds_matched, score.holds_annotated) == (1, 3)
    assert [(m.pose, m.want, m.got) for m in score.holds_wrong] == [
        ("Child's Pose", "8 breaths", "60 s"),
        ("Downward-Facing Dog", "30-60 s", "30 s"),
    ]


def test_a_hold_the_article_does_not_give_is_spurious() -> None:
    expected = {**EXPECTED, "holds": {"Child's Pose": {"breaths": 8}}}
    score = bench.score_article("01", expected, perfect())
    assert score.holds_annotated == 1
    assert score.holds_spurious == ["Downward-Facing Dog", "Pigeon"]
    assert bench.totals([score])["holds"]["spurious"] == 2


def test_per_side_hits_and_misses() -> None:
    expected = {
        "poses": ["Pigeon", "Triangle", "Tree", "Cobra"],
        "bilateral": ["Pigeon", "Triangle", "Tree"],
    }
    result = output(
        step("Pigeon", per_side=True),  # marked per side
        step("Triangle", side="right"),  # two steps on different sides
        step("Triangle", side="left"),
        step("Tree"),  # once, no side: a miss
        step("Cobra", per_side=True),  # symmetric, marked anyway: reported, not penalised
    )
    score = bench.score_article("15", expected, result)
    assert (score.per_side_hits, score.bilateral) == (2, 3)
    assert score.per_side_missed == ["Tree"]
    assert score.per_side_extra == ["Cobra"]
    assert bench.totals([score])["per_side"]["recall"] == pytest.approx(2 / 3)


def test_a_step_in_a_per_side_block_is_done_on_each_side() -> None:
    expected = {"poses": ["Warrior II"], "bilateral": ["Warrior II"]}
    score = bench.score_article("01", expected, output(step("Warrior II", block=1)))
    assert score.per_side_hits == 1


def test_negatives_pass_on_nothing_and_fail_on_poses() -> None:
    negative: dict[str, Any] = {"poses": [], "aliases_seen": {}, "bilateral": [], "holds": {}}
    passed = bench.score_article("23", negative, output(found=False))
    failed = bench.score_article("24", negative, output(step("Downward-Facing Dog")))
    errored = bench.score_article("23", negative, None, error="no routine")
    assert passed.passed and errored.passed
    assert not failed.passed
    assert (failed.tp, failed.fp, failed.fn) == (0, 1, 0)
    assert passed.order is None and failed.order is None
    figures = bench.totals([passed, failed])
    assert figures["negatives"] == {"passed": ["23"], "failed": ["24"]}
    assert figures["order"]["articles"] == 0  # negatives are left out of the order average


def test_a_swapped_pair_lowers_order_agreement() -> None:
    expected = {"poses": ["Cobra", "Sphinx", "Pigeon"]}
    swapped = output(step("Sphinx"), step("Cobra"), step("Pigeon"))
    score = bench.score_article("19", expected, swapped)
    assert score.tp == 3
    assert score.order is not None and score.order < 1
    in_order = bench.score_article("19", expected, output(step("Cobra"), step("Pigeon")))
    assert in_order.order == 1.0  # a missed pose is recall's business, not order's


def test_unnamed_steps_and_alternatives_strict_and_lenient() -> None:
    expected = {
        "poses": ["Downward-Facing Dog", "Hamstring Stretch"],
        "unnamed_steps": [{"after": "Downward-Facing Dog", "likely": "Upward-Facing Dog"}],
        "alternatives": {"Hamstring Stretch": ["Reclining Hand-to-Big-Toe"]},
    }
    result = output(
        step("Downward-Facing Dog"),
        step("Upward Dog", said="Upward Dog", pose="Upward-Facing Dog"),
        step("Hamstring Stretch"),
        step("Reclining Hand-to-Big-Toe"),
    )
    score = bench.score_article("11", expected, result)
    assert (score.tp, score.fp, score.fn, score.lenient_fp) == (2, 2, 0, 1)
    assert score.extra == ["Upward Dog (unnamed)", "Reclining Hand-to-Big-Toe (alternative)"]
    figures = bench.totals([score])
    assert figures["strict"]["precision"] == pytest.approx(0.5)
    assert figures["lenient"]["precision"] == pytest.approx(2 / 3)


def test_missing_optional_keys_are_tolerated() -> None:
    score = bench.score_article("09", {"poses": ["Calf Foam Roll"]}, output(step("Calves")))
    assert (score.tp, score.fp, score.fn) == (0, 1, 1)  # no aliases_seen to map 'Calves' by
    assert bench.article_line(score).startswith("09  TP/FP/FN 0/1/1")


def test_score_file_counts_an_importer_error_as_no_steps(tmp_path: Path) -> None:
    path = tmp_path / "07-example.json"
    path.write_text(json.dumps({"url": "u", "title": "t", "text": "...", "expected": EXPECTED}))

    def refuses(text: str, source: str, title: str) -> dict[str, Any]:
        raise UnknotError("nothing to read", where=source)

    score = bench.score_file(path, refuses)
    assert score.number == "07"
    assert (score.tp, score.fp, score.fn) == (0, 0, 3)
    assert score.error == "u: nothing to read"
    assert "importer error: u: nothing to read" in bench.article_line(score)
    assert bench.article_files(tmp_path, "7") == [path]


def test_the_command_line_scores_a_folder_with_a_stand_in_importer(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    article = {"url": "u", "title": "t", "text": "Tree Pose, 10 breaths", "expected": EXPECTED}
    (tmp_path / "01-example.json").write_text(json.dumps(article))
    (tmp_path / "02-broken.json").write_text("{not json")

    def finds_child(text: str, source: str, title: str) -> dict[str, Any]:
        return output(step("Child's Pose", hold={"breaths": 8}))

    assert bench.main([str(tmp_path)], finds_child) == 0
    shown = capsys.readouterr()
    assert "02-broken.json: skipped" in shown.err
    assert shown.out.startswith("01  TP/FP/FN 1/0/2  |  missed: Downward-Facing Dog, Pigeon")
    assert "poses, strict" in shown.out and "poses, lenient" in shown.out
    assert bench.main([str(tmp_path), "--only", "01", "--json"], finds_child) == 0
    figures = json.loads(capsys.readouterr().out)
    assert figures["strict"]["recall"] == pytest.approx(1 / 3)
    assert figures["holds"] == {"matched": 1, "annotated": 3, "accuracy": 1 / 3, "spurious": 0}
    assert figures["by_article"][0]["missed"] == ["Downward-Facing Dog", "Pigeon"]
    assert bench.main([str(tmp_path), "--only", "09"], finds_child) == 2


def test_a_crashing_importer_is_scored_as_no_steps_and_reported(tmp_path: Path) -> None:
    path = tmp_path / "03-example.json"
    path.write_text(json.dumps({"text": "...", "expected": EXPECTED}))

    def crashes(text: str, source: str, title: str) -> dict[str, Any]:
        raise KeyError("oops")

    score = bench.score_file(path, crashes)
    assert score.crashed and "KeyError" in score.trace
    assert (score.tp, score.fn) == (0, 3)
    assert bench.totals([score])["crashes"] == ["03"]
    assert bench.main([str(tmp_path)], crashes) == 1
