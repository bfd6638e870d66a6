"""`iam-policy --lambda-hook` under moto's IAM enforcement: the function role it prints
allows every call the hook makes (reading its policy from S3 included) and, with --events,
every call of the re-check on events (publishing included), and nothing reads a value. The same setup as the check's test in test_distribution.py."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from drift_gate import _moto_compat
from drift_gate.demo import CLUSTER, REGION, SECRET_NAMES, SERVICE, IncidentAccount
from tests.conftest import REPO, Cli, MotoServer
from tests.e2e.test_distribution import enforced, reset_auth  # noqa: F401
from tests.github_fake import TOKEN, FakeGitHub, serve
from tests.unit.test_lifecycle_hook import payload
from tests.unit.test_on_event import deployment_event

BUCKET, KEY = "hook-policies", "drift-gate.yaml"


def _incident_with_image_and_key(server: MotoServer) -> tuple[IncidentAccount, str]:
    """The fixed revision deploying, with an ECR image and a secret under a key by alias:
    every link the hook runs (images, secrets, the execution role, kms:DescribeKey)."""
    account = IncidentAccount.create(server.client)
    _moto_compat.settle(CLUSTER, SERVICE, REGION)
    ecr = server.client("ecr")
    ecr.create_repository(repositoryName="hokusai/api")
    manifest = (
        '{"schemaVersion": 2, "mediaType": '
        '"application/vnd.docker.distribution.manifest.v2+json", "layers": []}'
    )
    ecr.put_image(repositoryName="hokusai/api", imageManifest=manifest, imageTag="v7")
    kms = server.client("kms")
    key_arn = kms.create_key()["KeyMetadata"]["Arn"]
    kms.create_alias(AliasName="alias/hokusai", TargetKeyId=key_arn)
    server.client("secretsmanager").update_secret(
        SecretId=account.secret_arns["HUGGINGFACE_API_KEY"], KmsKeyId="alias/hokusai"
    )
    account.allow_secrets(list(account.secret_arns.values()), keys=(key_arn,))
    image = f"123456789012.dkr.ecr.{REGION}.amazonaws.com/hokusai/api:v7"
    revision = account.start_deployment(account.register_revision(list(SECRET_NAMES), image=image))
    return account, revision


def _revisions_widened_for_moto(role: dict[str, Any]) -> dict[str, Any]:
    """moto authorises ECS calls against "*" (it computes no service or revision ARN): the
    DescribeServiceRevisions statement, checked to name only the policy's service and its
    revisions, is widened for moto."""
    for statement in role["Statement"]:
        if statement["Action"] == ["ecs:DescribeServiceRevisions"]:
            assert statement["Resource"] == [
                f"arn:aws:ecs:{REGION}:*:service-revision/{CLUSTER}/{SERVICE}/*",
                f"arn:aws:ecs:{REGION}:*:service/{CLUSTER}/{SERVICE}",
            ]
            statement["Resource"] = "*"
    return role


def _user_with(server: MotoServer, document: dict[str, Any], name: str) -> dict[str, str]:
    iam = server.client("iam")
    iam.create_user(UserName=name)
    arn = iam.create_policy(PolicyName=name, PolicyDocument=json.dumps(document))["Policy"]["Arn"]
    iam.attach_user_policy(UserName=name, PolicyArn=arn)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return {
        "AWS_ACCESS_KEY_ID": key["AccessKeyId"],
        "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"],
    }


def _without(document: dict[str, Any], action: str) -> dict[str, Any]:
    copy: dict[str, Any] = json.loads(json.dumps(document))
    for statement in copy["Statement"]:
        statement["Action"] = [a for a in statement["Action"] if a != action]
    copy["Statement"] = [s for s in copy["Statement"] if s["Action"]]
    return copy


@pytest.mark.e2e
def test_the_hook_role_allows_every_call_the_hook_makes(
    enforced: MotoServer,  # noqa: F811
    cli_on_moto: Cli,
    tmp_path: Path,
) -> None:
    _, revision = _incident_with_image_and_key(enforced)
    policy = REPO / "policies" / "example.yaml"
    s3 = enforced.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    s3.put_object(Bucket=BUCKET, Key=KEY, Body=policy.read_bytes())
    url = f"s3://{BUCKET}/{KEY}"
    printed = cli_on_moto.run(
        "iam-policy", "--policy", str(policy), "--lambda-hook", "--policy-object", url
    )
    assert printed.exit_code == 0, printed.stderr
    role = _revisions_widened_for_moto(json.loads(printed.stdout)["FunctionRolePolicy"])
    # moto authorises IAM calls against "*" (no role ARN computed): that one Resource is
    # widened for moto, as in test_distribution.py; S3's object ARN is kept as printed.
    for statement in role["Statement"]:
        if "iam:SimulatePrincipalPolicy" in statement["Action"]:
            assert statement["Resource"] == "arn:aws:iam::*:role/*"
            statement["Resource"] = "*"
    allowed = _user_with(enforced, role, "drift-gate-hook")
    no_revisions = _user_with(
        enforced, _without(role, "ecs:DescribeServiceRevisions"), "hook-without-revisions"
    )
    no_object = _user_with(enforced, _without(role, "s3:GetObject"), "hook-without-object")
    (tmp_path / "event.json").write_text(json.dumps(payload(revision)))
    reset_auth(enforced, "0")  # from here on, every request is authorised against IAM

    def hook(credentials: dict[str, str]) -> tuple[int, dict[str, Any]]:
        result = cli_on_moto.run(
            "lifecycle-hook", "--event", "event.json", "--policy", url, extra_env=credentials
        )
        return result.exit_code, json.loads(result.stdout)

    code, answer = hook(allowed)
    assert (code, answer["hookStatus"]) == (0, "SUCCEEDED"), answer
    # moto enforces the actions the hook needs: without them, nothing is verified.
    code, answer = hook(no_revisions)
    assert (code, answer["hookStatus"]) == (3, "FAILED")
    assert "ecs:DescribeServiceRevisions" in answer["hookDetails"]["summary"]
    code, answer = hook(no_object)
    assert (code, answer["hookStatus"]) == (3, "FAILED")
    assert "access denied to s3:GetObject" in answer["hookDetails"]["summary"]


@pytest.mark.e2e
@pytest.mark.parametrize("running_tasks", [True, False])
def test_the_events_role_allows_every_call_the_recheck_makes(
    enforced: MotoServer,  # noqa: F811
    cli_on_moto: Cli,
    tmp_path: Path,
    running_tasks: bool,
) -> None:
    """`on-event` as the function runs it (its environment: the repository and the token's
    secret) with exactly the role `iam-policy --lambda-hook --events` prints: the incident's
    deployment event opens the issue; without GetSecretValue on the token, nothing is
    published and the run is could not verify."""
    account = IncidentAccount.create(enforced.client)
    _moto_compat.settle(CLUSTER, SERVICE, REGION)
    token_arn = enforced.client("secretsmanager").create_secret(
        Name="drift-gate/github-token", SecretString=TOKEN
    )["ARN"]
    policy = str(REPO / "policies" / "example.yaml")
    if not running_tasks:  # check still reads the family's latest revision (ListTaskDefinitions)
        switched = (
            (REPO / "policies" / "example.yaml")
            .read_text()
            .replace(
                "    region: us-east-1\n",
                "    region: us-east-1\n    checks: {running_tasks: false}\n",
            )
        )
        policy = str(tmp_path / "running-tasks-off.yaml")
        Path(policy).write_text(switched)
    printed = cli_on_moto.run(
        "iam-policy", "--policy", policy, "--lambda-hook", "--events",
        "--github-token-secret", token_arn, "--publish-metrics", "DriftGate",
    )  # fmt: skip
    assert printed.exit_code == 0, printed.stderr
    role = _revisions_widened_for_moto(json.loads(printed.stdout)["FunctionRolePolicy"])
    for statement in role["Statement"]:
        # moto authorises every call but S3's against the resource "*" (no ARN computed):
        # the resources it cannot compare are checked as printed, then widened for moto.
        if "iam:SimulatePrincipalPolicy" in statement["Action"]:
            statement["Resource"] = "*"
        if "secretsmanager:GetSecretValue" in statement["Action"]:
            assert statement == {
                "Sid": "DriftGateGitHubTokenOnly",
                "Effect": "Allow",
                "Action": ["secretsmanager:GetSecretValue"],
                "Resource": token_arn,
            }
            statement["Resource"] = "*"
        if "cloudwatch:PutMetricData" in statement["Action"]:
            # moto names the action by the signing name (monitoring:PutMetricData) and passes
            # no condition key but sts:ExternalId: the statement, checked as printed, is
            # rewritten for moto.
            namespace = {"StringEquals": {"cloudwatch:namespace": "DriftGate"}}
            assert statement.pop("Condition") == namespace
            statement["Action"] = ["monitoring:PutMetricData"]
    allowed = _user_with(enforced, role, "drift-gate-recheck")
    no_token = _user_with(
        enforced, _without(role, "secretsmanager:GetSecretValue"), "recheck-without-token"
    )
    described = account.ecs.describe_services(cluster=CLUSTER, services=[SERVICE])
    event = deployment_event(str(described["services"][0]["deployments"][0]["id"]))
    (tmp_path / "event.json").write_text(json.dumps(event))
    reset_auth(enforced, "0")  # from here on, every request is authorised against IAM

    def recheck(credentials: dict[str, str], github: FakeGitHub) -> tuple[int, dict[str, Any]]:
        function = {
            "DRIFT_GATE_GITHUB_REPOSITORY": "octo/infra",
            "DRIFT_GATE_GITHUB_TOKEN_SECRET": token_arn,
            "DRIFT_GATE_METRICS_NAMESPACE": "DriftGate",
            "GITHUB_API_URL": github.url,
        }
        result = cli_on_moto.run(
            "on-event", "--event", "event.json", "--policy", policy,
            extra_env={**credentials, **function},
        )  # fmt: skip
        assert TOKEN not in result.stdout + result.stderr
        return result.exit_code, json.loads(result.stdout)

    with serve(FakeGitHub()) as github:
        code, line = recheck(allowed, github)
        assert (code, line["verdict"]) == (1, "drift"), json.dumps(line)
        assert "published" not in line, line
        assert [issue["state"] for issue in github.issues.values()] == ["open"]
    with serve(FakeGitHub()) as github:
        code, line = recheck(no_token, github)
        assert (code, line["verdict"]) == (3, "drift"), line
        assert "GitHub token was not read" in line["published"]
        assert github.requests == [], "nothing published"
