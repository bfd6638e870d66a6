"""Declared container definitions read from .tf files, offline: no terraform, no AWS.

python-hcl2 parses each file to a syntax tree (its dict output flattens `jsonencode(...)`
into a string, so the tree is walked instead). A small evaluator resolves what is known
statically: literals, objects, tuples, string templates, `local.*`, `var.*` (literal defaults,
or a module call's arguments), `path.module`, `for` expressions over known lists, `for_each`
instances, and jsonencode / jsondecode / file() / heredoc JSON. Anything else (a resource
attribute, a data source, a conditional) is Unresolved with its file and line: never a guess.
Every value carries the line it was written on.
"""

from __future__ import annotations

import json
import os
import re
import stat
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hcl2
from lark import Token, Tree
from lark.exceptions import LarkError

from drift_gate.credentials import token_format
from drift_gate.errors import InvalidInputError

Node = Tree[Any]

# Bounds on what the offline reader does with a user's Terraform: real configurations stay
# far below each, and a hostile or runaway one (count = 100000, locals that double 20 times,
# a module that sources itself, file("/dev/zero")) ends in Unresolved, reported as DG903,
# or a one-line error, in well under a second instead of hanging.
MAX_TF_FILE_BYTES = 1024 * 1024
MAX_FILE_FUNCTION_BYTES = 1024 * 1024
MAX_INSTANCES = 1000  # count / for_each instances expanded per resource
MAX_ITEMS = 10_000  # elements in one evaluated collection
MAX_STEPS = 500_000  # expressions evaluated in one run
MAX_DEPTH = 150  # nested expressions (each is a few Python frames: stays under the recursion limit)
MAX_MODULES = 200  # module instances loaded in one run
MAX_MODULE_DEPTH = 10
MAX_SECONDS = 20.0


@dataclass
class Budget:
    """What one run may spend evaluating; shared by every scope of the run."""

    repository: Path  # file() reads only below this
    steps: int = 0
    depth: int = 0
    modules: int = 0
    started: float = field(default_factory=time.monotonic)

    def exhausted(self) -> str | None:
        """Why evaluation must stop here, or None."""
        if self.steps > MAX_STEPS:
            return f"more than {MAX_STEPS:,} expressions to evaluate"
        if self.depth > MAX_DEPTH:
            return f"expressions nested deeper than {MAX_DEPTH}"
        if self.steps % 1024 == 0 and time.monotonic() - self.started > MAX_SECONDS:
            self.steps = MAX_STEPS + 1  # stays exhausted without asking the clock again
            return f"more than {MAX_SECONDS:g} s of evaluation"
        return None


def repository_root(directory: Path) -> Path:
    """The git work tree holding `directory`, else `directory` itself: file() stays inside."""
    resolved = directory.resolve()
    for candidate in (resolved, *resolved.parents):
        if (candidate / ".git").exists():
            return candidate
    return resolved


@dataclass(frozen=True)
class Unresolved:
    """A value only Terraform can know; `reason` says which expression."""

    reason: str
    file: Path
    line: int


@dataclass(frozen=True)
class Value:
    """An evaluated value and where it was written. `value` nests Values in lists and dicts."""

    value: Any
    file: Path
    line: int


Result = Value | Unresolved


@dataclass(frozen=True)
class DeclaredName:
    """A secret or plain variable name declared in Terraform, with its valueFrom when known."""

    name: str
    file: Path
    line: int
    value_from: str | None = None
    value_from_unresolved: Unresolved | None = None
    value_token_format: str | None = None  # a plain value in a known token format; never the value


@dataclass(frozen=True)
class DeclaredContainer:
    name: str
    secrets: tuple[DeclaredName, ...]
    environment: tuple[DeclaredName, ...]
    unresolved: tuple[Unresolved, ...]  # entries whose name could not be known


@dataclass(frozen=True)
class DeclaredTaskDefinition:
    address: str
    family: str | None
    file: Path
    line: int
    containers: tuple[DeclaredContainer, ...]
    unresolved: Unresolved | None = None  # container_definitions as a whole


