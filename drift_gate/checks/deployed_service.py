"""Every rule on what was fetched for one declared service that runs: the service as
DescribeServices answered it, the task definition its PRIMARY deployment runs, and the latest
ACTIVE revision of its family. `check` and `scan` run them all through `check_deployed`.

A new rule on this data is a function taking (context, DeployedService) and returning its
findings, added to SERVICE_CHECKS: the engine needs no change (CONTRIBUTING.md, "Add a rule").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from drift_gate.checks.credentials import check_credentials
from drift_gate.checks.deployment import check_revision, check_rollout
from drift_gate.checks.findings import ServiceContext
from drift_gate.checks.service import container_missing
from drift_gate.checks.variables import RUNNING, Candidate, check_container, empty_references
from drift_gate.model import Finding, ServicePolicy, ServiceState, TaskDefinitionSpec


@dataclass(frozen=True)
class DeployedService:
    """What ECS answered about a declared service whose task definition was read."""

    declared: ServicePolicy
    service: ServiceState
    deployed: TaskDefinitionSpec
    latest_arn: str | None  # the latest ACTIVE revision of the family
    latest: TaskDefinitionSpec | None  # read only when it is not the deployed one
    # How findings name the task definition: the running one, or a deployment's target.
    candidate: Candidate = RUNNING

    def declared_plain(self) -> dict[str, frozenset[str]]:
        """Each declared container's plain variables: names the policy says are not secrets."""
        return {c.name: frozenset(v.name for v in c.environment) for c in self.declared.containers}


ServiceCheck = Callable[[ServiceContext, DeployedService], list[Finding]]


def check_deployed(context: ServiceContext, answer: DeployedService) -> list[Finding]:
    """The findings of every rule in SERVICE_CHECKS, in order."""
    return [finding for check in SERVICE_CHECKS for finding in check(context, answer)]


def _revision(context: ServiceContext, answer: DeployedService) -> list[Finding]:
    return check_revision(context, answer.deployed, answer.latest_arn)


def _rollout(context: ServiceContext, answer: DeployedService) -> list[Finding]:
    return check_rollout(context, answer.service)


def _containers(context: ServiceContext, answer: DeployedService) -> list[Finding]:
    """Each declared container against the running one (DG1xx), DG207 for one not there;
    DG108 in the containers the policy does not declare too."""
    findings: list[Finding] = []
    deployed, latest = answer.deployed, answer.latest
    for declared in answer.declared.containers:
        running = deployed.container(declared.name)
        if running is None:
            where = answer.declared.where
            findings.append(container_missing(context, deployed.arn, declared.name, where))
            continue
        latest_container = latest.container(declared.name) if latest else None
        findings += check_container(
            context, declared.declared(), running, latest_container, answer.candidate
        )
    declared_names = {c.name for c in answer.declared.containers}
    for undeclared in (c for c in deployed.containers if c.name not in declared_names):
        findings += empty_references(context, undeclared, answer.candidate)
    return findings


def _credentials(context: ServiceContext, answer: DeployedService) -> list[Finding]:
    return check_credentials(context, answer.deployed.containers, answer.declared_plain())


# The rules on a deployed service's answers, in the order their findings are listed.
SERVICE_CHECKS: tuple[ServiceCheck, ...] = (_revision, _rollout, _containers, _credentials)

# The rules on a deployment's target revision, before it runs (a lifecycle hook): what its
# containers would receive. The service's own rollout (DG202-DG204) is the deployment being
# judged, and the latest registered revision (DG201) is not what is asked about.
REVISION_CHECKS: tuple[ServiceCheck, ...] = (_containers, _credentials)


def check_target_revision(context: ServiceContext, answer: DeployedService) -> list[Finding]:
    """The findings of every rule in REVISION_CHECKS, `answer.deployed` being the target."""
    return [finding for check in REVISION_CHECKS for finding in check(context, answer)]
