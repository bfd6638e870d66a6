"""`drift-gate init --from-account` against moto in server mode, over HTTP: the services
running in a region drafted into a policy that validates and then passes `check` against the
same account; values planted in the task definitions reach neither the file nor any output.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml

from drift_gate import _moto_compat
from tests.conftest import Cli, MotoServer, closed_port
from tests.roles import execution_role

pytestmark = pytest.mark.e2e

REGION = "us-east-1"
ACCOUNT = "123456789012"
CANARY_VALUE = "canary-init-live-value-8c1d"


def client(moto_server: MotoServer, service: str) -> Any:
    return boto3.client(service, region_name=REGION, endpoint_url=moto_server.endpoint)


def register(
    moto_server: MotoServer, family: str, secrets: list[str], plain: list[str], revision: int = 1
) -> str:
    ecs, store = client(moto_server, "ecs"), client(moto_server, "secretsmanager")
    references = [
        {
            "name": name,
            "valueFrom": store.create_secret(
                Name=f"{family}/{name}/{revision}", SecretString=CANARY_VALUE
            )["ARN"],
        }
        for name in secrets
    ]
    answer = ecs.register_task_definition(
        family=family,
        executionRoleArn=execution_role(client(moto_server, "iam")),
        containerDefinitions=[
            {
                "name": "app",
                "image": "app",
                "memory": 128,
                "secrets": references,
                "environment": [{"name": name, "value": CANARY_VALUE} for name in plain],
            }
        ],
    )
    return str(answer["taskDefinition"]["taskDefinitionArn"])


def run_service(moto_server: MotoServer, cluster: str, name: str, task_definition: str) -> None:
    ecs = client(moto_server, "ecs")
    ecs.create_cluster(clusterName=cluster)
    ecs.create_service(
        cluster=cluster, serviceName=name, taskDefinition=task_definition, desiredCount=1
    )
    _moto_compat.settle(cluster, name, REGION, account_id=ACCOUNT)


def test_the_running_fleet_drafted_validated_and_checked_live(
    cli_on_moto: Cli, moto_server: MotoServer, tmp_path: Path
) -> None:
    api = register(moto_server, "shop-api", ["DATABASE_URL"], ["LOG_LEVEL"])
    run_service(moto_server, "shop", "shop-api", api)
    run_service(moto_server, "jobs", "worker", register(moto_server, "worker", [], ["QUEUE"]))

    result = cli_on_moto.run("init", "--from-account", "--region", REGION)

    assert (result.exit_code, result.stderr) == (0, "")
    written = (tmp_path / "drift-gate.yaml").read_text(encoding="utf-8")
    environment = yaml.safe_load(written)["environments"]["default"]
    assert (environment["region"], environment["account"]) == (REGION, ACCOUNT)
    assert sorted(
        (s["cluster"], s["service"], s["containers"]) for s in environment["services"]
    ) == [
        ("jobs", "worker", {"app": {"environment": ["QUEUE"]}}),
        ("shop", "shop-api", {"app": {"secrets": ["DATABASE_URL"], "environment": ["LOG_LEVEL"]}}),
    ]
    assert f"# task definition {api} (the PRIMARY deployment's)" in written
    assert "drift-gate check --policy drift-gate.yaml" in result.stdout

    validated = cli_on_moto.run("validate-policy", "drift-gate.yaml")
    checked = cli_on_moto.run("check", "--policy", "drift-gate.yaml", "--quiet")

    assert validated.exit_code == 0
    assert checked.exit_code == 0, checked.stdout + checked.stderr
    for text in (written, result.stdout, checked.stdout, checked.stderr):
        assert CANARY_VALUE not in text


def test_the_draft_is_of_what_the_primary_deployment_runs(
    cli_on_moto: Cli, moto_server: MotoServer, tmp_path: Path
) -> None:
    run_service(moto_server, "shop", "shop-api", register(moto_server, "shop-api", ["KEY"], []))
    # A newer revision nobody runs: not what the service receives today.
    register(moto_server, "shop-api", ["KEY", "NEW_ONLY"], [], revision=2)

    assert cli_on_moto.run("init", "--from-account", "--region", REGION).exit_code == 0
    written = (tmp_path / "drift-gate.yaml").read_text(encoding="utf-8")
    checked = cli_on_moto.run("check", "--quiet")

    assert "NEW_ONLY" not in written
    assert "task-definition/shop-api:1 (the PRIMARY deployment's)" in written
    assert checked.exit_code == 1  # the revision registered and not deployed, and only that
    assert {line.split()[1] for line in checked.stdout.splitlines() if "ERROR" in line} == {"DG201"}


def test_a_draining_service_is_said_not_drafted(
    cli_on_moto: Cli, moto_server: MotoServer, tmp_path: Path
) -> None:
    run_service(moto_server, "shop", "shop-api", register(moto_server, "shop-api", [], ["A"]))
    run_service(moto_server, "shop", "old-api", register(moto_server, "old-api", [], ["B"]))
    client(moto_server, "ecs").delete_service(cluster="shop", service="old-api", force=True)

    result = cli_on_moto.run("init", "--from-account", "--region", REGION)

    assert result.exit_code == 0, result.stderr
    written = (tmp_path / "drift-gate.yaml").read_text(encoding="utf-8")
    services = yaml.safe_load(written)["environments"]["default"]["services"]
    assert [s["service"] for s in services] == ["shop-api"]
    assert "on its way out, not a service to declare" in written
    assert cli_on_moto.run("check", "--quiet").exit_code == 0


def test_only_the_clusters_given(cli_on_moto: Cli, moto_server: MotoServer, tmp_path: Path) -> None:
    run_service(moto_server, "shop", "shop-api", register(moto_server, "shop-api", [], ["A"]))
    run_service(moto_server, "jobs", "worker", register(moto_server, "worker", [], ["B"]))

    result = cli_on_moto.run("init", "--from-account", "--region", REGION, "--cluster", "jobs")

    assert result.exit_code == 0, result.stderr
    services = yaml.safe_load((tmp_path / "drift-gate.yaml").read_text(encoding="utf-8"))
    assert [s["service"] for s in services["environments"]["default"]["services"]] == ["worker"]


def test_a_cluster_that_does_not_exist_is_exit_2_and_nothing_is_written(
    cli_on_moto: Cli, tmp_path: Path
) -> None:
    result = cli_on_moto.run("init", "--from-account", "--region", REGION, "--cluster", "nope")

    assert result.exit_code == 2
    assert result.stderr == (
        f"drift-gate: error: --cluster nope: no such cluster in {REGION}; give the name of a "
        "cluster that exists (no policy was written)\n"
    )
    assert not (tmp_path / "drift-gate.yaml").exists()


def test_an_empty_account_is_exit_2_and_nothing_is_written(
    cli_on_moto: Cli, tmp_path: Path
) -> None:
    result = cli_on_moto.run("init", "--from-account", "--region", REGION)

    assert result.exit_code == 2
    assert "no ECS service found in the services running in us-east-1" in result.stderr
    assert not (tmp_path / "drift-gate.yaml").exists()


def test_an_account_that_does_not_answer_is_could_not_verify_and_nothing_is_written(
    cli: Cli, tmp_path: Path
) -> None:
    endpoint = f"http://127.0.0.1:{closed_port()}"

    result = cli.run(
        "init", "--from-account", "--region", REGION, "--max-attempts", "1", "--timeout", "1",
        extra_env={"AWS_ENDPOINT_URL": endpoint},
    )  # fmt: skip

    assert result.exit_code == 3
    assert len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith("drift-gate: error: could not read the services of us-east-1")
    assert result.stderr.endswith("(no policy was written)\n")
    assert not (tmp_path / "drift-gate.yaml").exists()
