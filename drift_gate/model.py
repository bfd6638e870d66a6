"""The data drift-gate reasons about, as frozen pydantic models.

Names, never values: an environment or secret value never enters these models. A live
environment variable keeps its name and, at most, the name of the credential format its
value matched (for example "Hugging Face token"); the value itself is dropped at the source.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class Frozen(BaseModel):
    """Base for every model: immutable, and strict about unknown fields."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)


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
    image: str | None = Field(default=None, description="the image reference (not a secret)")
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


# --- The declared side: what a container must receive, whoever declares it ----------------


class DeclaredName(Frozen):
    """A name a container must receive, and every place that declares or requires it.

    The one declared model: the policy, a dotenv file and a Terraform plan all produce it,
    and every check compares it with a candidate (the live task definition, the planned
    one, the Terraform sources).
    """

    name: str
    secret: bool = Field(description="must arrive through `secrets` (valueFrom), not as plain")
    value_from: str | None = Field(
        default=None, description="the valueFrom it must read, if pinned"
    )
    where: tuple[str, ...] = Field(default=(), description="file:line of each declaration")


class DeclaredContainer(Frozen):
    """Every name one container must receive."""

    name: str
    names: tuple[DeclaredName, ...] = ()

    @property
    def secrets(self) -> tuple[DeclaredName, ...]:
        return tuple(name for name in self.names if name.secret)

    @property
    def environment(self) -> tuple[DeclaredName, ...]:
        return tuple(name for name in self.names if not name.secret)

    @property
    def declared_names(self) -> frozenset[str]:
        return frozenset(name.name for name in self.names)

    def with_name(self, added: DeclaredName) -> DeclaredContainer:
        """This container with one more declaration, merged into a name already declared:
        a secret stays a secret, a pinned valueFrom stays, the places add up."""
        known = next((name for name in self.names if name.name == added.name), None)
        if known is None:
            return self.model_copy(update={"names": (*self.names, added)})
        merged = DeclaredName(
            name=known.name,
            secret=known.secret or added.secret,
            value_from=known.value_from or added.value_from,
            where=known.where + added.where,
        )
        names = tuple(merged if name is known else name for name in self.names)
        return self.model_copy(update={"names": names})


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
    execution_role_arn: str | None = None  # the role ECS uses to fetch secrets and images

    @model_validator(mode="after")
    def _unique_containers(self) -> TaskDefinitionSpec:
        # Two containers of one name: which one runs is not to be guessed (sources/ecs.py
        # refuses such an answer first, as malformed).
        if len({c.name for c in self.containers}) != len(self.containers):
            raise ValueError("the containers of a task definition have unique names")
        return self

    def container(self, name: str) -> ContainerVars | None:
        """The container of that name (names are unique: the model refuses repeats)."""
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
    created_at: datetime | None = None


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
    tags: tuple[tuple[str, str], ...] = Field(
        default=(), description="(key, value) pairs, when asked for (scans)"
    )

    @model_validator(mode="after")
    def _one_primary(self) -> ServiceState:
        # More than one PRIMARY says neither which one runs: never read as the first.
        if sum(d.status == "PRIMARY" for d in self.deployments) > 1:
            raise ValueError("a service has at most one PRIMARY deployment")
        return self

    @property
    def primary(self) -> Deployment | None:
        """The deployment whose task definition the service is converging to and runs (at
        most one: the model refuses more)."""
        return next((d for d in self.deployments if d.status == "PRIMARY"), None)


# --- Findings and the report -----------------------------------------------------------


