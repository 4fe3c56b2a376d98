"""Bad routine files: one clear line naming file, line, field, what is wrong and what is right."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from click.testing import Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import GUARD
from unknot import files, yamlfile
from unknot.errors import UnknotError
from unknot.guide.timeline import expand
from unknot.routines.routine import MAX_SESSION_STEPS, read_routine, resolve, session_steps
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
        "expected a built-in routine (after-long-run, easy-after-hard, foam-rolling) or a routine "
        "file path"
    )


def test_a_good_file_validates(
    run: Callable[..., Result], write_routine: Callable[..., Path]
) -> None:
    path = write_routine("hold: 30\nsteps:\n  - Child's Pose\n  - per_side: [Pigeon]\n")
    result = run("validate", str(path))
    assert result.exit_code == 0
    total = expand(resolve(str(path))).total  # its moves as long as their words
    assert result.stdout == (
        f"{path}: valid routine 'routine': 2 poses, 3 steps, {total // 60}:{total % 60:02d}.\n"
    )


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


# Reading a person's file: only a regular file, read by streaming with a cap.


def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path: Path) -> None:
    pipe = tmp_path / "pipe.yaml"
    os.mkfifo(pipe)
    found: list[str] = []

    def read() -> None:
        with pytest.raises(UnknotError) as caught:
            read_text_of(pipe)
        found.append(str(caught.value))

    reader = threading.Thread(target=read, daemon=True)  # were it to hang, the run still ends
    reader.start()
    reader.join(timeout=GUARD)
    assert not reader.is_alive(), "reading a FIFO hangs"
    assert "is a named pipe (FIFO), not a regular file" in found[0]


def read_text_of(path: Path, **options: int) -> str:
    return yamlfile.read_text(path, what="routine", **options)


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom", "/dev/null"])
def test_a_device_is_refused_before_it_is_read(device: str) -> None:
    with pytest.raises(UnknotError, match="is a device, not a regular file"):
        read_text_of(Path(device))


def test_the_cap_is_the_reader_s_to_choose(tmp_path: Path) -> None:
    """A history export of 80 sessions passes a megabyte: its reader gives a larger cap."""
    path = tmp_path / "export.json"
    path.write_text('{"x": "' + "y" * 1_500_000 + '"}\n', encoding="utf-8")
    with pytest.raises(UnknotError, match=r"is 1,500,010 bytes, too large for a routine"):
        read_text_of(path)
    assert len(read_text_of(path, max_bytes=2_000_000)) == 1_500_010


def test_a_size_that_lies_is_not_trusted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """/proc files say 0 bytes whatever they hold: the cap holds while reading too."""
    path = tmp_path / "big.yaml"
    path.write_bytes(b"#" * 1_200_000)
    real = os.fstat

    def saying_nothing(descriptor: int) -> os.stat_result:
        info = list(real(descriptor))
        info[stat.ST_SIZE] = 0
        return os.stat_result(info)

    monkeypatch.setattr(files.os, "fstat", saying_nothing)
    with pytest.raises(UnknotError, match=r"is more than 1,000,000 bytes, too large"):
        read_text_of(path)


def test_a_name_too_long_and_a_path_through_a_file(tmp_path: Path) -> None:
    with pytest.raises(UnknotError, match=r"the name is too long for the file system"):
        read_text_of(tmp_path / ("a" * 300 + ".yaml"))
    (tmp_path / "plain").write_text("steps: [Pigeon]\n")
    with pytest.raises(UnknotError, match=r"a part of the path is a file, not a folder"):
        read_text_of(tmp_path / "plain" / "r.yaml")
    with pytest.raises(UnknotError, match=r"holds a NUL character"):
        read_text_of(tmp_path / "a\0b.yaml")


@pytest.mark.skipif(os.geteuid() == 0, reason="running as root, where permissions do not bite")
def test_an_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "secret.yaml"
    path.write_text("steps: [Pigeon]\n")
    path.chmod(0)
    with pytest.raises(UnknotError, match=r"cannot be read \(permission denied\)"):
        read_text_of(path)


# Writing: only a regular file is replaced; a symbolic link is written through.


def test_save_refuses_what_is_not_a_regular_file(tmp_path: Path) -> None:
    (tmp_path / "folder.html").mkdir()
    os.mkfifo(tmp_path / "pipe.html")
    (tmp_path / "null.html").symlink_to("/dev/null")
    for name, kind in [("folder.html", "a directory"), ("pipe.html", "a named pipe (FIFO)"),
                       ("null.html", "a device")]:  # fmt: skip
        with pytest.raises(UnknotError, match=re.escape(f"is {kind}, not a regular file")):
            files.save(tmp_path / name, b"<p>card</p>", what="card", field="card")
    assert Path("/dev/null").is_char_device()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["folder.html", "null.html", "pipe.html"]


def test_save_writes_through_a_symbolic_link(tmp_path: Path) -> None:
    """The link is the person's (a card kept in a synced folder): it is kept, its file updated."""
    (tmp_path / "synced").mkdir()
    real = tmp_path / "synced" / "card.html"
    real.write_text("old")
    link = tmp_path / "card.html"
    link.symlink_to(real)
    files.save(link, b"new", what="card")
    assert link.is_symlink() and real.read_bytes() == b"new"
    dangling = tmp_path / "later.html"
    dangling.symlink_to(tmp_path / "synced" / "later.html")
    files.save(dangling, b"made", what="card")
    assert (tmp_path / "synced" / "later.html").read_bytes() == b"made"
    assert sorted(p.name for p in (tmp_path / "synced").iterdir()) == ["card.html", "later.html"]


