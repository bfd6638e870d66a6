"""The gate against moto in-process: not-found rules, ignores, environments, task sets."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from drift_gate import _moto_compat
from drift_gate.engine.gate import run_check
from drift_gate.engine.outcome import decide
from drift_gate.engine.service_checks import CheckOptions
from drift_gate.errors import InvalidInputError
from drift_gate.model import FailOn, Report, Verdict
from drift_gate.policy import Policy, load_policy
from drift_gate.sources.aws import AwsClients
from tests.roles import execution_role

REGION = "us-east-1"


@pytest.fixture
def ecs() -> Iterator[Any]:
    with mock_aws():
        clients = AwsClients()
        yield clients.client("ecs", REGION)


def write_policy(tmp_path: Path, services_yaml: str, extra_env: str = "") -> Policy:
    path = tmp_path / "policy.yaml"
    path.write_text(
        "version: 1\n"
        "environments:\n"
        "  dev:\n"
        f"    region: {REGION}\n"
        "    services:\n" + services_yaml + extra_env
    )
    return load_policy(path)


API_SERVICE = """\
      - cluster: c
        service: api
        containers:
          api:
            secrets: [TOKEN]
"""


def register(
    ecs: Any, family: str = "api", container: str = "api", secrets: tuple[str, ...] = ("TOKEN",)
) -> str:
    ssm = boto3.client("ssm", region_name=REGION)
    for name in secrets:  # the parameters exist, so the secret-store link holds
        ssm.put_parameter(Name=f"/app/{name}", Value="x", Type="SecureString", Overwrite=True)
    response = ecs.register_task_definition(
        family=family,
        executionRoleArn=execution_role(boto3.client("iam", region_name=REGION)),
        containerDefinitions=[
            {
                "name": container,
                "image": "app",
                "memory": 128,
                "secrets": [{"name": n, "valueFrom": f"/app/{n}"} for n in secrets],
            }
        ],
    )
    return str(response["taskDefinition"]["taskDefinitionArn"])


def create_service(
    ecs: Any, name: str = "api", task_definition: str | None = None, **extra: Any
) -> None:
    ecs.create_service(
        cluster="c",
        serviceName=name,
        taskDefinition=task_definition or register(ecs),
        desiredCount=1,
        **extra,
    )
    _moto_compat.settle("c", name, REGION)


def check(policy: Policy, **options: Any) -> Report:
    return run_check(policy, CheckOptions(**options), AwsClients())


def findings(report: Report) -> set[tuple[str, str | None]]:
    return {(f.rule_id, f.target.container) for f in report.findings}


def test_matching_service_passes(ecs: Any, tmp_path: Path) -> None:
    ecs.create_cluster(clusterName="c")
    create_service(ecs)
    report = check(write_policy(tmp_path, API_SERVICE))
    assert (report.verdict, report.exit_code, report.findings) == (Verdict.PASS, 0, ())
    assert report.services[0].verified


def test_dg205_cluster_not_found(ecs: Any, tmp_path: Path) -> None:
    report = check(write_policy(tmp_path, API_SERVICE))
    assert findings(report) == {("DG205", None)}
    assert report.exit_code == 1
    assert report.findings[0].declared_in == f"{tmp_path / 'policy.yaml'}:6"


def test_dg206_service_not_found(ecs: Any, tmp_path: Path) -> None:
    ecs.create_cluster(clusterName="c")
    report = check(write_policy(tmp_path, API_SERVICE))
    assert findings(report) == {("DG206", None)}
    assert "MISSING" in report.findings[0].message


def test_dg206_deleted_service_is_not_found(ecs: Any, tmp_path: Path) -> None:
    ecs.create_cluster(clusterName="c")
    create_service(ecs)
    ecs.delete_service(cluster="c", service="api", force=True)
    report = check(write_policy(tmp_path, API_SERVICE))
    assert findings(report) == {("DG206", None)}
    assert "INACTIVE" in report.findings[0].message


def test_dg207_container_not_found(ecs: Any, tmp_path: Path) -> None:
    ecs.create_cluster(clusterName="c")
    create_service(ecs, task_definition=register(ecs, container="web"))
    report = check(write_policy(tmp_path, API_SERVICE))
    assert ("DG207", "api") in findings(report)
    assert report.exit_code == 1


def test_ignored_rules_are_not_reported(ecs: Any, tmp_path: Path) -> None:
    ecs.create_cluster(clusterName="c")
    create_service(ecs, task_definition=register(ecs, secrets=("TOKEN", "EXTRA")))
    plain = check(write_policy(tmp_path, API_SERVICE))
    assert findings(plain) == {("DG107", "api")}
    ignoring = check(write_policy(tmp_path, API_SERVICE + "        ignore: [DG107]\n"))
    assert ignoring.findings == ()


def test_environment_filter_and_unknown_environment(ecs: Any, tmp_path: Path) -> None:
    ecs.create_cluster(clusterName="c")
    create_service(ecs)
    other = "  prod:\n    region: eu-west-1\n    services:\n" + API_SERVICE
    policy = write_policy(tmp_path, API_SERVICE, other)
    only_dev = check(policy, environment="dev")
    assert [s.environment for s in only_dev.services] == ["dev"]
    both = check(policy)
    assert {(s.environment, s.region) for s in both.services} == {
        ("dev", REGION),
        ("prod", "eu-west-1"),
    }
    assert findings(both) == {("DG205", None)}  # no cluster c in eu-west-1
    with pytest.raises(
        InvalidInputError, match=r"environment 'staging' is not in .*it has: dev, prod"
    ):
        check(policy, environment="staging")


def test_code_deploy_service_runs_its_primary_task_set(ecs: Any, tmp_path: Path) -> None:
    ecs.create_cluster(clusterName="c")
    old = register(ecs, secrets=())
    new = register(ecs)
    ecs.create_service(
        cluster="c",
        serviceName="api",
        taskDefinition=old,
        desiredCount=1,
        deploymentController={"type": "EXTERNAL"},
    )
    task_set = ecs.create_task_set(cluster="c", service="api", taskDefinition=old)["taskSet"][
        "taskSetArn"
    ]
    ecs.create_task_set(cluster="c", service="api", taskDefinition=new)
    ecs.update_service_primary_task_set(cluster="c", service="api", primaryTaskSet=task_set)

    report = check(write_policy(tmp_path, API_SERVICE))

    assert report.services[0].deployed_task_definition == old
    assert {f.rule_id for f in report.findings} >= {"DG101", "DG201"}


def test_service_without_primary_deployment_is_not_verified(ecs: Any, tmp_path: Path) -> None:
    ecs.create_cluster(clusterName="c")
    ecs.create_service(
        cluster="c",
        serviceName="api",
        taskDefinition=register(ecs),
        deploymentController={"type": "EXTERNAL"},
    )
    report = check(write_policy(tmp_path, API_SERVICE))
    assert findings(report) == {("DG901", None)}
    assert (report.verdict, report.exit_code) == (Verdict.COULD_NOT_VERIFY, 3)


def test_fail_on_thresholds_and_unverified_precedence(ecs: Any, tmp_path: Path) -> None:
    ecs.create_cluster(clusterName="c")
    create_service(ecs, task_definition=register(ecs, secrets=("TOKEN", "EXTRA")))
    info_only = check(write_policy(tmp_path, API_SERVICE)).findings
    assert decide(info_only, FailOn.ERROR) == (Verdict.PASS, 0)
    assert decide(info_only, FailOn.WARNING) == (Verdict.PASS, 0)
    missing = check(
        write_policy(tmp_path, API_SERVICE.replace("[TOKEN]", "[TOKEN, GONE]"))
    ).findings
    assert decide(missing, FailOn.ERROR) == (Verdict.DRIFT, 1)
    assert decide(missing, FailOn.NEVER) == (Verdict.PASS, 0)
