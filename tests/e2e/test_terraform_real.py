"""The real terraform binary (1.11 on these machines) behind sources/terraform.py.

Providers cannot be downloaded here, so the configurations use only the built-in
terraform_data resource with local state. These tests fail, never skip, without terraform.
"""

from __future__ import annotations

import json
import shutil
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from drift_gate.errors import CouldNotVerifyError
from drift_gate.sources.plan import parse_plan
from drift_gate.sources.terraform import Terraform, TerraformSettings, stderr_tail
from tests.conftest import REPO, Cli, installed_cli

# The installed console script as a subprocess: here the real process is the point.
cli = pytest.fixture(name="cli")(installed_cli)

REAL = REPO / "tests" / "fixtures" / "terraform" / "real"


@pytest.fixture(scope="module")
def terraform_binary() -> str:
    found = shutil.which("terraform")
    assert found, "terraform must be on PATH for these tests (1.11 on this project's machines)"
    return found


def copy_config(name: str, tmp_path: Path) -> Path:
    target = tmp_path / name
    shutil.copytree(REAL / name, target)
    return target


def terraform(directory: Path, *args: str) -> None:
    subprocess.run(
        ["terraform", *args], cwd=directory, check=True, capture_output=True, timeout=300
    )


def applied(name: str, tmp_path: Path) -> Path:
    directory = copy_config(name, tmp_path)
    terraform(directory, "init", "-input=false", "-no-color")
    terraform(directory, "apply", "-input=false", "-auto-approve", "-no-color")
    return directory


def check(
    cli: Cli, tmp_path: Path, *args: str, extra_env: dict[str, str] | None = None
) -> tuple[int, dict[str, Any], str]:
    report = tmp_path / "report.json"
    report.unlink(missing_ok=True)
    result = cli.run(
        "check", *args, "--format", "json", "--output", str(report), extra_env=extra_env
    )
    document = json.loads(report.read_text()) if report.exists() else {}
    return result.exit_code, document, result.stderr


def rule_ids(report: dict[str, Any]) -> list[str]:
    return sorted(f["rule_id"] for f in report["findings"])


def test_pending_change_exits_1_naming_the_resource(
    terraform_binary: str, cli: Cli, tmp_path: Path
) -> None:
    directory = copy_config("pending", tmp_path)
    terraform(directory, "init", "-input=false")

    exit_code, report, _ = check(cli, tmp_path, "--terraform-dir", str(directory))

    assert exit_code == 1
    assert rule_ids(report) == ["DG501", "DG504"]
    pending = next(f for f in report["findings"] if f["rule_id"] == "DG501")
    assert (
        pending["message"] == "terraform_data.task_definition: create pending (merged, not applied)"
    )
    assert pending["declared_in"].endswith("pending/main.tf:12")
    assert report["stats"]["aws_calls"] == {}  # nothing Terraform declares runs on ECS


def test_no_changes_exits_0(terraform_binary: str, cli: Cli, tmp_path: Path) -> None:
    directory = applied("pending", tmp_path)
    exit_code, report, _ = check(cli, tmp_path, "--terraform-dir", str(directory))
    assert (exit_code, report["findings"], report["verdict"]) == (0, [], "pass")


def test_output_only_change_is_terraform_exit_2_but_not_drift(
    terraform_binary: str, cli: Cli, tmp_path: Path
) -> None:
    directory = applied("pending", tmp_path)
    exit_code, report, _ = check(
        cli, tmp_path, "--terraform-dir", str(directory), "--var", "release=two"
    )
    # terraform exits 2; the JSON shows only an output change: info, pass, and no mismatch.
    assert exit_code == 0
    assert rule_ids(report) == ["DG504"]


def test_var_and_var_file_reach_the_plan(terraform_binary: str, cli: Cli, tmp_path: Path) -> None:
    directory = applied("pending", tmp_path)
    var_file = tmp_path / "more.tfvars.json"
    var_file.write_text(json.dumps({"secret_names": ["DATABASE_HOST"]}))
    by_file, report, _ = check(
        cli, tmp_path, "--terraform-dir", str(directory), "--var-file", str(var_file)
    )
    assert (by_file, rule_ids(report)) == (1, ["DG501"])
    by_var, report, _ = check(
        cli, tmp_path, "--terraform-dir", str(directory), "--var", 'secret_names=["X"]'
    )
    assert (by_var, rule_ids(report)) == (1, ["DG501"])


