"""`drift-gate scan`: find every service in the accounts and regions given, and check it.

Discovery and reading run as one pipeline over one bounded pool (engine/pipeline.py):
ListClusters, then each cluster's ListServices, then DescribeServices by 10 (with tags),
and as each batch answers, the task definitions and family look-ups it needs, and as each
task definition arrives, its secrets. No stage waits for a whole cluster or region. The
checks then run on the cached answers with the same code as `check` (engine/gate.py), so
a scanned service is judged exactly as a checked one.

Without a policy, every service gets the checks that need no declaration (latest ACTIVE
revision, rollout, credentials in plain variables, every referenced secret exists). With
one, a service is matched by its exact entry, else by the first `match:` entry that
selects it, in file order; an entry that matches nothing is a finding (DG208).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any

from drift_gate.chain import Link
from drift_gate.checks.findings import ServiceContext
from drift_gate.engine.outcome import ServiceResult, build_report, utc_now
from drift_gate.engine.pipeline import Failed, Pipeline
from drift_gate.engine.service_checks import (
    CheckOptions,
    LinkStores,
    check_service,
    later_links,
    unverified_run,
)
from drift_gate.engine.service_run import ServiceRun
from drift_gate.engine.waivers import apply_waivers
from drift_gate.model import Finding, Report, ScannedScope, ServiceState, Target
from drift_gate.policy import EnvironmentPolicy, Policy, SelectorPolicy, ServicePolicy
from drift_gate.references import parse_value_from, store_key
from drift_gate.sources.accounts import Account, AccountSpec
from drift_gate.sources.aws import AWS_FAILURES, AwsClients, Failure, chunks, classify_failure
from drift_gate.sources.discovery import (
    Clusters,
    NoSuchCluster,
    arn_account,
    list_clusters,
    list_services,
)
from drift_gate.sources.ecs import (
    DESCRIBE_SERVICES_LIMIT,
    ClusterMissing,
    EcsReader,
    ServiceLookup,
    ServiceMissing,
)
from drift_gate.sources.secrets import SSM_NAMES_PER_CALL

# Matches `--concurrency`'s default: eight calls in flight keep a 1,000-service scan near
# the round-trip bound while staying far below ECS's per-account request rates.
DEFAULT_CONCURRENCY = 8


@dataclass(frozen=True)
class ScanOptions:
    """What the scan covers, on top of what a check covers."""

    regions: tuple[str, ...]
    clusters: tuple[str, ...] = ()  # empty: every cluster
    concurrency: int = DEFAULT_CONCURRENCY
    check: CheckOptions = field(default_factory=CheckOptions)
    prefetch_secrets: bool = True
    wait_seconds: float | None = None  # --wait: let the rollouts settle before the scan
    discover_only: bool = False  # `check` resolving `match:` entries: names and tags only
    # region -> why it cannot be scanned (not a region botocore knows): could not verify
    region_problems: dict[str, str] = field(default_factory=dict)
    say: Callable[[str], None] = field(default=lambda _line: None)  # progress while waiting


@dataclass
class RegionScan:
    """One account and region while it is scanned: what was found, or why not."""

    account: Account
    region: str
    reader: EcsReader | None
    failure: Failure | None = None
    clusters_given: bool = False  # --cluster: only those were listed
    cluster_names: list[str] = field(default_factory=list)
    missing_clusters: set[str] = field(default_factory=set)
    cluster_failures: dict[str, Failure] = field(default_factory=dict)
    # (cluster, service) -> what DescribeServices said, or why it could not be asked
    lookups: dict[tuple[str, str], ServiceLookup | Failure] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    # what has been asked for already: each item once
    task_definitions: set[str] = field(default_factory=set)
    families: set[str] = field(default_factory=set)
    deployed: set[str] = field(default_factory=set)
    fetched: set[str] = field(default_factory=set)
    secrets_scheduled: set[str] = field(default_factory=set)

    @property
    def account_id(self) -> str | None:
        return self.account.account_id


@dataclass
class ScanProgress:
    """What the progress display shows; read by the pipeline's thread only."""

    clusters: int = 0
    services: int = 0
    lookups_done: int = 0
    lookups_known: int = 0


