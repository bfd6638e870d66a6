"""Console: the verdict on the first line, then each service with what is wrong and the fix."""

from __future__ import annotations

from collections.abc import Iterable

from drift_gate.errors import ExitCode
from drift_gate.model import Finding, Report, Severity, Verdict
from drift_gate.report.base import RenderOptions, Reporter
from drift_gate.report.common import (
    Group,
    belongs,
    groups,
    scope_lines,
    smoke_lines,
    unchecked_lines,
    waiver_text,
    where_text,
)
from drift_gate.report.terminal_text import log_line, terminal_text

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
        text = terminal_text(text)  # before the colour: only drift-gate's own escapes remain
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
        lines.append(terminal_text(_footer(report)))
        # Every name in a line is escaped where it is put; then no line may start a workflow
        # command in a CI log, whatever text it holds.
        return "\n".join(log_line(line) for line in lines) + "\n"


def verdict_line(report: Report, paint: _Painter | None = None) -> str:
    """One line a person reads in two seconds: the verdict and what drives it."""
    paint = paint or _Painter(enabled=False)
    word, color = _VERDICT_TEXT[report.verdict]
    counts = report.stats.findings_by_severity
    services = len(report.services)
    if report.verdict is Verdict.COULD_NOT_VERIFY:
        if report.exit_code == ExitCode.INVALID_INPUT and not report.services:
            # The run could not start (the user's AWS configuration): an error, not a verdict.
            word = "ERROR"
        after = "nothing was checked" if word == "ERROR" else "this is not a pass"
        detail = f"{'; '.join(unverified_parts(report))}; {after}"
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
        detail += " [offline: the files given only; no AWS call, no terraform]"
    return f"{paint(word, color)}: {terminal_text(detail)}"


# The words engine/wait.py closes a rollout that did not settle with: a run-level step.
_WAIT_WORDS = "the rollout did not settle within"


def unverified_parts(report: Report) -> list[str]:
    """What really could not be verified, each counted as what it is: services, smoke
    requests, the --wait for rollouts, accounts and regions, and the run itself."""
    unverified = [f for f in report.findings if f.is_unverified]
    smoke = [f for f in unverified if f.target.request]
    waits = [f for f in unverified if not f.target.request and _WAIT_WORDS in f.message]
    rest = [f for f in unverified if f not in smoke and f not in waits]
    services = [s for s in report.services if not s.verified or any(belongs(f, s) for f in rest)]
    parts = []
    if services:
        parts.append(f"{len(services)} of {len(report.services)} service(s) could not be verified")
    if smoke:
        parts.append(f"{len(smoke)} smoke request(s) could not be verified")
    if waits:
        parts.append(f"{len(waits)} rollout(s) did not settle within --wait")
    unread = sum(1 for scope in report.scanned if not scope.verified)
    if unread:
        parts.append(f"{unread} account/region(s) could not be read")
    run_level = [f for f in rest if not f.target.service and not report.scanned]
    if len(run_level) == 1:
        parts.append(run_level[0].message.removeprefix("could not verify: "))
    elif run_level:
        parts.append(f"{len(run_level)} run-level problem(s) (listed below)")
    return parts or ["a link could not be verified"]


def _group_block(group: Group, paint: _Painter) -> Iterable[str]:
    status = "ok" if not group.findings else f"{len(group.findings)} finding(s)"
    yield paint(group.title, "bold") + f"  [{status}]"
    service = group.service
    if service and service.deployed_task_definition:
        yield f"  running  {terminal_text(service.deployed_task_definition)}"
        if (
            service.latest_task_definition
            and service.latest_task_definition != service.deployed_task_definition
        ):
            yield f"  latest   {terminal_text(service.latest_task_definition)}"
    for finding in group.findings:
        yield from _finding_lines(finding, paint)
    for line in smoke_lines(service):
        yield f"  smoke   {terminal_text(line)}"
    for line in unchecked_lines(service) if service and service.verified else []:
        yield paint(f"  link    {line}", "dim")
    yield ""


def _finding_lines(finding: Finding, paint: _Painter) -> Iterable[str]:
    if finding.waiver is not None:  # reported, accepted: never drawn as a failure
        severity = paint(f"{'WAIVED':<7}", "dim")
    else:
        severity = paint(f"{finding.severity.value.upper():<7}", _SEVERITY_COLOR[finding.severity])
    where = terminal_text(where_text(finding))
    yield f"  {severity} {finding.rule_id} {finding.rule_name}" + (f"  {where}" if where else "")
    yield f"          {terminal_text(finding.message)}"
    if finding.declared_in:
        yield paint(f"          declared at {finding.declared_in}", "dim")
    if finding.waiver is not None:
        waived = terminal_text(waiver_text(finding))
        yield f"          {waived} ({finding.severity.value} when it expires)"
    elif finding.severity is not Severity.INFO:
        yield f"          fix: {terminal_text(finding.remediation)}"


def _scope_lines(report: Report) -> Iterable[str]:
    """What a scan read, per account and region, and what it saw but did not check; the
    declared sides the live check read besides the policy and the plan."""
    for label in report.declared:
        yield terminal_text(f"declared by {label}")
    if report.declared:
        yield ""
    for line in map(terminal_text, scope_lines(report)):
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
