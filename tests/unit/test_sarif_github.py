"""SARIF that GitHub code scanning accepts, not only SARIF that the schema accepts.

Two checkers. Microsoft's SARIF Multitool (`sarif validate` with GitHub's rule kind, from
tools/sarif-multitool) checks what its rules cover: a location per result (GH1001), a
region (GH1003), repository-relative URIs (SARIF1004, GH1005, GH1006), message text
(GH1007). `github_problems` below checks by hand only what it does not: GitHub's
documented limits (its GH1004 limits are stale, so it is off), the category's form,
rule ids among the run's rules, and a URI in the first location (a location without one
crashes the Multitool instead of being reported).
"""

from __future__ import annotations

import gzip
import json
import os
import re
import subprocess
import sys
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from drift_gate.checks.findings import ServiceContext
from drift_gate.engine.merge import merge_reports
from drift_gate.engine.outcome import ServiceResult, build_report
from drift_gate.model import CheckedService, FailOn, Report, Target
from drift_gate.report import RenderOptions, reporter
from drift_gate.report import sarif as sarif_module
from drift_gate.report.sarif import LEFT_OUT_RULE_ID
from tests.conftest import REPO, Cli, closed_port
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
    # Absent: the upload action's default category (workflow, job, matrix) applies. Present:
    # GitHub splits it at the last "/", so without one the category would be empty.
    if "automationDetails" in run and not run["automationDetails"].get("id", "").endswith("/"):
        problems.append("automationDetails.id without a category/")
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
    locations = result.get("locations") or []
    if len(locations) > LIMITS["locations"]:
        problems.append("more than 1,000 locations")
    physical = (locations or [{}])[0].get("physicalLocation") or {}
    if not (physical.get("artifactLocation") or {}).get("uri"):
        problems.append("expected artifact location: no physicalLocation.artifactLocation.uri")
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
    named = json.loads(sarif(sample_report(), sarif_category="drift-gate/prod"))
    assert named["runs"][0]["automationDetails"] == {"id": "drift-gate/prod/"}
    # Without one, no automationDetails: upload-sarif then sets its own default category
    # (workflow, job and matrix); one written here would replace that default.
    assert "automationDetails" not in json.loads(sarif(sample_report()))["runs"][0]


def test_the_category_does_not_depend_on_what_was_found() -> None:
    """Code scanning closes an alert when a later upload in the same category lacks it: a
    category made from the environments found would orphan every alert of the run before."""
    drifted, clean = sample_report(), live_only_report()
    assert {f.target.environment for f in drifted.findings} != {
        f.target.environment for f in clean.findings
    }
    for category in (None, "drift-gate/prod"):
        runs = [json.loads(sarif(r, sarif_category=category))["runs"][0] for r in (drifted, clean)]
        assert runs[0].get("automationDetails") == runs[1].get("automationDetails")
    # The same finding in both runs keeps its fingerprint, whatever else was found with it.
    both = merge_reports([drifted, clean])
    prints = {
        r["ruleId"] + r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]: r[
            "partialFingerprints"
        ]
        for report in (drifted, clean)
        for r in json.loads(sarif(report))["runs"][0]["results"]
    }
    merged = json.loads(sarif(both))["runs"][0]["results"]
    # Code scanning matches alerts by primaryLocationLineHash: ours, one per finding even
    # where several share a line (every live-only finding is at the policy's line 7 here).
    live_only = json.loads(sarif(clean))["runs"][0]["results"]
    hashes = [r["partialFingerprints"]["primaryLocationLineHash"] for r in live_only]
    assert len(set(hashes)) == len(live_only) == 5
    assert {
        r["ruleId"] + r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]: r[
            "partialFingerprints"
        ]
        for r in merged
    } == prints


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


# --- URIs: relative to the repository root, or none ---------------------------------------


