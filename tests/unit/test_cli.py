"""The command line: exact exit codes, one-line errors, --debug, output pairing."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import click
import pytest

from drift_gate._version import __version__
from drift_gate.cli import check as check_command
from drift_gate.cli import main
from drift_gate.commands._console import use_color
from drift_gate.commands.outputs import OutputTarget
from drift_gate.rules import RULES
from tests.conftest import REPO, Cli

POLICY = str(REPO / "policies" / "example.yaml")


def test_version_and_module_entry_point(cli: Cli) -> None:
    result = cli.run("--version")
    assert (result.exit_code, result.stdout) == (0, f"drift-gate, version {__version__}\n")
    module = subprocess.run(
        [sys.executable, "-m", "drift_gate", "--help"], capture_output=True, text=True, check=False
    )
    assert module.returncode == 0
    assert "Exit codes: 0 pass, 1 blocking drift, 2 invalid input, 3 could not verify" in " ".join(
        module.stdout.split()
    )


def test_rules_lists_every_rule(cli: Cli) -> None:
    result = cli.run("rules")
    assert result.exit_code == 0
    listed = [line.split()[0] for line in result.stdout.splitlines()]
    assert listed == [rule.id for rule in RULES]
    assert "DG101  error    secret-missing" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["check"], "; give --policy FILE, or a plan (--plan-json, --plan-file, --terraform-dir)"),
        (
            ["check", "--policy", "nope.yaml"],
            "drift-gate: error: nope.yaml: cannot read file (No such file or directory)",
        ),
        (["check", "--policy", POLICY, "--format", "xml"], "'xml' is not one of 'console', 'json'"),
        (
            ["check", "--policy", POLICY, "--output", "r.json"],
            "each --output must follow the --format it writes",
        ),
        (["check", "--policy", POLICY, "--fail-on", "sometimes"], "Invalid value for '--fail-on'"),
        (
            ["check", "--policy", POLICY, "--environment", "staging"],
            "environment 'staging' is not in",
        ),
        (
            ["check", "--policy", POLICY, "--format", "json", "--format", "console"],
            "only one --format may go to standard output; give the others --output",
        ),
        (["validate-policy"], "drift-gate: error: no policy: none of drift-gate.yaml"),
        (["frobnicate"], "No such command 'frobnicate'"),
    ],
)
def test_bad_input_exits_2_with_one_clear_line(cli: Cli, args: list[str], message: str) -> None:
    result = cli.run(*args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_invalid_policy_exits_2_and_debug_shows_the_traceback(cli: Cli, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\nenvironments: {}\n")
    plain = cli.run("check", "--policy", str(bad))
    assert plain.exit_code == 2
    assert (
        plain.stderr
        == f"drift-gate: error: invalid policy: {bad}:2: environments: expected at least 1 key(s)\n"
    )
    debug = cli.run("--debug", "check", "--policy", str(bad))
    assert debug.exit_code == 2
    assert "Traceback (most recent call last)" in debug.stderr


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ([], []),
        (["--format", "json"], [OutputTarget("json", None)]),
        (
            ["-f", "console", "--format=json", "-o", "r.json"],
            [OutputTarget("console", None), OutputTarget("json", Path("r.json"))],
        ),
        (
            ["--format", "json", "--output=a.json", "--policy", "p", "--format", "console"],
            [OutputTarget("json", Path("a.json")), OutputTarget("console", None)],
        ),
        (["-fjson", "-oout/r.json"], [OutputTarget("json", Path("out/r.json"))]),
        (
            ["-fsarif", "-oa.sarif", "-f", "json", "--output", "b.json"],
            [OutputTarget("sarif", Path("a.sarif")), OutputTarget("json", Path("b.json"))],
        ),
    ],
)
def test_format_output_pairs_follow_command_line_order(
    args: list[str], expected: list[OutputTarget]
) -> None:
    assert paired(args) == expected


def paired(args: list[str]) -> list[OutputTarget]:
    """The pairs click's own parser reads from `check`'s arguments."""
    # Under the group's context, as a real run: click caches a command's help option from
    # the first context it sees (a bare one would leave `-h` out of later --help output).
    from drift_gate.cli import cli

    parent = click.Context(cli, info_name="drift-gate", **cli.context_settings)
    context = check_command.make_context("check", [*args], parent=parent)
    outputs: list[OutputTarget] = context.meta["drift_gate.outputs"]
    return outputs


def test_two_outputs_for_one_format_is_an_error() -> None:
    with pytest.raises(click.UsageError):
        paired(["--format", "json", "--output", "a", "--output", "b"])


def test_attached_short_options_write_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = tmp_path / "report.json"
    example = REPO / "examples" / "hokusai"
    code = main(
        [
            "check",
            "--offline",
            f"--policy={example / 'drift-gate.yaml'}",
            f"--terraform-dir={example / 'infra'}",
            "-fjson",
            f"-o{report}",
        ]
    )
    assert code == 0
    assert json.loads(report.read_text())["verdict"] == "pass"
    assert capsys.readouterr().out == ""  # nothing went to the console instead


def fake_check(exception: BaseException) -> Any:
    def run_check(*_: Any, **__: Any) -> Any:
        raise exception

    return run_check


def test_interrupt_exits_130(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("drift_gate.engine.gate.run_check", fake_check(KeyboardInterrupt()))
    assert main(["check", "--policy", POLICY]) == 130


def test_a_bug_fails_closed_with_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(
        "drift_gate.engine.gate.run_check",
        fake_check(ZeroDivisionError("value-that-must-not-print")),
    )
    assert main(["check", "--policy", POLICY]) == 3
    err = capsys.readouterr().err
    assert err.startswith("drift-gate: internal error (ZeroDivisionError); this is a bug")
    assert "value-that-must-not-print" not in err
    assert "Traceback" not in err
    assert main(["--debug", "check", "--policy", POLICY]) == 3
    assert "Traceback" in capsys.readouterr().err


def test_colour_follows_the_terminal_no_color_and_force_color(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("NO_COLOR", "FORCE_COLOR"):
        monkeypatch.delenv(name, raising=False)
    assert use_color(is_terminal=True) is True
    assert use_color(is_terminal=False) is False
    monkeypatch.setenv("NO_COLOR", "")  # empty: not set, says no-color.org
    assert use_color(is_terminal=True) is True
    monkeypatch.setenv("NO_COLOR", "1")
    assert use_color(is_terminal=True) is False
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert use_color(is_terminal=False) is False  # NO_COLOR wins
    monkeypatch.delenv("NO_COLOR")
    assert use_color(is_terminal=False) is True
    monkeypatch.setenv("FORCE_COLOR", "0")
    assert use_color(is_terminal=False) is False


def test_report_file_is_written_in_a_new_directory(cli_on_moto: Cli, tmp_path: Path) -> None:
    target = tmp_path / "reports" / "nested" / "r.json"
    result = cli_on_moto.run(
        "check",
        "--policy",
        POLICY,
        "--format",
        "console",
        "--format",
        "json",
        "--output",
        str(target),
    )
    # No cluster in the fresh moto account: DG205, exit 1, console on stdout and JSON on disk.
    assert result.exit_code == 1
    assert result.stdout.startswith("DRIFT: 1 error(s)")
    assert json.loads(target.read_text())["findings"][0]["rule_id"] == "DG205"


def test_unwritable_output_exits_2(cli_on_moto: Cli, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    result = cli_on_moto.run(
        "check", "--policy", POLICY, "--format", "json", "--output", str(blocker / "r.json")
    )
    assert result.exit_code == 2
    assert f"drift-gate: error: {blocker / 'r.json'}: cannot write report" in result.stderr


@pytest.mark.parametrize(
    "arguments",
    [
        ("check", "--policy", POLICY, "--deadline", "nan"),
        ("check", "--policy", POLICY, "--timeout", "nan"),
        ("check", "--policy", POLICY, "--terraform-timeout", "NaN"),
        ("scan", "--deadline", "nan", "--no-policy"),
        ("github-issues", "--report", POLICY, "--deadline", "nan"),
    ],
)
def test_a_nan_number_of_seconds_is_refused_before_anything_runs(
    cli: Cli, arguments: tuple[str, ...]
) -> None:
    # click's FloatRange lets NaN through (it compares false with both bounds); a NaN deadline
    # would switch off every bound derived from it, a request's and terraform's.
    result = cli.run(*arguments)
    assert result.exit_code == 2
    assert "is not a number of seconds" in result.stderr


def test_a_deadline_that_is_not_a_number_is_refused_from_python_too() -> None:
    from drift_gate.deadline import Deadline
    from drift_gate.errors import InvalidInputError

    with pytest.raises(InvalidInputError, match="not nan or inf"):
        Deadline(float("nan"))
