"""The links around the chain: ECR images exist (moto), the service's tasks (a fake client:
moto 5.2 cannot start a FARGATE task with awsvpc networking, its ENI model lacks
private_dns_name, nor build an EC2 instance identity document for an EC2 task)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from botocore.stub import Stubber

from drift_gate import _moto_compat
from drift_gate.checks.findings import ServiceContext
from drift_gate.checks.tasks import check_tasks
from drift_gate.demo import CLUSTER, REGION, SERVICE, IncidentAccount
from drift_gate.images import parse_image
from drift_gate.model import Deployment, ServiceState, Target
from drift_gate.sources.answers import TaskAnswer
from drift_gate.sources.aws import AwsClients, AwsSettings
from drift_gate.sources.images import ImageStores
from drift_gate.sources.tasks import service_tasks
from tests.conftest import REPO, Cli, MotoServer

pytestmark = pytest.mark.e2e

POLICY = REPO / "policies" / "example.yaml"
REGISTRY = f"123456789012.dkr.ecr.{REGION}.amazonaws.com"
MANIFEST = json.dumps(
    {
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {
            "mediaType": "application/vnd.docker.container.image.v1+json",
            "size": 1,
            "digest": "sha256:" + "a" * 64,
        },
        "layers": [],
    }
)


def deployed_with_image(moto_server: MotoServer, image: str, *, push: str | None) -> None:
    """The incident's service, fixed (every secret), running `image`; `push` is the tag in ECR."""
    ecr = moto_server.client("ecr")
    ecr.create_repository(repositoryName="hokusai/api")
    if push:
        ecr.put_image(repositoryName="hokusai/api", imageManifest=MANIFEST, imageTag=push)
    account = IncidentAccount.create(moto_server.client)
    _moto_compat.settle(CLUSTER, SERVICE, REGION)
    names = ["DATABASE_HOST", "MLFLOW_SERVER_URL", "HUGGINGFACE_API_KEY"]
    account.redeploy(account.register_revision(names, image=image))


def check_json(cli: Cli, tmp_path: Path, *extra: str) -> tuple[int, dict[str, Any]]:
    path = tmp_path / "r.json"
    result = cli.run(
        "check", "--policy", str(POLICY), "--format", "json", "--output", str(path), *extra
    )
    return result.exit_code, json.loads(path.read_text())


def link(report: dict[str, Any], words: str) -> dict[str, Any]:
    return next(item for item in report["services"][0]["links"] if item["link"] == words)


def test_an_ecr_image_that_exists_passes_the_link(
    cli_on_moto: Cli, moto_server: MotoServer, tmp_path: Path
) -> None:
    deployed_with_image(moto_server, f"{REGISTRY}/hokusai/api:v7", push="v7")
    code, report = check_json(cli_on_moto, tmp_path)
    assert code == 0
    assert link(report, "images exist") == {
        "link": "images exist",
        "state": "passed",
        "reason": None,
    }
    assert report["stats"]["aws_calls"]["ecr:DescribeImages"] == 1


def test_a_tag_not_in_the_repository_fails_naming_the_image(
    cli_on_moto: Cli, moto_server: MotoServer, tmp_path: Path
) -> None:
    deployed_with_image(moto_server, f"{REGISTRY}/hokusai/api:v8", push="v7")
    code, report = check_json(cli_on_moto, tmp_path)
    assert code == 1
    (finding,) = report["findings"]
    assert finding["rule_id"] == "DG209"
    assert finding["message"] == (
        f"image {REGISTRY}/hokusai/api:v8 of container api: ECR repository hokusai/api has no "
        "image :v8"
    )
    assert link(report, "images exist")["state"] == "failed"


def test_a_repository_that_does_not_exist(
    cli_on_moto: Cli, moto_server: MotoServer, tmp_path: Path
) -> None:
    deployed_with_image(moto_server, f"{REGISTRY}/hokusai/gone:v1", push=None)
    code, report = check_json(cli_on_moto, tmp_path)
    assert code == 1
    assert "repository hokusai/gone does not exist" in report["findings"][0]["message"]


def test_skip_link_leaves_it_not_checked_and_costs_no_call(
    cli_on_moto: Cli, moto_server: MotoServer, tmp_path: Path
) -> None:
    deployed_with_image(moto_server, f"{REGISTRY}/hokusai/api:v8", push="v7")
    code, report = check_json(
        cli_on_moto, tmp_path, "--skip-link", "images", "--skip-link", "running-tasks"
    )
    assert code == 0
    assert link(report, "images exist") == {
        "link": "images exist",
        "state": "not-checked",
        "reason": "--skip-link images",
    }
    assert link(report, "running tasks run the PRIMARY revision")["reason"] == (
        "--skip-link running-tasks"
    )
    assert "ecr:DescribeImages" not in report["stats"]["aws_calls"]
    assert "ecs:ListTasks" not in report["stats"]["aws_calls"]


