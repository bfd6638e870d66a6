"""The links after the running task definition: the secret stores and the application's log.

They run once the services of an environment are read, so that each distinct secret is
looked up once for all of them (SSM 50 names a call), and return one LinkOutcome per
service, in order: findings, or why the link did not run or could not verify.
"""

from __future__ import annotations

import ssl
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from drift_gate.checks.execution_role import (
    SecretAccess,
    access_findings,
    no_execution_role,
    no_such_role,
    parameter_arn,
    read_action,
)
from drift_gate.checks.findings import ServiceContext
from drift_gate.checks.logs import check_log_pattern, log_group_missing
from drift_gate.checks.remedies import smoke_unreachable
from drift_gate.checks.secrets import SecretUsage, check_secret_usages
from drift_gate.checks.tasks import check_tasks
from drift_gate.deadline import Deadline
from drift_gate.engine.service_run import LinkOutcome, ServiceRun
from drift_gate.iam import partition
from drift_gate.images import EcrImage, parse_image
from drift_gate.model import Finding, LinkState, SmokeResult
from drift_gate.policy import SmokeRequest
from drift_gate.references import SecretReference, parse_value_from, store_key
from drift_gate.sources.aws import AWS_FAILURES, classify_failure
from drift_gate.sources.containers import is_empty_reference
from drift_gate.sources.execution_role import (
    AWS_MANAGED,
    DECRYPT,
    AccessAnswer,
    AccessQuestion,
    KeyAnswer,
    KeyResolver,
    RoleSimulator,
)
from drift_gate.sources.images import ImageStatus, ImageStores
from drift_gate.sources.logs import LogGroupMissing, count_pattern
from drift_gate.sources.secrets import SecretStores
from drift_gate.sources.smoke import SmokeAnswer, SmokeUnreachable, send, shown_url
from drift_gate.sources.tasks import service_tasks

NO_REFERENCE = "no container references a secret"


def secret_usages(run: ServiceRun) -> list[SecretUsage]:
    """Every secret reference the service's containers use live, and every one the policy pins."""
    declared = {(c.name, s.name): s for c in run.service.containers for s in c.secrets}
    usages: dict[tuple[str, str, str], SecretUsage] = {}
    for container in run.deployed.containers if run.deployed else ():
        for live in container.secrets:
            declaration = declared.get((container.name, live.name))
            where = declaration.where if declaration else None
            key = (container.name, live.name, live.value_from)
            usages[key] = SecretUsage(container.name, live.name, live.value_from, where)
    for (container_name, name), pinned in declared.items():
        if pinned.value_from:
            key = (container_name, name, pinned.value_from)
            usages.setdefault(
                key, SecretUsage(container_name, name, pinned.value_from, pinned.where)
            )
    return [usage for usage in usages.values() if not is_empty_reference(usage.value_from)]


def _unreferenced(run: ServiceRun, otherwise: str) -> str:
    """Why a secrets link looked nothing up for some secrets: their valueFrom names nothing
    (DG108), which is never "no container references a secret"; else `otherwise`."""
    empty = [
        f"{secret.name} of container {container.name}"
        for container in (run.deployed.containers if run.deployed else ())
        for secret in container.secrets
        if is_empty_reference(secret.value_from)
    ]
    if not empty:
        return otherwise
    return f"nothing to look up for {', '.join(empty)}: the valueFrom names nothing (DG108)"


def check_secret_stores(
    runs: Sequence[ServiceRun], region: str, stores: SecretStores, *, best_effort: bool
) -> list[LinkOutcome]:
    """Look every distinct reference up once; each service's outcome, in order."""
    usages = [secret_usages(run) for run in runs]
    references = [parse_value_from(usage.value_from) for items in usages for usage in items]
    statuses = stores.check(references, region)
    outcomes: list[LinkOutcome] = []
    for run, used in zip(runs, usages, strict=True):
        if not used:
            outcomes.append(LinkOutcome(not_checked=_unreferenced(run, NO_REFERENCE)))
            continue
        account = (
            run.deployed.arn.split(":")[4]
            if run.deployed and run.deployed.arn.count(":") >= 5
            else None
        )
        found = check_secret_usages(run.context(), used, statuses, account, best_effort=best_effort)
        unlooked = _unreferenced(run, "")
        # The ones looked up passed, but not every secret could be: not a pass either.
        if unlooked and not found:
            outcomes.append(LinkOutcome(not_checked=unlooked))
        else:
            outcomes.append(_outcome(found))
    return outcomes


