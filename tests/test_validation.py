"""Bad routine files: one clear line naming file, line, field, what is wrong and what is right."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from click.testing import Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from unknot.errors import UnknotError
from unknot.guide.timeline import expand
from unknot.routines.routine import read_routine
from unknot.yamlfile import decode, parse

# (file text, line, field, words that must be in the message)
BAD_FILES = [
    pytest.param("steps:\n  - pose: Pigeon\n    hold: [1\n", 4, "", "bad YAML", id="bad-yaml"),
    pytest.param(
        "steps:\n  - pose: Pidgeon\n",
        2,
        "steps[1].pose",
        "did you mean 'Pigeon'",
        id="unknown-pose",
    ),
    pytest.param(
        "steps:\n  - pose: Pigeon\n    hold: true\n", 3, "steps[1].hold", "yes/no", id="wrong-type"
    ),
    pytest.param(
        "steps:\n  - pose: Pigeon\n    hold: -5\n", 3, "steps[1].hold", "too short", id="negative"
    ),
    pytest.param(
        "steps:\n  - pose: Pigeon\n    hold: 0\n", 3, "steps[1].hold", "too short", id="zero"
    ),
    pytest.param(
        "steps:\n  - pose: Pigeon\n    hold: 99999\n", 3, "steps[1].hold", "too long", id="absurd"
    ),
    pytest.param(
        "steps:\n  - pose: Pigeon\n    hold: 3 hours\n",
        3,
        "steps[1].hold",
        "not a hold",
        id="words",
    ),
    pytest.param("steps: []\n", 1, "steps", "is empty", id="empty-routine"),
    pytest.param(
        "steps:\n  - per_side: []\n", 2, "steps[1].per_side", "empty block", id="empty-block"
    ),
    pytest.param(
        "steps:\n  - pose: Pigeon\n    hods: 20\n", 3, "steps[1]", "did you mean 'hold'", id="field"
    ),
    pytest.param("titel: x\nsteps: [Pigeon]\n", 1, "", "did you mean 'title'", id="top-field"),
    pytest.param("- Pigeon\n", 1, "", "is a list", id="not-a-mapping"),
    pytest.param("title: x\n", 1, "", "missing field 'steps'", id="no-steps"),
    pytest.param("steps:\n  - 42\n", 2, "steps[1]", "whole number", id="number-step"),
    pytest.param(
        "steps:\n  - pose: Pigeon\n    rest: 5\n", 2, "steps[1]", "mixes pose and rest", id="mixed"
    ),
    pytest.param("steps:\n  - flow: [Pigeon]\n", 2, "steps[1].flow", "two or more", id="flow-1"),
    pytest.param(
        "steps:\n  - flow: [Pigeon, Plow]\n    rounds: 99\n",
        3,
        "steps[1].rounds",
        "out of range",
        id="rounds",
    ),
    pytest.param(
        "steps:\n  - per_side:\n      - per_side: [Pigeon]\n",
        3,
        "steps[1].per_side[1]",
        "inside a per_side block",
        id="nested-block",
    ),
    pytest.param("first_side: up\nsteps: [Pigeon]\n", 1, "first_side", "not a side", id="side"),
]


def one_line(result: Result) -> str:
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert "Traceback" not in result.output
    return lines[0]


@pytest.mark.parametrize(("text", "line", "field", "words"), BAD_FILES)
def test_a_bad_routine_file_gets_one_line_with_where_what_and_expected(
    run: Callable[..., Result],
    write_routine: Callable[..., Path],
    text: str,
    line: int,
    field: str,
    words: str,
) -> None:
    path = write_routine(text)
    message = one_line(run("validate", str(path)))
    where = f"unknot: {path}:{line}"
    assert message.startswith(where), message
    if field:
        assert f": {field}: " in message, message
    assert words in message
    assert "; expected " in message


@pytest.mark.parametrize("command", ["validate", "show", "plan", "go"])
def test_every_command_that_reads_a_routine_reports_the_same_way(
    run: Callable[..., Result], write_routine: Callable[..., Path], command: str
) -> None:
    path = write_routine("steps:\n  - pose: Pidgeon\n")
    assert "did you mean 'Pigeon'" in one_line(run(command, str(path)))


def test_a_missing_file(run: Callable[..., Result], tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    assert one_line(run("validate", str(missing))) == (
        f"unknot: {missing}: no such file; expected the path of a routine file"
    )


def test_a_directory(run: Callable[..., Result], tmp_path: Path) -> None:
    folder = tmp_path / "folder.yaml"
    folder.mkdir()
    assert one_line(run("plan", str(folder))) == (
        f"unknot: {folder}: is a directory; expected a routine file"
    )


def test_a_binary_file(run: Callable[..., Result], write_routine: Callable[..., Path]) -> None:
    path = write_routine(b"\x89PNG\r\n\x1a\n\x00\x00")
    assert "is binary (a NUL byte at offset 8)" in one_line(run("validate", str(path)))


def test_a_file_that_is_not_utf8(
    run: Callable[..., Result], write_routine: Callable[..., Path]
) -> None:
    path = write_routine("steps: [Pigeon]\ntitle: caf\xe9\n".encode("latin-1"))
    assert "is not UTF-8 text (byte 0xe9 at offset 26)" in one_line(run("validate", str(path)))


def test_a_huge_file(run: Callable[..., Result], write_routine: Callable[..., Path]) -> None:
    path = write_routine("steps:\n" + "  - Pigeon\n" * 200_000)
    assert "too large for a routine" in one_line(run("validate", str(path)))


def test_an_empty_file(run: Callable[..., Result], write_routine: Callable[..., Path]) -> None:
    path = write_routine("")
    assert one_line(run("validate", str(path))) == (
        f"unknot: {path}: is empty; expected a YAML routine"
    )


def test_an_unknown_built_in_routine(run: Callable[..., Result]) -> None:
    assert one_line(run("plan", "after-lng-run")) == (
        "unknot: unknown routine 'after-lng-run' (did you mean 'after-long-run'?); "
        "expected a built-in routine (after-long-run, foam-rolling) or a routine file path"
    )


def test_a_good_file_validates(
    run: Callable[..., Result], write_routine: Callable[..., Path]
) -> None:
    path = write_routine("hold: 30\nsteps:\n  - Child's Pose\n  - per_side: [Pigeon]\n")
    result = run("validate", str(path))
    assert result.exit_code == 0
    assert result.stdout == f"{path}: valid routine 'routine': 2 poses, 3 steps, 1:40.\n"


def test_option_mistakes_are_one_line_too(run: Callable[..., Result]) -> None:
    message = one_line(run("plan", "after-long-run", "--hold", "0"))
    assert message == (
        "unknot: --hold: '0' is not a number from 1 to 1800; "
        "expected a number of seconds from 1 to 1800"
    )


def read_text(text: str) -> None:
    """What every command does with a file's text: parse, check, expand."""
    routine = read_routine(parse(text, where="fuzz.yaml", what="routine"), name="fuzz")
    expand(routine)


