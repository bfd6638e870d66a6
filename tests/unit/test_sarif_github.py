"""SARIF that GitHub code scanning accepts, not only SARIF that the schema accepts.

GitHub's rules, from its documentation ("SARIF support for code scanning") and the SARIF
validator's GitHub rule set (microsoft/sarif-sdk GH1001-GH1007): one result without a
physical location with a URI makes GitHub reject the whole file; URIs are relative to the
repository root; every result has a rule id and message text; and the documented limits.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from drift_gate.checks.findings import ServiceContext
from drift_gate.engine.outcome import ServiceResult, build_report
from drift_gate.model import CheckedService, FailOn, Report, Target
from drift_gate.report import RenderOptions, reporter
from tests.conftest import REPO
from tests.reports import T0, T1, sample_report

LIMITS = {"runs": 20, "results": 25_000, "rules": 25_000, "locations": 1_000, "tags": 20}
GZIPPED_BYTES = 10 * 1024 * 1024


def github_problems(text: str) -> list[str]:
    """Every way `text` breaks GitHub's SARIF ingestion rules (empty: GitHub accepts it)."""
    problems: list[str] = []
    if len(gzip.compress(text.encode())) > GZIPPED_BYTES:
        problems.append("larger than 10 MB gzipped")
    runs = json.loads(text)["runs"]
    if len(runs) > LIMITS["runs"]:
        problems.append(f"{len(runs)} runs")
    for number, run in enumerate(runs):
        problems += [f"run {number}: {problem}" for problem in _run_problems(run)]
    return problems


def _run_problems(run: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    category = (run.get("automationDetails") or {}).get("id", "")
    if not category or "/" not in category:
        problems.append("automationDetails.id missing or without a category/")
    rules = run["tool"]["driver"]["rules"]
    rule_ids = {rule["id"] for rule in rules}
    problems += [
        f"rule {rule['id']}: {len(rule['properties']['tags'])} tags"
        for rule in rules
        if len(rule.get("properties", {}).get("tags", [])) > LIMITS["tags"]
    ]
    if len(rules) > LIMITS["rules"] or len(run["results"]) > LIMITS["results"]:
        problems.append("over the rules or results limit")
    for index, result in enumerate(run["results"]):
        problems += [f"result {index}: {p}" for p in _result_problems(result, rule_ids)]
    return problems


def _result_problems(result: dict[str, Any], rule_ids: set[str]) -> list[str]:
    problems: list[str] = []
    if result.get("ruleId") not in rule_ids:
        problems.append("ruleId not among the run's rules")
    if not (result.get("message") or {}).get("text"):
        problems.append("no message.text (GH1007)")
    locations = result.get("locations") or []
    if not locations or len(locations) > LIMITS["locations"]:
        return [*problems, "expected at least one location (and at most 1,000)"]
    physical = locations[0].get("physicalLocation") or {}
    uri = (physical.get("artifactLocation") or {}).get("uri", "")
    if not uri:
        problems.append(
            "expected artifact location: no physicalLocation.artifactLocation.uri (GH1001)"
        )
    elif ":" in uri.split("/")[0] or uri.startswith("/"):
        problems.append(f"URI {uri!r} is not relative to the repository root (GH1005)")
    start = (physical.get("region") or {}).get("startLine")
    if not isinstance(start, int) or start < 1:
        problems.append("region.startLine missing (GH1003)")
    return problems


def sarif(report: Report, **options: Any) -> str:
    return reporter("sarif").render(report, RenderOptions(**options))


@pytest.mark.parametrize("name", ["findings", "clean"])
def test_the_golden_sarif_files_pass_githubs_rules(name: str) -> None:
    text = (REPO / "tests" / "golden" / f"{name}.sarif.sarif").read_text()
    assert github_problems(text) == []


def live_only_report() -> Report:
    """The incident's "registered, not deployed" stage: live findings with no file of their own."""
    target = Target(environment="development", region="us-east-1", cluster="c", service="api")
    context = ServiceContext(target)
    findings = tuple(
        context.finding(rule_id, "live only")
        for rule_id in ("DG105", "DG107", "DG201", "DG203", "DG204")
    )
    service = CheckedService(
        environment="development",
        region="us-east-1",
        cluster="c",
        service="api",
        verified=True,
        declared_in="policies/example.yaml:7",
    )
    return build_report(
        [ServiceResult(service, findings)], FailOn.ERROR, T0, T1, "policies/example.yaml", {}
    )


def test_live_only_findings_point_at_where_the_service_is_declared() -> None:
    text = sarif(live_only_report())
    assert github_problems(text) == []
    uris = {
        (r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
         r["locations"][0]["physicalLocation"]["region"]["startLine"])
        for r in json.loads(text)["runs"][0]["results"]
    }  # fmt: skip
    assert uris == {("policies/example.yaml", 7)}


def test_the_category_reaches_automation_details() -> None:
    default = json.loads(sarif(sample_report()))["runs"][0]["automationDetails"]["id"]
    assert default == "drift-gate/dev+terraform/"
    named = json.loads(sarif(sample_report(), sarif_category="drift-gate/prod"))
    assert named["runs"][0]["automationDetails"]["id"] == "drift-gate/prod/"


def test_paths_are_relative_to_the_repository_root_from_a_working_directory_below_it() -> None:
    target = Target(environment="terraform", resource="aws_ecs_task_definition.api")
    finding = ServiceContext(target).finding("DG501", "pending", where="infra/main.tf:10")
    report = build_report([ServiceResult(None, (finding,))], FailOn.ERROR, T0, T1, None, {})
    text = sarif(report, workspace="/repo", base="/repo/services/api")
    location = json.loads(text)["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "services/api/infra/main.tf"
    assert github_problems(text) == []


def test_five_thousand_findings_stay_within_githubs_limits(tmp_path: Path) -> None:
    from tests.unit.test_formats import many_findings

    assert github_problems(sarif(many_findings(5000))) == []
