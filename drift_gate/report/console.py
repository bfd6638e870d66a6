"""Console: the verdict on the first line, then each service with what is wrong and the fix."""

from __future__ import annotations

from collections.abc import Iterable

from drift_gate.model import Finding, Report, Severity, Verdict
from drift_gate.report.base import RenderOptions, Reporter
from drift_gate.report.common import (
    Group,
    groups,
    scope_lines,
    smoke_lines,
    unchecked_lines,
    waiver_text,
    where_text,
)

_COLORS = {"red": "31", "yellow": "33", "green": "32", "dim": "2", "bold": "1", "cyan": "36"}
_SEVERITY_COLOR = {Severity.ERROR: "red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}
_VERDICT_TEXT = {
    Verdict.PASS: ("PASS", "green"),
    Verdict.DRIFT: ("DRIFT", "red"),
    Verdict.COULD_NOT_VERIFY: ("COULD NOT VERIFY", "red"),
}


class _Painter:
    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def __call__(self, text: str, color: str) -> str:
        if not self.enabled:
            return text
        return f"\x1b[{_COLORS[color]}m{text}\x1b[0m"


class ConsoleReporter(Reporter):
    name = "console"
    description = "human-readable text for a terminal or CI log"

    def render(self, report: Report, options: RenderOptions) -> str:
        paint = _Painter(options.color)
        lines = [verdict_line(report, paint), ""]
        quiet_passes = 0
        for group in groups(report):
            if report.scanned and group.service is not None and not group.findings:
                quiet_passes += 1  # a scan lists thousands: only what needs a look
                continue
            lines.extend(_group_block(group, paint))
        if quiet_passes:
            lines += [
                f"{quiet_passes} more service(s) with no finding (each is in --format json)",
                "",
            ]
        lines.extend(_scope_lines(report))
        lines.append(_footer(report))
        return "\n".join(lines) + "\n"


def verdict_line(report: Report, paint: _Painter | None = None) -> str:
    """One line a person reads in two seconds: the verdict and what drives it."""
    paint = paint or _Painter(enabled=False)
    word, color = _VERDICT_TEXT[report.verdict]
    counts = report.stats.findings_by_severity
    services = len(report.services)
    if report.verdict is Verdict.COULD_NOT_VERIFY:
        unverified = sum(1 for s in report.services if not s.verified)
        detail = f"{unverified} of {services} service(s) could not be verified; this is not a pass"
        unread = sum(1 for scope in report.scanned if not scope.verified)
        if unread:
            detail += f"; {unread} account/region(s) could not be read"
    elif report.verdict is Verdict.DRIFT:
        waived = f", {report.stats.waived} waived" if report.stats.waived else ""
        detail = (
            f"{counts[Severity.ERROR]} error(s), {counts[Severity.WARNING]} warning(s){waived} "
            f"across {services} service(s) (--fail-on {report.fail_on.value})"
        )
    else:
        detail = f"{services} service(s) run what is declared"
        if report.stats.waived:
            detail += f", {report.stats.waived} finding(s) waived"
        nonblocking = counts[Severity.ERROR] + counts[Severity.WARNING] + counts[Severity.INFO]
        if nonblocking:
            detail += (
                f" ({nonblocking} non-blocking finding(s) under --fail-on {report.fail_on.value})"
            )
    if report.offline:
        detail += " [offline: Terraform sources and dotenv files only; no AWS call, no terraform]"
    return f"{paint(word, color)}: {detail}"


def _group_block(group: Group, paint: _Painter) -> Iterable[str]:
    status = "ok" if not group.findings else f"{len(group.findings)} finding(s)"
    yield paint(group.title, "bold") + f"  [{status}]"
    service = group.service
    if service and service.deployed_task_definition:
        yield f"  running  {service.deployed_task_definition}"
        if (
            service.latest_task_definition
            and service.latest_task_definition != service.deployed_task_definition
        ):
            yield f"  latest   {service.latest_task_definition}"
    for finding in group.findings:
        yield from _finding_lines(finding, paint)
    for line in smoke_lines(service):
        yield f"  smoke   {line}"
    for line in unchecked_lines(service) if service and service.verified else []:
        yield paint(f"  link    {line}", "dim")
    yield ""


def _finding_lines(finding: Finding, paint: _Painter) -> Iterable[str]:
    if finding.waiver is not None:  # reported, accepted: never drawn as a failure
        severity = paint(f"{'WAIVED':<7}", "dim")
    else:
        severity = paint(f"{finding.severity.value.upper():<7}", _SEVERITY_COLOR[finding.severity])
    where = where_text(finding)
    yield f"  {severity} {finding.rule_id} {finding.rule_name}" + (f"  {where}" if where else "")
    yield f"          {finding.message}"
    if finding.declared_in:
        yield paint(f"          declared at {finding.declared_in}", "dim")
    if finding.waiver is not None:
        yield f"          {waiver_text(finding)} ({finding.severity.value} when it expires)"
    elif finding.severity is not Severity.INFO:
        yield f"          fix: {finding.remediation}"


def _scope_lines(report: Report) -> Iterable[str]:
    """What a scan read, per account and region, and what it saw but did not check."""
    for line in scope_lines(report):
        yield f"  {line}" if line.startswith("note: ") else f"scanned {line}"
    if report.scanned:
        yield ""


def _footer(report: Report) -> str:
    calls = sum(report.stats.aws_calls.values())
    seconds = (report.finished_at - report.started_at).total_seconds()
    workspace = f", terraform workspace {report.workspace}" if report.workspace else ""
    return (
        f"drift-gate {report.tool.version}: {len(report.services)} service(s), "
        f"{len(report.findings)} finding(s), {calls} AWS call(s), {seconds:.2f}s{workspace}"
    )