def test_a_file_outside_the_repository_is_never_a_uri() -> None:
    target = Target(environment="terraform", resource="aws_ecs_task_definition.api")
    outside = ServiceContext(target).finding("DG501", "pending", where="/elsewhere/main.tf:10")
    climbing = ServiceContext(target).finding("DG502", "pending", where="../shared/main.tf:4")
    report = build_report(
        [ServiceResult(None, (outside, climbing))], FailOn.ERROR, T0, T1, "/elsewhere/p.yaml", {}
    )
    for options in ({"workspace": "/repo", "base": "/repo"}, {}):
        text = sarif(report, **options)
        assert github_problems(text) == []
        results = json.loads(text)["runs"][0]["results"]
        uris = [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results]
        # Neither file nor the policy is in the repository: README.md line 1 stands in.
        assert uris == ["README.md", "README.md"], options
        assert (
            "(declared in /elsewhere/main.tf:10, outside the repository)"
            in (results[0]["message"]["text"])
        )
    inside = json.loads(sarif(report, workspace="/repo", base="/repo/services/api"))
    [_, climbed] = inside["runs"][0]["results"]
    assert climbed["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == (
        "services/shared/main.tf"
    )


def test_outside_actions_paths_are_relative_to_the_repository_root(
    cli: Cli, tmp_path: Path
) -> None:
    """Not the working directory: drift-gate ran in services/api of the repository here."""
    (tmp_path / ".git").mkdir()
    below = tmp_path / "services" / "api"
    below.mkdir(parents=True)
    (below / "a.json").write_text(reporter("json").render(sample_report(), RenderOptions()))

    result = Cli(cli.env, below).run("merge", "a.json", "--format", "sarif")

    results = json.loads(result.stdout)["runs"][0]["results"]
    uris = {
        r["ruleId"]: r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for r in results
    }
    assert uris["DG101"] == "services/api/policy.yaml"
    assert uris["DG502"] == "services/api/infra/main.tf"


# --- At most 25,000 results --------------------------------------------------------------


def test_above_25000_findings_the_most_severe_are_kept_and_the_rest_counted() -> None:
    from tests.unit.test_formats import many_findings

    report = many_findings(25_010)  # errors, warnings and infos in turn
    text = sarif(report)
    assert github_problems(text) == []
    run = json.loads(text)["runs"][0]
    results = run["results"]
    assert len(results) == 25_000
    levels = [r["level"] for r in results[:-1]]
    assert levels.count("error") == 8337  # every error, every warning
    assert levels.count("warning") == 8337
    assert levels.count("note") == 24_999 - 2 * 8337
    [note] = [r for r in results if r["ruleId"] == LEFT_OUT_RULE_ID]
    assert note is results[-1]
    assert note["level"] == "note"
    assert note["message"]["text"].startswith("11 more finding(s) than GitHub code scanning")
    assert "(11 note(s))" in note["message"]["text"]
    assert run["tool"]["driver"]["rules"][note["ruleIndex"]]["id"] == LEFT_OUT_RULE_ID
    # The JSON report keeps them all.
    assert len(json.loads(reporter("json").render(report, RenderOptions()))["findings"]) == 25_010


# --- Rules: security-severity and Markdown help -------------------------------------------


def test_every_rule_has_a_security_severity_and_markdown_help() -> None:
    rules = {
        r["id"]: r for r in json.loads(sarif(sample_report()))["runs"][0]["tool"]["driver"]["rules"]
    }
    anchors = {
        line.removeprefix("## ").lower().replace(" ", "-")
        for line in (REPO / "docs" / "rules.md").read_text().splitlines()
        if line.startswith("## DG")
    }
    for rule_id, rule in rules.items():
        score = rule["properties"]["security-severity"]
        assert re.fullmatch(r"\d{1,2}\.\d", score), (rule_id, score)
        assert 0.1 <= float(score) <= 10.0
        assert "security" in rule["properties"]["tags"]  # else code scanning ignores the score
        markdown = rule["help"]["markdown"]
        assert markdown != rule["help"]["text"]
        assert "**Why it matters.**" in markdown
        assert "**How to fix.**" in markdown
        link = re.search(r"\]\((https://\S+/docs/rules\.md)#([a-z0-9-]+)\)\.$", markdown)
        assert link, rule_id
        assert link[2] in anchors
    # Credentials in plain variables and what could not be verified are high (7.0-8.9) or more.
    for rule_id in ("DG103", "DG106", "DG602", "DG901", "DG903"):
        assert float(rules[rule_id]["properties"]["security-severity"]) >= 7.0, rule_id
    assert float(rules["DG107"]["properties"]["security-severity"]) < 4.0


# --- Microsoft's SARIF Multitool, GitHub's rule kind ---------------------------------------

MULTITOOL = REPO / "tools" / "sarif-multitool"


