"""DG501-DG506, DG902: what a Terraform plan says is declared but not applied.

The verdict comes from the plan JSON, not terraform's exit code (which is 2 for output-only
and move-only plans too); the exit code is cross-checked and a disagreement is reported.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from drift_gate.checks.execution_role import no_execution_role
from drift_gate.checks.findings import ServiceContext
from drift_gate.model import (
    TERRAFORM_ENVIRONMENT,
    ContainerVars,
    Finding,
    Plan,
    ResourceChange,
    Target,
)


class Locator(Protocol):
    """Finds file:line in the Terraform sources (sources/tf_sources.py implements it)."""

    def where_resource(self, address: str) -> str | None: ...

    def where_name(self, address: str, name: str) -> str | None: ...


@dataclass(frozen=True)
class PlanContext:
    """What the plan findings need besides the plan itself."""

    region: str | None
    sources: Locator | None = None
    directory: Path | None = None
    exit_code: int | None = None
    services_by_task_definition: dict[str, tuple[str, str]] = field(default_factory=dict)

    def context(self, address: str | None = None) -> ServiceContext:
        target = Target(environment=TERRAFORM_ENVIRONMENT, region=self.region, resource=address)
        return ServiceContext(target)

    def where(self, address: str, name: str | None = None) -> str | None:
        if self.sources is None:
            return None
        return (
            self.sources.where_name(address, name) if name else self.sources.where_resource(address)
        )

    def apply_and_redeploy(self, address: str) -> str:
        where = f" in {self.directory}" if self.directory else ""
        text = f"Run `terraform apply`{where}"
        service = self.services_by_task_definition.get(address)
        if service:
            parts = [
                "aws",
                "ecs",
                "update-service",
                "--cluster",
                service[0],
                "--service",
                service[1],
            ]
            parts += ["--force-new-deployment"] + (["--region", self.region] if self.region else [])
            text += f", then make sure the service runs the new revision: `{shlex.join(parts)}`"
        else:
            text += ", then redeploy the services that use this task definition"
        return text + "."


def check_plan(plan: Plan, context: PlanContext) -> list[Finding]:
    """Every finding the plan itself gives: pending changes, drift, outputs, unknowns, errors."""
    findings: list[Finding] = []
    if plan.errored:
        findings.append(
            context.context().finding("DG902", "terraform reported the plan as errored")
        )
    findings.extend(_incomplete(plan, context))
    for change in plan.resource_changes:
        findings.extend(_pending(change, context))
    for drifted in plan.resource_drift:
        if drifted.is_pending:
            message = (
                f"{drifted.address} was changed outside Terraform ({'/'.join(drifted.actions)})"
            )
            where = context.where(drifted.address)
            findings.append(context.context(drifted.address).finding("DG503", message, where=where))
    for output in plan.output_changes:
        if set(output.actions) - {"no-op"}:
            message = f"output {output.name} would change ({'/'.join(output.actions)})"
            findings.append(context.context().finding("DG504", message))
    findings.extend(_exit_code_mismatch(plan, context))
    findings.extend(_without_execution_role(plan, context))
    return findings


# A deferred change to these has not said what it would do to the containers' names, which
# is what the gate verifies: could not verify. Other deferred resources stay a warning.
DEFERRED_UNVERIFIED = frozenset({"aws_ecs_task_definition", "aws_ecs_service"})


_PLAN_AGAIN = (
    "Apply the changes the plan could work out, then plan again: the deferred change is "
    "planned once what it waits for is known."
)


def _incomplete(plan: Plan, context: PlanContext) -> Iterator[Finding]:
    """DG901 for each deferred task definition or service change; DG505 for the rest of an
    incomplete plan (other deferred changes, or a plan incomplete for another reason)."""
    others = 0
    for deferred in plan.deferred:
        if deferred.type not in DEFERRED_UNVERIFIED:
            others += 1
            continue
        message = (
            f"{deferred.address}: its change is deferred ({deferred.reason}): the plan has not "
            "said what it would do to the containers' names"
        )
        yield context.context(deferred.address).finding(
            "DG901", message, where=context.where(deferred.address), remediation=_PLAN_AGAIN
        )
    if others:
        changes = "change" if others == 1 else "changes"
        message = f"the plan is incomplete: {others} deferred {changes} to other resources"
        yield context.context().finding("DG505", message)
    elif not plan.complete and not plan.deferred:
        message = "the plan is incomplete: some changes are known only later"
        yield context.context().finding("DG505", message)


def _without_execution_role(plan: Plan, context: PlanContext) -> Iterator[Finding]:
    """DG307 before apply: a task definition whose containers use secrets, planned with
    execution_role_arn null (not merely unknown until apply)."""
    for planned in plan.task_definitions:
        secrets = [s.name for c in planned.containers or () for s in c.secrets]
        if secrets and planned.execution_role == "unset":
            yield no_execution_role(
                context.context(planned.address),
                planned.address,
                secrets,
                context.where(planned.address),
                attribute="execution_role_arn",
            )


def _pending(change: ResourceChange, context: PlanContext) -> list[Finding]:
    if not change.is_pending:
        return []
    finding = context.context(change.address).finding
    remediation = context.apply_and_redeploy(change.address)
    where = context.where(change.address)
    actions = "/".join(change.actions)
    if change.after_unknown:
        message = f"{change.address}: container_definitions are known only after apply"
        return [
            finding(
                "DG501",
                f"{change.address}: {actions} pending (merged, not applied)",
                where=where,
                remediation=remediation,
            ),
            finding("DG505", message, where=where),
        ]
    variable_changes = list(_variable_changes(change, context)) if _is_comparable(change) else []
    if variable_changes:
        return variable_changes
    message = f"{change.address}: {actions} pending (merged, not applied)"
    return [finding("DG501", message, where=where, remediation=remediation)]


def _is_comparable(change: ResourceChange) -> bool:
    return change.before_containers is not None and change.after_containers is not None


def _variable_changes(change: ResourceChange, context: PlanContext) -> Iterator[Finding]:
    before = {c.name: c for c in change.before_containers or ()}
    after = {c.name: c for c in change.after_containers or ()}
    finding = context.context(change.address).finding
    remediation = context.apply_and_redeploy(change.address)
    for container in sorted(before.keys() | after.keys()):
        old = before.get(container, ContainerVars(name=container))
        new = after.get(container, ContainerVars(name=container))
        for name, message in _differences(old, new, change.address):
            yield finding(
                "DG502",
                message,
                container=container,
                variable=name,
                where=context.where(change.address, name),
                remediation=remediation,
            )


def _differences(old: ContainerVars, new: ContainerVars, address: str) -> Iterator[tuple[str, str]]:
    place = f"container {new.name} of {address}: merged, not applied"
    for name in sorted(new.secret_names - old.secret_names):
        yield name, f"secret {name} would be added to {place}"
    for name in sorted(old.secret_names - new.secret_names):
        yield name, f"secret {name} would be removed from {place}"
    for name in sorted(old.secret_names & new.secret_names):
        was, will = old.secret(name), new.secret(name)
        if was and will and was.value_from != will.value_from:
            yield (
                name,
                f"secret {name} would be re-pointed from {was.value_from} "
                f"to {will.value_from} in {place}",
            )
    for name in sorted(new.environment_names - old.environment_names):
        yield name, f"environment variable {name} would be added to {place}"
    for name in sorted(old.environment_names - new.environment_names):
        yield name, f"environment variable {name} would be removed from {place}"


def _exit_code_mismatch(plan: Plan, context: PlanContext) -> list[Finding]:
    if context.exit_code is None or (context.exit_code == 2) == plan.has_changes:
        return []
    said = "changes (exit 2)" if context.exit_code == 2 else "no changes (exit 0)"
    shows = "changes" if plan.has_changes else "no resource, move or output change"
    message = f"terraform plan exited with {said}, but its JSON shows {shows}; the JSON decides"
    return [context.context().finding("DG506", message)]
