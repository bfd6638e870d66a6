"""A scan's request, and what it takes to start one: the regions (given or configured, each
checked), the accounts (profiles, assumed roles) and their clients. `engine/entry.scan` runs it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from drift_gate.chain import LinkMode, SkippableLink
from drift_gate.deadline import Deadline
from drift_gate.errors import InvalidInputError
from drift_gate.model import FailOn

if TYPE_CHECKING:
    from drift_gate.engine.scan import Scanner, ScanOptions
    from drift_gate.model import Report
    from drift_gate.policy import Policy, SecretChecks
    from drift_gate.sources.accounts import Account
    from drift_gate.sources.aws import AwsClients

Say = Callable[[str], None]

# The policy schema's region pattern: us-east-1, us-gov-west-1, cn-north-1, eu-isoe-west-1.
REGION_NAME = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]+\Z")


@dataclass(frozen=True)
class ScanRequest:
    """`scan`: every service in the accounts and regions given, with or without a policy."""

    policy: Path | None = None
    regions: tuple[str, ...] = ()  # none: the configured region (AWS_REGION, the profile)
    clusters: tuple[str, ...] = ()  # none: every cluster
    profiles: tuple[str, ...] = ()  # none, and no role: the default credentials
    role_arns: tuple[str, ...] = ()
    external_id: str | None = None
    session_name: str = "drift-gate-scan"
    concurrency: int = 8
    fail_on: FailOn = FailOn.ERROR
    secret_checks: LinkMode | None = None  # None: as the policy says
    deep: bool = False  # images and running tasks too, as check does
    skipped_links: frozenset[SkippableLink] = frozenset()
    wait_seconds: float | None = None
    tasks_since: float | None = None
    max_attempts: int = 5
    timeout: float = 20.0
    deadline: Deadline | None = None  # None: the default deadline
    say: Say | None = None  # progress lines (--wait)
    note: Say | None = None  # what the run cannot cover (a policy region not scanned)
    warn: Say | None = None  # the policy's deprecated forms, one line each
    on_tick: Callable[[Scanner, int], None] | None = None  # progress, and AWS calls so far


# The policy's own words for each mode (tests/unit/test_cli_choices.py holds them equal to
# LinkMode's values): a plain string, never the enum member, reaches the declared model.
_POLICY_MODE: dict[LinkMode, SecretChecks] = {
    LinkMode.REQUIRED: "required",
    LinkMode.BEST_EFFORT: "best-effort",
    LinkMode.OFF: "off",
}


def link_mode(mode: LinkMode | None) -> SecretChecks | None:
    """--secret-checks as the policy says it."""
    return _POLICY_MODE[mode] if mode is not None else None


def run_scan_request(request: ScanRequest, policy: Policy | None, deadline: Deadline) -> Report:
    """The regions and accounts of the request, reached and scanned."""
    from drift_gate.engine.scan import aws_calls, run_scan

    base = base_clients(request, deadline)
    options = _scan_options(request, base)
    _note_unscanned_environments(request.note, policy, options.regions)
    accounts = _accounts(request, base, deadline, options.regions[0])
    on_tick = request.on_tick
    return run_scan(
        accounts,
        policy,
        options,
        on_tick=None
        if on_tick is None
        else lambda scanner: on_tick(scanner, sum(aws_calls(accounts, base).values())),
        more_clients=(base,),
    )


def _scan_options(request: ScanRequest, base: AwsClients) -> ScanOptions:
    """The regions (given, else configured; each a region name) and what to check."""
    from drift_gate.engine.scan import ScanOptions
    from drift_gate.engine.service_checks import CHECK_DEFAULTS, SCAN_DEFAULTS, CheckOptions

    regions = request.regions or (_configured_region(),)
    _check_region_names(regions)
    return ScanOptions(
        regions=tuple(dict.fromkeys(regions)),
        clusters=tuple(dict.fromkeys(request.clusters)),
        concurrency=request.concurrency,
        check=CheckOptions(
            fail_on=request.fail_on,
            secret_checks=link_mode(request.secret_checks),
            deep_defaults=CHECK_DEFAULTS if request.deep else SCAN_DEFAULTS,
            skipped=frozenset(request.skipped_links),
            tasks_since=request.tasks_since,
        ),
        prefetch_secrets=request.secret_checks is not LinkMode.OFF,
        region_problems=unknown_regions(regions),
        wait_seconds=request.wait_seconds,
        say=request.say or (lambda _line: None),
    )


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


def _note_unscanned_environments(
    note: Say | None, policy: Policy | None, regions: tuple[str, ...]
) -> None:
    """A policy environment in a region not scanned is checked nowhere: say so."""
    if note is None or policy is None:
        return
    for environment in policy.environments:
        if environment.region not in regions:
            note(
                f"drift-gate: note: environment {environment.name} ({environment.region}) is "
                f"not in the regions scanned ({', '.join(regions)}); add --region "
                f"{environment.region} to check it"
            )


def base_clients(request: ScanRequest, deadline: Deadline) -> AwsClients:
    """The clients of the default credentials: adaptive retries (a scan's burst of calls is
    what AWS throttles), one connection per worker."""
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


def _configured_region() -> str:
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


def unknown_regions(regions: tuple[str, ...]) -> dict[str, str]:
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