def test_a_scan_checks_them_only_with_deep(
    cli_on_moto: Cli, moto_server: MotoServer, tmp_path: Path
) -> None:
    deployed_with_image(moto_server, f"{REGISTRY}/hokusai/api:v8", push="v7")
    path = tmp_path / "scan.json"
    plain = cli_on_moto.run("scan", "--region", REGION, "--format", "json", "--output", str(path))
    report = json.loads(path.read_text())
    assert plain.exit_code == 0
    off = "off by default in a scan (--deep turns it on)"
    assert link(report, "images exist")["reason"] == off
    assert link(report, "the execution role can read each secret")["reason"] == off
    assert "iam:SimulatePrincipalPolicy" not in report["stats"]["aws_calls"]
    deep = cli_on_moto.run(
        "scan", "--region", REGION, "--deep", "--format", "json", "--output", str(path)
    )
    assert deep.exit_code == 1
    report = json.loads(path.read_text())
    assert [f["rule_id"] for f in report["findings"]] == ["DG209"]
    assert link(report, "the execution role can read each secret")["state"] == "passed"
    assert report["stats"]["aws_calls"]["iam:SimulatePrincipalPolicy"] == 1


def test_scan_skip_link_with_deep_leaves_it_not_checked_and_asks_no_ecr(
    cli_on_moto: Cli, moto_server: MotoServer, tmp_path: Path
) -> None:
    deployed_with_image(moto_server, f"{REGISTRY}/hokusai/api:v8", push="v7")  # DG209 if asked
    path = tmp_path / "scan.json"
    result = cli_on_moto.run(
        *("scan", "--region", REGION, "--deep", "--skip-link", "images", "--quiet"),
        *("--format", "json", "--output", str(path)),
    )
    report = json.loads(path.read_text())
    assert result.exit_code == 0, result.stderr
    assert report["findings"] == []
    assert link(report, "images exist") == {
        "link": "images exist",
        "state": "not-checked",
        "reason": "--skip-link images",
    }
    assert "ecr:DescribeImages" not in report["stats"]["aws_calls"]
    # The other links --deep turns on still run.
    assert link(report, "the execution role can read each secret")["state"] == "passed"
    assert report["stats"]["aws_calls"]["iam:SimulatePrincipalPolicy"] == 1


def test_images_elsewhere_are_not_checked_never_passed() -> None:
    assert parse_image("nginx:1.27") is None
    assert parse_image("public.ecr.aws/docker/library/nginx:1.27") is None
    image = parse_image(f"{REGISTRY}/team/api@sha256:{'c' * 64}")
    assert image is not None
    assert (image.repository, image.tag, image.wanted) == ("team/api", None, f"@sha256:{'c' * 64}")


def test_an_ecr_that_cannot_be_asked_is_could_not_verify(moto_server: MotoServer) -> None:
    clients = AwsClients(AwsSettings(max_attempts=1))
    ecr = clients.client("ecr", REGION)
    image = parse_image(f"{REGISTRY}/hokusai/api:v7")
    assert image is not None
    with Stubber(ecr) as stub:
        stub.add_client_error(
            "describe_images", service_error_code="AccessDeniedException", http_status_code=400
        )
        (status,) = ImageStores(clients).check([image]).values()
    assert status.status == "unverified"
    assert status.detail == "access denied to ecr:DescribeImages"


# --- tasks ---------------------------------------------------------------------------------

NOW = datetime(2026, 11, 29, 4, 0, tzinfo=timezone.utc)
PRIMARY_TD = "arn:aws:ecs:us-east-1:123456789012:task-definition/api:8"
OLD_TD = "arn:aws:ecs:us-east-1:123456789012:task-definition/api:7"
STRAY_TD = "arn:aws:ecs:us-east-1:123456789012:task-definition/api:3"
SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret:hokusai/hf-AbCdEf"
PULL_FAILED = (
    "ResourceInitializationError: unable to pull secrets or registry auth: execution resource "
    "retrieval failed: unable to retrieve secret from asm: service call has been retried 1 "
    f"time(s): failed to fetch secret {SECRET} from secrets manager: AccessDeniedException: "
    "User: arn:aws:sts::123456789012:assumed-role/exec/x is not authorized"
)


def service(deployments: tuple[Deployment, ...]) -> ServiceState:
    return ServiceState(
        cluster="c",
        name="api",
        arn="arn:aws:ecs:us-east-1:123456789012:service/c/api",
        status="ACTIVE",
        deployment_controller="ECS",
        desired_count=2,
        running_count=2,
        deployments=deployments,
    )


