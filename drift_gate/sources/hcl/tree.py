"""The syntax tree of .tf files: python-hcl2's lark tree, its blocks, and where they are.

python-hcl2's dictionary output flattens `jsonencode(...)` into a string, so the tree is
walked instead; every node keeps the line it was written on.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from drift_gate.errors import InvalidInputError
from drift_gate.input_files import TF_FILE, read_bytes
from drift_gate.sources.hcl.syntax import Token, Tree, from_lark

Node = Tree
MAX_TF_FILE_BYTES = TF_FILE.limit  # a larger .tf file is exit 2, not 19 s of parsing


def line_of(node: Node | Token) -> int:
    if isinstance(node, Token):
        return node.line or 0
    return node.meta.line if not node.meta.empty else 0


def children(node: Node) -> list[Node]:
    """Children that carry meaning (no newlines, comments or punctuation)."""
    return [
        child
        for child in node.children
        if isinstance(child, Tree) and child.data != "new_line_or_comment"
    ]


def name_of(node: Node | Token) -> str:
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
    end_line: int = 0  # the line of its closing brace

    def attributes(self) -> dict[str, Node]:
        found: dict[str, Node] = {}
        for child in children(self.body):
            if child.data == "attribute":
                name_node, expression = children(child)[0], children(child)[-1]
                found[name_of(name_node)] = expression
        return found

    def blocks(self) -> Iterator[Block]:
        yield from blocks_of(self.body, self.file)


def blocks_of(body: Node, file: Path) -> Iterator[Block]:
    for child in children(body):
        if child.data != "block":
            continue
        parts = children(child)
        inner = next(p for p in parts if isinstance(p, Tree) and p.data == "body")
        names = [name_of(p) for p in parts if p is not inner]
        end = child.meta.end_line if not child.meta.empty else line_of(child)
        yield Block(names[0], names[1:], inner, file, line_of(child), end)


class HclSyntaxError(Exception):
    """python-hcl2 refused the text; `line` when it said where."""

    def __init__(self, kind: str, line: int | None) -> None:
        super().__init__(kind)
        self.kind, self.line = kind, line


def _tree_of(text: str) -> Node:
    """python-hcl2's tree of the text: from the content-addressed cache when this parser made
    it before (tree_cache.py), else parsed (python-hcl2 and lark imported only then) and kept."""
    from drift_gate.sources.hcl import tree_cache

    cached = tree_cache.load(text)
    if cached is not None:
        return cached
    import hcl2
    from lark.exceptions import LarkError

    try:
        parsed = from_lark(hcl2.parses_to_tree(text))
    except LarkError as error:
        raise HclSyntaxError(type(error).__name__, getattr(error, "line", None)) from None
    if not isinstance(parsed, Tree):
        raise HclSyntaxError("not a tree", None)
    tree_cache.store(text, parsed)
    return parsed


def parse_file(path: Path, repository: Path | None = None) -> list[Block]:
    """The blocks of one .tf file: a regular file of at most MAX_TF_FILE_BYTES, inside
    `repository` (symlinks resolved) when given (drift_gate/input_files.py)."""
    try:
        data = read_bytes(path, TF_FILE, within=repository)
        tree = _tree_of(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise InvalidInputError(f"{path}: not UTF-8 text") from None
    except HclSyntaxError as error:
        at = f":{error.line}" if error.line else ""
        raise InvalidInputError(f"{path}{at}: not valid HCL ({error.kind})") from None
    except RecursionError:
        raise InvalidInputError(f"{path}: expressions nested too deeply to read") from None
    body = next(c for c in tree.children if isinstance(c, Tree) and c.data == "body")
    return list(blocks_of(body, path))
