"""The application's log: each forbidden phrase counted in the service's log group over its
window (DG401-DG402), counts and times only."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from drift_gate.checks.findings import ServiceContext
from drift_gate.checks.logs import (
    check_log_pattern,
    log_group_missing,
    log_start_unknown,
    log_unverified,
)
from drift_gate.engine.service_run import LinkOutcome, ServiceRun, outcome_of
from drift_gate.model import Finding
from drift_gate.sources.aws import AWS_FAILURES, classify_failure
from drift_gate.sources.logs import LogGroupMissing, count_pattern

NO_LOGS = "no logs declared for this service"


def check_application_logs(
    runs: Sequence[ServiceRun], logs_client: Any, now: datetime
) -> list[LinkOutcome]:
    """Count each forbidden phrase in each service's log group over its window."""
    return [_log_outcome(run, logs_client, now) for run in runs]


def _log_outcome(run: ServiceRun, logs_client: Any, now: datetime) -> LinkOutcome:
    policy = run.service.logs
    if policy is None:
        return LinkOutcome(not_checked=NO_LOGS)
    context = run.context()
    window = policy.window()
    if window is not None:
        start, label = now - window, f"in the last {policy.since}"
    elif run.primary is not None and run.primary.created_at is not None:
        start = run.primary.created_at
        label = f"since the PRIMARY deployment started ({start:%Y-%m-%d %H:%M:%SZ})"
    else:
        return outcome_of([log_start_unknown(context, where=run.service.where)])
    return outcome_of(
        _patterns(
            context,
            logs_client,
            policy.group,
            policy.forbid,
            start,
            now,
            label,
            run.service.where,
        )
    )


def _patterns(
    context: ServiceContext,
    client: Any,
    group: str,
    patterns: Sequence[str],
    start: datetime,
    end: datetime,
    label: str,
    where: str | None,
) -> list[Finding]:
    findings: list[Finding] = []
    for pattern in patterns:
        try:
            counted = count_pattern(client, group, pattern, start, end)
        except LogGroupMissing:
            return [log_group_missing(context, group, where)]
        except AWS_FAILURES as error:
            failure = classify_failure(error, "logs:FilterLogEvents")
            return [log_unverified(context, group, failure.reason, failure.fix, where)]
        findings.extend(
            check_log_pattern(
                context, group, pattern, label, counted.count, counted.first, counted.last, where
            )
        )
    return findings