PRIMARY = Deployment(
    id="ecs-svc/8",
    status="PRIMARY",
    task_definition_arn=PRIMARY_TD,
    created_at=NOW - timedelta(minutes=30),
)
DRAINING = Deployment(id="ecs-svc/7", status="ACTIVE", task_definition_arn=OLD_TD)


def task(definition: str, status: str = "RUNNING", **extra: Any) -> TaskAnswer:
    return TaskAnswer(
        taskArn=f"arn:aws:ecs:us-east-1:123456789012:task/c/{id(extra)}-{definition[-1]}",
        taskDefinitionArn=definition,
        lastStatus=status,
        group="service:api",
        **extra,
    )


def findings_of(
    tasks: list[TaskAnswer],
    deployments: tuple[Deployment, ...] = (PRIMARY,),
    window: datetime | None = None,
) -> list[tuple[str, str]]:
    context = ServiceContext(Target(environment="dev", cluster="c", service="api"))
    found = check_tasks(context, service(deployments), tasks, window)
    return [(f.rule_id, f.message) for f in found]


def test_healthy_tasks_and_a_draining_deployment_say_nothing() -> None:
    assert findings_of([task(PRIMARY_TD), task(OLD_TD)], (PRIMARY, DRAINING)) == []


def test_a_running_task_on_another_revision_is_dg210() -> None:
    ((rule, message),) = findings_of([task(PRIMARY_TD), task(STRAY_TD), task(STRAY_TD)])
    assert rule == "DG210"
    assert message.startswith(f"2 running task(s) run {STRAY_TD}, not the PRIMARY")


def test_tasks_that_could_not_pull_their_secrets_are_dg211_naming_the_secret_only() -> None:
    stopped = [
        task(PRIMARY_TD, "STOPPED", stoppedReason=PULL_FAILED, stoppedAt=NOW - timedelta(minutes=m))
        for m in (1, 2, 3)
    ]
    old = task(PRIMARY_TD, "STOPPED", stoppedReason=PULL_FAILED, stoppedAt=NOW - timedelta(hours=2))
    ((rule, message),) = findings_of([*stopped, old])
    assert rule == "DG211"
    assert message == (
        "3 task(s) of the PRIMARY deployment stopped because ECS could not fetch their "
        f"secrets: {SECRET}"
    )
    assert "assumed-role" not in message  # nothing else of the reason is repeated


def test_since_narrows_the_stopped_tasks_to_its_window_never_before_the_deployment() -> None:
    stopped = [
        task(PRIMARY_TD, "STOPPED", stoppedReason=PULL_FAILED, stoppedAt=NOW - timedelta(minutes=m))
        for m in (1, 12, 20)
    ]
    # --since 15m: the two of the last 15 minutes.
    ((_, message),) = findings_of(stopped, window=NOW - timedelta(minutes=15))
    assert message.startswith("2 task(s) of the PRIMARY deployment stopped")
    # --since 5m: only the last one.
    ((_, message),) = findings_of(stopped, window=NOW - timedelta(minutes=5))
    assert message.startswith("1 task(s)")
    # --since 2h reaches before the deployment started 30 minutes ago: its start still bounds.
    old = task(PRIMARY_TD, "STOPPED", stoppedReason=PULL_FAILED, stoppedAt=NOW - timedelta(hours=1))
    ((_, message),) = findings_of([*stopped, old], window=NOW - timedelta(hours=2))
    assert message.startswith("3 task(s)")
    # Nothing in the window: no finding.
    assert findings_of(stopped, window=NOW) == []


