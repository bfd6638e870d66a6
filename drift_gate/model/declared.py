"""The declared model: what an environment, a service and a container must have, whoever
declares it (a policy today; a Terraform plan, Terraform sources, task-definition files and,
later, CloudFormation produce the same models).

Every check compares these with a candidate (the live task definition, the planned one, the
Terraform sources). The class names keep the words of the policy format (`ServicePolicy`,
`ContainerPolicy`, ...) because the policy was the first declared source; drift_gate.policy
re-exports them. This module imports nothing of drift-gate but the model (errors.py, a leaf,
lazily where a window cannot be read).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Literal, Protocol

from pydantic import Field

from drift_gate.model.base import Frozen
from drift_gate.model.report import Finding

# CloudWatch Logs keeps events for at most 10 years; a longer window is a typo.
MAX_LOG_WINDOW = timedelta(days=3653)


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


class DeclaredSecret(Frozen):
    """A secret name a container must receive, optionally with the valueFrom it must use."""

    name: str
    value_from: str | None = None
    where: str | None = Field(default=None, description="file:line of the declaration")


class DeclaredVariable(Frozen):
    """A plain environment variable name a container must receive."""

    name: str
    where: str | None = None


class ContainerPolicy(Frozen):
    """What one container must receive: secrets, plain variables, the dotenv files naming more."""

    name: str
    secrets: tuple[DeclaredSecret, ...] = ()
    environment: tuple[DeclaredVariable, ...] = ()
    dotenv: tuple[Path, ...] = Field(default=(), description="dotenv files whose names it requires")

    @property
    def declared_names(self) -> frozenset[str]:
        return frozenset(s.name for s in self.secrets) | {v.name for v in self.environment}

    def declared(self) -> DeclaredContainer:
        """The names this container declares, as the one declared model (dotenv files are
        read elsewhere)."""
        container = DeclaredContainer(name=self.name)
        for secret in self.secrets:
            where = (secret.where,) if secret.where else ()
            container = container.with_name(
                DeclaredName(
                    name=secret.name, secret=True, value_from=secret.value_from, where=where
                )
            )
        for variable in self.environment:
            where = (variable.where,) if variable.where else ()
            container = container.with_name(
                DeclaredName(name=variable.name, secret=False, where=where)
            )
        return container


class LogPolicy(Frozen):
    """Phrases the service's application log must not show, and over which window."""

    group: str
    forbid: tuple[str, ...]
    since: str = "deployment"

    def window(self) -> timedelta | None:
        """The duration to look back, or None for "since the PRIMARY deployment started"."""
        if self.since == "deployment":
            return None
        window = self.window_or_none()
        if window is None:  # validate-policy refuses these; a model built elsewhere may not
            from drift_gate.errors import InvalidInputError

            raise InvalidInputError("logs.since is not a duration drift-gate reads")
        return window

    def window_or_none(self) -> timedelta | None:
        """The duration `since` names, or None when it is too long to be one (> 10 years)."""
        unit = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}[self.since[-1]]
        digits = self.since[:-1]
        if len(digits) > 9:  # beyond timedelta (999,999,999 days) and any real window
            return None
        window = timedelta(**{unit: int(digits)})
        return window if window <= MAX_LOG_WINDOW else None


class SmokeHeader(Frozen):
    """A request header: a literal value, or the name of an environment variable holding it."""

    name: str
    value: str | None = None
    env: str | None = None


class SmokeRequest(Frozen):
    """One request the application must answer as declared (the value of `env` headers is
    read when the request is sent, never kept in a model, a report or a message)."""

    url: str
    method: str = "GET"
    headers: tuple[SmokeHeader, ...] = ()
    json_body: str | None = Field(default=None, description="the `json:` body, as JSON text")
    expect: tuple[int, ...] = (200,)
    forbid: tuple[str, ...] = ()
    timeout: float = 10.0
    retries: int = 0
    allow_http: bool = False
    where: str | None = None


class ServicePolicy(Frozen):
    """What one service (by cluster and name) declares: its containers, logs and smoke requests."""

    cluster: str
    service: str
    containers: tuple[ContainerPolicy, ...]
    ignore: frozenset[str] = frozenset()
    logs: LogPolicy | None = None
    smoke: tuple[SmokeRequest, ...] = ()
    where: str | None = None


