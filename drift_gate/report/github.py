"""GitHub workflow annotations: `::error file=F,line=L,title=T::message`.

Escaped as actions/toolkit's command.ts escapes them. GitHub shows at most 10 error and 10
warning annotations per step, so the rest are counted in one closing notice that points at
the job summary. Info findings are left to the summary.
"""

from __future__ import annotations

from drift_gate.model import Finding, Report, Severity
from drift_gate.report.base import RenderOptions, Reporter
from drift_gate.report.common import location, unchecked_lines, waiver_text, where_text
from drift_gate.report.terminal_text import terminal_text

ANNOTATIONS_PER_LEVEL = 10
_COMMAND = {Severity.ERROR: "error", Severity.WARNING: "warning"}


def escape_data(text: str) -> str:
    """A command's message: names shown as text on the log's terminal (control characters
    and bidirectional overrides as visible escapes, report/terminal_text.py), then escaped as
    the runner unescapes it; drift-gate's own line breaks are kept."""
    shown = "\n".join(terminal_text(line) for line in text.split("\n"))
    return shown.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    shown = terminal_text(text)  # a property is one line: a line break in a name is shown
    return shown.replace("%", "%25").replace(":", "%3A").replace(",", "%2C")


class GithubReporter(Reporter):
    name = "github"
    description = (
        "GitHub Actions workflow annotations (emitted by themselves when GITHUB_ACTIONS=true)"
    )

    def render(self, report: Report, options: RenderOptions) -> str:
        lines: list[str] = []
        left_out: dict[Severity, int] = {}
        for severity, command in _COMMAND.items():
            findings = [f for f in report.findings if f.severity is severity and not f.waiver]
            lines += [annotation(command, f, options) for f in findings[:ANNOTATIONS_PER_LEVEL]]
            left_out[severity] = max(0, len(findings) - ANNOTATIONS_PER_LEVEL)
        if any(left_out.values()):
            errors, warnings = left_out[Severity.ERROR], left_out[Severity.WARNING]
            more = f"{errors} more error(s) and {warnings} more warning(s)"
            message = (
                f"{more} than GitHub shows as annotations; see the job summary or the full report"
            )
            lines.append(f"::notice title={escape_property('drift-gate')}::{escape_data(message)}")
        # Waived findings: a notice each (accepted, not failing), with the waiver's terms.
        waived = [f for f in report.findings if f.waiver is not None]
        lines += [annotation("notice", f, options) for f in waived[:ANNOTATIONS_PER_LEVEL]]
        for service in report.services:
            unchecked = unchecked_lines(service) if service.verified else []
            if unchecked:
                title = f"drift-gate: not verified: {service.environment}/{service.service}"
                lines.append(
                    f"::notice title={escape_property(title)}::{escape_data('; '.join(unchecked))}"
                )
        return "".join(line + "\n" for line in lines)


def annotation(command: str, finding: Finding, options: RenderOptions) -> str:
    properties = []
    place = location(finding, options.workspace, options.base)
    if place:
        properties += [f"file={escape_property(place.path)}", f"line={place.line}"]
    where = where_text(finding) or finding.target.label()
    properties.append(f"title={escape_property(f'{finding.rule_id} {finding.rule_name}: {where}')}")
    message = f"{finding.message}\n{waiver_text(finding) or finding.remediation}"
    return f"::{command} {','.join(properties)}::{escape_data(message)}"
