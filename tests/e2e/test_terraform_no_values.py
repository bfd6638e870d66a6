"""No variable value from terraform's stderr or command line in any drift-gate output.

terraform quotes a non-sensitive variable's value in its diagnostics (`var.db_password is
"..."` under `├────`, a validation rule's or a precondition's error_message, the source line of
a .tfvars file, "Invalid -var option" quoting NAME=VALUE); drift-gate keeps only each
diagnostic's summary and location, and hides every value it passed on (--var, TF_VAR_*, a var
file's strings). The real terraform binary (1.11), with terraform_data only: no provider.
"""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from drift_gate.sources.terraform import stderr_tail
from tests.conftest import Cli, installed_cli

cli = pytest.fixture(name="cli")(installed_cli)

CANARY = "Sup3rS3cretCanaryVal"
VALIDATED = """
variable "db_password" {
  type = string
  validation {
    condition     = length(var.db_password) >= 40
    error_message = "The password must be at least 40 characters, not ${var.db_password}."
  }
}
"""
PRECONDITION = """
variable "api_token" {
  type = string
}

resource "terraform_data" "app" {
  input = "x"
  lifecycle {
    precondition {
      condition     = length(var.api_token) > 40
      error_message = "api_token ${var.api_token} is too short."
    }
  }
}
"""
FORMATS = ("json", "markdown", "console", "sarif", "html", "junit", "github")


def configuration(tmp_path: Path, text: str) -> Path:
    directory = tmp_path / "tf"
    directory.mkdir()
    (directory / "main.tf").write_text(text)
    return directory


def run_check(
    cli: Cli, tmp_path: Path, *args: str, extra_env: dict[str, str] | None = None
) -> tuple[int, str]:
    """The exit code, and everything drift-gate wrote: stdout, stderr, every report file."""
    outputs: list[str] = []
    for fmt in FORMATS:
        outputs += ["--format", fmt, "--output", str(tmp_path / f"report.{fmt}")]
    result = cli.run("check", *args, *outputs, extra_env=extra_env)
    written = [
        (tmp_path / f"report.{fmt}").read_text()
        for fmt in FORMATS
        if (tmp_path / f"report.{fmt}").exists()
    ]
    return result.exit_code, "\n".join([result.stdout, result.stderr, *written])


def test_a_var_that_fails_validation_is_exit_2_naming_no_value(cli: Cli, tmp_path: Path) -> None:
    directory = configuration(tmp_path, VALIDATED)
    code, everything = run_check(
        cli, tmp_path, "--terraform-dir", str(directory), "--var", f"db_password={CANARY}"
    )
    assert code == 2, everything
    assert CANARY not in everything
    assert "Error: Invalid value for variable | on main.tf line 2:" in everything
    assert "check --var and --var-file" in everything


def test_a_tf_var_that_fails_validation_is_exit_2_naming_no_value(cli: Cli, tmp_path: Path) -> None:
    directory = configuration(tmp_path, VALIDATED)
    code, everything = run_check(
        cli,
        tmp_path,
        "--terraform-dir",
        str(directory),
        extra_env={"TF_VAR_db_password": CANARY},
    )
    assert code == 2, everything
    assert CANARY not in everything
    assert "Invalid value for variable" in everything
    assert "TF_VAR_* variables" in everything


def test_a_var_file_value_terraform_quotes_is_not_shown(cli: Cli, tmp_path: Path) -> None:
    directory = configuration(tmp_path, VALIDATED)
    # A syntax error: terraform prints the .tfvars source line, the value on it.
    broken = tmp_path / "broken.tfvars"
    broken.write_text(f'db_password = "{CANARY}" +\n')
    code, everything = run_check(
        cli, tmp_path, "--terraform-dir", str(directory), "--var-file", str(broken)
    )
    assert code == 2, everything
    assert CANARY not in everything
    assert "broken.tfvars line 1" in everything
    # A value that fails the rule: terraform prints it under ├──── and in the error_message.
    short = tmp_path / "short.tfvars.json"
    short.write_text(json.dumps({"db_password": CANARY}))
    code, everything = run_check(
        cli, tmp_path, "--terraform-dir", str(directory), "--var-file", str(short)
    )
    assert code == 2, everything
    assert CANARY not in everything


