"""The pose catalog and the vocabularies, as a person browsing them would check."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from click.testing import Result

from conftest import SEED_SEQUENCE
from unknot.catalog.poses import LEVELS, catalog
from unknot.catalog.vocabulary import vocabulary
from unknot.names import key

# The seed's 17 moves in order, and the ones done on one leg (or side) at a time.
SEED_POSES = list(dict.fromkeys(pose for pose, _ in SEED_SEQUENCE))
PER_SIDE = {pose for pose, side in SEED_SEQUENCE if side}


def test_every_seed_pose_is_in_the_catalog() -> None:
    assert len(SEED_POSES) == 17 and len(PER_SIDE) == 10
    names = [p.name for p in catalog()]
    assert [n for n in SEED_POSES if n not in names] == []


def test_the_seed_one_leg_poses_are_done_per_side() -> None:
    for name in SEED_POSES:
        assert catalog().find(name).per_side == (name in PER_SIDE), name


@pytest.mark.parametrize("pose", catalog().poses, ids=lambda p: p.name)
def test_every_pose_is_complete(pose: object) -> None:
    from unknot.catalog.poses import Pose

    assert isinstance(pose, Pose)
    vocab = vocabulary()
    assert pose.position in vocab.positions
    assert pose.level in LEVELS
    assert set(pose.areas) <= set(vocab.areas)
    assert all(1 <= w <= 3 for w in pose.areas.values())
    assert set(pose.avoid) <= set(vocab.conditions)
    assert 0 < pose.hold.low <= pose.hold.high
    assert pose.description and pose.cues.enter and pose.cues.hold and pose.cues.exit
    assert pose.per_side == bool(pose.side_word)
    for substitute in pose.substitutes:
        assert catalog().find(substitute) is not pose
    if pose.per_side:  # the guide adds the side; a cue that names one would contradict it
        for cue in (pose.cues.enter, *pose.cues.hold, pose.cues.exit):
            assert not {"right", "left"} & set(key(cue).split()), cue


def test_every_alias_finds_its_own_pose_and_no_other() -> None:
    owners: dict[str, str] = {}
    for pose in catalog():
        for spelling in (pose.name, pose.sanskrit, *pose.aliases):
            if not spelling:
                continue
            assert catalog().find(spelling) is pose, spelling
            assert owners.setdefault(key(spelling), pose.name) == pose.name, spelling


@pytest.mark.parametrize(
    ("typed", "found"),
    [
        ("down dog", "Downward-Facing Dog"),
        ("Downward Dog", "Downward-Facing Dog"),
        ("Adho Mukha Śvānāsana", "Downward-Facing Dog"),
        ("adho mukha svanasana", "Downward-Facing Dog"),
        ("CHILDS POSE", "Child's Pose"),
        ("child’s pose", "Child's Pose"),  # noqa: RUF001 - the curly apostrophe is the point
        ("corpse pose", "Savasana"),
        ("Half Lord of the Fishes", "Seated Spinal Twist"),
        ("ananda balasana", "Happy Baby"),
    ],
)
def test_a_pose_is_found_by_the_names_people_use(typed: str, found: str) -> None:
    assert catalog().find(typed).name == found


def test_plow_is_advanced_and_has_a_gentler_substitute() -> None:
    plow = catalog().find("Plow")
    assert plow.level == "advanced"
    assert "neck" in plow.avoid
    assert any(catalog().find(s).level == "beginner" for s in plow.substitutes)


def test_supported_fish_uses_a_prop_and_savasana_is_the_longest_usual_hold() -> None:
    assert catalog().find("Supported Fish").props
    longest = max(catalog(), key=lambda p: p.hold.high)
    assert longest.name == "Savasana"


def test_area_groups_and_plain_words_resolve_to_the_vocabulary() -> None:
    vocab = vocabulary()
    assert vocab.resolve_areas(["hips"]) == ["hip-flexors", "glutes", "outer-hips", "groin"]
    assert vocab.resolve_areas(["back"]) == ["lower-back", "upper-back", "side-body", "spine"]
    assert vocab.resolve_areas(["legs"]) == ["calves", "hamstrings", "quads", "it-band"]
    assert vocab.resolve_areas(["hip flexor", "lower back", "IT band", "adductors"]) == [
        "hip-flexors",
        "lower-back",
        "it-band",
        "groin",
    ]


def test_pose_command_shows_one_pose_by_alias(run: Callable[..., Result]) -> None:
    result = run("pose", "down dog")
    assert result.exit_code == 0
    assert "Downward-Facing Dog" in result.stdout
    assert "Pedal your feet" in result.stdout  # the movement cue inside the hold


def test_pose_command_json_carries_every_field(run: Callable[..., Result]) -> None:
    data = json.loads(run("pose", "pigeon", "--json").stdout)
    assert data["name"] == "Pigeon"
    assert data["per_side"] is True and data["side_word"] == "leg"
    assert set(data) >= {"aliases", "areas", "hold", "level", "avoid", "substitutes", "cues"}


def test_unknown_pose_gets_a_suggestion_and_status_2(run: Callable[..., Result]) -> None:
    result = run("pose", "pidgeon")
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        "unknot: unknown pose 'pidgeon' (did you mean 'Pigeon'?); "
        "expected a pose name as listed by `unknot poses`"
    ]


def test_poses_by_area_lists_only_poses_that_stretch_it(run: Callable[..., Result]) -> None:
    data = json.loads(run("poses", "--area", "calves", "--json").stdout)
    assert data, "some pose stretches the calves"
    assert all("calves" in p["areas"] for p in data)
    assert "Downward-Facing Dog" in [p["name"] for p in data]
    everything = json.loads(run("poses", "--json").stdout)
    assert len(everything) == len(catalog().poses)


def test_poses_by_group_and_unknown_area(run: Callable[..., Result]) -> None:
    hips = json.loads(run("poses", "--area", "hips", "--json").stdout)
    assert hips[0]["name"] in {"Pigeon", "Open Lizard", "Twisting Lizard", "Low Crescent Lunge"}
    result = run("poses", "--area", "calfs")
    assert result.exit_code == 2
    assert "unknown area 'calfs' (did you mean 'calves'?)" in result.stderr
