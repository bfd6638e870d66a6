"""SARIF 2.1.0 for GitHub code scanning: rules from the registry, results with locations.

A finding with a known `file:line` (a .tf file or the policy) gets a physical location;
otherwise a logical location names the service. partialFingerprints hash the rule and the
target only, so code scanning keeps tracking a finding across runs.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from drift_gate.model import Finding, Report, Severity, Verdict
from drift_gate.report.base import RenderOptions, Reporter
from drift_gate.report.common import (
    Location,
    belongs,
    fingerprint,
    place,
    unchecked_lines,
    waiver_text,
)
from drift_gate.rules import RULES, Rule

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
RULES_URI = "https://github.com/drift-gate/drift-gate/blob/main/docs/rules.md"
# Where a result with no file of its own points: the repository's root README, which every
# repository GitHub scans has (docs/reports.md says so).
FALLBACK_URI = "README.md"
INFORMATION_URI = "https://github.com/drift-gate/drift-gate"
_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


class SarifReporter(Reporter):
    name = "sarif"
    description = (
        "SARIF 2.1.0 for GitHub code scanning (upload with github/codeql-action/upload-sarif)"
    )

    def render(self, report: Report, options: RenderOptions) -> str:
        index: dict[str, int] = {rule.id: position for position, rule in enumerate(RULES)}
        run: dict[str, Any] = {
            "tool": {
                "driver": {
                    "name": "drift-gate",
                    "version": report.tool.version,
                    "semanticVersion": report.tool.version,
                    "informationUri": INFORMATION_URI,
                    "rules": [_rule(rule) for rule in RULES],
                }
            },
            "invocations": [
                {
                    "executionSuccessful": report.verdict is not Verdict.COULD_NOT_VERIFY,
                    "exitCode": report.exit_code,
                    "startTimeUtc": report.started_at.isoformat().replace("+00:00", "Z"),
                    "endTimeUtc": report.finished_at.isoformat().replace("+00:00", "Z"),
                }
            ],
            "automationDetails": {"id": automation_id(report, options.sarif_category)},
            "results": [_result(f, index[f.rule_id], report, options) for f in report.findings],
            "originalUriBaseIds": {"%SRCROOT%": {"description": {"text": "the repository root"}}},
        }
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
        if properties:
            run["properties"] = properties
        document = {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}
        return json.dumps(document, indent=2) + "\n"


def _rule(rule: Rule) -> dict[str, Any]:
    help_text = f"{rule.summary}\n\nWhy it matters: {rule.why}\n\nHow to fix: {rule.remediation}"
    return {
        "id": rule.id,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": rule.why},
        "help": {"text": help_text, "markdown": help_text.replace("\n\n", "\n\n")},
        "helpUri": f"{RULES_URI}#{rule.id.lower()}-{rule.name}",
        "defaultConfiguration": {"level": _LEVEL[rule.severity]},
        "properties": {
            "tags": ["drift", "ecs", "terraform", rule.link.value],
            "precision": "high",
        },
    }


def automation_id(report: Report, category: str | None) -> str:
    """`category/`: GitHub keeps one set of alerts per tool and category, so two uploads in
    one workflow (two environments, a matrix) must not share one."""
    if category:
        return category if category.endswith("/") else f"{category}/"
    environments = sorted(
        {f.target.environment for f in report.findings}
        | {service.environment for service in report.services}
    )
    return f"drift-gate/{'+'.join(environments) or 'none'}/"


def _result(
    finding: Finding, rule_index: int, report: Report, options: RenderOptions
) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": finding.rule_id,
        "ruleIndex": rule_index,
        "level": _LEVEL[finding.severity],
        "message": {"text": f"{finding.message}. Fix: {finding.remediation}"},
        "locations": [_location(finding, report, options)],
        "partialFingerprints": {"driftGate/v1": fingerprint(finding)},
        "properties": {"target": finding.target.model_dump(exclude_none=True)},
    }
    if finding.waiver is not None:
        # SARIF 2.1.0 §3.35: suppressed outside the code (the policy file), and accepted.
        result["suppressions"] = [
            {"kind": "external", "status": "accepted", "justification": waiver_text(finding)}
        ]
    return result


def _location(finding: Finding, report: Report, options: RenderOptions) -> dict[str, Any]:
    """GitHub code scanning rejects the whole file when one result has no physical location
    with a URI, so every result gets one: where the finding is declared, else where its
    service is, else the policy's or the plan's first line (docs/reports.md)."""
    logical = {
        "name": finding.target.service or finding.target.resource or finding.target.environment,
        "fullyQualifiedName": finding.target.label(),
        "kind": "resource",
    }
    found = next(
        filter(
            None,
            (
                place(candidate, options.workspace, options.base)
                for candidate in _candidates(finding, report)
            ),
        ),
        None,
    )
    where = found or Location(FALLBACK_URI, 1)
    return {
        "physicalLocation": {
            "artifactLocation": {"uri": where.path, "uriBaseId": "%SRCROOT%"},
            "region": {"startLine": where.line},
        },
        "logicalLocations": [logical],
    }


def _candidates(finding: Finding, report: Report) -> list[str | None]:
    service = next((s for s in report.services if belongs(finding, s)), None)
    return [
        finding.declared_in,
        service.declared_in if service else None,
        f"{report.policy}:1" if report.policy else None,
        f"{report.plan}:1" if report.plan and Path(report.plan).suffix == ".json" else None,
    ]