def test_a_malformed_var_is_exit_2_without_repeating_it(cli: Cli, tmp_path: Path) -> None:
    directory = configuration(tmp_path, VALIDATED)
    # "Invalid -var option": terraform quotes the whole argument, NAME and VALUE.
    code, everything = run_check(
        cli, tmp_path, "--terraform-dir", str(directory), "--var", f"db_password{CANARY}"
    )
    assert code == 2, everything
    assert CANARY not in everything
    assert "Error: Invalid -var option" in everything


def test_a_failed_precondition_is_exit_3_and_every_report_is_without_the_value(
    cli: Cli, tmp_path: Path
) -> None:
    directory = configuration(tmp_path, PRECONDITION)
    code, everything = run_check(
        cli,
        tmp_path,
        "--terraform-dir",
        str(directory),
        extra_env={"TF_VAR_api_token": CANARY},
    )
    assert code == 3, everything
    assert CANARY not in everything
    report = json.loads((tmp_path / "report.json").read_text())
    [finding] = report["findings"]
    assert finding["rule_id"] == "DG902"
    assert finding["message"].endswith(
        'Error: Resource precondition failed | on main.tf line 10, in resource "terraform_data" '
        '"app":'
    )


def fake_terraform(tmp_path: Path, script: str) -> Path:
    binary = tmp_path / "bin" / "terraform"
    binary.parent.mkdir(exist_ok=True)
    binary.write_text(f"#!/bin/sh\n{script}\n")
    binary.chmod(binary.stat().st_mode | stat.S_IEXEC)
    return binary


# Each a way terraform can fail: the canary may be on its command line, in its environment,
# in what it prints; none of it may reach --debug's traceback, a message or a report.
# The exit code: 2 when terraform names a variable's value as wrong, else 3.
FAILURES = {
    "plan hangs past --terraform-timeout": ('case "$1" in plan) sleep 30;; esac; exit 1', 3),
    "plan fails, echoing its arguments": ('echo "Error: bad $*" >&2; echo "$@" >&2; exit 1', 3),
    "plan fails, printing the environment": ("env >&2; exit 1", 3),
    "plan fails as terraform does": (
        "printf '\\nError: Invalid value for variable\\n\\n  on main.tf line 1:\\n"
        '   1: variable "db_password" {\\n    ├────────────────\\n'
        '    │ var.db_password is "%s"\\n\\nToo short: %s.\\n\' '
        '"$TF_VAR_db_password" "$TF_VAR_db_password" >&2; exit 1',
        2,
    ),
    "show prints something else than JSON": (
        'case "$1" in plan) exit 2;; show) echo "not json $*";; esac',
        3,
    ),
}


@pytest.mark.parametrize(("script", "exit_code"), FAILURES.values(), ids=list(FAILURES))
def test_no_value_of_a_var_or_tf_var_in_a_debug_run_when_terraform_fails(
    cli: Cli, tmp_path: Path, script: str, exit_code: int
) -> None:
    directory = configuration(tmp_path, VALIDATED)
    binary = fake_terraform(tmp_path, script)
    result = cli.run(
        "--debug",
        "check",
        "--terraform-dir",
        str(directory),
        "--terraform-bin",
        str(binary),
        "--terraform-timeout",
        "2",
        "--var",
        f"db_password={CANARY}",
        "--format",
        "json",
        "--output",
        str(tmp_path / "report.json"),
        extra_env={"TF_VAR_db_password": f"Env{CANARY}"},
    )
    report = tmp_path / "report.json"
    everything = result.stdout + result.stderr + (report.read_text() if report.exists() else "")
    assert result.exit_code == exit_code, everything
    assert CANARY not in everything
    assert "terraform plan" in everything or "terraform show" in everything