class ServiceSelector(Frozen):
    """Which discovered services a `match:` entry declares for; every given key must match."""

    service: str | None = None
    cluster: str | None = None
    tags: tuple[tuple[str, str], ...] = ()

    def matches(self, cluster: str, service: str, tags: Sequence[tuple[str, str]]) -> bool:
        """Whether a service (by name, cluster and tags) is one this entry declares for."""
        if self.service is not None and not fnmatchcase(service, self.service):
            return False
        if self.cluster is not None and not fnmatchcase(cluster, self.cluster):
            return False
        have = dict(tags)
        return all(key in have and fnmatchcase(have[key], pattern) for key, pattern in self.tags)

    def words(self) -> str:
        """`service hokusai-* in cluster ml-* with tags team=ml`, for messages."""
        parts = [f"service {self.service}" if self.service else "every service"]
        if self.cluster:
            parts.append(f"in cluster {self.cluster}")
        if self.tags:
            parts.append("with tags " + ", ".join(f"{k}={v}" for k, v in self.tags))
        return " ".join(parts)


class SelectorPolicy(Frozen):
    """An entry that declares for every discovered service it matches."""

    match: ServiceSelector
    containers: tuple[ContainerPolicy, ...]
    ignore: frozenset[str] = frozenset()
    logs: LogPolicy | None = None
    smoke: tuple[SmokeRequest, ...] = ()
    where: str | None = None

    def for_service(self, cluster: str, service: str) -> ServicePolicy:
        """What this entry declares, for one service it matched."""
        return ServicePolicy(
            cluster=cluster,
            service=service,
            containers=self.containers,
            ignore=self.ignore,
            logs=self.logs,
            smoke=self.smoke,
            where=self.where,
        )


SecretChecks = Literal["required", "best-effort", "off"]
RoleChecks = Literal["required", "best-effort", "off"]


class DeepChecks(Frozen):
    """The links around the chain, switched per environment (None: the command's default)."""

    images: bool | None = None
    running_tasks: bool | None = None
    # Unanswered simulator: best-effort makes it a warning, required exit 3.
    execution_role: RoleChecks | None = None


class EnvironmentPolicy(Frozen):
    """One environment (a region, maybe an account): its services, selections and link modes."""

    name: str
    region: str
    account: str | None = Field(default=None, description="AWS account id; None: any scanned")
    services: tuple[ServicePolicy, ...]
    selectors: tuple[SelectorPolicy, ...] = ()
    secret_checks: SecretChecks = "required"  # noqa: S105 - a mode, not a password
    checks: DeepChecks = DeepChecks()


# --- Declared sides: what each turns its input into ------------------------------------

# (region, cluster, service): a service as every declared side names it.
ServiceKey = tuple[str, str, str]


@dataclass(frozen=True)
class DeclaredScope:
    """What a source is asked for: the environment (--environment) and region (--region)
    chosen, and the services the sources before it already declare."""

    environment: str | None = None
    region: str | None = None
    already: frozenset[ServiceKey] = frozenset()
    # The run's AWS clients (sources/aws.AwsClients: its retries, timeouts, deadline and call
    # counts), for a side that reads AWS itself (a template's --stack); None offline.
    clients: object | None = None


@dataclass(frozen=True)
class Declared:
    """What one or more declared sources say: the services to check, and their own findings."""

    environments: tuple[EnvironmentPolicy, ...] = ()
    findings: tuple[Finding, ...] = ()

    def services(self) -> frozenset[ServiceKey]:
        return frozenset(
            (environment.region, service.cluster, service.service)
            for environment in self.environments
            for service in environment.services
        )

    def plus(self, more: Declared) -> Declared:
        return Declared(self.environments + more.environments, self.findings + more.findings)


class DeclaredSource(Protocol):
    """One declared side. `label` names its input (a file, a directory) in its messages.

    A side honours its scope: only the environment `scope.environment` names, when it
    names one; and a service in `scope.already` that this side cannot say anything about is
    left to the side that declares it (not reported as "not checked"). A service two sides
    both declare is checked against each, as a policy and a plan are today.
    """

    @property
    def label(self) -> str: ...

    def declared(self, scope: DeclaredScope) -> Declared:
        """The services this side declares within `scope`, and its own findings. Input it
        cannot read is InvalidInputError (exit 2); a service it cannot say anything about
        is a finding (DG9xx: could not verify), never left out."""
        ...
