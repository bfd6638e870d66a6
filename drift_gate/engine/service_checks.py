"""The checks of one service against what ECS answered, shared by `check` and `scan`.

A service's problems become findings (DG9xx when a link could not be verified), so the
report still lists everything that was verified; nothing here raises for one service.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from drift_gate.chain import Link, SkippableLink
from drift_gate.checks.deployed_service import (
    DeployedService,
    check_deployed,
    check_target_revision,
)
from drift_gate.checks.findings import ServiceContext
from drift_gate.checks.service import (
    cluster_missing,
    service_missing,
    service_unverified,
)
from drift_gate.checks.variables import Candidate
from drift_gate.engine.later.execution_role import check_execution_roles
from drift_gate.engine.later.images import check_images
from drift_gate.engine.later.secret_stores import check_secret_stores
from drift_gate.engine.service_run import LinkOutcome, ServiceRun
from drift_gate.model import CheckedService, FailOn, ServiceState, Target
from drift_gate.policy import (
    DeepChecks,
    EnvironmentPolicy,
    RoleChecks,
    SecretChecks,
    ServicePolicy,
)
from drift_gate.sources.aws import AWS_FAILURES, AwsClients, Failure, classify_failure
from drift_gate.sources.ecs import ClusterMissing, EcsReader, ServiceLookup, ServiceMissing
from drift_gate.sources.execution_role import KeyResolver, RoleSimulator
from drift_gate.sources.images import ImageStores
from drift_gate.sources.revisions import OPERATION as DESCRIBE_REVISIONS
from drift_gate.sources.revisions import revision_task_definition
from drift_gate.sources.secrets import SecretStores

NO_PRIMARY = Failure(
    "the service has no PRIMARY deployment or task set",
    "Check its deployments (`aws ecs describe-services`); redeploy it if none is PRIMARY.",
)


# What `check` runs around the chain unless the policy or --skip-link says otherwise; `scan`
# runs none of them unless --deep (each adds calls for every service: docs/links.md).
CHECK_DEFAULTS = DeepChecks(images=True, running_tasks=True, execution_role="best-effort")
SCAN_DEFAULTS = DeepChecks(images=False, running_tasks=False, execution_role="off")


@dataclass(frozen=True)
class CheckOptions:
    """What the user asked the check to cover and what blocks."""

    environment: str | None = None
    fail_on: FailOn = FailOn.ERROR
    region: str | None = None
    secret_checks: SecretChecks | None = None  # None: as each environment of the policy says
    deep_defaults: DeepChecks = CHECK_DEFAULTS
    skipped: frozenset[str] = frozenset()  # --skip-link: images, running-tasks, execution-role
    wait_seconds: float | None = None  # --wait: let the rollouts settle first
    tasks_since: float | None = None  # --since: stopped tasks of the last N seconds only
    ca_bundle: Path | None = None  # smoke requests to a private CA
    say: Callable[[str], None] | None = None  # progress while waiting (standard error)


@dataclass
class LinkStores:
    """What the later links look up, once each for a whole run: secrets, images, what the
    execution roles may do."""

    secrets: SecretStores
    images: ImageStores
    roles: RoleSimulator
    keys: KeyResolver

    @classmethod
    def of(cls, clients: AwsClients, workers: int = 8) -> LinkStores:
        return cls(
            SecretStores(clients, workers=workers),
            ImageStores(clients, workers=workers),
            RoleSimulator(clients, workers=workers),
            KeyResolver(clients),
        )


@dataclass(frozen=True)
class DeepLink:
    """A link around the chain that --skip-link, the policy's `checks:` and --deep switch."""

    option: SkippableLink  # its word after --skip-link
    key: str  # its key under `checks:` in the policy
    setting: Callable[[DeepChecks], bool | RoleChecks | None]


DEEP_LINKS: Mapping[Link, DeepLink] = {
    Link.IMAGES: DeepLink(SkippableLink.IMAGES, "images", lambda checks: checks.images),
    Link.RUNNING_TASKS: DeepLink(
        SkippableLink.RUNNING_TASKS, "running_tasks", lambda checks: checks.running_tasks
    ),
    Link.EXECUTION_ROLE: DeepLink(
        SkippableLink.EXECUTION_ROLE, "execution_role", lambda checks: checks.execution_role
    ),
}


def deep_setting(
    options: CheckOptions, environment: EnvironmentPolicy, link: Link
) -> tuple[bool | str, str]:
    """A link's setting (--skip-link, else the policy, else the command's default) and, when
    it is off, why (shown as "not checked")."""
    deep = DEEP_LINKS[link]
    if deep.option in options.skipped:
        return False, f"--skip-link {deep.option.value}"
    from_policy = deep.setting(environment.checks)
    if from_policy is not None:
        return from_policy, f"checks: {deep.key}: off in the policy"
    default = deep.setting(options.deep_defaults)
    assert default is not None  # noqa: S101 - the commands' defaults name every deep link
    return default, "off by default in a scan (--deep turns it on)"


