"""The Terraform half of the incident, end to end: plan JSON in, live moto service over HTTP."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from drift_gate import _moto_compat
from tests.conftest import REGION, REPO, Cli, MotoServer, installed_cli
from tests.plans import (
    INCIDENT_AFTER,
    INCIDENT_BEFORE,
    INCIDENT_FAMILY,
    container,
    plan,
    planned_resource,
    secret_arn,
    service_config,
    task_definition_values,
)
from tests.roles import execution_role

# The installed console script as a subprocess: here the real process is the point.
cli = pytest.fixture(name="cli")(installed_cli)

FIXTURE = REPO / "tests" / "fixtures" / "terraform" / "incident"
CLUSTER = "hokusai-development"

pytestmark = pytest.mark.e2e


def register(moto_server: MotoServer, containers: list[dict[str, Any]]) -> str:
    # The plan's container definitions, as ECS would have registered them (with memory).
    definitions = [{**c, "memory": 512} for c in containers]
    response = moto_server.client("ecs").register_task_definition(
        family=INCIDENT_FAMILY,
        containerDefinitions=definitions,
        executionRoleArn=execution_role(moto_server.client("iam")),
    )
    return str(response["taskDefinition"]["taskDefinitionArn"])


def live_service(moto_server: MotoServer, task_definition: str) -> None:
    ecs = moto_server.client("ecs")
    ecs.create_cluster(clusterName=CLUSTER)
    ecs.create_service(
        cluster=CLUSTER, serviceName=INCIDENT_FAMILY, taskDefinition=task_definition, desiredCount=2
    )
    _moto_compat.settle(CLUSTER, INCIDENT_FAMILY, REGION)


def run_json(cli: Cli, tmp_path: Path, *args: str) -> tuple[int, dict[str, Any], str]:
    report = tmp_path / "report.json"
    # The fixture's secret ARNs end in a fixed suffix moto cannot create, so the secret-store
    # link is off here; tests/unit/test_secret_stores.py covers that link.
    result = cli.run(
        "check", *args, "--secret-checks", "off", "--format", "json", "--output", str(report)
    )
    return result.exit_code, json.loads(report.read_text()), result.stdout + result.stderr


def test_incident_plan_and_live_service_without_the_key_fail_naming_everything(
    moto_server: MotoServer, cli_on_moto: Cli, tmp_path: Path
) -> None:
    live_service(moto_server, register(moto_server, [INCIDENT_BEFORE]))

    exit_code, report, _ = run_json(
        cli_on_moto, tmp_path, "--plan-json", str(FIXTURE / "plan.json")
    )

    assert exit_code == 1
    by_rule = {f["rule_id"]: f for f in report["findings"]}
    assert set(by_rule) == {"DG502", "DG501", "DG101"}
    main_tf = f"{FIXTURE / 'main.tf'}"
    pending = by_rule["DG502"]
    assert pending["target"]["resource"] == "aws_ecs_task_definition.api"
    assert (pending["target"]["container"], pending["target"]["variable"]) == (
        "api",
        "HUGGINGFACE_API_KEY",
    )
    assert pending["declared_in"] == f"{main_tf}:25"
    assert pending["message"] == (
        "secret HUGGINGFACE_API_KEY would be added to container api of aws_ecs_task_definition.api: "
        "merged, not applied"
    )
    assert pending["remediation"].startswith(f"Run `terraform apply` in {FIXTURE}, then make sure")
    assert (
        "aws ecs update-service --cluster hokusai-development --service hokusai-api-development "
        "--force-new-deployment --region us-east-1" in pending["remediation"]
    )
    live = by_rule["DG101"]
    assert (
        live["target"]["environment"],
        live["target"]["container"],
        live["target"]["variable"],
    ) == (
        "terraform",
        "api",
        "HUGGINGFACE_API_KEY",
    )
    assert live["declared_in"] == f"{main_tf}:25"
    assert by_rule["DG501"]["target"]["resource"] == "aws_ecs_service.api"
    assert by_rule["DG501"]["declared_in"] == f"{main_tf}:34"
    assert report["plan"] == str(FIXTURE / "plan.json")


def test_incident_after_apply_and_redeploy_passes(
    moto_server: MotoServer, cli_on_moto: Cli, tmp_path: Path
) -> None:
    live_service(moto_server, register(moto_server, [INCIDENT_AFTER]))
    applied = plan(
        resources=[
            planned_resource(
                "aws_ecs_task_definition.api",
                "aws_ecs_task_definition",
                task_definition_values(INCIDENT_FAMILY, [INCIDENT_AFTER]),
            ),
            planned_resource(
                "aws_ecs_service.api",
                "aws_ecs_service",
                {"name": INCIDENT_FAMILY, "cluster": CLUSTER, "task_definition": "x"},
            ),
        ],
        config_resources=[service_config()],
    )
    plan_path = tmp_path / "applied.json"
    plan_path.write_text(json.dumps(applied))

    exit_code, report, _ = run_json(cli_on_moto, tmp_path, "--plan-json", str(plan_path))

    assert (exit_code, report["findings"]) == (0, [])
    assert [s["service"] for s in report["services"]] == [INCIDENT_FAMILY]


def test_ignore_changes_on_task_definition_only_the_live_check_sees_it(
    moto_server: MotoServer, cli_on_moto: Cli, tmp_path: Path
) -> None:
    # lifecycle { ignore_changes = [task_definition] } on the service: Terraform registered
    # revision 2 (with the key) but leaves the service on revision 1, and the plan is clean.
    old = register(moto_server, [INCIDENT_BEFORE])
    register(moto_server, [INCIDENT_AFTER])
    live_service(moto_server, old)
    ignored = plan(
        resources=[
            planned_resource(
                "aws_ecs_task_definition.api",
                "aws_ecs_task_definition",
                task_definition_values(INCIDENT_FAMILY, [INCIDENT_AFTER]),
            ),
            planned_resource(
                "aws_ecs_service.api",
                "aws_ecs_service",
                {"name": INCIDENT_FAMILY, "cluster": CLUSTER, "task_definition": old},
            ),
        ],
        config_resources=[service_config()],
    )
    plan_path = tmp_path / "plan.json"
    plan_path.write_text(json.dumps(ignored))
    shutil.copy(FIXTURE / "main.tf", tmp_path / "main.tf")

    exit_code, report, _ = run_json(cli_on_moto, tmp_path, "--plan-json", str(plan_path))

    assert exit_code == 1
    assert {(f["rule_id"], f["target"]["variable"]) for f in report["findings"]} == {
        ("DG201", None),
        ("DG101", "HUGGINGFACE_API_KEY"),
    }
    assert not any(f["rule_id"].startswith("DG5") for f in report["findings"])  # the plan is clean
    missing = next(f for f in report["findings"] if f["rule_id"] == "DG101")
    # The .tf beside the plan, shown relative to the working directory it is under.
    assert missing["declared_in"] == "main.tf:25"


def test_policy_and_plan_both_apply(
    moto_server: MotoServer, cli_on_moto: Cli, tmp_path: Path
) -> None:
    live_service(moto_server, register(moto_server, [INCIDENT_BEFORE]))
    policy = REPO / "policies" / "example.yaml"

    exit_code, report, _ = run_json(
        cli_on_moto, tmp_path, "--policy", str(policy), "--plan-json", str(FIXTURE / "plan.json")
    )

    assert exit_code == 1
    environments = {(f["rule_id"], f["target"]["environment"]) for f in report["findings"]}
    assert ("DG101", "development") in environments  # from the policy
    assert ("DG101", "terraform") in environments  # from the plan
    assert report["policy"] == str(policy)
    assert len(report["services"]) == 2


def test_a_plan_without_policy_keeps_its_meaning_when_a_policy_would_be_found(
    moto_server: MotoServer, cli_on_moto: Cli, tmp_path: Path
) -> None:
    """Plan-only stays plan-only: a drift-gate.yaml in the working directory is not read
    (it would add the policy's DG101), and a note says how to add it."""
    live_service(moto_server, register(moto_server, [INCIDENT_BEFORE]))
    shutil.copy(REPO / "policies" / "example.yaml", tmp_path / "drift-gate.yaml")

    exit_code, report, output = run_json(
        cli_on_moto, tmp_path, "--plan-json", str(FIXTURE / "plan.json")
    )

    assert exit_code == 1
    environments = {(f["rule_id"], f["target"]["environment"]) for f in report["findings"]}
    assert ("DG101", "terraform") in environments
    assert ("DG101", "development") not in environments  # the policy's: not read
    assert report["policy"] is None
    assert len(report["services"]) == 1
    assert (
        "drift-gate: note: ./drift-gate.yaml is not read: with a plan and no --policy, check "
        "checks what the plan declares; add --policy ./drift-gate.yaml to check what the "
        "policy declares too"
    ) in output


def test_canary_in_plan_values_appears_in_no_output(
    moto_server: MotoServer, cli_on_moto: Cli, tmp_path: Path
) -> None:
    canary_secret = "hf_PlanCanarySecret0987654321zyxwvuts"
    canary_env = "plan-canary-env-value-c4n4ry"
    after = container(
        secrets={"HUGGINGFACE_API_KEY": secret_arn("HUGGINGFACE_API_KEY")},
        environment={"LOG_LEVEL": canary_env, "HF_TOKEN_PLAIN": canary_secret},
    )
    document = json.loads((FIXTURE / "plan.json").read_text())
    td_change = document["resource_changes"][0]["change"]
    td_change["after"]["container_definitions"] = json.dumps([after])
    td_change["after_sensitive"] = {"container_definitions": True}
    document["planned_values"]["root_module"]["resources"][0]["values"]["container_definitions"] = (
        json.dumps([after])
    )
    document["variables"] = {"hf_token": {"value": canary_secret}}
    plan_path = tmp_path / "plan.json"
    plan_path.write_text(json.dumps(document))
    live_service(moto_server, register(moto_server, [INCIDENT_BEFORE]))

    outputs = []
    for fmt in ("console", "json"):
        result = cli_on_moto.run(
            "--debug",
            "check",
            "--plan-json",
            str(plan_path),
            "--secret-checks",
            "off",
            "--format",
            fmt,
        )
        assert result.exit_code == 1
        assert "HF_TOKEN_PLAIN" in result.stdout  # the finding is there ...
        outputs += [result.stdout, result.stderr]
    for text in outputs:  # ... its value is not
        assert canary_secret not in text
        assert canary_env not in text