def test_workspace_is_planned(terraform_binary: str, cli: Cli, tmp_path: Path) -> None:
    directory = applied("pending", tmp_path)
    terraform(directory, "workspace", "new", "staging")
    terraform(directory, "workspace", "select", "default")
    exit_code, report, _ = check(
        cli, tmp_path, "--terraform-dir", str(directory), "--workspace", "staging"
    )
    assert (exit_code, rule_ids(report)) == (1, ["DG501", "DG504"])  # nothing applied in staging
    missing, _, stderr = check(
        cli, tmp_path, "--terraform-dir", str(directory), "--workspace", "nope"
    )
    assert missing == 2
    assert (
        f"terraform workspace 'nope' does not exist in {directory}; it has: default, staging"
        in stderr
    )


def test_terraform_error_exits_3_with_the_tail_of_stderr(
    terraform_binary: str, cli: Cli, tmp_path: Path
) -> None:
    directory = copy_config("broken", tmp_path)
    exit_code, report, stderr = check(
        cli, tmp_path, "--terraform-dir", str(directory), "--terraform-init"
    )
    assert exit_code == 3
    # The report is still written, so a matrix merge sees this run could not verify.
    assert report["verdict"] == "could-not-verify"
    [finding] = report["findings"]
    assert finding["rule_id"] == "DG902"
    assert "Reference to undeclared input variable" in finding["message"]
    [line] = stderr.splitlines()
    assert line.startswith(f"drift-gate: error: terraform plan failed (exit 1) in {directory}: ")
    assert "Reference to undeclared input variable" in line


def test_not_initialised_exits_3_with_a_hint_and_init_fixes_it(
    terraform_binary: str, cli: Cli, tmp_path: Path
) -> None:
    directory = copy_config("with_module", tmp_path)
    exit_code, _, stderr = check(cli, tmp_path, "--terraform-dir", str(directory))
    assert exit_code == 3
    assert "Module not installed" in stderr
    assert "not initialised: run terraform init there or pass --terraform-init" in stderr
    exit_code, report, _ = check(
        cli, tmp_path, "--terraform-dir", str(directory), "--terraform-init"
    )
    assert exit_code == 1
    [finding] = report["findings"]
    assert finding["target"]["resource"] == "module.app.terraform_data.task_definition"
    # The module's directory comes from .terraform/modules/modules.json written by init.
    assert finding["declared_in"].endswith("with_module/modules/app/main.tf:1")


def test_binary_plan_file(terraform_binary: str, cli: Cli, tmp_path: Path) -> None:
    directory = copy_config("pending", tmp_path)
    terraform(directory, "init", "-input=false")
    terraform(directory, "plan", "-input=false", "-out=tfplan")
    exit_code, report, _ = check(cli, tmp_path, "--plan-file", str(directory / "tfplan"))
    assert (exit_code, rule_ids(report)) == (1, ["DG501", "DG504"])
    assert report["plan"] == str(directory / "tfplan")


def fake_terraform(tmp_path: Path, script: str) -> Path:
    binary = tmp_path / "fake-terraform"
    binary.write_text(f"#!/bin/sh\n{script}\n")
    binary.chmod(binary.stat().st_mode | stat.S_IEXEC)
    return binary


def test_timeout_stops_terraform_and_exits_3(cli: Cli, tmp_path: Path) -> None:
    hanging = fake_terraform(tmp_path, "sleep 60")
    exit_code, _, stderr = check(
        cli,
        tmp_path,
        "--terraform-dir",
        str(tmp_path),
        "--terraform-bin",
        str(hanging),
        "--terraform-timeout",
        "1",
    )
    assert exit_code == 3
    assert "terraform plan did not finish in 1s and was stopped" in stderr


def test_binary_missing_exits_3(cli: Cli, tmp_path: Path) -> None:
    exit_code, _, stderr = check(
        cli, tmp_path, "--terraform-dir", str(tmp_path), "--terraform-bin", "no-such-terraform"
    )
    assert exit_code == 3
    assert "terraform binary not found: 'no-such-terraform'" in stderr


def test_terraform_bin_from_the_environment(cli: Cli, tmp_path: Path) -> None:
    result = cli.run(
        "check", "--terraform-dir", str(tmp_path), extra_env={"TERRAFORM_BIN": "absent-tf"}
    )
    assert result.exit_code == 3
    assert "terraform binary not found: 'absent-tf'" in result.stderr


def test_exit_code_1_from_terraform_never_leaks_as_drift(tmp_path: Path) -> None:
    failing = fake_terraform(tmp_path, "echo 'Error: boom' >&2; exit 1")
    runner = Terraform(tmp_path, TerraformSettings(binary=str(failing)))
    with pytest.raises(
        CouldNotVerifyError, match=r"terraform plan failed \(exit 1\) in .*: Error: boom"
    ):
        runner.plan()


