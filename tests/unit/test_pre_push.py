"""`drift-gate pre-push`: the policy and the Terraform sources decide; live ECS never blocks
the push that carries the fix (the live side cannot have it yet)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import yaml

from drift_gate import _moto_compat
from drift_gate.demo import CLUSTER, REGION, SERVICE, IncidentAccount
from tests.conftest import REPO, Cli, MotoServer

EXAMPLE = REPO / "examples" / "hokusai"
HOOKS = {hook["id"]: hook for hook in yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())}


def example_repository(tmp_path: Path) -> Path:
    """The example repository (policy, .env.example, infra/) as a working copy."""
    work = tmp_path / "work"
    shutil.copytree(EXAMPLE, work)
    return work


def test_the_pushed_fix_passes_while_live_ecs_lacks_it(
    cli_on_moto: Cli, moto_server: MotoServer, tmp_path: Path
) -> None:
    # Live: the service runs the revision without HUGGINGFACE_API_KEY (the incident).
    # Pushed: the sources declare it. The push must go through; the live drift is shown.
    IncidentAccount.create(moto_server.client)
    _moto_compat.settle(CLUSTER, SERVICE, REGION)
    work = example_repository(tmp_path)
    hook = Cli(cli_on_moto.env, work)
    result = hook.run("pre-push", "--policy", "drift-gate.yaml", "--live")
    assert result.exit_code == 0, result.stderr
    assert "HUGGINGFACE_API_KEY" in result.stdout  # the live report is shown
    assert "the live check exited 1: information only, the push is not blocked" in result.stderr


def test_without_live_no_aws_is_asked_and_the_sources_are_found(cli: Cli, tmp_path: Path) -> None:
    work = example_repository(tmp_path)
    # No endpoint and fake keys: any AWS call would fail (exit 3); none is made.
    result = Cli(cli.env, work).run("pre-push", "--policy", "drift-gate.yaml")
    assert result.exit_code == 0, result.stderr
    assert "the live check is not run before a push" in result.stderr
    assert "skipped the Terraform sources check" not in result.stderr
    assert "Terraform sources" in result.stdout or "PASS" in result.stdout


def test_a_source_that_lacks_a_declared_name_blocks_the_push(cli: Cli, tmp_path: Path) -> None:
    work = example_repository(tmp_path)
    policy = work / "drift-gate.yaml"
    policy.write_text(
        policy.read_text().replace("environment: [LOG_LEVEL]", "environment: [LOG_LEVEL, NEW]", 1)
    )
    result = Cli(cli.env, work).run("pre-push", "--policy", "drift-gate.yaml")
    assert result.exit_code == 1
    assert "NEW" in result.stdout


def test_no_terraform_root_is_said_not_skipped_silently(cli: Cli, tmp_path: Path) -> None:
    work = example_repository(tmp_path)
    shutil.rmtree(work / "infra")
    result = Cli(cli.env, work).run("pre-push", "--policy", "drift-gate.yaml")
    assert result.exit_code == 0
    assert (
        "skipped the Terraform sources check: no .tf files in ./, infra/, terraform/; "
        "give --terraform-dir" in result.stderr
    )


def test_live_without_credentials_says_so_and_passes(cli: Cli, tmp_path: Path) -> None:
    env = {
        k: v for k, v in cli.env.items() if k not in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")
    }
    result = Cli({**env, "AWS_PROFILE": "nope"}, example_repository(tmp_path)).run(
        "pre-push", "--policy", "drift-gate.yaml", "--live"
    )
    assert result.exit_code == 0
    assert "skipped the live check: AWS profile 'nope' is not in the AWS config" in result.stderr


def test_the_policy_hook_matches_policies_by_name_not_other_tools_yaml() -> None:
    files = re.compile(HOOKS["drift-gate-policy"]["files"])
    ours = [
        "drift-gate.yaml",
        ".drift-gate.yml",
        "deploy/drift-gate.prod.yaml",
        "drift-gate/a.yaml",
    ]
    theirs = ["policies/kyverno.yaml", "policies/require-labels.yml", "k8s/policy.yaml"]
    assert [bool(files.search(path)) for path in ours] == [True] * len(ours)
    assert [bool(files.search(path)) for path in theirs] == [False] * len(theirs)