def _outcome(found: Sequence[Finding]) -> LinkOutcome:
    unverified = next((f for f in found if f.is_unverified), None)
    return LinkOutcome(tuple(found), unverified=unverified.message if unverified else None)


def check_application_logs(
    runs: Sequence[ServiceRun], logs_client: Any, now: datetime
) -> list[LinkOutcome]:
    """Count each forbidden phrase in each service's log group over its window."""
    return [_log_outcome(run, logs_client, now) for run in runs]


def _log_outcome(run: ServiceRun, logs_client: Any, now: datetime) -> LinkOutcome:
    policy = run.service.logs
    if policy is None:
        return LinkOutcome(not_checked="no logs declared for this service")
    context = run.context()
    window = policy.window()
    if window is not None:
        start, label = now - window, f"in the last {policy.since}"
    elif run.primary is not None and run.primary.created_at is not None:
        start = run.primary.created_at
        label = f"since the PRIMARY deployment started ({start:%Y-%m-%d %H:%M:%SZ})"
    else:
        reason = "could not verify the log: the PRIMARY deployment's start time is unknown"
        return _outcome([context.finding("DG901", reason, where=run.service.where)])
    return _outcome(
        _patterns(
            context,
            logs_client,
            policy.group,
            policy.forbid,
            start,
            now,
            label,
            run.service.where,
        )
    )


def _patterns(
    context: ServiceContext,
    client: Any,
    group: str,
    patterns: Sequence[str],
    start: datetime,
    end: datetime,
    label: str,
    where: str | None,
) -> list[Finding]:
    findings: list[Finding] = []
    for pattern in patterns:
        try:
            counted = count_pattern(client, group, pattern, start, end)
        except LogGroupMissing:
            return [log_group_missing(context, group, where)]
        except AWS_FAILURES as error:
            failure = classify_failure(error, "logs:FilterLogEvents")
            message = f"could not verify log group {group}: {failure.reason}"
            return [context.finding("DG901", message, where=where, remediation=failure.fix)]
        findings.extend(
            check_log_pattern(
                context, group, pattern, label, counted.count, counted.first, counted.last, where
            )
        )
    return findings


def check_images(runs: Sequence[ServiceRun], stores: ImageStores) -> list[LinkOutcome]:
    """Each ECR image the services' containers run, looked up once; each service's outcome."""
    named = [_images_of(run) for run in runs]
    statuses = stores.check(image for images in named for _, _, image in images if image)
    return [_image_outcome(run, images, statuses) for run, images in zip(runs, named, strict=True)]


def _images_of(run: ServiceRun) -> list[tuple[str, str, EcrImage | None]]:
    return [
        (container.name, container.image, parse_image(container.image))
        for container in (run.deployed.containers if run.deployed else ())
        if container.image
    ]


def _image_outcome(
    run: ServiceRun,
    images: list[tuple[str, str, EcrImage | None]],
    statuses: dict[EcrImage, ImageStatus],
) -> LinkOutcome:
    if not images:
        return LinkOutcome(not_checked="no container names an image")
    context = run.context()
    findings: list[Finding] = []
    elsewhere = []
    for container, reference, image in images:
        if image is None:
            elsewhere.append(reference)
            continue
        status = statuses[image]
        if status.status == "missing":
            message = (
                f"image {reference} of container {container}: ECR repository "
                f"{image.repository} {status.detail}"
            )
            findings.append(context.finding("DG209", message, container=container))
        elif status.status == "unverified":
            message = (
                f"could not verify image {reference} of container {container}: {status.detail}"
            )
            findings.append(
                context.finding("DG901", message, container=container, remediation=status.fix)
            )
    outcome = _outcome(findings)
    if elsewhere and not findings:
        # Images outside ECR cannot be looked up: the link is not shown as passed.
        return LinkOutcome(not_checked=f"images outside ECR: {', '.join(sorted(set(elsewhere)))}")
    return outcome


def check_running_tasks(
    runs: Sequence[ServiceRun], ecs: Any, since: datetime | None = None, workers: int = 8
) -> list[LinkOutcome]:
    """Each service's tasks, read concurrently (they are independent round trips); stopped
    ones count from `since` (--since), else from the PRIMARY deployment's start."""
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(lambda run: _tasks_outcome(run, ecs, since), runs))


def _tasks_outcome(run: ServiceRun, ecs: Any, since: datetime | None) -> LinkOutcome:
    if run.state is None:
        return LinkOutcome(not_checked="the service was not read")
    context = run.context()
    try:
        tasks = service_tasks(ecs, run.state.cluster, run.state.name)
    except AWS_FAILURES as error:
        failure = classify_failure(error, "ecs:ListTasks")
        message = f"could not verify the service's tasks: {failure.reason}"
        return _outcome([context.finding("DG901", message, remediation=failure.fix)])
    if not tasks:
        return LinkOutcome(not_checked="no running or recently stopped task to look at")
    return _outcome(check_tasks(context, run.state, tasks, since))


