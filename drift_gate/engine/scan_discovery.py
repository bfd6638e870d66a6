"""`drift-gate scan`, discovery: find every service in the accounts and regions given, and
read what its checks need.

Discovery and reading run as one pipeline over one bounded pool (engine/pipeline.py):
ListClusters, then each cluster's ListServices, then DescribeServices by 10 (with tags),
and as each batch answers, the task definitions and family look-ups it needs, and as each
task definition arrives, its secrets. No stage waits for a whole cluster or region. The
answers stay in the readers' and stores' caches, where the checks read them
(engine/scan_assignment.py gives each service its policy entry, engine/scan.py judges).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from drift_gate.checks.discovery import cluster_unverified
from drift_gate.engine.pipeline import Failed, Pipeline
from drift_gate.engine.service_checks import CheckOptions, LinkStores
from drift_gate.model import Finding, ServiceState, Target
from drift_gate.references import parse_value_from, store_key
from drift_gate.sources.accounts import Account
from drift_gate.sources.aws import AWS_FAILURES, Failure, chunks, classify_failure
from drift_gate.sources.discovery import (
    Clusters,
    NoSuchCluster,
    arn_account,
    list_clusters,
    list_services,
)
from drift_gate.sources.ecs import DESCRIBE_SERVICES_LIMIT, EcsReader, ServiceLookup
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


def discover(
    accounts: Sequence[Account],
    options: ScanOptions,
    on_tick: Callable[[Scanner], None] | None = None,
) -> Scanner:
    """Run the discovery (and, unless `discover_only`, the reading) to its end; `on_tick`
    shows the progress."""
    pipeline = Pipeline(options.concurrency)
    scanner = Scanner(accounts, options, pipeline)
    if on_tick is not None:
        pipeline.on_tick = lambda: on_tick(scanner)
    scanner.start()
    pipeline.run(scanner.when_idle)
    return scanner


def unlisted_clusters(scan: RegionScan) -> list[Finding]:
    """DG901 for each cluster whose services could not be listed."""
    return [
        cluster_unverified(
            Target(
                environment=scan.region,
                account=scan.account_id,
                region=scan.region,
                cluster=cluster,
            ),
            cluster,
            failure.reason,
            failure.fix,
        )
        for cluster, failure in sorted(scan.cluster_failures.items())
    ]
