"""deploy/cloudformation: the hook's stack (ecs-lifecycle-hook.yaml, the same resources as the
Terraform module) and an example service whose LifecycleHooks name it. cfn-lint, as users
lint templates, and the templates read with cfn-lint's own decoder (short tags included)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cfnlint.decode import decode

from tests.conftest import REPO
from tests.unit.test_deploy_terraform import ENVIRONMENT, documented_patterns

FOLDER = REPO / "deploy" / "cloudformation"
STACK = FOLDER / "ecs-lifecycle-hook.yaml"
EXAMPLE = FOLDER / "example-service.yaml"
CFN_LINT = Path(sys.executable).parent / "cfn-lint"


def template(path: Path) -> dict[str, Any]:
    decoded, problems = decode(str(path))
    assert problems == []
    assert decoded is not None
    plain: dict[str, Any] = json.loads(json.dumps(decoded))
    return plain


def lint(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CFN_LINT), "--format", "parseable", str(path)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.mark.parametrize("path", [STACK, EXAMPLE], ids=lambda path: path.name)
def test_the_templates_are_cfn_lint_clean(path: Path) -> None:
    completed = lint(path)
    assert completed.returncode == 0, completed.stdout + completed.stderr


def test_cfn_lint_knows_the_lifecycle_hook_properties(tmp_path: Path) -> None:
    """A misspelt property of the service's LifecycleHooks is an error: the lint above does
    check the block against AWS::ECS::Service's schema."""
    broken = tmp_path / "broken.yaml"
    broken.write_text(EXAMPLE.read_text().replace("HookTargetArn:", "HookTarget:"))
    completed = lint(broken)
    assert completed.returncode != 0
    assert "HookTarget" in completed.stdout


def test_the_example_service_asks_the_hook_at_pre_scale_up() -> None:
    service = template(EXAMPLE)["Resources"]["Service"]["Properties"]
    (hook,) = service["DeploymentConfiguration"]["LifecycleHooks"]
    assert set(hook) == {"HookTargetArn", "RoleArn", "LifecycleStages", "HookDetails"}
    assert hook["LifecycleStages"] == ["PRE_SCALE_UP"]
    assert hook["HookDetails"] == {"unverified": "fail"}


def test_the_stack_has_the_modules_resources_and_variables() -> None:
    resources = template(STACK)["Resources"]
    kinds = sorted(resource["Type"] for resource in resources.values())
    assert kinds == [
        "AWS::Events::Rule", "AWS::Events::Rule", "AWS::IAM::Role", "AWS::IAM::Role",
        "AWS::Lambda::Function", "AWS::Lambda::Permission", "AWS::Lambda::Permission",
        "AWS::Logs::LogGroup",
    ]  # fmt: skip
    function = resources["Function"]["Properties"]
    assert function["Handler"]["Fn::If"][2] == "drift_gate.aws_lambda.handler"
    assert set(function["Environment"]["Variables"]) == ENVIRONMENT
    assert resources["LogGroup"]["Properties"]["LogGroupName"] == {
        "Fn::Sub": "/aws/lambda/${FunctionName}"
    }
    (policy,) = resources["FunctionRole"]["Properties"]["Policies"]
    assert policy["PolicyDocument"] == {"Ref": "FunctionRolePolicy"}  # what iam-policy prints


def test_ecs_may_only_invoke_the_function() -> None:
    role = template(STACK)["Resources"]["InvokeRole"]["Properties"]
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "ecs.amazonaws.com"}
    (policy,) = role["Policies"]
    (statement,) = policy["PolicyDocument"]["Statement"]
    assert statement["Action"] == ["lambda:InvokeFunction"]
    assert statement["Resource"] == {"Fn::GetAtt": ["Function", "Arn"]}


def test_the_rules_are_the_documented_patterns() -> None:
    """docs/deploy-hook.md's two patterns, exactly (the module's: test_deploy_terraform.py)."""
    resources = template(STACK)["Resources"]
    documented = documented_patterns()
    assert resources["DeploymentRule"]["Properties"]["EventPattern"] == documented["deployment"]
    stopped = resources["TaskStoppedRule"]["Properties"]["EventPattern"]
    condition, narrowed, every = stopped["detail"]["Fn::If"]  # EventClusterArns, as the module's
    assert condition == "HasEventClusters"
    assert {**stopped, "detail": every} == documented["task-stopped"]
    clusters = {"clusterArn": {"Ref": "EventClusterArns"}}
    assert narrowed == {**documented["task-stopped"]["detail"], **clusters}
    for name in ("DeploymentRule", "TaskStoppedRule"):
        permission = resources[f"{name}Permission"]["Properties"]
        assert permission["Principal"] == "events.amazonaws.com"
        assert permission["SourceArn"] == {"Fn::GetAtt": [name, "Arn"]}
        assert resources[name]["Condition"] == "Events"
