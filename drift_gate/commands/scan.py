"""`drift-gate scan`: every service in the accounts and regions given, with or without a policy.

The options become engine/entry.py's ScanRequest; this module adds the progress line on
standard error and writes the report (commands/outputs.deliver).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from drift_gate.commands._console import echo, warn
from drift_gate.commands.outputs import CONSOLE, OutputTarget, check_outputs, deliver
from drift_gate.deadline import DEFAULT_DEADLINE_SECONDS, Deadline
from drift_gate.model.levels import FailOn

if TYPE_CHECKING:
    from drift_gate.chain import LinkMode, SkippableLink
    from drift_gate.commands.progress import ProgressDisplay, ProgressFigures
    from drift_gate.engine.entry import ScanRequest
    from drift_gate.engine.scan import Scanner


@dataclass(frozen=True)
class ScanArguments:
    """What `drift-gate scan` was given, as click parsed it: one field per option, named as
    the option's parameter (cli_options.SCAN_OPTIONS), choices already their enums."""

    regions: tuple[str, ...] = ()
    clusters: tuple[str, ...] = ()
    policy: Path | None = None
    no_policy: bool = False
    profiles: tuple[str, ...] = ()
    role_arns: tuple[str, ...] = ()
    external_id: str | None = None
    session_name: str = "drift-gate-scan"
    concurrency: int = 8
    secret_checks: LinkMode | None = None
    tasks_since: float | None = None
    wait: float | None = None
    deep: bool = False
    skipped_links: tuple[SkippableLink, ...] = ()
    fail_on: FailOn = FailOn.ERROR
    sarif_category: str | None = None
    quiet: bool = False  # no progress on standard error: the progress line, the --wait lines
    max_attempts: int = 5
    timeout: float = 20.0
    deadline: float = DEFAULT_DEADLINE_SECONDS
    outputs: tuple[OutputTarget, ...] = CONSOLE


def run(given: ScanArguments, policy: Path | None) -> int:
    """Scan with the policy found (or none), write every output; the exit code."""
    from drift_gate.engine.entry import scan

    check_outputs(given.outputs, [policy])
    display = None if given.quiet else _progress()
    try:
        outcome = scan(scan_request(given, policy, display))
    finally:
        if display is not None:
            display.close()
    return deliver(outcome, given.outputs, given.sarif_category)


def scan_request(
    given: ScanArguments, policy: Path | None, display: ProgressDisplay | None
) -> ScanRequest:
    from drift_gate.engine.entry import ScanRequest

    return ScanRequest(
        policy,
        regions=given.regions,
        clusters=given.clusters,
        profiles=given.profiles,
        role_arns=given.role_arns,
        external_id=given.external_id,
        session_name=given.session_name,
        concurrency=given.concurrency,
        fail_on=given.fail_on,
        secret_checks=given.secret_checks,
        deep=given.deep,
        skipped_links=frozenset(given.skipped_links),
        wait_seconds=given.wait,
        tasks_since=given.tasks_since,
        max_attempts=given.max_attempts,
        timeout=given.timeout,
        deadline=Deadline(given.deadline),
        say=_progress_lines(given.quiet),
        note=lambda line: echo(line, err=True),
        warn=warn,
        on_tick=None if display is None else _ticker(display),
    )


def _progress_lines(quiet: bool) -> Callable[[str], None]:
    """Where the --wait progress lines go: standard error, or nowhere with --quiet."""
    if quiet:
        return lambda _line: None
    return lambda line: echo(line, err=True)


def _ticker(display: ProgressDisplay) -> Callable[[Scanner, int], None]:
    return lambda scanner, calls: display.show(_figures(scanner, calls))


def _progress() -> ProgressDisplay:
    from drift_gate.commands.progress import ProgressDisplay

    return ProgressDisplay.on(sys.stderr)


def _figures(scanner: Scanner, aws_calls: int) -> ProgressFigures:
    from drift_gate.commands.progress import ProgressFigures

    progress = scanner.progress
    return ProgressFigures(
        clusters=progress.clusters,
        services=progress.services,
        lookups_done=progress.lookups_done,
        lookups_known=progress.lookups_known,
        aws_calls=aws_calls,
    )