def test_plan_with_changes_is_exit_2_translated(tmp_path: Path) -> None:
    plan_json = json.dumps({"format_version": "1.2"})
    fake = fake_terraform(
        tmp_path, f"""case "$1" in plan) exit 2;; show) echo '{plan_json}';; esac"""
    )
    run = Terraform(tmp_path, TerraformSettings(binary=str(fake))).plan()
    assert run.has_changes is True
    assert run.plan_json == {"format_version": "1.2"}


def test_stderr_tail_keeps_the_last_meaningful_lines() -> None:
    stderr = "\n".join(
        ["╷", "│ Error: Module not installed", "│", "│   on main.tf line 1:", "╵", ""] * 2
    )
    assert stderr_tail(stderr, lines=2) == "Error: Module not installed | on main.tf line 1:"


# --- Workspaces as terraform reads them, variables, and how a timeout stops terraform -----


def test_tf_workspace_is_honoured_and_named_in_the_report(
    terraform_binary: str, cli: Cli, tmp_path: Path
) -> None:
    directory = applied("pending", tmp_path)  # applied in default: no change pending there
    terraform(directory, "workspace", "new", "staging")  # nothing applied in staging
    terraform(directory, "workspace", "select", "default")

    exit_code, report, _ = check(
        cli, tmp_path, "--terraform-dir", str(directory), extra_env={"TF_WORKSPACE": "staging"}
    )
    assert (exit_code, rule_ids(report)) == (1, ["DG501", "DG504"])
    assert report["workspace"] == "staging"

    exit_code, report, _ = check(cli, tmp_path, "--terraform-dir", str(directory))
    assert (exit_code, report["workspace"]) == (0, "default")


def test_workspace_flag_and_tf_workspace_disagreeing_is_a_usage_error(
    cli: Cli, tmp_path: Path
) -> None:
    result = cli.run(
        "check",
        "--terraform-dir",
        str(tmp_path),
        "--workspace",
        "prod",
        extra_env={"TF_WORKSPACE": "staging"},
    )
    assert result.exit_code == 2
    assert "--workspace prod and TF_WORKSPACE=staging name different workspaces" in result.stderr


def test_the_selected_workspace_is_named_without_tf_workspace(
    terraform_binary: str, cli: Cli, tmp_path: Path
) -> None:
    directory = applied("pending", tmp_path)
    terraform(directory, "workspace", "new", "staging")  # selects it, as terraform does
    exit_code, report, _ = check(cli, tmp_path, "--terraform-dir", str(directory))
    assert (exit_code, report["workspace"]) == (1, "staging")


@pytest.mark.parametrize(
    "arguments",
    [
        ("--var", "no_such_variable=1"),
        ("--var-file", "missing.tfvars"),
        ("--var", "secret_names=not-a-list"),
    ],
)
def test_variables_terraform_refuses_are_usage_errors(
    terraform_binary: str, cli: Cli, tmp_path: Path, arguments: tuple[str, str]
) -> None:
    directory = copy_config("pending", tmp_path)
    terraform(directory, "init", "-input=false")
    exit_code, _, stderr = check(cli, tmp_path, "--terraform-dir", str(directory), *arguments)
    assert exit_code == 2, stderr
    assert "check --var and --var-file" in stderr


def test_a_timeout_interrupts_terraform_first_so_it_can_release_its_lock(
    tmp_path: Path,
) -> None:
    marker = tmp_path / "interrupted"
    # Like terraform: on SIGINT it releases the state lock, then exits. In Python, as Go
    # does, it takes SIGINT even when started with it ignored (a background job of a
    # non-interactive shell): a shell's trap could not, and the test would depend on how
    # the suite was started.
    binary = tmp_path / "fake-terraform"
    binary.write_text(
        f"#!{sys.executable}\n"
        "import signal, sys, time\n"
        "def release(*_):\n"
        f"    open({str(marker)!r}, 'w').write('released')\n"
        "    sys.exit(130)\n"
        "signal.signal(signal.SIGINT, release)\n"
        "time.sleep(60)\n"
    )
    binary.chmod(binary.stat().st_mode | stat.S_IEXEC)
    settings = TerraformSettings(binary=str(binary), timeout=1, interrupt_grace=5)
    with pytest.raises(CouldNotVerifyError, match="a state lock may remain") as raised:
        Terraform(tmp_path, settings).plan()
    assert marker.read_text().strip() == "released"
    assert "terraform force-unlock LOCK_ID" in str(raised.value)


def test_a_terraform_that_ignores_the_interrupt_is_killed_after_the_grace(
    tmp_path: Path,
) -> None:
    stubborn = fake_terraform(tmp_path, "trap '' INT\nsleep 60")
    settings = TerraformSettings(binary=str(stubborn), timeout=1, interrupt_grace=1)
    with pytest.raises(CouldNotVerifyError, match="did not finish in 1s and was stopped"):
        Terraform(tmp_path, settings).plan()


