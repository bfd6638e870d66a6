"""aws_ecs_task_definition and aws_ecs_service blocks -> declarations (names, never values)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from drift_gate.credentials import token_format
from drift_gate.sources.hcl.declarations import (
    DeclaredService,
    DeclaredTaskDefinition,
    TerraformContainer,
    TerraformName,
)
from drift_gate.sources.hcl.evaluate import Scope, evaluate
from drift_gate.sources.hcl.syntax import Token
from drift_gate.sources.hcl.tree import Block, Node
from drift_gate.sources.hcl.values import (
    JsonText,
    Result,
    Unresolved,
    Value,
    from_json_text,
    scalar_text,
)

Instances = list[tuple[str, Scope]]
Prefix = Callable[[str], str]


def task_definitions(
    block: Block, instances: Instances, prefix: Prefix
) -> Iterator[DeclaredTaskDefinition]:
    """One declaration per instance of an aws_ecs_task_definition block."""
    attributes = block.attributes()
    for suffix, scope in instances:
        address = prefix(f"aws_ecs_task_definition.{block.labels[1]}{suffix}")
        family = (
            evaluate(attributes["family"], scope, block.file) if "family" in attributes else None
        )
        family_name = scalar_text(family)
        if "container_definitions" not in attributes:
            yield DeclaredTaskDefinition(
                address,
                family_name,
                block.file,
                block.line,
                (),
                Unresolved("no container_definitions", block.file, block.line),
            )
            continue
        definitions = _as_document(evaluate(attributes["container_definitions"], scope, block.file))
        if isinstance(definitions, Unresolved) or not isinstance(definitions.value, list):
            unresolved = (
                definitions
                if isinstance(definitions, Unresolved)
                else Unresolved("container_definitions is not a list", block.file, block.line)
            )
            yield DeclaredTaskDefinition(
                address, family_name, block.file, block.line, (), unresolved
            )
            continue
        containers = tuple(_container(item, block) for item in definitions.value)
        yield DeclaredTaskDefinition(
            address, family_name, block.file, block.line, tuple(c for c in containers if c)
        )


def _as_document(result: Result) -> Result:
    """container_definitions as a value: JSON text decoded, jsonencode() taken as it is."""
    if isinstance(result, Value) and isinstance(result.value, JsonText):
        text = result.value
        return from_json_text(text.text, text.file, text.first_line)
    if isinstance(result, Value) and isinstance(result.value, str):
        return from_json_text(result.value, result.file, result.line)
    return result


def _container(item: Result, block: Block) -> TerraformContainer | None:
    if isinstance(item, Unresolved) or not isinstance(item.value, dict):
        return None
    fields = item.value
    name = scalar_text(fields.get("name"))
    if name is None:
        return None
    secrets, unresolved_secrets = _names(fields.get("secrets"), "valueFrom")
    environment, unresolved_environment = _names(fields.get("environment"), None)
    return TerraformContainer(
        name, secrets, environment, unresolved_secrets + unresolved_environment
    )


def _names(
    entries: Result | None, reference: str | None
) -> tuple[tuple[TerraformName, ...], tuple[Unresolved, ...]]:
    if entries is None:
        return (), ()
    if isinstance(entries, Unresolved):
        return (), (entries,)
    if not isinstance(entries.value, list):
        return (), (Unresolved("a list that is not a list", entries.file, entries.line),)
    names: list[TerraformName] = []
    unresolved: list[Unresolved] = []
    for entry in entries.value:
        if isinstance(entry, Unresolved):
            unresolved.append(entry)
            continue
        fields = entry.value if isinstance(entry.value, dict) else {}
        name = fields.get("name")
        text = scalar_text(name)
        if not isinstance(name, Value) or text is None:
            unresolved.append(
                name
                if isinstance(name, Unresolved)
                else Unresolved("an entry without a name that is a string", entry.file, entry.line)
            )
            continue
        value_from = fields.get(reference) if reference else None
        reference_text = scalar_text(value_from)
        if isinstance(value_from, Value) and reference_text is None:
            value_from = Unresolved("a valueFrom that is not a string", name.file, name.line)
        literal = fields.get("value")
        names.append(
            TerraformName(
                text,
                name.file,
                name.line,
                value_from=reference_text,
                value_from_unresolved=value_from if isinstance(value_from, Unresolved) else None,
                # A credential committed to the repository: its format is kept, the value dropped.
                value_token_format=token_format(str(literal.value))
                if isinstance(literal, Value) and isinstance(literal.value, str)
                else None,
            )
        )
    return tuple(names), tuple(unresolved)


def services(block: Block, instances: Instances, prefix: Prefix) -> Iterator[DeclaredService]:
    """One declaration per instance of an aws_ecs_service block."""
    attributes = block.attributes()
    for suffix, scope in instances:
        address = prefix(f"aws_ecs_service.{block.labels[1]}{suffix}")
        name = evaluate(attributes["name"], scope, block.file) if "name" in attributes else None
        cluster = (
            evaluate(attributes["cluster"], scope, block.file) if "cluster" in attributes else None
        )
        reference = _task_definition_reference(attributes.get("task_definition"), suffix)
        cluster_address = _cluster_reference(attributes.get("cluster"))
        yield DeclaredService(
            address,
            scalar_text(name),
            (scalar_text(cluster) or "").rsplit("/", 1)[-1] or None,
            prefix(reference) if reference else None,
            block.file,
            block.line,
            prefix(cluster_address) if cluster_address else None,
        )


def cluster_name(block: Block, scope: Scope) -> str | None:
    """An aws_ecs_cluster's `name`, when known statically."""
    expression = block.attributes().get("name")
    return scalar_text(evaluate(expression, scope, block.file)) if expression else None


def _cluster_reference(expression: Node | None) -> str | None:
    """`aws_ecs_cluster.main.id` (`.arn`, `.name`; not indexed) -> aws_ecs_cluster.main."""
    if expression is None:
        return None
    match = re.fullmatch(
        r"aws_ecs_cluster\.([A-Za-z0-9_-]+)\.(id|arn|name)", _source_text(expression).strip()
    )
    return f"aws_ecs_cluster.{match.group(1)}" if match else None


def _task_definition_reference(expression: Node | None, suffix: str) -> str | None:
    """`aws_ecs_task_definition.api.arn` (or `[each.key]`) -> aws_ecs_task_definition.api[...]."""
    if expression is None:
        return None
    match = re.search(
        r"aws_ecs_task_definition\.([A-Za-z0-9_-]+)(\[[^\]]*\])?", _source_text(expression)
    )
    if not match:
        return None
    indexed = match.group(2) is not None
    return f"aws_ecs_task_definition.{match.group(1)}{suffix if indexed else ''}"


def _source_text(node: Node) -> str:
    return "".join(str(token) for token in node.scan_values(lambda value: isinstance(value, Token)))
