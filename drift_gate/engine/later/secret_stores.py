"""The secret stores: does each secret the containers reference exist (DG301-DG306)?

Every distinct reference is looked up once for all services (SSM 50 names a call).
"""

from __future__ import annotations

from collections.abc import Sequence

from drift_gate.checks.secrets import SecretUsage, check_secret_usages
from drift_gate.engine.service_run import LinkOutcome, ServiceRun, outcome_of
from drift_gate.references import parse_value_from
from drift_gate.sources.containers import is_empty_reference
from drift_gate.sources.secrets import SecretStores

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


def unreferenced(run: ServiceRun, otherwise: str) -> str:
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
            outcomes.append(LinkOutcome(not_checked=unreferenced(run, NO_REFERENCE)))
            continue
        account = (
            run.deployed.arn.split(":")[4]
            if run.deployed and run.deployed.arn.count(":") >= 5
            else None
        )
        found = check_secret_usages(run.context(), used, statuses, account, best_effort=best_effort)
        unlooked = unreferenced(run, "")
        # The ones looked up passed, but not every secret could be: not a pass either.
        if unlooked and not found:
            outcomes.append(LinkOutcome(not_checked=unlooked))
        else:
            outcomes.append(outcome_of(found))
    return outcomes
