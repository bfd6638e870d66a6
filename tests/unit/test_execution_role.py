"""The execution-role link: may the task execution role read (and decrypt) each secret?

moto has no IAM policy simulator, so here IAM is botocore's Stubber, with each request's
exact parameters asserted; ECS, Secrets Manager, SSM and KMS are moto in-process. The
end-to-end incident variant (moto server, the installed CLI) is in tests/e2e.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from drift_gate import _moto_compat
from drift_gate.engine import service_checks
from drift_gate.engine.gate import run_check
from drift_gate.engine.service_checks import CheckOptions
from drift_gate.model import LinkState, Report
from drift_gate.policy import load_policy
from drift_gate.sources.aws import AwsClients
from drift_gate.sources.execution_role import RoleSimulator

REGION = "us-east-1"
ROLE = "arn:aws:iam::123456789012:role/api-execution"
LINK = "the execution role can read each secret"
POLICY = """\
version: 1
environments:
  dev:
    region: us-east-1
{checks}    services:
      - cluster: c
        service: api
        containers:
          api:
            secrets: [HF_TOKEN, DB_URL]
"""


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # The Stubber answers in the order queued; the simulator's questions (reads, then keys)
    # would otherwise race in its pool. One worker asks them in that order.
    monkeypatch.setattr(
        service_checks, "RoleSimulator", lambda clients, workers=8: RoleSimulator(clients, 1)
    )
    with mock_aws():
        yield


def policy(tmp_path: Path, checks: str = "") -> Path:
    path = tmp_path / "policy.yaml"
    path.write_text(POLICY.format(checks=f"    checks: {checks}\n" if checks else ""))
    return path


def service(
    role: str | None = ROLE, hf_key: str | None = None, db: str = "secret"
) -> dict[str, str]:
    """The service, its two secrets (HF_TOKEN's under `hf_key`; DB_URL a secret or an SSM
    parameter), the task definition with `role`; the secrets' ARNs by name."""
    secrets = boto3.client("secretsmanager", region_name=REGION)
    extra = {"KmsKeyId": hf_key} if hf_key else {}
    arns = {"HF_TOKEN": secrets.create_secret(Name="api/hf", SecretString="v", **extra)["ARN"]}
    if db == "secret":
        arns["DB_URL"] = secrets.create_secret(Name="api/db", SecretString="v")["ARN"]
    else:
        boto3.client("ssm", region_name=REGION).put_parameter(
            Name="/api/db", Value="v", Type="SecureString"
        )
        arns["DB_URL"] = "/api/db"
    ecs = boto3.client("ecs", region_name=REGION)
    ecs.create_cluster(clusterName="c")
    container = {
        "name": "api",
        "image": "app",
        "memory": 128,
        "secrets": [{"name": name, "valueFrom": arn} for name, arn in arns.items()],
    }
    task = ecs.register_task_definition(
        family="api",
        containerDefinitions=[container],
        **({"executionRoleArn": role} if role else {}),
    )["taskDefinition"]["taskDefinitionArn"]
    ecs.create_service(cluster="c", serviceName="api", taskDefinition=task, desiredCount=1)
    _moto_compat.settle("c", "api", REGION)
    return arns


class StubbedIam:
    """A boto3 session whose IAM client is stubbed; every other client is moto's."""

    def __init__(self) -> None:
        self._session = boto3.session.Session()
        self.iam = self._session.client("iam", region_name=REGION)
        self.stub = Stubber(self.iam)

    def client(self, service: str, **arguments: Any) -> Any:
        return self.iam if service == "iam" else self._session.client(service, **arguments)


def check(path: Path, iam: StubbedIam, **options: Any) -> Report:
    with iam.stub:
        report = run_check(load_policy(path), CheckOptions(**options), AwsClients(session=iam))
        iam.stub.assert_no_pending_responses()
    return report


