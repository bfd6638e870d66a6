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
from drift_gate.checks.credentials import check_credentials
from drift_gate.checks.deployment import check_revision, check_rollout
from drift_gate.checks.findings import ServiceContext
from drift_gate.checks.plan import PlanContext, check_plan
from drift_gate.checks.variables import check_container
from drift_gate.engine.declared import services_from_plan
from drift_gate.engine.later_links import check_application_logs, check_secret_stores
from drift_gate.engine.outcome import ServiceResult, build_report, utc_now
from drift_gate.engine.service_run import LinkOutcome, ServiceRun
from drift_gate.errors import ExitCode, InvalidInputError
from drift_gate.model import (
    TERRAFORM_ENVIRONMENT,
    CheckedService,
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
    SecretChecks,
    ServicePolicy,
    select_environments,
)
from drift_gate.rules import RuleId
from drift_gate.sources.aws import AWS_FAILURES, AwsClients, Failure, classify_failure
from drift_gate.sources.ecs import ClusterMissing, EcsReader, ServiceLookup, ServiceMissing
from drift_gate.sources.secrets import SecretStores

if TYPE_CHECKING:  # the HCL reader is imported only by runs that read Terraform sources
    from drift_gate.sources.tf_sources import TerraformSources

NO_LOGS = "no logs declared for this service"
NO_PRIMARY = Failure(
    "the service has no PRIMARY deployment or task set",
    "Check its deployments (`aws ecs describe-services`); redeploy it if none is PRIMARY.",
)


@dataclass(frozen=True)
class CheckOptions:
    """What the user asked the check to cover and what blocks."""

    environment: str | None = None
    fail_on: FailOn = FailOn.ERROR
    region: str | None = None
    secret_checks: SecretChecks | None = None  # None: as each environment of the policy says


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
        from_plan, plan_findings = _from_plan(plan_input, options)
        environments += [from_plan] if from_plan else []
    results: list[ServiceResult] = [ServiceResult(None, tuple(plan_findings))]
    stores = SecretStores(clients)
    for environment in environments:
        reader = EcsReader(clients.client("ecs", environment.region))
        runs = _check_environment(environment, reader)
        verified = [run for run in runs if run.deployed is not None]
        _later_links(verified, environment, options, clients, stores, clock)
        results.extend(run.result() for run in runs)
    return build_report(
        results,
        options.fail_on,
        started_at,
        clock(),
        policy.source if policy else None,
        dict(clients.calls),
        plan_input.source if plan_input else None,
        workspace=plan_input.workspace if plan_input else None,
    )


def _later_links(
    runs: list[ServiceRun],
    environment: EnvironmentPolicy,
    options: CheckOptions,
    clients: AwsClients,
    stores: SecretStores,
    clock: Callable[[], datetime],
) -> None:
    """The secret stores and the logs, for every service whose task definition was read."""
    mode = options.secret_checks or environment.secret_checks
    if mode == "off":
        why = "--secret-checks off" if options.secret_checks else "secret_checks: off in the policy"
        secrets = [LinkOutcome(not_checked=why)] * len(runs)
    else:
        best_effort = mode == "best-effort"
        secrets = check_secret_stores(runs, environment.region, stores, best_effort=best_effort)
    if any(run.service.logs for run in runs):  # a client costs ~90 ms: only when needed
        logs = check_application_logs(runs, clients.client("logs", environment.region), clock())
    else:
        logs = [LinkOutcome(not_checked=NO_LOGS)] * len(runs)
    for run, secret_outcome, log_outcome in zip(runs, secrets, logs, strict=True):
        run.record(Link.SECRET_STORES, secret_outcome)
        run.record(Link.APPLICATION_LOG, log_outcome)


def _from_plan(
    plan_input: PlanInput, options: CheckOptions
) -> tuple[EnvironmentPolicy | None, list[Finding]]:
    """The plan's own findings, and the services it declares for the live check."""
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
        declared = services_from_plan(plan, plan_input.sources, region)
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
                _unverified(environment, s, failure, Link.SERVICE_EXISTS) for s in services
            )
            continue
        found = [lookups[service.service] for service in services]
        reader.prefetch(
            state.primary.task_definition_arn
            for state in found
            if isinstance(state, ServiceState) and state.primary
        )
        for service, lookup in zip(services, found, strict=True):
            results.append(_check_service(environment, service, lookup, reader))
    return results