@dataclass(frozen=True)
class DeclaredService:
    address: str
    name: str | None
    cluster: str | None
    task_definition_address: str | None
    file: Path
    line: int


@dataclass
class TerraformDeclarations:
    task_definitions: list[DeclaredTaskDefinition] = field(default_factory=list)
    services: list[DeclaredService] = field(default_factory=list)
    # Module calls whose resources were not read (not on disk, a cycle, past a bound): a
    # service not found elsewhere may be in one, so it is "could not verify", not "absent".
    unresolved_modules: list[Unresolved] = field(default_factory=list)


# --- The syntax tree ---------------------------------------------------------------------


def _line(node: Node | Token) -> int:
    if isinstance(node, Token):
        return node.line or 0
    return node.meta.line if not node.meta.empty else 0


def _children(node: Node) -> list[Node]:
    """Children that carry meaning (no newlines, comments or punctuation)."""
    return [
        child
        for child in node.children
        if isinstance(child, Tree) and child.data != "new_line_or_comment"
    ]


def _name(node: Node | Token) -> str:
    """The text of an identifier, a keyword or a plain string label."""
    if isinstance(node, Token):
        return str(node)
    if node.data == "string":
        return "".join(
            str(t)
            for part in node.children
            if isinstance(part, Tree)
            for t in part.children
            if isinstance(t, Token)
        )
    return "".join(str(t) for t in node.scan_values(lambda v: isinstance(v, Token)))


@dataclass
class Block:
    kind: str
    labels: list[str]
    body: Node
    file: Path
    line: int

    def attributes(self) -> dict[str, Node]:
        found: dict[str, Node] = {}
        for child in _children(self.body):
            if child.data == "attribute":
                name_node, expression = _children(child)[0], _children(child)[-1]
                found[_name(name_node)] = expression
        return found

    def blocks(self) -> Iterator[Block]:
        yield from _blocks(self.body, self.file)


def _blocks(body: Node, file: Path) -> Iterator[Block]:
    for child in _children(body):
        if child.data != "block":
            continue
        parts = _children(child)
        inner = next(p for p in parts if isinstance(p, Tree) and p.data == "body")
        names = [_name(p) for p in parts if p is not inner]
        yield Block(names[0], names[1:], inner, file, _line(child))


