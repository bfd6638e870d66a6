"""HTML: one self-contained page (inline CSS and JS, no network) for the nightly scan's artifact.

The verdict first; filters by severity and environment; for each service, the chain of
links drawn left to right so a person sees at a glance where it breaks; then the findings.
Every text is escaped: finding messages hold names and ARNs only, but escaping is cheap.
Control characters and invisible ones (bidirectional overrides, zero-width spaces) are shown
as the console shows them (`\\x1b`, `\\u202e`, `\\u200b`), never raw.
"""

from __future__ import annotations

from html import escape as _html_escape

from drift_gate.chain import PLAN_CHAIN, SERVICE_CHAIN
from drift_gate.model import (
    CheckedService,
    Finding,
    LinkResult,
    LinkState,
    Report,
    Severity,
    Verdict,
)
from drift_gate.report.base import RenderOptions, Reporter
from drift_gate.report.common import (
    SEVERITY_ORDER,
    Group,
    groups,
    scope_lines,
    smoke_lines,
    where_text,
)
from drift_gate.report.terminal_text import terminal_text
from drift_gate.rules import rule_ids


def escape(value: str) -> str:
    """Text or an attribute's value: HTML-escaped, its control and invisible characters
    shown as visible escapes (report/terminal_text.py), not raw."""
    return _html_escape(terminal_text(value))


_VERDICT = {
    Verdict.PASS: ("PASS", "ok"),
    Verdict.DRIFT: ("DRIFT", "fail"),
    Verdict.COULD_NOT_VERIFY: ("COULD NOT VERIFY", "unknown"),
}


