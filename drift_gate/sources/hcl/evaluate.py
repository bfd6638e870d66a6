"""A small evaluator for what .tf expressions mean without Terraform.

Literals, objects, lists, string templates, `local.*`, `var.*` (literal defaults or a
module call's arguments), `path.module`, `for` expressions over known collections,
jsonencode / jsondecode / file() / heredoc JSON, concat, merge, lower/upper, and the
outputs of well-known container-definition modules. Anything else is Unresolved with its
file and line: never a guess. Every evaluation is bounded (Budget).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from drift_gate.input_files import FILE_FUNCTION, InputFileError, read_bytes
from drift_gate.sources.hcl.syntax import Token, Tree
from drift_gate.sources.hcl.tree import Block, Node, children, line_of, name_of
from drift_gate.sources.hcl.values import (
    MAX_ITEMS,
    Budget,
    JsonText,
    Result,
    Unresolved,
    Value,
    from_json_text,
    scalar_text,
)


@dataclass
class Scope:
    """What names mean in one module (and one for_each instance, one for expression)."""

    directory: Path
    root: Path  # where terraform runs: file() resolves relative paths from here
    locals: dict[str, Node] = field(default_factory=dict)
    local_files: dict[str, Path] = field(default_factory=dict)
    variables: dict[str, Result | None] = field(default_factory=dict)
    bindings: dict[str, Result] = field(default_factory=dict)
    resolving: set[str] = field(default_factory=set)
    budget: Budget = field(default_factory=lambda: Budget(Path("/nonexistent")))
    module_calls: dict[str, Block] = field(default_factory=dict)
    # Locals cannot refer to each/count, so one value per module: locals that build on each
    # other (a = concat(b, b), b = ...) are evaluated once each, not 2^n times.
    local_values: dict[str, Result] = field(default_factory=dict)

    def bind(self, **names: Result) -> Scope:
        return Scope(
            self.directory,
            self.root,
            self.locals,
            self.local_files,
            self.variables,
            {**self.bindings, **names},
            self.resolving,
            self.budget,
            self.module_calls,
            self.local_values,
        )


def evaluate(node: Node | Token, scope: Scope, file: Path) -> Result:
    """The value of an expression, or Unresolved saying why not (also when over budget)."""
    line = line_of(node)
    if isinstance(node, Token):
        return Unresolved(f"token {node!s}", file, line)
    handler = _HANDLERS.get(str(node.data))
    if handler is None:
        return Unresolved(f"a {node.data} expression", file, line)
    budget = scope.budget
    budget.steps += 1
    budget.depth += 1
    try:
        stop = budget.exhausted()
        if stop is not None:
            return Unresolved(f"not evaluated: {stop}", file, line)
        return _bounded(handler(node, scope, file))
    finally:
        budget.depth -= 1


def _bounded(result: Result) -> Result:
    """A collection larger than MAX_ITEMS is not kept (it would only grow from here)."""
    if (
        isinstance(result, Value)
        and isinstance(result.value, list | dict)
        and len(result.value) > MAX_ITEMS
    ):
        return Unresolved(
            f"a collection of {len(result.value):,} elements (more than {MAX_ITEMS:,})",
            result.file,
            result.line,
        )
    return result


def _expr_term(node: Node, scope: Scope, file: Path) -> Result:
    inner = children(node)
    if len(inner) == 1:
        return evaluate(inner[0], scope, file)
    return Unresolved("an expression", file, line_of(node))


def _literal(node: Node, scope: Scope, file: Path) -> Result:
    token = str(node.children[0])
    text = {"true": True, "false": False, "null": None}
    try:
        if node.data == "int_lit":
            return Value(int(token), file, line_of(node))
        if node.data == "float_lit":
            return Value(float(token), file, line_of(node))
    except ValueError:  # more digits than Python converts
        return Unresolved(f"a number of {len(token):,} digits", file, line_of(node))
    return Value(text.get(token, token), file, line_of(node))


def _string(node: Node, scope: Scope, file: Path) -> Result:
    parts: list[str] = []
    for part in node.children:
        if not isinstance(part, Tree):
            continue
        for piece in part.children:
            if isinstance(piece, Token):
                parts.append(_unescape(str(piece)))
            elif piece.data == "interpolation":
                inner = evaluate(children(piece)[0], scope, file)
                if isinstance(inner, Unresolved):
                    return inner
                if isinstance(inner.value, JsonText):  # "${file(...)}": the file's text
                    parts.append(inner.value.text)
                elif scalar_text(inner) is not None:
                    parts.append(str(scalar_text(inner)))
                else:
                    return Unresolved("a list or object in a string template", file, line_of(piece))
            else:
                return Unresolved("a template directive", file, line_of(piece))
    return Value("".join(parts), file, line_of(node))


def _unescape(text: str) -> str:
    return text.replace('\\"', '"').replace("\\n", "\n").replace("\\\\", "\\").replace("$${", "${")


def _tuple(node: Node, scope: Scope, file: Path) -> Result:
    items = [evaluate(child, scope, file) for child in children(node)]
    return Value(items, file, line_of(node))


def _object(node: Node, scope: Scope, file: Path) -> Result:
    elements: dict[str, Result] = {}
    for element in children(node):
        key_node, value_node = children(element)[0], children(element)[-1]
        key = _object_key(key_node, scope, file)
        if isinstance(key, Unresolved):
            return key
        elements[key] = evaluate(value_node, scope, file)
    return Value(elements, file, line_of(node))


def _object_key(node: Node, scope: Scope, file: Path) -> str | Unresolved:
    inner = children(node)[0] if children(node) else node
    while isinstance(inner, Tree) and inner.data == "expr_term" and len(children(inner)) == 1:
        inner = children(inner)[0]
    if isinstance(inner, Tree) and inner.data == "identifier":
        return name_of(inner)
    key = evaluate(inner, scope, file)
    if isinstance(key, Unresolved):
        return key
    text = scalar_text(key)
    return (
        text
        if text is not None
        else Unresolved("an object key that is not a string", file, key.line)
    )


def _identifier(node: Node, scope: Scope, file: Path) -> Result:
    name = name_of(node)
    if name in scope.bindings:
        return scope.bindings[name]
    return Unresolved(f"{name}", file, line_of(node))


def _traversal(node: Node) -> list[str] | None:
    """`local.a.b` -> ["local", "a", "b"]; None when it is not a plain traversal."""
    if node.data == "identifier":
        return [name_of(node)]
    if node.data == "expr_term" and len(children(node)) == 1:
        return _traversal(children(node)[0])
    if node.data == "get_attr_expr_term":
        base, attribute = children(node)
        head = _traversal(base)
        return None if head is None else [*head, name_of(children(attribute)[0])]
    return None


def _get_attr(node: Node, scope: Scope, file: Path) -> Result:
    path = _traversal(node)
    line = line_of(node)
    if path is None:
        base, attribute = children(node)
        value = evaluate(base, scope, file)
        return _attribute_of(value, name_of(children(attribute)[0]), file, line)
    head, *rest = path
    if head == "local" and rest:
        value = _local(rest[0], scope, file, line)
        rest = rest[1:]
    elif head == "var" and rest:
        value = _variable(rest[0], scope, file, line)
        rest = rest[1:]
    elif head == "path" and rest == ["module"]:
        # As in Terraform: relative to the root module, where file() paths start.
        return Value(os.path.relpath(scope.directory, scope.root), file, line)
    elif head in scope.bindings:
        value = scope.bindings[head]
    elif head == "module" and len(rest) == 2 and rest[0] in scope.module_calls:
        return _container_module_output(scope.module_calls[rest[0]], rest[1], scope, line)
    else:
        return Unresolved(".".join(path) + " (known only to Terraform)", file, line)
    for key in rest:
        value = _attribute_of(value, key, file, line)
    return value


# The well-known container-definition modules take a container's names as arguments of the
# module call, in ECS's own shape: the call's arguments are what the container receives,
# whether or not the module's source is on disk (a registry module before `terraform init`).
# source (without version) -> (the argument naming the container, output -> shape).
CONTAINER_MODULES: dict[str, tuple[str, dict[str, str]]] = {
    "cloudposse/ecs-container-definition/aws": (
        "container_name",
        {
            "json_map_encoded_list": "list",
            "json_map_encoded": "object",
            "json_map_object": "object",
        },
    ),
    "terraform-aws-modules/ecs/aws//modules/container-definition": (
        "name",
        {"container_definition": "object"},
    ),
}


def _container_module_output(call: Block, output: str, scope: Scope, line: int) -> Result:
    """module.X.OUTPUT of a known container-definition module: one container from its call."""
    attributes = call.attributes()
    source = evaluate(attributes["source"], scope, call.file) if "source" in attributes else None
    known = CONTAINER_MODULES.get(str(source.value)) if isinstance(source, Value) else None
    shape = known[1].get(output) if known else None
    reference = f"module.{call.labels[0]}.{output}"
    if known is None or shape is None:
        return Unresolved(f"{reference} (known only to Terraform)", call.file, line)
    fields: dict[str, Result] = {}
    for argument, key in (
        (known[0], "name"),
        ("environment", "environment"),
        ("secrets", "secrets"),
    ):
        if argument in attributes:
            fields[key] = evaluate(attributes[argument], scope, call.file)
    container = Value(fields, call.file, call.line)
    return Value([container], call.file, call.line) if shape == "list" else container


def _attribute_of(value: Result, attribute: str, file: Path, line: int) -> Result:
    if isinstance(value, Unresolved):
        return value
    if isinstance(value.value, dict) and attribute in value.value:
        found: Result = value.value[attribute]
        return found
    return Unresolved(f"attribute {attribute}", file, line)


def _local(name: str, scope: Scope, file: Path, line: int) -> Result:
    if name not in scope.locals:
        return Unresolved(f"local.{name} (not defined in this module)", file, line)
    if name in scope.local_values:
        return scope.local_values[name]
    if name in scope.resolving:
        return Unresolved(f"local.{name} (refers to itself)", file, line)
    scope.resolving.add(name)
    try:
        value = evaluate(scope.locals[name], scope, scope.local_files[name])
    finally:
        scope.resolving.discard(name)
    scope.local_values[name] = value
    return value


def _variable(name: str, scope: Scope, file: Path, line: int) -> Result:
    value = scope.variables.get(name)
    if value is None:
        return Unresolved(f"var.{name} (no literal default)", file, line)
    return value


def _index(node: Node, scope: Scope, file: Path) -> Result:
    base, index = children(node)
    value = evaluate(base, scope, file)
    key_node = children(index)[0] if children(index) else None
    if key_node is None:
        position = str(index.children[-1])
        key: Result = Value(int(position), file, line_of(index))
    else:
        key = evaluate(key_node, scope, file)
    if isinstance(value, Unresolved):
        return value
    if isinstance(key, Unresolved):
        return key
    container = value.value
    try:
        found: Result = container[key.value]
    except (KeyError, IndexError, TypeError):
        return Unresolved(f"index {key.value!r}", file, line_of(node))
    return found


def _function(node: Node, scope: Scope, file: Path) -> Result:
    parts = children(node)
    name = name_of(parts[0])
    arguments_node = next((p for p in parts[1:] if p.data == "arguments"), None)
    arguments = (
        [evaluate(a, scope, file) for a in children(arguments_node)] if arguments_node else []
    )
    line = line_of(node)
    for argument in arguments:
        if isinstance(argument, Unresolved):
            return argument
    values = [a for a in arguments if isinstance(a, Value)]
    if name in ("jsonencode", "tolist", "toset", "tomap") and len(values) == 1:
        return values[0]
    if name == "concat":
        return Value(
            [item for v in values for item in (v.value if isinstance(v.value, list) else [])],
            file,
            line,
        )
    if name == "merge":
        merged: dict[str, Result] = {}
        for v in values:
            merged.update(v.value if isinstance(v.value, dict) else {})
        return Value(merged, file, line)
    if name in ("lower", "upper") and len(values) == 1 and isinstance(values[0].value, str):
        text = values[0].value
        return Value(
            text.lower() if name == "lower" else text.upper(), values[0].file, values[0].line
        )
    if name == "jsondecode" and len(values) == 1 and isinstance(values[0].value, str):
        return from_json_text(values[0].value, file, values[0].line)
    if name == "file" and len(values) == 1 and isinstance(values[0].value, str):
        return _file(values[0].value, scope, file, line)
    return Unresolved(f"{name}(...)", file, line)


def _file(relative: str, scope: Scope, file: Path, line: int) -> Result:
    """file(): a regular file inside the repository and under MAX_FILE_FUNCTION_BYTES only."""
    path = Path(relative)
    path = (path if path.is_absolute() else scope.root / path).resolve()
    shown = f'file("{relative}")'
    if not path.is_relative_to(scope.budget.repository):
        return Unresolved(f"{shown} (outside the repository: not read)", file, line)
    try:
        text = read_bytes(path, FILE_FUNCTION).decode("utf-8")
    except InputFileError as error:
        if error.short == "cannot read":
            return Unresolved(f"{shown} (not found or not UTF-8)", file, line)
        return Unresolved(f"{shown} ({error.short}: not read)", file, line)
    except UnicodeDecodeError:
        return Unresolved(f"{shown} (not found or not UTF-8)", file, line)
    return Value(JsonText(text, path, 1), path, 1)


def _heredoc(node: Node, scope: Scope, file: Path) -> Result:
    token = str(node.children[0])
    lines = token.splitlines()
    text = "\n".join(lines[1:-1])
    if "${" in text.replace("$${", ""):
        return Unresolved("a heredoc with interpolation", file, line_of(node))
    return Value(JsonText(text, file, line_of(node) + 1), file, line_of(node))


def _for_tuple(node: Node, scope: Scope, file: Path) -> Result:
    parts = children(node)
    intro = next(p for p in parts if p.data == "for_intro")
    body = [p for p in parts if p is not intro and p.data != "for_cond"]
    if any(p.data == "for_cond" for p in parts) or not body:
        return Unresolved("a for expression with a condition", file, line_of(node))
    names = [name_of(p) for p in children(intro) if p.data == "identifier"]
    source = evaluate(children(intro)[-1], scope, file)
    if isinstance(source, Unresolved):
        return source
    if isinstance(source.value, dict):
        pairs: list[tuple[Any, Result]] = list(source.value.items())
    elif isinstance(source.value, list):
        pairs = list(enumerate(source.value))
    else:
        return Unresolved("a for expression over a non-collection", file, line_of(node))
    items: list[Result] = []
    for key, item in pairs:
        # A map key is written on its value's line.
        line = item.line if isinstance(item, Value) else line_of(node)
        binding = (
            {names[0]: item}
            if len(names) == 1
            else {names[0]: Value(key, file, line), names[1]: item}
        )
        items.append(evaluate(body[0], scope.bind(**binding), file))
    return Value(items, file, line_of(node))


_HANDLERS: dict[str, Callable[[Node, Scope, Path], Result]] = {
    "expr_term": _expr_term,
    "int_lit": _literal,
    "float_lit": _literal,
    "literal_value": _literal,
    "string": _string,
    "tuple": _tuple,
    "object": _object,
    "identifier": _identifier,
    "get_attr_expr_term": _get_attr,
    "index_expr_term": _index,
    "function_call": _function,
    "heredoc_template": _heredoc,
    "heredoc_template_trim": _heredoc,
    "for_tuple_expr": _for_tuple,
}
