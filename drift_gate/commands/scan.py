"""`drift-gate scan`: every service in the accounts and regions given, with or without a policy."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from drift_gate.commands._console import echo, warn_deprecated
from drift_gate.commands.outputs import OutputTarget, emit_report, explain_exit
from drift_gate.deadline import Deadline
from drift_gate.errors import InvalidInputError

if TYPE_CHECKING:
    from drift_gate.commands.progress import ProgressDisplay, ProgressFigures
    from drift_gate.engine.scan import Scanner, ScanOptions
    from drift_gate.model import Report
    from drift_gate.policy import Policy, SecretChecks
    from drift_gate.sources.accounts import Account
    from drift_gate.sources.aws import AwsClients

# The policy schema's region pattern: us-east-1, us-gov-west-1, cn-north-1, eu-isoe-west-1.
REGION_NAME = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]+\Z")


@dataclass(frozen=True)
class ScanRequest:
    """Everything `drift-gate scan` was asked."""

    regions: tuple[str, ...]
    clusters: tuple[str, ...]
    policy: Path | None
    profiles: tuple[str, ...]
    role_arns: tuple[str, ...]
    external_id: str | None
    session_name: str
    concurrency: int
    fail_on: str
    secret_checks: SecretChecks | None
    deep: bool
    max_attempts: int
    timeout: float
    deadline: float
    outputs: tuple[OutputTarget, ...]
    sarif_category: str | None
    quiet: bool  # no progress on standard error: the progress line, the --wait lines
    wait_seconds: float | None = None
    tasks_since: float | None = None
    skipped_links: frozenset[str] = frozenset()  # --skip-link: shown as not checked, not asked


def run(request: ScanRequest) -> int:
    """Read the policy, reach the accounts, scan, write every output; the exit code."""
    from drift_gate.commands.check import check_smoke_variables, emit_to_files
    from drift_gate.engine.gate import configuration_error_report
    from drift_gate.model import FailOn
    from drift_gate.policy import load_policy
    from drift_gate.sources.aws import AwsConfigurationError

    policy = load_policy(request.policy) if request.policy else None
    if policy is not None:
        warn_deprecated(policy.deprecations)
        check_smoke_variables(policy)
    deadline = Deadline(request.deadline)
    base = _base_clients(request, deadline)
    try:
        options = _scan_options(request, base)
        _say_unscanned_environments(policy, options.regions)
        report = _scan(request, policy, options, base, deadline)
    except AwsConfigurationError as error:
        failed = configuration_error_report(error, FailOn(request.fail_on), policy, None)
        emit_to_files(failed, request.outputs, request.sarif_category)
        raise
    code = emit_report(report, request.outputs, request.sarif_category)
    explain_exit(report, request.outputs)
    return code


def _scan_options(request: ScanRequest, base: AwsClients) -> ScanOptions:
    """The regions (given, else configured; each a region name) and what to check."""
    from drift_gate.engine.scan import ScanOptions
    from drift_gate.engine.service_checks import CHECK_DEFAULTS, SCAN_DEFAULTS, CheckOptions
    from drift_gate.model import FailOn

    regions = request.regions or (_configured_region(base),)
    _check_region_names(regions)
    return ScanOptions(
        regions=tuple(dict.fromkeys(regions)),
        clusters=tuple(dict.fromkeys(request.clusters)),
        concurrency=request.concurrency,
        check=CheckOptions(
            fail_on=FailOn(request.fail_on),
            secret_checks=request.secret_checks,
            deep_defaults=CHECK_DEFAULTS if request.deep else SCAN_DEFAULTS,
            skipped=request.skipped_links,
            tasks_since=request.tasks_since,
        ),
        prefetch_secrets=request.secret_checks != "off",  # noqa: S105 - a mode
        region_problems=_unknown_regions(base, regions),
        wait_seconds=request.wait_seconds,
        say=_progress_lines(request.quiet),
    )


def _scan(
    request: ScanRequest,
    policy: Policy | None,
    options: ScanOptions,
    base: AwsClients,
    deadline: Deadline,
) -> Report:
    from drift_gate.engine.scan import run_scan

    display = None if request.quiet else _progress()
    try:
        accounts = _accounts(request, base, deadline, options.regions[0])
        return run_scan(
            accounts,
            policy,
            options,
            on_tick=_ticker(display, accounts, base),
            more_clients=(base,),
        )
    finally:
        if display is not None:
            display.close()


def _session() -> Any:
    """A boto3 session on the user's configuration; a mistake in it is exit 2, in one line."""
    import boto3
    import botocore.exceptions

    from drift_gate.sources.aws import configuration_error

    try:
        session = boto3.session.Session()
        session.region_name  # noqa: B018 - reading it reads the profile, where a mistake shows
    except (botocore.exceptions.BotoCoreError, ValueError) as error:
        raise configuration_error(error, "") from None
    return session