class Target(Frozen):
    """Where a finding is: a service (and container, variable) or a Terraform resource."""

    environment: str
    account: str | None = Field(default=None, description="AWS account id (scans)")
    region: str | None = None
    cluster: str | None = None
    service: str | None = None
    resource: str | None = Field(default=None, description="Terraform resource address")
    container: str | None = None
    variable: str | None = None
    request: str | None = Field(default=None, description="a smoke request: METHOD URL")

    def label(self) -> str:
        """A short human path such as `development/hokusai-api/api/HUGGINGFACE_API_KEY`."""
        parts = [
            self.environment,
            self.account,
            self.resource,
            self.cluster,
            self.service,
            self.container,
            self.variable,
        ]
        label = "/".join(part for part in parts if part)
        return f"{label} {self.request}" if self.request else label


class Waived(Frozen):
    """The waiver a finding is under: accepted until `expires`, for `reason`."""

    reason: str
    owner: str | None = None
    expires: date
    days_left: int = Field(description="days until it expires; 0 on its last day")
    declared_in: str | None = Field(default=None, description="file:line of the waiver")


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
    waiver: Waived | None = Field(
        default=None, description="set when a waiver accepts it: reported, never blocking"
    )

    @property
    def is_unverified(self) -> bool:
        """DG9xx findings mean "could not verify": they make the run exit 3."""
        return self.rule_id.startswith("DG9")


class LinkState(str, enum.Enum):
    """Where one link of a service's chain ended. Only PASSED is drawn as ok."""

    PASSED = "passed"
    FAILED = "failed"
    NOT_CHECKED = "not-checked"
    COULD_NOT_VERIFY = "could-not-verify"


class LinkResult(Frozen):
    """One link of a service's chain (see drift_gate/links.py) and how it ended."""

    link: str
    state: LinkState
    reason: str | None = Field(default=None, description="why it was not checked or verified")


class SmokeResult(Frozen):
    """How one smoke request went: never a header or a body."""

    request: str = Field(description="METHOD URL, the query's values hidden")
    status: int | None = Field(default=None, description="None when there was no answer")
    outcome: LinkState
    declared_in: str | None = Field(
        default=None,
        description="where the request is declared (file:line): two requests to one URL are "
        "two results",
    )


class CheckedService(Frozen):
    """One service the run looked at, and how far the check got."""

    environment: str
    region: str
    cluster: str
    service: str
    verified: bool
    account: str | None = Field(default=None, description="AWS account id (scans)")
    deployed_task_definition: str | None = None
    latest_task_definition: str | None = None
    containers: tuple[str, ...] = ()
    declared_in: str | None = Field(
        default=None, description="file:line where the service is declared (policy or .tf)"
    )
    links: tuple[LinkResult, ...] = Field(
        default=(), description="each link of the chain, in order: passed, failed, ..."
    )
    smoke: tuple[SmokeResult, ...] = Field(
        default=(), description="each smoke request sent, and how it went"
    )

    def unchecked_links(self) -> tuple[LinkResult, ...]:
        """The links that did not run or could not be verified: never to be shown as ok."""
        return tuple(link for link in self.links if link.state not in _RAN)


_RAN = frozenset({LinkState.PASSED, LinkState.FAILED})


class ToolInfo(Frozen):
    name: str = "drift-gate"
    version: str


class Stats(Frozen):
    """Counts for the run: AWS API calls by `service:Operation`, findings by severity."""

    services_checked: int
    aws_calls: dict[str, int]
    findings_by_severity: dict[Severity, int]
    waived: int = Field(default=0, description="findings under a waiver (counted above too)")


class ScannedScope(Frozen):
    """One account and region a scan read: what it found there, or why it could not."""

    account: str | None = Field(description="AWS account id; None when it could not be told")
    account_source: str = Field(description="the default credentials, a profile or a role")
    region: str
    clusters: int = 0
    services: int = Field(default=0, description="services discovered (checked or not)")
    verified: bool = True
    notes: tuple[str, ...] = Field(
        default=(), description="what the scan saw and did not check, and why (never a pass)"
    )