def _off(runs: list[ServiceRun], why: str) -> list[LinkOutcome]:
    return [LinkOutcome(not_checked=why)] * len(runs)


def _is_on(setting: bool | str) -> bool:
    return setting not in (False, "off")


def later_links(
    runs: list[ServiceRun],
    environment: EnvironmentPolicy,
    options: CheckOptions,
    clients: AwsClients,
    stores: LinkStores,
    clock: Callable[[], datetime],
) -> None:
    """The links after the task definition, for every service whose task definition was read.

    Images, tasks, secret stores and logs are independent round trips: they run at the same
    time (each bounded by its own pool); the smoke requests come last, since they are sent
    only to a service known to run what is declared. The links only `check` runs are
    imported here: the lifecycle hook's cold start never loads them.
    """
    from drift_gate.engine.later.application_logs import NO_LOGS, check_application_logs
    from drift_gate.engine.later.smoke_requests import NO_SMOKE, check_smoke_requests
    from drift_gate.sources.smoke import tls_context

    count = len(runs)
    with ThreadPoolExecutor(max_workers=4, thread_name_prefix="drift-gate-link") as pool:
        images = pool.submit(_images_link, runs, environment, options, stores)
        tasks = pool.submit(_tasks_link, runs, environment, options, clients, clock)
        # The execution-role link asks about the secrets the stores located: it follows them.
        secrets = pool.submit(_secret_links, runs, environment, options, stores)
        if any(run.service.logs for run in runs):  # a client costs ~90 ms: only when needed
            logs_client = clients.client("logs", environment.region)
            logs = pool.submit(check_application_logs, runs, logs_client, clock())
        else:
            logs = pool.submit(lambda: [LinkOutcome(not_checked=NO_LOGS)] * count)
        for link, outcomes in (
            (Link.IMAGES, images.result()),
            (Link.RUNNING_TASKS, tasks.result()),
            (Link.SECRET_STORES, secrets.result()[0]),
            (Link.EXECUTION_ROLE, secrets.result()[1]),
            (Link.APPLICATION_LOG, logs.result()),
        ):
            for run, outcome in zip(runs, outcomes, strict=True):
                run.record(link, outcome)
    # Last: a request is sent only to a service known to run what is declared.
    if any(run.service.smoke for run in runs):
        tls = tls_context(options.ca_bundle)
        smoke = check_smoke_requests(runs, tls, deadline=clients.deadline)
    else:
        smoke = [LinkOutcome(not_checked=NO_SMOKE)] * len(runs)
    for run, smoke_outcome in zip(runs, smoke, strict=True):
        run.record(Link.SMOKE, smoke_outcome)


def _images_link(
    runs: list[ServiceRun],
    environment: EnvironmentPolicy,
    options: CheckOptions,
    stores: LinkStores,
) -> list[LinkOutcome]:
    images_on, why = deep_setting(options, environment, Link.IMAGES)
    if not _is_on(images_on):
        return [LinkOutcome(not_checked=why)] * len(runs)
    return check_images(runs, stores.images)


def _tasks_link(
    runs: list[ServiceRun],
    environment: EnvironmentPolicy,
    options: CheckOptions,
    clients: AwsClients,
    clock: Callable[[], datetime],
) -> list[LinkOutcome]:
    tasks_on, why = deep_setting(options, environment, Link.RUNNING_TASKS)
    if not _is_on(tasks_on):
        return [LinkOutcome(not_checked=why)] * len(runs)
    from drift_gate.engine.later.running_tasks import check_running_tasks

    since = clock() - timedelta(seconds=options.tasks_since) if options.tasks_since else None
    return check_running_tasks(runs, clients.client("ecs", environment.region), since)


def _secret_links(
    runs: list[ServiceRun],
    environment: EnvironmentPolicy,
    options: CheckOptions,
    stores: LinkStores,
) -> tuple[list[LinkOutcome], list[LinkOutcome]]:
    """The secret stores, then the execution roles' access to what they located."""
    mode = options.secret_checks or environment.secret_checks
    role_mode, role_off = deep_setting(options, environment, Link.EXECUTION_ROLE)
    located: list[LinkOutcome]
    asked: SecretStores | str  # the stores, or why they were not asked
    if mode == "off":
        why = "--secret-checks off" if options.secret_checks else "secret_checks: off in the policy"
        located, asked = _off(runs, why), why
    else:
        best_effort = mode == "best-effort"
        located = check_secret_stores(
            runs, environment.region, stores.secrets, best_effort=best_effort
        )
        asked = stores.secrets
    if not _is_on(role_mode):
        return located, _off(runs, role_off)
    roles = check_execution_roles(
        runs,
        environment.region,
        asked,
        stores.roles,
        stores.keys,
        required=role_mode == "required",
    )
    return located, roles


def _target(environment: EnvironmentPolicy, service: ServicePolicy) -> Target:
    return Target(
        environment=environment.name,
        account=environment.account,
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
        account=target.account,
        region=target.region or "",
        cluster=target.cluster or "",
        service=target.service or "",
        verified=verified,
        deployed_task_definition=deployed,
        latest_task_definition=latest,
        containers=containers,
        declared_in=service.where,
    )


