"""SARIF 2.1.0 for GitHub code scanning: rules from the registry, results with locations.

Every result has a physical location whose URI is relative to the repository root (GitHub
rejects the whole file otherwise): where the finding is declared, else where its service
is, else the policy's or plan's first line, else README.md. A file outside the repository is
never a URI: the next place in that order is used, and the message names the file.
partialFingerprints hash the rule and the target only, so an alert is tracked across runs;
primaryLocationLineHash, the one code scanning matches alerts by, is that hash too.
automationDetails (the code scanning category) is written only when the user names one: it
must not depend on what was found, and without it the upload action's own default (the
workflow, job and matrix) applies (docs/reports.md: "GitHub code scanning").
"""

from __future__ import annotations

import hashlib
import json
import posixpath
import re
from collections.abc import Sequence
from pathlib import Path, PurePosixPath
from typing import Any

from drift_gate.model import CheckedService, Finding, Report, Severity, Verdict
from drift_gate.report.base import RenderOptions, Reporter
from drift_gate.report.common import (
    SEVERITY_ORDER,
    Location,
    fingerprint,
    service_key,
    unchecked_lines,
    waiver_text,
)
from drift_gate.report.terminal_text import FORMAT_CHARACTERS, visible
from drift_gate.rules import RULES, Rule

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
RULES_URI = "https://github.com/drift-gate/drift-gate/blob/main/docs/rules.md"
# Where a result with no file of its own points: the repository's root README, which every
# repository GitHub scans has (docs/reports.md says so).
FALLBACK_URI = "README.md"
INFORMATION_URI = "https://github.com/drift-gate/drift-gate"
# GitHub code scanning rejects a run with more results than this; the JSON report keeps all.
MAX_RESULTS = 25_000
# The one result that says how many findings a capped run left out; not a registry rule.
LEFT_OUT_RULE_ID = "DG-LEFT-OUT"
_LINK_SYNTAX = re.compile(r"([\\\[\]])")
_INVISIBLE = re.compile(f"[{FORMAT_CHARACTERS}]")
_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


class SarifReporter(Reporter):
    name = "sarif"
    description = (
        "SARIF 2.1.0 for GitHub code scanning (upload with github/codeql-action/upload-sarif)"
    )

    def render(self, report: Report, options: RenderOptions) -> str:
        index: dict[str, int] = {rule.id: position for position, rule in enumerate(RULES)}
        kept, left_out = capped(report.findings)
        # Each finding's service found once, by its key (the first of a key, as a search
        # would): no walk of the services per finding in a scan of thousands of both.
        services = {service_key(service): service for service in reversed(report.services)}
        results = [
            _result(f, index[f.rule_id], services.get(service_key(f.target)), report, options)
            for f in kept
        ]
        rules = [_rule(rule) for rule in RULES]
        if left_out:
            results.append(_left_out_result(left_out, len(rules), report, options))
            rules.append(_left_out_rule())
        run: dict[str, Any] = {
            "tool": {
                "driver": {
                    "name": "drift-gate",
                    "version": report.tool.version,
                    "semanticVersion": report.tool.version,
                    "informationUri": INFORMATION_URI,
                    "rules": rules,
                }
            },
            "invocations": [_invocation(report)],
            "results": results,
            "originalUriBaseIds": {"%SRCROOT%": {"description": {"text": "the repository root"}}},
        }
        category = automation_id(options.sarif_category)
        if category is not None:
            run["automationDetails"] = {"id": category}
        properties = _run_properties(report)
        if properties:
            run["properties"] = properties
        document = {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}
        return json.dumps(document, indent=2) + "\n"


def _invocation(report: Report) -> dict[str, Any]:
    return {
        "executionSuccessful": report.verdict is not Verdict.COULD_NOT_VERIFY,
        "exitCode": report.exit_code,
        "startTimeUtc": report.started_at.isoformat().replace("+00:00", "Z"),
        "endTimeUtc": report.finished_at.isoformat().replace("+00:00", "Z"),
    }


def _run_properties(report: Report) -> dict[str, Any]:
    not_verified = {
        f"{service.environment}/{service.cluster}/{service.service}": lines
        for service in report.services
        if service.verified and (lines := unchecked_lines(service))
    }
    properties: dict[str, Any] = {}
    if report.workspace:
        properties["terraformWorkspace"] = report.workspace
    if not_verified:  # links that did not run: no result says they passed
        properties["linksNotVerified"] = not_verified
    return properties


