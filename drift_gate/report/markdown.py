"""Markdown for GitHub's job summary: the verdict first, then a table per service.

GitHub refuses a step summary over 1 MiB; with `max_bytes` set, rows stop before the
budget and a note says how many findings were left out and where the full report is.
"""

from __future__ import annotations

from drift_gate.model import Finding, Report, Severity, Verdict
from drift_gate.report.base import RenderOptions, Reporter
from drift_gate.report.common import (
    Group,
    groups,
    scope_lines,
    smoke_lines,
    unchecked_lines,
    where_text,
)
from drift_gate.report.console import verdict_line
from drift_gate.report.markdown_text import code, rich, text

_ICON = {Verdict.PASS: "✅", Verdict.DRIFT: "❌", Verdict.COULD_NOT_VERIFY: "⛔"}
_SEVERITY = {Severity.ERROR: "🔴 error", Severity.WARNING: "🟠 warning", Severity.INFO: "🔵 info"}
_TABLE_HEAD = (
    "| severity | rule | where | what is wrong | declared at | fix |\n|---|---|---|---|---|---|\n"
)
_NOTE_RESERVE = 600  # bytes kept for the truncation note and closing lines


class MarkdownReporter(Reporter):
    name = "markdown"
    description = "GitHub-flavoured Markdown (the job summary); size-capped with --format markdown"

    def render(self, report: Report, options: RenderOptions) -> str:
        head = f"## {_ICON[report.verdict]} drift-gate: {text(verdict_line(report))}\n\n"
        parts = [head, _counts(report)]
        budget = (options.max_bytes or 0) - _NOTE_RESERVE
        used = _size(parts)
        left_out = 0
        for group in groups(report):
            group = _without_waived(group)  # noqa: PLW2901 - waived ones get their own section
            block = _group_header(group)
            rows = [_row(finding) for finding in group.findings]
            if options.max_bytes is not None and used + _size([block]) > budget:
                left_out += len(group.findings)
                continue
            parts.append(block)
            used += _size([block])
            for index, row in enumerate(rows):
                if options.max_bytes is not None and used + len(row.encode()) > budget:
                    left_out += len(rows) - index
                    break
                parts.append(row)
                used += len(row.encode())
            parts.append("\n")
        waived = _waived_section(report)
        if waived and (options.max_bytes is None or used + len(waived.encode()) <= budget):
            parts.append(waived)
        elif waived:
            left_out += report.stats.waived
        if left_out:
            parts.append(_truncation_note(left_out, options))
        parts.append(_scanned(report))
        parts.append(_footer(report))
        return "".join(parts)


def _without_waived(group: Group) -> Group:
    kept = tuple(f for f in group.findings if f.waiver is None)
    return Group(group.title, group.environment, group.service, kept)


def _waived_section(report: Report) -> str:
    """Accepted drift, in its own table: what, why, who, until when."""
    waived = [f for f in report.findings if f.waiver is not None]
    if not waived:
        return ""
    rows = "".join(
        f"| {text(f'{f.rule_id} {f.rule_name}')} | {code(f.target.label(), in_table=True)} | "
        f"{rich(f.message, in_table=True)} | {text(f.waiver.reason)} | "
        f"{text(f.waiver.owner or '')} | "
        f"{f.waiver.expires} ({f.waiver.days_left} day(s) left) |\n"
        for f in waived
        if f.waiver is not None
    )
    return (
        f"### Waived ({len(waived)}): reported, not failing, until each waiver's date\n\n"
        "| rule | where | what | reason | owner | expires |\n|---|---|---|---|---|---|\n"
        f"{rows}\n"
    )


def _size(parts: list[str]) -> int:
    return sum(len(part.encode("utf-8")) for part in parts)


def _counts(report: Report) -> str:
    counts = report.stats.findings_by_severity
    return (
        f"{len(report.services)} service(s) checked · {counts[Severity.ERROR]} error(s) · "
        f"{counts[Severity.WARNING]} warning(s) · {counts[Severity.INFO]} info · "
        f"fail on: {report.fail_on.value}"
        + (f" · terraform workspace: {code(report.workspace)}" if report.workspace else "")
        + "\n\n"
    )


def _group_header(group: Group) -> str:
    lines = [f"### {text(group.title)}\n\n"]
    service = group.service
    if service and service.deployed_task_definition:
        lines.append(f"Running {code(service.deployed_task_definition)}")
        if (
            service.latest_task_definition
            and service.latest_task_definition != service.deployed_task_definition
        ):
            lines.append(f"; latest registered {code(service.latest_task_definition)}")
        lines.append("\n\n")
    smoke = smoke_lines(service)
    if smoke:
        lines.append("".join(f"- smoke request {rich(line)}\n" for line in smoke) + "\n")
    unchecked = unchecked_lines(service) if service and service.verified else []
    if unchecked:
        lines.append("".join(f"- ⚪ {rich(line)}\n" for line in unchecked) + "\n")
    if not group.findings:
        lines.append("No findings: what runs is what is declared.\n")
        return "".join(lines)
    lines.append(_TABLE_HEAD)
    return "".join(lines)


def _row(finding: Finding) -> str:
    cells = (
        _SEVERITY[finding.severity],
        text(f"{finding.rule_id} {finding.rule_name}"),
        code(where_text(finding), in_table=True),
        rich(finding.message, in_table=True),
        code(finding.declared_in or "", in_table=True),
        rich(finding.remediation, in_table=True) if finding.severity is not Severity.INFO else "",
    )
    return "| " + " | ".join(cells) + " |\n"


def _truncation_note(left_out: int, options: RenderOptions) -> str:
    full = options.report_paths.get("json") or options.report_paths.get("html")
    where = (
        f"the full report is {code(full)}"
        if full
        else "run with `--format json --output FILE` for the full report"
    )
    limit = "to stay within GitHub's 1 MiB step summary"
    return f"> **{left_out} finding(s) left out** {limit}; {where}.\n\n"


def _scanned(report: Report) -> str:
    lines = scope_lines(report)
    if not lines:
        return ""
    return "### Scanned\n\n" + "".join(f"- {rich(line)}\n" for line in lines) + "\n"


def _footer(report: Report) -> str:
    calls = sum(report.stats.aws_calls.values())
    version = text(report.tool.version, starts_line=False)
    return f"<sub>drift-gate {version} · {calls} AWS call(s) · names only, never values</sub>\n"
