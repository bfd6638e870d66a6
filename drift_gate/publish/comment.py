"""One pull-request comment per report category, updated in place on every run.

The comment is found again by a hidden marker on its first line,
`<!-- drift-gate:pull-request-comment -->` (with ` category=ENCODED` when a category is
given), never by its text; the category is percent-encoded beyond letters, digits and
`-._~`, so no category can end the comment or look like another one's marker. Every name
from the report goes through report/markdown_text.py. A passing run after a failing one
rewrites the same comment to say it passes: a comment that disappears says nothing.

The body keeps under GitHub's 65,536-character limit for a comment: findings and the
links not checked are cut at whole lines, and a note says how many were left out.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import quote

from drift_gate.model import Finding, Report, Severity, Verdict
from drift_gate.publish.github_api import GitHubApi
from drift_gate.publish.issues import MARKER_PREFIX
from drift_gate.report.common import SEVERITY_ORDER, unchecked_lines, where_text
from drift_gate.report.console import verdict_line
from drift_gate.report.markdown_text import code, rich, text

# GitHub refuses a comment over 65,536 characters (422 "Body is too long").
COMMENT_LIMIT = 65_536
# Kept for the note of what was left out and the lines after it (the run's link, the footer).
_RESERVE = 2_000
_ICON = {Verdict.PASS: "✅", Verdict.DRIFT: "❌", Verdict.COULD_NOT_VERIFY: "⛔"}
_SEVERITY = {Severity.ERROR: "🔴 error", Severity.WARNING: "🟠 warning", Severity.INFO: "🔵 info"}
_TABLE_HEAD = ("| severity | rule | where | what is wrong | fix |", "|---|---|---|---|---|")


def comment_marker(category: str | None) -> str:
    """The hidden first line that finds this category's comment again."""
    if not category:
        return f"{MARKER_PREFIX}pull-request-comment -->"
    return f"{MARKER_PREFIX}pull-request-comment category={quote(category, safe='-._~')} -->"


def comment_body(
    report: Report,
    category: str | None,
    run_url: str | None,
    limit: int = COMMENT_LIMIT,
    exit_code: int | None = None,
) -> str:
    """The whole comment: the verdict, counts, findings, links not checked, the run.

    `exit_code` is the run's final exit code when it is known: one worse than the report's
    (a report file that could not be written: 2) heads the comment as a failure."""
    if exit_code is None or exit_code == report.exit_code:
        head = [
            comment_marker(category),
            f"## {_ICON[report.verdict]} drift-gate: {text(verdict_line(report))}",
            "",
        ]
    else:
        head = [
            comment_marker(category),
            f"## ⛔ drift-gate: FAILED: the run exited {exit_code}",
            "",
            f"The report says {text(verdict_line(report), starts_line=False)}, but the run "
            f"failed (exit code {exit_code}): see the job log.",
            "",
        ]
    if category:
        head += [f"Category: {code(category)}", ""]
    head += [_counts(report), ""]
    tail = _tail(run_url, report.tool.version)
    body = _Fitted(limit - _RESERVE - _size(head) - _size(tail))
    body.add_findings(_ordered(report.findings))
    body.add_unchecked(report)
    return "\n".join([*head, *body.lines, *body.note(), *tail]) + "\n"


def no_report_body(category: str | None, run_url: str | None, exit_code: int) -> str:
    """The comment when the gate failed before writing a report (an invalid policy, bad
    arguments): whatever an earlier run said no longer holds."""
    from drift_gate._version import __version__

    lines = [
        comment_marker(category),
        f"## ⛔ drift-gate: FAILED: the gate did not produce a report (exit code {exit_code})",
        "",
        "The gate stopped before it could check anything (an invalid policy or input, bad "
        "arguments, a runner it cannot serve): see the job log. Nothing here says whether "
        "the deployment drifts.",
        "",
    ]
    if category:
        lines += [f"Category: {code(category)}", ""]
    return "\n".join([*lines, *_tail(run_url, __version__)]) + "\n"


def _tail(run_url: str | None, version: str) -> list[str]:
    return [
        "",
        f"Run: {run_url}" if run_url else "Run: not in GitHub Actions (no link)",
        "",
        f"<sub>drift-gate {text(version, starts_line=False)} · updated in place on "
        "every run · names only, never values</sub>",
    ]