def only_clear_errors(action: Callable[[], None]) -> None:
    try:
        action()
    except UnknotError as err:
        assert err.line() and "\n" not in err.line()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=400))
def test_random_bytes_never_raise_anything_but_a_clear_error(data: bytes) -> None:
    only_clear_errors(lambda: read_text(decode(data, where="fuzz.yaml", what="routine")))


POSE_NAMES = ["Pigeon", "Plow", "Child's Pose", "Cat-Cow", "Pidgeon", ""]
FIELDS = ["steps", "pose", "hold", "flow", "rest", "per_side", "back_to", "rounds", "then_hold",
          "note", "first_side", "title", "name", "x"]  # fmt: skip
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([*POSE_NAMES, "20-30", "2 min", "left", "-5", "1e309"]),
    st.text(max_size=20),
)
documents = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=5),
        st.dictionaries(st.sampled_from(FIELDS), inner, max_size=5),
    ),
    max_leaves=30,
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents)
def test_random_yaml_documents_never_raise_anything_but_a_clear_error(document: object) -> None:
    text = yaml.safe_dump(document, allow_unicode=True)
    only_clear_errors(lambda: read_text(text))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["steps:", "  - ", "pose: ", "Pigeon", "[", "]", "{", "}", ":",
                                 "\n", "  ", "&a ", "*a", "!!python/object ", "'", '"', "- ",
                                 "hold: ", "20-30", "per_side:", "---\n", "%YAML 1.1\n"]),
                max_size=40))  # fmt: skip
def test_random_yaml_like_text_never_raises_anything_but_a_clear_error(tokens: list[str]) -> None:
    only_clear_errors(lambda: read_text("".join(tokens)))