def parse_file(path: Path) -> list[Block]:
    try:
        size = path.stat().st_size
        if size > MAX_TF_FILE_BYTES:
            raise InvalidInputError(
                f"{path}: {size:,} bytes is more than drift-gate reads offline (1 MiB a .tf "
                "file); check it with the live check (a plan) instead"
            )
        tree = hcl2.parses_to_tree(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise InvalidInputError(f"{path}: cannot read ({error})") from error
    except LarkError as error:
        where = getattr(error, "line", None)
        at = f":{where}" if where else ""
        raise InvalidInputError(f"{path}{at}: not valid HCL ({type(error).__name__})") from None
    except RecursionError:
        raise InvalidInputError(f"{path}: expressions nested too deeply to read") from None
    body = next(c for c in tree.children if isinstance(c, Tree) and c.data == "body")
    return list(_blocks(body, path))


# --- The evaluator -----------------------------------------------------------------------


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
    line = _line(node)
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
    inner = _children(node)
    if len(inner) == 1:
        return evaluate(inner[0], scope, file)
    return Unresolved("an expression", file, _line(node))


def _literal(node: Node, scope: Scope, file: Path) -> Result:
    token = str(node.children[0])
    text = {"true": True, "false": False, "null": None}
    try:
        if node.data == "int_lit":
            return Value(int(token), file, _line(node))
        if node.data == "float_lit":
            return Value(float(token), file, _line(node))
    except ValueError:  # more digits than Python converts
        return Unresolved(f"a number of {len(token):,} digits", file, _line(node))
    return Value(text.get(token, token), file, _line(node))


def _string(node: Node, scope: Scope, file: Path) -> Result:
    parts: list[str] = []
    for part in node.children:
        if not isinstance(part, Tree):
            continue
        for piece in part.children:
            if isinstance(piece, Token):
                parts.append(_unescape(str(piece)))
            elif piece.data == "interpolation":
                inner = evaluate(_children(piece)[0], scope, file)
                if isinstance(inner, Unresolved):
                    return inner
                if isinstance(inner.value, JsonText):  # "${file(...)}": the file's text
                    parts.append(inner.value.text)
                elif scalar_text(inner) is not None:
                    parts.append(str(scalar_text(inner)))
                else:
                    return Unresolved("a list or object in a string template", file, _line(piece))
            else:
                return Unresolved("a template directive", file, _line(piece))
    return Value("".join(parts), file, _line(node))


def _unescape(text: str) -> str:
    return text.replace('\\"', '"').replace("\\n", "\n").replace("\\\\", "\\").replace("$${", "${")


def _tuple(node: Node, scope: Scope, file: Path) -> Result:
    items = [evaluate(child, scope, file) for child in _children(node)]
    return Value(items, file, _line(node))


def _object(node: Node, scope: Scope, file: Path) -> Result:
    elements: dict[str, Result] = {}
    for element in _children(node):
        key_node, value_node = _children(element)[0], _children(element)[-1]
        key = _object_key(key_node, scope, file)
        if isinstance(key, Unresolved):
            return key
        elements[key] = evaluate(value_node, scope, file)
    return Value(elements, file, _line(node))


def _object_key(node: Node, scope: Scope, file: Path) -> str | Unresolved:
    inner = _children(node)[0] if _children(node) else node
    while isinstance(inner, Tree) and inner.data == "expr_term" and len(_children(inner)) == 1:
        inner = _children(inner)[0]
    if isinstance(inner, Tree) and inner.data == "identifier":
        return _name(inner)
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
    name = _name(node)
    if name in scope.bindings:
        return scope.bindings[name]
    return Unresolved(f"{name}", file, _line(node))


def _traversal(node: Node) -> list[str] | None:
    """`local.a.b` -> ["local", "a", "b"]; None when it is not a plain traversal."""
    if node.data == "identifier":
        return [_name(node)]
    if node.data == "expr_term" and len(_children(node)) == 1:
        return _traversal(_children(node)[0])
    if node.data == "get_attr_expr_term":
        base, attribute = _children(node)
        head = _traversal(base)
        return None if head is None else [*head, _name(_children(attribute)[0])]
    return None


def _get_attr(node: Node, scope: Scope, file: Path) -> Result:
    path = _traversal(node)
    line = _line(node)
    if path is None:
        base, attribute = _children(node)
        value = evaluate(base, scope, file)
        return _attribute_of(value, _name(_children(attribute)[0]), file, line)
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
_CONTAINER_MODULES: dict[str, tuple[str, dict[str, str]]] = {
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
    known = _CONTAINER_MODULES.get(str(source.value)) if isinstance(source, Value) else None
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
    base, index = _children(node)
    value = evaluate(base, scope, file)
    key_node = _children(index)[0] if _children(index) else None
    if key_node is None:
        position = str(index.children[-1])
        key: Result = Value(int(position), file, _line(index))
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
        return Unresolved(f"index {key.value!r}", file, _line(node))
    return found


def _function(node: Node, scope: Scope, file: Path) -> Result:
    parts = _children(node)
    name = _name(parts[0])
    arguments_node = next((p for p in parts[1:] if p.data == "arguments"), None)
    arguments = (
        [evaluate(a, scope, file) for a in _children(arguments_node)] if arguments_node else []
    )
    line = _line(node)
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
        status = path.stat()
        if not stat.S_ISREG(status.st_mode):
            return Unresolved(f"{shown} (not a regular file: not read)", file, line)
        if status.st_size > MAX_FILE_FUNCTION_BYTES:
            return Unresolved(f"{shown} (larger than 1 MiB: not read)", file, line)
        with path.open("rb") as handle:
            data = handle.read(MAX_FILE_FUNCTION_BYTES + 1)
        text = data[:MAX_FILE_FUNCTION_BYTES].decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return Unresolved(f"{shown} (not found or not UTF-8)", file, line)
    return Value(JsonText(text, path, 1), path, 1)


def _heredoc(node: Node, scope: Scope, file: Path) -> Result:
    token = str(node.children[0])
    lines = token.splitlines()
    text = "\n".join(lines[1:-1])
    if "${" in text.replace("$${", ""):
        return Unresolved("a heredoc with interpolation", file, _line(node))
    return Value(JsonText(text, file, _line(node) + 1), file, _line(node))


def _for_tuple(node: Node, scope: Scope, file: Path) -> Result:
    parts = _children(node)
    intro = next(p for p in parts if p.data == "for_intro")
    body = [p for p in parts if p is not intro and p.data != "for_cond"]
    if any(p.data == "for_cond" for p in parts) or not body:
        return Unresolved("a for expression with a condition", file, _line(node))
    names = [_name(p) for p in _children(intro) if p.data == "identifier"]
    source = evaluate(_children(intro)[-1], scope, file)
    if isinstance(source, Unresolved):
        return source
    if isinstance(source.value, dict):
        pairs: list[tuple[Any, Result]] = list(source.value.items())
    elif isinstance(source.value, list):
        pairs = list(enumerate(source.value))
    else:
        return Unresolved("a for expression over a non-collection", file, _line(node))
    items: list[Result] = []
    for key, item in pairs:
        # A map key is written on its value's line.
        line = item.line if isinstance(item, Value) else _line(node)
        binding = (
            {names[0]: item}
            if len(names) == 1
            else {names[0]: Value(key, file, line), names[1]: item}
        )
        items.append(evaluate(body[0], scope.bind(**binding), file))
    return Value(items, file, _line(node))


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


@dataclass(frozen=True)
class JsonText:
    """A JSON document written as text (heredoc, file()): decoded only when it is needed."""

    text: str
    file: Path
    first_line: int

    def __repr__(self) -> str:
        # The text may hold values (a file of container definitions): never in a message.
        return f"JsonText(file={self.file}, first_line={self.first_line})"


def scalar_text(result: Result | None) -> str | None:
    """A name or reference as Terraform would turn it into a string; None for a list, an
    object or a document (never shown: its text could hold values)."""
    if isinstance(result, Value) and isinstance(result.value, str | int | float | bool):
        value = result.value
        return str(value).lower() if isinstance(value, bool) else str(value)
    return None


def from_json_text(text: str, file: Path, first_line: int) -> Result:
    """Decode JSON; each string gets the line it first appears on in the text."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        return Unresolved(
            f"JSON that does not parse ({error.msg})", file, first_line + error.lineno - 1
        )
    except (RecursionError, ValueError):
        return Unresolved("JSON nested too deeply or with too long a number", file, first_line)
    lines = text.splitlines()

    def wrap(value: Any, near: int) -> Value:
        if isinstance(value, dict):
            return Value({k: wrap(v, near) for k, v in value.items()}, file, near)
        if isinstance(value, list):
            return Value([wrap(v, near) for v in value], file, near)
        if isinstance(value, str):
            quoted = json.dumps(value)
            found = next((i for i, line in enumerate(lines) if quoted in line), None)
            return Value(value, file, first_line + found if found is not None else near)
        return Value(value, file, near)

    return wrap(document, first_line)


def plain(result: Result) -> Any:
    """A Value with its lines dropped (Unresolved stays), for comparisons and JSON text."""
    if isinstance(result, Unresolved):
        return result
    value = result.value
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


# --- Modules -----------------------------------------------------------------------------

_ADDRESS_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def _instance_key(key: Any) -> str:
    return f"[{key}]" if isinstance(key, int) else f'["{key}"]'


@dataclass
class Module:
    """One module directory: its blocks, and the scope its expressions are evaluated in."""

    directory: Path
    address: str
    blocks: list[Block]
    scope: Scope

    @classmethod
    def load(
        cls,
        directory: Path,
        address: str,
        inputs: Mapping[str, Result],
        root: Path,
        budget: Budget,
    ) -> Module:
        blocks = [block for path in sorted(directory.glob("*.tf")) for block in parse_file(path)]
        scope = Scope(directory, root, budget=budget)
        for block in blocks:
            if block.kind == "module" and len(block.labels) == 1:
                scope.module_calls[block.labels[0]] = block
            if block.kind == "locals":
                for name, expression in block.attributes().items():
                    scope.locals[name] = expression
                    scope.local_files[name] = block.file
        for block in blocks:
            if block.kind == "variable" and block.labels:
                name = block.labels[0]
                default = block.attributes().get("default")
                scope.variables[name] = inputs.get(name) or (
                    evaluate(default, scope, block.file) if default else None
                )
        return cls(directory, address, blocks, scope)

    def prefix(self, local: str) -> str:
        return f"{self.address}.{local}" if self.address else local


def load_declarations(root: Path) -> TerraformDeclarations:
    """Every aws_ecs_task_definition and aws_ecs_service under `root`, local modules included."""
    if not root.is_dir():
        raise InvalidInputError(f"{root}: not a directory; give --terraform-dir a Terraform folder")
    declarations = TerraformDeclarations()
    budget = Budget(repository_root(root))
    _load_module(Module.load(root, "", {}, root, budget), declarations, (root.resolve(),))
    return declarations


def _load_module(
    module: Module, declarations: TerraformDeclarations, ancestors: tuple[Path, ...]
) -> None:
    for block in module.blocks:
        if block.kind == "resource" and block.labels[:1] == ["aws_ecs_task_definition"]:
            declarations.task_definitions.extend(_task_definitions(module, block))
        elif block.kind == "resource" and block.labels[:1] == ["aws_ecs_service"]:
            declarations.services.extend(_services(module, block))
        elif block.kind == "module" and len(block.labels) == 1:
            _load_child(module, block, declarations, ancestors)


def _load_child(
    module: Module, block: Block, declarations: TerraformDeclarations, ancestors: tuple[Path, ...]
) -> None:
    attributes = block.attributes()
    name = module.prefix(f"module.{block.labels[0]}")
    source = (
        evaluate(attributes["source"], module.scope, block.file) if "source" in attributes else None
    )
    if isinstance(source, Value) and str(source.value) in _CONTAINER_MODULES:
        return  # a container-definition module: its names are read from the call itself
    if not isinstance(source, Value) or not str(source.value).startswith(("./", "../")):
        shown = f"source {source.value}" if isinstance(source, Value) else "its source"
        _not_read(declarations, f"{name} ({shown} is not on disk)", block)
        return
    directory = (module.directory / str(source.value)).resolve()
    budget = module.scope.budget
    if directory in ancestors:
        _not_read(declarations, f"{name} (its source {source.value} includes itself)", block)
        return
    if len(ancestors) > MAX_MODULE_DEPTH or budget.modules >= MAX_MODULES:
        _not_read(declarations, f"{name} (past {MAX_MODULES} modules or 10 levels)", block)
        return
    budget.modules += 1
    inputs = {
        name: evaluate(expression, module.scope, block.file)
        for name, expression in attributes.items()
        if name not in ("source", "version", "providers", "count", "for_each", "depends_on")
    }
    child = Module.load(directory, name, inputs, module.scope.root, budget)
    _load_module(child, declarations, (*ancestors, directory))


def _not_read(declarations: TerraformDeclarations, reason: str, block: Block) -> None:
    declarations.unresolved_modules.append(Unresolved(reason, block.file, block.line))


def _instances(module: Module, block: Block) -> list[tuple[str, Scope]]:
    """(address suffix, scope) for each instance: one, or one per for_each key or count index."""
    attributes = block.attributes()
    if "for_each" in attributes:
        keys = evaluate(attributes["for_each"], module.scope, block.file)
        if (
            isinstance(keys, Value)
            and isinstance(keys.value, dict | list)
            and len(keys.value) > MAX_INSTANCES
        ):
            keys = Unresolved(
                f"for_each over {len(keys.value):,} keys (more than {MAX_INSTANCES})",
                block.file,
                block.line,
            )
        if isinstance(keys, Value) and isinstance(keys.value, dict):
            return [
                (
                    _instance_key(k),
                    module.scope.bind(
                        each=Value(
                            {"key": Value(k, block.file, block.line), "value": v},
                            block.file,
                            block.line,
                        )
                    ),
                )
                for k, v in keys.value.items()
            ]
        if isinstance(keys, Value) and isinstance(keys.value, list):
            items = [v for v in keys.value if isinstance(v, Value)]
            return [
                (
                    _instance_key(v.value),
                    module.scope.bind(each=Value({"key": v, "value": v}, block.file, block.line)),
                )
                for v in items
            ]
        reason = keys.reason if isinstance(keys, Unresolved) else "not a literal collection"
        return [
            (
                "[*]",
                module.scope.bind(each=Unresolved(f"for_each ({reason})", block.file, block.line)),
            )
        ]
    if "count" in attributes:
        count = evaluate(attributes["count"], module.scope, block.file)
        if (
            isinstance(count, Value)
            and isinstance(count.value, int)
            and count.value > MAX_INSTANCES
        ):
            count = Unresolved(
                f"count = {count.value:,} (more than {MAX_INSTANCES} instances)",
                block.file,
                block.line,
            )
        if isinstance(count, Value) and isinstance(count.value, int):
            return [
                (
                    f"[{i}]",
                    module.scope.bind(
                        count=Value(
                            {"index": Value(i, block.file, block.line)}, block.file, block.line
                        )
                    ),
                )
                for i in range(count.value)
            ]
        return [
            (
                "[*]",
                module.scope.bind(
                    count=Unresolved(
                        count.reason if isinstance(count, Unresolved) else "count (not a literal)",
                        block.file,
                        block.line,
                    )
                ),
            )
        ]
    return [("", module.scope)]


def _task_definitions(module: Module, block: Block) -> Iterator[DeclaredTaskDefinition]:
    attributes = block.attributes()
    for suffix, scope in _instances(module, block):
        address = module.prefix(f"aws_ecs_task_definition.{block.labels[1]}{suffix}")
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


def _container(item: Result, block: Block) -> DeclaredContainer | None:
    if isinstance(item, Unresolved) or not isinstance(item.value, dict):
        return None
    fields = item.value
    name = scalar_text(fields.get("name"))
    if name is None:
        return None
    secrets, unresolved_secrets = _names(fields.get("secrets"), "valueFrom")
    environment, unresolved_environment = _names(fields.get("environment"), None)
    return DeclaredContainer(
        name, secrets, environment, unresolved_secrets + unresolved_environment
    )


def _names(
    entries: Result | None, reference: str | None
) -> tuple[tuple[DeclaredName, ...], tuple[Unresolved, ...]]:
    if entries is None:
        return (), ()
    if isinstance(entries, Unresolved):
        return (), (entries,)
    if not isinstance(entries.value, list):
        return (), (Unresolved("a list that is not a list", entries.file, entries.line),)
    names: list[DeclaredName] = []
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
            DeclaredName(
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


def _services(module: Module, block: Block) -> Iterator[DeclaredService]:
    attributes = block.attributes()
    for suffix, scope in _instances(module, block):
        address = module.prefix(f"aws_ecs_service.{block.labels[1]}{suffix}")
        name = evaluate(attributes["name"], scope, block.file) if "name" in attributes else None
        cluster = (
            evaluate(attributes["cluster"], scope, block.file) if "cluster" in attributes else None
        )
        reference = _task_definition_reference(attributes.get("task_definition"), suffix)
        yield DeclaredService(
            address,
            scalar_text(name),
            (scalar_text(cluster) or "").rsplit("/", 1)[-1] or None,
            module.prefix(reference) if reference else None,
            block.file,
            block.line,
        )


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