@pytest.fixture(scope="module")
def sarif_multitool() -> Path:
    """The Multitool's self-contained build for this platform, installed (locked) from npm by
    `npm ci --prefix tools/sarif-multitool`, which .ci/run does: CI never skips it."""
    platform = {"linux": "linux", "darwin": "darwin"}.get(sys.platform, sys.platform)
    tool = MULTITOOL / "node_modules" / "@microsoft" / f"sarif-multitool-{platform}"
    tool /= "Sarif.Multitool"
    if not tool.exists():
        message = f"SARIF Multitool not installed: npm ci --prefix {MULTITOOL.relative_to(REPO)}"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return tool


def multitool_problems(tool: Path, text: str, where: Path) -> list[str]:
    """What `sarif validate --rule-kind Sarif;Gh` reports at warning or error level (notes
    are advice: message arguments, code snippets), and whether it ran to the end."""
    log, validation = where / "checked.sarif", where / "validation.sarif"
    log.write_text(text)
    closed = f"http://127.0.0.1:{closed_port()}"  # with SARIF2006 off, a second guard
    config = MULTITOOL / "github.config.xml"
    subprocess.run(
        [
            *(str(tool), "validate", "--rule-kind", "Sarif;Gh", "--config", str(config)),
            *("--log", "ForceOverwrite", "--output", str(validation), str(log)),
        ],
        env={**os.environ, "HTTP_PROXY": closed, "HTTPS_PROXY": closed},
        capture_output=True,
        timeout=120,
        check=True,  # it exits 0 with errors found; non-zero is a failure to run
    )
    run = json.loads(validation.read_text())["runs"][0]
    problems = [
        f"{result['ruleId']} {result['message'].get('arguments')}"
        for result in run.get("results", [])
        if result.get("level", "warning") in ("warning", "error")  # no level: warning
    ]
    for invocation in run["invocations"]:
        if not invocation.get("executionSuccessful"):
            problems.append("the Multitool did not run to the end")
        problems += [
            str(notification["message"])
            for notification in invocation.get("toolExecutionNotifications", [])
            if notification.get("level") == "error"
        ]
    return problems


def test_the_multitool_reports_what_github_rejects(sarif_multitool: Path, tmp_path: Path) -> None:
    """Its GitHub rules are on: an absolute path or file URI, a result without a region or
    without a location, and a message without text are each reported (else a clean run
    below would prove nothing)."""
    broken = json.loads(sarif(sample_report()))
    results = broken["runs"][0]["results"]
    results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] = "/abs/policy.yaml"
    del results[1]["locations"][0]["physicalLocation"]["region"]
    results[2]["message"] = {"id": "default"}
    results[3]["locations"] = []
    physical = results[4]["locations"][0]["physicalLocation"]
    physical["artifactLocation"] = {"uri": "file:///abs/main.tf"}
    problems = multitool_problems(sarif_multitool, json.dumps(broken), tmp_path)
    for rule_id in ("SARIF1004", "GH1003", "GH1007", "GH1001", "GH1006"):
        assert any(problem.startswith(f"{rule_id} ") for problem in problems), rule_id


def golden(name: str) -> str:
    return (REPO / "tests" / "golden" / f"{name}.sarif.sarif").read_text()


@pytest.mark.parametrize(
    "name", ["golden findings", "golden clean", "live only", "outside", "left out"]
)
def test_the_multitool_accepts_every_kind_of_report(
    sarif_multitool: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    from tests.unit.test_formats import many_findings

    target = Target(environment="terraform", resource="aws_ecs_task_definition.api")
    outside = ServiceContext(target).finding("DG501", "pending", where="/elsewhere/main.tf:10")
    # The cap lowered to 10: 25,000 results take the Multitool over a minute, and GH1004 is
    # off (its limits are stale), so the limits themselves are github_problems' to check.
    monkeypatch.setattr(sarif_module, "MAX_RESULTS", 10)
    texts = {
        "golden findings": partial(golden, "findings"),
        "golden clean": partial(golden, "clean"),
        "live only": partial(sarif, live_only_report(), sarif_category="drift-gate/dev"),
        "outside": partial(
            sarif,
            build_report([ServiceResult(None, (outside,))], FailOn.ERROR, T0, T1, None, {}),
            workspace="/repo",
        ),
        "left out": partial(sarif, many_findings(15)),
    }
    text = texts[name]()
    assert (LEFT_OUT_RULE_ID in text) == (name == "left out")
    assert multitool_problems(sarif_multitool, text, tmp_path) == []
