"""Waivers: accepted drift until a date, reported in every format, never blocking, never DG9xx."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from drift_gate.checks.findings import ServiceContext
from drift_gate.engine.outcome import ServiceResult, build_report
from drift_gate.engine.waivers import apply_waivers
from drift_gate.model import CheckedService, FailOn, Finding, Report, Target
from drift_gate.policy import find_problems, load_policy
from drift_gate.report import RenderOptions, reporters
from drift_gate.yamlfile import parse_yaml
from tests.conftest import Cli

TODAY = date(2026, 11, 29)
NOW = datetime(2026, 11, 29, 4, 0, tzinfo=timezone.utc)

POLICY = """\
version: 1
environments:
  production:
    region: us-east-1
    services:
      - cluster: prod
        service: batch-nightly
        containers:
          app:
            environment: [LOG_LEVEL]
waiver_limits:
  max_days: 90
  warn_days: 14
waivers:
  - rule: DG201
    target: {environment: production, service: "batch-*"}
    reason: the nightly batch is redeployed on Mondays only
    owner: "@team-data"
    expires: "{holds}"
  - rule: DG105
    target: {service: batch-nightly, container: app, name: DB_PASSWORD}
    reason: moving to Secrets Manager in INC-42
    expires: "{soon}"
  - rule: DG106
    target: {service: batch-nightly}
    reason: a token that was rotated
    expires: "{past}"
  - rule: DG301
    target: {service: retired-*}
    reason: a retired service
    expires: "{holds}"
