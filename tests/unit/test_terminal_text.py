"""Names from outside on a terminal and in a CI log: the console report and every message on
standard error show them as text, never as an escape sequence, a line break or a workflow
command; the workflow commands drift-gate means (annotations) still reach the runner."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from drift_gate.report import RenderOptions, reporters
from drift_gate.report.terminal_text import FORMAT_CHARACTERS, log_line, safe_lines, terminal_text
from tests.conftest import Cli
from tests.unit.test_report import HOSTILE, assert_visible, hostile_report

COMMANDS = ("::error::pwned", "::add-mask::x", "  ::stop-commands::t", "##[warning]pwned")
ATTACKS = (
    HOSTILE,
    "\x1b]8;;https://evil.example\x07click\x1b]8;;\x07",  # a terminal hyperlink
    "\x1b]0;title\x07",  # the window title
    "safe\u202eexe.txt",  # right-to-left override
    "a\rb",
    "x\x9b31m",  # the 8-bit CSI
    "a\u200bpi",  # a zero-width space: shown, or `api` and `a<U+200B>pi` look alike
    "CANARY_NAME\u202e\x1b]8;;http://x\x07::error::x",
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
    assert_visible(rendered)
    assert "\\x1b[31m\\x07" in rendered  # shown, escaped, where it was
    assert "a\\u200bpi\\u200c\\u200d\\u2060\\ufeff" in rendered


def test_annotations_show_invisible_characters() -> None:
    rendered = reporters()["github"].render(hostile_report(), RenderOptions())
    assert_visible(rendered)
    assert "CANARY_NAME\\u202e\\x1b]8;;http%3A//x\\x07%3A%3Aerror%3A%3Ax" in rendered


def test_the_format_characters_are_unicodes_category_cf() -> None:
    listed = re.compile(f"[{FORMAT_CHARACTERS}]")
    cf = [chr(c) for c in range(0x110000) if unicodedata.category(chr(c)) == "Cf"]
    assert [c for c in cf if not listed.fullmatch(c)] == []
    assert terminal_text("a\u200bpi\U000e0041") == "a\\u200bpi\\U000e0041"
    assert log_line(terminal_text("::\u200b")) == ":\u200b:\\u200b"  # drift-gate's own, after


@pytest.mark.parametrize("attack", ATTACKS)
def test_every_attack_is_inert_and_still_readable(attack: str) -> None:
    escaped = safe_lines(attack)
    assert_inert(escaped)
    assert terminal_text("plain-name_1.2") == "plain-name_1.2"
    # What was there stays readable: the letters survive, controls become \xNN / \uNNNN.
    unsafe = f"[\x00-\x1f\x7f-\x9f\u2028\u2029{FORMAT_CHARACTERS}]"
    assert re.sub(r"\\x[0-9a-f]{2}|\\u[0-9a-f]{4}|\u200b", "", escaped).replace("\n", "") == (
        re.sub(unsafe, "", attack).replace("\n", "")
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
