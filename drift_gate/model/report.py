"""Findings and the report: what a run found, and everything every output format renders."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import Field

from drift_gate.model.base import Frozen
from drift_gate.model.levels import FailOn, LinkState, Severity, Verdict

__all__ = [
    "CheckedService",
    "FailOn",
    "Finding",
    "LinkResult",
    "LinkState",
    "Report",
    "ScannedScope",
    "Severity",
    "SmokeResult",
    "Stats",
    "Target",
    "ToolInfo",
    "Verdict",
    "Waived",
]


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
    declared: tuple[str, ...] = Field(
        default=(),
        description="each other declared side the live check read, as read: a CloudFormation "
        "template and how its services were matched to running ones",
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
