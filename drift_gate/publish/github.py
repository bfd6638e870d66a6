"""Inside GitHub Actions, drift-gate reports by itself: job summary, annotations, step outputs.

- $GITHUB_STEP_SUMMARY set: the Markdown report is appended, kept under GitHub's 1 MiB
  per step (whatever the step already wrote counts).
- GITHUB_ACTIONS=true: annotations are printed through `echo`, which the caller points at
  standard error: the runner reads workflow commands there too, and standard output may
  carry a JSON or SARIF report that a trailing `::error` line would break.
- $GITHUB_OUTPUT set: verdict, exit code, counts per severity and report paths.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from drift_gate.errors import InvalidInputError
from drift_gate.model import Report, Severity
from drift_gate.report import RenderOptions
from drift_gate.report.github import GithubReporter
from drift_gate.report.markdown import MarkdownReporter

STEP_SUMMARY_LIMIT = 1024 * 1024
# GitHub aborts a summary over 1 MiB; leave room for anything else the step writes.
STEP_SUMMARY_BUDGET = 900 * 1024


@dataclass(frozen=True)
class WrittenReport:
    format: str
    path: Path | None


def publish(
    report: Report,
    written: Sequence[WrittenReport],
    environ: Mapping[str, str],
    echo: Callable[[str], None],
    exit_code: int | None = None,
) -> None:
    """Do what a GitHub Actions step of drift-gate should do, as far as the environment says.

    `exit_code`: the run's final exit code, when worse than the report's (default: the
    report's); the step outputs carry it."""
    paths = {item.format: str(item.path) for item in written if item.path is not None}
    options = RenderOptions(
        report_paths=paths, workspace=environ.get("GITHUB_WORKSPACE"), base=str(Path.cwd())
    )
    summary = environ.get("GITHUB_STEP_SUMMARY")
    if summary and not _already_written(written, "markdown", summary):
        append_step_summary(report, Path(summary), options)
    if environ.get("GITHUB_ACTIONS") == "true" and not any(
        item.format == "github" and item.path is None for item in written
    ):
        echo(GithubReporter().render(report, options).rstrip("\n"))
    if environ.get("GITHUB_OUTPUT"):
        write_step_outputs(report, paths, Path(environ["GITHUB_OUTPUT"]), exit_code)


def _already_written(written: Sequence[WrittenReport], fmt: str, path: str) -> bool:
    return any(
        item.format == fmt and item.path is not None and str(item.path) == path for item in written
    )


def append_step_summary(report: Report, path: Path, options: RenderOptions) -> None:
    existing = path.stat().st_size if path.exists() else 0
    budget = max(STEP_SUMMARY_BUDGET - existing, 4096)
    text = MarkdownReporter().render(
        report,
        RenderOptions(
            report_paths=options.report_paths,
            max_bytes=budget,
            workspace=options.workspace,
            base=options.base,
        ),
    )
    _append(path, text)


# The verdict of a run whose exit code is worse than its report's (a file not written: 2).
_FAILED_VERDICT = {1: "drift", 2: "invalid-input", 3: "could-not-verify"}


def step_outputs(
    report: Report, paths: Mapping[str, str], exit_code: int | None = None
) -> dict[str, str]:
    """The step's outputs: verdict, exit code, counts per severity, one path per written format.

    The verdict and exit code are the run's final ones (`exit_code`), not the report's, when
    they differ: a run that exits 2 never says pass."""
    counts = report.stats.findings_by_severity
    code = report.exit_code if exit_code is None else exit_code
    verdict = (
        report.verdict.value
        if code == report.exit_code
        else _FAILED_VERDICT.get(code, "invalid-input")
    )
    outputs = {
        "verdict": verdict,
        "exit-code": str(code),
        "findings": str(len(report.findings)),
        "errors": str(counts[Severity.ERROR]),
        "warnings": str(counts[Severity.WARNING]),
        "infos": str(counts[Severity.INFO]),
    }
    outputs.update({f"{fmt}-report": path for fmt, path in sorted(paths.items())})
    return outputs


def write_step_outputs(
    report: Report, paths: Mapping[str, str], path: Path, exit_code: int | None = None
) -> None:
    lines = []
    for name, value in step_outputs(report, paths, exit_code).items():
        if "\n" in value or "\r" in value:
            delimiter = f"ghadelimiter_{secrets.token_hex(8)}"  # cannot occur in the value
            lines.append(f"{name}<<{delimiter}\n{value}\n{delimiter}\n")
        else:
            lines.append(f"{name}={value}\n")
    _append(path, "".join(lines))


def _append(path: Path, text: str) -> None:
    try:
        with path.open("a", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as error:
        raise InvalidInputError(f"{path}: cannot append ({error.strerror or error})") from error
