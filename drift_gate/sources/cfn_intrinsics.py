"""CloudFormation's intrinsic functions, resolved where the template itself knows the value:
the one handling shared by the template reader (sources/cfn_template.py) and the
task-definition file reader (a CloudFormation TaskDefinition resource given alone).

Resolved: `Ref` to a parameter with a default (or a pseudo-parameter drift-gate knows: the
partition, the URL suffix, the region and stack name when given); `Ref`/`Fn::GetAtt` to a
secret or parameter resource of the same template ("declared here": its ARN is known only
after deploy, but it exists with the stack); `Fn::Sub` and `Fn::Join` of resolved parts;
`Fn::Select` of a resolved list; `Fn::FindInMap` with resolved keys. Anything else
(`Fn::ImportValue`, a `{{resolve:...}}` dynamic reference, a parameter without a default,
`Fn::If` on a condition, a resource's physical id) is Unresolved: shown, never passed.

docs/cloudformation.md has the table. No message quotes a value of the template.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from drift_gate.model import ContainerVars

# Resources whose Ref or GetAtt is a secret's or a parameter's reference: what a container's
# ValueFrom names. The stack creates them, so the reference exists once deployed.
SECRET_RESOURCES = frozenset({"AWS::SecretsManager::Secret", "AWS::SSM::Parameter"})
# What a valueFrom that is not known before deploy reads as (references.UNRENDERED's form).
PLACEHOLDER = "${cloudformation}"
_SUB_VARIABLE = re.compile(r"\$\{(?!!)([^}]*)\}")
_DYNAMIC = "{{resolve:"
MAX_DEPTH = 50


@dataclass(frozen=True)
class Unresolved:
    """A value known only at deploy time; `words` says which function or reference."""

    words: str


@dataclass(frozen=True)
class DeclaredHere:
    """A reference to a secret or parameter resource of this template."""

    logical_id: str
    kind: str


Resolved = str | Unresolved | DeclaredHere


@dataclass(frozen=True)
class TemplateContext:
    """What a template says about itself: parameter defaults (None: no default), the type of
    each resource, its mappings, and the pseudo-parameters known for this run."""

    parameters: Mapping[str, str | None] = field(default_factory=dict)
    resources: Mapping[str, str] = field(default_factory=dict)
    mappings: Mapping[str, Any] = field(default_factory=dict)
    pseudo: Mapping[str, str] = field(
        default_factory=lambda: {"AWS::Partition": "aws", "AWS::URLSuffix": "amazonaws.com"}
    )


NO_CONTEXT = TemplateContext()


def intrinsic_name(value: Any) -> str | None:
    """`Ref`, `Fn::Sub`, `Condition`, ... when `value` is an intrinsic function, else None."""
    if isinstance(value, dict) and len(value) == 1:
        (key,) = value
        if key in ("Ref", "Condition") or (isinstance(key, str) and key.startswith("Fn::")):
            return str(key)
    return None


def resolve(value: Any, context: TemplateContext = NO_CONTEXT, depth: int = 0) -> Resolved:
    """`value` as the text it will be, or why it is not known before deploy."""
    if depth > MAX_DEPTH:
        return Unresolved("an expression nested too deeply")
    if isinstance(value, str):
        return Unresolved("a {{resolve:...}} dynamic reference") if _DYNAMIC in value else value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    name = intrinsic_name(value)
    if name is None:
        return Unresolved("a value that is not text")
    argument = value[name]
    handler = _HANDLERS.get(name)
    if handler is None:
        return Unresolved(name)
    return handler(argument, context, depth + 1)


def text_or_none(resolved: Resolved) -> str | None:
    return resolved if isinstance(resolved, str) else None


def words(resolved: Resolved) -> str:
    """What a reader is told of a value: never the value of a parameter, only its kind."""
    if isinstance(resolved, Unresolved):
        return f"unresolved: {resolved.words}"
    if isinstance(resolved, DeclaredHere):
        return f"{resolved.kind} {resolved.logical_id}, declared in this template"
    return "resolved"


def _ref(argument: Any, context: TemplateContext, depth: int) -> Resolved:
    if not isinstance(argument, str):
        return Unresolved("a Ref to a computed name")
    if argument in context.pseudo:
        return context.pseudo[argument]
    if argument.startswith("AWS::"):
        return Unresolved(f"pseudo-parameter {argument}")
    if argument in context.parameters:
        default = context.parameters[argument]
        return Unresolved(f"parameter {argument} (no default)") if default is None else default
    kind = context.resources.get(argument)
    if kind in SECRET_RESOURCES:
        return DeclaredHere(argument, str(kind))
    if kind is not None:
        return Unresolved(f"the physical id of {argument} ({kind})")
    return Unresolved(f"Ref to {argument}, which the template does not declare")


def _get_att(argument: Any, context: TemplateContext, depth: int) -> Resolved:
    resource = argument[0] if isinstance(argument, list) and argument else argument
    kind = context.resources.get(resource) if isinstance(resource, str) else None
    if kind in SECRET_RESOURCES:
        return DeclaredHere(str(resource), str(kind))
    return Unresolved(f"Fn::GetAtt of {resource}" if isinstance(resource, str) else "Fn::GetAtt")


def _sub(argument: Any, context: TemplateContext, depth: int) -> Resolved:
    text, variables = argument, {}
    if isinstance(argument, list) and len(argument) == 2 and isinstance(argument[1], dict):
        text, variables = argument
    if not isinstance(text, str):
        return Unresolved("Fn::Sub of a computed text")
    unknown: list[Unresolved] = []

    def replace(match: re.Match[str]) -> str:
        name = match.group(1).strip()
        found = resolve(variables[name], context, depth) if name in variables else None
        if found is None:
            found = (
                _ref(name, context, depth)
                if "." not in name
                else _get_att(name.split(".", 1), context, depth)
            )
        if isinstance(found, str):
            return found
        unknown.append(found if isinstance(found, Unresolved) else Unresolved(words(found)))
        return match.group(0)

    result = _SUB_VARIABLE.sub(replace, text).replace("${!", "${")
    if unknown:
        return Unresolved(f"Fn::Sub with {unknown[0].words}")
    return resolve(result, context, depth)


def _join(argument: Any, context: TemplateContext, depth: int) -> Resolved:
    if not (isinstance(argument, list) and len(argument) == 2 and isinstance(argument[0], str)):
        return Unresolved("Fn::Join of an unexpected shape")
    items = _list(argument[1], context, depth)
    if isinstance(items, Unresolved):
        return Unresolved(f"Fn::Join with {items.words}")
    return argument[0].join(items)


def _list(value: Any, context: TemplateContext, depth: int) -> list[str] | Unresolved:
    if not isinstance(value, list):
        return Unresolved(intrinsic_name(value) or "a value that is not a list")
    parts = [resolve(item, context, depth) for item in value]
    for part in parts:
        if not isinstance(part, str):
            return part if isinstance(part, Unresolved) else Unresolved(words(part))
    return [str(part) for part in parts]


def _select(argument: Any, context: TemplateContext, depth: int) -> Resolved:
    if not (isinstance(argument, list) and len(argument) == 2):
        return Unresolved("Fn::Select of an unexpected shape")
    index = resolve(argument[0], context, depth)
    items = _list(argument[1], context, depth)
    if isinstance(items, Unresolved):
        return Unresolved(f"Fn::Select from {items.words}")
    if not (isinstance(index, str) and index.isdigit() and int(index) < len(items)):
        return Unresolved("Fn::Select with an index it cannot use")
    return items[int(index)]


def _find_in_map(argument: Any, context: TemplateContext, depth: int) -> Resolved:
    if not (isinstance(argument, list) and len(argument) >= 3):
        return Unresolved("Fn::FindInMap of an unexpected shape")
    keys = [resolve(item, context, depth) for item in argument[:3]]
    found: Any = context.mappings
    for key in keys:
        if not isinstance(key, str):
            return Unresolved(f"Fn::FindInMap with a key that is {words(key)}")
        found = found.get(key) if isinstance(found, dict) else None
    if found is None:
        return Unresolved("Fn::FindInMap of keys the mapping does not have")
    return resolve(found, context, depth)


def _condition_if(argument: Any, context: TemplateContext, depth: int) -> Resolved:
    condition = argument[0] if isinstance(argument, list) and argument else "?"
    return Unresolved(f"Fn::If on condition {condition}")


def _import_value(argument: Any, context: TemplateContext, depth: int) -> Resolved:
    return Unresolved("Fn::ImportValue (another stack's export)")


_HANDLERS = {
    "Ref": _ref,
    "Fn::GetAtt": _get_att,
    "Fn::Sub": _sub,
    "Fn::Join": _join,
    "Fn::Select": _select,
    "Fn::FindInMap": _find_in_map,
    "Fn::If": _condition_if,
    "Fn::ImportValue": _import_value,
}


# --- A container definition in CloudFormation's form -> the API's --------------------


@dataclass(frozen=True)
class CfnContainer:
    """One `ContainerDefinitions` entry as the ECS API would have it (camelCase, every value
    text), with its name resolved or not and each part that is not known before deploy."""

    definition: dict[str, Any]
    name: Resolved
    # (path inside the container, e.g. ("Environment", 2), words): entries whose name may be
    # any (so a required name not found there is not verified), or whose file names unknown.
    unresolved: tuple[tuple[tuple[str | int, ...], str], ...] = ()
    declared_here: tuple[str, ...] = ()  # secrets read from a resource of this template
    # plain variables whose value is a secret's reference or a secret dynamic reference:
    # name -> the format, said in DG106 (the value itself is never kept)
    plain_secrets: Mapping[str, str] = field(default_factory=dict)

    def names(self, names: ContainerVars) -> ContainerVars:
        """`names` (read from `definition`) with the plain secrets' formats marked."""
        if not self.plain_secrets:
            return names
        environment = tuple(
            v.model_copy(update={"value_token_format": self.plain_secrets[v.name]})
            if v.name in self.plain_secrets and v.value_token_format is None
            else v
            for v in names.environment
        )
        return names.model_copy(update={"environment": environment})


