"""Names from outside on a terminal and in a CI log: the console report and every message on
standard error show them as text, never as an escape sequence, a line break or a workflow
command; the workflow commands drift-gate means (annotations) still reach the runner."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from drift_gate.report import RenderOptions, reporters
from drift_gate.report.terminal_text import log_line, safe_lines, terminal_text
from tests.conftest import Cli
from tests.unit.test_report import HOSTILE, hostile_report

COMMANDS = ("::error::pwned", "::add-mask::x", "  ::stop-commands::t", "##[warning]pwned")
ATTACKS = (
    HOSTILE,
    "\x1b]8;;https://evil.example\x07click\x1b]8;;\x07",  # a terminal hyperlink
    "\x1b]0;title\x07",  # the window title
    "safe\u202eexe.txt",  # right-to-left override
    "a\rb",
    "x\x9b31m",  # the 8-bit CSI
    *COMMANDS,
)
OUR_COLOUR = re.compile(r"\x1b\[(?:31|33|32|2|1|36|0)m")
UNSAFE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def is_command(line: str) -> bool:
    """As GitHub's runner reads a log line: `::` after leading white space, or `##[`."""
    return line.lstrip().startswith("::") or "##[" in line


def assert_inert(text: str) -> None:
    for line in text.split("\n"):
        assert not UNSAFE.search(OUR_COLOUR.sub("", line)), repr(line)
        assert not is_command(OUR_COLOUR.sub("", line)), repr(line)


@pytest.mark.parametrize("color", [False, True])
def test_the_console_report_shows_hostile_names_as_text(color: bool) -> None:
    report = hostile_report()
    rendered = reporters()["console"].render(report, RenderOptions(color=color))
    assert_inert(rendered)
    assert "\\x1b[31m\\x07" in rendered  # shown, escaped, where it was


@pytest.mark.parametrize("attack", ATTACKS)
def test_every_attack_is_inert_and_still_readable(attack: str) -> None:
    escaped = safe_lines(attack)
    assert_inert(escaped)
    assert terminal_text("plain-name_1.2") == "plain-name_1.2"
    # What was there stays readable: the letters survive, controls become \xNN / \uNNNN.
    assert re.sub(r"\\x[0-9a-f]{2}|\\u[0-9a-f]{4}|\u200b", "", escaped).replace("\n", "") == (
        re.sub("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e]", "", attack).replace("\n", "")
    )


@given(st.text(max_size=60))
def test_any_text_is_one_inert_line(text: str) -> None:
    line = log_line(terminal_text(text))
    assert "\n" not in line
    assert_inert(line)


def test_an_error_message_naming_a_hostile_path_is_escaped_on_stderr(
    cli: Cli, tmp_path: Path
) -> None:
    hostile = tmp_path / "x\x1b[2J\n::error::pwned.yaml"
    result = cli.run("validate-policy", str(hostile))
    assert result.exit_code == 2
    assert "\x1b" not in result.stderr
    assert "\\x1b[2J" in result.stderr
    assert_inert(result.stderr)


def test_annotations_still_reach_the_runner_as_workflow_commands(
    cli_on_moto: Cli, tmp_path: Path
) -> None:
    from tests.conftest import REPO

    summary = tmp_path / "summary.md"
    summary.write_text("")
    result = cli_on_moto.run(
        "check",
        "--policy",
        str(REPO / "policies" / "example.yaml"),
        extra_env={"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)},
    )
    assert result.exit_code in (1, 3)
    # The console report on stdout holds no command; the annotations on stderr are commands.
    assert not any(is_command(line) for line in result.stdout.splitlines())
    assert any(line.startswith("::error ") for line in result.stderr.splitlines())
