"""One GitHub issue per drifting service, kept in step with each report.

- A service whose blocking findings are drift (not DG9xx): its issue is opened, or its body
  updated and a comment added while the drift lasts.
- A service the report shows passing: its open issue is closed with a comment.
- A service the report did not check, or could not verify: its issue is left alone (a
  service that could not be verified is not known to pass).
- A report that could not verify something (DG9xx anywhere, a failed run): one issue for
  the run, closed by the next report that verified everything it checked.

Issues are found by a hidden marker in the body, never by title; a second read of the open
issues just before creating catches one a concurrent run opened meanwhile. Bodies are cut
to GitHub's limit with a note: the report artifact has everything.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from urllib.parse import quote

from drift_gate.model import CheckedService, Finding, Report
from drift_gate.publish.github_api import GitHubApi, Issue
from drift_gate.report.common import findings_by_service, service_key
from drift_gate.report.markdown_text import code, issue_title, rich, text

# GitHub refuses a body over 65,536 characters (422 "Body is too long").
BODY_LIMIT = 65_536
_CUT_NOTE = "\n\n_(cut to GitHub's size limit: the full report is in the run's artifacts)_\n"
MARKER_PREFIX = "<!-- drift-gate:"
RUN_MARKER = "<!-- drift-gate:run -->"


def marker(service: CheckedService) -> str:
    """`<!-- drift-gate:service development/123456789012/us-east-1/prod/api -->`.

    Each part is percent-encoded beyond letters, digits and `-._~` (which AWS's names are
    made of, so markers of existing issues stay the same): a name cannot end the comment
    (`-->`) or start a line that forges another service's marker.
    """
    place = "/".join(
        quote(part, safe="-._~") if part else "-"
        for part in (
            service.environment,
            service.account,
            service.region,
            service.cluster,
            service.service,
        )
    )
    return f"{MARKER_PREFIX}service {place} -->"


@dataclass(frozen=True)
class ServiceVerdict:
    """One service of the report, as the issues see it."""

    service: CheckedService
    state: str  # "drifting", "passing" or "unverified"
    findings: tuple[Finding, ...]


def service_verdicts(report: Report) -> list[ServiceVerdict]:
    """Each checked service: drifting, passing, or could not be verified."""
    verdicts = []
    by_service = findings_by_service(report)  # once: no search of the findings per service
    for service in report.services:
        findings = tuple(by_service.get(service_key(service), ()))
        if not service.verified or any(f.is_unverified for f in findings):
            state = "unverified"
        elif any(report.fail_on.blocks(f.severity) for f in findings):
            state = "drifting"
        else:
            state = "passing"
        verdicts.append(ServiceVerdict(service, state, findings))
    return verdicts


@dataclass
class IssueActions:
    """What was done, for the command's summary."""

    opened: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    closed: list[str] = field(default_factory=list)
    left: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class IssueSettings:
    label: str = "drift-gate"
    run_url: str | None = None
    # False for a report of one service (an ECS event's re-check): the run's issue belongs
    # to the reports of whole runs, which it speaks of.
    run_issue: bool = True
    # False: an issue whose body would not change is left as it is, without a comment (an
    # event delivered twice edits nothing the second time).
    comment_unchanged: bool = True


def sync_issues(
    report: Report, api: GitHubApi, settings: IssueSettings, say: Callable[[str], None]
) -> IssueActions:
    """Open, update and close issues so that they match the report."""
    actions = IssueActions()
    existing = _by_marker(api.open_issues(settings.label))
    verdicts = service_verdicts(report)
    environments = sorted({v.service.environment for v in verdicts if v.state == "drifting"})
    for name in [settings.label, *(f"env:{e}" for e in environments)]:
        api.ensure_label(name, "B60205", "drift-gate found drift")
    to_create: list[tuple[str, str, str, list[str]]] = []
    for verdict in verdicts:
        key = marker(verdict.service)
        where = _title_place(verdict.service)
        issue = existing.get(key)
        if verdict.state == "drifting":
            body = service_body(key, verdict, report, settings.run_url)
            labels = [settings.label, f"env:{verdict.service.environment}"]
            if issue is None:
                to_create.append((key, issue_title(f"drift-gate: {where} drifts"), body, labels))
            elif _update(api, issue, body, _still(verdict, settings.run_url), settings):
                actions.updated.append(f"#{issue.number} {where}")
            else:
                actions.left.append(f"#{issue.number} {where} (unchanged)")
        elif verdict.state == "passing" and issue is not None:
            api.comment(issue.number, _passed(settings.run_url))
            api.update_issue(issue.number, state="closed", state_reason="completed")
            actions.closed.append(f"#{issue.number} {where}")
        elif issue is not None:
            api.comment(issue.number, _not_verified(settings.run_url))
            actions.left.append(f"#{issue.number} {where} (could not be verified)")
    if settings.run_issue:
        _run_issue(report, api, settings, existing, to_create, actions)
    if to_create:
        _create(api, to_create, settings.label, actions)
    for line in _summary(actions):
        say(line)
    return actions


