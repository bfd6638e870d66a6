"""Finding what runs: every cluster (ListClusters) and every service in it (ListServices).

Both list calls are paged (100 a page, the most either accepts) and every page is read;
an answer without its list is "could not verify" (sources/answers.py), never "no clusters".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import botocore.exceptions

from drift_gate.sources.answers import ListClustersAnswer, ListServicesAnswer
from drift_gate.sources.aws import error_code, pages

LIST_PAGE_SIZE = 100


@dataclass(frozen=True)
class Clusters:
    """The clusters of one account and region, and the account id their ARNs name."""

    names: tuple[str, ...]
    account_id: str | None


@dataclass(frozen=True)
class NoSuchCluster:
    """ListServices said the cluster does not exist (deleted, or never created)."""


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
    account = next((found for arn in arns if (found := arn_account(arn))), None)
    return Clusters(tuple(dict.fromkeys(arn_name(arn) for arn in arns)), account)


def list_services(client: Any, cluster: str) -> tuple[str, ...] | NoSuchCluster:
    """The names of every service in `cluster` (ACTIVE and DRAINING, as ECS lists them)."""
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
    return tuple(dict.fromkeys(arn_name(arn) for arn in arns))