# The links whose failure means the service does not run what is declared: a smoke request
# against it would test the wrong thing.
_DRIFT_RULES = frozenset({"DG101", "DG102", "DG103", "DG104", "DG201", "DG207"})


def check_smoke_requests(
    runs: Sequence[ServiceRun],
    tls: ssl.SSLContext,
    workers: int = 8,
    deadline: Deadline | None = None,
) -> list[LinkOutcome]:
    """Each declared request, concurrently (bounded), for the services that run what is
    declared; the others' link says why it was not checked. Each request is its own result,
    told apart by where it is declared: two requests to the same URL are two results."""
    eligible = {
        index: run
        for index, run in enumerate(runs)
        if run.service.smoke and not any(f.rule_id in _DRIFT_RULES for f in run.findings)
    }
    jobs = [
        (index, _declared(request, number))
        for index, run in eligible.items()
        for number, request in enumerate(run.service.smoke, start=1)
    ]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        answers = list(pool.map(lambda job: send(job[1], tls, deadline), jobs))
    found: dict[int, list[Finding]] = {index: [] for index in eligible}
    for (index, request), answer in zip(jobs, answers, strict=True):
        findings = _smoke_findings(runs[index], request, answer)
        found[index].extend(findings)
        runs[index].smoke.append(_smoke_result(request, answer, findings))
    outcomes = []
    for index, run in enumerate(runs):
        if not run.service.smoke:
            outcomes.append(LinkOutcome(not_checked="no smoke requests declared"))
        elif index not in eligible:
            outcomes.append(
                LinkOutcome(not_checked="the service drifted: it does not run what is declared")
            )
        else:
            outcomes.append(_outcome(found[index]))
    return outcomes


def _declared(request: SmokeRequest, number: int) -> SmokeRequest:
    """The request with where it is declared: its file:line, or its place in the list when
    it was built without a file (the library): the key of its findings and result."""
    if request.where:
        return request
    return request.model_copy(update={"where": f"smoke request {number}"})


def _smoke_result(
    request: SmokeRequest, answer: SmokeAnswer | SmokeUnreachable, findings: list[Finding]
) -> SmokeResult:
    if isinstance(answer, SmokeUnreachable):
        outcome = LinkState.COULD_NOT_VERIFY
    else:
        outcome = LinkState.FAILED if findings else LinkState.PASSED
    return SmokeResult(
        request=f"{request.method} {shown_url(request.url)}",
        status=answer.status if isinstance(answer, SmokeAnswer) else None,
        outcome=outcome,
        declared_in=request.where,
    )


def _smoke_findings(
    run: ServiceRun, request: SmokeRequest, answer: SmokeAnswer | SmokeUnreachable
) -> list[Finding]:
    asked = f"{request.method} {shown_url(request.url)}"
    base = run.context()
    context = ServiceContext(
        base.target.model_copy(update={"request": asked}),
        base.deployed_task_definition,
        base.latest_task_definition,
    )
    if isinstance(answer, SmokeUnreachable):
        message = f"could not verify: {asked}: {answer.reason}"
        fix = smoke_unreachable(answer.cause)
        return [context.finding("DG901", message, where=request.where, remediation=fix)]
    findings = []
    if answer.status not in request.expect:
        expected = ", ".join(str(code) for code in request.expect)
        message = f"{asked} answered {answer.status}, expected {expected}"
        findings.append(context.finding("DG411", message, where=request.where))
    findings.extend(
        context.finding(
            "DG412",
            f"{asked} answered {answer.status} with {phrase!r} in its body",
            where=request.where,
        )
        for phrase in answer.found
    )
    return findings


def check_execution_roles(
    runs: Sequence[ServiceRun],
    region: str,
    stores: SecretStores | str,
    roles: RoleSimulator,
    keys: KeyResolver,
    *,
    required: bool,
) -> list[LinkOutcome]:
    """Ask, once for all services, whether each execution role may read (and decrypt) each
    secret its task definition references; each service's outcome, in order. `stores` is
    why the secret stores were not asked when they were not: then only a missing role
    (DG307) can be told."""
    plans = [_access_plan(run, region, stores, keys) for run in runs]
    questions = [
        question
        for plan in plans
        if isinstance(plan, _AccessPlan)
        for access in plan.accesses
        for question in (access.read, access.decrypt)
        if isinstance(question, AccessQuestion)
    ]
    answers = roles.answer(questions, region)
    return [
        plan if isinstance(plan, LinkOutcome) else _role_outcome(run, plan, answers, required)
        for run, plan in zip(runs, plans, strict=True)
    ]