def test_extra_plan_arguments_reach_the_plan(
    terraform_binary: str, cli: Cli, tmp_path: Path
) -> None:
    directory = applied("pending", tmp_path)
    exit_code, report, _ = check(
        cli, tmp_path, "--terraform-dir", str(directory), '--plan-arg=-var=secret_names=["X"]'
    )
    assert (exit_code, rule_ids(report)) == (1, ["DG501"])
    # An option terraform does not know is the user's input: exit 2, pointing at --plan-arg.
    exit_code, _, stderr = check(
        cli, tmp_path, "--terraform-dir", str(directory), "--plan-arg=-no-such-option"
    )
    assert exit_code == 2
    assert "terraform plan failed (exit 1)" in stderr
    assert stderr.rstrip().endswith("; check --plan-arg")


@pytest.mark.parametrize(
    ("argument", "message"),
    [
        ("-out=elsewhere", "--plan-arg '-out=elsewhere': drift-gate sets -out itself"),
        ("-json", "--plan-arg '-json': drift-gate sets -json itself"),
        ("module.api", "--plan-arg 'module.api' is not an option"),
    ],
)
def test_plan_arguments_drift_gate_sets_or_that_are_not_options_are_refused(
    cli: Cli, tmp_path: Path, argument: str, message: str
) -> None:
    result = cli.run("check", "--terraform-dir", str(tmp_path), f"--plan-arg={argument}")
    assert result.exit_code == 2
    assert message in result.stderr


def test_plan_options_without_a_plan_to_run_are_a_usage_error(cli: Cli, tmp_path: Path) -> None:
    plan = tmp_path / "plan.json"
    plan.write_text("{}")
    result = cli.run("check", "--plan-json", str(plan), "--plan-arg=-refresh=false")
    assert result.exit_code == 2
    assert "there is none: give them to your own terraform plan" in result.stderr


def test_opentofu_is_named_tofu_in_messages(
    terraform_binary: str, cli: Cli, tmp_path: Path
) -> None:
    # terraform under the name tofu: the same command line, and the messages say tofu.
    tofu = tmp_path / "bin" / "tofu"
    tofu.parent.mkdir()
    tofu.symlink_to(terraform_binary)
    directory = copy_config("with_module", tmp_path)
    exit_code, _, stderr = check(
        cli, tmp_path, "--terraform-dir", str(directory), "--terraform-bin", str(tofu)
    )
    assert exit_code == 3
    assert f"tofu plan failed (exit 1) in {directory}" in stderr
    assert "not initialised: run tofu init there or pass --terraform-init" in stderr
    missing = cli.run("check", "--terraform-dir", str(directory), "--terraform-bin", "tofu-nope")
    assert missing.exit_code == 3
    assert "tofu binary not found: 'tofu-nope'; install OpenTofu" in missing.stderr


def show_json(directory: Path, *plan_args: str) -> dict[str, Any]:
    terraform(directory, "plan", "-input=false", "-no-color", "-out=tfplan", *plan_args)
    shown = subprocess.run(
        ["terraform", "show", "-json", "tfplan"],
        cwd=directory,
        check=True,
        capture_output=True,
        timeout=300,
    )
    document: dict[str, Any] = json.loads(shown.stdout)
    return document


def test_planned_values_as_terraform_writes_them_for_destroy_forget_and_empty_plans(
    terraform_binary: str, tmp_path: Path
) -> None:
    """The reader refuses a plan whose planned_values are missing, or leave out a resource a
    change keeps (docs/terraform.md): what terraform itself writes is read. `plan -destroy`
    and an empty configuration write `{"root_module": {}}`; a `forget` keeps its resource in
    planned_values without `values`."""
    directory = applied("with_module", tmp_path)
    destroy = show_json(directory, "-destroy")
    assert destroy["planned_values"] == {"root_module": {}}
    assert {tuple(c["change"]["actions"]) for c in destroy["resource_changes"]} == {("delete",)}
    assert parse_plan(destroy, "destroy").resource_changes

    (directory / "main.tf").write_text(
        "removed {\n  from = module.app\n  lifecycle {\n    destroy = false\n  }\n}\n"
    )
    forget = show_json(directory)
    [kept] = forget["planned_values"]["root_module"]["child_modules"][0]["resources"]
    assert "values" not in kept
    assert [c["change"]["actions"] for c in forget["resource_changes"]] == [["forget"]]
    assert parse_plan(forget, "forget").resource_changes

    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "main.tf").write_text("terraform {}\n")
    terraform(empty, "init", "-input=false", "-no-color")
    document = show_json(empty)
    assert document["planned_values"] == {"root_module": {}}
    assert parse_plan(document, "empty").task_definitions == ()
