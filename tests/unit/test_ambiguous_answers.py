"""An ambiguous or malformed answer is never read as its first plausible part (review 2).

Two containers of one name (a file: exit 2; an AWS answer: exit 3), two PRIMARY
deployments (exit 3), and secret references that name nothing (DG108, exit 1).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from moto import mock_aws
from pydantic import ValidationError

from drift_gate.engine.gate import run_check
from drift_gate.engine.service_checks import CheckOptions
from drift_gate.errors import InvalidInputError
from drift_gate.model import ContainerVars, Deployment, ServiceState, TaskDefinitionSpec
from drift_gate.policy import load_policy
from drift_gate.sources.aws import AwsClients
from drift_gate.sources.containers import is_empty_reference, reference, reference_problem
from drift_gate.sources.plan import parse_plan
from tests.plans import change, container, plan, secret_arn, task_definition_values
from tests.unit.test_gate import create_service
from tests.unit.test_trust import (
    REGION,
    SERVICE_ARN,
    account,  # noqa: F401 - a fixture
    answering,
    links,
    policy_path,
    run,
)

TASK_DEFINITION_ARN = "arn:aws:ecs:us-east-1:123456789012:task-definition/api:1"
SSM = "arn:aws:ssm:us-east-1:123456789012:parameter"
SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret"


def offline(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, containers: list[dict[str, Any]]
) -> tuple[int, str, dict[str, Any]]:
    definition = tmp_path / "task-definition.json"
    definition.write_text(
        json.dumps(
            {
                "family": "api",
                "executionRoleArn": "arn:aws:iam::123456789012:role/x",
                "containerDefinitions": containers,
            },
            indent=2,
        )
    )
    report = tmp_path / "report.json"
    code, out, err = run(
        capsys,
        "check",
        "--offline",
        "--policy",
        str(policy_path(tmp_path)),
        "--task-definition",
        str(definition),
        "--format",
        "json",
        "--output",
        str(report),
    )
    document = json.loads(report.read_text()) if report.exists() else {}
    return code, out + err, document


def api(*secrets: tuple[str, str]) -> dict[str, Any]:
    return {
        "name": "api",
        "image": "app",
        "secrets": [{"name": name, "valueFrom": value} for name, value in secrets],
    }


# --- 1. Two containers of one name ------------------------------------------------------------


@pytest.mark.parametrize("full_first", [True, False])
def test_a_file_with_two_containers_of_one_name_is_exit_2_naming_both_paths(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, full_first: bool
) -> None:
    """The first `api` had every secret and passed (exit 0); reversed, it was drift."""
    full, bare = api(("TOKEN", "/app/TOKEN")), api()
    code, output, _ = offline(capsys, tmp_path, [full, bare] if full_first else [bare, full])
    assert code == 2, output
    definition = tmp_path / "task-definition.json"
    assert f"{definition}:" in output
    assert "containerDefinitions[1].name is the name of containerDefinitions[0]" in output


def test_a_plan_with_two_containers_of_one_name_is_refused_with_the_json_path() -> None:
    """The reviewer thought plans refused this already: they did not (the last of a name
    was compared, the first declared); now it is exit 2 with the path, never the name."""
    after = [container(secrets={"TOKEN": secret_arn("TOKEN")}), container()]
    entry = change(
        "aws_ecs_task_definition.api",
        "aws_ecs_task_definition",
        ["update"],
        task_definition_values("api", [container()]),
        task_definition_values("api", after),
    )
    with pytest.raises(InvalidInputError) as raised:
        parse_plan(plan("1.2", resource_changes=[entry]), "p")
    assert "container_definitions[1].name: the name of [0] again" in str(raised.value)
    assert "api" not in str(raised.value).split("container_definitions", 1)[1]


def test_a_describe_task_definition_answer_with_two_containers_of_one_name_is_exit_3(
    account: None,  # noqa: F811 - the fixture
    tmp_path: Path,
) -> None:
    body = {
        "taskDefinition": {
            "taskDefinitionArn": TASK_DEFINITION_ARN,
            "family": "api",
            "revision": 1,
            "status": "ACTIVE",
            "executionRoleArn": "arn:aws:iam::123456789012:role/x",
            "containerDefinitions": [
                api(("TOKEN", "/app/TOKEN")),
                api(),
            ],
        }
    }
    session = answering("DescribeTaskDefinition", body)
    report = run_check(
        load_policy(policy_path(tmp_path)), CheckOptions(), AwsClients(session=session)
    )
    assert report.exit_code == 3
    [finding] = report.findings
    assert finding.rule_id == "DG901"
    assert (
        "ecs:DescribeTaskDefinition answered without what drift-gate reads "
        "(taskDefinition.containerDefinitions[1].name: the name of containerDefinitions[0] "
        "again)"
    ) in finding.message


def test_the_models_refuse_two_containers_of_one_name_and_two_primaries() -> None:
    with pytest.raises(ValidationError, match="unique names"):
        TaskDefinitionSpec(
            arn=TASK_DEFINITION_ARN,
            family="api",
            revision=1,
            status="ACTIVE",
            containers=(ContainerVars(name="api"), ContainerVars(name="api")),
        )
    primary = Deployment(id="d", status="PRIMARY", task_definition_arn=TASK_DEFINITION_ARN)
    with pytest.raises(ValidationError, match="at most one PRIMARY"):
        ServiceState(
            cluster="c",
            name="api",
            arn=SERVICE_ARN,
            status="ACTIVE",
            deployment_controller="ECS",
            desired_count=1,
            running_count=1,
            deployments=(primary, primary.model_copy(update={"id": "e"})),
        )


# --- 2. Two PRIMARY deployments -------------------------------------------------------------


def service_answer(**fields: Any) -> dict[str, Any]:
    return {
        "services": [
            {
                "serviceName": "api",
                "serviceArn": SERVICE_ARN,
                "status": "ACTIVE",
                "desiredCount": 1,
                "runningCount": 1,
                **fields,
            }
        ],
        "failures": [],
    }


def deployment(status: str, identifier: str) -> dict[str, Any]:
    return {
        "id": identifier,
        "status": status,
        "taskDefinition": TASK_DEFINITION_ARN,
        "rolloutState": "COMPLETED",
        "desiredCount": 1,
        "runningCount": 1,
    }


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        (
            {"deployments": [deployment("PRIMARY", "a"), deployment("PRIMARY", "b")]},
            "(services[0].deployments: 2 PRIMARY; a service has one)",
        ),
        (
            {
                "deploymentController": {"type": "CODE_DEPLOY"},
                "taskSets": [
                    {"id": i, "status": "PRIMARY", "taskDefinition": TASK_DEFINITION_ARN}
                    for i in ("a", "b")
                ],
            },
            "(services[0].taskSets: 2 PRIMARY; a service has one)",
        ),
        # None while there are deployments: already could not verify; kept so.
        ({"deployments": [deployment("ACTIVE", "a")]}, "PRIMARY"),
    ],
)
def test_a_service_answered_with_other_than_one_primary_is_exit_3(
    account: None,  # noqa: F811 - the fixture
    tmp_path: Path,
    fields: dict[str, Any],
    words: str,
) -> None:
    """Two PRIMARY deployments: the first was used, PASS with a DG203 warning."""
    session = answering("DescribeServices", service_answer(**fields))
    report = run_check(
        load_policy(policy_path(tmp_path)), CheckOptions(), AwsClients(session=session)
    )
    assert report.exit_code == 3
    assert [f.rule_id for f in report.findings] == ["DG901"]
    assert words in report.findings[0].message


# --- 4. Secret references that name nothing ---------------------------------------------------


NAMES_NOTHING = [
    (f"{SSM}/", "no parameter name"),
    (f"{SSM}/\u200b", "no parameter name"),
    (f"{SECRET}:", "no secret name"),
    (f"{SECRET}:\u200b", "no secret name"),
    (f"  {SSM}/app/TOKEN", "white space or an invisible character before or after it"),
    (f"{SSM}/app/TOKEN ", "white space or an invisible character before or after it"),
    ("\u200b/app/TOKEN", "white space or an invisible character before or after it"),
    (f"{SECRET}:name-AbCdEf:\u200b::", "a json-key that shows nothing"),
    (f"{SECRET}:name-AbCdEf:key: :", "a version-stage that shows nothing"),
    (f"{SECRET}:name-AbCdEf:key::\ufeff", "a version-id that shows nothing"),
    ("/", "no parameter name"),
]
NAMES_SOMETHING = [
    f"{SSM}/app/TOKEN",
    f"{SSM}/TOKEN",
    "/app/TOKEN",
    "TOKEN",
    f"{SECRET}:name-AbCdEf",
    f"{SECRET}:name-AbCdEf:key::",
    f"{SECRET}:name-AbCdEf::AWSCURRENT:",
    f"{SECRET}:name-AbCdEf:key:AWSPREVIOUS:0123-abcd",
    "${TOKEN_ARN}",
]


@pytest.mark.parametrize(("value_from", "problem"), NAMES_NOTHING)
def test_a_reference_that_names_nothing(value_from: str, problem: str) -> None:
    assert reference_problem(value_from) == problem
    assert is_empty_reference(value_from)
    assert reference(value_from) == value_from  # kept as written: it has a visible character


@pytest.mark.parametrize("value_from", NAMES_SOMETHING)
def test_a_reference_that_names_something(value_from: str) -> None:
    assert reference_problem(value_from) is None
    assert not is_empty_reference(value_from)


@pytest.mark.parametrize(("value_from", "problem"), NAMES_NOTHING)
def test_an_offline_file_whose_reference_names_nothing_is_dg108(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, value_from: str, problem: str
) -> None:
    """These passed (exit 0): only a valueFrom without any visible character was empty."""
    code, output, report = offline(capsys, tmp_path, [api(("TOKEN", value_from))])
    assert code == 1, output
    [finding] = report["findings"]
    assert (finding["rule_id"], finding["target"]["variable"]) == ("DG108", "TOKEN")
    assert (
        f"has a valueFrom that names nothing ({problem}): it reads no secret"
        in (finding["message"])
    )


@pytest.mark.parametrize(
    "value_from", [f"{SECRET}:name-AbCdEf:\u200b::", f"  {SSM}/app/TOKEN", f"{SSM}/"]
)
def test_a_live_reference_that_names_nothing_is_dg108_and_not_looked_up(
    tmp_path: Path, value_from: str
) -> None:
    """Live, a valueFrom ending in `:\\u200b::` passed; one with leading spaces is not trimmed
    by ECS: neither is looked up as if it named the secret."""
    from tests.roles import execution_role

    with mock_aws():
        clients = AwsClients()
        ecs = clients.client("ecs", REGION)
        ecs.create_cluster(clusterName="c")
        arn = ecs.register_task_definition(
            family="api",
            executionRoleArn=execution_role(clients.client("iam", REGION)),
            containerDefinitions=[
                {
                    "name": "api",
                    "image": "app",
                    "memory": 128,
                    "secrets": [{"name": "TOKEN", "valueFrom": value_from}],
                }
            ],
        )["taskDefinition"]["taskDefinitionArn"]
        create_service(ecs, task_definition=arn)
        report = run_check(load_policy(policy_path(tmp_path)), CheckOptions(), clients)
    assert report.exit_code == 1
    assert [(f.rule_id, f.target.variable) for f in report.findings] == [("DG108", "TOKEN")]
    assert links(report)["secrets exist"] == (
        links(report)["secrets exist"][0],
        "nothing to look up for TOKEN of container api: the valueFrom names nothing (DG108)",
    )
