"""A fixed sample report with findings of every severity, and a clean one, for format tests."""

from __future__ import annotations

from datetime import date, datetime, timezone

from drift_gate.chain import Link
from drift_gate.checks.findings import ServiceContext
from drift_gate.engine.links import chain_results
from drift_gate.engine.outcome import ServiceResult, build_report
from drift_gate.model import (
    TERRAFORM_ENVIRONMENT,
    CheckedService,
    FailOn,
    Finding,
    Report,
    Target,
    Waived,
)

T0 = datetime(2026, 11, 28, 4, 0, 0, tzinfo=timezone.utc)
T1 = datetime(2026, 11, 28, 4, 0, 1, 500000, tzinfo=timezone.utc)
TD = "arn:aws:ecs:us-east-1:123456789012:task-definition/api"


def checked(service: str = "api") -> CheckedService:
    return CheckedService(
        environment="dev",
        region="us-east-1",
        cluster="c",
        service=service,
        verified=True,
        deployed_task_definition=f"{TD}:1",
        latest_task_definition=f"{TD}:2",
        containers=("api",),
    )


def service_findings() -> tuple[Finding, ...]:
    context = ServiceContext(
        Target(environment="dev", region="us-east-1", cluster="c", service="api"),
        f"{TD}:1",
        f"{TD}:2",
    )
    return (
        context.finding(
            "DG101",
            "secret HF is missing | really",
            container="api",
            variable="HF",
            where="policy.yaml:13",
        ),
        context.finding("DG203", "still rolling out"),
        context.finding("DG107", "container api has EXTRA", container="api", variable="EXTRA"),
        context.finding(
            "DG105",
            "plain environment variable DB_PASSWORD of container api has a credential-like name",
            container="api",
            variable="DB_PASSWORD",
        ).model_copy(
            update={
                "waiver": Waived(
                    reason="migrating to Secrets Manager in INC-42",
                    owner="@team-ml",
                    expires=date(2026, 12, 31),
                    days_left=33,
                    declared_in="policy.yaml:40",
                )
            }
        ),
    )


def plan_findings() -> tuple[Finding, ...]:
    target = Target(
        environment=TERRAFORM_ENVIRONMENT,
        region="us-east-1",
        resource="aws_ecs_task_definition.api",
    )
    return (
        ServiceContext(target).finding(
            "DG502",
            "secret HF would be added to container api of aws_ecs_task_definition.api: merged, not applied",
            container="api",
            variable="HF",
            where="infra/main.tf:25",
        ),
    )


def with_links(service: CheckedService, findings: tuple[Finding, ...]) -> CheckedService:
    """The service as the gate reports it: secret stores checked, no logs declared."""
    links = chain_results(
        findings,
        not_checked={
            Link.APPLICATION_LOG: "no logs declared for this service",
            Link.SMOKE: "no smoke requests declared",
        },
        unverified={},
    )
    return service.model_copy(update={"links": links})


def sample_report(fail_on: FailOn = FailOn.ERROR, *, clean: bool = False) -> Report:
    findings = () if clean else service_findings()
    results = [ServiceResult(with_links(checked(), findings), findings)]
    if not clean:
        results.append(ServiceResult(None, plan_findings()))
    return build_report(
        results,
        fail_on,
        T0,
        T1,
        "policy.yaml",
        {"ecs:DescribeServices": 1},
        None if clean else "infra/plan.json",
    )
