"""Declared container definitions read from .tf files, offline: no terraform, no AWS.

python-hcl2 parses each file to a syntax tree (its dict output flattens `jsonencode(...)`
into a string, so the tree is walked instead). A small evaluator resolves what is known
statically: literals, objects, tuples, string templates, `local.*`, `var.*` (literal defaults,
or a module call's arguments), `path.module`, `for` expressions over known lists, `for_each`
instances, and jsonencode / jsondecode / file() / heredoc JSON. Anything else (a resource
attribute, a data source, a conditional) is Unresolved with its file and line: never a guess.
Every value carries the line it was written on.
"""

from drift_gate.sources.hcl.declarations import (
    DeclaredService,
    DeclaredTaskDefinition,
    TerraformContainer,
    TerraformDeclarations,
    TerraformName,
)
from drift_gate.sources.hcl.modules import load_declarations
from drift_gate.sources.hcl.tree import MAX_TF_FILE_BYTES
from drift_gate.sources.hcl.values import Unresolved, Value

__all__ = [
    "MAX_TF_FILE_BYTES",
    "DeclaredService",
    "DeclaredTaskDefinition",
    "TerraformContainer",
    "TerraformDeclarations",
    "TerraformName",
    "Unresolved",
    "Value",
    "load_declarations",
]