def _say_unscanned_environments(policy: Policy | None, regions: tuple[str, ...]) -> None:
    """A policy environment in a region not scanned is checked nowhere: say so."""
    for environment in policy.environments if policy else ():
        if environment.region not in regions:
            echo(
                f"drift-gate: note: environment {environment.name} ({environment.region}) is "
                f"not in the regions scanned ({', '.join(regions)}); add --region "
                f"{environment.region} to check it",
                err=True,
            )


def _base_clients(request: ScanRequest, deadline: Deadline) -> AwsClients:
    from drift_gate.sources.aws import AwsClients, AwsSettings

    settings = AwsSettings(
        max_attempts=request.max_attempts,
        read_timeout=request.timeout,
        connect_timeout=min(5.0, request.timeout),
        retry_mode="adaptive",
        # one connection per worker, so none waits for a free one
        max_pool_connections=max(10, request.concurrency),
    )
    return AwsClients(settings, deadline=deadline)


def _accounts(
    request: ScanRequest, base: AwsClients, deadline: Deadline, sts_region: str
) -> list[Account]:
    from drift_gate.sources.accounts import RoleSettings, account_specs, open_account

    roles = RoleSettings(request.session_name, request.external_id)
    return [
        open_account(spec, base.settings, deadline, base, sts_region, roles)
        for spec in account_specs(request.profiles, request.role_arns)
    ]


def _configured_region(base: AwsClients) -> str:
    """The region the AWS configuration names (AWS_REGION, the profile); else exit 2."""
    region = os.environ.get("AWS_REGION") or _session().region_name
    if not region:
        raise InvalidInputError(
            "no region to scan: give --region (repeatable), or set AWS_REGION or a profile region"
        )
    return str(region)


def _check_region_names(regions: tuple[str, ...]) -> None:
    for region in regions:
        if not REGION_NAME.match(region):
            raise InvalidInputError(
                f"--region {region!r} is not an AWS region name; give one like us-east-1"
            )


def _unknown_regions(base: AwsClients, regions: tuple[str, ...]) -> dict[str, str]:
    """Well-formed names botocore's endpoint data does not list for ECS: "could not verify"
    for that region (the others are scanned). Skipped when an endpoint is set (emulators)."""
    if os.environ.get("AWS_ENDPOINT_URL") or os.environ.get("AWS_ENDPOINT_URL_ECS"):
        return {}
    session = _session()
    known = {
        region
        for partition in session.get_available_partitions()
        for region in session.get_available_regions("ecs", partition_name=partition)
    }
    return {
        region: (
            f"{region} is not an ECS region this botocore knows; check the name, or upgrade "
            "boto3 if the region is new"
        )
        for region in regions
        if region not in known
    }


def _progress_lines(quiet: bool) -> Callable[[str], None]:
    """Where the --wait progress lines go: standard error, or nowhere with --quiet."""
    if quiet:
        return lambda _line: None
    return lambda line: echo(line, err=True)


def _ticker(
    display: ProgressDisplay | None, accounts: list[Account], base: AwsClients
) -> Callable[[Scanner], None] | None:
    if display is None:
        return None
    return lambda scanner: display.show(_figures(scanner, accounts, base))


def _progress() -> ProgressDisplay:
    from drift_gate.commands.progress import ProgressDisplay

    return ProgressDisplay.on(sys.stderr)


def _figures(scanner: Scanner, accounts: list[Account], base: AwsClients) -> ProgressFigures:
    from drift_gate.commands.progress import ProgressFigures
    from drift_gate.engine.scan import aws_calls

    progress = scanner.progress
    return ProgressFigures(
        clusters=progress.clusters,
        services=progress.services,
        lookups_done=progress.lookups_done,
        lookups_known=progress.lookups_known,
        aws_calls=sum(aws_calls(accounts, base).values()),
    )