def test_a_binary_that_cannot_be_started_is_exit_3_without_its_command_line(
    cli: Cli, tmp_path: Path
) -> None:
    directory = configuration(tmp_path, VALIDATED)
    binary = tmp_path / "terraform"
    binary.write_bytes(b"\x7fELF not really")  # executable, but the kernel refuses it
    binary.chmod(0o755)
    result = cli.run(
        "--debug",
        "check",
        "--terraform-dir",
        str(directory),
        "--terraform-bin",
        str(binary),
        "--var",
        f"db_password={CANARY}",
    )
    assert result.exit_code == 3, result.stderr
    assert CANARY not in result.stdout + result.stderr
    assert "terraform plan could not be started: Exec format error" in result.stderr


def test_only_each_diagnostics_summary_and_location_are_kept() -> None:
    stderr = "\n".join(
        [
            "There are some problems with the CLI configuration:",
            "╷",
            "│ Warning: Unable to open CLI configuration file",
            "│",
            '│ The CLI configuration file at "/root/.terraformrc" does not exist.',
            "╵",
            "",
            "",
            "Error: Invalid value for variable",
            "",
            "  on main.tf line 1:",
            '   1: variable "db_password" {',
            "    ├────────────────",
            '    │ var.db_password is "hunter2"',
            "",
            "Error: not a summary: hunter2",  # a detail paragraph that begins like one
            "the detail goes on",
            "",
            "This was checked by the validation rule at main.tf:3,3-13.",
            "",
            "Error: Invalid value for variable",
            "",
            "  on main.tf line 1:",
            "",
        ]
    )
    assert stderr_tail(stderr) == "Error: Invalid value for variable | on main.tf line 1:"
    # Output that is not terraform's diagnostics: its last lines, quoted text hidden.
    assert stderr_tail('panic: bad "hunter2"\n\n  goroutine 1') == (
        'panic: bad "..." | goroutine 1'
    )
    many = "\n\n".join(f"Error: Problem {number}" for number in range(20))
    assert (
        stderr_tail(many, lines=3)
        == "Error: Problem 0 | Error: Problem 1 | Error: Problem 2 | (17 more)"
    )


def test_every_value_given_to_terraform_is_registered_to_be_scrubbed(tmp_path: Path) -> None:
    from drift_gate.scrub import scrub
    from drift_gate.sources.terraform import TerraformSettings, remember_given_values

    tfvars = tmp_path / "given.tfvars"
    tfvars.write_text('name = "TfvarsCanary1"\nlist = ["TfvarsCanary2", 3]\n')
    as_json = tmp_path / "given.tfvars.json"
    as_json.write_text(json.dumps({"map": {"key": "JsonCanary3"}, "n": 12345}))
    settings = TerraformSettings(
        variables=("a=VarCanary4", "noequalsCanary5"),
        plan_arguments=("-var=b=PlanArgCanary6", "-refresh=false"),
        var_files=(tfvars, as_json, tmp_path / "absent.tfvars"),
    )
    remember_given_values(
        settings,
        {"TF_VAR_c": "EnvCanary7", "TF_CLI_ARGS_plan": "-var 'd=CliArgsCanary8'", "HOME": "/h"},
    )
    canaries = [
        "TfvarsCanary1",
        "TfvarsCanary2",
        "JsonCanary3",
        "VarCanary4",
        "noequalsCanary5",
        "PlanArgCanary6",
        "EnvCanary7",
        "CliArgsCanary8",
    ]
    assert scrub(" ".join(canaries)) == " ".join(["[hidden]"] * len(canaries))
    # Numbers are left: they would hide a traceback's line numbers.
    assert scrub("line 12345") == "line 12345"


def test_a_plan_arg_that_is_not_an_option_is_named_without_its_value() -> None:
    from drift_gate.errors import InvalidInputError
    from drift_gate.sources.terraform import checked_plan_arguments

    with pytest.raises(InvalidInputError, match=r"--plan-arg 'db_password=\.\.\.' is not an"):
        checked_plan_arguments([f"db_password={CANARY}"])