@dataclass(frozen=True)
class _AccessPlan:
    role: str
    accesses: tuple[SecretAccess, ...]
    not_located: tuple[str, ...]  # secrets the stores could not locate: not asked about


def _access_plan(
    run: ServiceRun, region: str, stores: SecretStores | str, keys: KeyResolver
) -> _AccessPlan | LinkOutcome:
    deployed = run.deployed
    if deployed is None:
        return LinkOutcome(not_checked="the task definition was not read")
    # What ECS fetches: the live references only (a pinned one not deployed is DG101's).
    live = {(c.name, s.name, s.value_from) for c in deployed.containers for s in c.secrets}
    usages = [u for u in secret_usages(run) if (u.container, u.name, u.value_from) in live]
    if not usages:
        return LinkOutcome(not_checked=_unreferenced(run, NO_REFERENCE))
    if deployed.execution_role_arn is None:
        names = [usage.name for usage in usages]
        finding = no_execution_role(
            run.context(), f"task definition {deployed.arn}", names, usages[0].where
        )
        return _outcome([finding])
    if isinstance(stores, str):
        return LinkOutcome(not_checked=f"it needs the secret stores ({stores})")
    partition, account = arn_scope(region, deployed.arn, deployed.execution_role_arn)
    references = [parse_value_from(usage.value_from) for usage in usages]
    statuses = stores.check(references, region)
    accesses, not_located = [], []
    for usage, reference in zip(usages, references, strict=True):
        status = statuses[store_key(reference, region)]
        if status.status != "ok":
            not_located.append(usage.name)
            continue
        store_region = reference.region or region
        store_account = reference.account or account
        resource = status.arn or parameter_arn(
            reference.key, store_region, store_account, partition
        )
        read = AccessQuestion(deployed.execution_role_arn, read_action(reference), resource)
        accesses.append(
            SecretAccess(
                usage,
                reference,
                read,
                _decrypt_question(
                    read.role,
                    reference,
                    status.kms_key,
                    store_region,
                    store_account,
                    partition,
                    keys,
                ),
            )
        )
    return _AccessPlan(deployed.execution_role_arn, tuple(accesses), tuple(not_located))


def arn_scope(region: str, *arns: str) -> tuple[str, str]:
    """(partition, account) from the first of `arns` that is an ARN with both; a task
    definition may be answered as `family:revision`. Unknown: the region's partition and no
    account (the simulator then answers for what it is given, or not at all)."""
    for arn in arns:
        parts = arn.split(":")
        if arn.startswith("arn:") and len(parts) >= 6 and parts[1] and parts[4]:
            return parts[1], parts[4]
    return partition(region), ""


def _decrypt_question(
    role: str,
    reference: SecretReference,
    kms_key: str | None,
    region: str,
    account: str,
    partition: str,
    keys: KeyResolver,
) -> AccessQuestion | KeyAnswer | None:
    if kms_key is None:
        return None  # the AWS managed key: ECS needs no kms:Decrypt of its own
    key = keys.key_arn(kms_key, region, account, partition)
    if key.arn == AWS_MANAGED:
        return None
    if key.arn is None:
        return key
    via = f"{reference.store}.{region}.amazonaws.com"
    return AccessQuestion(role, DECRYPT, key.arn, via)


def _role_outcome(
    run: ServiceRun,
    plan: _AccessPlan,
    answers: dict[AccessQuestion, AccessAnswer],
    required: bool,
) -> LinkOutcome:
    context = run.context()
    if any(answers[access.read].verdict == "no-role" for access in plan.accesses):
        return _outcome([no_such_role(context, plan.role)])
    findings = access_findings(context, plan.accesses, answers, required=required)
    outcome = _outcome(findings)
    unavailable = next(
        (answers[a.read].detail for a in plan.accesses if answers[a.read].verdict == "unverified"),
        None,
    )
    if unavailable is not None and not required:
        # Best-effort: the simulator did not answer; the link is shown as not checked.
        why = f"the policy simulator could not answer ({unavailable}); the check is best-effort"
        return LinkOutcome(outcome.findings, not_checked=why)
    if plan.not_located and not outcome.unverified:
        names = ", ".join(sorted(set(plan.not_located)))
        why = f"not asked for {names}: the secret stores could not locate it (see secrets exist)"
        return LinkOutcome(outcome.findings, not_checked=why)
    return outcome
