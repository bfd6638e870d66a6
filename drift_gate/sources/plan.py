"""Reading `terraform show -json` output into a Plan of names and references.

Format versions 0.1 up to, not including, 2.0 are read (a minor bump only adds fields).
The plan holds sensitive values in plaintext; they are dropped while parsing and never
echoed, not even in error messages.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, NoReturn, TypeVar

import pydantic_core
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from drift_gate.addresses import is_data_address, module_path, split_address
from drift_gate.errors import InvalidInputError
from drift_gate.gcpause import cyclic_gc_paused
from drift_gate.input_files import PLAN_JSON, read_bytes
from drift_gate.jsontext import decode_json_bytes
from drift_gate.model import (
    UNCHANGED_ACTIONS,
    ContainerVars,
    DeferredChange,
    OutputChange,
    Plan,
    PlannedService,
    PlannedTaskDefinition,
    ResourceChange,
)
from drift_gate.sources.answers import ContainerDefinition
from drift_gate.sources.containers import RepeatedContainerError, containers_from_json
from drift_gate.validation import first_problem

TASK_DEFINITION = "aws_ecs_task_definition"
SERVICE = "aws_ecs_service"
V = TypeVar("V", bound=BaseModel)


# Keys only a plan has; `terraform show -json` without a plan file prints state instead
# (format_version, terraform_version, values) or, with no state, format_version alone.
_PLAN_KEYS = frozenset(
    {"planned_values", "resource_changes", "configuration", "prior_state", "output_changes"}
)
MAKE_A_PLAN = "terraform plan -out=tfplan && terraform show -json tfplan > plan.json"


class _Raw(BaseModel):
    """The fields of a plan drift-gate reads, type-checked; everything else is ignored."""

    model_config = ConfigDict(frozen=True, extra="ignore", defer_build=True)


# Terraform's plan actions (internal/plans/action.go, as the JSON spells them). Anything
# else is refused: an action is printed in findings, so it must be one of these words.
Action = Literal["no-op", "create", "read", "update", "delete", "forget"]


# A resource's mode: a data source (`data.aws_ecs_task_definition.x`) is never the resource.
Mode = Literal["managed", "data"]


class _RawChange(_Raw):
    actions: tuple[Action, ...]
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    after_unknown: dict[str, Any] | bool | None = None


class _RawResourceChange(_Raw):
    address: str
    type: str
    mode: Mode | None = None
    # A deposed object (create_before_destroy): a second entry at the address, its delete.
    deposed: str | None = None
    previous_address: str | None = None
    change: _RawChange

    @model_validator(mode="before")
    @classmethod
    def _address_of_terraform_1_0(cls, data: Any) -> Any:
        """Terraform 1.0.x writes resource_drift without `address`; its parts are there.
        When they are not all there either, `address` stays missing and is refused."""
        if isinstance(data, dict) and "address" not in data:
            address = derived_address(data)
            if address is not None:
                return {**data, "address": address}
        return data


def derived_address(entry: dict[str, Any]) -> str | None:
    """An address from module_address, mode, type, name and index, as Terraform writes it
    (`module.a["x"].data.aws_iam_role.r[0]`); None when a part is missing or of a wrong type."""
    kind, name, mode = entry.get("type"), entry.get("name"), entry.get("mode", "managed")
    module, index = entry.get("module_address"), entry.get("index")
    if not (isinstance(kind, str) and kind and isinstance(name, str) and name):
        return None
    if mode not in ("managed", "data") or not isinstance(module, str | None):
        return None
    if index is None:
        key = ""
    elif isinstance(index, int) and not isinstance(index, bool):
        key = f"[{index}]"
    elif isinstance(index, str):
        key = f"[{json.dumps(index, ensure_ascii=False)}]"
    else:
        return None
    resource = f"{'data.' if mode == 'data' else ''}{kind}.{name}{key}"
    return f"{module}.{resource}" if module else resource


class _RawDeferredChange(_Raw):
    # Terraform's reason codes (resource_config_unknown, deferred_prereq, ...): printed, so
    # only a code's shape is accepted, never free text that could be a value.
    reason: str = Field(pattern=r"^[a-z][a-z_]{0,63}$")
    resource_change: _RawResourceChange


class _RawOutputChange(_Raw):
    actions: tuple[Action, ...]


class _RawResource(_Raw):
    address: str
    type: str
    mode: Mode | None = None
    # Left out only when the resource's planned value is null (a `forget`): Terraform leaves
    # out unknown values one by one, never `values` itself, and never writes null here
    # (omitempty), so a null is refused. Which values are unknown, after_unknown says.
    values: dict[str, Any] = Field(default_factory=dict)


class _RawModule(_Raw):
    # None: a resource of a type drift-gate does not read (left out before validation).
    resources: tuple[_RawResource | None, ...] = ()
    child_modules: tuple[_RawModule, ...] = ()


class _RawPlannedValues(_Raw):
    root_module: _RawModule | None = None


class _RawExpression(_Raw):
    constant_value: Any = None
    references: tuple[str, ...] = ()


class _RawConfigResource(_Raw):
    type: str
    name: str
    mode: Mode | None = None
    expressions: dict[str, Any] = Field(default_factory=dict)


class _RawModuleCall(_Raw):
    source: str = ""
    module: _RawModuleConfig | None = None


class _RawModuleConfig(_Raw):
    resources: tuple[_RawConfigResource, ...] = ()
    module_calls: dict[str, _RawModuleCall] = Field(default_factory=dict)


class _RawProvider(_Raw):
    name: str | None = None
    expressions: dict[str, Any] | None = None


class _RawConfiguration(_Raw):
    provider_config: dict[str, _RawProvider] = Field(default_factory=dict)
    root_module: _RawModuleConfig | None = None


class _RawPlan(_Raw):
    format_version: str
    terraform_version: str | None = None
    planned_values: _RawPlannedValues | None = None
    resource_changes: tuple[_RawResourceChange, ...] | None = None
    resource_drift: tuple[_RawResourceChange, ...] | None = None
    deferred_changes: tuple[_RawDeferredChange, ...] | None = None
    output_changes: dict[str, _RawOutputChange] | None = None
    configuration: _RawConfiguration | None = None
    errored: bool = False
    complete: bool = True


class _TaskDefinitionValues(_Raw):
    family: str | None = None
    container_definitions: str | None = None
    execution_role_arn: str | None = None


class _ServiceValues(_Raw):
    name: str | None = None
    cluster: str | None = None
    task_definition: str | None = None


def read_plan_json(path: Path) -> Plan:
    """Load a plan JSON file; anything unusable is invalid input (exit 2)."""
    with cyclic_gc_paused():
        return _read_plan_json(path)


def _read_plan_json(path: Path) -> Plan:
    try:
        text = decode_json_bytes(read_bytes(path, PLAN_JSON))
    except UnicodeDecodeError as error:
        raise InvalidInputError(
            f"{path}: not UTF-8 or UTF-16 text; give the output of `terraform show -json PLANFILE`"
        ) from error
    return _parse_plan(load_json_text(text, str(path)), str(path))


def load_json_text(text: str, source: str) -> Any:
    """JSON text -> Python, with every way it can refuse a document turned into one line
    (exit 2). pydantic's JSON reader first (a quarter faster on a 100 MB plan); whatever it
    refuses is read again by the json module, whose words and line numbers the message uses."""
    try:
        return pydantic_core.from_json(text)
    except ValueError:
        pass
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise InvalidInputError(
            f"{source}: not a JSON plan (line {error.lineno}: {error.msg}); give the output of "
            "`terraform show -json PLANFILE`"
        ) from None
    except RecursionError:
        raise InvalidInputError(f"{source}: JSON nested too deeply to be a plan") from None
    except ValueError:  # an integer of more digits than Python converts
        raise InvalidInputError(
            f"{source}: a number in the JSON is too long to be a plan's"
        ) from None


def parse_plan(document: Any, source: str) -> Plan:
    """A plan document (already JSON-decoded) -> Plan; any other shape is exit 2."""
    with cyclic_gc_paused():
        return _parse_plan(document, source)


def _parse_plan(document: Any, source: str) -> Plan:
    if not isinstance(document, dict) or "format_version" not in document:
        raise InvalidInputError(
            f"{source}: no format_version; give the output of `terraform show -json PLANFILE`"
        )
    if not _PLAN_KEYS & document.keys():
        what = "Terraform state" if "values" in document else "no plan (no planned values)"
        raise InvalidInputError(
            f"{source}: this is {what}, not a plan: `terraform show -json` prints a plan only "
            f"when given the plan file; make one with `{MAKE_A_PLAN}`"
        )
    version = document["format_version"]
    if not isinstance(version, str):
        raise InvalidInputError(f"{source}: format_version: Input should be a valid string")
    _check_version(version, source)
    try:
        raw = _RawPlan.model_validate(_read_parts(document))
    except ValidationError as error:
        raise InvalidInputError(
            f"{source}: not a plan drift-gate can read: {first_problem(error, _RawPlan)}"
        ) from None
    except RecursionError:
        raise InvalidInputError(f"{source}: modules nested too deeply to be a plan") from None
    return _plan(raw, source)


# Resource types whose values drift-gate reads; of every other resource only the address,
# the type and the actions are read (and validated).
_READ_VALUES_OF = frozenset({TASK_DEFINITION, SERVICE})
# The values read of each, in planned_values: absent, each is unknown only when the
# resource's change marks it in after_unknown.
_READ_BY_TYPE = {
    TASK_DEFINITION: ("family", "container_definitions", "execution_role_arn"),
    SERVICE: ("name", "cluster", "task_definition"),
}
_READ_KEYS = frozenset(key for keys in _READ_BY_TYPE.values() for key in keys)


def _read_parts(document: dict[str, Any]) -> dict[str, Any]:
    """The document with the values drift-gate never reads left out, before validation: in a
    large plan nearly everything is other resources' attributes, which would be copied and
    checked for nothing. Anything of an unexpected shape is kept as it is, so validation
    still reports it with its path."""
    pruned = dict(document)
    changes = document.get("resource_changes")
    if isinstance(changes, list):
        pruned["resource_changes"] = [_change_read_parts(change) for change in changes]
    # Of drift and deferred changes only the address and the actions are read: drift's
    # values are not compared, and a deferred change's are not worked out yet.
    drift = document.get("resource_drift")
    if isinstance(drift, list):
        pruned["resource_drift"] = [_change_read_parts(change, keep=False) for change in drift]
    deferred = document.get("deferred_changes")
    if isinstance(deferred, list):
        pruned["deferred_changes"] = [_deferred_read_parts(entry) for entry in deferred]
    planned = document.get("planned_values")
    if isinstance(planned, dict) and isinstance(planned.get("root_module"), dict):
        pruned["planned_values"] = {
            **planned,
            "root_module": _module_read_parts(planned["root_module"]),
        }
    return pruned


def _change_read_parts(change: Any, *, keep: bool = True) -> Any:
    if not isinstance(change, dict) or not isinstance(change.get("change"), dict):
        return change
    inner = change["change"]
    actions = inner.get("actions")
    no_op = isinstance(actions, list) and all(
        isinstance(action, str) and action in UNCHANGED_ACTIONS for action in actions
    )
    # A type of the wrong shape is kept for validation to refuse (a dict is not hashable).
    kind = change.get("type")
    read = keep and isinstance(kind, str) and kind in _READ_VALUES_OF and not _is_data(change)
    if read and change.get("type") == TASK_DEFINITION and not no_op:
        return change  # before/after are compared: kept whole
    if read and "after_unknown" in inner:
        # What is known only after apply: the only unknown values of planned_values.
        unknown = inner["after_unknown"]
        if isinstance(unknown, dict):
            unknown = {key: unknown[key] for key in _READ_KEYS if key in unknown}
        return {**change, "change": {"actions": actions, "after_unknown": unknown}}
    return {**change, "change": {"actions": actions}}


def _is_data(entry: dict[str, Any]) -> bool:
    """A data source: by its mode, or, without one, by its address (`data.TYPE.NAME`)."""
    mode, address = entry.get("mode"), entry.get("address")
    if mode is None and isinstance(address, str):
        return is_data_address(address)
    return mode == "data"


def _deferred_read_parts(entry: Any) -> Any:
    if not isinstance(entry, dict) or "resource_change" not in entry:
        return entry
    return {**entry, "resource_change": _change_read_parts(entry["resource_change"], keep=False)}


def _module_read_parts(module: dict[str, Any]) -> dict[str, Any]:
    """A planned_values module with only its task definitions and services, managed ones
    (the others, data sources of those types too, are None, so the positions in messages
    stay those of the file)."""
    pruned = dict(module)
    pending = [pruned]
    while pending:  # a loop, not recursion: module depth is the user's input
        current = pending.pop()
        resources = current.get("resources")
        if isinstance(resources, list):
            current["resources"] = [
                None
                if isinstance(r, dict)
                and isinstance(r.get("type"), str)
                and (r["type"] not in _READ_VALUES_OF or _is_data(r))
                else r
                for r in resources
            ]
        children = current.get("child_modules")
        if isinstance(children, list):
            current["child_modules"] = [dict(c) if isinstance(c, dict) else c for c in children]
            pending.extend(c for c in current["child_modules"] if isinstance(c, dict))
    return pruned


def _plan(raw: _RawPlan, source: str) -> Plan:
    parsed = _Containers(source)
    # Pending changes first: what a change says wrong is named before what planned_values does.
    resource_changes = tuple(
        _change(change, f"resource_changes[{index}]", parsed)
        for index, change in enumerate(raw.resource_changes or ())
    )
    resources = _planned_resources(raw, _changes_of_read_resources(raw, source), source)
    configuration = raw.configuration or _RawConfiguration()
    return Plan(
        format_version=raw.format_version,
        terraform_version=raw.terraform_version,
        resource_changes=resource_changes,
        resource_drift=tuple(_drift(change) for change in raw.resource_drift or ()),
        output_changes=tuple(
            OutputChange(name=name, actions=output.actions)
            for name, output in sorted((raw.output_changes or {}).items())
        ),
        task_definitions=tuple(
            _task_definition(r, source, parsed)
            for r in resources
            if r.resource.type == TASK_DEFINITION
        ),
        services=tuple(
            _service(r, source, configuration) for r in resources if r.resource.type == SERVICE
        ),
        region=_provider_region(configuration, source),
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
        module_sources=dict(_module_sources(configuration.root_module, "")),
    )


def _managed(mode: str | None, address: str) -> bool:
    return mode == "managed" or (mode is None and not is_data_address(address))


_Located = tuple[str, _RawResourceChange]


def _changes_of_read_resources(raw: _RawPlan, source: str) -> dict[str, _Located]:
    """The resource_changes entries of managed task definitions and services, by address,
    with their JSON paths."""
    found: dict[str, _Located] = {}
    for index, change in enumerate(raw.resource_changes or ()):
        if change.type not in _READ_VALUES_OF or not _managed(change.mode, change.address):
            continue
        if change.deposed is not None:
            continue  # not the resource's current object: never in planned_values
        where = f"resource_changes[{index}]"
        if change.address in found:
            _refuse(source, f"{where}.address: the same resource as {found[change.address][0]}")
        found[change.address] = (where, change)
    return found


@dataclass(frozen=True)
class _Planned:
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
            _refuse(source, first_problem(error, model, f"{path}.values"))
        for key in required:
            if key in given and given[key] is None:
                _refuse(source, f"{path}.values.{key}: Input should be a valid string")
        for key in _READ_BY_TYPE[self.resource.type]:
            if key not in given and key not in self.unknown:
                marks = (
                    f"{self.change_path}.change.after_unknown does not mark it"
                    if self.change_path
                    else "no resource_changes entry marks it"
                )
                _refuse(
                    source,
                    f"{path}.values.{key}: missing, and {marks} known only after apply "
                    "(terraform leaves out only unknown values)",
                )
        return values


def _planned_resources(raw: _RawPlan, changes: dict[str, _Located], source: str) -> list[_Planned]:
    """The managed task definitions and services of planned_values, with their JSON paths.
    What the plan cannot tell apart, or leaves out while saying it is known, is malformed
    (exit 2), never "nothing to check" or "known only after apply": Terraform writes
    planned_values in every plan, each resource once, every resource a change keeps, and
    leaves out of its values only what the change marks in after_unknown."""
    planned = raw.planned_values
    if planned is None or planned.root_module is None:
        missing = "planned_values" if planned is None else "planned_values.root_module"
        _refuse(source, f"{missing}: missing; terraform writes it in every plan")
    seen: dict[str, str] = {}
    kept: list[_Planned] = []
    for resource, path in _module_resources(planned.root_module, "planned_values.root_module"):
        if not _managed(resource.mode, resource.address):
            continue  # a data source of a type read (mode left out, address `data.`)
        if resource.address in seen:
            _refuse(
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
        kept.append(_Planned(resource, path, where, _unknown_keys(change)))
    for address, (planned_by, pending) in changes.items():
        if address not in seen and pending.change.actions != ("delete",):
            _refuse(
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
        return _READ_KEYS
    if isinstance(unknown, dict):
        return frozenset(key for key, value in unknown.items() if value is True)
    return frozenset()


def _check_version(version: str, source: str) -> None:
    match = re.fullmatch(r"(\d{1,4})\.(\d{1,4})", version)
    if not match:
        raise InvalidInputError(f"{source}: format_version {version[:20]!r} is not MAJOR.MINOR")
    major, minor = int(match[1]), int(match[2])
    if major >= 2 or (major, minor) < (0, 1):
        raise InvalidInputError(
            f"{source}: plan format_version {version} is not supported; drift-gate reads 0.1 up "
            "to, not including, 2.0 (upgrade drift-gate for newer Terraform)"
        )


class _Containers:
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
            _refuse(self.source, f"{where}: Input should be a valid string")
        if text not in self._read:
            try:
                self._read[text] = containers_from_json(text)
            except RepeatedContainerError as error:
                _refuse(self.source, where + error.where)
            except ValueError:
                _refuse(self.source, where + _container_problem(text))
            if not self._read[text]:
                _refuse(self.source, f"{where}: no containers; a task definition has at least one")
        return self._read[text]


class _ContainerList(_Raw):
    containers: tuple[ContainerDefinition, ...]


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


def _change(raw: _RawResourceChange, where: str, parsed: _Containers) -> ResourceChange:
    fields: dict[str, Any] = {}
    # Only a pending change's containers are compared (checks/plan.py): a no-op's are not read.
    if (
        raw.type == TASK_DEFINITION
        and _managed(raw.mode, raw.address)
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


def _drift(raw: _RawResourceChange) -> ResourceChange:
    """A resource_drift entry: only that it changed is reported, so its values are not read."""
    return ResourceChange(
        address=raw.address,
        type=raw.type,
        actions=raw.change.actions,
        previous_address=raw.previous_address,
    )


def _task_definition_change(change: _RawChange, where: str, parsed: _Containers) -> dict[str, Any]:
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


def _refuse(source: str, problem: str) -> NoReturn:
    # `from None`: called while handling a ValidationError, whose text quotes the input; a
    # --debug traceback would print it as the context.
    raise InvalidInputError(f"{source}: not a plan drift-gate can read: {problem}") from None


def _task_definition(planned: _Planned, source: str, parsed: _Containers) -> PlannedTaskDefinition:
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


def _service(planned: _Planned, source: str, configuration: _RawConfiguration) -> PlannedService:
    values = planned.values(_ServiceValues, source, ("name",))
    resource, given = planned.resource, planned.resource.values
    # The plan leaves unknown values out (None here); a null is known: a null `cluster` is
    # ECS's `default` cluster, and a null `task_definition` (an EXTERNAL deployment
    # controller) is a service that declares none: "" says so.
    null_cluster = "cluster" in given and values.cluster is None
    null_task_definition = "task_definition" in given and values.task_definition is None
    references = _referenced_task_definitions(resource.address, configuration, source)
    managed = [reference for reference in references if not is_data_address(reference)]
    return PlannedService(
        address=resource.address,
        name=values.name,
        cluster="default" if null_cluster else values.cluster,
        task_definition="" if null_task_definition else values.task_definition,
        task_definition_address=managed[0] if len(references) == 1 and managed else None,
        task_definition_references=references,
    )


def _module_config(
    configuration: _RawConfiguration, address: str, source: str
) -> tuple[_RawModuleConfig, str]:
    """The configuration of an address's module, and its JSON path (map keys as `[...]`).
    Terraform writes the configuration of every module a plan has resources in: one left
    out is refused, never read as "no reference" (which sends the service to a family
    look-up, or makes its task definition "known only after apply")."""
    module = configuration.root_module
    path = "configuration.root_module"
    if module is None:
        _refuse(
            source,
            f"{path}: missing; terraform writes it in every plan, and a service's "
            "task_definition reference is read there",
        )
    for name, _ in split_address(address)[0]:
        call = module.module_calls.get(name)
        if call is None or call.module is None:
            _refuse(source, f"{path}.module_calls: no module {name}, which {address} is in")
        module = call.module
        path += ".module_calls[...].module"
    return module, path


def _referenced_task_definitions(
    service_address: str, configuration: _RawConfiguration, source: str
) -> tuple[str, ...]:
    """Every task definition a service's task_definition expression refers to, resources and
    data sources (`data.aws_ecs_task_definition.x`), each once, in the service's module."""
    _, kind, name, _ = split_address(service_address)
    module, path = _module_config(configuration, service_address, source)
    found: dict[str, None] = {}
    block = False
    for index, resource in enumerate(module.resources):
        if resource.type != kind or resource.name != name or resource.mode == "data":
            continue
        block = True
        # A malformed expression is refused: read as "no reference", it would send the
        # service to a family look-up that may pick another task definition.
        where = f"{path}.resources[{index}].expressions.task_definition"
        expression = _expression(resource.expressions.get("task_definition"), where, source)
        for reference in expression.references:
            for mode in ("", "data."):
                if reference.startswith(f"{mode}{TASK_DEFINITION}."):
                    _, _, referenced, _ = split_address(reference)
                    prefix = module_path(service_address)
                    local = f"{mode}{TASK_DEFINITION}.{referenced}"
                    found[f"{prefix}.{local}" if prefix else local] = None
    if not block:
        _refuse(
            source,
            f"{path}.resources: no {kind}.{name}, which {service_address} is planned from; "
            "terraform writes every resource block",
        )
    return tuple(found)