def simulated(
    action: str, decisions: dict[str, str], missing: tuple[str, ...] = ()
) -> dict[str, Any]:
    """IAM's answer since 2025: one result per action, a decision per resource."""
    worst = next(
        (d for d in ("explicitDeny", "implicitDeny") if d in decisions.values()), "allowed"
    )
    return {
        "EvaluationResults": [
            {
                "EvalActionName": action,
                "EvalResourceName": "*",
                "EvalDecision": worst,
                "ResourceSpecificResults": [
                    {
                        "EvalResourceName": resource,
                        "EvalResourceDecision": decision,
                        "MissingContextValues": list(missing),
                    }
                    for resource, decision in decisions.items()
                ],
            }
        ],
        "IsTruncated": False,
    }


def asked(action: str, resources: list[str], via: str | None = None) -> dict[str, Any]:
    """The exact request: the role, one action, the resources (and kms:ViaService)."""
    request: dict[str, Any] = {
        "PolicySourceArn": ROLE,
        "ActionNames": [action],
        "ResourceArns": resources,
    }
    if via:
        request["ContextEntries"] = [
            {
                "ContextKeyName": "kms:ViaService",
                "ContextKeyValues": [via],
                "ContextKeyType": "string",
            }
        ]
    return request


def answers(
    iam: StubbedIam, action: str, decisions: dict[str, str], via: str | None = None
) -> None:
    """Queue IAM's answer to the exact question about these resources."""
    iam.stub.add_response(
        "simulate_principal_policy", simulated(action, decisions), asked(action, [*decisions], via)
    )


def refuses(iam: StubbedIam, code: str, status: int, resources: list[str]) -> None:
    """Queue IAM refusing the question about these secrets' reads."""
    iam.stub.add_client_error(
        "simulate_principal_policy",
        code,
        http_status_code=status,
        expected_params=asked(READ, resources),
    )


VIA_SECRETS_MANAGER = f"secretsmanager.{REGION}.amazonaws.com"


def role_link(report: Report) -> tuple[LinkState, str | None]:
    link = next(link for link in report.services[0].links if link.link == LINK)
    return link.state, link.reason


def rules(report: Report) -> list[tuple[str, str | None]]:
    return sorted((f.rule_id, f.target.variable) for f in report.findings)


READ = "secretsmanager:GetSecretValue"


def test_allowed_passes_with_one_exact_call_for_both_secrets(aws: None, tmp_path: Path) -> None:
    arns = service()
    iam = StubbedIam()
    both = [arns["HF_TOKEN"], arns["DB_URL"]]
    answers(iam, READ, dict.fromkeys(both, "allowed"))

    report = check(policy(tmp_path), iam)

    assert report.exit_code == 0
    assert report.findings == ()
    assert role_link(report) == (LinkState.PASSED, None)
    # Exactly one call: the Stubber had one answer and fails on any other request.


def test_a_denied_secret_fails_naming_the_role_the_action_and_the_secret(
    aws: None, tmp_path: Path
) -> None:
    arns = service()
    iam = StubbedIam()
    both = [arns["HF_TOKEN"], arns["DB_URL"]]
    answer = simulated(READ, {arns["HF_TOKEN"]: "implicitDeny", arns["DB_URL"]: "allowed"})
    iam.stub.add_response("simulate_principal_policy", answer, asked(READ, both))

    report = check(policy(tmp_path), iam)

    assert report.exit_code == 1
    (finding,) = report.findings
    assert (finding.rule_id, finding.target.container, finding.target.variable) == (
        "DG308",
        "api",
        "HF_TOKEN",
    )
    assert finding.message == (
        f"execution role {ROLE} may not secretsmanager:GetSecretValue on secret HF_TOKEN of "
        f"container api ({arns['HF_TOKEN']}): no policy of the role allows it (implicit deny)"
    )
    assert arns["HF_TOKEN"] in finding.remediation
    assert finding.declared_in == f"{tmp_path / 'policy.yaml'}:10"
    assert role_link(report) == (LinkState.FAILED, None)


