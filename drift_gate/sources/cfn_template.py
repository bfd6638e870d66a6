"""A CloudFormation template (hand-written, `cdk synth`, `copilot svc package`, Express
Mode): its ECS task definitions, services and containers, and where each is declared.

`read_template(path)` is the reader's API (the offline check, the live declared side,
`inventory` and `init` use it): `Template.services`, `Template.task_definitions`, each
container's names with the file:line of every entry, and what the template does not know
before deploy (sources/cfn_intrinsics.py resolves what it does). Nested stacks
(`AWS::CloudFormation::Stack`) are named, not followed.

Values are looked at once for a credential format and dropped, as for the live side; no
message quotes the template's text.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any

from drift_gate.errors import InvalidInputError
from drift_gate.input_files import CFN_TEMPLATE, read_bytes
from drift_gate.jsontext import decode_json_bytes
from drift_gate.model import ContainerVars
from drift_gate.sources.answers import ContainerDefinition
from drift_gate.sources.cfn_containers import CfnContainer, cfn_container, entry_paths
from drift_gate.sources.cfn_decode import Decoded, decode_template
from drift_gate.sources.cfn_intrinsics import (
    Resolved,
    TemplateContext,
    Unresolved,
    cfn_text,
    find_key,
    macro_words,
    resolve,
    words,
)
from drift_gate.sources.containers import UNRENDERED, container_vars
from drift_gate.sources.task_definition_file import JsonPath, is_placeholder
from drift_gate.validation import validate_or_none

TASK_DEFINITION = "AWS::ECS::TaskDefinition"
SERVICE = "AWS::ECS::Service"
EXPRESS = "AWS::ECS::ExpressGatewayService"
NESTED_STACK = "AWS::CloudFormation::Stack"
# Express Mode's PrimaryContainer has no Name; the policy names it with --express-container.
EXPRESS_CONTAINER = "Main"
EXPECTED = "expected a CloudFormation template (JSON or YAML with a Resources mapping)"


@dataclass(frozen=True)
class TemplateContainer:
    """One container: its name (None: not known before deploy), its names, where it is."""

    name: str | None
    names: ContainerVars
    at: str
    json_path: str
    name_words: str = "resolved"
    # file:line and words of each entry whose name (or file) is not known before deploy
    unresolved: tuple[tuple[str, str], ...] = ()
    # those of them that may declare names: an Environment or Secrets list or entry
    unresolved_names: tuple[tuple[str, str], ...] = ()
    secret_at: Mapping[str, str] = field(default_factory=dict)
    plain_at: Mapping[str, str] = field(default_factory=dict)
    declared_here: tuple[str, ...] = ()  # secrets whose resource this template declares
    # a Secrets key that may give secrets (not [] nor AWS::NoValue), read or not
    has_secrets_key: bool = False


@dataclass(frozen=True)
class TemplateTaskDefinition:
    """An AWS::ECS::TaskDefinition, or the task an Express service runs."""

    logical_id: str
    at: str
    containers: tuple[TemplateContainer, ...]
    has_execution_role: bool
    kind: str = TASK_DEFINITION

    def container(self, name: str) -> TemplateContainer | None:
        return next((c for c in self.containers if c.name == name), None)


@dataclass(frozen=True)
class TemplateService:
    """An AWS::ECS::Service or AWS::ECS::ExpressGatewayService: what it is named and runs."""

    logical_id: str
    at: str
    kind: str
    cluster: Resolved | None  # None: the account's default cluster
    name: Resolved | None  # None: CloudFormation generates it
    task_definition: str | None  # the logical id of the task definition it runs
    task_definition_words: str = ""  # when it is not one of this template's: why

    @property
    def service_name(self) -> str | None:
        return self.name if isinstance(self.name, str) else None

    @property
    def cluster_name(self) -> str | None:
        """The cluster's name (an ARN's last part); "default" when none is given."""
        if self.cluster is None:
            return "default"
        return self.cluster.rsplit("/", 1)[-1] if isinstance(self.cluster, str) else None


@dataclass(frozen=True)
class Template:
    source: str
    task_definitions: Mapping[str, TemplateTaskDefinition]
    services: tuple[TemplateService, ...]
    nested_stacks: tuple[tuple[str, str], ...] = ()  # (logical id, file:line)

    @cached_property
    def _by_name(self) -> dict[str, TemplateService]:
        return {s.service_name: s for s in self.services if s.service_name}

    def find(self, name: str) -> tuple[TemplateService | None, TemplateTaskDefinition] | None:
        """The service (by logical id or ServiceName) or task definition (by logical id)
        `name` designates, with the task definition it runs; None when there is none."""
        service = next((s for s in self.services if s.logical_id == name), None)
        service = service or self._by_name.get(name)
        task = self.task_definitions.get(service.task_definition or "") if service else None
        if task is not None:
            return service, task
        if name in self.task_definitions:
            return None, self.task_definitions[name]
        return None


def read_template(
    path: Path,
    express_container: str = EXPRESS_CONTAINER,
    pseudo: Mapping[str, str] | None = None,
    parameters: Mapping[str, str] | None = None,
) -> Template:
    """Read a template; a file that is not one is exit 2, one line naming the file.
    `parameters`: the values a deploy passes (--cfn-parameters), over the defaults."""
    source = str(path)
    decoded = decode_template(_text(path), source)
    reader = _Reader(source, decoded, express_container, pseudo or {}, parameters or {})
    return reader.template()


def _text(path: Path) -> str:
    try:
        return decode_json_bytes(read_bytes(path, CFN_TEMPLATE))
    except UnicodeDecodeError:
        raise InvalidInputError(f"{path}: not UTF-8 or UTF-16 text; {EXPECTED}") from None


PARAMETERS_EXPECTED = (
    'expected {"Parameters": {"Name": "value"}} (what `copilot svc package` and CodePipeline '
    'write) or [{"ParameterKey": "Name", "ParameterValue": "value"}] (the AWS CLI\'s)'
)


def read_parameters(path: Path) -> dict[str, str]:
    """A deploy's parameter values; anything else is exit 2 naming the two shapes."""
    document = decode_template(_text(path), str(path)).document
    if isinstance(document, dict) and isinstance(document.get("Parameters"), dict):
        given = document["Parameters"]
    elif isinstance(document, list) and all(isinstance(item, dict) for item in document):
        given = {item.get("ParameterKey"): item.get("ParameterValue") for item in document}
    else:
        raise InvalidInputError(f"{path}: not a parameters file; {PARAMETERS_EXPECTED}")
    if not all(isinstance(k, str) and isinstance(v, str | int | float) for k, v in given.items()):
        raise InvalidInputError(
            f"{path}: a parameter's name or value is not text; {PARAMETERS_EXPECTED}"
        )
    return {str(key): cfn_text(value) for key, value in given.items()}


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


