"""Terraform resource addresses: `module.a["x"].aws_ecs_service.api[0]` taken apart.

Pure string work, shared by the plan reader, the declared side and the Terraform sources, and
light to import (a check of a policy alone needs no plan reader).
"""

from __future__ import annotations

import re

_SEGMENT = re.compile(r'(?P<name>[^.\[\]]+)(?P<index>\[(?:"(?:[^"\\]|\\.)*"|[0-9]+)\])?')


def split_address(address: str) -> tuple[tuple[tuple[str, str | None], ...], str, str, str | None]:
    """`module.a["x"].aws_ecs_service.api[0]` -> (((a, '["x"]'),), type, name, '[0]')."""
    segments = [(m["name"], m["index"]) for m in _SEGMENT.finditer(address)]
    modules: list[tuple[str, str | None]] = []
    position = 0
    while position + 1 < len(segments) and segments[position][0] == "module":
        modules.append(segments[position + 1])
        position += 2
    if position < len(segments) and segments[position][0] == "data":
        position += 1
    rest = segments[position:]
    if len(rest) < 2:
        return tuple(modules), "", address, None
    return tuple(modules), rest[0][0], rest[1][0], rest[1][1]


def is_data_address(address: str) -> bool:
    """`module.a.data.aws_ecs_task_definition.x`: a data source, not a resource."""
    prefix = module_path(address)
    return address[len(prefix) :].lstrip(".").startswith("data.")


def module_path(address: str) -> str:
    """The module part of an address with its instance keys: `module.a["x"].module.b`."""
    modules, _, _, _ = split_address(address)
    return ".".join(f"module.{name}{index or ''}" for name, index in modules)
