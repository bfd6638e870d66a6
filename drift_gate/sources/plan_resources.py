"""The task definitions and services of a validated plan: where each is in planned_values,
which values its change leaves unknown, and its containers, each text parsed once."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import ValidationError

from drift_gate.model import (
    UNCHANGED_ACTIONS,
    ContainerVars,
    PlannedTaskDefinition,
    ResourceChange,
)
from drift_gate.sources.containers import RepeatedContainerError, containers_from_json
from drift_gate.sources.plan_document import READ_BY_TYPE, READ_KEYS, READ_VALUES_OF
from drift_gate.sources.plan_raw import (
    TASK_DEFINITION,
    V,
    _ContainerList,
    _RawChange,
    _RawModule,
    _RawPlan,
    _RawResource,
    _RawResourceChange,
    _TaskDefinitionValues,
    managed,
    refuse,
)
from drift_gate.validation import first_problem

_Located = tuple[str, _RawResourceChange]


def changes_of_read_resources(raw: _RawPlan, source: str) -> dict[str, _Located]:
    """The resource_changes entries of managed task definitions and services, by address,
    with their JSON paths."""
    found: dict[str, _Located] = {}
    for index, change in enumerate(raw.resource_changes or ()):
        if change.type not in READ_VALUES_OF or not managed(change.mode, change.address):
            continue
        if change.deposed is not None:
            continue  # not the resource's current object: never in planned_values
        where = f"resource_changes[{index}]"
        if change.address in found:
            refuse(source, f"{where}.address: the same resource as {found[change.address][0]}")
        found[change.address] = (where, change)
    return found


@dataclass(frozen=True)
class Planned:
    """A planned_values resource read, where it is, and where its change is."""

    resource: _RawResource
    path: str
    change_path: str | None
    # The values read that the change marks in after_unknown: only these may be left out.
    unknown: frozenset[str]

    def values(self, model: type[V], source: str, required: tuple[str, ...]) -> V:
        """The values read, type-checked. The plan leaves an unknown value out; a null is
        known, and for a `required` argument no plan holds one, so it is refused, never
        "unknown"; a value left out that the change does not mark unknown is refused too."""
        given, path = self.resource.values, self.path
        try:
            values = model.model_validate(given)
        except ValidationError as error:
            refuse(source, first_problem(error, model, f"{path}.values"))
        for key in required:
            if key in given and given[key] is None:
                refuse(source, f"{path}.values.{key}: Input should be a valid string")
        for key in READ_BY_TYPE[self.resource.type]:
            if key not in given and key not in self.unknown:
                marks = (
                    f"{self.change_path}.change.after_unknown does not mark it"
                    if self.change_path
                    else "no resource_changes entry marks it"
                )
                refuse(
                    source,
                    f"{path}.values.{key}: missing, and {marks} known only after apply "
                    "(terraform leaves out only unknown values)",
                )
        return values


def planned_resources(raw: _RawPlan, changes: dict[str, _Located], source: str) -> list[Planned]:
    """The managed task definitions and services of planned_values, with their JSON paths.
    What the plan cannot tell apart, or leaves out while saying it is known, is malformed
    (exit 2), never "nothing to check" or "known only after apply": Terraform writes
    planned_values in every plan, each resource once, every resource a change keeps, and
    leaves out of its values only what the change marks in after_unknown."""
    planned = raw.planned_values
    if planned is None or planned.root_module is None:
        missing = "planned_values" if planned is None else "planned_values.root_module"
        refuse(source, f"{missing}: missing; terraform writes it in every plan")
    seen: dict[str, str] = {}
    kept: list[Planned] = []
    for resource, path in _module_resources(planned.root_module, "planned_values.root_module"):
        if not managed(resource.mode, resource.address):
            continue  # a data source of a type read (mode left out, address `data.`)
        if resource.address in seen:
            refuse(
                source,
                f"{path}.address: the same resource as {seen[resource.address]}; terraform "
                "writes each resource once",
            )
        seen[resource.address] = path
        located = changes.get(resource.address)
        where = located[0] if located else None
        change = located[1] if located else None
        if change is not None and change.change.actions == ("forget",):
            continue  # leaves Terraform, planned as nothing; its change is reported (DG501)
        kept.append(Planned(resource, path, where, _unknown_keys(change)))
    for address, (planned_by, pending) in changes.items():
        if address not in seen and pending.change.actions != ("delete",):
            refuse(
                source,
                f"planned_values.root_module: no {address}, which {planned_by} plans "
                f"({'/'.join(pending.change.actions)}); terraform writes every resource a plan "
                "keeps in planned_values",
            )
    return kept


def _unknown_keys(change: _RawResourceChange | None) -> frozenset[str]:
    """The values read that a change marks as known only after apply."""
    unknown = change.change.after_unknown if change else None
    if unknown is True:
        return READ_KEYS
    if isinstance(unknown, dict):
        return frozenset(key for key, value in unknown.items() if value is True)
    return frozenset()


class Containers:
    """container_definitions read once per text (planned_values and a change's `after` hold
    the same string), and any that is not a list of containers refused with its JSON path."""

    def __init__(self, source: str) -> None:
        self.source = source
        self._read: dict[str, tuple[ContainerVars, ...]] = {}

    def of(self, values: dict[str, Any], where: str) -> tuple[ContainerVars, ...] | None:
        """None only when the plan leaves the key out: that is how it writes an unknown value."""
        if "container_definitions" not in values:
            return None
        text = values["container_definitions"]
        where = f"{where}.container_definitions"
        if not isinstance(text, str):
            # null too: the argument is required, so no plan declares a task definition without it
            refuse(self.source, f"{where}: Input should be a valid string")
        if text not in self._read:
            try:
                self._read[text] = containers_from_json(text)
            except RepeatedContainerError as error:
                refuse(self.source, where + error.where)
            except ValueError:
                refuse(self.source, where + _container_problem(text))
            if not self._read[text]:
                refuse(self.source, f"{where}: no containers; a task definition has at least one")
        return self._read[text]


def _container_problem(text: str) -> str:
    """Where a container_definitions text stops being a list of containers, as `[0].name:
    missing`; the words are pydantic's and the JSON reader's, never the text."""
    try:
        json.loads(text)
    except json.JSONDecodeError as error:
        return f": not JSON ({error.msg} at position {error.pos})"
    except (RecursionError, ValueError):
        return ": not JSON drift-gate can read (nested too deeply or a number too long)"
    try:
        # Validated as JSON, so the words are JSON's ("a valid dictionary"), not Python's.
        _ContainerList.model_validate_json(f'{{"containers": {text}}}')
    except ValidationError as error:
        return first_problem(error, _ContainerList).removeprefix("containers")
    return ": not a list of containers"


def planned_change(raw: _RawResourceChange, where: str, parsed: Containers) -> ResourceChange:
    fields: dict[str, Any] = {}
    # Only a pending change's containers are compared (checks/plan.py): a no-op's are not read.
    if (
        raw.type == TASK_DEFINITION
        and managed(raw.mode, raw.address)
        and set(raw.change.actions) - UNCHANGED_ACTIONS
    ):
        fields = _task_definition_change(raw.change, f"{where}.change", parsed)
    return ResourceChange(
        address=raw.address,
        type=raw.type,
        actions=raw.change.actions,
        previous_address=raw.previous_address,
        **fields,
    )


def drifted_change(raw: _RawResourceChange) -> ResourceChange:
    """A resource_drift entry: only that it changed is reported, so its values are not read."""
    return ResourceChange(
        address=raw.address,
        type=raw.type,
        actions=raw.change.actions,
        previous_address=raw.previous_address,
    )


def _task_definition_change(change: _RawChange, where: str, parsed: Containers) -> dict[str, Any]:
    after_unknown = change.after_unknown
    # Unknown is only what Terraform marks so: the whole `after`, or container_definitions.
    unknown = after_unknown is True or (
        isinstance(after_unknown, dict) and after_unknown.get("container_definitions") is True
    )
    return {
        "after_unknown": unknown,
        "before_containers": parsed.of(change.before or {}, f"{where}.before"),
        "after_containers": None if unknown else parsed.of(change.after or {}, f"{where}.after"),
    }


def _module_resources(module: _RawModule, path: str) -> Iterator[tuple[_RawResource, str]]:
    """Every resource of a module and its children, with its JSON path (for messages)."""
    pending = [(module, path)]
    while pending:  # a loop, not recursion: a plan's module depth is the user's input
        current, where = pending.pop(0)
        for index, resource in enumerate(current.resources):
            if resource is not None:
                yield resource, f"{where}.resources[{index}]"
        pending.extend(
            (child, f"{where}.child_modules[{index}]")
            for index, child in enumerate(current.child_modules)
        )


def planned_task_definition(
    planned: Planned, source: str, parsed: Containers
) -> PlannedTaskDefinition:
    values = planned.values(_TaskDefinitionValues, source, ("family",))
    given = planned.resource.values
    return PlannedTaskDefinition(
        address=planned.resource.address,
        family=values.family,
        containers=parsed.of(given, f"{planned.path}.values"),
        execution_role=_execution_role(given),
    )


def _execution_role(values: dict[str, Any]) -> Literal["set", "unset", "unknown"]:
    """The plan drops unknown values: a key that is absent is unknown, a null one unset."""
    if "execution_role_arn" not in values:
        return "unknown"
    return "set" if values["execution_role_arn"] else "unset"