# A parameter of this type holds an SSM parameter's NAME; the stack gets its value at deploy.
SSM_VALUE = "AWS::SSM::Parameter::Value<"


def _default(spec: Any) -> str | None:
    """A parameter's Default as CloudFormation reads it (true -> "true"); None: no default,
    or one that is not text (a list or a mapping)."""
    default = _mapping(spec).get("Default")
    return cfn_text(default) if isinstance(default, str | bool | int | float) else None


class _Reader:
    def __init__(
        self,
        source: str,
        decoded: Decoded,
        express_container: str,
        pseudo: Mapping[str, str],
        given: Mapping[str, str],
    ) -> None:
        self.source, self.decoded, self.express = source, decoded, express_container
        document = decoded.document
        if not isinstance(document, dict) or not isinstance(document.get("Resources"), dict):
            raise InvalidInputError(f"{source}: no Resources mapping; {EXPECTED}")
        self.resources: dict[str, Any] = document["Resources"]
        for logical_id, resource in self.resources.items():
            if logical_id.startswith("Fn::ForEach::"):
                raise InvalidInputError(
                    f"{self.at(('Resources', logical_id))}: {logical_id} needs the "
                    "AWS::LanguageExtensions transform, which drift-gate does not expand; give "
                    "the processed template (aws cloudformation get-template --template-stage "
                    "Processed)"
                )
            if not isinstance(resource, dict) or not isinstance(resource.get("Type"), str):
                raise InvalidInputError(
                    f"{self.at(('Resources', logical_id))}: resource {logical_id} has no Type; "
                    f"{EXPECTED}"
                )
        specs = _mapping(document.get("Parameters"))
        self.transforms = self._transforms(document.get("Transform"))
        self.context = TemplateContext(
            parameters={name: given.get(name, _default(spec)) for name, spec in specs.items()},
            ssm_parameters=frozenset(
                name
                for name, spec in specs.items()
                if str(_mapping(spec).get("Type", "")).startswith(SSM_VALUE)
            ),
            resources={k: v["Type"] for k, v in self.resources.items()},
            names={
                k: _mapping(v.get("Properties"))["ClusterName"]
                for k, v in self.resources.items()
                if v["Type"] == "AWS::ECS::Cluster"
                and "ClusterName" in _mapping(v.get("Properties"))
            },
            conditions=_mapping(document.get("Conditions")),
            secret_parameters=frozenset(
                name
                for name, spec in _mapping(document.get("Parameters")).items()
                if str(_mapping(spec).get("NoEcho", "")).lower() == "true"
            ),
            mappings=_mapping(document.get("Mappings")),
            pseudo={**TemplateContext().pseudo, **pseudo},
        )

    def _transforms(self, given: Any) -> tuple[tuple[str, str], ...]:
        """A top-level Transform that may rewrite what is read (a macro), as an unresolved
        part of every container; the ones AWS documents not to touch ECS resources are read."""
        words = macro_words(given)
        return ((self.at(("Transform",)), words),) if words else ()

    def _rewritten(self, logical_id: str, resource: Any) -> tuple[tuple[str, str], ...]:
        """The template's macros and an inline `Fn::Transform` (AWS::Include, a macro) in the
        resource, which may rewrite it at deploy."""
        inline = find_key(resource, "Fn::Transform", ("Resources", logical_id))
        if inline is None:
            return self.transforms
        words = "unresolved: Fn::Transform (a macro or AWS::Include may rewrite it at deploy)"
        return (*self.transforms, (self.at(inline), words))

    def at(self, path: JsonPath) -> str:
        line = self.decoded.line(path)
        return f"{self.source}:{line}" if line is not None else self.source

    def template(self) -> Template:
        task_definitions: dict[str, TemplateTaskDefinition] = {}
        services: list[TemplateService] = []
        nested: list[tuple[str, str]] = []
        for logical_id, resource in self.resources.items():
            kind = resource["Type"]
            if kind == TASK_DEFINITION:
                task_definitions[logical_id] = self._task_definition(logical_id, resource)
            elif kind == SERVICE:
                services.append(self._service(logical_id, resource))
            elif kind == EXPRESS:
                task_definitions[logical_id] = self._express_task(logical_id, resource)
                services.append(self._express_service(logical_id, resource))
            elif kind == NESTED_STACK:
                nested.append((logical_id, self.at(("Resources", logical_id))))
        return Template(self.source, task_definitions, tuple(services), tuple(nested))

    def _properties(self, logical_id: str, resource: dict[str, Any]) -> dict[str, Any]:
        properties = resource.get("Properties", {})
        if not isinstance(properties, dict):
            where = self.at(("Resources", logical_id, "Properties"))
            raise InvalidInputError(f"{where}: Properties of {logical_id} is not a mapping")
        return properties

    def _task_definition(self, logical_id: str, resource: dict[str, Any]) -> TemplateTaskDefinition:
        properties = self._properties(logical_id, resource)
        base: JsonPath = ("Resources", logical_id, "Properties", "ContainerDefinitions")
        items = properties.get("ContainerDefinitions", [])
        if not isinstance(items, list):
            raise InvalidInputError(
                f"{self.at(base)}: ContainerDefinitions of {logical_id} is not a list; "
                "a conditional list of containers is not read"
            )
        rewritten = self._rewritten(logical_id, resource)
        containers = tuple(
            _with(
                self._container(
                    item, (*base, index), f"{logical_id}.ContainerDefinitions[{index}]"
                ),
                rewritten,
            )
            for index, item in enumerate(items)
        )
        return TemplateTaskDefinition(
            logical_id,
            self.at(("Resources", logical_id)),
            containers,
            has_execution_role=bool(properties.get("ExecutionRoleArn")),
        )

    def _express_task(self, logical_id: str, resource: dict[str, Any]) -> TemplateTaskDefinition:
        properties = self._properties(logical_id, resource)
        path: JsonPath = ("Resources", logical_id, "Properties", "PrimaryContainer")
        primary = properties.get("PrimaryContainer")
        if not isinstance(primary, dict):
            raise InvalidInputError(
                f"{self.at(path)}: {logical_id} has no PrimaryContainer mapping"
            )
        container = _with(
            self._container(
                {**primary, "Name": self.express}, path, f"{logical_id}.PrimaryContainer"
            ),
            self._rewritten(logical_id, resource),
        )
        return TemplateTaskDefinition(
            logical_id,
            self.at(("Resources", logical_id)),
            (container,),
            has_execution_role=bool(properties.get("ExecutionRoleArn")),
            kind=EXPRESS,
        )

    def _container(self, item: Any, path: JsonPath, json_path: str) -> TemplateContainer:
        if not isinstance(item, dict):
            raise InvalidInputError(f"{self.at(path)}: {json_path} is not a mapping; {EXPECTED}")
        read = cfn_container(item, self.context)
        definition, problem = validate_or_none(ContainerDefinition, read.definition)
        if definition is None:
            raise InvalidInputError(f"{self.at(path)}: {json_path}.{problem}; {EXPECTED}")
        names = read.names(container_vars(definition))
        secrets = tuple(
            s.model_copy(update={"value_from": UNRENDERED}) if is_placeholder(s.value_from) else s
            for s in names.secrets
        )
        name = read.name if isinstance(read.name, str) else None
        return TemplateContainer(
            name=name,
            names=names.model_copy(update={"secrets": secrets}),
            at=self.at((*path, "Name"))
            if name and "Name" in item and path[-1] != "PrimaryContainer"
            else self.at(path),
            json_path=json_path,
            name_words=words(read.name),
            unresolved=tuple((self.at((*path, *inner)), what) for inner, what in read.unresolved),
            unresolved_names=tuple(
                (self.at((*path, *inner)), what)
                for inner, what in read.unresolved
                if inner[0] in ("Environment", "Secrets")
            ),
            secret_at=self._entry_lines(item, path, "Secrets", read),
            plain_at=self._entry_lines(item, path, "Environment", read),
            declared_here=read.declared_here,
            has_secrets_key=item.get("Secrets") not in (None, [], {"Ref": "AWS::NoValue"}),
        )

    def _entry_lines(
        self, item: dict[str, Any], path: JsonPath, key: str, read: CfnContainer
    ) -> dict[str, str]:
        """file:line of each entry of a known name (the first, when branches repeat it)."""
        lines: dict[str, str] = {}
        for at, entry in entry_paths(item.get(key), (*path, key), self.context):
            if isinstance(entry, dict) and "Name" in entry:
                name = resolve(entry["Name"], self.context)
                if isinstance(name, str):
                    lines.setdefault(name, self.at(at))
        return lines

    def _service(self, logical_id: str, resource: dict[str, Any]) -> TemplateService:
        properties = self._properties(logical_id, resource)
        task = properties.get("TaskDefinition")
        task_id, task_words = None, ""
        if (
            isinstance(task, dict)
            and isinstance(task.get("Ref"), str)
            and task["Ref"] in self.resources
        ):
            task_id = task["Ref"]
        else:
            task_words = (
                words(resolve(task, self.context)) if task is not None else "no TaskDefinition"
            )
        return TemplateService(
            logical_id,
            self.at(("Resources", logical_id)),
            SERVICE,
            self._optional(properties, "Cluster"),
            self._optional(properties, "ServiceName"),
            task_id,
            task_words,
        )

    def _express_service(self, logical_id: str, resource: dict[str, Any]) -> TemplateService:
        properties = self._properties(logical_id, resource)
        return TemplateService(
            logical_id,
            self.at(("Resources", logical_id)),
            EXPRESS,
            self._optional(properties, "Cluster"),
            self._optional(properties, "ServiceName"),
            logical_id,
        )

    def _optional(self, properties: dict[str, Any], key: str) -> Resolved | None:
        return resolve(properties[key], self.context) if key in properties else None


def _with(container: TemplateContainer, parts: tuple[tuple[str, str], ...]) -> TemplateContainer:
    """`container` with `parts` (file:line, words) unresolved: they may bring any name."""
    if not parts:
        return container
    return replace(
        container,
        unresolved=(*container.unresolved, *parts),
        unresolved_names=(*container.unresolved_names, *parts),
    )


__all__ = [
    "EXPRESS_CONTAINER",
    "Template",
    "TemplateContainer",
    "TemplateService",
    "TemplateTaskDefinition",
    "Unresolved",
    "read_parameters",
    "read_template",
]
