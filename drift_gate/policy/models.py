"""The policy file's own models: the whole policy, its waivers and their limits, and a problem
found in it. What it declares for environments, services and containers is the declared
model (drift_gate/model/declared.py), which other declared sources produce too."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from fnmatch import fnmatchcase

from pydantic import Field

from drift_gate.model.base import Frozen
from drift_gate.model.declared import EnvironmentPolicy, ServicePolicy
from drift_gate.model.report import Finding
from drift_gate.schema_words import shown_path
from drift_gate.yamlfile import JsonPath


class WaiverPolicy(Frozen):
    """A finding accepted until a date: which rule and where (globs), why, who, until when."""

    rule: str
    environment: str = "*"
    account: str = "*"
    cluster: str = "*"
    service: str = "*"
    container: str = "*"
    name: str = "*"
    reason: str
    owner: str | None = None
    expires: date
    where: str | None = None

    def matches(self, finding: Finding) -> bool:
        """Whether this waiver covers the finding (never a DG9xx: those cannot be waived)."""
        if finding.rule_id != self.rule or finding.is_unverified:
            return False
        target = finding.target
        return all(
            fnmatchcase(value or "", pattern)
            for value, pattern in (
                (target.environment, self.environment),
                (target.account, self.account),
                (target.cluster, self.cluster),
                (target.service, self.service),
                (target.container, self.container),
                (target.variable, self.name),
            )
        )

    def words(self) -> str:
        """`DG201 on production/prod/batch-*`, for messages."""
        place = "/".join(
            part
            for part in (
                self.environment,
                self.account,
                self.cluster,
                self.service,
                self.container,
                self.name,
            )
            if part != "*"
        )
        return f"{self.rule} on {place or 'every target'}"


class WaiverLimits(Frozen):
    max_days: int = 90
    warn_days: int = 14


class Policy(Frozen):
    """A whole policy file, validated."""

    source: str
    version: int
    environments: tuple[EnvironmentPolicy, ...]
    waivers: tuple[WaiverPolicy, ...] = ()
    waiver_limits: WaiverLimits = WaiverLimits()
    deprecations: tuple[str, ...] = Field(
        default=(), description="file:line: what is deprecated and what to write instead"
    )

    @property
    def services(self) -> tuple[tuple[EnvironmentPolicy, ServicePolicy], ...]:
        return tuple((env, service) for env in self.environments for service in env.services)


@dataclass(frozen=True)
class PolicyProblem:
    """One reason a policy file is invalid, located by file, line and JSON path."""

    source: str
    line: int
    path: JsonPath
    message: str

    def __str__(self) -> str:
        return f"{self.source}:{self.line}: {shown_path(self.path)}: {self.message}"
