"""Orchestration: read the live side for each declared service, run the checks, decide.

Problems with one service become findings (DG9xx when it could not be verified) so the
report still lists everything that was verified; only whole-run failures raise.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from drift_gate.chain import Link
from drift_gate.checks.findings import ServiceContext
from drift_gate.checks.plan import PlanContext, check_plan
from drift_gate.engine.declared import services_from_plan
from drift_gate.engine.outcome import ServiceResult, build_report, utc_now
from drift_gate.engine.service_checks import (
    CheckOptions,
    LinkStores,
    check_service,
    later_links,
    unverified_run,
)
from drift_gate.engine.service_run import ServiceRun
from drift_gate.engine.waivers import apply_waivers
from drift_gate.errors import ExitCode, InvalidInputError
from drift_gate.model import (
    TERRAFORM_ENVIRONMENT,
    FailOn,
    Finding,
    Plan,
    Report,
    ServiceState,
    Target,
)
from drift_gate.policy import (
    EnvironmentPolicy,
    Policy,
    ServicePolicy,
    select_environments,
)
from drift_gate.rules import RuleId
from drift_gate.sources.aws import AWS_FAILURES, AwsClients, classify_failure
from drift_gate.sources.ecs import EcsReader

if TYPE_CHECKING:  # the HCL reader is imported only by runs that read Terraform sources
    from drift_gate.sources.tf_sources import TerraformSources


@dataclass(frozen=True)
class PlanInput:
    """A Terraform plan to check, and where it came from."""

    plan: Plan
    source: str
    sources: TerraformSources | None = None
    directory: Path | None = None
    exit_code: int | None = None
    workspace: str | None = None  # where drift-gate ran the plan; None for a given plan


def run_check(
    policy: Policy | None,
    options: CheckOptions,
    clients: AwsClients,
    plan_input: PlanInput | None = None,
    clock: Callable[[], datetime] = utc_now,
) -> Report:
    """Check every service the policy and the plan declare against what ECS runs."""
    started_at = clock()
    environments = list(select_environments(policy, options.environment)) if policy else []
    plan_findings: list[Finding] = []
    if plan_input is not None:
        from_plan, plan_findings = _from_plan(plan_input, options, environments)
        environments += [from_plan] if from_plan else []
    results: list[ServiceResult] = [ServiceResult(None, tuple(plan_findings))]
    stores = LinkStores.of(clients)
    environments = _with_selected_services(environments, clients, results)
    if options.wait_seconds:
        from drift_gate.engine.wait import wait_for_rollouts

        say = options.say or (lambda _line: None)
        waited = wait_for_rollouts(environments, clients, options.wait_seconds, say)
        results.append(ServiceResult(None, tuple(waited)))
    for environment in environments:
        reader = EcsReader(clients.client("ecs", environment.region))
        runs = _check_environment(environment, reader)
        verified = [run for run in runs if run.deployed is not None]
        later_links(verified, environment, options, clients, stores, clock)
        results.extend(run.result() for run in runs)
    return build_report(
        apply_waivers(results, policy, started_at.date()),
        options.fail_on,
        started_at,
        clock(),
        policy.source if policy else None,
        dict(clients.calls),
        plan_input.source if plan_input else None,
        workspace=plan_input.workspace if plan_input else None,
    )


def _with_selected_services(
    environments: list[EnvironmentPolicy], clients: AwsClients, results: list[ServiceResult]
) -> list[EnvironmentPolicy]:
    """Each environment with its `match:` entries resolved by listing what runs (scan.py)."""
    if not any(environment.selectors for environment in environments):
        return environments
    from drift_gate.engine.scan import resolve_selectors

    resolved = []
    for environment in environments:
        with_services, findings = resolve_selectors(environment, clients)
        resolved.append(with_services)
        results.append(ServiceResult(None, tuple(findings)))
    return resolved


def _from_plan(
    plan_input: PlanInput, options: CheckOptions, policy_environments: list[EnvironmentPolicy]
) -> tuple[EnvironmentPolicy | None, list[Finding]]:
    """The plan's own findings, and the services it declares for the live check. A service
    whose containers the plan cannot declare is not "not checked" when the policy declares it."""
    plan = plan_input.plan
    region = (
        options.region
        or plan.region
        or os.environ.get("AWS_REGION")
        or os.environ.get("AWS_DEFAULT_REGION")
    )
    declared = None
    if plan.services:
        if not region:
            raise InvalidInputError(
                f"{plan_input.source}: cannot tell the AWS region of the services it declares; "
                "pass --region"
            )
        in_policy = {
            (environment.region, service.cluster, service.service)
            for environment in policy_environments
            for service in environment.services
        }
        declared = services_from_plan(plan, plan_input.sources, region, in_policy)
    context = PlanContext(
        region=region,
        sources=plan_input.sources,
        directory=plan_input.directory,
        exit_code=plan_input.exit_code,
        services_by_task_definition=declared.services_by_task_definition if declared else {},
    )
    findings = check_plan(plan, context) + list(declared.findings if declared else ())
    return (declared.environment if declared else None), findings


def _check_environment(environment: EnvironmentPolicy, reader: EcsReader) -> list[ServiceRun]:
    results: list[ServiceRun] = []
    by_cluster: dict[str, list[ServicePolicy]] = {}
    for service in environment.services:
        by_cluster.setdefault(service.cluster, []).append(service)
    for cluster, services in by_cluster.items():
        try:
            lookups = reader.services(cluster, [s.service for s in services])
        except AWS_FAILURES as error:
            failure = classify_failure(error, "ecs:DescribeServices")
            results.extend(
                unverified_run(environment, s, failure, Link.SERVICE_EXISTS) for s in services
            )
            continue
        found = [lookups[service.service] for service in services]
        reader.prefetch(
            state.primary.task_definition_arn
            for state in found
            if isinstance(state, ServiceState) and state.primary
        )
        for service, lookup in zip(services, found, strict=True):
            results.append(check_service(environment, service, lookup, reader))
    return results


CONFIGURATION_FIX = (
    "Fix the AWS configuration named above (profile, config file, AWS_ENDPOINT_URL, region), "
    "then run again."
)


def configuration_error_report(
    error: Exception, fail_on: FailOn, policy: Policy | None, plan_source: str | None
) -> Report:
    """The report of a run the user's AWS configuration stopped before any call: a run-level
    error (exit 2) with the configuration's own fix, about no service."""
    return failed_run_report(
        f"the AWS configuration cannot be used: {error}",
        fail_on,
        policy,
        plan_source,
        rule_id="DG901",
        exit_code=ExitCode.INVALID_INPUT,
        remediation=CONFIGURATION_FIX,
    )


def failed_run_report(
    reason: str,
    fail_on: FailOn,
    policy: Policy | None,
    plan_source: str | None,
    clock: Callable[[], datetime] = utc_now,
    *,
    rule_id: RuleId = "DG902",
    exit_code: ExitCode = ExitCode.COULD_NOT_VERIFY,
    remediation: str | None = None,
) -> Report:
    """The report of a run that verified nothing: terraform failed, or (exit 2) the user's
    AWS configuration could not be used. Written anyway, so a merge sees the run."""
    target = Target(environment=TERRAFORM_ENVIRONMENT if rule_id == "DG902" else "aws")
    finding = ServiceContext(target).finding(rule_id, reason, remediation=remediation)
    now = clock()
    source = policy.source if policy else None
    report = build_report(
        [ServiceResult(None, (finding,))], fail_on, now, now, source, {}, plan_source
    )
    return report.model_copy(update={"exit_code": int(exit_code)})
