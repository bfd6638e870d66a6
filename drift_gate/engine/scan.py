"""`drift-gate scan`: find every service in the accounts and regions given, and check it.

Three steps, one module each: discovery reads what runs (engine/scan_discovery.py, one
pipeline over one bounded pool), assignment gives each service its policy entry, exact or
by `match:` (engine/scan_assignment.py), and judging, here, runs the checks on the cached
answers with the same code as `check` (engine/service_checks.py), so a scanned service is
judged exactly as a checked one, and builds the Report.

Without a policy, every service gets the checks that need no declaration (latest ACTIVE
revision, rollout, credentials in plain variables, every referenced secret exists).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime

from drift_gate.chain import Link
from drift_gate.checks.discovery import cluster_found_nowhere, scope_unverified
from drift_gate.engine.outcome import ServiceResult, build_report, utc_now
from drift_gate.engine.scan_assignment import assign, candidate_environments, resolve_selectors
from drift_gate.engine.scan_discovery import (
    RegionScan,
    Scanner,
    ScanOptions,
    discover,
    unlisted_clusters,
)
from drift_gate.engine.service_checks import check_service, later_links, unverified_run
from drift_gate.engine.service_run import ServiceRun
from drift_gate.engine.waivers import apply_waivers
from drift_gate.model import Finding, Report, ScannedScope, ServiceState, Target
from drift_gate.policy import EnvironmentPolicy, Policy, ServicePolicy
from drift_gate.sources.accounts import Account
from drift_gate.sources.aws import AwsClients, Failure
from drift_gate.sources.ecs import EcsReader, ServiceLookup

# What callers import from here: the scan's entry and the names it takes and gives.
__all__ = [
    "RegionScan",
    "ScanOptions",
    "Scanner",
    "aws_calls",
    "judge",
    "resolve_selectors",
    "run_scan",
]


def judge(
    scans: Sequence[RegionScan],
    policy: Policy | None,
    options: ScanOptions,
    scanner: Scanner,
    clock: Callable[[], datetime],
) -> tuple[list[ServiceResult], list[ScannedScope]]:
    """Every service's checks, on the answers already read; the scope of each region."""
    results: list[ServiceResult] = []
    scopes: list[ScannedScope] = []
    for scan in scans:
        if scan.failure is not None or scan.reader is None:
            results.append(ServiceResult(None, (_scope_finding(scan),)))
        else:
            results.extend(_judge_region(scan, policy, options, scanner, clock))
        scopes.append(_scope(scan))  # after judging: it adds what it saw and did not check
    results.append(ServiceResult(None, tuple(_clusters_found_nowhere(scans, options))))
    return results, scopes


def _clusters_found_nowhere(scans: Sequence[RegionScan], options: ScanOptions) -> list[Finding]:
    """A --cluster that no account and region read has: a typo must not read as a pass."""
    readable = [scan for scan in scans if scan.failure is None and scan.reader is not None]
    if not readable or len(readable) < len(scans):
        return []  # an unread region might hold it: that run is could-not-verify already
    regions = ", ".join(sorted({scan.region for scan in readable}))
    return [
        cluster_found_nowhere(cluster, regions)
        for cluster in options.clusters
        if all(cluster in scan.missing_clusters for scan in readable)
    ]


def _judge_region(
    scan: RegionScan,
    policy: Policy | None,
    options: ScanOptions,
    scanner: Scanner,
    clock: Callable[[], datetime],
) -> list[ServiceResult]:
    assert scan.reader is not None  # noqa: S101 - judge() calls this for readable regions only
    assert scan.account.clients is not None  # noqa: S101
    unlisted = unlisted_clusters(scan)
    results = [ServiceResult(None, tuple(unlisted))] if unlisted else []
    groups, stale = assign(scan, candidate_environments(policy, scan), options)
    results.append(ServiceResult(None, tuple(stale)))
    for group in groups:
        runs = [
            _run(group.environment, service, lookup, scan.reader)
            for service, lookup in group.services
        ]
        verified = [run for run in runs if run.deployed is not None]
        later_links(
            verified,
            group.environment,
            options.check,
            scan.account.clients,
            scanner.stores(scan.account),
            clock,
        )
        results.extend(run.result() for run in runs)
    return results