_STYLE = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0}
body{color:#1f2328;background:#f6f8fa}
header{padding:20px 28px;color:#fff}
header.ok{background:#1a7f37}header.fail{background:#cf222e}header.unknown{background:#6e7781}
header h1{margin:0;font-size:24px}header p{margin:4px 0 0}
main{padding:16px 28px}
.filters{display:flex;gap:18px;align-items:center;margin-bottom:16px;flex-wrap:wrap}
.card{background:#fff;border:1px solid #d0d7de;border-radius:8px}
.card{margin-bottom:16px;padding:14px 18px}
.card h2{font-size:16px;margin:0 0 4px}.arn{color:#57606a;font-size:12px;word-break:break-all}
.chain{display:flex;align-items:center;flex-wrap:wrap;gap:6px;margin:12px 0}
.link{padding:6px 10px;border-radius:6px;font-size:12px;font-weight:600;border:2px solid}
.link.ok{background:#dafbe1;border-color:#1a7f37;color:#116329}
.link.fail{background:#ffebe9;border-color:#cf222e;color:#a40e26}
.link.warn{background:#fff8c5;border-color:#bf8700;color:#7d4e00}
.link.unknown{background:#eaeef2;border-color:#8c959f;color:#424a53}
.link.skip{background:#fff;border-color:#8c959f;border-style:dashed;color:#57606a}
.arrow{color:#8c959f}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{text-align:left;padding:6px 8px;border-top:1px solid #d0d7de;vertical-align:top}
.sev{font-weight:700}.sev.error{color:#cf222e}.sev.warning{color:#9a6700}.sev.info{color:#0969da}
code{font-size:12px;background:#eaeef2;padding:1px 4px;border-radius:4px}
footer{padding:0 28px 24px;color:#57606a;font-size:12px}
"""

_SCRIPT = """
(function () {
  function apply() {
    var severities = {};
    document.querySelectorAll('input[data-filter=severity]').forEach(function (box) {
      severities[box.value] = box.checked;
    });
    var environment = document.getElementById('environment').value;
    var visible = 0;
    document.querySelectorAll('tr.finding').forEach(function (row) {
      var show = severities[row.dataset.severity] &&
        (environment === '' || row.dataset.environment === environment);
      row.style.display = show ? '' : 'none';
      if (show) { visible += 1; }
    });
    document.querySelectorAll('section.card').forEach(function (card) {
      var match = environment === '' || card.dataset.environment === environment;
      card.style.display = match ? '' : 'none';
    });
    document.getElementById('visible-count').textContent = String(visible);
  }
  // A link may preset the filters: report.html#hide=info,warning&environment=prod
  var preset = new URLSearchParams(window.location.hash.slice(1));
  (preset.get('hide') || '').split(',').forEach(function (severity) {
    var box = document.querySelector('input[data-filter=severity][value="' + severity + '"]');
    if (box) { box.checked = false; }
  });
  if (preset.get('environment')) {
    document.getElementById('environment').value = preset.get('environment');
  }
  document.querySelectorAll('[data-filter]').forEach(function (control) {
    control.addEventListener('change', apply);
  });
  apply();
  document.body.dataset.ready = 'true';
}());
"""


class HtmlReporter(Reporter):
    name = "html"
    description = (
        "one self-contained HTML page (no external assets), for the nightly scan's artifact"
    )

    def render(self, report: Report, options: RenderOptions) -> str:
        word, tone = _VERDICT[report.verdict]
        environments = sorted({group.environment for group in groups(report)})
        counts = report.stats.findings_by_severity
        parts = [
            '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>drift-gate: {escape(word)}</title><style>{_STYLE}</style></head><body>",
            f'<header class="{tone}"><h1 id="verdict">{escape(word)}</h1>',
            f"<p>{escape(_verdict_detail(report))}</p>",
            f"<p>terraform workspace {escape(report.workspace)}</p>" if report.workspace else "",
            "</header><main>",
            _filters(environments, counts),
        ]
        parts += [_card(group) for group in groups(report)]
        parts.append(_waived_section(report))
        parts.append(_scanned_section(report))
        parts.append("</main>")
        parts.append(
            f"<footer>drift-gate {escape(report.tool.version)} · "
            f"{escape(report.started_at.isoformat())} · "
            f"{sum(report.stats.aws_calls.values())} AWS call(s) · "
            "names only, never values</footer>"
        )
        parts.append(f"<script>{_SCRIPT}</script></body></html>\n")
        return "".join(parts)


def _verdict_detail(report: Report) -> str:
    from drift_gate.report.console import verdict_line

    return verdict_line(report).split(": ", 1)[-1]


def _filters(environments: list[str], counts: dict[Severity, int]) -> str:
    boxes = "".join(
        f'<label><input type="checkbox" data-filter="severity" value="{s.value}" checked> '
        f"{s.value} ({counts[s]})</label>"
        for s in SEVERITY_ORDER
    )
    options = "".join(f'<option value="{escape(e)}">{escape(e)}</option>' for e in environments)
    return (
        f'<div class="filters"><strong>Show</strong>{boxes}'
        f'<label>environment <select id="environment" data-filter="environment">'
        f'<option value="">all</option>{options}</select></label>'
        f'<span><span id="visible-count">0</span> finding(s) shown</span></div>'
    )


def _card(group: Group) -> str:
    service = group.service
    arns = ""
    if service and service.deployed_task_definition:
        arns = f'<div class="arn">running {escape(service.deployed_task_definition)}'
        if (
            service.latest_task_definition
            and service.latest_task_definition != service.deployed_task_definition
        ):
            arns += f"<br>latest {escape(service.latest_task_definition)}"
        arns += "</div>"
    chain = (
        _plan_chain(group.findings) if service is None else _service_chain(service, group.findings)
    )
    shown = [finding for finding in group.findings if finding.waiver is None]
    rows = "".join(_row(finding) for finding in shown)
    table = (
        "<table><thead><tr><th>severity</th><th>rule</th><th>where</th><th>what is wrong</th>"
        f"<th>declared at</th><th>fix</th></tr></thead><tbody>{rows}</tbody></table>"
        if shown
        else "<p>No findings: what runs is what is declared.</p>"
        if not group.findings
        else "<p>Only waived findings (below).</p>"
    )
    smoke = "".join(f"<li>{escape(line)}</li>" for line in smoke_lines(service))
    requests = f'<ul class="smoke">{smoke}</ul>' if smoke else ""
    return (
        f'<section class="card" data-environment="{escape(group.environment)}">'
        f"<h2>{escape(group.title)}</h2>{arns}{chain}{table}{requests}</section>"
    )


def _scanned_section(report: Report) -> str:
    """Each account and region a scan read, and what it saw there but did not check."""
    lines = scope_lines(report)
    if not lines:
        return ""
    items = "".join(f"<li>{escape(line)}</li>" for line in lines)
    return f'<section class="card" id="scanned"><h2>Scanned</h2><ul>{items}</ul></section>'


def _waived_section(report: Report) -> str:
    """Accepted drift in its own section: what, why, who, until when."""
    waived = [f for f in report.findings if f.waiver is not None]
    if not waived:
        return ""
    rows = "".join(
        f"<tr><td>{escape(f.rule_id)} {escape(f.rule_name)}</td>"
        f"<td><code>{escape(f.target.label())}</code></td><td>{escape(f.message)}</td>"
        f"<td>{escape(f.waiver.reason)}</td><td>{escape(f.waiver.owner or '')}</td>"
        f"<td>{f.waiver.expires} ({f.waiver.days_left} day(s) left)</td></tr>"
        for f in waived
        if f.waiver is not None
    )
    return (
        f'<section class="card" id="waived"><h2>Waived ({len(waived)}): reported, not '
        "failing, until each waiver's date</h2><table><thead><tr><th>rule</th><th>where</th>"
        "<th>what</th><th>reason</th><th>owner</th><th>expires</th></tr></thead>"
        f"<tbody>{rows}</tbody></table></section>"
    )


def _service_chain(service: CheckedService, findings: tuple[Finding, ...]) -> str:
    """The chain from the links' own states; a link that did not run is never ok."""
    if not service.links:  # an older report or an offline one: nothing says a link held
        reason = "not recorded in this report"
        boxes = [_box("skip", link.words, f"not checked: {reason}") for link in SERVICE_CHAIN]
    else:
        boxes = [_link_box(result, findings) for result in service.links]
    return '<div class="chain">' + '<span class="arrow">→</span>'.join(boxes) + "</div>"


def _link_box(result: LinkResult, findings: tuple[Finding, ...]) -> str:
    if result.state is LinkState.PASSED:
        return _box("ok", result.link, "passed")
    if result.state is LinkState.FAILED:
        link = next(link for link in SERVICE_CHAIN if link.words == result.link)
        return _box(_tone(rule_ids(link), findings), result.link, "failed")
    label = result.state.value.replace("-", " ")
    tone = "skip" if result.state is LinkState.NOT_CHECKED else "unknown"
    title = f"{label}: {result.reason}" if result.reason else label
    return _box(tone, f"{result.link} ({label})", title)


def _box(tone: str, text: str, title: str) -> str:
    return f'<span class="link {tone}" title="{escape(title)}">{escape(text)}</span>'


def _plan_chain(findings: tuple[Finding, ...]) -> str:
    unverified = any(f.is_unverified for f in findings)
    boxes = []
    for link in PLAN_CHAIN:
        tone = "unknown" if unverified else _tone(rule_ids(link), findings)
        boxes.append(f'<span class="link {tone}" title="{tone}">{escape(link.words)}</span>')
    return '<div class="chain">' + '<span class="arrow">→</span>'.join(boxes) + "</div>"


def _tone(rule_ids: frozenset[str], findings: tuple[Finding, ...]) -> str:
    hits = [f for f in findings if f.rule_id in rule_ids]
    if any(f.severity is Severity.ERROR for f in hits):
        return "fail"
    if any(f.severity is Severity.WARNING for f in hits):
        return "warn"
    return "ok"


def _row(finding: Finding) -> str:
    severity = finding.severity.value
    declared = f"<code>{escape(finding.declared_in)}</code>" if finding.declared_in else ""
    where = f"<code>{escape(where_text(finding))}</code>" if where_text(finding) else ""
    return (
        f'<tr class="finding" data-severity="{severity}" '
        f'data-environment="{escape(finding.target.environment)}">'
        f'<td class="sev {severity}">{severity}</td>'
        f"<td>{escape(finding.rule_id)} {escape(finding.rule_name)}</td>"
        f"<td>{where}</td><td>{escape(finding.message)}</td><td>{declared}</td>"
        f"<td>{escape(finding.remediation)}</td></tr>"
    )
