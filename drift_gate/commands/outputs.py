"""Writing a report in every requested format, and the exit code that results.

`deliver` is the one step of every command that produces a report (check, its offline and
task-definition-file forms, scan, merge): write every output, then say why the run exits as
it does. A report that cannot be written makes the run exit 2 unless the report itself is
worse: the worst exit code wins.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from drift_gate.commands._console import echo, echo_workflow_command, use_color
from drift_gate.errors import ExitCode, InvalidInputError

if TYPE_CHECKING:
    from drift_gate.engine.entry import Outcome
    from drift_gate.model import Report


@dataclass(frozen=True)
class OutputTarget:
    """One `--format F [--output PATH]` pair; no path means standard output."""

    format: str
    path: Path | None


CONSOLE = (OutputTarget("console", None),)


def check_outputs(targets: Sequence[OutputTarget], inputs: Sequence[Path | None]) -> None:
    """Refuse, before any work, outputs that would overwrite each other, an input, or write
    through a symbolic link (which could point anywhere): exit 2."""
    if sum(1 for target in targets if target.path is None) > 1:
        raise InvalidInputError(
            "only one --format may go to standard output; give the others --output"
        )
    read = {path.resolve(): path for path in inputs if path is not None}
    seen: dict[Path, str] = {}
    for target in targets:
        if target.path is None:
            continue
        if target.path.is_symlink():
            raise InvalidInputError(
                f"--output {target.path} is a symbolic link; give the real path to write to"
            )
        where = target.path.resolve()
        if where in read:
            raise InvalidInputError(
                f"--output {target.path} is the input {read[where]}; write the report elsewhere"
            )
        if where in seen:
            raise InvalidInputError(
                f"--format {seen[where]} and --format {target.format} both write "
                f"{target.path}; give each its own --output"
            )
        seen[where] = target.format


def deliver(
    outcome: Outcome, targets: Sequence[OutputTarget], sarif_category: str | None = None
) -> int:
    """Write every output and explain the exit; the exit code. A run that stopped before its
    checks still writes its report (a matrix merge must see it could not verify), then ends
    with its error."""
    if outcome.stopped is not None:
        written = targets if outcome.on_console else [t for t in targets if t.path is not None]
        if written:
            emit_report(outcome.report, written, sarif_category)
        raise outcome.stopped
    code = emit_report(outcome.report, targets, sarif_category)
    explain_exit(outcome.report, targets)
    return code


def emit_report(
    report: Report, targets: Sequence[OutputTarget], sarif_category: str | None = None
) -> int:
    """Every requested format, then what GitHub Actions expects; the run's exit code.

    The step outputs carry that final exit code (a report file that could not be written
    makes it 2 whatever the report says) and name only the files that were written."""
    from drift_gate.publish.github import WrittenReport, publish

    failed = write_outputs(report, targets, sarif_category)
    written = [WrittenReport(t.format, t.path) for t in targets if t not in failed]
    code = worst_exit_code([report.exit_code, ExitCode.INVALID_INPUT if failed else ExitCode.PASS])
    publish(report, written, os.environ, _to_stderr, exit_code=code)
    return code


def _to_stderr(text: str) -> None:
    """Workflow commands (annotations) go to standard error: the runner reads them there as
    well, and standard output may be a report that `-f json > r.json` must keep parseable."""
    echo_workflow_command(text)


def write_outputs(
    report: Report, targets: Sequence[OutputTarget], sarif_category: str | None = None
) -> list[OutputTarget]:
    """Render each requested format; the targets whose file could not be written (each is
    tried)."""
    from drift_gate.publish.github import append_step_summary
    from drift_gate.report import RenderOptions, reporters

    available = reporters()
    paths = {target.format: str(target.path) for target in targets if target.path is not None}
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    here = Path.cwd()
    root = os.environ.get("GITHUB_WORKSPACE") or _repository_root(here)
    failed: list[OutputTarget] = []
    for target in targets:
        options = RenderOptions(
            color=use_color(is_terminal=target.path is None and sys.stdout.isatty()),
            report_paths=paths,
            workspace=root,
            base=str(here),
            sarif_category=sarif_category,
        )
        if target.format == "markdown" and summary and str(target.path) == summary:
            append_step_summary(report, Path(summary), options)  # appended, size-capped
        elif target.path is None:
            echo(available[target.format].render(report, options), nl=False)
        else:
            try:
                write_file(target.path, available[target.format].render(report, options))
            except InvalidInputError as error:
                echo(f"drift-gate: error: {error}", err=True)
                failed.append(target)
    return failed


def _repository_root(start: Path) -> str | None:
    """The work tree holding `start` (repository.py: the `.git` that counts): SARIF and
    annotation paths are relative to it, as GitHub reads them, wherever in the repository
    drift-gate ran. Found once per run, without running git."""
    from drift_gate.repository import discover

    root = discover(start).root
    return None if root is None else str(root)


def write_file(path: Path, text: str) -> None:
    """Write a report or document; a failure is one line (exit 2)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as error:
        raise InvalidInputError(
            f"{path}: cannot write report ({error.strerror or error})"
        ) from error


def explain_exit(report: Report, targets: Sequence[OutputTarget]) -> None:
    """Say the verdict on stderr when no console report went to stdout, and why exit 3."""
    from drift_gate.report.console import verdict_line

    console_on_stdout = any(t.format == "console" and t.path is None for t in targets)
    if not console_on_stdout:
        echo(f"drift-gate: {verdict_line(report)}", err=True)
    if report.exit_code == ExitCode.COULD_NOT_VERIFY:
        first = next(f for f in report.findings if f.is_unverified)
        message = first.message.removeprefix("could not verify: ")
        echo(f"drift-gate: could not verify {first.target.label()}: {message}", err=True)


def worst_exit_code(codes: Sequence[int]) -> int:
    """Could not verify outranks invalid input, which outranks drift, which outranks pass."""
    for code in (
        ExitCode.INTERRUPTED,
        ExitCode.COULD_NOT_VERIFY,
        ExitCode.INVALID_INPUT,
        ExitCode.DRIFT,
    ):
        if code in codes:
            return int(code)
    return int(ExitCode.PASS)
