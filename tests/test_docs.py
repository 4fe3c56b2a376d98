"""The README and the format guide say what the code does."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from click.testing import Result

from unknot.cli.main import cli

ROOT = Path(__file__).parent.parent


def test_every_command_is_documented_in_the_readme(run: Callable[..., Result]) -> None:
    readme = (ROOT / "README.md").read_text()
    for name in cli.list_commands(None):  # type: ignore[arg-type]
        assert f"`unknot {name}" in readme, name
        assert run(name, "--help").exit_code == 0


def test_the_quick_start_has_the_two_commands_ci_uses() -> None:
    readme = (ROOT / "README.md").read_text()
    quick_start = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    assert "scripts/go" in quick_start and "scripts/test" in quick_start
    assert "scripts/test" in (ROOT / ".ci" / "run").read_text()


def test_the_format_guides_example_is_a_valid_routine(
    run: Callable[..., Result], write_routine: Callable[..., Path]
) -> None:
    guide = (ROOT / "docs" / "routine-format.md").read_text()
    example = re.search(r"```yaml\n(.*?)```", guide, re.S)
    assert example is not None
    path = write_routine(example.group(1), name="my-evening.yaml")
    result = run("validate", str(path))
    assert result.exit_code == 0, result.stderr
    assert "valid routine 'evening-unwind'" in result.stdout


def test_the_safety_page_is_written_from_the_data_as_it_is_now() -> None:
    from unknot.catalog.safety import document

    page = (ROOT / "docs" / "safety.md").read_text(encoding="utf-8")
    assert page == document(), "docs/safety.md is out of date: run scripts/safety-doc"
    assert "### Pregnancy" in page and "Supported Fish" in page
