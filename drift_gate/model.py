"""The data drift-gate reasons about, as frozen pydantic models.

Names, never values: an environment or secret value never enters these models. A live
environment variable keeps its name and, at most, the name of the credential format its
value matched (for example "Hugging Face token"); the value itself is dropped at the source.
"""

from __future__ import annotations

import enum
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class Frozen(BaseModel):
    """Base for every model: immutable, and strict about unknown fields."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Severity(str, enum.Enum):
    """How much a finding matters; --fail-on picks the lowest one that blocks."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        """Higher is more severe, so thresholds compare as numbers."""
        return {"error": 3, "warning": 2, "info": 1}[self.value]


class FailOn(str, enum.Enum):
    """The --fail-on threshold: which findings make the run exit 1."""

    ERROR = "error"
    WARNING = "warning"
    NEVER = "never"

    def blocks(self, severity: Severity) -> bool:
        """Whether a finding of this severity fails the run."""
        if self is FailOn.NEVER:
            return False
        return severity.rank >= Severity(self.value).rank


class Verdict(str, enum.Enum):
    """The one-word outcome of a run, ordered from best to worst."""

    PASS = "pass"  # noqa: S105 - a verdict, not a password
    DRIFT = "drift"
    COULD_NOT_VERIFY = "could-not-verify"


# --- The live side: what ECS reports, reduced to names and references -----------------


class LiveSecret(Frozen):
    """A `secrets` entry of a running container: its name and where ECS fetches it from."""

    name: str
    value_from: str


class LiveEnvVar(Frozen):
    """An `environment` entry of a running container. The value is never kept."""

    name: str
    value_token_format: str | None = Field(
        default=None,
        description="Name of the known credential format the value matched; never the value.",
    )


class ContainerVars(Frozen):
    """The variables one container of a task definition receives."""

    name: str
    secrets: tuple[LiveSecret, ...] = ()
    environment: tuple[LiveEnvVar, ...] = ()
    environment_files: tuple[str, ...] = ()

    @property
    def secret_names(self) -> frozenset[str]:
        return frozenset(secret.name for secret in self.secrets)

    @property
    def environment_names(self) -> frozenset[str]:
        return frozenset(variable.name for variable in self.environment)

    def secret(self, name: str) -> LiveSecret | None:
        """The live secret of that name, if the container has one."""
        return next((secret for secret in self.secrets if secret.name == name), None)


def split_task_definition_arn(arn: str) -> tuple[str, int]:
    """`arn:...:task-definition/FAMILY:REV` (or `FAMILY:REV`) -> (FAMILY, REV)."""
    family, _, revision = arn.rsplit("/", 1)[-1].rpartition(":")
    return family, int(revision)


class TaskDefinitionSpec(Frozen):
    """One registered task definition revision, as far as drift-gate needs it."""

    arn: str
    family: str
    revision: int
    status: str
    containers: tuple[ContainerVars, ...]

    def container(self, name: str) -> ContainerVars | None:
        return next((c for c in self.containers if c.name == name), None)


class Deployment(Frozen):
    """A deployment (rolling controller) or task set (CODE_DEPLOY/EXTERNAL) of a service."""

    id: str
    status: str
    task_definition_arn: str
    rollout_state: str | None = None
    rollout_state_reason: str | None = None
    desired_count: int = 0
    running_count: int = 0
    failed_tasks: int = 0


class ServiceState(Frozen):
    """An ECS service as describe_services reports it."""

    cluster: str
    name: str
    arn: str
    status: str
    deployment_controller: str
    desired_count: int
    running_count: int
    deployments: tuple[Deployment, ...]

    @property
    def primary(self) -> Deployment | None:
        """The deployment whose task definition the service is converging to and runs."""
        return next((d for d in self.deployments if d.status == "PRIMARY"), None)


# --- Findings and the report -----------------------------------------------------------


class Target(Frozen):
    """Where a finding is: environment, cluster, service, and optionally container and variable."""

    environment: str
    region: str
    cluster: str
    service: str
    container: str | None = None
    variable: str | None = None

    def label(self) -> str:
        """A short human path such as `development/hokusai-api/api/HUGGINGFACE_API_KEY`."""
        parts = [self.environment, self.cluster, self.service, self.container, self.variable]
        return "/".join(part for part in parts if part)


class Finding(Frozen):
    """One broken link, with a stable rule id, what is wrong and how to fix it."""

    rule_id: str
    rule_name: str
    severity: Severity
    target: Target
    message: str
    remediation: str
    declared_in: str | None = Field(
        default=None, description="file:line where the expectation is declared, when known"
    )
    deployed_task_definition: str | None = None
    latest_task_definition: str | None = None

    @property
    def is_unverified(self) -> bool:
        """DG9xx findings mean "could not verify": they make the run exit 3."""
        return self.rule_id.startswith("DG9")


class CheckedService(Frozen):
    """One service the run looked at, and how far the check got."""

    environment: str
    region: str
    cluster: str
    service: str
    verified: bool
    deployed_task_definition: str | None = None
    latest_task_definition: str | None = None
    containers: tuple[str, ...] = ()


class ToolInfo(Frozen):
    name: str = "drift-gate"
    version: str


class Stats(Frozen):
    """Counts for the run: AWS API calls by `service:Operation`, findings by severity."""

    services_checked: int
    aws_calls: dict[str, int]
    findings_by_severity: dict[Severity, int]


class Report(Frozen):
    """Everything one run found; every output format renders this and nothing else."""

    schema_version: int = 1
    tool: ToolInfo
    started_at: datetime
    finished_at: datetime
    policy: str | None
    fail_on: FailOn
    verdict: Verdict
    exit_code: int
    services: tuple[CheckedService, ...]
    findings: tuple[Finding, ...]
    stats: Stats
