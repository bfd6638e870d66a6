"""DG505 and DG901 for a service a Terraform plan declares: why it cannot be checked.

Only what the plan leaves out is "known only after apply" (DG505); a task definition that is
deferred, not in the plan, read through a data source or not told apart from others cannot be
verified (DG901): a service is never passed unchecked. engine/declared.py finds which applies.
"""

from __future__ import annotations

import re

from drift_gate.addresses import is_data_address
from drift_gate.checks.findings import ServiceContext
from drift_gate.model import (
    TERRAFORM_ENVIRONMENT,
    Finding,
    PlannedService,
    PlannedTaskDefinition,
    Target,
)
from drift_gate.references import TASK_DEFINITION_ARN
from drift_gate.rules import RuleId

# Why a service is not checked: the rule, the message and the remediation (None: the rule's).
NotChecked = tuple[RuleId, str, str | None]

_ARN = re.compile(TASK_DEFINITION_ARN)

_REFER_TO_IT = "Refer to the task definition resource in the service's task_definition."
_DECLARE_IT = (
    "Declare the service's containers in a policy (--policy) to check them, or declare its "
    "task definition in this Terraform configuration."
)


def deferred(service: PlannedService, address: str) -> NotChecked:
    """DG901: the change to its task definition is deferred (plan format 1.2)."""
    message = (
        f"{service.address}: the change to its task definition {address} is deferred: the plan "
        "has not said what the service's containers must receive"
    )
    return "DG901", message, None


def reference_not_followed(service: PlannedService) -> NotChecked | None:
    """DG901 when the service's expression refers to a data source, or to several task
    definitions: its containers would otherwise be checked against a resource it may not
    run (one of the same family, or the first referred to)."""
    references = service.task_definition_references
    data = [reference for reference in references if is_data_address(reference)]
    if data:
        message = (
            f"{service.address}: not checked: its task definition is read through a data "
            f"source ({data[0]}), so what its containers must receive is not declared in this plan"
        )
        return "DG901", message, _DECLARE_IT
    if len(references) > 1:
        message = (
            f"{service.address}: not checked: its task_definition refers to "
            f"{len(references)} task definitions ({', '.join(references)}), and the plan does "
            "not say which it runs"
        )
        return "DG901", message, _DECLARE_IT
    return None


def not_in_plan(service: PlannedService, several: int) -> NotChecked:
    """Why a service whose task definition this plan does not hold is not checked; `several`:
    how many of the plan's task definitions could be the one."""
    # Several that could be the one is never "known only after apply": which one, even then,
    # the plan does not say.
    if several > 1:
        message = (
            f"{service.address}: not checked: {several} task definitions in this plan could be "
            "the one it runs, and the plan does not say which"
        )
        return "DG901", message, _REFER_TO_IT
    if service.task_definition is None:
        message = (
            f"{service.address}: which task definition the service runs is known only after apply"
        )
        return "DG505", message, None
    if service.task_definition == "":
        message = (
            f"{service.address}: not checked: the service declares no task definition "
            "(task_definition is null), so what its containers must receive is not in this plan"
        )
        return "DG901", message, _DECLARE_IT
    # An identifier, not a secret; anything else in the field is not printed.
    shown = f" ({service.task_definition})" if _ARN.match(service.task_definition) else ""
    message = (
        f"{service.address}: not checked: its task definition{shown} is not declared in this "
        "plan (registered outside this configuration, or read through a data source), so what "
        "its containers must receive is not known here"
    )
    return "DG901", message, _DECLARE_IT


def unknown_name(service: PlannedService) -> NotChecked:
    """DG505: the service's name or cluster is known only after apply."""
    message = f"{service.address}: the service's name or cluster is known only after apply"
    return "DG505", message, None


def unknown_containers(
    service: PlannedService, task_definition: PlannedTaskDefinition
) -> NotChecked:
    """DG505: what the service must run is known only after apply."""
    message = (
        f"{task_definition.address}: container_definitions is known only after apply, so "
        f"what service {service.name} must run cannot be said yet"
    )
    return "DG505", message, None


def not_checked(
    service: PlannedService, why: NotChecked, region: str, where: str | None
) -> Finding:
    """The finding of a planned service that is not checked, and why."""
    target = Target(environment=TERRAFORM_ENVIRONMENT, region=region, resource=service.address)
    rule_id, message, remediation = why
    return ServiceContext(target).finding(rule_id, message, where=where, remediation=remediation)
