"""Every output format: golden files, schemas, consumers, GitHub's environment, merge, rule docs.

Golden files live in tests/golden/. After an intended change, rewrite them with
DRIFT_GATE_UPDATE_GOLDEN=1 python -m pytest tests/unit/test_formats.py, and review the diff.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import jsonschema
import junitparser
import pytest

from drift_gate import _moto_compat
from drift_gate.checks.findings import ServiceContext
from drift_gate.demo import CLUSTER, REGION, SERVICE, IncidentAccount
from drift_gate.engine.merge import load_report, merge_reports
from drift_gate.engine.outcome import ServiceResult, build_report
from drift_gate.model import FailOn, Report, Target, Verdict
from drift_gate.publish.github import STEP_SUMMARY_LIMIT, WrittenReport, publish, step_outputs
from drift_gate.report import FORMAT_NAMES, RenderOptions, reporters
from drift_gate.report.github import escape_data, escape_property
from drift_gate.rules import RULES, RuleId, rules_markdown
from tests.conftest import REPO, Cli, MotoServer
from tests.reports import T0, T1, checked, sample_report

GOLDEN = REPO / "tests" / "golden"
EXTENSIONS = {
    "console": "txt",
    "json": "json",
    "markdown": "md",
    "github": "txt",
    "sarif": "sarif",
    "junit": "xml",
    "html": "html",
}
SARIF_SCHEMA = REPO / "tests" / "data" / "sarif-schema-2.1.0.json"


def render(fmt: str, report: Report, **options: object) -> str:
    return reporters()[fmt].render(report, RenderOptions(**options))  # type: ignore[arg-type]


@pytest.mark.parametrize("fmt", FORMAT_NAMES)
@pytest.mark.parametrize("kind", ["findings", "clean"])
def test_golden(fmt: str, kind: str) -> None:
    text = render(fmt, sample_report(clean=kind == "clean"))
    golden = GOLDEN / f"{kind}.{fmt}.{EXTENSIONS[fmt]}"
    if os.environ.get("DRIFT_GATE_UPDATE_GOLDEN"):
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(text)
    assert text == golden.read_text()


def test_every_format_is_golden_tested() -> None:
    assert set(EXTENSIONS) == set(FORMAT_NAMES)


# --- SARIF ------------------------------------------------------------------------------


def test_sarif_validates_against_the_official_schema() -> None:
    schema = json.loads(SARIF_SCHEMA.read_text())
    for report in (sample_report(), sample_report(clean=True)):
        jsonschema.Draft4Validator(schema).validate(json.loads(render("sarif", report)))


def test_sarif_rules_locations_levels_and_stable_fingerprints() -> None:
    run = json.loads(render("sarif", sample_report(), workspace="/repo"))["runs"][0]
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == [rule.id for rule in RULES]
    assert run["tool"]["driver"]["rules"][0]["helpUri"].endswith(
        "docs/rules.md#dg101-secret-missing"
    )
    results = {r["ruleId"]: r for r in run["results"]}
    assert {k: r["level"] for k, r in results.items()} == {
        "DG101": "error",
        "DG502": "error",
        "DG203": "warning",
        "DG105": "warning",
        "DG107": "note",
    }
    assert results["DG105"]["suppressions"] == [
        {
            "kind": "external",
            "status": "accepted",
            "justification": "waived until 2026-12-31 (33 day(s) left): migrating to Secrets "
            "Manager in INC-42; owner @team-ml; waiver at policy.yaml:40",
        }
    ]
    assert "suppressions" not in results["DG101"]
    physical = results["DG502"]["locations"][0]["physicalLocation"]
    assert physical == {
        "artifactLocation": {"uri": "infra/main.tf", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 25},
    }
    # A finding with no file of its own still gets a physical location (GitHub rejects the
    # whole file otherwise): here the policy, since the sample service has no declared line.
    assert results["DG203"]["locations"][0] == {
        "physicalLocation": {
            "artifactLocation": {"uri": "policy.yaml", "uriBaseId": "%SRCROOT%"},
            "region": {"startLine": 1},
        },
        "logicalLocations": [
            {"name": "api", "fullyQualifiedName": "dev/c/api", "kind": "resource"}
        ],
    }
    # Same finding in a later run with another message and time: same fingerprint.
    later = json.loads(render("sarif", sample_report(FailOn.WARNING)))["runs"][0]["results"]
    assert [r["partialFingerprints"] for r in later] == [
        r["partialFingerprints"] for r in run["results"]
    ]
    assert len({r["partialFingerprints"]["driftGate/v1"] for r in run["results"]}) == 5


def test_sarif_paths_are_made_relative_to_the_workspace() -> None:
    target = Target(environment="terraform", resource="aws_ecs_task_definition.api")
    finding = ServiceContext(target).finding("DG501", "pending", where="/repo/infra/main.tf:10")
    report = build_report([ServiceResult(None, (finding,))], FailOn.ERROR, T0, T1, None, {})
    location = json.loads(render("sarif", report, workspace="/repo"))["runs"][0]["results"][0][
        "locations"
    ][0]
    assert location["physicalLocation"]["artifactLocation"]["uri"] == "infra/main.tf"


# --- JUnit ------------------------------------------------------------------------------


def test_junit_parses_with_a_standard_consumer(tmp_path: Path) -> None:
    path = tmp_path / "junit.xml"
    path.write_text(render("junit", sample_report()))
    xml = junitparser.JUnitXml.fromfile(str(path))
    suites = {suite.name: suite for suite in xml}
    assert set(suites) == {"dev", "terraform plan"}
    cases = {case.name: case for case in suites["dev"]}
    assert set(cases) == {
        "service",
        "container api",
        "link application log clean",
        "link the application answers as declared",
    }
    # A link that did not run is a skipped case, never a passing one.
    [skipped] = cases["link application log clean"].result
    assert isinstance(skipped, junitparser.Skipped)
    assert skipped.message == "not checked (no logs declared for this service)"
    # DG101 blocks (failure); DG203 (warning) and DG107 (info) do not under --fail-on error.
    [failure] = cases["container api"].result
    assert isinstance(failure, junitparser.Failure)
    assert failure.type == "DG101"
    assert cases["service"].result == []
    assert "DG203 rollout-in-progress" in (cases["service"].system_out or "")
    assert (xml.tests, xml.failures, xml.errors, xml.skipped) == (5, 2, 0, 2)


def test_junit_clean_and_unverified(tmp_path: Path) -> None:
    clean = tmp_path / "clean.xml"
    clean.write_text(render("junit", sample_report(clean=True)))
    xml = junitparser.JUnitXml.fromfile(str(clean))
    assert (xml.tests, xml.failures, xml.errors) == (4, 0, 0)
    context = ServiceContext(
        Target(environment="dev", region="us-east-1", cluster="c", service="api")
    )
    unverified = build_report(
        [ServiceResult(checked(), (context.finding("DG901", "could not verify: access denied"),))],
        FailOn.ERROR,
        T0,
        T1,
        None,
        {},
    )
    broken = tmp_path / "broken.xml"
    broken.write_text(render("junit", unverified))
    xml = junitparser.JUnitXml.fromfile(str(broken))
    assert (xml.failures, xml.errors) == (0, 1)


# --- Annotations, summary and outputs in GitHub Actions ---------------------------------


def test_annotation_escaping_follows_the_toolkit() -> None:
    assert escape_data("50% done\nnext") == "50%25 done%0Anext"
    assert escape_property("a:b,c%") == "a%3Ab%2Cc%25"


def test_annotations_show_control_characters_of_names_as_text() -> None:
    # A name from a file or AWS: a terminal hyperlink, a screen clear, a right-to-left
    # override and a carriage return reach the log as visible escapes, never as controls.
    hostile = "A\x1b]8;;http://evil\x07click\x1b]8;;\x07\x1b[2J\u202eB\rC"
    for escaped in (escape_data(hostile), escape_property(hostile)):
        assert not any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in escaped)
        assert "\u202e" not in escaped
        assert "\\x1b]8;;http" in escaped.replace("%3A", ":")
    assert escape_data("line\nnext") == "line%0Anext"  # drift-gate's own break is kept


def many_findings(count: int) -> Report:
    context = ServiceContext(
        Target(environment="dev", region="us-east-1", cluster="c", service="api")
    )
    findings = []
    for index in range(count):
        rule_id: RuleId = ("DG101", "DG203", "DG107")[index % 3]
        findings.append(
            context.finding(
                rule_id,
                f"finding number {index}",
                container="api",
                variable=f"NAME_{index:05d}",
                where=f"infra/main.tf:{index + 1}",
            )
        )
    return build_report(
        [ServiceResult(checked(), tuple(findings))], FailOn.ERROR, T0, T1, "p.yaml", {}
    )


def test_5000_findings_in_github_actions_truncate_and_cap(tmp_path: Path) -> None:
    summary, outputs = tmp_path / "summary.md", tmp_path / "output"
    summary.write_text("# an earlier step of this job wrote this\n")
    printed: list[str] = []
    environ = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_OUTPUT": str(outputs),
    }

    publish(
        many_findings(5000),
        [WrittenReport("json", tmp_path / "full.json")],
        environ,
        printed.append,
    )

    text = summary.read_text()
    assert text.startswith("# an earlier step of this job wrote this\n## ❌ drift-gate: DRIFT")
    assert len(text.encode()) < STEP_SUMMARY_LIMIT
    shown = len(re.findall(r"^\| 🔴|^\| 🟠|^\| 🔵", text, re.M))
    note = re.search(r"\*\*(\d+) finding\(s\) left out\*\* .*the full report is `(.+?)`", text)
    assert note, "the truncation note is missing"
    assert shown + int(note[1]) == 5000
    assert note[2] == str(tmp_path / "full.json")
    [annotations] = printed
    lines = annotations.splitlines()
    assert sum(line.startswith("::error ") for line in lines) == 10
    assert sum(line.startswith("::warning ") for line in lines) == 10
    assert (
        lines[-1]
        == "::notice title=drift-gate::1657 more error(s) and 1657 more warning(s) than GitHub shows as annotations; see the job summary or the full report"
    )
    assert lines[0].startswith(
        "::error file=infra/main.tf,line=1,title=DG101 secret-missing%3A api/NAME_00000::"
    )
    assert outputs.read_text() == (
        "verdict=drift\nexit-code=1\nfindings=5000\nerrors=1667\nwarnings=1667\ninfos=1666\n"
        f"json-report={tmp_path / 'full.json'}\n"
    )


def test_step_outputs_with_a_newline_use_a_delimiter(tmp_path: Path) -> None:
    outputs = tmp_path / "output"
    publish(
        sample_report(),
        [WrittenReport("json", Path("odd\nname.json"))],
        {"GITHUB_OUTPUT": str(outputs)},
        print,
    )
    text = outputs.read_text()
    assert re.search(r"^json-report<<(ghadelimiter_[0-9a-f]{16})\nodd\nname\.json\n\1$", text, re.M)
    assert step_outputs(sample_report(), {})["verdict"] == "drift"


def test_nothing_is_published_outside_github_actions(tmp_path: Path) -> None:
    printed: list[str] = []
    publish(sample_report(), [], {}, printed.append)
    assert printed == []


@pytest.mark.e2e
def test_the_cli_in_github_actions_writes_summary_annotations_and_outputs(
    cli_on_moto: Cli, tmp_path: Path
) -> None:
    summary, outputs = tmp_path / "summary.md", tmp_path / "output"
    environ = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_OUTPUT": str(outputs),
    }
    policy = str(REPO / "policies" / "example.yaml")

    result = cli_on_moto.run(
        "check", "--policy", policy, "--format", "sarif", "--output", "r.sarif", extra_env=environ
    )

    assert result.exit_code == 1  # the fresh moto account has no cluster: DG205
    assert result.stdout == ""  # annotations go to stderr, where the runner reads them too
    assert result.stderr.startswith("::error file=")
    assert "title=DG205 cluster-not-found" in result.stderr
    assert "DG205 cluster-not-found" in summary.read_text()
    assert "verdict=drift\nexit-code=1\n" in outputs.read_text()
    assert "sarif-report=r.sarif\n" in outputs.read_text()


def strictly_parsed(fmt: str, text: str) -> None:
    """Fail unless `text` is one whole report of `fmt`, nothing before or after it."""
    if fmt in ("json", "sarif"):
        json.loads(text)
    elif fmt == "junit":
        junitparser.JUnitXml.fromstring(text)
    elif fmt == "html":
        assert text.startswith("<!DOCTYPE html>")
        assert text.rstrip().endswith("</html>")
    elif fmt == "github":
        assert all(line.startswith("::") for line in text.splitlines())
    if fmt != "github":
        assert not re.search(r"^::(error|warning|notice)", text, re.M), "a workflow command"


@pytest.fixture
def drifted_account(moto_server: MotoServer) -> MotoServer:
    """The incident's account with a revision registered but not deployed: check and scan
    both find drift there, so annotations have something to say."""
    account = IncidentAccount.create(moto_server.client)
    _moto_compat.settle(CLUSTER, SERVICE, REGION)
    account.register_revision(["DATABASE_HOST", "MLFLOW_SERVER_URL", "HUGGINGFACE_API_KEY"])
    return moto_server


@pytest.mark.parametrize("command", ["check", "scan", "merge"])
def test_every_format_on_stdout_in_github_actions_is_only_the_report(
    drifted_account: MotoServer, cli_on_moto: Cli, tmp_path: Path, command: str
) -> None:
    environ = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
        "GITHUB_OUTPUT": str(tmp_path / "output"),
        "GITHUB_WORKSPACE": str(tmp_path),
    }
    given = {
        "check": ["check", "--policy", str(REPO / "policies" / "example.yaml")],
        "scan": ["scan", "--region", REGION],
        "merge": ["merge", str(write(tmp_path / "a.json", sample_report()))],
    }[command]
    for fmt in FORMAT_NAMES:
        result = cli_on_moto.run(*given, "--format", fmt, extra_env=environ)
        assert result.exit_code == 1, (fmt, result.stderr)
        strictly_parsed(fmt, result.stdout)
        if fmt != "github":  # the annotations were still written, where the runner reads them
            assert re.search(r"^::error ", result.stderr, re.M), fmt


# --- Merge ------------------------------------------------------------------------------


def unverified_report() -> Report:
    context = ServiceContext(
        Target(environment="prod", region="eu-west-1", cluster="c", service="api")
    )
    finding = context.finding("DG901", "could not verify: access denied to ecs:DescribeServices")
    service = checked().model_copy(
        update={"environment": "prod", "region": "eu-west-1", "verified": False}
    )
    return build_report(
        [ServiceResult(service, (finding,))],
        FailOn.ERROR,
        T0,
        T1,
        "p.yaml",
        {"ecs:DescribeServices": 3},
    )


def write(path: Path, report: Report) -> Path:
    path.write_text(render("json", report))
    return path


def test_merge_of_clean_drifted_and_unverified_never_passes(cli: Cli, tmp_path: Path) -> None:
    clean = write(tmp_path / "clean.json", sample_report(clean=True))
    drift = write(tmp_path / "drift.json", sample_report())
    unverified = write(tmp_path / "unverified.json", unverified_report())

    merged = merge_reports([load_report(p) for p in (clean, drift, unverified)])
    assert (merged.verdict, merged.exit_code) == (Verdict.COULD_NOT_VERIFY, 3)
    assert [f.rule_id for f in merged.findings] == [
        "DG101",
        "DG901",
        "DG502",
        "DG203",
        "DG105",
        "DG107",
    ]
    assert next(f for f in merged.findings if f.rule_id == "DG105").waiver is not None
    assert {(s.environment, s.verified) for s in merged.services} == {
        ("dev", True),
        ("prod", False),
    }
    assert merged.stats.aws_calls == {"ecs:DescribeServices": 5}

    result = cli.run(
        "merge", str(clean), str(drift), str(unverified), "--format", "json", "--output", "m.json"
    )
    assert result.exit_code == 3
    assert json.loads((tmp_path / "m.json").read_text())["verdict"] == "could-not-verify"


def test_merge_collapses_duplicates_and_keeps_the_strictest_threshold(tmp_path: Path) -> None:
    first = write(tmp_path / "a.json", sample_report())
    second = write(tmp_path / "b.json", sample_report(FailOn.WARNING))
    merged = merge_reports([load_report(first), load_report(second)])
    assert len(merged.findings) == len(sample_report().findings)
    assert merged.fail_on is FailOn.WARNING
    clean_only = merge_reports(
        [load_report(write(tmp_path / "c.json", sample_report(clean=True)))] * 2
    )
    assert (clean_only.verdict, clean_only.exit_code, len(clean_only.services)) == (
        Verdict.PASS,
        0,
        1,
    )
    # the declared sides each slice read (a template), once each
    sides = [sample_report().model_copy(update={"declared": (label,)}) for label in "aab"]
    paths = [write(tmp_path / f"{index}.json", side) for index, side in enumerate(sides)]
    assert merge_reports([load_report(path) for path in paths]).declared == ("a", "b")


def test_merge_refuses_what_is_not_a_report(cli: Cli, tmp_path: Path) -> None:
    junk = tmp_path / "junk.json"
    junk.write_text('{"verdict": "pass"}')
    result = cli.run("merge", str(junk))
    assert result.exit_code == 2
    assert f"{junk}: not a drift-gate report" in result.stderr
    missing = cli.run("merge", str(tmp_path / "absent.json"))
    assert missing.exit_code == 2
    assert "cannot read report" in missing.stderr


# --- Rule docs --------------------------------------------------------------------------


def test_docs_rules_md_is_generated_from_the_registry() -> None:
    # If this fails: python -m drift_gate.rules > docs/rules.md
    assert (REPO / "docs" / "rules.md").read_text() == rules_markdown()


def test_explain_prints_the_docs_text(cli: Cli) -> None:
    result = cli.run("explain", "dg502")
    assert result.exit_code == 0
    assert result.stdout.startswith("## DG502 variable-change-not-applied\n")
    assert result.stdout in rules_markdown()
    unknown = cli.run("explain", "DG999")
    assert (unknown.exit_code, unknown.stderr) == (
        2,
        "drift-gate: error: unknown rule id 'DG999'; `drift-gate rules` lists them\n",
    )