# A plain value that is a secret, or names one: the container gets the ARN (not the secret),
# or CloudFormation writes the secret's value into the task definition in clear text.
_SECRET_ARN = re.compile(r"^arn:aws[a-z-]*:secretsmanager:[^:\s]*:[^:\s]*:secret:\S+$")
_SECRET_DYNAMIC = re.compile(r"\{\{resolve:(secretsmanager|ssm-secure):")
ARN_IN_PLAIN = "a Secrets Manager secret ARN (the container receives the ARN, not the secret)"
DYNAMIC_IN_PLAIN = (
    "a {{resolve:secretsmanager}} dynamic reference (CloudFormation writes the secret's value "
    "into the task definition)"
)


def plain_secret_format(raw: Any, value: Resolved) -> str | None:
    """The format of a plain value that is a secret or names one, else None."""
    if isinstance(raw, str) and _SECRET_DYNAMIC.search(raw):
        return DYNAMIC_IN_PLAIN
    if isinstance(value, DeclaredHere) and value.kind == "AWS::SecretsManager::Secret":
        return ARN_IN_PLAIN
    if isinstance(value, str) and _SECRET_ARN.match(value):
        return ARN_IN_PLAIN
    return None


def cfn_container(item: dict[str, Any], context: TemplateContext = NO_CONTEXT) -> CfnContainer:
    """A CloudFormation container definition (PascalCase, intrinsics) -> the API's shape."""
    name = resolve(item.get("Name"), context) if "Name" in item else Unresolved("no Name")
    definition: dict[str, Any] = {"name": text_or_none(name) or "${cloudformation}"}
    unresolved: list[tuple[tuple[str | int, ...], str]] = []
    here: list[str] = []
    plain: dict[str, str] = {}
    image = resolve(item["Image"], context) if "Image" in item else None
    if isinstance(image, str):
        definition["image"] = image
    for key, api_key, value_key in (
        ("Environment", "environment", "Value"),
        ("Secrets", "secrets", "ValueFrom"),
    ):
        entries = item.get(key)
        if entries is None:
            continue
        if not isinstance(entries, list):
            unresolved.append(((key,), words(resolve(entries, context))))
            continue
        definition[api_key] = _entries(
            key, entries, value_key, context, unresolved, here if key == "Secrets" else plain
        )
    files = item.get("EnvironmentFiles")
    if isinstance(files, list):
        definition["environmentFiles"] = _files(files, context, unresolved)
    elif files is not None:
        unresolved.append((("EnvironmentFiles",), words(resolve(files, context))))
    return CfnContainer(definition, name, tuple(unresolved), tuple(here), plain)


