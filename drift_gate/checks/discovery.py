"""What a scan (or `check` resolving `match:` entries) finds, as findings of its own: a
--cluster nowhere (DG205), an entry selecting nothing (DG208), and each scope that could not
be listed (DG901), so that what was not read never reads as a pass."""

from __future__ import annotations

from drift_gate.checks.findings import ServiceContext
from drift_gate.model import Finding, SelectorPolicy, Target


def cluster_found_nowhere(cluster: str, regions: str) -> Finding:
    """DG205: a --cluster that no account and region scanned (`regions`, in words) has."""
    target = Target(environment="scan", cluster=cluster)
    message = f"--cluster {cluster} does not exist in any account and region scanned ({regions})"
    return ServiceContext(target).finding("DG205", message)


def selector_matches_nothing(
    target: Target, selector: SelectorPolicy, account: str | None, region: str
) -> Finding:
    """DG208: a `match:` entry that selects no service in this account and region."""
    where = f" in account {account}" if account else ""
    message = f"the policy entry for {selector.match.words()} matches no service{where} in {region}"
    return ServiceContext(target).finding("DG208", message, where=selector.where)


def selector_unverified(
    target: Target, selector: SelectorPolicy, reason: str, fix: str | None
) -> Finding:
    """DG901: the region could not be listed, so what the entry selects is not known."""
    message = f"could not verify which services {selector.match.words()} selects: {reason}"
    return ServiceContext(target).finding("DG901", message, where=selector.where, remediation=fix)


def cluster_unverified(target: Target, cluster: str, reason: str, fix: str | None) -> Finding:
    """DG901: a cluster's services could not be listed."""
    message = f"could not verify: the services of cluster {cluster}: {reason}"
    return ServiceContext(target).finding("DG901", message, remediation=fix)


def scope_unverified(target: Target, scope: str, reason: str, fix: str | None) -> Finding:
    """DG901: an account and region (`scope`, in words) could not be scanned at all."""
    message = f"could not verify: {scope}: {reason}"
    return ServiceContext(target).finding("DG901", message, remediation=fix)
