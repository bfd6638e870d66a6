"""A deployment's target revision against the policy, before it runs: what a lifecycle hook
asks (engine/entry.py's `check_revision`).

The service is found in the policy by its ARN (region, account, cluster, name); its declared
containers are compared with the task definition the target revision runs, by the same checks
as `check`, and the links that need no running task (images, secret stores, the execution
role) run as in `check`. A service the policy does not declare is not verified (DG901).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from drift_gate.chain import Link
from drift_gate.checks.findings import ServiceContext
from drift_gate.checks.service import service_not_declared
from drift_gate.engine.later.running_tasks import check_target_tasks
from drift_gate.engine.outcome import ServiceResult, build_report, utc_now
from drift_gate.engine.service_checks import (
    CheckOptions,
    LinkStores,
    check_target_service,
    revision_links,
    unverified_run,
)
from drift_gate.engine.service_run import ServiceRun
from drift_gate.engine.waivers import apply_waivers
from drift_gate.errors import InvalidInputError
from drift_gate.model import Report, Target
from drift_gate.policy import EnvironmentPolicy, Policy, ServicePolicy
from drift_gate.sources.aws import AWS_FAILURES, AwsClients, classify_failure
from drift_gate.sources.ecs import EcsReader

_SERVICE_ARN = re.compile(
    r"^arn:aws[a-z-]*:ecs:(?P<region>[a-z0-9-]+):(?P<account>[0-9]{12}):"
    r"service/(?P<cluster>[A-Za-z0-9_-]{1,255})/(?P<service>[A-Za-z0-9_-]{1,255})\Z"
)
_REVISION_ARN = re.compile(
    r"^arn:aws[a-z-]*:ecs:[a-z0-9-]+:[0-9]{12}:service-revision/[A-Za-z0-9_-]{1,255}/"
    r"[A-Za-z0-9_-]{1,255}/[A-Za-z0-9_-]{1,64}\Z"
)


@dataclass(frozen=True)
class ServiceArn:
    """A service ARN taken apart (the long format, with the cluster)."""

    arn: str
    region: str
    account: str
    cluster: str
    service: str

    @classmethod
    def parse(cls, arn: str) -> ServiceArn:
        found = _SERVICE_ARN.match(arn)
        if found is None:
            raise InvalidInputError(
                "the service ARN is not arn:aws:ecs:REGION:ACCOUNT:service/CLUSTER/SERVICE"
            )
        return cls(arn, **found.groupdict())


def check_revision_arn(arn: str) -> str:
    """The revision ARN, if it is one (exit 2 otherwise, never echoed)."""
    if _REVISION_ARN.match(arn) is None:
        raise InvalidInputError(
            "the target revision ARN is not "
            "arn:aws:ecs:REGION:ACCOUNT:service-revision/CLUSTER/SERVICE/ID"
        )
    return arn


def declared_for(
    policy: Policy, service: ServiceArn, environment: str | None
) -> tuple[EnvironmentPolicy, ServicePolicy] | None:
    """The environment and service of the policy that declare this service, if one does.

    An environment naming the service's account wins over one that names no account (which
    matches any): the first listed must not decide. Two at the same rank is a policy that
    does not say which rules apply: bad input, never a guess (a guess could pick the looser)."""
    exact: list[tuple[EnvironmentPolicy, ServicePolicy]] = []
    anywhere: list[tuple[EnvironmentPolicy, ServicePolicy]] = []
    for declared_environment in policy.environments:
        if environment is not None and declared_environment.name != environment:
            continue
        if declared_environment.region != service.region or declared_environment.account not in (
            None,
            service.account,
        ):
            continue
        rank = exact if declared_environment.account == service.account else anywhere
        for declared in declared_environment.services:
            cluster = declared.cluster.rsplit("/", 1)[-1]  # a name, or a cluster ARN
            if declared.service == service.service and cluster == service.cluster:
                rank.append((declared_environment, declared))
    found = exact or anywhere
    if len(found) > 1:
        names = ", ".join(env.name for env, _ in found)
        raise InvalidInputError(
            f"the policy declares service {service.cluster}/{service.service} in "
            f"{service.region} in several environments ({names}) that all apply to account "
            f"{service.account}: give each environment its `account:`, or declare it once"
        )
    return found[0] if found else None


def run_revision_check(
    policy: Policy,
    service: ServiceArn,
    revision_arn: str,
    options: CheckOptions,
    clients: AwsClients,
    clock: Callable[[], datetime] = utc_now,
    *,
    with_tasks: bool = False,
) -> Report:
    """The service's declared containers against the target revision; the Report. With
    `with_tasks` (after scale-up), the target revision's tasks too."""
    started_at = clock()
    declared = declared_for(policy, service, options.environment)
    if declared is None:
        results = [not_declared(policy, service, options.environment)]
    else:
        run = _check_declared(*declared, service, revision_arn, options, clients, with_tasks)
        results = [run.result()]
    return build_report(
        apply_waivers(results, policy, started_at.date()),
        options.fail_on,
        started_at,
        clock(),
        policy.source,
        dict(clients.calls),
    )


def not_declared(
    policy: Policy, service: ServiceArn, environment: str | None, asked_by: str = "hook"
) -> ServiceResult:
    """DG901 for a service the policy does not declare: nothing to check it against
    (`asked_by`: "hook" or "event", whose words the fix takes)."""
    target = Target(
        environment=environment or "(not declared)",
        account=service.account,
        region=service.region,
        cluster=service.cluster,
        service=service.service,
    )
    finding = service_not_declared(ServiceContext(target), service.arn, policy.source, asked_by)
    return ServiceResult(None, (finding,))


def _check_declared(
    environment: EnvironmentPolicy,
    declared: ServicePolicy,
    service: ServiceArn,
    revision_arn: str,
    options: CheckOptions,
    clients: AwsClients,
    with_tasks: bool = False,
) -> ServiceRun:
    ecs = clients.client("ecs", environment.region)
    reader = EcsReader(ecs)
    try:
        lookup = reader.services(declared.cluster, [declared.service])[declared.service]
    except AWS_FAILURES as error:
        failure = classify_failure(error, "ecs:DescribeServices")
        return unverified_run(environment, declared, failure, Link.SERVICE_EXISTS)
    run = check_target_service(environment, declared, lookup, reader, (revision_arn, service.arn))
    if run.deployed is not None:
        tasks = check_target_tasks(run, ecs) if with_tasks else None
        revision_links(run, environment, options, LinkStores.of(clients, workers=4), tasks)
    return run