class Scanner:
    """Feeds the pipeline: each answer schedules the calls it makes necessary, once each."""

    def __init__(self, accounts: Sequence[Account], options: ScanOptions, pipeline: Pipeline):
        self.options = options
        self.pipeline = pipeline
        self.progress = ScanProgress()
        self.scans: list[RegionScan] = []
        self._stores: dict[int, LinkStores] = {}
        self._secret_keys: set[tuple[int, tuple[str, str, str]]] = set()
        self._ssm_waiting: dict[tuple[int, str], list[str]] = {}
        for account in accounts:
            for region in options.regions:
                self.scans.append(self._region_scan(account, region))

    def _region_scan(self, account: Account, region: str) -> RegionScan:
        if account.clients is None:
            failure = account.failure or Failure("the account could not be reached", "")
            return RegionScan(account, region, None, failure)
        if region in self.options.region_problems:
            failure = Failure(self.options.region_problems[region], "Check --region.")
            return RegionScan(account, region, None, failure)
        reader = EcsReader(account.clients.client("ecs", region))
        return RegionScan(account, region, reader, clusters_given=bool(self.options.clusters))

    def stores(self, account: Account) -> LinkStores:
        """One set of stores per account: its answers are the account's own."""
        assert account.clients is not None  # noqa: S101 - only reachable accounts have stores
        key = id(account)
        if key not in self._stores:
            self._stores[key] = LinkStores.of(account.clients, self.options.concurrency)
        return self._stores[key]

    # --- scheduling ---------------------------------------------------------------------

    def start(self) -> None:
        """Schedule the first calls of every account and region."""
        for scan in self.scans:
            if scan.reader is None:
                continue
            if self.options.clusters:
                scan.cluster_names = list(self.options.clusters)
                for cluster in self.options.clusters:
                    self._list_services(scan, cluster)
            else:
                client = scan.reader.client
                self._submit(scan, partial(list_clusters, client), self._on_clusters)

    def _submit(
        self, scan: RegionScan, work: Callable[[], Any], then: Callable[[RegionScan, Any], None]
    ) -> None:
        self.progress.lookups_known += 1

        def guarded() -> Any:
            try:
                return work()
            except AWS_FAILURES as error:
                return Failed(error)

        def done(answer: Any) -> None:
            self.progress.lookups_done += 1
            then(scan, answer)

        self.pipeline.submit(guarded, done)

    def _on_clusters(self, scan: RegionScan, answer: Clusters | Failed[Any]) -> None:
        if isinstance(answer, Failed):
            scan.failure = _region_failure(answer.error, scan.region)
            return
        if answer.account_id and scan.account.account_id is None:
            scan.account.account_id = answer.account_id
        scan.cluster_names = list(answer.names)
        self.progress.clusters += len(answer.names)
        if not answer.names:
            scan.notes.append("no ECS clusters")
        for cluster in answer.names:
            self._list_services(scan, cluster)

    def _list_services(self, scan: RegionScan, cluster: str) -> None:
        assert scan.reader is not None  # noqa: S101 - scheduled for reachable regions only
        client = scan.reader.client
        self._submit(
            scan,
            partial(list_services, client, cluster, scan.account_id),
            partial(self._on_services, cluster=cluster),
        )

    def _on_services(
        self, scan: RegionScan, answer: tuple[str, ...] | NoSuchCluster | Failed[Any], cluster: str
    ) -> None:
        if isinstance(answer, Failed):
            scan.cluster_failures[cluster] = classify_failure(answer.error, "ecs:ListServices")
            return
        if isinstance(answer, NoSuchCluster):
            if scan.clusters_given:
                scan.missing_clusters.add(cluster)  # --cluster: a name the user gave
            else:
                self._listed_cluster_not_found(scan, cluster)
            return
        if not answer:
            scan.notes.append(f"cluster {cluster} has no services")
        self.progress.services += len(answer)
        reader = scan.reader
        assert reader is not None  # noqa: S101
        for batch in chunks(list(answer), DESCRIBE_SERVICES_LIMIT):
            names = list(batch)
            self._submit(
                scan,
                partial(reader.describe_batch, cluster, names, tags=True),
                partial(self._on_described, cluster=cluster, names=names),
            )

    @staticmethod
    def _listed_cluster_not_found(scan: RegionScan, cluster: str) -> None:
        """ListClusters has just named it: "not found" now says nothing about its services
        (deleted meanwhile, or an answer about another account), so they are not verified,
        never "nothing to check"."""
        scan.cluster_failures[cluster] = Failure(
            f"ecs:ListClusters named cluster {cluster}, then ecs:ListServices answered "
            "ClusterNotFoundException",
            "Run again; if it recurs, compare `aws ecs list-clusters` with "
            "`aws ecs list-services --cluster` for this account and region.",
        )
        scan.notes.append(f"cluster {cluster} was listed, then not found: not verified")

    def _on_described(
        self,
        scan: RegionScan,
        answer: dict[str, ServiceLookup] | Failed[Any],
        cluster: str,
        names: list[str],
    ) -> None:
        if isinstance(answer, Failed):
            failure = classify_failure(answer.error, "ecs:DescribeServices")
            for name in names:
                scan.lookups[(cluster, name)] = failure
            return
        for name in names:
            lookup = answer[name]
            scan.lookups[(cluster, name)] = lookup
            if isinstance(lookup, ServiceState) and scan.account.account_id is None:
                scan.account.account_id = arn_account(lookup.arn)
            if isinstance(lookup, ServiceState) and lookup.primary is not None:
                if self.options.discover_only:
                    continue
                arn = lookup.primary.task_definition_arn
                scan.deployed.add(arn)
                self._want_task_definition(scan, arn)
                self._want_family(scan, arn)

    def _want_task_definition(self, scan: RegionScan, arn: str) -> None:
        if arn in scan.task_definitions:
            if arn in scan.fetched:
                self._want_secrets(scan, arn)
            return
        scan.task_definitions.add(arn)
        reader = scan.reader
        assert reader is not None  # noqa: S101
        self._submit(scan, partial(reader.task_definition, arn), self._on_task_definition(arn))

    def _on_task_definition(self, arn: str) -> Callable[[RegionScan, Any], None]:
        def then(scan: RegionScan, _answer: Any) -> None:
            # The answer (or the failure) is in the reader's cache, where the check reads it.
            scan.fetched.add(arn)
            if arn in scan.deployed:
                self._want_secrets(scan, arn)

        return then

    def _want_family(self, scan: RegionScan, arn: str) -> None:
        from drift_gate.model import split_task_definition_arn

        try:
            family = split_task_definition_arn(arn)[0]
        except ValueError:
            return  # the check reports the malformed ARN when it reads the task definition
        if family in scan.families:
            return
        scan.families.add(family)
        reader = scan.reader
        assert reader is not None  # noqa: S101

        def then(s: RegionScan, latest: Any) -> None:
            if isinstance(latest, str):
                self._want_task_definition_only(s, latest)

        self._submit(scan, partial(reader.latest_active_arn, family), then)

    def _want_task_definition_only(self, scan: RegionScan, arn: str) -> None:
        """A family's latest revision: read for the comparison, its secrets not looked up
        unless a service runs it."""
        if arn not in scan.task_definitions:
            self._want_task_definition(scan, arn)

    def _want_secrets(self, scan: RegionScan, arn: str) -> None:
        if not self.options.prefetch_secrets or arn in scan.secrets_scheduled:
            return
        scan.secrets_scheduled.add(arn)
        reader = scan.reader
        assert reader is not None  # noqa: S101
        try:
            spec = reader.task_definition(arn)  # cached: no call
        except AWS_FAILURES:
            return
        stores = self.stores(scan.account).secrets
        account_key = id(scan.account)
        for container in spec.containers:
            for secret in container.secrets:
                reference = parse_value_from(secret.value_from)
                key = store_key(reference, scan.region)
                if (account_key, key) in self._secret_keys:
                    continue
                self._secret_keys.add((account_key, key))
                if reference.store == "secretsmanager":
                    self._submit(
                        scan,
                        partial(stores.look_up_secret, key, reference),
                        _nothing,
                    )
                else:
                    waiting = self._ssm_waiting.setdefault((account_key, key[1]), [])
                    waiting.append(key[2])
                    if len(waiting) == SSM_NAMES_PER_CALL:
                        self._flush_parameters(scan, key[1])

    def _flush_parameters(self, scan: RegionScan, region: str) -> None:
        names = self._ssm_waiting.pop((id(scan.account), region), [])
        if names:
            stores = self.stores(scan.account).secrets
            self._submit(scan, partial(stores.look_up_parameters, region, names), _nothing)

    def when_idle(self) -> bool:
        """Send the SSM batches still short of 50 names; True if any was sent."""
        sent = False
        for scan in self.scans:
            for account_key, region in list(self._ssm_waiting):
                if account_key == id(scan.account):
                    self._flush_parameters(scan, region)
                    sent = True
        return sent


