"""`drift-gate merge`: JSON reports of a matrix (one per account/region) into one verdict."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from drift_gate.commands.outputs import OutputTarget, check_outputs, emit_report, explain_exit


def run(
    reports: Sequence[Path],
    fail_on: str | None,
    targets: Sequence[OutputTarget],
    sarif_category: str | None = None,
) -> int:
    """Merge, write every output; the merged exit code (the worst, writing included)."""
    from drift_gate.engine.merge import load_report, merge_reports
    from drift_gate.model import FailOn

    check_outputs(targets, reports)
    merged = merge_reports(
        [load_report(path) for path in reports], FailOn(fail_on) if fail_on else None
    )
    code = emit_report(merged, targets, sarif_category)
    explain_exit(merged, targets)
    return code
