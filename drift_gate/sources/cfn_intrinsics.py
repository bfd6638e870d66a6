"""CloudFormation's intrinsic functions, resolved where the template itself knows the value:
the one handling shared by the template reader (sources/cfn_template.py) and the
task-definition file reader (a CloudFormation TaskDefinition resource given alone).

Container definitions in CloudFormation's form are read by sources/cfn_containers.py.

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

# Resources whose Ref or GetAtt is a secret's or a parameter's reference: what a container's
# ValueFrom names. The stack creates them, so the reference exists once deployed.
SECRET_RESOURCES = frozenset({"AWS::SecretsManager::Secret", "AWS::SSM::Parameter"})
# What a valueFrom that is not known before deploy reads as (references.UNRENDERED's form).
PLACEHOLDER = "${cloudformation}"
_SUB_VARIABLE = re.compile(r"\$\{(?!!)([^}]*)\}")
_DYNAMIC = "{{resolve:"
MAX_DEPTH = 50
# Resolution steps for one top-level call (resolve, choose, condition): past it, the value is
# Unresolved. A template's own expressions take a few hundred; only a crafted one (a Join of
# a Ref that names itself ten times, conditions that Or each other) reaches it.
MAX_STEPS = 20_000
TOO_LARGE = "an expression too large to resolve"


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
    # What a Ref to a resource returns when it is a name the template gives (a cluster's
    # ClusterName): logical id -> that property's value, still to resolve.
    names: Mapping[str, Any] = field(default_factory=dict)
    # NoEcho parameters: their value is a secret (a password passed at deploy)
    secret_parameters: frozenset[str] = frozenset()
    # AWS::SSM::Parameter::Value<...> parameters: their Default is the SSM parameter's name;
    # the value is read at deploy.
    ssm_parameters: frozenset[str] = frozenset()
    conditions: Mapping[str, Any] = field(default_factory=dict)  # name -> its expression
    pseudo: Mapping[str, str] = field(
        default_factory=lambda: {"AWS::Partition": "aws", "AWS::URLSuffix": "amazonaws.com"}
    )


@dataclass
class _State:
    """What resolving under one context keeps: each condition's and name's value once
    known (a template's conditions and names do not change), what is being resolved (a
    circular reference is Unresolved, as CloudFormation refuses it), and the steps taken."""

    conditions: dict[str, bool | None] = field(default_factory=dict)
    names: dict[str, Resolved] = field(default_factory=dict)
    busy: set[str] = field(default_factory=set)
    steps: int = 0

    def step(self, depth: int) -> bool:
        """Count one step (a call at depth 0 starts a new count); False past MAX_STEPS."""
        self.steps = 1 if depth == 0 else self.steps + 1
        return self.steps <= MAX_STEPS


def _state(context: TemplateContext) -> _State:
    state = context.__dict__.get("_state")
    if state is None:
        state = _State()
        object.__setattr__(context, "_state", state)
    return state


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
    if not _state(context).step(depth):
        return Unresolved(TOO_LARGE)
    if isinstance(value, str):
        return Unresolved("a {{resolve:...}} dynamic reference") if _DYNAMIC in value else value
    if isinstance(value, bool | int | float):
        return cfn_text(value)
    name = intrinsic_name(value)
    if name is None:
        return Unresolved("a value that is not text")
    argument = value[name]
    handler = _HANDLERS.get(name)
    if handler is None:
        return Unresolved(name)
    return handler(argument, context, depth + 1)


def cfn_text(value: str | bool | int | float) -> str:
    """A scalar as CloudFormation passes it on: booleans lowercase, numbers as written (the
    decoder keeps a decimal's text: 1.50 stays "1.50")."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


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
    if argument in context.ssm_parameters:
        return Unresolved(f"parameter {argument} (an SSM parameter's value, read at deploy)")
    if argument in context.parameters:
        default = context.parameters[argument]
        return Unresolved(f"parameter {argument} (no default)") if default is None else default
    kind = context.resources.get(argument)
    if kind in SECRET_RESOURCES:
        return DeclaredHere(argument, str(kind))
    if argument in context.names:
        return _name(argument, context, depth)
    if kind is not None:
        return Unresolved(f"the physical id of {argument} ({kind})")
    return Unresolved(f"Ref to {argument}, which the template does not declare")


def _name(logical_id: str, context: TemplateContext, depth: int) -> Resolved:
    """The name a resource gives itself (a cluster's ClusterName), resolved once; a name
    that refers to itself, directly or not, is Unresolved."""
    state, key = _state(context), f"name:{logical_id}"
    if logical_id in state.names:
        return state.names[logical_id]
    if key in state.busy:
        return Unresolved(f"the name of {logical_id}, which refers to itself")
    state.busy.add(key)
    try:
        named = resolve(context.names[logical_id], context, depth)
    finally:
        state.busy.discard(key)
    found = named if isinstance(named, str) else Unresolved(f"the name of {logical_id}")
    if state.steps <= MAX_STEPS:  # a value cut short by the bound is not kept
        state.names[logical_id] = found
    return found


# The attributes that are a secret's or parameter's reference: a secret's Id is its ARN; an
# SSM parameter's Value is its VALUE (a name, a text), Type its type: neither is a reference.
_REFERENCE_ATTRIBUTES = {"AWS::SecretsManager::Secret": frozenset({"Id"})}


def _get_att(argument: Any, context: TemplateContext, depth: int) -> Resolved:
    resource = argument[0] if isinstance(argument, list) and argument else argument
    attribute = argument[1] if isinstance(argument, list) and len(argument) > 1 else None
    kind = context.resources.get(resource) if isinstance(resource, str) else None
    if kind in SECRET_RESOURCES and attribute in _REFERENCE_ATTRIBUTES.get(str(kind), ()):
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
    if not isinstance(argument[1], list):
        return Unresolved(f"Fn::Join with {intrinsic_name(argument[1]) or 'a value not a list'}")
    # Each part resolved once: resolving twice doubles the work at every level of nesting.
    parts = [resolve(item, context, depth) for item in argument[1]]
    unknown = next((part for part in parts if isinstance(part, Unresolved)), None)
    if unknown is not None:
        return Unresolved(f"Fn::Join with {unknown.words}")
    # CDK's `{"Fn::Join": ["", [{"Ref": "Secret"}, ":password::"]]}`: a key of a secret
    # this template declares is that secret, declared here.
    here = next((part for part in parts if isinstance(part, DeclaredHere)), None)
    return here if here is not None else argument[0].join(str(part) for part in parts)


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


def references(value: Any, depth: int = 0) -> set[str]:
    """Every name a value refers to: Ref targets and Fn::Sub's ${Name}s."""
    if depth > MAX_DEPTH:
        return set()
    if isinstance(value, str):
        return {match.strip() for match in _SUB_VARIABLE.findall(value)}
    if isinstance(value, list):
        return set().union(*(references(item, depth + 1) for item in value))
    if isinstance(value, dict):
        found = {value["Ref"]} if isinstance(value.get("Ref"), str) else set()
        return found.union(*(references(item, depth + 1) for item in value.values()))
    return set()


def _condition_if(argument: Any, context: TemplateContext, depth: int) -> Resolved:
    chosen = choose({"Fn::If": argument}, context, depth)
    if chosen is NO_VALUE:
        return Unresolved("AWS::NoValue")
    return chosen if isinstance(chosen, Unresolved) else resolve(chosen, context, depth)


class _NoValue:
    """`Ref: AWS::NoValue`: the property or list item is left out."""


NO_VALUE = _NoValue()


def choose(value: Any, context: TemplateContext, depth: int = 0) -> Any:
    """`value` with each `Fn::If` on a condition the template decides replaced by the branch
    it takes: NO_VALUE for `AWS::NoValue`, Unresolved when the condition is not known."""
    while intrinsic_name(value) == "Fn::If" and depth <= MAX_DEPTH:
        if not _state(context).step(depth):
            return Unresolved(TOO_LARGE)
        argument = value["Fn::If"]
        if not (isinstance(argument, list) and len(argument) == 3):
            return Unresolved("Fn::If of an unexpected shape")
        decided = condition(argument[0], context, depth + 1)
        if decided is None:
            return Unresolved(f"Fn::If on condition {argument[0]}")
        value, depth = argument[1 if decided else 2], depth + 1
    return NO_VALUE if value == {"Ref": "AWS::NoValue"} else value


def condition(name: Any, context: TemplateContext, depth: int = 0) -> bool | None:
    """A named condition's value when every part of it resolves, else None."""
    if not isinstance(name, str) or name not in context.conditions or depth > MAX_DEPTH:
        return None
    state = _state(context)
    if name in state.conditions:
        return state.conditions[name]
    if name in state.busy or not state.step(depth):
        return None  # a circular condition (CloudFormation refuses it), or too large
    state.busy.add(name)
    try:
        value = _truth(context.conditions[name], context, depth + 1)
    finally:
        state.busy.discard(name)
    if state.steps <= MAX_STEPS:  # a value cut short by the bound is not kept
        state.conditions[name] = value
    return value


def _truth(value: Any, context: TemplateContext, depth: int) -> bool | None:
    name = intrinsic_name(value)
    argument = value[name] if name else None
    if name == "Condition":
        return condition(argument, context, depth)
    if not isinstance(argument, list) or depth > MAX_DEPTH or not _state(context).step(depth):
        return None
    if name == "Fn::Equals" and len(argument) == 2:
        left, right = (resolve(side, context, depth) for side in argument)
        both = isinstance(left, str) and isinstance(right, str)
        return left == right if both else None
    parts = [_truth(part, context, depth + 1) for part in argument]
    if name == "Fn::Not" and len(parts) == 1 and parts[0] is not None:
        return not parts[0]
    if name == "Fn::And" and None not in parts:
        return all(parts)
    if name == "Fn::Or" and None not in parts:
        return any(parts)
    return None


def _import_value(argument: Any, context: TemplateContext, depth: int) -> Resolved:
    return Unresolved("Fn::ImportValue (another stack's export)")


# Transforms that do not rewrite the ECS resources drift-gate reads: SAM's (AWS::Serverless
# resources only), LanguageExtensions (its Fn::ForEach is refused, its new functions are
# unresolved) and the Secrets Manager rotation one (adds a rotation function).
KNOWN_TRANSFORMS = frozenset(
    {"AWS::Serverless-2016-10-31", "AWS::LanguageExtensions", "AWS::SecretsManager-2020-07-23"}
)


def find_key(
    value: Any, key: str, path: tuple[str | int, ...], depth: int = 0
) -> tuple[str | int, ...] | None:
    """The path of the first `key` inside `value`, or None (bounded depth)."""
    if depth > 30:
        return None
    items = (
        value.items()
        if isinstance(value, dict)
        else enumerate(value)
        if isinstance(value, list)
        else ()
    )
    for inner, item in items:
        if inner == key:
            return (*path, inner)
        found = find_key(item, key, (*path, inner), depth + 1)
        if found is not None:
            return found
    return None


def macro_words(given: Any) -> str | None:
    """What a template's top-level `Transform` leaves unknown: None when every transform is
    one that does not rewrite what drift-gate reads, else the words for the first macro."""
    names = given if isinstance(given, list) else [given] if given is not None else []
    macros = [n for n in names if not (isinstance(n, str) and n in KNOWN_TRANSFORMS)]
    if not macros:
        return None
    what = macros[0] if isinstance(macros[0], str) else "a macro"
    return f"unresolved: Transform {what} (a macro may rewrite the template at deploy)"


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