def _nothing(_scan: RegionScan, _answer: object) -> None:
    """The answer is remembered where the check reads it (the stores' cache)."""


def _region_failure(error: Exception, region: str) -> Failure:
    failure = classify_failure(error, "ecs:ListClusters")
    if failure.reason.startswith("AWS rejected the credentials"):
        # Credentials that work elsewhere and are refused in one region: an opt-in region
        # not enabled for the account answers this way.
        return Failure(
            failure.reason,
            failure.fix + f" If only {region} fails, it may not be enabled for this account.",
        )
    return failure


# --- judging what was read ------------------------------------------------------------------


@dataclass
class _Assigned:
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
    findings = []
    for cluster in options.clusters:
        if all(cluster in scan.missing_clusters for scan in readable):
            where = ", ".join(sorted({scan.region for scan in readable}))
            target = Target(environment="scan", cluster=cluster)
            message = (
                f"--cluster {cluster} does not exist in any account and region scanned ({where})"
            )
            findings.append(ServiceContext(target).finding("DG205", message))
    return findings


def _judge_region(
    scan: RegionScan,
    policy: Policy | None,
    options: ScanOptions,
    scanner: Scanner,
    clock: Callable[[], datetime],
) -> list[ServiceResult]:
    assert scan.reader is not None  # noqa: S101 - judge() calls this for readable regions only
    assert scan.account.clients is not None  # noqa: S101
    results = _cluster_findings(scan)
    groups, stale = _assign(scan, candidate_environments(policy, scan), options)
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