class Report(Frozen):
    """Everything one run found; every output format renders this and nothing else."""

    schema_version: int = 1
    tool: ToolInfo
    started_at: datetime
    finished_at: datetime
    policy: str | None
    plan: str | None = Field(
        default=None, description="the plan JSON, plan file or Terraform directory"
    )
    workspace: str | None = Field(
        default=None,
        description="the Terraform workspace drift-gate planned in (None: it ran no plan)",
    )
    offline: bool = Field(
        default=False,
        description="only the sources were checked: no AWS client was created, terraform not run",
    )
    scanned: tuple[ScannedScope, ...] = Field(
        default=(), description="`drift-gate scan`: each account and region it read"
    )
    fail_on: FailOn
    verdict: Verdict
    exit_code: int
    services: tuple[CheckedService, ...]
    findings: tuple[Finding, ...]
    stats: Stats


# --- The Terraform plan, reduced to what drift-gate checks ------------------------------

# The environment name of everything declared by Terraform rather than by a policy.
TERRAFORM_ENVIRONMENT = "terraform"


# Plan actions that change nothing: anything else in a resource change is pending.
UNCHANGED_ACTIONS = frozenset({"no-op", "read"})


class ResourceChange(Frozen):
    """A resource_changes (or resource_drift) entry; containers only for task definitions."""

    address: str
    type: str
    actions: tuple[str, ...]
    previous_address: str | None = None
    before_containers: tuple[ContainerVars, ...] | None = None
    after_containers: tuple[ContainerVars, ...] | None = None
    after_unknown: bool = Field(
        default=False, description="container_definitions known only after apply"
    )

    @property
    def is_pending(self) -> bool:
        """An action other than no-op and read: declared, not applied."""
        return bool(set(self.actions) - UNCHANGED_ACTIONS)

    @property
    def is_move(self) -> bool:
        return self.previous_address is not None and self.previous_address != self.address


class DeferredChange(Frozen):
    """A deferred_changes entry (plan format 1.2+): a change Terraform has not worked out
    yet, so the plan does not say what it would do."""

    address: str
    type: str
    reason: str = Field(description="Terraform's reason code, e.g. resource_config_unknown")


class OutputChange(Frozen):
    name: str
    actions: tuple[str, ...]


class PlannedTaskDefinition(Frozen):
    """An aws_ecs_task_definition in planned_values: what Terraform declares."""

    address: str
    family: str | None
    containers: tuple[ContainerVars, ...] | None = Field(
        description="None when known only after apply"
    )
    # "unset": execution_role_arn is null in the plan; "unknown": known after apply (the
    # plan omits unknown values) or not in the plan at all.
    execution_role: Literal["set", "unset", "unknown"] = "unknown"


class PlannedService(Frozen):
    """An aws_ecs_service in planned_values, and the task definition resource it refers to."""

    address: str
    name: str | None
    cluster: str | None
    task_definition: str | None
    # The one task definition resource the service's expression refers to, when it refers
    # to exactly one and to no data source.
    task_definition_address: str | None = None
    # Every task definition its expression refers to: resources and data sources (`data.`).
    task_definition_references: tuple[str, ...] = ()


class Plan(Frozen):
    """A `terraform show -json` plan: names and references only, never values."""

    format_version: str
    terraform_version: str | None = None
    resource_changes: tuple[ResourceChange, ...] = ()
    resource_drift: tuple[ResourceChange, ...] = ()
    output_changes: tuple[OutputChange, ...] = ()
    task_definitions: tuple[PlannedTaskDefinition, ...] = ()
    services: tuple[PlannedService, ...] = ()
    region: str | None = None
    errored: bool = False
    complete: bool = True
    deferred: tuple[DeferredChange, ...] = ()
    module_sources: dict[str, str] = Field(
        default_factory=dict, description="module path (no instance keys) -> source as written"
    )

    @property
    def has_changes(self) -> bool:
        """What -detailed-exitcode 2 should mean: pending resources, moves or output changes."""
        return any(change.is_pending or change.is_move for change in self.resource_changes) or any(
            set(output.actions) - {"no-op"} for output in self.output_changes
        )