def unverified_run(
    environment: EnvironmentPolicy, service: ServicePolicy, failure: Failure, link: Link
) -> ServiceRun:
    target = _target(environment, service)
    finding = service_unverified(ServiceContext(target), failure.reason, failure.fix, service.where)
    run = ServiceRun(target, service, _checked(target, service, verified=False), [finding])
    run.unverified[link] = failure.reason
    return run


def check_service(
    environment: EnvironmentPolicy,
    service: ServicePolicy,
    lookup: ServiceLookup,
    reader: EcsReader,
) -> ServiceRun:
    if isinstance(lookup, Failure):
        # DescribeServices answered a failure that is not "absent": not verified either way.
        return unverified_run(environment, service, lookup, Link.SERVICE_EXISTS)
    target = _target(environment, service)
    context = ServiceContext(target)
    if isinstance(lookup, ClusterMissing):
        finding = cluster_missing(context, service.cluster, environment.region, service.where)
        return ServiceRun(target, service, _checked(target, service, verified=True), [finding])
    if isinstance(lookup, ServiceMissing) or lookup.status != "ACTIVE":
        state = lookup.reason if isinstance(lookup, ServiceMissing) else f"status {lookup.status}"
        finding = service_missing(context, service.service, service.cluster, state, service.where)
        return ServiceRun(target, service, _checked(target, service, verified=True), [finding])
    primary = lookup.primary
    if primary is None:
        return unverified_run(environment, service, NO_PRIMARY, Link.DEPLOYED)
    try:
        deployed = reader.task_definition(primary.task_definition_arn)
        latest_arn = reader.latest_active_arn(deployed.family)
        latest = (
            reader.task_definition(latest_arn) if latest_arn not in (None, deployed.arn) else None
        )
    except AWS_FAILURES as error:
        failure = classify_failure(error, "ecs:DescribeTaskDefinition")
        return unverified_run(environment, service, failure, Link.DEPLOYED)

    context = ServiceContext(target, deployed.arn, latest_arn)
    findings = check_deployed(
        context, DeployedService(service, lookup, deployed, latest_arn, latest)
    )
    checked = _checked(
        target,
        service,
        verified=True,
        deployed=deployed.arn,
        latest=latest_arn,
        containers=tuple(c.name for c in service.containers),
    )
    return ServiceRun(target, service, checked, findings, deployed, primary, lookup)


# Links about tasks and what they answer: the target revision of a deployment has none yet.
NO_TASK_YET = "the deployment's target revision has no task yet"


def check_target_service(
    environment: EnvironmentPolicy,
    service: ServicePolicy,
    lookup: ServiceLookup,
    reader: EcsReader,
    revision: tuple[str, str],
) -> ServiceRun:
    """The service's declared containers against a deployment's target revision (`revision`:
    its ARN and the service's ARN), not its PRIMARY: the same checks of the containers."""
    if not isinstance(lookup, ServiceState) or lookup.status != "ACTIVE":
        return check_service(environment, service, lookup, reader)  # absent, or unverified
    revision_arn, service_arn = revision
    try:
        arn = revision_task_definition(reader.client, revision_arn, service_arn)
    except AWS_FAILURES as error:
        failure = classify_failure(error, DESCRIBE_REVISIONS)
        return unverified_run(environment, service, failure, Link.DEPLOYED)
    try:
        deployed = reader.task_definition(arn)
    except AWS_FAILURES as error:
        failure = classify_failure(error, "ecs:DescribeTaskDefinition")
        return unverified_run(environment, service, failure, Link.DEPLOYED)
    target = _target(environment, service)
    context = ServiceContext(target, deployed.arn)
    words = Candidate(words=f"the deployment's target revision ({deployed.arn})")
    answer = DeployedService(service, lookup, deployed, None, None, words)
    findings = check_target_revision(context, answer)
    containers = tuple(c.name for c in service.containers)
    checked = _checked(target, service, verified=True, deployed=deployed.arn, containers=containers)
    return ServiceRun(target, service, checked, findings, deployed, None, lookup)


def revision_links(
    run: ServiceRun,
    environment: EnvironmentPolicy,
    options: CheckOptions,
    stores: LinkStores,
    tasks: LinkOutcome | None = None,
) -> None:
    """The links a revision can be checked on before it runs: images, secret stores, the
    execution role; the links about running tasks (unless `tasks`, read after scale-up),
    logs and smoke requests are not checked."""
    runs = [run]
    images = _images_link(runs, environment, options, stores)
    located, roles = _secret_links(runs, environment, options, stores)
    for link, outcomes in (
        (Link.IMAGES, images),
        (Link.SECRET_STORES, located),
        (Link.EXECUTION_ROLE, roles),
    ):
        run.record(link, outcomes[0])
    run.record(Link.RUNNING_TASKS, tasks or LinkOutcome(not_checked=NO_TASK_YET))
    for link in (Link.APPLICATION_LOG, Link.SMOKE):
        run.record(link, LinkOutcome(not_checked=NO_TASK_YET))