def _rule(rule: Rule) -> dict[str, Any]:
    help_uri = f"{RULES_URI}#{rule.id.lower()}-{rule.name}"
    help_text = f"{rule.summary}\n\nWhy it matters: {rule.why}\n\nHow to fix: {rule.remediation}"
    # Code scanning renders help.markdown in the alert's panel (help.text only where Markdown
    # is not shown), so it carries the rule's whole page: what, why, the fix, and the link.
    help_markdown = (
        f"**{rule.id} {rule.name}** (default severity: {rule.severity.value})\n\n"
        f"{rule.summary}\n\n"
        f"**Why it matters.** {rule.why}\n\n"
        f"**How to fix.** {rule.remediation}\n\n"
        f"See [{rule.id} in the rule reference]({help_uri})."
    )
    return {
        "id": rule.id,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": rule.why},
        "help": {"text": help_text, "markdown": help_markdown},
        "helpUri": help_uri,
        "defaultConfiguration": {"level": _LEVEL[rule.severity]},
        "properties": {
            # Code scanning shows security-severity only for rules tagged "security".
            "tags": ["security", "drift", "ecs", "terraform", rule.link.value],
            "precision": "high",
            "security-severity": rule.security_severity,
        },
    }


def automation_id(category: str | None) -> str | None:
    """`category/` from what the user asked (`--sarif-category`, the action's input), never
    from what was found: code scanning closes an alert only when a later upload in the SAME
    category lacks it. None: no automationDetails, so the upload action's default applies."""
    if not category:
        return None
    return category if category.endswith("/") else f"{category}/"


def capped(findings: Sequence[Finding]) -> tuple[list[Finding], list[Finding]]:
    """At most MAX_RESULTS results, one of them the note of what was left out: the most
    severe findings are kept (blocking ones before waived ones), in report order."""
    if len(findings) <= MAX_RESULTS:
        return list(findings), []
    ranked = sorted(
        range(len(findings)),
        key=lambda i: (
            findings[i].waiver is not None,
            SEVERITY_ORDER.index(findings[i].severity),
        ),
    )
    keep = set(ranked[: MAX_RESULTS - 1])
    kept = [f for i, f in enumerate(findings) if i in keep]
    left_out = [f for i, f in enumerate(findings) if i not in keep]
    return kept, left_out


def _left_out_rule() -> dict[str, Any]:
    text = (
        f"GitHub code scanning accepts at most {MAX_RESULTS:,} results in one run; the least "
        "severe findings above that were left out of the SARIF report. The JSON report "
        "(--format json) has every finding."
    )
    return {
        "id": LEFT_OUT_RULE_ID,
        "name": "results-left-out",  # SARIF1001: a rule's name must differ from its id
        "shortDescription": {"text": "Findings left out of the SARIF report."},
        "fullDescription": {"text": text},
        "help": {"text": text, "markdown": text},
        "helpUri": f"{INFORMATION_URI}/blob/main/docs/reports.md#github-code-scanning",
        "defaultConfiguration": {"level": "warning"},
    }


def _left_out_result(
    left_out: Sequence[Finding], rule_index: int, report: Report, options: RenderOptions
) -> dict[str, Any]:
    counts = {
        severity: sum(1 for f in left_out if f.severity is severity) for severity in SEVERITY_ORDER
    }
    worst = next(severity for severity in SEVERITY_ORDER if counts[severity])
    said = ", ".join(f"{n} {_LEVEL[s]}(s)" for s, n in counts.items() if n)
    where, _ = _first_in_repository(_run_candidates(report), options)
    return {
        "ruleId": LEFT_OUT_RULE_ID,
        "ruleIndex": rule_index,
        "level": _LEVEL[worst],
        "message": {
            "text": f"{len(left_out)} more finding(s) than GitHub code scanning accepts in one "
            f"run were left out ({said}); the JSON report (--format json) has all of them."
        },
        "locations": [_physical(where)],
        "partialFingerprints": _fingerprints(
            hashlib.sha256(LEFT_OUT_RULE_ID.encode()).hexdigest()[:32]
        ),
    }


