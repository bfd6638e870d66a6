"""The syntax tree the HCL reader walks: the part of lark's Tree and Token it uses, in plain
classes, so that a tree taken from the cache (tree_cache.py) needs neither lark nor
python-hcl2 to be imported (about 65 ms of every offline check).

`from_lark` turns the tree python-hcl2 parsed into these, keeping every rule name, token type,
token text and position.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

POSITIONS = ("line", "column", "end_line", "end_column", "start_pos", "end_pos")


class Meta:
    """Where a rule was written; `empty` when lark recorded no position (an empty rule)."""

    __slots__ = ("column", "empty", "end_column", "end_line", "end_pos", "line", "start_pos")

    def __init__(self) -> None:
        self.empty = True
        self.line = self.column = self.end_line = self.end_column = 0
        self.start_pos = self.end_pos = 0


class Token(str):
    """A terminal: its text is the string itself; its type and position are attributes."""

    type: str
    line: int | None
    column: int | None
    end_line: int | None
    end_column: int | None
    start_pos: int | None
    end_pos: int | None

    def __new__(cls, type_: str, value: str, **positions: int | None) -> Token:
        token = super().__new__(cls, value)
        token.type = type_
        for name in POSITIONS:
            setattr(token, name, positions.get(name))
        return token


class Tree:
    """A rule: its name (`data`), its children (trees and tokens) and its position."""

    __slots__ = ("children", "data", "meta")

    def __init__(self, data: str, children: list[Tree | Token], meta: Meta | None = None) -> None:
        self.data = data
        self.children = children
        self.meta = meta or Meta()

    def scan_values(self, predicate: Callable[[Any], bool]) -> Iterator[Any]:
        """Every non-tree child below this tree (depth first, in order) that `predicate` takes."""
        for child in self.children:
            if isinstance(child, Tree):
                yield from child.scan_values(predicate)
            elif predicate(child):
                yield child


def from_lark(node: Any) -> Tree | Token:
    """python-hcl2's lark tree (or token) as a Tree (or Token) of this module."""
    from lark import Token as LarkToken

    return _converted(node, LarkToken)


def _converted(node: Any, lark_token: type[Any]) -> Tree | Token:
    if isinstance(node, lark_token):
        return Token(node.type, str(node), **{name: getattr(node, name) for name in POSITIONS})
    meta = Meta()
    if not node.meta.empty:
        for name in POSITIONS:
            setattr(meta, name, getattr(node.meta, name, 0))
        meta.empty = False
    return Tree(str(node.data), [_converted(child, lark_token) for child in node.children], meta)