def _run_issue(
    report: Report,
    api: GitHubApi,
    settings: IssueSettings,
    existing: dict[str, Issue],
    to_create: list[tuple[str, str, str, list[str]]],
    actions: IssueActions,
) -> None:
    """One issue for a run that could not verify something; closed when one could."""
    unverified = [f for f in report.findings if f.is_unverified]
    issue = existing.get(RUN_MARKER)
    if unverified:
        body = run_body(unverified, settings.run_url)
        if issue is None:
            to_create.append(
                (RUN_MARKER, "drift-gate: the scan could not verify", body, [settings.label])
            )
        else:
            _update(api, issue, body, f"Still could not verify: {settings.run_url or 'this run'}")
            actions.updated.append(f"#{issue.number} the run")
    elif issue is not None:
        api.comment(issue.number, f"Everything checked was verified: {settings.run_url or ''}")
        api.update_issue(issue.number, state="closed", state_reason="completed")
        actions.closed.append(f"#{issue.number} the run")


def _create(
    api: GitHubApi,
    to_create: Sequence[tuple[str, str, str, list[str]]],
    label: str,
    actions: IssueActions,
) -> None:
    # Read again just before creating: a run that started meanwhile may have opened one
    # (the workflow's concurrency group should prevent it; this catches what slips past).
    fresh = _by_marker(api.open_issues(label))
    for key, title, body, labels in to_create:
        if key in fresh:
            _update(api, fresh[key], body, "Updated by a concurrent drift-gate run.")
            actions.updated.append(f"#{fresh[key].number} {title}")
            continue
        number = api.create_issue(title, body, labels)
        actions.opened.append(f"#{number} {title}")


def _update(
    api: GitHubApi,
    issue: Issue,
    body: str,
    comment: str,
    settings: IssueSettings | None = None,
) -> bool:
    """Edit the body if it changed, and comment; False: left as it was (nothing changed,
    and the settings say not to comment then)."""
    if issue.body == body and settings is not None and not settings.comment_unchanged:
        return False
    if issue.body != body:
        api.update_issue(issue.number, body=body)
    api.comment(issue.number, comment)
    return True


def _by_marker(issues: Iterable[Issue]) -> dict[str, Issue]:
    """Open issues by their marker; the oldest (lowest number) wins if two carry one."""
    found: dict[str, Issue] = {}
    for issue in sorted(issues, key=lambda i: i.number):
        for raw in issue.body.splitlines():
            line = raw.strip()
            if line.startswith(MARKER_PREFIX) and line.endswith("-->"):
                found.setdefault(line, issue)
                break
    return found


def _title_place(service: CheckedService) -> str:
    account = f" {service.account}" if service.account else ""
    return f"{service.service} ({service.environment}{account}, cluster {service.cluster})"


def service_body(key: str, verdict: ServiceVerdict, report: Report, run_url: str | None) -> str:
    service = verdict.service
    lines = [
        key,
        "",
        f"drift-gate found drift in **{text(service.service.strip())}** (environment "
        f"{text(service.environment)}, region {text(service.region)}, cluster "
        f"{text(service.cluster)}"
        + (f", account {text(service.account)}" if service.account else "")
        + ").",
        "",
    ]
    if run_url:
        lines += [f"Run: {run_url}", ""]
    if service.deployed_task_definition:
        lines += [f"Running: {code(service.deployed_task_definition)}", ""]
    lines += ["| severity | rule | where | what | fix |", "|---|---|---|---|---|"]
    for finding in verdict.findings:
        where = "/".join(p for p in (finding.target.container, finding.target.variable) if p)
        lines.append(
            f"| {finding.severity.value} | {finding.rule_id} | {text(where)} | "
            f"{rich(finding.message, in_table=True)} | {rich(finding.remediation, in_table=True)} |"
        )
    lines += [
        "",
        "This issue closes itself when a later drift-gate report shows the service passing.",
    ]
    return _fit("\n".join(lines) + "\n")


def run_body(unverified: Sequence[Finding], run_url: str | None) -> str:
    lines = [RUN_MARKER, "", "drift-gate could not verify everything it was asked to check.", ""]
    if run_url:
        lines += [f"Run: {run_url}", ""]
    for finding in unverified:
        lines.append(
            f"- **{text(finding.target.label().strip())}**: {rich(finding.message)}. "
            f"Fix: {rich(finding.remediation)}"
        )
    lines += ["", "This issue closes itself when a later report verifies everything it checks."]
    return _fit("\n".join(lines) + "\n")


def _fit(body: str) -> str:
    """Cut at the last whole line that fits: a cut inside a line could split an escape."""
    if len(body) <= BODY_LIMIT:
        return body
    end = body.rfind("\n", 0, BODY_LIMIT - len(_CUT_NOTE))
    return body[: max(end, 0)] + _CUT_NOTE


def _still(verdict: ServiceVerdict, run_url: str | None) -> str:
    count = sum(1 for f in verdict.findings if f.severity.value == "error")
    return f"Still drifting ({count} error(s)): {run_url or 'this run'}"


def _passed(run_url: str | None) -> str:
    return f"The service passes drift-gate now: {run_url or 'this run'}. Closing."


def _not_verified(run_url: str | None) -> str:
    return (
        f"drift-gate could not verify this service in {run_url or 'this run'}; the issue stays "
        "open until a report shows it passing."
    )


def _summary(actions: IssueActions) -> Iterable[str]:
    for verb, items in (
        ("opened", actions.opened),
        ("updated", actions.updated),
        ("closed", actions.closed),
        ("left open", actions.left),
    ):
        for item in items:
            yield f"drift-gate: {verb} {item}"
    if not (actions.opened or actions.updated or actions.closed or actions.left):
        yield "drift-gate: no issue to open, update or close"