def _result(
    finding: Finding,
    rule_index: int,
    service: CheckedService | None,
    report: Report,
    options: RenderOptions,
) -> dict[str, Any]:
    where, outside = _first_in_repository(_candidates(finding, service, report), options)
    message = f"{finding.message}. Fix: {finding.remediation}"
    if outside:
        message += f" (declared in {outside}, outside the repository)"
    location = _physical(where)
    location["logicalLocations"] = [
        {
            "name": finding.target.service or finding.target.resource or finding.target.environment,
            "fullyQualifiedName": finding.target.label(),
            "kind": "resource",
        }
    ]
    result: dict[str, Any] = {
        "ruleId": finding.rule_id,
        "ruleIndex": rule_index,
        "level": _LEVEL[finding.severity],
        "message": {"text": plain_text(message)},
        "locations": [location],
        "partialFingerprints": _fingerprints(fingerprint(finding)),
        "properties": {"target": finding.target.model_dump(exclude_none=True)},
    }
    if finding.waiver is not None:
        # SARIF 2.1.0 §3.35: suppressed outside the code (the policy file), and accepted.
        result["suppressions"] = [
            {"kind": "external", "status": "accepted", "justification": waiver_text(finding)}
        ]
    return result


def _fingerprints(key: str) -> dict[str, str]:
    """Code scanning matches an alert across uploads by primaryLocationLineHash alone; left
    to upload-sarif it is computed from the text of the located line, with a counter for
    results on the same line. Many findings share a line here (README.md:1, a service's
    policy entry), so that would tie an alert to the order of findings and to edits near the
    line, and the REST API computes none at all (duplicate alerts). The rule and target,
    never the message, times or revisions, name the same finding in every run."""
    return {"primaryLocationLineHash": key, "driftGate/v1": key}


def _physical(where: Location) -> dict[str, Any]:
    return {
        "physicalLocation": {
            "artifactLocation": {"uri": where.path, "uriBaseId": "%SRCROOT%"},
            "region": {"startLine": where.line},
        }
    }


def _first_in_repository(
    candidates: Sequence[str | None], options: RenderOptions
) -> tuple[Location, str | None]:
    """The first candidate `file:line` inside the repository (else README.md line 1), and the
    first one skipped for lying outside it: GitHub code scanning rejects the whole file when
    a result has no physical location with a URI, and a URI must be repository-relative."""
    outside: str | None = None
    for candidate in candidates:
        if not candidate:
            continue
        path, _, line = candidate.rpartition(":")
        if not path or not line.isdigit():
            continue
        relative = repository_path(path, options.workspace, options.base)
        if relative is not None:
            return Location(relative, max(int(line), 1)), outside
        outside = outside or candidate
    return Location(FALLBACK_URI, 1), outside


def repository_path(path: str, root: str | None, base: str | None) -> str | None:
    """`path` relative to the repository root `root`, or None when it lies outside it (or
    there is no root to say where an absolute path is). A relative path starts at `base`,
    the directory drift-gate ran in, which may be below the root."""
    full = PurePosixPath(path)
    if not full.is_absolute() and base:
        full = PurePosixPath(base) / full
    if full.is_absolute():
        if not root:
            return None
        normal = PurePosixPath(posixpath.normpath(full))
        top = PurePosixPath(posixpath.normpath(root))
        if not normal.is_relative_to(top):
            return None
        full = normal.relative_to(top)
    relative = posixpath.normpath(full)
    if relative in {".", ".."} or relative.startswith("../"):
        return None
    return relative


def plain_text(text: str) -> str:
    """A SARIF plain-text message: `[text](target)` in one is a link (SARIF 2.1.0 §3.11.6),
    which GitHub code scanning shows; a name's brackets are escaped, and so its backslashes.
    Invisible format characters (a right-to-left override) are shown as escapes (`\\u202e`)."""
    return _LINK_SYNTAX.sub(r"\\\1", _INVISIBLE.sub(visible, text))


def _candidates(
    finding: Finding, service: CheckedService | None, report: Report
) -> list[str | None]:
    return [
        finding.declared_in,
        service.declared_in if service else None,
        *_run_candidates(report),
    ]


def _run_candidates(report: Report) -> list[str | None]:
    return [
        f"{report.policy}:1" if report.policy else None,
        f"{report.plan}:1" if report.plan and Path(report.plan).suffix == ".json" else None,
    ]