def test_the_answer_of_one_result_per_resource_is_read_too(aws: None, tmp_path: Path) -> None:
    """Before 2025 the simulator answered each resource in its own result."""
    arns = service()
    iam = StubbedIam()
    both = [arns["HF_TOKEN"], arns["DB_URL"]]
    answer = {
        "EvaluationResults": [
            {
                "EvalActionName": READ,
                "EvalResourceName": arns["HF_TOKEN"],
                "EvalDecision": "allowed",
            },
            {
                "EvalActionName": READ,
                "EvalResourceName": arns["DB_URL"],
                "EvalDecision": "explicitDeny",
            },
        ],
        "IsTruncated": False,
    }
    iam.stub.add_response("simulate_principal_policy", answer, asked(READ, both))

    report = check(policy(tmp_path), iam)

    assert rules(report) == [("DG308", "DB_URL")]
    assert report.findings[0].message.endswith(
        "a Deny statement in its policies, its permissions boundary or an SCP blocks it"
    )


def test_a_customer_managed_key_is_asked_for_kms_decrypt_via_secrets_manager(
    aws: None, tmp_path: Path
) -> None:
    key_id = boto3.client("kms", region_name=REGION).create_key()["KeyMetadata"]["KeyId"]
    key_arn = f"arn:aws:kms:{REGION}:123456789012:key/{key_id}"
    arns = service(hf_key=key_id)
    iam = StubbedIam()
    both = [arns["HF_TOKEN"], arns["DB_URL"]]
    answers(iam, READ, dict.fromkeys(both, "allowed"))
    answers(iam, "kms:Decrypt", {key_arn: "implicitDeny"}, via=VIA_SECRETS_MANAGER)

    report = check(policy(tmp_path), iam)

    assert rules(report) == [("DG309", "HF_TOKEN")]
    assert report.findings[0].message == (
        f"execution role {ROLE} may not kms:Decrypt with key {key_arn}, which encrypts secret "
        "HF_TOKEN of container api (api/hf): no policy of the role allows it (implicit deny)"
    )
    assert report.exit_code == 1


def test_a_key_alias_is_resolved_to_its_key(aws: None, tmp_path: Path) -> None:
    kms = boto3.client("kms", region_name=REGION)
    key_arn = kms.create_key()["KeyMetadata"]["Arn"]
    kms.create_alias(AliasName="alias/api", TargetKeyId=key_arn)
    arns = service(hf_key="alias/api")
    iam = StubbedIam()
    both = [arns["HF_TOKEN"], arns["DB_URL"]]
    answers(iam, READ, dict.fromkeys(both, "allowed"))
    answers(iam, "kms:Decrypt", {key_arn: "allowed"}, via=VIA_SECRETS_MANAGER)

    report = check(policy(tmp_path), iam)

    assert report.findings == ()
    assert report.stats.aws_calls["kms:DescribeKey"] == 1


def test_an_ssm_parameter_is_asked_for_ssm_get_parameters_on_its_arn(
    aws: None, tmp_path: Path
) -> None:
    arns = service(db="ssm")
    iam = StubbedIam()
    iam.stub.add_response(
        "simulate_principal_policy",
        simulated(READ, {arns["HF_TOKEN"]: "allowed"}),
        asked(READ, [arns["HF_TOKEN"]]),
    )
    parameter = f"arn:aws:ssm:{REGION}:123456789012:parameter/api/db"
    iam.stub.add_response(
        "simulate_principal_policy",
        simulated("ssm:GetParameters", {parameter: "implicitDeny"}),
        asked("ssm:GetParameters", [parameter]),
    )

    report = check(policy(tmp_path), iam)

    # SecureString under the AWS managed key (alias/aws/ssm): no kms:Decrypt question.
    assert rules(report) == [("DG308", "DB_URL")]
    assert "ssm:GetParameters" in report.findings[0].message


