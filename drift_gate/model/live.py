"""The live side: what ECS reports, reduced to names and references.

A live environment variable keeps its name and, at most, the name of the credential format
its value matched; the value itself is dropped in sources/ecs.py and never reaches a model.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import Field, model_validator

from drift_gate.model.base import Frozen


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
