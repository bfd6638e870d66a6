"""Combining the JSON reports of a matrix of jobs (one per account or region) into one.

Duplicate findings collapse (same rule, same target). Fail closed: the merged threshold is
the strictest of the inputs unless one is given, a service checked twice counts as
unverified if either run could not verify it, and any could-not-verify finding keeps the
merged verdict from passing.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path

import jsonschema
from pydantic import ValidationError

from drift_gate.engine.outcome import ServiceResult, build_report
from drift_gate.errors import InvalidInputError
from drift_gate.input_files import REPORT, read_bytes
from drift_gate.model import CheckedService, FailOn, Report
from drift_gate.model.report_schema import shipped_report_schema
from drift_gate.schema_words import bounded, expected, shown_path

_STRICTNESS = {FailOn.NEVER: 0, FailOn.ERROR: 1, FailOn.WARNING: 2}


def load_report(path: Path) -> Report:
    """A drift-gate JSON report; anything else is invalid input (exit 2)."""
    try:
        document = json.loads(read_bytes(path, REPORT).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InvalidInputError(
            f"{path}: not JSON; give reports written with --format json"
        ) from error
    except RecursionError:
        raise InvalidInputError(
            f"{path}: JSON nested too deeply to be a report; give reports written with "
            "--format json"
        ) from None
    try:
        problem = jsonschema.exceptions.best_match(
            jsonschema.Draft202012Validator(shipped_report_schema()).iter_errors(document)
        )
    except RecursionError:
        raise InvalidInputError(
            f"{path}: not a drift-gate report (nested too deeply); give reports written with "
            "--format json"
        ) from None
    if problem is not None:
        # The JSON path and what was expected, never the value found: jsonschema's own
        # message begins with the value's repr (a task definition's environment values).
        where = shown_path(tuple(problem.absolute_path))
        words = bounded(expected(problem, "docs/reports.md"))
        raise InvalidInputError(
            f"{path}: not a drift-gate report ({where}: {words}); give reports written with "
            "--format json"
        )
    try:
        return Report.model_validate(document)
    except ValidationError as error:
        raise InvalidInputError(
            f"{path}: not a drift-gate report ({error.error_count()} problem(s))"
        ) from None


def merge_reports(reports: Sequence[Report], fail_on: FailOn | None = None) -> Report:
    """One report and verdict for all of them."""
    if not reports:
        raise InvalidInputError("give at least one report to merge")
    threshold = fail_on or max((r.fail_on for r in reports), key=_STRICTNESS.__getitem__)
    services: dict[tuple[str, str | None, str, str, str], CheckedService] = {}
    for report in reports:
        for service in report.services:
            key = (
                service.environment,
                service.account,
                service.region,
                service.cluster,
                service.service,
            )
            if key not in services or not service.verified:
                services[key] = service
    calls: dict[str, int] = {}
    for report in reports:
        for operation, count in report.stats.aws_calls.items():
            calls[operation] = calls.get(operation, 0) + count
    results = [ServiceResult(service, ()) for service in services.values()]
    results.append(ServiceResult(None, tuple(f for report in reports for f in report.findings)))
    merged = build_report(
        results,
        threshold,
        min(r.started_at for r in reports),
        max(r.finished_at for r in reports),
        _joined(r.policy for r in reports),
        calls,
        _joined(r.plan for r in reports),
        # each slice's declared sides, once each, in order
        declared=list(dict.fromkeys(label for r in reports for label in r.declared)),
    )
    # Each slice of a fanned-out scan read its own accounts and regions: keep them all.
    return merged.model_copy(update={"scanned": tuple(s for r in reports for s in r.scanned)})


def _joined(sources: Iterable[str | None]) -> str | None:
    unique = list(dict.fromkeys(source for source in sources if source))
    return ", ".join(unique) or None
