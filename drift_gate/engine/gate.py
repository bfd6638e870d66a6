"""Orchestration: read the live side for each declared service, run the checks, decide.

Problems with one service become findings (DG9xx when it could not be verified) so the
report still lists everything that was verified; only whole-run failures raise.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from drift_gate.chain import Link
from drift_gate.checks.run import aws_configuration_unusable, terraform_failed
from drift_gate.engine.declared_sources import (
    DeclaredScope,
    DeclaredSource,
    PlanInput,
    PlanSource,
    PolicySource,
    gather,
)
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
from drift_gate.errors import ExitCode
from drift_gate.model import (
    FailOn,
    Finding,
    Report,
    ServiceState,
)
from drift_gate.policy import (
    EnvironmentPolicy,
    Policy,
    ServicePolicy,
)
from drift_gate.sources.aws import AWS_FAILURES, AwsClients, classify_failure
from drift_gate.sources.ecs import EcsReader

__all__ = ["PlanInput", "run_check"]  # PlanInput: where the commands have always found it


def run_check(
    policy: Policy | None,
    options: CheckOptions,
    clients: AwsClients,
    plan_input: PlanInput | None = None,
    clock: Callable[[], datetime] = utc_now,
    declared_sides: Sequence[DeclaredSource] = (),
) -> Report:
    """Check every service the declared sources declare (the policy, the plan, any other
    side) against what ECS runs."""
    started_at = clock()
    sources: list[DeclaredSource] = [PolicySource(policy)] if policy else []
    sources += [PlanSource(plan_input)] if plan_input else []
    declared = gather(
        [*sources, *declared_sides],
        DeclaredScope(options.environment, options.region, clients=clients),
    )
    results: list[ServiceResult] = [ServiceResult(None, declared.findings)]
    stores = LinkStores.of(clients)
    environments = _with_selected_services(list(declared.environments), clients, results)
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
        # Read after gather: a side's label may say what it found (a template: how its
        # services were matched, what is unresolved).
        declared=[side.label for side in declared_sides],
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


def configuration_error_report(
    error: Exception, fail_on: FailOn, policy: Policy | None, plan_source: str | None
) -> Report:
    """The report of a run the user's AWS configuration stopped before any call: a run-level
    error (exit 2) with the configuration's own fix, about no service."""
    finding = aws_configuration_unusable(str(error))
    return _stopped_run_report(finding, fail_on, policy, plan_source, ExitCode.INVALID_INPUT)


def failed_run_report(
    reason: str,
    fail_on: FailOn,
    policy: Policy | None,
    plan_source: str | None,
    clock: Callable[[], datetime] = utc_now,
) -> Report:
    """The report of a run whose Terraform side failed (DG902, exit 3): it verified nothing.
    Written anyway, so a merge sees the run."""
    finding = terraform_failed(reason)
    return _stopped_run_report(
        finding, fail_on, policy, plan_source, ExitCode.COULD_NOT_VERIFY, clock
    )


def _stopped_run_report(
    finding: Finding,
    fail_on: FailOn,
    policy: Policy | None,
    plan_source: str | None,
    exit_code: ExitCode,
    clock: Callable[[], datetime] = utc_now,
) -> Report:
    now = clock()
    source = policy.source if policy else None
    report = build_report(
        [ServiceResult(None, (finding,))], fail_on, now, now, source, {}, plan_source
    )
    return report.model_copy(update={"exit_code": int(exit_code)})