def _run(
    environment: EnvironmentPolicy,
    service: ServicePolicy,
    lookup: ServiceLookup | Failure,
    reader: EcsReader,
) -> ServiceRun:
    if isinstance(lookup, Failure):
        return unverified_run(environment, service, lookup, Link.SERVICE_EXISTS)
    return check_service(environment, service, lookup, reader)


def _scope_finding(scan: RegionScan) -> Finding:
    failure = scan.failure or Failure("not scanned", "")
    target = Target(environment=scan.region, account=scan.account_id, region=scan.region)
    scope = f"{scan.account.words()} in {scan.region}"
    return scope_unverified(target, scope, failure.reason, failure.fix or None)


def _scope(scan: RegionScan) -> ScannedScope:
    notes = list(scan.notes)
    notes += [f"cluster {name} does not exist" for name in sorted(scan.missing_clusters)]
    return ScannedScope(
        account=scan.account_id,
        account_source=scan.account.spec.words(),
        region=scan.region,
        clusters=len(scan.cluster_names) - len(scan.missing_clusters),
        services=len(scan.lookups),
        verified=scan.failure is None and not scan.cluster_failures,
        notes=tuple(notes),
    )


def aws_calls(accounts: Iterable[Account], *more: AwsClients) -> dict[str, int]:
    """The calls of every account's clients, counted once each (accounts may share them)."""
    seen: dict[int, AwsClients] = {}
    for clients in (*(account.clients for account in accounts), *more):
        if clients is not None:
            seen.setdefault(id(clients), clients)
    calls: dict[str, int] = {}
    for clients in seen.values():
        for operation, count in clients.calls.items():
            calls[operation] = calls.get(operation, 0) + count
    return calls


def run_scan(
    accounts: Sequence[Account],
    policy: Policy | None,
    options: ScanOptions,
    on_tick: Callable[[Scanner], None] | None = None,
    clock: Callable[[], datetime] = utc_now,
    more_clients: Sequence[AwsClients] = (),
) -> Report:
    """Discover, read and check every service of every account and region."""
    started_at = clock()
    waited = _wait_first(accounts, options) if options.wait_seconds else []
    scanner = discover(accounts, options, on_tick)
    results, scopes = judge(scanner.scans, policy, options, scanner, clock)
    results.append(ServiceResult(None, tuple(waited)))
    report = build_report(
        apply_waivers(results, policy, started_at.date()),
        options.check.fail_on,
        started_at,
        clock(),
        policy.source if policy else None,
        aws_calls(accounts, *more_clients),
    )
    return report.model_copy(update={"scanned": tuple(scopes)})


def _wait_first(accounts: Sequence[Account], options: ScanOptions) -> list[Finding]:
    """--wait for a scan: find the services (names only), wait for their rollouts, all
    accounts and regions in one bounded wait; the findings (rollbacks, time out) are the
    scan's own, naming the service in their message. The scan then lists everything again,
    on purpose: what runs may have changed while it waited."""
    from drift_gate.engine.wait import wait_for_rollouts

    discovery = ScanOptions(
        regions=options.regions,
        clusters=options.clusters,
        concurrency=options.concurrency,
        discover_only=True,
        region_problems=options.region_problems,
    )
    scanner = discover(accounts, discovery)
    deadline = time.monotonic() + (options.wait_seconds or 0)
    findings: list[Finding] = []
    for scan in scanner.scans:
        if scan.reader is None or scan.failure is not None or scan.account.clients is None:
            continue  # the scan itself reports what it cannot read
        services = tuple(
            ServicePolicy(cluster=cluster, service=name, containers=())
            for (cluster, name), lookup in scan.lookups.items()
            if isinstance(lookup, ServiceState) and lookup.status == "ACTIVE"
        )
        environment = EnvironmentPolicy(
            name=scan.region, region=scan.region, account=scan.account_id, services=services
        )
        left = max(1.0, deadline - time.monotonic())
        for finding in wait_for_rollouts([environment], scan.account.clients, left, options.say):
            # Run-level: the service's own entry may sit under a policy environment's name.
            target = finding.target.model_copy(update={"service": None, "account": scan.account_id})
            place = f"{finding.target.cluster}/{finding.target.service}: "
            findings.append(
                finding.model_copy(update={"target": target, "message": place + finding.message})
            )
    return findings
