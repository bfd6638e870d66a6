"""Report rendering: JSON against the shipped schema, the schema in sync with the model, console text."""

from __future__ import annotations

import json

import jsonschema

from drift_gate.model import Report
from drift_gate.report import RenderOptions, reporters
from drift_gate.report.json_report import report_json_schema, shipped_report_schema
from tests.conftest import REPO
from tests.reports import sample_report


def test_json_report_validates_against_the_shipped_schema() -> None:
    for report in (sample_report(), sample_report(clean=True)):
        document = json.loads(reporters()["json"].render(report, RenderOptions()))
        jsonschema.Draft202012Validator(shipped_report_schema()).validate(document)
        assert Report.model_validate(document) == report  # lossless round trip


def test_shipped_report_schema_is_the_one_the_model_generates() -> None:
    # If this fails, regenerate the file: python -m drift_gate.report.json_report
    assert shipped_report_schema() == json.loads(json.dumps(report_json_schema()))


def test_findings_are_sorted_worst_first_and_counted() -> None:
    report = sample_report()
    assert [f.rule_id for f in report.findings] == ["DG101", "DG502", "DG203", "DG105", "DG107"]
    assert report.stats.findings_by_severity == {"error": 2, "warning": 2, "info": 1}
    assert report.stats.waived == 1
    assert (report.verdict.value, report.exit_code) == ("drift", 1)


def test_console_clean_report_and_colour() -> None:
    clean = reporters()["console"].render(sample_report(clean=True), RenderOptions())
    assert clean.splitlines()[0] == "PASS: 1 service(s) run what is declared"
    coloured = reporters()["console"].render(sample_report(), RenderOptions(color=True))
    assert coloured.startswith("\x1b[31mDRIFT\x1b[0m: ")


def test_report_schema_is_published_in_the_package() -> None:
    assert (REPO / "drift_gate" / "schemas" / "report.schema.json").is_file()


def test_one_apply_ignores_drops_ignored_rules_but_never_could_not_verify() -> None:
    from drift_gate.checks.findings import ServiceContext
    from drift_gate.engine.outcome import apply_ignores
    from drift_gate.model import Target

    context = ServiceContext(Target(environment="dev", cluster="c", service="api"))
    findings = [context.finding("DG107", "extra"), context.finding("DG901", "denied")]
    kept = apply_ignores(findings, {"DG107", "DG901"})
    assert [f.rule_id for f in kept] == ["DG901"]
