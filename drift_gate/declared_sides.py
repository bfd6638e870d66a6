"""The declared sides read from a file besides the policy and the Terraform plan, registered
once. Each entry gives `check` its option (cli_options.py builds them from this table) and the
engine its source (a `DeclaredSource`, engine/declared_sources.py), so a new side is its
source module, its tests, one entry here and its docs (CONTRIBUTING.md, "Add a declared side").

Standard library only: the command line is built from this table, and `--help` must not
import pydantic or boto3 (tests/unit/test_layers.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from drift_gate.model.declared import DeclaredSource


@dataclass(frozen=True)
class DeclaredSide:
    """One kind of file that declares services: how the user gives it, what reads it."""

    name: str  # in the user's words: "CloudFormation template"
    option: str  # "--cloudformation-template"; repeatable
    metavar: str
    help: str
    source: str  # "module:Class": a class whose constructor takes the file's Path

    @property
    def parameter(self) -> str:
        """The option's name as click passes it: `--cloudformation-template` -> ..._template."""
        return self.option.lstrip("-").replace("-", "_")

    def source_for(self, path: Path) -> DeclaredSource:
        """The source reading `path`; its module is imported only when the side is used."""
        module, _, name = self.source.partition(":")
        made: DeclaredSource = getattr(import_module(module), name)(path)
        return made


# Registered declared sides, in the order their services are gathered (after the policy
# and the plan). Empty today: the policy and the Terraform plan have options of their own.
DECLARED_SIDES: tuple[DeclaredSide, ...] = ()
