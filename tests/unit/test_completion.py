"""Shell completion, as README documents it: click's own, for bash, zsh and fish."""

from __future__ import annotations

import os
import subprocess

import pytest

from tests.conftest import REPO, drift_gate_executable


def complete(words: str, shell: str = "bash") -> list[str]:
    env = {
        **os.environ,
        "COMP_WORDS": words,
        "COMP_CWORD": str(len(words.split(" ")) - 1),
        "_DRIFT_GATE_COMPLETE": f"{shell}_complete",
    }
    completed = subprocess.run(
        [drift_gate_executable()], env=env, capture_output=True, text=True, timeout=60, check=True
    )
    return completed.stdout.splitlines()


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_the_documented_source_line_prints_a_completion_script(shell: str) -> None:
    env = {**os.environ, "_DRIFT_GATE_COMPLETE": f"{shell}_source"}
    completed = subprocess.run(
        [drift_gate_executable()], env=env, capture_output=True, text=True, timeout=60, check=True
    )
    assert "_DRIFT_GATE_COMPLETE" in completed.stdout
    assert f"_DRIFT_GATE_COMPLETE={shell}_source" in (REPO / "README.md").read_text()


def test_commands_and_choices_complete() -> None:
    assert "plain,check" in complete("drift-gate ch")
    formats = {line.split(",", 1)[1] for line in complete("drift-gate check --format ")}
    assert {"json", "sarif", "junit", "html", "markdown", "console", "github"} <= formats
