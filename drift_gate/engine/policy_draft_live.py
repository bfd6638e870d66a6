"""`drift-gate init --from-account`: the services of one region, drafted from what runs.

The discovery `scan` uses (engine/scan_discovery.py: ListClusters, ListServices and
DescribeServices, bounded and validated), then the task definition each service's PRIMARY
deployment runs, by its full ARN. Read-only. Anything not answered as documented is
"could not verify" (exit 3) and nothing is drafted: a starting policy that silently left a
service out would read as the whole fleet.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import NoReturn

from drift_gate.deadline import Deadline
from drift_gate.engine.policy_draft import DraftService, container_draft
from drift_gate.engine.scan_discovery import RegionScan, ScanOptions, discover
from drift_gate.engine.scan_request import REGION_NAME, unknown_regions
from drift_gate.errors import CouldNotVerifyError, InvalidInputError
from drift_gate.model import ServiceState, TaskDefinitionSpec
from drift_gate.sources.accounts import Account, AccountSpec
from drift_gate.sources.aws import AWS_FAILURES, AwsClients, AwsSettings, Failure, classify_failure
from drift_gate.sources.ecs import ClusterMissing, EcsReader, ServiceMissing

NOTHING_WRITTEN = "no policy was written"
WORKERS = 8


@dataclass(frozen=True)
class AccountRequest:
    region: str
    clusters: tuple[str, ...] = ()  # none: every cluster
    max_attempts: int = 5
    timeout: float = 20.0
    deadline: Deadline | None = None


def account_services(request: AccountRequest) -> list[DraftService]:
    """Every ACTIVE service of the region (or of the clusters given), each with the names the
    containers of its PRIMARY deployment's task definition receive."""
    if not REGION_NAME.match(request.region):
        raise InvalidInputError(
            f"--region {request.region!r} is not an AWS region name; give one like us-east-1"
        )
    settings = AwsSettings(
        max_attempts=request.max_attempts,
        read_timeout=request.timeout,
        connect_timeout=min(5.0, request.timeout),
    )
    account = Account(AccountSpec(), AwsClients(settings, deadline=request.deadline))
    options = ScanOptions(
        regions=(request.region,),
        clusters=tuple(dict.fromkeys(request.clusters)),
        discover_only=True,
        region_problems=unknown_regions((request.region,)),
    )
    scan = discover([account], options).scans[0]
    services = _services(scan)
    running = [(cluster, state) for cluster, state in services if state.status == "ACTIVE"]
    assert scan.reader is not None  # noqa: S101 - a region that answered has its reader
    specs = _task_definitions(scan.reader, [state for _, state in running])
    drafted = []
    for cluster, state in services:
        known = DraftService(
            state.name, cluster, state.arn, region=request.region, account=scan.account_id
        )
        if state.status != "ACTIVE":
            note = f"{state.status}: on its way out, not a service to declare"
            drafted.append(replace(known, notes=(note,)))
            continue
        containers = tuple(container_draft(c, None) for c in specs[_arn(state)].containers)
        note = f"task definition {_arn(state)} (the PRIMARY deployment's)"
        drafted.append(replace(known, containers=containers, notes=(note,)))
    return drafted


def _arn(state: ServiceState) -> str:
    assert state.primary is not None  # noqa: S101 - _services refuses an ACTIVE one without
    return state.primary.task_definition_arn


def _services(scan: RegionScan) -> list[tuple[str, ServiceState]]:
    """(cluster, service) of each service listed; anything unanswered stops the draft."""
    where = scan.region
    if scan.failure is not None:
        _unverified(f"the services of {where}", scan.failure)
    for cluster, failure in sorted(scan.cluster_failures.items()):
        _unverified(f"cluster {cluster} in {where}", failure)
    if scan.missing_clusters:
        names = ", ".join(sorted(scan.missing_clusters))
        raise InvalidInputError(
            f"--cluster {names}: no such cluster in {where}; give the name of a cluster "
            f"that exists ({NOTHING_WRITTEN})"
        )
    running = []
    for (cluster, name), lookup in sorted(scan.lookups.items()):
        if isinstance(lookup, Failure):
            _unverified(f"service {cluster}/{name} in {where}", lookup)
        if isinstance(lookup, ServiceMissing | ClusterMissing):
            _unverified(
                f"service {cluster}/{name} in {where}",
                Failure(
                    "ecs:ListServices named it, then ecs:DescribeServices did not find it",
                    "Run again.",
                ),
            )
        if not isinstance(lookup, ServiceState):
            continue  # every other answer stopped the draft above
        if lookup.primary is None and lookup.status == "ACTIVE":
            _unverified(
                f"service {cluster}/{name} in {where}",
                Failure("ecs:DescribeServices named no PRIMARY deployment", "Run again."),
            )
        running.append((cluster, lookup))
    return running


def _task_definitions(
    reader: EcsReader, states: list[ServiceState]
) -> dict[str, TaskDefinitionSpec]:
    """Each distinct task definition, by full ARN, fetched concurrently (at most WORKERS in
    flight); a failure stops the draft."""
    arns = list(dict.fromkeys(_arn(state) for state in states))

    def fetch(arn: str) -> TaskDefinitionSpec | Failure:
        try:
            return reader.task_definition(arn)
        except AWS_FAILURES as error:
            return classify_failure(error, "ecs:DescribeTaskDefinition")

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        answers = dict(zip(arns, pool.map(fetch, arns), strict=True))
    for arn, answer in answers.items():
        if isinstance(answer, Failure):
            _unverified(f"task definition {arn}", answer)
    return {arn: answer for arn, answer in answers.items() if not isinstance(answer, Failure)}


def _unverified(what: str, failure: Failure) -> NoReturn:
    fix = f" {failure.fix}" if failure.fix else ""
    reason = failure.reason.rstrip(".")
    raise CouldNotVerifyError(f"could not read {what}: {reason}.{fix} ({NOTHING_WRITTEN})")