def test_since_reaches_the_tasks_link_from_the_command_line(
    cli_on_moto: Cli, moto_server: MotoServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """moto cannot run tasks: the tasks are ECS's answer, given; the rest is the real check."""
    from moto.ecs.models import ecs_backends

    deployed_with_image(moto_server, "hokusai/api:latest", push=None)
    now = datetime.now(timezone.utc)
    # The deployment started an hour ago (the server runs in this process).
    state = ecs_backends["123456789012"][REGION].services[f"{CLUSTER}:{SERVICE}"]
    state.deployments[0]["createdAt"] = now - timedelta(hours=1)
    reads = ("arn:aws:ecs:us-east-1:123456789012:task-definition/hokusai-api-development:2",)

    def tasks(*_: Any) -> list[TaskAnswer]:
        return [
            task(
                reads[0], "STOPPED", stoppedReason=PULL_FAILED, stoppedAt=now - timedelta(minutes=m)
            )
            for m in (1, 20)
        ]

    monkeypatch.setattr("drift_gate.engine.later.running_tasks.service_tasks", tasks)
    code, report = check_json(cli_on_moto, tmp_path)
    assert code == 1
    assert report["findings"][0]["message"].startswith("2 task(s)")
    code, report = check_json(cli_on_moto, tmp_path, "--since", "10m")
    assert report["findings"][0]["message"].startswith("1 task(s)")


def test_since_is_a_duration_and_not_for_offline(cli_on_moto: Cli, tmp_path: Path) -> None:
    for arguments, words in (
        (("--since", "soon"), "give a duration such as 90s, 10m or 1h"),
        (("--since", "10m", "--offline"), "--since looks at tasks on ECS"),
    ):
        result = cli_on_moto.run("check", "--policy", str(POLICY), *arguments)
        assert result.exit_code == 2
        assert words in result.stderr


def test_missing_ssm_parameters_are_named() -> None:
    reason = (
        "ResourceInitializationError: unable to pull secrets or registry auth: execution "
        "resource retrieval failed: unable to retrieve secrets from ssm: service call has been "
        "retried 1 time(s): invalid ssm parameters: /hokusai/HF_TOKEN"
    )
    ((rule, message),) = findings_of([task(PRIMARY_TD, "STOPPED", stoppedReason=reason)])
    assert (rule, message.endswith(": /hokusai/HF_TOKEN")) == ("DG211", True)


def test_an_essential_container_exiting_at_start_is_dg212() -> None:
    started = NOW - timedelta(minutes=5)
    quick = task(
        PRIMARY_TD,
        "STOPPED",
        stopCode="EssentialContainerExited",
        startedAt=started,
        stoppedAt=started + timedelta(seconds=4),
    )
    late = task(
        PRIMARY_TD,
        "STOPPED",
        stopCode="EssentialContainerExited",
        startedAt=started,
        stoppedAt=started + timedelta(minutes=4),
    )
    ((rule, message),) = findings_of([quick, late])
    assert rule == "DG212"
    assert message.startswith("1 task(s) of the PRIMARY deployment stopped because an essential")


class FakeEcs:
    """ListTasks in pages and DescribeTasks by 100, as ECS answers them."""

    def __init__(self, running: int, stopped: int) -> None:
        self.arns = {
            "RUNNING": [f"arn:aws:ecs:us-east-1:1:task/c/r{i}" for i in range(running)],
            "STOPPED": [f"arn:aws:ecs:us-east-1:1:task/c/s{i}" for i in range(stopped)],
        }
        self.calls: list[tuple[str, int]] = []
        self.groups: dict[str, str] = {}  # task ARN -> the group DescribeTasks answers

    def list_tasks(self, **arguments: Any) -> dict[str, Any]:
        arns = self.arns[arguments["desiredStatus"]]
        start = int(arguments.get("nextToken", "0"))
        self.calls.append(("ListTasks", start))
        answer: dict[str, Any] = {"taskArns": arns[start : start + 100]}
        if start + 100 < len(arns):
            answer["nextToken"] = str(start + 100)
        return answer

    def describe_tasks(self, **arguments: Any) -> dict[str, Any]:
        self.calls.append(("DescribeTasks", len(arguments["tasks"])))
        return {
            "tasks": [
                {
                    "taskArn": arn,
                    "taskDefinitionArn": PRIMARY_TD,
                    "lastStatus": "STOPPED" if "/s" in arn else "RUNNING",
                    "group": self.groups.get(arn, "service:api"),
                }
                for arn in arguments["tasks"]
            ],
            "failures": [],
        }


def test_every_page_is_read_and_described_by_100() -> None:
    client = FakeEcs(running=150, stopped=60)
    tasks = service_tasks(client, "c", "api")
    assert len(tasks) == 210
    assert client.calls == [
        ("ListTasks", 0),
        ("ListTasks", 100),
        ("ListTasks", 0),
        ("DescribeTasks", 100),
        ("DescribeTasks", 100),
        ("DescribeTasks", 10),
    ]


def test_a_task_listed_for_the_service_but_answered_as_another_groups_is_not_left_out() -> None:
    """An emulator ignoring ListTasks' serviceName filter, or an answer about another
    service: not "fewer tasks to look at" but an answer that does not say what was asked."""
    from drift_gate.sources.answers import ItemFailureError

    client = FakeEcs(running=150, stopped=60)
    client.groups["arn:aws:ecs:us-east-1:1:task/c/r120"] = "service:other"
    with pytest.raises(ItemFailureError, match=r"task/c/r120, which ecs:ListTasks named"):
        service_tasks(client, "c", "api")


def test_a_describe_tasks_answer_without_its_lists_is_malformed() -> None:
    from drift_gate.sources.answers import MalformedAnswerError

    class Proxy(FakeEcs):
        def describe_tasks(self, **_: Any) -> dict[str, Any]:
            return {}

    with pytest.raises(MalformedAnswerError, match="ecs:DescribeTasks"):
        service_tasks(Proxy(running=1, stopped=0), "c", "api")
