"""Where things are declared in .tf files: plan JSON has no line numbers, so we find them.

A resource is found by its block, `resource "TYPE" "NAME"`, read with the same HCL parser
as the offline checks (sources/hcl/tree.py), in the directory of its module; a variable
name by its quoted spelling within that block's lines (or, when it comes from a local or a
variable, anywhere in the module's files). Module directories come from
.terraform/modules/modules.json when `terraform init` wrote one, else from local sources.
A file the parser cannot read only means its locations are not known: never an error.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from drift_gate.addresses import split_address
from drift_gate.errors import InvalidInputError
from drift_gate.input_files import MODULE_MANIFEST, TF_FILE, read_bytes
from drift_gate.locations import shown
from drift_gate.repository import repository_root
from drift_gate.sources.hcl.tree import Block, parse_file


@dataclass(frozen=True)
class Place:
    """Where a resource block stands: its file, header line and closing line (1-based)."""

    file: Path
    start: int
    end: int


@dataclass
class TerraformSources:
    """Finds file:line for plan addresses and names under one Terraform root directory."""

    root: Path
    module_sources: dict[str, str] = field(default_factory=dict)
    display_base: Path = field(default_factory=Path.cwd)
    # A plan asks for many names in the same files: read and scan each file once.
    _file_lines: dict[Path, list[str]] = field(default_factory=dict, repr=False)
    _file_blocks: dict[Path, list[Block]] = field(default_factory=dict, repr=False)
    _blocks: dict[str, Place | None] = field(default_factory=dict, repr=False)

    @cached_property
    def _installed_modules(self) -> dict[str, str]:
        manifest = self.root / ".terraform" / "modules" / "modules.json"
        try:
            data = read_bytes(manifest, MODULE_MANIFEST, within=self._repository)
            modules = json.loads(data.decode("utf-8")).get("Modules", [])
        except (InvalidInputError, ValueError, AttributeError):
            return {}
        return {str(m.get("Key", "")): str(m.get("Dir", "")) for m in modules if m.get("Key")}

    def module_directory(self, address: str) -> Path | None:
        """The directory holding the module of this resource address, if it is on disk."""
        modules = [name for name, _ in split_address(address)[0]]
        if not modules:
            return self.root
        installed = self._installed_modules.get(".".join(modules))
        if installed:
            return self.root / installed
        directory = self.root
        for depth in range(1, len(modules) + 1):
            source = self.module_sources.get(".".join(f"module.{m}" for m in modules[:depth]), "")
            if not source.startswith(("./", "../")):
                return None  # a registry or git module: its files are not here
            directory = directory / source
        return directory

    def _files(self, directory: Path) -> list[Path]:
        return sorted(directory.glob("*.tf")) if directory.is_dir() else []

    @cached_property
    def _repository(self) -> Path:
        return repository_root(self.root)

    def _lines(self, path: Path) -> list[str]:
        if path not in self._file_lines:
            self._file_lines[path] = _lines(path, self._repository)
        return self._file_lines[path]

    def _parsed(self, path: Path) -> list[Block]:
        if path not in self._file_blocks:
            try:
                self._file_blocks[path] = parse_file(path, self._repository)
            except InvalidInputError:
                self._file_blocks[path] = []
        return self._file_blocks[path]

    def resource_block(self, address: str) -> Place | None:
        """The block of `resource "TYPE" "NAME"` for this address, in its module's files."""
        if address not in self._blocks:
            self._blocks[address] = self._find_block(address)
        return self._blocks[address]

    def _find_block(self, address: str) -> Place | None:
        directory = self.module_directory(address)
        _, kind, name, _ = split_address(address)
        if directory is None or not kind:
            return None
        for path in self._files(directory):
            for block in self._parsed(path):
                if block.kind == "resource" and block.labels == [kind, name]:
                    return Place(path, block.line, block.end_line or block.line)
        return None

    def where_resource(self, address: str) -> str | None:
        block = self.resource_block(address)
        return self._show(block.file, block.start) if block else None

    def where_name(self, address: str, name: str) -> str | None:
        """file:line of `"NAME"` inside the resource's block, else in its module, else the block."""
        block = self.resource_block(address)
        if block is None:
            return None
        quoted = re.compile(rf'"{re.escape(name)}"')
        lines = self._lines(block.file)
        for number in range(block.start, block.end + 1):
            if quoted.search(lines[number - 1]):
                return self._show(block.file, number)
        directory = block.file.parent
        for path in self._files(directory):
            for number, line in enumerate(self._lines(path), start=1):
                if quoted.search(line):
                    return self._show(path, number)
        return self._show(block.file, block.start)

    def _show(self, path: Path, line: int) -> str:
        return shown(path, line, self.display_base)


def _lines(path: Path, repository: Path) -> list[str]:
    try:
        return read_bytes(path, TF_FILE, within=repository).decode("utf-8").splitlines()
    except (InvalidInputError, UnicodeDecodeError):
        return []