"""


def policy_file(tmp_path: Path, today: date = TODAY) -> Path:
    path = tmp_path / "drift-gate.yaml"
    path.write_text(
        POLICY.replace("{holds}", str(today + timedelta(days=60)))
        .replace("{soon}", str(today + timedelta(days=3)))
        .replace("{past}", str(today - timedelta(days=1)))
    )
    return path


def checked() -> CheckedService:
    return CheckedService(
        environment="production",
        region="us-east-1",
        cluster="prod",
        service="batch-nightly",
        verified=True,
    )


def findings() -> tuple[Finding, ...]:
    context = ServiceContext(
        Target(
            environment="production", region="us-east-1", cluster="prod", service="batch-nightly"
        )
    )
    return (
        context.finding("DG201", "registered but not deployed"),
        context.finding("DG105", "credential-like name", container="app", variable="DB_PASSWORD"),
        context.finding("DG106", "a token in clear", container="app", variable="API_TOKEN"),
        context.finding("DG901", "could not verify: throttled"),
    )


def waived_report(tmp_path: Path, found: tuple[Finding, ...]) -> Report:
    policy = load_policy(policy_file(tmp_path))
    results = apply_waivers([ServiceResult(checked(), found)], policy, TODAY)
    return build_report(results, FailOn.ERROR, NOW, NOW, policy.source, {})


def by_rule(report: Report) -> dict[str, Finding]:
    return {f.rule_id: f for f in report.findings}


def test_a_holding_waiver_marks_the_finding_which_stops_blocking(tmp_path: Path) -> None:
    report = waived_report(tmp_path, findings()[:1])
    found = by_rule(report)
    waiver = found["DG201"].waiver
    assert waiver is not None
    assert (waiver.reason, waiver.owner, waiver.days_left) == (
        "the nightly batch is redeployed on Mondays only",
        "@team-data",
        60,
    )
    assert waiver.declared_in == f"{tmp_path / 'drift-gate.yaml'}:15"
    # DG201 is waived; the DG106 waiver has expired (DG701, an error): the run fails on that
    # alone; the DG105 and DG301 waivers matched nothing (DG702, warnings).
    assert set(found) == {"DG201", "DG701", "DG702"}
    assert sum(1 for f in report.findings if f.rule_id == "DG702") == 2
    assert found["DG701"].severity.value == "error"
    assert "expired on 2026-11-28" in found["DG701"].message
    assert report.exit_code == 1
    assert report.stats.waived == 1


def test_an_expired_waiver_lets_its_finding_count_again(tmp_path: Path) -> None:
    report = waived_report(tmp_path, findings()[2:3])
    found = by_rule(report)
    assert found["DG106"].waiver is None
    assert found["DG106"].severity.value == "error"


def test_a_waiver_expiring_soon_is_a_warning_and_still_holds(tmp_path: Path) -> None:
    report = waived_report(tmp_path, findings()[1:2])
    found = by_rule(report)
    assert found["DG105"].waiver is not None
    assert "expires on 2026-12-02 (3 day(s) left" in found["DG703"].message
    assert found["DG703"].severity.value == "warning"


def test_could_not_verify_is_never_waived(tmp_path: Path) -> None:
    path = policy_file(tmp_path)
    path.write_text(path.read_text().replace("rule: DG201", "rule: DG901", 1))
    problems = [str(p) for p in find_problems(parse_yaml(path.read_text(), "p.yaml"))]
    assert any("waivers/0/rule" in p and "expected text matching" in p for p in problems), problems
    # And the engine never marks one, whatever a waiver says.
    report = waived_report(tmp_path, findings()[3:])
    assert by_rule(report)["DG901"].waiver is None
    assert report.exit_code == 3


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("{holds}", "2027-12-31"), "expires more than 90 days ahead"),
        (("{holds}", "2026-02-30"), "expires is not a date that exists (YYYY-MM-DD)"),
        (("rule: DG201", "rule: DG299"), "rule: not a rule id"),
        (("    reason: a retired service\n", ""), "missing required key: reason"),
    ],
)
def test_waiver_problems_are_policy_problems_with_their_line(
    tmp_path: Path, change: tuple[str, str], message: str
) -> None:
    text = POLICY.replace(*change)
    text = text.replace("{holds}", "2026-12-30").replace("{soon}", "2026-12-01")
    text = text.replace("{past}", "2026-11-01")
    problems = [str(p) for p in find_problems(parse_yaml(text, "p.yaml"))]
    assert any(message in problem for problem in problems), problems
    assert all(problem.startswith("p.yaml:") for problem in problems)


def render(report: Report, name: str) -> str:
    return reporters()[name].render(report, RenderOptions())


def test_every_format_shows_the_waived_finding_as_waived(tmp_path: Path) -> None:
    report = waived_report(tmp_path, findings()[:1])

    assert "WAIVED  DG201" in render(report, "console")
    (dg201_json,) = [
        f for f in json.loads(render(report, "json"))["findings"] if f["rule_id"] == "DG201"
    ]
    assert dg201_json["waiver"]["owner"] == "@team-data"
    sarif = json.loads(render(report, "sarif"))["runs"][0]["results"]
    (dg201,) = [r for r in sarif if r["ruleId"] == "DG201"]
    assert dg201["suppressions"][0]["kind"] == "external"
    assert "Mondays only" in dg201["suppressions"][0]["justification"]
    junit = ET.fromstring(render(report, "junit"))  # noqa: S314 - our own output
    skipped = [c for c in junit.iter("testcase") if c.find("skipped") is not None]
    assert any("DG201" in (c.find("skipped").get("message") or "") for c in skipped)  # type: ignore[union-attr]
    markdown = render(report, "markdown")
    assert "### Waived (1)" in markdown
    assert "| @\u200bteam-data |" in markdown  # the owner shown, not mentioned (no ping)
    html = render(report, "html")
    assert 'id="waived"' in html
    assert "Mondays only" in html
    github = render(report, "github")
    assert "::notice title=DG201" in github
    assert "::error title=DG201" not in github


def test_ignore_is_still_read_with_a_deprecation_notice(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(
        "version: 1\nenvironments:\n  e:\n    region: us-east-1\n    services:\n"
        "      - cluster: c\n        service: s\n        ignore: [DG107]\n"
        "        containers:\n          app: {}\n"
    )
    result = cli.run("validate-policy", str(path))
    assert result.exit_code == 0
    assert (
        f"drift-gate: warning: {path}:8: `ignore` is deprecated and still honoured; write a "
        "waiver with a reason and an expiry date instead (docs/policy.md#waivers)"
    ) in result.stderr
    assert load_policy(path).environments[0].services[0].ignore == frozenset({"DG107"})


def test_the_waivers_command_lists_days_left_and_fails_on_an_expired_one(
    cli: Cli, tmp_path: Path
) -> None:
    from drift_gate.commands import waivers

    path = policy_file(tmp_path, date.today())
    result = cli.run("waivers", "--policy", str(path))

    assert result.exit_code == 1  # the DG106 waiver expired yesterday
    lines = result.stdout.splitlines()
    assert "EXPIRED 1 day(s) ago" in lines[0]
    assert "expires soon: 3 day(s) left" in lines[2]
    assert "60 day(s) left" in lines[4]
    assert "owner @team-data" in result.stdout
    assert "1 waiver(s) expired" in result.stderr

    path.write_text(
        path.read_text().replace(str(date.today() - timedelta(days=1)), str(date.today()))
    )
    assert waivers.run(path, within=0, today=date.today()) == 0
