"""`drift-gate demo`: the incident, replayed in three acts against an emulated AWS account.

(a) the task definition lacks HUGGINGFACE_API_KEY: the gate fails and names it;
(b) terraform apply registered a revision with the key, the service still runs the old one:
    the gate fails with "registered but not deployed";
(c) the service is redeployed: the gate passes.
The account is moto's, in-process: no credentials and no network are needed.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from typing import Any
from unittest import mock

from drift_gate import _moto_compat
from drift_gate.engine.gate import run_check
from drift_gate.engine.service_checks import CheckOptions
from drift_gate.errors import ExitCode, InvalidInputError
from drift_gate.model import Report
from drift_gate.policy import Policy, policy_from_document
from drift_gate.report import RenderOptions
from drift_gate.report.console import ConsoleReporter
from drift_gate.sources.aws import AwsClients
from drift_gate.yamlfile import parse_yaml

REGION = "us-east-1"
CLUSTER = "hokusai-development"
SERVICE = "hokusai-api-development"
FAMILY = "hokusai-api-development"
CONTAINER = "api"
SECRET_NAMES = ("DATABASE_HOST", "MLFLOW_SERVER_URL", "HUGGINGFACE_API_KEY")


def demo_policy(source: str = "policies/example.yaml") -> Policy:
    """The incident's policy, shipped in the package (policies/example.yaml is the same file)."""
    text = resources.files("drift_gate").joinpath("demo_policy.yaml").read_text("utf-8")
    return policy_from_document(parse_yaml(text, source))


@dataclass
class IncidentAccount:
    """The incident's ECS service and secrets in an AWS account (real or emulated)."""

    ecs: Any
    secretsmanager: Any
    secret_arns: dict[str, str]

    @classmethod
    def create(
        cls, ecs: Any, secretsmanager: Any, secret_values: dict[str, str] | None = None
    ) -> IncidentAccount:
        """Secrets, a cluster, the old revision (no HUGGINGFACE_API_KEY) and the service on it."""
        values = secret_values or {name: f"demo-{name.lower()}" for name in SECRET_NAMES}
        arns = {
            name: secretsmanager.create_secret(
                Name=f"hokusai/development/{name.lower()}", SecretString=value
            )["ARN"]
            for name, value in values.items()
        }
        account = cls(ecs, secretsmanager, arns)
        ecs.create_cluster(clusterName=CLUSTER)
        old = account.register_revision(["DATABASE_HOST", "MLFLOW_SERVER_URL"])
        ecs.create_service(cluster=CLUSTER, serviceName=SERVICE, taskDefinition=old, desiredCount=2)
        return account

    def register_revision(
        self,
        secrets: list[str],
        environment: dict[str, str] | None = None,
        image: str = "hokusai/api:latest",
    ) -> str:
        """Register a revision of the family with these secrets (what terraform apply does)."""
        env = environment if environment is not None else {"LOG_LEVEL": "info"}
        response = self.ecs.register_task_definition(
            family=FAMILY,
            requiresCompatibilities=["FARGATE"],
            networkMode="awsvpc",
            cpu="256",
            memory="512",
            containerDefinitions=[
                {
                    "name": CONTAINER,
                    "image": image,
                    "essential": True,
                    "secrets": [{"name": n, "valueFrom": self.secret_arns[n]} for n in secrets],
                    "environment": [{"name": k, "value": v} for k, v in env.items()],
                }
            ],
        )
        return str(response["taskDefinition"]["taskDefinitionArn"])

    def redeploy(self, task_definition_arn: str, *, completed: bool = True) -> None:
        """update-service --force-new-deployment, made to behave as real ECS does."""
        self.ecs.update_service(
            cluster=CLUSTER,
            service=SERVICE,
            taskDefinition=task_definition_arn,
            forceNewDeployment=True,
        )
        _moto_compat.roll_out(CLUSTER, SERVICE, task_definition_arn, REGION, completed=completed)


@contextmanager
def emulated_aws() -> Iterator[None]:
    """moto in-process, isolated from the user's AWS configuration."""
    try:
        from moto import mock_aws
    except ImportError as error:
        raise InvalidInputError("the demo needs moto: pip install 'drift-gate[demo]'") from error
    # The user's endpoint or profile must not leak into the emulated account.
    cleared = {k: "" for k in os.environ if k.startswith("AWS_ENDPOINT_URL") or k == "AWS_PROFILE"}
    with mock.patch.dict(os.environ, {**cleared, "AWS_DEFAULT_REGION": REGION}), mock_aws():
        for key in cleared:
            os.environ.pop(key, None)
        yield


Echo = Callable[[str], None]


def run_demo(echo: Echo, color: bool = False) -> int:
    """Run the three acts, print each report; exit 0 when every act gives the expected verdict."""
    policy = demo_policy()
    outcomes: list[bool] = []
    with emulated_aws():
        clients = AwsClients()
        account = IncidentAccount.create(
            clients.client("ecs", REGION), clients.client("secretsmanager", REGION)
        )
        _moto_compat.settle(CLUSTER, SERVICE, REGION)
        outcomes.append(
            _act(
                echo,
                color,
                "a",
                "merged, never applied: the running task definition lacks HUGGINGFACE_API_KEY",
                policy,
                ExitCode.DRIFT,
            )
        )
        fixed = account.register_revision(list(SECRET_NAMES))
        outcomes.append(
            _act(
                echo,
                color,
                "b",
                "terraform apply registered a revision with the key; "
                "the service still runs the old one",
                policy,
                ExitCode.DRIFT,
            )
        )
        account.redeploy(fixed)
        outcomes.append(
            _act(
                echo,
                color,
                "c",
                "aws ecs update-service --force-new-deployment: the service runs the new revision",
                policy,
                ExitCode.PASS,
            )
        )
    if all(outcomes):
        echo("demo: the gate failed on acts (a) and (b) and passed on (c), as it should.")
        return ExitCode.PASS
    echo("demo: an act did not give the expected exit code; this is a bug in drift-gate.")
    return ExitCode.COULD_NOT_VERIFY


def _act(
    echo: Echo, color: bool, letter: str, story: str, policy: Policy, expected: ExitCode
) -> bool:
    echo(f"=== Act ({letter}): {story}")
    echo(f"$ drift-gate check --policy {policy.source}")
    report: Report = run_check(policy, CheckOptions(), AwsClients())
    echo(ConsoleReporter().render(report, RenderOptions(color=color)).rstrip("\n"))
    echo(f"exit code {report.exit_code} (expected {int(expected)})\n")
    return report.exit_code == expected
