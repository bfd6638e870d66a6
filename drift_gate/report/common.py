"""What several formats share: grouping findings by service, locations, fingerprints."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath

from drift_gate.model import CheckedService, Finding, Report, Severity, Target

SEVERITY_ORDER = (Severity.ERROR, Severity.WARNING, Severity.INFO)


@dataclass(frozen=True)
class Location:
    """A file and line parsed from a finding's `declared_in`."""

    path: str
    line: int


def location(
    finding: Finding, workspace: str | None = None, base: str | None = None
) -> Location | None:
    """`declared_in` as a Location; see `place`."""
    return place(finding.declared_in, workspace, base)


def place(
    declared_in: str | None, workspace: str | None = None, base: str | None = None
) -> Location | None:
    """`file:line` as a Location whose path is relative to the repository root (`workspace`,
    GITHUB_WORKSPACE) when it lies under it: a relative path is first taken from `base`, the
    directory drift-gate ran in, which may be below the root (`working-directory`)."""
    if not declared_in:
        return None
    path, _, line = declared_in.rpartition(":")
    if not path or not line.isdigit():
        return None
    full = PurePosixPath(path)
    if base and not full.is_absolute():
        full = PurePosixPath(base) / full
    if workspace and full.is_relative_to(PurePosixPath(workspace)):
        path = str(full.relative_to(PurePosixPath(workspace)))
    return Location(path, int(line))


def fingerprint(finding: Finding) -> str:
    """Stable across runs: the rule and where, never the message, times or task definition ARNs."""
    target = finding.target
    key = "|".join(
        str(part or "")
        for part in (
            finding.rule_id,
            target.environment,
            target.region,
            target.cluster,
            target.service,
            target.resource,
            target.container,
            target.variable,
        )
    )
    if target.account:  # appended only when set, so findings without one keep their prints
        key += f"|{target.account}"
    if target.request:  # a smoke request: two to one URL are told apart by where they are
        key += f"|{target.request}|{finding.declared_in or ''}"
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


def belongs(finding: Finding, service: CheckedService) -> bool:
    return service_key(finding.target) == service_key(service)


def service_key(where: CheckedService | Target) -> tuple[str | None, ...]:
    """What tells a service apart in a report: a finding belongs to the service of its key."""
    return (where.environment, where.account, where.cluster, where.service)


def findings_by_service(report: Report) -> dict[tuple[str | None, ...], list[Finding]]:
    """Each service's findings in report order, by `service_key`, from one pass: a report
    of thousands of services and findings must not compare every pair."""
    found: dict[tuple[str | None, ...], list[Finding]] = {}
    for finding in report.findings:
        found.setdefault(service_key(finding.target), []).append(finding)
    return found


@dataclass(frozen=True)
class Group:
    """Findings about one service, or about the Terraform plan (service is None)."""

    title: str
    environment: str
    service: CheckedService | None
    findings: tuple[Finding, ...]


def groups(report: Report) -> Iterator[Group]:
    """The plan's findings first (if any), then each service's, in report order."""
    plan_findings = tuple(f for f in report.findings if f.target.service is None)
    if plan_findings or (report.plan and not report.offline):
        environment = plan_findings[0].target.environment if plan_findings else "terraform"
        # Without a plan these are the run's own: an account or region a scan could not
        # read, a `match:` entry that selects nothing, a configuration that cannot be used.
        title = (
            f"terraform plan {report.plan}" if report.plan else "scan" if report.scanned else "run"
        )
        yield Group(title, environment, None, plan_findings)
    by_service = findings_by_service(report)
    for service in report.services:
        place = service_key(service)
        title = " / ".join(part for part in place if part)
        yield Group(title, service.environment, service, tuple(by_service.get(place, ())))


def where_text(finding: Finding) -> str:
    """`resource/container/variable` as far as the finding has them."""
    target = finding.target
    return "/".join(part for part in (target.resource, target.container, target.variable) if part)


def unchecked_lines(service: CheckedService | None) -> list[str]:
    """`link: not checked (why)` for each link of a service that did not pass or fail.

    A report without link states (offline, or from drift-gate 0.1) lists none here; the
    HTML chain then draws every link as not checked rather than as ok.
    """
    if service is None:
        return []
    return [
        f"{link.link}: {link.state.value.replace('-', ' ')}"
        + (f" ({link.reason})" if link.reason else "")
        for link in service.unchecked_links()
    ]


def waiver_text(finding: Finding) -> str:
    """`waived until 2026-12-31 (32 day(s) left): REASON; owner OWNER; waiver at FILE:LINE`."""
    waiver = finding.waiver
    if waiver is None:
        return ""
    text = f"waived until {waiver.expires} ({waiver.days_left} day(s) left): {waiver.reason}"
    if waiver.owner:
        text += f"; owner {waiver.owner}"
    if waiver.declared_in:
        text += f"; waiver at {waiver.declared_in}"
    return text


def scope_lines(report: Report) -> list[str]:
    """`123456789012 us-east-1 (the default credentials): 20 cluster(s), 1000 service(s)`,
    then each note, for every account and region a scan read."""
    lines = []
    for scope in report.scanned:
        state = "" if scope.verified else " (could not be read in full)"
        lines.append(
            f"{scope.account or 'account unknown'} {scope.region} ({scope.account_source}): "
            f"{scope.clusters} cluster(s), {scope.services} service(s){state}"
        )
        lines.extend(f"note: {note}" for note in scope.notes)
    return lines


def smoke_lines(service: CheckedService | None) -> list[str]:
    """`POST https://api/predict -> 200: passed (drift-gate.yaml:40)` for each smoke request
    sent, with where it is declared (two requests to one URL are two lines)."""
    if service is None:
        return []
    return [
        f"{result.request} -> {result.status if result.status is not None else 'no answer'}: "
        f"{result.outcome.value.replace('-', ' ')}"
        + (f" ({result.declared_in})" if result.declared_in else "")
        for result in service.smoke
    ]