def _counts(report: Report) -> str:
    counts = report.stats.findings_by_severity
    waived = f" · {report.stats.waived} waived" if report.stats.waived else ""
    return (
        f"{len(report.services)} service(s) checked · {counts[Severity.ERROR]} error(s) · "
        f"{counts[Severity.WARNING]} warning(s) · {counts[Severity.INFO]} info{waived} · "
        f"fail on: {report.fail_on.value}"
    )


def _ordered(findings: Iterable[Finding]) -> list[Finding]:
    """Blocking ones first (errors, then warnings, then info), waived last: a cut drops the
    least important."""
    rank = {severity: index for index, severity in enumerate(SEVERITY_ORDER)}
    return sorted(findings, key=lambda f: (f.waiver is not None, rank[f.severity]))


def _row(finding: Finding) -> str:
    place = " / ".join(
        part for part in (finding.target.environment, finding.target.service) if part
    )
    where = "/".join(part for part in (place, where_text(finding)) if part)
    severity = _SEVERITY[finding.severity] + (" (waived)" if finding.waiver is not None else "")
    fix = rich(finding.remediation, in_table=True) if finding.severity is not Severity.INFO else ""
    cells = (
        severity,
        text(f"{finding.rule_id} {finding.rule_name}"),
        code(where, in_table=True),
        rich(finding.message, in_table=True),
        fix,
    )
    return "| " + " | ".join(cells) + " |"


class _Fitted:
    """Lines added while they fit in `budget` characters; the rest counted for the note.
    Once one line is left out, every later one is too: the cut is at whole lines, in order."""

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self.lines: list[str] = []
        self.left_findings = self.left_unchecked = 0

    def _fits(self, lines: list[str]) -> bool:
        if self.left_findings or self.left_unchecked or _size(lines) > self.budget:
            return False
        self.lines += lines
        self.budget -= _size(lines)
        return True

    def add_findings(self, findings: list[Finding]) -> None:
        if not findings:
            self.lines += ["No findings.", ""]
            return
        heading = ["### Findings", "", *_TABLE_HEAD]
        if not self._fits(heading):
            self.left_findings = len(findings)
            return
        for index, finding in enumerate(findings):
            if not self._fits([_row(finding)]):
                self.left_findings = len(findings) - index
                return
        self.lines.append("")

    def add_unchecked(self, report: Report) -> None:
        unchecked = [
            f"- {text(' / '.join(p for p in (s.environment, s.service) if p))}: {rich(line)}"
            for s in report.services
            for line in unchecked_lines(s)
        ]
        if not unchecked:
            return
        if not self._fits(["### Not checked", ""]):
            self.left_unchecked = len(unchecked)
            return
        for index, line in enumerate(unchecked):
            if not self._fits([line]):
                self.left_unchecked = len(unchecked) - index
                return

    def note(self) -> list[str]:
        if not (self.left_findings or self.left_unchecked):
            return []
        return [
            "",
            f"> **Left out: {self.left_findings} finding(s) and {self.left_unchecked} line(s) "
            f"of links not checked**, to stay under GitHub's {COMMENT_LIMIT:,}-character limit "
            "for a comment; the full report is in the job summary and the run's artifacts.",
        ]


def _size(lines: list[str]) -> int:
    return sum(len(line) + 1 for line in lines)


@dataclass(frozen=True)
class Published:
    """What was done: `created` or `updated`, the comment's id and author, and how many
    comments with the marker were by someone else (left alone)."""

    action: str
    comment_id: int
    author: str
    ignored: int = 0


def publish_comment(api: GitHubApi, number: int, body: str, marker: str, author: str) -> Published:
    """Update the comment of this marker on pull request `number`, or create it.

    Only a comment whose first line is the marker and whose author is `author` (the login
    the token writes as) is drift-gate's: a copy of the marker by anyone else (a member, a
    collaborator, another app) is left alone and counted. The first such comment wins; the
    pages after it are not read.
    """
    ignored = 0
    for comment in api.issue_comments(number):
        if comment.body.split("\n", 1)[0].strip() != marker:
            continue
        if comment.author.casefold() != author.casefold():  # logins ignore case
            ignored += 1
            continue
        if comment.body != body:
            api.update_comment(comment.id, body)
        return Published("updated", comment.id, comment.author, ignored)
    created = api.create_comment(number, body)
    return Published("created", created.id, created.author, ignored)