def _entries(
    key: str,
    entries: list[Any],
    value_key: str,
    context: TemplateContext,
    unresolved: list[tuple[tuple[str | int, ...], str]],
    noted: list[str] | dict[str, str],
) -> list[dict[str, Any]]:
    """Environment or Secrets entries with a known name; the others recorded as unresolved.
    `noted`: the secrets read from this template's resources (Secrets), or the plain
    variables holding a secret or its reference, with its format (Environment)."""
    kept = []
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict) or intrinsic_name(entry) is not None:
            unresolved.append(((key, index), words(resolve(entry, context))))
            continue
        name = resolve(entry.get("Name"), context) if "Name" in entry else None
        if not isinstance(name, str):
            what = words(name) if name is not None else "no Name"
            unresolved.append(((key, index), what))
            continue
        value = resolve(entry.get(value_key, ""), context)
        if isinstance(noted, list) and isinstance(value, DeclaredHere):
            noted.append(name)
        found = plain_secret_format(entry.get(value_key), value)
        if isinstance(noted, dict) and found:
            noted[name] = found
        api_value = value if isinstance(value, str) else PLACEHOLDER
        kept.append({"name": name, "valueFrom" if value_key == "ValueFrom" else "value": api_value})
    return kept


def _files(
    files: list[Any], context: TemplateContext, unresolved: list[tuple[tuple[str | int, ...], str]]
) -> list[dict[str, str]]:
    """EnvironmentFiles entries: their S3 ARN when known. An entry that is itself an
    intrinsic (an `Fn::If` adding a file in one environment) may bring any name."""
    kept = []
    for index, entry in enumerate(files):
        value = (
            resolve(entry.get("Value"), context)
            if isinstance(entry, dict) and not intrinsic_name(entry)
            else resolve(entry, context)
        )
        if isinstance(value, str):
            kept.append({"value": value, "type": "s3"})
        else:
            unresolved.append((("EnvironmentFiles", index), words(value)))
    return kept
