"""The README says what the tool really does: its --help block and its newcomer commands."""

from __future__ import annotations

import os
import re

from tests.conftest import REPO, Cli

README = (REPO / "README.md").read_text()


def block(marker: str) -> str:
    match = re.search(
        rf"<!-- {marker}.*?-->\n```\w*\n(.*?)```\n<!-- end {marker} -->", README, re.S
    )
    assert match, f"README.md has no {marker} block"
    return match.group(1)


def test_check_help_in_readme_matches_the_real_output(cli: Cli) -> None:
    result = cli.run("check", "--help", extra_env={"COLUMNS": "80"})
    assert result.exit_code == 0
    if os.environ.get("DRIFT_GATE_UPDATE_GOLDEN"):  # like the golden files: rewrite, then review
        readme = REPO / "README.md"
        readme.write_text(readme.read_text().replace(block("check-help"), result.stdout))
        return
    assert block("check-help") == result.stdout


def test_newcomer_commands_install_run_the_demo_and_the_tests() -> None:
    # .ci/run executes these two lines verbatim on a clean clone.
    demo, tests = block("newcomer-commands").splitlines()
    assert demo.endswith(".venv/bin/drift-gate demo")
    assert "pip install '.[demo]'" in demo
    assert tests.endswith(".venv/bin/python -m pytest")
    assert "pip install -e '.[test]'" in tests