def _expression(raw: Any, where: str, source: str) -> _RawExpression:
    """A configuration expression; absent is none (no constant, no reference)."""
    if raw is None:
        return _RawExpression()
    if not isinstance(raw, dict):
        _refuse(source, f"{where}: Input should be a valid dictionary")
    try:
        return _RawExpression.model_validate(raw)
    except ValidationError as error:
        _refuse(source, first_problem(error, _RawExpression, where))


def _provider_region(configuration: _RawConfiguration, source: str) -> str | None:
    for key, provider in configuration.provider_config.items():
        if key == "aws" or provider.name == "aws":
            where = "configuration.provider_config[...].expressions.region"
            region = _expression((provider.expressions or {}).get("region"), where, source)
            constant = region.constant_value
            if constant is not None and not isinstance(constant, str):
                _refuse(source, f"{where}.constant_value: Input should be a valid string")
            if constant:
                return constant
    return None


def _module_sources(module: _RawModuleConfig | None, prefix: str) -> Iterator[tuple[str, str]]:
    pending = [(module, prefix)]
    while pending:  # a loop, not recursion: module depth is the user's input
        current, where = pending.pop(0)
        for name, call in (current.module_calls if current else {}).items():
            path = f"{where}.module.{name}" if where else f"module.{name}"
            yield path, call.source
            pending.append((call.module, path))
