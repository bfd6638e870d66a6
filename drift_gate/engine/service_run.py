"""One service while the gate checks it, and how each later link ended for it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from drift_gate.chain import Link
from drift_gate.checks.findings import ServiceContext
from drift_gate.engine.links import chain_results
from drift_gate.engine.outcome import ServiceResult, apply_ignores
from drift_gate.model import (
    CheckedService,
    Deployment,
    Finding,
    ServiceState,
    SmokeResult,
    Target,
    TaskDefinitionSpec,
)
from drift_gate.policy import ServicePolicy


@dataclass(frozen=True)
class LinkOutcome:
    """What one later link found for one service: findings, or why it did not run or verify."""

    findings: tuple[Finding, ...] = ()
    not_checked: str | None = None
    unverified: str | None = None


def outcome_of(found: Sequence[Finding]) -> LinkOutcome:
    """A link that ran: its findings, and the first that could not verify, if any."""
    unverified = next((f for f in found if f.is_unverified), None)
    return LinkOutcome(tuple(found), unverified=unverified.message if unverified else None)


@dataclass
class ServiceRun:
    """One service while it is checked: later links (secret stores, logs) add findings."""

    target: Target
    service: ServicePolicy
    checked: CheckedService
    findings: list[Finding]
    deployed: TaskDefinitionSpec | None = None
    primary: Deployment | None = None
    state: ServiceState | None = None  # what DescribeServices said, for the tasks link
    # Link keys (drift_gate/links.py) that did not run, or ran and could not verify: why.
    not_checked: dict[Link, str] = field(default_factory=dict)
    unverified: dict[Link, str] = field(default_factory=dict)
    smoke: list[SmokeResult] = field(default_factory=list)

    def context(self) -> ServiceContext:
        """What every finding about this service shares."""
        return ServiceContext(
            self.target, self.checked.deployed_task_definition, self.checked.latest_task_definition
        )

    def result(self) -> ServiceResult:
        """The outcome, without the rules the policy ignores, and the state of every link."""
        kept = apply_ignores(self.findings, self.service.ignore)
        links = chain_results(kept, not_checked=self.not_checked, unverified=self.unverified)
        checked = self.checked.model_copy(update={"links": links, "smoke": tuple(self.smoke)})
        return ServiceResult(checked, kept)

    def record(self, link: Link, outcome: LinkOutcome) -> None:
        """Take a later link's outcome for this service."""
        self.findings.extend(outcome.findings)
        if outcome.not_checked is not None:
            self.not_checked[link] = outcome.not_checked
        if outcome.unverified is not None:
            self.unverified[link] = outcome.unverified
