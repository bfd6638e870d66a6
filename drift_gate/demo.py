"""`drift-gate demo`: the incident, replayed in six acts against an emulated AWS account.

(a) the task definition lacks HUGGINGFACE_API_KEY: the gate fails and names it, and the
    application's predict endpoint answers 500 "HuggingFace token not configured";
(b) terraform apply registered a revision with the key, the service still runs the old one:
    the gate fails with "registered but not deployed";
(c) the service is redeployed: the gate passes;
(d) the smoke requests of the incident's runbook: the application answers 200;
(e) the other way the key fails to arrive: the execution role's policy lists the secrets one
    by one and misses the new one: the gate fails naming the role and the secret;
(f) whoever deploys: a deployment of a revision without the key is stopped at PRE_SCALE_UP by
    the lifecycle hook before any task starts, and the fixed revision's goes through
    (drift_gate/demo_hook.py).
The account is moto's, in-process, and the application a stand-in on 127.0.0.1 that
answers as the real one did, from the revision the service runs: no credentials and no
network beyond this machine are needed.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Any, Protocol
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


EXECUTION_ROLE = "hokusai-api-development-execution"
# Who may assume an execution role: ECS tasks (its trust policy).
ECS_TASKS_TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "ecs-tasks.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
)


@dataclass
class IncidentAccount:
    """The incident's ECS service, secrets and execution role in an AWS account."""

    ecs: Any
    secretsmanager: Any
    iam: Any
    secret_arns: dict[str, str]
    execution_role_arn: str

    @classmethod
    def create(
        cls, client: Callable[[str], Any], secret_values: dict[str, str] | None = None
    ) -> IncidentAccount:
        """Secrets, an execution role allowed to read them, a cluster, the old revision (no
        HUGGINGFACE_API_KEY) and the service on it. `client(service)`: a boto3 client."""
        values = secret_values or {name: f"demo-{name.lower()}" for name in SECRET_NAMES}
        secretsmanager, iam, ecs = client("secretsmanager"), client("iam"), client("ecs")
        arns = {
            name: secretsmanager.create_secret(
                Name=f"hokusai/development/{name.lower()}", SecretString=value
            )["ARN"]
            for name, value in values.items()
        }
        role = iam.create_role(RoleName=EXECUTION_ROLE, AssumeRolePolicyDocument=ECS_TASKS_TRUST)
        account = cls(ecs, secretsmanager, iam, arns, role["Role"]["Arn"])
        account.allow_every_secret()
        ecs.create_cluster(clusterName=CLUSTER)
        old = account.register_revision(["DATABASE_HOST", "MLFLOW_SERVER_URL"])
        ecs.create_service(cluster=CLUSTER, serviceName=SERVICE, taskDefinition=old, desiredCount=2)
        return account

    def allow_every_secret(self) -> None:
        """As the module's policy is written: every secret of the environment, by prefix."""
        arn = next(iter(self.secret_arns.values()))
        self.allow_secrets([arn.split(":secret:")[0] + ":secret:hokusai/development/*"])

    def allow_secrets(self, resources: list[str], keys: tuple[str, ...] = ()) -> None:
        """The execution role's policy: secretsmanager:GetSecretValue on these ARNs only, and
        kms:Decrypt through Secrets Manager with these customer-managed keys."""
        statements: list[dict[str, Any]] = [
            {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": resources}
        ]
        if keys:
            via = {"kms:ViaService": f"secretsmanager.{REGION}.amazonaws.com"}
            statements.append(
                {
                    "Effect": "Allow",
                    "Action": "kms:Decrypt",
                    "Resource": list(keys),
                    "Condition": {"StringEquals": via},
                }
            )
        document = {"Version": "2012-10-17", "Statement": statements}
        self.iam.put_role_policy(
            RoleName=EXECUTION_ROLE, PolicyName="read-secrets", PolicyDocument=json.dumps(document)
        )

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
            executionRoleArn=self.execution_role_arn,
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

    def start_deployment(self, task_definition_arn: str) -> str:
        """A deployment of this revision stopped before it scales up (a lifecycle hook's
        PRE_SCALE_UP): the ARN of its target service revision, as ECS passes it the hook."""
        _moto_compat.roll_out(CLUSTER, SERVICE, task_definition_arn, REGION, completed=False)
        return _moto_compat.service_revision_arn(CLUSTER, SERVICE, REGION)

    def start_paused_deployment(self, task_definition_arn: str) -> str:
        """A deployment of this revision paused at a PAUSE hook at PRE_SCALE_UP, waiting for
        ContinueServiceDeployment (`drift-gate await-hook`): the deployment's ARN."""
        return _moto_compat.start_paused_deployment(CLUSTER, SERVICE, task_definition_arn, REGION)

    def service(self) -> dict[str, Any]:
        """The service as DescribeServices answers it."""
        answer = self.ecs.describe_services(cluster=CLUSTER, services=[SERVICE])
        return dict(answer["services"][0])

    @staticmethod
    def roll_back() -> None:
        """ECS's rollback of the deployment in progress (a hook answered FAILED)."""
        _moto_compat.roll_back(CLUSTER, SERVICE, REGION)

    @staticmethod
    def settle() -> None:
        """The deployment in progress completes (every hook SUCCEEDED)."""
        _moto_compat.settle(CLUSTER, SERVICE, REGION)

    @staticmethod
    def current_revision() -> str:
        """The service revision the PRIMARY deployment targets (the incident's: no key)."""
        return _moto_compat.service_revision_arn(CLUSTER, SERVICE, REGION)


@contextmanager
def emulated_aws() -> Iterator[None]:
    """moto in-process, isolated from the user's AWS configuration."""
    try:
        from moto import mock_aws
    except ImportError as error:
        raise InvalidInputError("the demo needs moto: pip install 'drift-gate[demo]'") from error
    _moto_compat.enable_policy_simulator()  # the execution-role link asks it
    _moto_compat.enable_service_revisions()  # the lifecycle hook asks it
    _moto_compat.enable_service_deployments()  # await-hook asks them
    # The user's endpoint or profile must not leak into the emulated account.
    cleared = {k: "" for k in os.environ if k.startswith("AWS_ENDPOINT_URL") or k == "AWS_PROFILE"}
    with mock.patch.dict(os.environ, {**cleared, "AWS_DEFAULT_REGION": REGION}), mock_aws():
        for key in cleared:
            os.environ.pop(key, None)
        yield


Echo = Callable[[str], None]


def run_demo(echo: Echo, color: bool = False) -> int:
    """Run the six acts, print each report; exit 0 when every act gives the expected verdict."""
    from drift_gate.demo_hook import hook_act

    policy = demo_policy()
    with emulated_aws():
        clients = AwsClients()
        account = IncidentAccount.create(lambda service: clients.client(service, REGION))
        _moto_compat.settle(CLUSTER, SERVICE, REGION)
        app = StandInApp(clients.client("ecs", REGION))
        app.start()

        def act(letter: str, what: str, expected: ExitCode, checked: Policy = policy) -> bool:
            return _act(echo, color, letter, what, checked, expected)

        outcomes = _incident_acts(echo, act, account, app) + _aftermath_acts(
            echo, act, account, app
        )
        outcomes.append(hook_act(echo, account, policy, SECRET_NAMES))
    if all(outcomes):
        echo(
            "demo: the gate failed on acts (a), (b) and (e) and passed on (c) and (d); the "
            "hook stopped (f)'s revision without the key and let the fixed one through, "
            "as it should."
        )
        return ExitCode.PASS
    echo("demo: an act did not give the expected exit code; this is a bug in drift-gate.")
    return ExitCode.COULD_NOT_VERIFY


class Act(Protocol):
    """One act: check the account against a policy, print the report, say if it is as expected."""

    def __call__(
        self, letter: str, what: str, expected: ExitCode, checked: Policy = ...
    ) -> bool: ...


def _incident_acts(echo: Echo, act: Act, account: IncidentAccount, app: StandInApp) -> list[bool]:
    """(a) merged, never applied; (b) applied, not deployed; (c) deployed."""
    outcomes = [
        act(
            "a",
            "merged, never applied: the running task definition lacks HUGGINGFACE_API_KEY",
            ExitCode.DRIFT,
        )
    ]
    echo(f"$ curl -X POST {app.url}/predict")
    status, body = app.predict()
    echo(f"{status} {body}  <- what every prediction answered during the incident\n")
    fixed = account.register_revision(list(SECRET_NAMES))
    outcomes.append(
        act(
            "b",
            "terraform apply registered a revision with the key; "
            "the service still runs the old one",
            ExitCode.DRIFT,
        )
    )
    account.redeploy(fixed)
    outcomes.append(
        act(
            "c",
            "aws ecs update-service --force-new-deployment: the service runs the new revision",
            ExitCode.PASS,
        )
    )
    return outcomes


def _aftermath_acts(echo: Echo, act: Act, account: IncidentAccount, app: StandInApp) -> list[bool]:
    """(d) the smoke requests pass; (e) the execution role cannot read the new secret."""
    outcomes = [
        act(
            "d",
            "after the deploy, the runbook's smoke requests: predict answers 200 now",
            ExitCode.PASS,
            smoke_policy(app.url),
        )
    ]
    echo(f"$ curl -X POST {app.url}/predict")
    status, body = app.predict()
    echo(f"{status} {body}\n")
    app.stop()
    older = [account.secret_arns[name] for name in SECRET_NAMES if name != "HUGGINGFACE_API_KEY"]
    account.allow_secrets(older)
    outcomes.append(
        act(
            "e",
            "the key is deployed, but the execution role's policy lists only the older "
            "secrets: new tasks could not start",
            ExitCode.DRIFT,
        )
    )
    return outcomes


def smoke_policy(base_url: str) -> Policy:
    """The demo's policy with the incident runbook's smoke requests against `base_url`."""
    text = resources.files("drift_gate").joinpath("demo_policy.yaml").read_text("utf-8")
    text += f"""\
        smoke:
          - url: {base_url}/predict
            method: POST
            json: {{text: "a fine day"}}
            expect: [200]
            forbid: ["HuggingFace token not configured"]
          - url: {base_url}/predict
            method: POST
            json: {{}}
            expect: [400, 422]
          - url: {base_url}/health
"""
    return policy_from_document(parse_yaml(text, "drift-gate.yaml (with smoke requests)"))


# (method, path, headers, body) -> (status, JSON text)
JsonAnswer = Callable[[str, str, Any, bytes], tuple[int, str]]


def serve_json(answer: JsonAnswer) -> ThreadingHTTPServer:
    """An HTTP server on 127.0.0.1 (a free port), serving on a daemon thread, that answers
    every GET and POST with `answer`'s status and JSON."""

    class Handler(BaseHTTPRequestHandler):
        def _any(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            status, text = answer(self.command, self.path, self.headers, self.rfile.read(length))
            data = text.encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = _any

        def log_message(self, *_: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


class StandInApp:
    """The prediction API on 127.0.0.1, answering as the real one did: 500 "HuggingFace token
    not configured" while the revision the service runs lacks the key, 200 once it has it."""

    def __init__(self, ecs: Any) -> None:
        self.ecs = ecs
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None  # noqa: S101 - start() first
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> None:
        self._server = serve_json(lambda _method, path, _headers, body: self.answer(path, body))

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def answer(self, path: str, body: bytes) -> tuple[int, str]:
        if path.startswith("/health"):
            return 200, '{"status": "ok"}'
        if not self._has_key():
            return 500, '{"error": "HuggingFace token not configured"}'
        try:
            text = json.loads(body or b"{}").get("text")
        except (ValueError, AttributeError):
            text = None
        if not isinstance(text, str):
            return 422, '{"error": "text is required"}'
        return 200, '{"label": "positive", "score": 0.98}'

    def predict(self) -> tuple[int, str]:
        """One predict call, as the demo shows it."""
        return self.answer("/predict", b'{"text": "a fine day"}')

    def _has_key(self) -> bool:
        service = self.ecs.describe_services(cluster=CLUSTER, services=[SERVICE])["services"][0]
        primary = next(d for d in service["deployments"] if d["status"] == "PRIMARY")
        definition = self.ecs.describe_task_definition(taskDefinition=primary["taskDefinition"])
        containers = definition["taskDefinition"]["containerDefinitions"]
        return any(
            secret["name"] == "HUGGINGFACE_API_KEY"
            for container in containers
            for secret in container.get("secrets", [])
        )


def _act(
    echo: Echo, color: bool, letter: str, story: str, policy: Policy, expected: ExitCode
) -> bool:
    echo(f"=== Act ({letter}): {story}")
    echo(f"$ drift-gate check --policy {policy.source}")
    report: Report = run_check(policy, CheckOptions(), AwsClients())
    echo(ConsoleReporter().render(report, RenderOptions(color=color)).rstrip("\n"))
    echo(f"exit code {report.exit_code} (expected {int(expected)})\n")
    return report.exit_code == expected