def test_a_simulator_access_denied_is_a_warning_when_best_effort_and_exit_3_when_required(
    aws: None, tmp_path: Path
) -> None:
    arns = service()
    both = [arns["HF_TOKEN"], arns["DB_URL"]]
    iam = StubbedIam()
    refuses(iam, "AccessDenied", 403, both)

    report = check(policy(tmp_path), iam)

    assert report.exit_code == 0
    assert rules(report) == [("DG310", "DB_URL"), ("DG310", "HF_TOKEN")]
    state, reason = role_link(report)
    assert state is LinkState.NOT_CHECKED
    assert reason == (
        "the policy simulator could not answer (access denied to iam:SimulatePrincipalPolicy); "
        "the check is best-effort"
    )

    iam = StubbedIam()
    refuses(iam, "AccessDenied", 403, both)
    report = check(policy(tmp_path, "{execution_role: required}"), iam)

    assert report.exit_code == 3
    assert rules(report) == [("DG901", "DB_URL"), ("DG901", "HF_TOKEN")]
    assert "access denied to iam:SimulatePrincipalPolicy" in report.findings[0].message
    assert role_link(report)[0] is LinkState.COULD_NOT_VERIFY


def test_a_condition_on_a_key_not_given_is_undecided_not_passed(aws: None, tmp_path: Path) -> None:
    arns = service()
    both = [arns["HF_TOKEN"], arns["DB_URL"]]
    iam = StubbedIam()
    answer = simulated(READ, dict.fromkeys(both, "allowed"), missing=("aws:SourceVpc",))
    iam.stub.add_response("simulate_principal_policy", answer, asked(READ, both))

    report = check(policy(tmp_path), iam)

    assert rules(report) == [("DG310", "DB_URL"), ("DG310", "HF_TOKEN")]
    assert "condition keys the simulator was not given (aws:SourceVpc)" in (
        report.findings[0].message
    )
    assert role_link(report)[0] is LinkState.COULD_NOT_VERIFY


def test_a_role_that_does_not_exist(aws: None, tmp_path: Path) -> None:
    arns = service()
    both = [arns["HF_TOKEN"], arns["DB_URL"]]
    iam = StubbedIam()
    refuses(iam, "NoSuchEntity", 404, both)

    report = check(policy(tmp_path), iam)

    assert report.exit_code == 1
    assert rules(report) == [("DG311", None)]
    assert report.findings[0].message == (
        f"execution role {ROLE} does not exist: ECS cannot start the task"
    )


def test_secrets_without_an_execution_role_are_an_error_and_ask_nothing(
    aws: None, tmp_path: Path
) -> None:
    service(role=None)
    iam = StubbedIam()  # no response queued: a simulator call would fail the test

    report = check(policy(tmp_path), iam)

    assert report.exit_code == 1
    (finding,) = report.findings
    assert finding.rule_id == "DG307"
    assert finding.message.endswith(
        "references secrets (DB_URL, HF_TOKEN) but has no executionRoleArn: ECS cannot fetch "
        "them, so its tasks cannot start"
    )


def test_with_secret_checks_off_a_missing_role_is_still_told(aws: None, tmp_path: Path) -> None:
    """The secret stores' answers are needed for the simulator's questions, not for this."""
    service(role=None)

    report = check(policy(tmp_path), StubbedIam(), secret_checks="off")

    assert rules(report) == [("DG307", None)]


def test_every_page_is_read(aws: None, tmp_path: Path) -> None:
    arns = service()
    both = [arns["HF_TOKEN"], arns["DB_URL"]]
    iam = StubbedIam()
    first = simulated(READ, {arns["HF_TOKEN"]: "allowed"})
    first.update(IsTruncated=True, Marker="page-2")
    iam.stub.add_response("simulate_principal_policy", first, asked(READ, both))
    iam.stub.add_response(
        "simulate_principal_policy",
        simulated(READ, {arns["DB_URL"]: "implicitDeny"}),
        {**asked(READ, both), "Marker": "page-2"},
    )

    report = check(policy(tmp_path), iam)

    assert rules(report) == [("DG308", "DB_URL")]


