"""Reading `terraform show -json` output into a Plan of names and references.

Format versions 0.1 up to, not including, 2.0 are read (a minor bump only adds fields).
The plan holds sensitive values in plaintext; they are dropped while parsing and never
echoed, not even in error messages.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError

from drift_gate.errors import InvalidInputError
from drift_gate.gcpause import cyclic_gc_paused
from drift_gate.input_files import PLAN_JSON, read_bytes
from drift_gate.model import DeferredChange, OutputChange, Plan
from drift_gate.sources.plan_configuration import (
    module_sources,
    planned_service,
    provider_region,
)
from drift_gate.sources.plan_document import (
    MAKE_A_PLAN,
    PLAN_KEYS,
    check_version,
    load_json_bytes,
    load_json_text,
    read_parts,
)
from drift_gate.sources.plan_raw import (
    SERVICE,
    TASK_DEFINITION,
    _RawConfiguration,
    _RawPlan,
    derived_address,
)
from drift_gate.sources.plan_resources import (
    Containers,
    changes_of_read_resources,
    drifted_change,
    planned_change,
    planned_resources,
    planned_task_definition,
)
from drift_gate.validation import first_problem

__all__ = [
    "MAKE_A_PLAN",
    "SERVICE",
    "TASK_DEFINITION",
    "derived_address",
    "load_json_text",
    "parse_plan",
    "read_plan_json",
]


def read_plan_json(path: Path) -> Plan:
    """Load a plan JSON file; anything unusable is invalid input (exit 2)."""
    with cyclic_gc_paused():
        return _read_plan_json(path)


def _read_plan_json(path: Path) -> Plan:
    # The bytes are let go before the plan is built from what was read.
    document = load_json_bytes(read_bytes(path, PLAN_JSON), str(path))
    return _parse_plan(document, str(path))


def parse_plan(document: Any, source: str) -> Plan:
    """A plan document (already JSON-decoded) -> Plan; any other shape is exit 2."""
    with cyclic_gc_paused():
        return _parse_plan(document, source)


def _parse_plan(document: Any, source: str) -> Plan:
    if not isinstance(document, dict) or "format_version" not in document:
        raise InvalidInputError(
            f"{source}: no format_version; give the output of `terraform show -json PLANFILE`"
        )
    if not PLAN_KEYS & document.keys():
        what = "Terraform state" if "values" in document else "no plan (no planned values)"
        raise InvalidInputError(
            f"{source}: this is {what}, not a plan: `terraform show -json` prints a plan only "
            f"when given the plan file; make one with `{MAKE_A_PLAN}`"
        )
    version = document["format_version"]
    if not isinstance(version, str):
        raise InvalidInputError(f"{source}: format_version: Input should be a valid string")
    check_version(version, source)
    try:
        raw = _RawPlan.model_validate(read_parts(document))
    except ValidationError as error:
        raise InvalidInputError(
            f"{source}: not a plan drift-gate can read: {first_problem(error, _RawPlan)}"
        ) from None
    except RecursionError:
        raise InvalidInputError(f"{source}: modules nested too deeply to be a plan") from None
    return _plan(raw, source)


def _plan(raw: _RawPlan, source: str) -> Plan:
    parsed = Containers(source)
    # Pending changes first: what a change says wrong is named before what planned_values does.
    resource_changes = tuple(
        planned_change(change, f"resource_changes[{index}]", parsed)
        for index, change in enumerate(raw.resource_changes or ())
    )
    resources = planned_resources(raw, changes_of_read_resources(raw, source), source)
    configuration = raw.configuration or _RawConfiguration()
    return Plan(
        format_version=raw.format_version,
        terraform_version=raw.terraform_version,
        resource_changes=resource_changes,
        resource_drift=tuple(drifted_change(change) for change in raw.resource_drift or ()),
        output_changes=tuple(
            OutputChange(name=name, actions=output.actions)
            for name, output in sorted((raw.output_changes or {}).items())
        ),
        task_definitions=tuple(
            planned_task_definition(r, source, parsed)
            for r in resources
            if r.resource.type == TASK_DEFINITION
        ),
        services=tuple(
            planned_service(r, source, configuration)
            for r in resources
            if r.resource.type == SERVICE
        ),
        region=provider_region(configuration, source),
        errored=raw.errored,
        complete=raw.complete,
        deferred=tuple(
            DeferredChange(
                address=entry.resource_change.address,
                type=entry.resource_change.type,
                reason=entry.reason,
            )
            for entry in raw.deferred_changes or ()
        ),
        module_sources=dict(module_sources(configuration.root_module, "")),
    )
