"""The pose catalog and the vocabularies, as a person browsing them would check."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from click.testing import Result

from conftest import SEED_SEQUENCE
from unknot.catalog.poses import catalog, load_catalog
from unknot.catalog.vocabulary import vocabulary
from unknot.errors import UnknotError
from unknot.files import DATA
from unknot.names import key, slug

POSE_FILES = sorted((DATA / "poses").glob("*.yaml"))

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
    assert pose.level in vocab.levels
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
    assert vocab.resolve_areas(["legs"]) == ["calves", "hamstrings", "quads", "it-band", "shins"]
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


@pytest.mark.parametrize("path", POSE_FILES, ids=lambda p: p.stem)
def test_every_pose_file_is_a_pose_of_the_catalog_with_its_figure(path: Path) -> None:
    pose = catalog().find(yaml.safe_load(path.read_text(encoding="utf-8"))["name"])
    assert slug(pose.name) == path.stem
    assert pose.figure is not None and (DATA / "figures" / path.name).is_file()


def test_the_catalog_is_every_pose_file_in_the_order_catalog_yaml_lists() -> None:
    order = yaml.safe_load((DATA / "catalog.yaml").read_text(encoding="utf-8"))["poses"]
    assert [slug(p.name) for p in catalog()] == order
    assert sorted(order) == sorted(p.stem for p in POSE_FILES)
    assert sorted((DATA / "figures").glob("*.yaml")) == [
        DATA / "figures" / p.name for p in POSE_FILES
    ]


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """A copy of the shipped catalog's files, to break one of them."""
    folder = tmp_path / "data"
    folder.mkdir()
    shutil.copy(DATA / "catalog.yaml", folder)
    for name in ("poses", "figures"):
        shutil.copytree(DATA / name, folder / name)
    return folder


def edit(path: Path, old: str, new: str) -> int:
    """Replace `old` (once) in the file; the line it was on."""
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")
    return text[: text.index(old)].count("\n") + 1


def test_a_copy_of_the_catalog_loads_as_the_shipped_one(data: Path) -> None:
    assert [p._asdict() for p in load_catalog(data)] == [p._asdict() for p in catalog()]


@pytest.mark.parametrize(
    ("file", "old", "new", "field", "words"),
    [
        ("poses/pigeon.yaml", "hold: 30-90", "hold: a while", "hold", "not a hold"),
        ("poses/pigeon.yaml", "level: intermediate", "level: expert", "level", "unknown level"),
        ("poses/pigeon.yaml", "props: []", "props: knees: hips", "", "bad YAML"),
        ("poses/plow.yaml", "substitutes: [", "substitutes: [Pidgeon, ", "substitutes", "Pigeon"),
        ("poses/sphinx.yaml", "props: []", "props: [sofa]", "props[1]", "unknown prop 'sofa'"),
        (
            "figures/pigeon.yaml",
            "right.knee: {flex: 106}",
            "right.knee: {flex: bent}",
            "joints.right.knee.flex",
            "an angle",
        ),
        (
            "figures/pigeon.yaml",
            "contacts: [",
            "contacts: [elbow, ",
            "contacts[1]",
            "unknown point",
        ),
    ],
    ids=["hold", "level", "yaml", "substitute", "prop", "figure-angle", "figure-point"],
)
def test_a_mistake_in_one_file_names_that_file_and_its_line(
    data: Path, file: str, old: str, new: str, field: str, words: str
) -> None:
    line = edit(data / file, old, new)
    with pytest.raises(UnknotError) as caught:
        load_catalog(data)
    assert caught.value.where.startswith(f"{data / file}:{line}")  # bad YAML adds its column
    assert caught.value.field == field
    assert words in str(caught.value)


@pytest.mark.parametrize(
    ("name", "line"),
    [("Half Pigeon", 3), ("Pigeon", 1)],  # Pigeon's alias on line 3; its very name, on line 1
    ids=["alias", "name"],
)
def test_a_name_in_two_files_names_both(data: Path, name: str, line: int) -> None:
    new = data / "poses" / "pigeon-again.yaml"  # a copy of Pigeon, to be made a pose of its own
    shutil.copy(data / "poses" / "pigeon.yaml", new)
    shutil.copy(data / "figures" / "pigeon.yaml", data / "figures" / new.name)
    edit(new, "name: Pigeon", f"name: {name}")
    edit(data / "catalog.yaml", "  - pigeon\n", "  - pigeon\n  - pigeon-again\n")
    with pytest.raises(UnknotError) as caught:
        load_catalog(data)
    assert caught.value.where == f"{new}:1"
    first = f"{data / 'poses' / 'pigeon.yaml'}:{line}"
    assert f"{name!r} is used by both 'Pigeon' ({first}) and {name!r}" in caught.value.what


def rename(path: Path, name: str) -> None:
    path.rename(path.with_name(name))


def unlist(data: Path) -> None:
    edit(data / "catalog.yaml", "  - plow\n", "")


def list_twice(data: Path) -> None:
    edit(data / "catalog.yaml", "  - plow\n", "  - plow\n  - plow\n")


def rename_pose_file(data: Path) -> None:
    rename(data / "poses" / "plow.yaml", "halasana.yaml")


def remove_figure(data: Path) -> None:
    (data / "figures" / "plow.yaml").unlink()


def rename_figure(data: Path) -> None:
    rename(data / "figures" / "plow.yaml", "halasana.yaml")


def rename_both_and_list(data: Path) -> None:
    edit(data / "catalog.yaml", "  - plow\n", "  - halasana\n")
    rename_pose_file(data)
    rename_figure(data)


# A pose file, a figure file or the list out of step with the others: (how, file, what is said).
OUT_OF_STEP = [
    (unlist, "poses/plow.yaml", "is not listed in"),
    (list_twice, "catalog.yaml:", "'plow' is listed twice"),
    (rename_pose_file, "catalog.yaml:", "no pose file plow.yaml"),
    (remove_figure, "poses/plow.yaml:1", "has no figure"),
    (rename_figure, "figures/halasana.yaml", "is the figure of no pose"),
    (rename_both_and_list, "poses/halasana.yaml:1", "is not named after it"),
]


@pytest.mark.parametrize(
    ("how", "file", "words"), [pytest.param(*case, id=case[0].__name__) for case in OUT_OF_STEP]
)
def test_a_file_out_of_step_with_the_list_is_named(
    data: Path, how: Callable[[Path], object], file: str, words: str
) -> None:
    how(data)
    with pytest.raises(UnknotError) as caught:
        load_catalog(data)
    assert caught.value.where.startswith(str(data / file))
    assert words in caught.value.what
