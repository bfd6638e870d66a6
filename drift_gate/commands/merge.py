"""`drift-gate merge`: JSON reports of a matrix (one per account/region) into one verdict."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from drift_gate.commands.outputs import CONSOLE, OutputTarget, check_outputs, deliver

if TYPE_CHECKING:
    from drift_gate.model.levels import FailOn


@dataclass(frozen=True)
class MergeArguments:
    """What `drift-gate merge` was given, as click parsed it (fields named as its options)."""

    reports: tuple[Path, ...]
    fail_on: FailOn | None = None  # None: the strictest of the reports
    sarif_category: str | None = None
    outputs: tuple[OutputTarget, ...] = CONSOLE


def run(given: MergeArguments) -> int:
    """Merge, write every output; the merged exit code (the worst, writing included)."""
    from drift_gate.engine.entry import Outcome
    from drift_gate.engine.merge import load_report, merge_reports

    check_outputs(given.outputs, given.reports)
    merged = merge_reports([load_report(path) for path in given.reports], given.fail_on)
    return deliver(Outcome(merged), given.outputs, given.sarif_category)