def _target(environment: EnvironmentPolicy, service: ServicePolicy) -> Target:
    return Target(
        environment=environment.name,
        region=environment.region,
        cluster=service.cluster,
        service=service.service,
    )


def _checked(
    target: Target,
    service: ServicePolicy,
    *,
    verified: bool,
    deployed: str | None = None,
    latest: str | None = None,
    containers: tuple[str, ...] = (),
) -> CheckedService:
    return CheckedService(
        environment=target.environment,
        region=target.region or "",
        cluster=target.cluster or "",
        service=target.service or "",
        verified=verified,
        deployed_task_definition=deployed,
        latest_task_definition=latest,
        containers=containers,
        declared_in=service.where,
    )


def _unverified(
    environment: EnvironmentPolicy, service: ServicePolicy, failure: Failure, link: Link
) -> ServiceRun:
    target = _target(environment, service)
    finding = ServiceContext(target).finding(
        "DG901",
        f"could not verify: {failure.reason}",
        where=service.where,
        remediation=failure.fix,
    )
    run = ServiceRun(target, service, _checked(target, service, verified=False), [finding])
    run.unverified[link] = failure.reason
    return run


def _check_service(
    environment: EnvironmentPolicy,
    service: ServicePolicy,
    lookup: ServiceLookup,
    reader: EcsReader,
) -> ServiceRun:
    target = _target(environment, service)
    context = ServiceContext(target)
    if isinstance(lookup, ClusterMissing):
        message = f"cluster {service.cluster} does not exist in {environment.region}"
        finding = context.finding("DG205", message, where=service.where)
        return ServiceRun(target, service, _checked(target, service, verified=True), [finding])
    if isinstance(lookup, ServiceMissing) or lookup.status != "ACTIVE":
        state = lookup.reason if isinstance(lookup, ServiceMissing) else f"status {lookup.status}"
        message = f"service {service.service} not found in cluster {service.cluster} ({state})"
        finding = context.finding("DG206", message, where=service.where)
        return ServiceRun(target, service, _checked(target, service, verified=True), [finding])
    primary = lookup.primary
    if primary is None:
        return _unverified(environment, service, NO_PRIMARY, Link.DEPLOYED)
    try:
        deployed = reader.task_definition(primary.task_definition_arn)
        latest_arn = reader.latest_active_arn(deployed.family)
        latest = (
            reader.task_definition(latest_arn) if latest_arn not in (None, deployed.arn) else None
        )
    except AWS_FAILURES as error:
        failure = classify_failure(error, "ecs:DescribeTaskDefinition")
        return _unverified(environment, service, failure, Link.DEPLOYED)

    context = ServiceContext(target, deployed.arn, latest_arn)
    findings = check_revision(context, deployed, latest_arn) + check_rollout(context, lookup)
    for declared in service.containers:
        running = deployed.container(declared.name)
        if running is None:
            message = f"task definition {deployed.arn} has no container {declared.name}"
            findings.append(
                context.finding("DG207", message, container=declared.name, where=service.where)
            )
            continue
        latest_container = latest.container(declared.name) if latest else None
        findings.extend(check_container(context, declared.declared(), running, latest_container))
    declared_plain = {c.name: frozenset(v.name for v in c.environment) for c in service.containers}
    findings.extend(check_credentials(context, deployed.containers, declared_plain))
    checked = _checked(
        target,
        service,
        verified=True,
        deployed=deployed.arn,
        latest=latest_arn,
        containers=tuple(c.name for c in service.containers),
    )
    return ServiceRun(target, service, checked, findings, deployed, primary)


def failed_run_report(
    reason: str,
    fail_on: FailOn,
    policy: Policy | None,
    plan_source: str | None,
    clock: Callable[[], datetime] = utc_now,
    *,
    rule_id: RuleId = "DG902",
    exit_code: ExitCode = ExitCode.COULD_NOT_VERIFY,
) -> Report:
    """The report of a run that verified nothing: terraform failed, or (exit 2) the user's
    AWS configuration could not be used. Written anyway, so a merge sees the run."""
    target = Target(environment=TERRAFORM_ENVIRONMENT if rule_id == "DG902" else "aws")
    finding = ServiceContext(target).finding(rule_id, reason)
    now = clock()
    source = policy.source if policy else None
    report = build_report(
        [ServiceResult(None, (finding,))], fail_on, now, now, source, {}, plan_source
    )
    return report.model_copy(update={"exit_code": int(exit_code)})
