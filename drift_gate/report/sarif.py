"""SARIF 2.1.0 for GitHub code scanning: rules from the registry, results with locations.

A finding with a known `file:line` (a .tf file or the policy) gets a physical location;
otherwise a logical location names the service. partialFingerprints hash the rule and the
target only, so code scanning keeps tracking a finding across runs.
"""

from __future__ import annotations

import json
from typing import Any

from drift_gate.model import Finding, Report, Severity, Verdict
from drift_gate.report.base import RenderOptions, Reporter
from drift_gate.report.common import fingerprint, location, unchecked_lines
from drift_gate.rules import RULES, Rule

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
RULES_URI = "https://github.com/drift-gate/drift-gate/blob/main/docs/rules.md"
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
            "results": [_result(f, index[f.rule_id], options.workspace) for f in report.findings],
            "originalUriBaseIds": {"%SRCROOT%": {"description": {"text": "the repository root"}}},
        }
        not_verified = {
            f"{service.environment}/{service.cluster}/{service.service}": unchecked_lines(service)
            for service in report.services
            if service.verified and unchecked_lines(service)
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


def _result(finding: Finding, rule_index: int, workspace: str | None) -> dict[str, Any]:
    return {
        "ruleId": finding.rule_id,
        "ruleIndex": rule_index,
        "level": _LEVEL[finding.severity],
        "message": {"text": f"{finding.message}. Fix: {finding.remediation}"},
        "locations": [_location(finding, workspace)],
        "partialFingerprints": {"driftGate/v1": fingerprint(finding)},
        "properties": {"target": finding.target.model_dump(exclude_none=True)},
    }


def _location(finding: Finding, workspace: str | None) -> dict[str, Any]:
    logical = {
        "name": finding.target.service or finding.target.resource or finding.target.environment,
        "fullyQualifiedName": finding.target.label(),
        "kind": "resource",
    }
    place = location(finding, workspace)
    if place is None:
        return {"logicalLocations": [logical]}
    return {
        "physicalLocation": {
            "artifactLocation": {"uri": place.path, "uriBaseId": "%SRCROOT%"},
            "region": {"startLine": place.line},
        },
        "logicalLocations": [logical],
    }