def test_atomic_path_raises_os_error_for_a_fifo(tmp_path: Path) -> None:
    """What writers that report their own errors (a pending session) meet: an OSError."""
    os.mkfifo(tmp_path / "pending.json")
    with (
        pytest.raises(OSError, match="not a regular file"),
        files.atomic_path(tmp_path / "pending.json") as temporary,
    ):
        temporary.write_text("{}")
    assert [p.name for p in tmp_path.iterdir()] == ["pending.json"]


def test_a_long_name_gets_a_temporary_name_that_fits(tmp_path: Path) -> None:
    target = tmp_path / ("c" * 250 + ".html")
    files.save(target, b"card", what="card")
    assert target.read_bytes() == b"card"
    with pytest.raises(UnknotError, match=r"the name is too long for the file system"):
        files.save(tmp_path / ("c" * 300 + ".html"), b"card", what="card")


@pytest.mark.parametrize(
    ("name", "write"),
    [("card.html", "unknot.save(path, b'x' * 5000, what='card', field='card')"),
     ("charts.svg", "unknot.plot_history([], path)")],
)  # fmt: skip
def test_a_write_that_fails_leaves_no_temporary_file(tmp_path: Path, name: str, write: str) -> None:
    """A file-size limit (EFBIG) in a process of its own: SIGXFSZ ignored, as Python does.
    (The charts here, without a history to read: a database is not opened under such a limit.)"""
    script = (
        "import resource, signal, sys\n"
        "from pathlib import Path\n"
        "import unknot\n"
        "path = Path(sys.argv[1])\n"
        "unknot.plot_history  # imported before the limit: Python may write its .pyc files\n"
        "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
        "resource.setrlimit(resource.RLIMIT_FSIZE, (1000, 1000))\n"
        "try:\n"
        f"    {write}\n"
        "except unknot.UnknotError as err:\n"
        "    print(err.line())\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / name)],
        capture_output=True, text=True, timeout=GUARD, check=True,
    )  # fmt: skip
    assert "could not be written (the file would be larger than this system allows)" in (
        done.stdout
    )
    assert done.stdout.startswith(f"{tmp_path / name}: ")
    assert list(tmp_path.iterdir()) == []


# The session's limits: as done (flows' rounds, both sides), not only as written.

POSES = ["Pigeon", "Cat-Cow", "Child's Pose", "Low Crescent Lunge", "Savasana", "Sphinx"]
simple_steps = st.one_of(
    st.sampled_from(POSES),
    st.builds(lambda p, h: {"pose": p, "hold": h}, st.sampled_from(POSES), st.integers(5, 60)),
    st.builds(
        lambda ps, r: {"flow": ps, "rounds": r},
        st.lists(st.sampled_from(POSES), min_size=2, max_size=3),
        st.integers(1, 4),
    ),
    st.builds(lambda h: {"rest": h}, st.integers(5, 30)),
)
routine_steps = st.lists(
    st.one_of(
        simple_steps,
        st.builds(
            lambda first, rest, back: {"per_side": [first, *rest], **back},
            st.sampled_from(POSES),
            st.lists(simple_steps, max_size=3),
            st.sampled_from([{}, {"back_to": "Cat-Cow"}]),
        ),
    ),
    min_size=1,
    max_size=4,  # at most 300 entries: within the limit, which the tests below try
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(routine_steps)
def test_the_count_read_is_the_count_expanded(steps: list[object]) -> None:
    """The limit is checked as the file is read, from a count that must be the timeline's."""
    text = yaml.safe_dump({"steps": steps})
    routine = read_routine(parse(text, where="r.yaml", what="routine"), name="r")
    try:
        timeline = expand(routine)
    except UnknotError as err:  # hours of holds: the other limit
        assert "holds alone would last" in err.what
        return
    assert sum(session_steps(step) for step in routine.steps) == len(timeline)


def test_a_routine_at_the_limit_is_read_and_one_more_is_not(
    run: Callable[..., Result], write_routine: Callable[..., Path]
) -> None:
    at_limit = write_routine("hold: 10\nsteps:\n" + "  - Pigeon\n" * (MAX_SESSION_STEPS // 2))
    assert run("validate", str(at_limit)).exit_code == 0
    over = write_routine(at_limit.read_text() + "  - Sphinx\n", "over.yaml")
    assert one_line(run("validate", str(over))) == (
        f"unknot: {over}:253: steps[251]: takes the session to at least 501 steps, counting "
        "every round of a flow and both sides of per-side work; expected a routine of at most "
        "500 steps done in all"
    )


def test_a_flow_is_counted_before_its_poses_are_looked_up(
    run: Callable[..., Result], write_routine: Callable[..., Path]
) -> None:
    path = write_routine("steps:\n  - flow: [" + "Nonsense, " * 20_000 + "Sphinx]\n")
    assert "takes the session to at least 60,003 steps" in one_line(run("validate", str(path)))


def test_a_routine_s_name_and_title_have_a_sane_length(
    run: Callable[..., Result], write_routine: Callable[..., Path]
) -> None:
    fine = write_routine(f"name: {'n' * 100}\ntitle: {'t' * 100}\nsteps: [Pigeon]\n")
    assert run("validate", str(fine)).exit_code == 0
    long = write_routine(f"title: {'t' * 101}\nsteps: [Pigeon]\n")
    assert "title: is 101 characters long; expected at most 100 characters" in one_line(
        run("validate", str(long))
    )
