"""Running drift-gate from Python: the Report, without the command line.

    import drift_gate
    report = drift_gate.check(policy="drift-gate.yaml")
    if report.exit_code:  # the same codes as the CLI: 0 pass, 1 drift, 3 could not verify
        ...

Each function builds a request of drift_gate/engine/entry.py, the one way from inputs to a
Report that the commands take too. A choice is given as its enum (`FailOn.WARNING`,
`LinkMode.OFF`, `SkippableLink.IMAGES`) or as the word the command line takes ("warning",
"off", "images"). Invalid input raises drift_gate.errors.InvalidInputError (a word that is
not a choice: ValueError); a run that could not start raises what stopped it
(CouldNotVerifyError, InvalidInputError). AWS is reached with the standard boto3
configuration (environment, profile, AWS_ENDPOINT_URL).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from drift_gate.chain import LinkMode, SkippableLink
from drift_gate.model.levels import FailOn

if TYPE_CHECKING:
    from drift_gate.engine.entry import Outcome
    from drift_gate.model import Report


def check(
    policy: str | Path | None = None,
    *,
    plan_json: str | Path | None = None,
    environment: str | None = None,
    region: str | None = None,
    fail_on: FailOn | str = FailOn.ERROR,
    secret_checks: LinkMode | str | None = None,
    skip_links: Iterable[SkippableLink | str] = (),
    tasks_since_seconds: float | None = None,
    max_attempts: int = 5,
    timeout: float = 20.0,
) -> Report:
    """What `drift-gate check --policy P [--plan-json J]` checks, as a Report.
    `skip_links` is --skip-link, `tasks_since_seconds` --since."""
    from drift_gate.engine.entry import CheckRequest, PlanRequest
    from drift_gate.engine.entry import check as run_check

    if policy is None and plan_json is None:
        raise TypeError("give a policy, a plan_json, or both")
    request = CheckRequest(
        Path(policy) if policy else None,
        PlanRequest(plan_json=Path(plan_json) if plan_json else None),
        environment=environment,
        fail_on=FailOn(fail_on),
        region=region,
        secret_checks=LinkMode(secret_checks) if secret_checks else None,
        skipped_links=frozenset(SkippableLink(link) for link in skip_links),
        tasks_since=tasks_since_seconds,
        max_attempts=max_attempts,
        timeout=timeout,
    )
    return _report(run_check(request))


def check_offline(
    policy: str | Path,
    terraform_dir: str | Path,
    *,
    environment: str | None = None,
    fail_on: FailOn | str = FailOn.ERROR,
) -> Report:
    """What `drift-gate check --offline` checks (no AWS, no terraform), as a Report."""
    from drift_gate.engine.entry import OfflineRequest
    from drift_gate.engine.entry import check_offline as run_offline

    request = OfflineRequest(Path(policy), Path(terraform_dir), environment, FailOn(fail_on))
    return run_offline(request)


def scan(
    policy: str | Path | None = None,
    *,
    regions: Iterable[str] = (),
    clusters: Iterable[str] = (),
    profiles: Iterable[str] = (),
    role_arns: Iterable[str] = (),
    external_id: str | None = None,
    fail_on: FailOn | str = FailOn.ERROR,
    secret_checks: LinkMode | str | None = None,
    deep: bool = False,
    skip_links: Iterable[SkippableLink | str] = (),
    concurrency: int = 8,
    max_attempts: int = 5,
    timeout: float = 20.0,
) -> Report:
    """What `drift-gate scan` checks, as a Report: every service in the regions (default:
    the configured one) of each account (default credentials, `profiles`, `role_arns`),
    with the policy's declarations where it has any."""
    from drift_gate.engine.entry import ScanRequest
    from drift_gate.engine.entry import scan as run_scan

    request = ScanRequest(
        Path(policy) if policy else None,
        regions=tuple(regions),
        clusters=tuple(clusters),
        profiles=tuple(profiles),
        role_arns=tuple(role_arns),
        external_id=external_id,
        concurrency=concurrency,
        fail_on=FailOn(fail_on),
        secret_checks=LinkMode(secret_checks) if secret_checks else None,
        deep=deep,
        skipped_links=frozenset(SkippableLink(link) for link in skip_links),
        max_attempts=max_attempts,
        timeout=timeout,
    )
    return _report(run_scan(request))


def _report(outcome: Outcome) -> Report:
    """The report; a run that could not start raises what stopped it."""
    if outcome.stopped is not None:
        raise outcome.stopped
    return outcome.report
