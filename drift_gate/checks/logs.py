"""DG401-DG402 (and DG901 when it cannot be read): what the application logs since it was
deployed. Counts and times only."""

from __future__ import annotations

from datetime import datetime

from drift_gate.checks.findings import ServiceContext
from drift_gate.model import Finding


def check_log_pattern(
    context: ServiceContext,
    group: str,
    pattern: str,
    window: str,
    count: int,
    first: datetime | None,
    last: datetime | None,
    where: str | None = None,
) -> list[Finding]:
    """DG401 when a forbidden phrase appears in the window; nothing when it does not."""
    if count == 0:
        return []
    times = ""
    if first and last:
        times = f" (first {first:%Y-%m-%d %H:%M:%SZ}, last {last:%Y-%m-%d %H:%M:%SZ})"
    message = f"'{pattern}' appears {count} time(s) in {group} {window}{times}"
    return [context.finding("DG401", message, where=where)]


def log_group_missing(context: ServiceContext, group: str, where: str | None = None) -> Finding:
    return context.finding(
        "DG402", f"log group {group} does not exist in {context.target.region}", where=where
    )


def log_start_unknown(context: ServiceContext, where: str | None = None) -> Finding:
    """DG901: no window was declared and the PRIMARY deployment's start is not known."""
    reason = "could not verify the log: the PRIMARY deployment's start time is unknown"
    return context.finding("DG901", reason, where=where)


def log_unverified(
    context: ServiceContext, group: str, reason: str, fix: str | None, where: str | None = None
) -> Finding:
    """DG901: the log group could not be searched."""
    message = f"could not verify log group {group}: {reason}"
    return context.finding("DG901", message, where=where, remediation=fix)