@pytest.mark.parametrize(
    ("answer", "words"),
    [
        ({"IsTruncated": False}, "answered without what drift-gate reads (EvaluationResults"),
        (
            {"EvaluationResults": [], "IsTruncated": True},
            "answered without what drift-gate reads",
        ),
        (
            {"EvaluationResults": [], "IsTruncated": False},
            "answered without a decision for it",
        ),
    ],
    ids=["no results", "truncated without a marker", "a resource left out"],
)
def test_an_answer_that_does_not_decide_is_never_a_pass(
    aws: None, tmp_path: Path, answer: dict[str, Any], words: str
) -> None:
    arns = service()
    iam = StubbedIam()
    iam.stub.add_response(
        "simulate_principal_policy", answer, asked(READ, [arns["HF_TOKEN"], arns["DB_URL"]])
    )

    report = check(policy(tmp_path, "{execution_role: required}"), iam)

    assert report.exit_code == 3
    assert {f.rule_id for f in report.findings} == {"DG901"}
    assert words in report.findings[0].message


@pytest.mark.parametrize(
    ("checks", "skipped", "reason"),
    [
        ("", frozenset({"execution-role"}), "--skip-link execution-role"),
        ("{execution_role: off}", frozenset(), "checks: execution_role: off in the policy"),
    ],
)
def test_switched_off_it_asks_nothing_and_says_why(
    aws: None, tmp_path: Path, checks: str, skipped: frozenset[str], reason: str
) -> None:
    service(role=None)  # even DG307 is the link's: off, it is not reported
    iam = StubbedIam()

    report = check(policy(tmp_path, checks), iam, skipped=skipped)

    assert report.findings == ()
    assert role_link(report) == (LinkState.NOT_CHECKED, reason)
    assert "iam:SimulatePrincipalPolicy" not in report.stats.aws_calls


def test_the_simulator_never_sees_a_secret_value(aws: None, tmp_path: Path) -> None:
    """It is asked about ARNs only: no value is read, so none can be sent."""
    arns = service()
    iam = StubbedIam()
    both = [arns["HF_TOKEN"], arns["DB_URL"]]
    answers(iam, READ, dict.fromkeys(both, "allowed"))
    sent: list[str] = []
    iam.iam.meta.events.register(
        "before-parameter-build.iam.*",
        lambda params, **_: sent.append(json.dumps(params, default=str)),
    )

    check(policy(tmp_path), iam)

    assert len(sent) == 1
    assert '"v"' not in sent[0]


def test_partition_and_account_come_from_the_first_full_arn() -> None:
    """ECS may answer a task definition as `family:revision`: no crash, the role's ARN."""
    from drift_gate.engine.later.execution_role import arn_scope

    role = "arn:aws:iam::123456789012:role/x"
    assert arn_scope(REGION, "api:3", role) == ("aws", "123456789012")
    task = "arn:aws-cn:ecs:cn-north-1:111111111111:task-definition/api:3"
    assert arn_scope("cn-north-1", task, role) == ("aws-cn", "111111111111")
    assert arn_scope("cn-north-1", "api:3", "not-an-arn") == ("aws-cn", "")


def test_a_parameter_answer_that_does_not_name_its_key_is_never_a_pass() -> None:
    """SSM names the key of every SecureString: without it (or without the type) the
    decrypt question cannot be asked, and the link cannot pass."""
    from drift_gate.sources.answers import ParameterAnswer
    from drift_gate.sources.execution_role import KeyResolver
    from drift_gate.sources.secrets import parameter_status

    plain = parameter_status(ParameterAnswer(Name="/a", Type="String"))
    assert plain.kms_key is None  # no key at all: nothing to decrypt
    default = parameter_status(
        ParameterAnswer(Name="/a", Type="SecureString", KeyId="alias/aws/ssm")
    )
    assert default.kms_key == "alias/aws/ssm"
    for answer in (ParameterAnswer(Name="/a", Type="SecureString"), ParameterAnswer(Name="/a")):
        assert parameter_status(answer).kms_key == ""
    unknown = KeyResolver(AwsClients()).key_arn("", REGION, "123456789012", "aws")
    assert unknown.arn is None
    assert unknown.detail == "the secret store did not say which KMS key encrypts it"
