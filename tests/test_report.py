"""Report rendering: JSON against the shipped schema, the schema in sync with the model, console text."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import jsonschema

from drift_gate.checks.findings import ServiceContext
from drift_gate.gate import ServiceResult, build_report
from drift_gate.model import CheckedService, FailOn, Report, Target
from drift_gate.report import RenderOptions, reporters
from drift_gate.report.json_report import report_json_schema, shipped_report_schema
from tests.conftest import REPO

T0 = datetime(2026, 11, 28, 4, 0, 0, tzinfo=timezone.utc)
T1 = datetime(2026, 11, 28, 4, 0, 1, 500000, tzinfo=timezone.utc)
TD = "arn:aws:ecs:us-east-1:123456789012:task-definition/api"


def sample_report(fail_on: FailOn = FailOn.ERROR, *, clean: bool = False) -> Report:
    target = Target(environment="dev", region="us-east-1", cluster="c", service="api")
    context = ServiceContext(target, f"{TD}:1", f"{TD}:2")
    checked = CheckedService(
        environment="dev",
        region="us-east-1",
        cluster="c",
        service="api",
        verified=True,
        deployed_task_definition=f"{TD}:1",
        latest_task_definition=f"{TD}:2",
        containers=("api",),
    )
    findings = (
        ()
        if clean
        else (
            context.finding(
                "DG101",
                "secret HF is missing",
                container="api",
                variable="HF",
                where="policy.yaml:13",
            ),
            context.finding("DG203", "still rolling out"),
            context.finding("DG107", "container api has EXTRA", container="api", variable="EXTRA"),
        )
    )
    return build_report(
        [ServiceResult(checked, findings)],
        fail_on,
        T0,
        T1,
        "policy.yaml",
        {"ecs:DescribeServices": 1},
    )


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
    assert [f.rule_id for f in report.findings] == ["DG101", "DG203", "DG107"]
    assert report.stats.findings_by_severity == {"error": 1, "warning": 1, "info": 1}
    assert (report.verdict.value, report.exit_code) == ("drift", 1)


CONSOLE_GOLDEN = """\
DRIFT: 1 error(s), 1 warning(s) across 1 service(s) (--fail-on error)

dev / c / api  [3 finding(s)]
  running  arn:aws:ecs:us-east-1:123456789012:task-definition/api:1
  latest   arn:aws:ecs:us-east-1:123456789012:task-definition/api:2
  ERROR   DG101 secret-missing  api/HF
          secret HF is missing
          declared at policy.yaml:13
          fix: Add the secret to the task definition (in Terraform, `secrets` of the container), apply, then redeploy the service so its PRIMARY deployment runs the new revision.
  WARNING DG203 rollout-in-progress
          still rolling out
          fix: Wait for the deployment to finish (`aws ecs wait services-stable`), then check again.
  INFO    DG107 undeclared-live-variable  api/EXTRA
          container api has EXTRA

drift-gate 0.1.0: 1 service(s), 3 finding(s), 1 AWS call(s), 1.50s
"""


def test_console_report_golden() -> None:
    assert reporters()["console"].render(sample_report(), RenderOptions()) == CONSOLE_GOLDEN


def test_console_clean_report_and_colour() -> None:
    clean = reporters()["console"].render(sample_report(clean=True), RenderOptions())
    assert clean.splitlines()[0] == "PASS: 1 service(s) run what is declared"
    coloured = reporters()["console"].render(sample_report(), RenderOptions(color=True))
    assert coloured.startswith("\x1b[31mDRIFT\x1b[0m: ")


def test_report_schema_is_published_in_the_package() -> None:
    assert (REPO / "drift_gate" / "schemas" / "report.schema.json").is_file()
