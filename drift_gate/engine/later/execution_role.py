"""The execution role: may it read (and decrypt) each secret the running task definition
references (DG307-DG311)? Asked of the policy simulator once for all services, about the
secrets the stores located.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from drift_gate.checks.execution_role import (
    SecretAccess,
    access_findings,
    no_execution_role,
    no_such_role,
    parameter_arn,
    read_action,
)
from drift_gate.engine.later.secret_stores import NO_REFERENCE, secret_usages, unreferenced
from drift_gate.engine.service_run import LinkOutcome, ServiceRun, outcome_of
from drift_gate.iam import partition
from drift_gate.references import SecretReference, parse_value_from, store_key
from drift_gate.sources.execution_role import (
    AWS_MANAGED,
    DECRYPT,
    AccessAnswer,
    AccessQuestion,
    KeyAnswer,
    KeyResolver,
    RoleSimulator,
)
from drift_gate.sources.secrets import SecretStores


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
        return LinkOutcome(not_checked=unreferenced(run, NO_REFERENCE))
    if deployed.execution_role_arn is None:
        names = [usage.name for usage in usages]
        finding = no_execution_role(
            run.context(), f"task definition {deployed.arn}", names, usages[0].where
        )
        return outcome_of([finding])
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
        return outcome_of([no_such_role(context, plan.role)])
    findings = access_findings(context, plan.accesses, answers, required=required)
    outcome = outcome_of(findings)
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
