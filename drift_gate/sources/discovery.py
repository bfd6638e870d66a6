"""Finding what runs: every cluster (ListClusters) and every service in it (ListServices).

Both list calls are paged (100 a page, the most either accepts) and every page is read;
an answer without its list is "could not verify" (sources/answers.py), never "no clusters".
So is an entry of the list that is not an ARN naming a cluster (or a service): an empty
string read as a cluster name would be asked about, found nowhere, and pass as nothing to
check.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import botocore.exceptions

from drift_gate.sources.answers import (
    ListClustersAnswer,
    ListServicesAnswer,
    MalformedAnswerError,
)
from drift_gate.sources.aws import error_code, pages
from drift_gate.sources.containers import has_invisible

LIST_PAGE_SIZE = 100


@dataclass(frozen=True)
class Clusters:
    """The clusters of one account and region, and the account id their ARNs name."""

    names: tuple[str, ...]
    account_id: str | None


@dataclass(frozen=True)
class NoSuchCluster:
    """ListServices said the cluster does not exist (deleted, or never created). For a
    cluster ListClusters has just named, the scan reads this as "could not verify"."""


# arn:PARTITION:ecs:REGION:ACCOUNT:cluster/NAME, and service/NAME or service/CLUSTER/NAME:
# a name is one non-empty path segment without white space.
_CLUSTER_ARN = re.compile(r"arn:[^:\s]+:ecs:[^:\s]*:[^:\s]*:cluster/[^/\s]+\Z")
_SERVICE_ARN = re.compile(r"arn:[^:\s]+:ecs:[^:\s]*:[^:\s]*:service/(?:[^/\s]+/)?[^/\s]+\Z")


def _checked(arns: list[str], pattern: re.Pattern[str], operation: str, field: str) -> list[str]:
    """The ARNs of a list answer, each one naming what was listed; the entry is not shown.
    A control or format character (a zero-width space) is no name ECS gives: asked about,
    it would be found nowhere and read as a service gone."""
    for index, arn in enumerate(arns):
        if not pattern.match(arn) or has_invisible(arn):
            kind = field.removesuffix("Arns")
            raise MalformedAnswerError(operation, f"{field}[{index}]: not a {kind} ARN")
    return arns


def _in_scope(arns: list[str], cluster: str, region: str | None, account: str | None) -> None:
    """Each service ARN of the cluster, region and account asked: an entry of another is not
    the answer to the question (a proxy's, a stale cache's), never taken by its name."""
    asked = cluster.split(":")
    if cluster.startswith("arn:") and len(asked) == 6:
        region, account, cluster = asked[3], asked[4], arn_name(cluster)
    for index, arn in enumerate(arns):
        parts = arn.split(":")
        path = parts[5].split("/")
        where = f"serviceArns[{index}]"
        if region is not None and parts[3] != region:
            raise MalformedAnswerError("ecs:ListServices", f"{where}: a service of another region")
        if account is not None and parts[4] != account:
            raise MalformedAnswerError("ecs:ListServices", f"{where}: a service of another account")
        if len(path) == 3 and path[1] != cluster:
            raise MalformedAnswerError("ecs:ListServices", f"{where}: a service of another cluster")
    accounts = {arn.split(":")[4] for arn in arns}
    if len(accounts) > 1:
        raise MalformedAnswerError("ecs:ListServices", "serviceArns: services of several accounts")


def arn_name(arn: str) -> str:
    """The last path segment: `svc` of `arn:aws:ecs:r:a:service/cluster/svc` (or the old
    `service/svc` form), `prod` of `arn:aws:ecs:r:a:cluster/prod`."""
    return arn.rsplit("/", 1)[-1]


def arn_account(arn: str) -> str | None:
    parts = arn.split(":")
    return parts[4] if len(parts) > 5 and parts[4].isdigit() else None


def list_clusters(client: Any) -> Clusters:
    """Every cluster of the client's account and region."""
    arns = [
        arn
        for page in pages(
            client.list_clusters,
            {"maxResults": LIST_PAGE_SIZE},
            ListClustersAnswer,
            "ecs:ListClusters",
        )
        for arn in page.clusterArns
    ]
    _checked(arns, _CLUSTER_ARN, "ecs:ListClusters", "clusterArns")
    account = next((found for arn in arns if (found := arn_account(arn))), None)
    return Clusters(tuple(dict.fromkeys(arn_name(arn) for arn in arns)), account)


def list_services(
    client: Any, cluster: str, account: str | None = None
) -> tuple[str, ...] | NoSuchCluster:
    """The names of every service in `cluster` (ACTIVE and DRAINING, as ECS lists them), each
    listed as a service of that cluster, of the client's region and of `account` (when
    known): any other entry makes the answer malformed."""
    arguments = {"cluster": cluster, "maxResults": LIST_PAGE_SIZE}
    try:
        arns = [
            arn
            for page in pages(
                client.list_services, arguments, ListServicesAnswer, "ecs:ListServices"
            )
            for arn in page.serviceArns
        ]
    except botocore.exceptions.ClientError as error:
        if error_code(error) == "ClusterNotFoundException":
            return NoSuchCluster()
        raise
    _checked(arns, _SERVICE_ARN, "ecs:ListServices", "serviceArns")
    _in_scope(arns, cluster, getattr(getattr(client, "meta", None), "region_name", None), account)
    return tuple(dict.fromkeys(arn_name(arn) for arn in arns))
