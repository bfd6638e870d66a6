"""`drift-gate scan`, assignment: each discovered service to its policy entry.

A service is matched by its exact entry, else by the first `match:` entry that selects it,
in file order, else it is unmanaged (the checks that need no declaration); an entry that
matches nothing is a finding (DG208). `check` resolves its `match:` entries here too.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase

from drift_gate.checks.discovery import selector_matches_nothing, selector_unverified
from drift_gate.engine.scan_discovery import (
    DEFAULT_CONCURRENCY,
    RegionScan,
    ScanOptions,
    discover,
    unlisted_clusters,
)
from drift_gate.model import Finding, ServiceState, Target
from drift_gate.policy import EnvironmentPolicy, Policy, SelectorPolicy, ServicePolicy
from drift_gate.sources.accounts import Account, AccountSpec
from drift_gate.sources.aws import AwsClients, Failure
from drift_gate.sources.ecs import ClusterMissing, ServiceLookup, ServiceMissing


@dataclass
class Assigned:
    """The services of one policy environment (or of none) in one account and region."""

    environment: EnvironmentPolicy
    services: list[tuple[ServicePolicy, ServiceLookup | Failure]] = field(default_factory=list)


def candidate_environments(policy: Policy | None, scan: RegionScan) -> list[EnvironmentPolicy]:
    """The policy environments that apply to this account and region."""
    if policy is None:
        return []
    return [
        env
        for env in policy.environments
        if env.region == scan.region and env.account in (None, scan.account_id)
    ]


def assign(
    scan: RegionScan, environments: list[EnvironmentPolicy], options: ScanOptions
) -> tuple[list[Assigned], list[Finding]]:
    """Each discovered service to its policy entry (or to none), and stale entries."""
    unmanaged = Assigned(
        EnvironmentPolicy(
            name=scan.region,
            region=scan.region,
            account=scan.account_id,
            services=(),
            secret_checks=options.check.secret_checks or "required",
        )
    )
    groups = {
        env.name: Assigned(env.model_copy(update={"account": scan.account_id}))
        for env in environments
    }
    exact = {
        (service.cluster, service.service): env.name
        for env in environments
        for service in env.services
    }
    selected: set[int] = set()
    for (cluster, name), lookup in scan.lookups.items():
        if (cluster, name) in exact:
            continue  # checked below with its entry, found or not
        if isinstance(lookup, ServiceState) and lookup.status != "ACTIVE":
            scan.notes.append(f"service {cluster}/{name} is {lookup.status}: not checked")
            continue
        tags = lookup.tags if isinstance(lookup, ServiceState) else ()
        match = _first_selector(environments, cluster, name, tags)
        if match is None:
            unmanaged.services.append(
                (ServicePolicy(cluster=cluster, service=name, containers=()), lookup)
            )
            continue
        env, selector = match
        selected.add(id(selector))
        groups[env.name].services.append((selector.for_service(cluster, name), lookup))
    for env in environments:
        for service in env.services:
            known = _declared_lookup(scan, service)
            if known is not None:
                groups[env.name].services.append((service, known))
    stale = [
        _stale_selector(scan, env, selector)
        for env in environments
        for selector in env.selectors
        if id(selector) not in selected and _selector_in_scope(scan, selector)
    ]
    return [unmanaged, *groups.values()], stale


def _first_selector(
    environments: Iterable[EnvironmentPolicy],
    cluster: str,
    name: str,
    tags: Sequence[tuple[str, str]],
) -> tuple[EnvironmentPolicy, SelectorPolicy] | None:
    for env in environments:
        for selector in env.selectors:
            if selector.match.matches(cluster, name, tags):
                return env, selector
    return None


def _declared_lookup(scan: RegionScan, service: ServicePolicy) -> ServiceLookup | Failure | None:
    """What the scan knows of an exactly declared service; None when out of the scan's scope."""
    key = (service.cluster, service.service)
    if key in scan.lookups:
        return scan.lookups[key]
    if service.cluster in scan.cluster_failures:
        return scan.cluster_failures[service.cluster]
    if service.cluster in scan.missing_clusters:
        return ClusterMissing()
    if service.cluster in scan.cluster_names:
        return ServiceMissing("ListServices does not list it")
    if scan.clusters_given:
        return None
    return ClusterMissing()


def _selector_in_scope(scan: RegionScan, selector: SelectorPolicy) -> bool:
    cluster = selector.match.cluster
    if cluster is None or not scan.clusters_given:
        return True
    return any(fnmatchcase(name, cluster) for name in scan.cluster_names)


def _stale_selector(scan: RegionScan, env: EnvironmentPolicy, selector: SelectorPolicy) -> Finding:
    target = Target(environment=env.name, account=scan.account_id, region=scan.region)
    return selector_matches_nothing(target, selector, scan.account_id, scan.region)


def resolve_selectors(
    environment: EnvironmentPolicy, clients: AwsClients, concurrency: int = DEFAULT_CONCURRENCY
) -> tuple[EnvironmentPolicy, list[Finding]]:
    """For `check`: the environment with each `match:` entry turned into the services it
    selects (discovered in its region), and a DG208 finding for each entry matching none.

    A region that cannot be listed makes each entry a DG901: what it declares is not known
    to be checked anywhere.
    """
    if not environment.selectors:
        return environment, []
    options = ScanOptions(
        regions=(environment.region,), discover_only=True, concurrency=concurrency
    )
    scan = discover([Account(AccountSpec(), clients)], options).scans[0]
    target = Target(environment=environment.name, region=environment.region)
    if scan.failure is not None:
        failure = scan.failure
        findings = [
            selector_unverified(target, selector, failure.reason, failure.fix)
            for selector in environment.selectors
        ]
        return environment.model_copy(update={"selectors": ()}), findings
    declared = {(service.cluster, service.service) for service in environment.services}
    added: list[ServicePolicy] = []
    selected: set[int] = set()
    for (cluster, name), lookup in scan.lookups.items():
        if (cluster, name) in declared:
            continue
        if not isinstance(lookup, ServiceState) or lookup.status != "ACTIVE":
            continue
        match = _first_selector([environment], cluster, name, lookup.tags)
        if match is not None:
            selected.add(id(match[1]))
            added.append(match[1].for_service(cluster, name))
    findings = [
        _stale_selector(scan, environment, selector)
        for selector in environment.selectors
        if id(selector) not in selected
    ]
    # Every cluster that could not be listed: a selector may have matched a service in any.
    findings += unlisted_clusters(scan)
    resolved = environment.model_copy(
        update={"services": (*environment.services, *added), "selectors": ()}
    )
    return resolved, findings