def _assign(
    scan: RegionScan, environments: list[EnvironmentPolicy], options: ScanOptions
) -> tuple[list[_Assigned], list[Finding]]:
    """Each discovered service to its policy entry (or to none), and stale entries."""
    unmanaged = _Assigned(
        EnvironmentPolicy(
            name=scan.region,
            region=scan.region,
            account=scan.account_id,
            services=(),
            secret_checks=options.check.secret_checks or "required",
        )
    )
    groups = {
        env.name: _Assigned(env.model_copy(update={"account": scan.account_id}))
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
    from fnmatch import fnmatchcase

    return any(fnmatchcase(name, cluster) for name in scan.cluster_names)


def _stale_selector(scan: RegionScan, env: EnvironmentPolicy, selector: SelectorPolicy) -> Finding:
    target = Target(environment=env.name, account=scan.account_id, region=scan.region)
    where = f" in account {scan.account_id}" if scan.account_id else ""
    message = (
        f"the policy entry for {selector.match.words()} matches no service{where} in {scan.region}"
    )
    return ServiceContext(target).finding("DG208", message, where=selector.where)


def _cluster_findings(scan: RegionScan) -> list[ServiceResult]:
    findings = []
    for cluster, failure in sorted(scan.cluster_failures.items()):
        target = Target(
            environment=scan.region, account=scan.account_id, region=scan.region, cluster=cluster
        )
        findings.append(
            ServiceContext(target).finding(
                "DG901",
                f"could not verify: the services of cluster {cluster}: {failure.reason}",
                remediation=failure.fix,
            )
        )
    return [ServiceResult(None, tuple(findings))] if findings else []


def _scope_finding(scan: RegionScan) -> Finding:
    failure = scan.failure or Failure("not scanned", "")
    target = Target(environment=scan.region, account=scan.account_id, region=scan.region)
    message = f"could not verify: {scan.account.words()} in {scan.region}: {failure.reason}"
    return ServiceContext(target).finding("DG901", message, remediation=failure.fix or None)


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
    pipeline = Pipeline(options.concurrency)
    scanner = Scanner(accounts, options, pipeline)
    if on_tick is not None:
        pipeline.on_tick = lambda: on_tick(scanner)
    scanner.start()
    pipeline.run(scanner.when_idle)
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
    pipeline = Pipeline(options.concurrency)
    scanner = Scanner(accounts, discovery, pipeline)
    scanner.start()
    pipeline.run(scanner.when_idle)
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
    pipeline = Pipeline(concurrency)
    scanner = Scanner([Account(AccountSpec(), clients)], options, pipeline)
    scanner.start()
    pipeline.run(scanner.when_idle)
    scan = scanner.scans[0]
    target = Target(environment=environment.name, region=environment.region)
    if scan.failure is not None:
        findings = [
            ServiceContext(target).finding(
                "DG901",
                f"could not verify which services {selector.match.words()} selects: "
                f"{scan.failure.reason}",
                where=selector.where,
                remediation=scan.failure.fix,
            )
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
    findings += [result.findings[0] for result in _cluster_findings(scan)]
    resolved = environment.model_copy(
        update={"services": (*environment.services, *added), "selectors": ()}
    )
    return resolved, findings
