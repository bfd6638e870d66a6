"""The declared sides read from a file besides the policy and the Terraform plan, registered
once. Each entry gives `check` its option (cli_options.py builds them from this table) and the
engine its source (a `DeclaredSource`, engine/declared_sources.py), so a new side is its
source module, its tests, one entry here and its docs (CONTRIBUTING.md, "Add a declared side").

Standard library only: the command line is built from this table, and `--help` must not
import pydantic or boto3 (tests/unit/test_layers.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from drift_gate.model.declared import DeclaredSource


@dataclass(frozen=True)
class SideSetting:
    """An option of `check` that only one side reads (`--stack NAME`): given once, it
    reaches the side's source as a keyword argument named as the option's parameter."""

    option: str
    metavar: str
    help: str

    @property
    def parameter(self) -> str:
        return self.option.lstrip("-").replace("-", "_")


@dataclass(frozen=True)
class DeclaredSide:
    """One kind of file that declares services: how the user gives it, what reads it."""

    name: str  # in the user's words: "CloudFormation template"
    option: str  # "--cloudformation-template"; repeatable
    metavar: str
    help: str
    source: str  # "module:Class": a class whose constructor takes the file's Path
    # "module:function" checking the side's files against the policy with --offline, called
    # as function(policy, request, files) -> Report; None: the side is checked live only.
    offline: str | None = None
    settings: tuple[SideSetting, ...] = ()

    @property
    def parameter(self) -> str:
        """The option's name as click passes it: `--cloudformation-template` -> ..._template."""
        return self.option.lstrip("-").replace("-", "_")

    def source_for(self, path: Path, settings: Mapping[str, str] | None = None) -> DeclaredSource:
        """The source reading `path`, given this side's settings; its module is imported only
        when the side is used."""
        module, _, name = self.source.partition(":")
        given = settings or {}
        mine = {s.parameter: given[s.parameter] for s in self.settings if s.parameter in given}
        made: DeclaredSource = getattr(import_module(module), name)(path, **mine)
        return made


CLOUDFORMATION = DeclaredSide(
    name="CloudFormation template",
    option="--cfn-template",
    metavar="FILE",
    help="A CloudFormation template (hand-written, `cdk synth`, `copilot svc package`, "
    "Express Mode), JSON or YAML; repeatable. Live: its services against what ECS runs; "
    "with --offline: its containers against the policy (docs/cloudformation.md).",
    source="drift_gate.engine.cfn_side:TemplateSource",
    offline="drift_gate.engine.cfn_templates:check_offline",
    settings=(
        SideSetting(
            "--stack",
            "NAME",
            "With --cfn-template: the deployed stack's name; its services are matched by "
            "the stack's physical ids (cloudformation:DescribeStackResources).",
        ),
        SideSetting(
            "--cfn-parameters",
            "FILE",
            "With --cfn-template: the parameter values a deploy passes (`copilot svc "
            "package`'s params file, or the AWS CLI's list), over the templates' defaults.",
        ),
        SideSetting(
            "--express-container",
            "NAME",
            "With --cfn-template: the name the policy gives an Express Mode service's "
            "primary container (default: Main).",
        ),
    ),
)

# Registered declared sides, in the order their services are gathered (after the policy
# and the plan); the policy and the Terraform plan have options of their own.
DECLARED_SIDES: tuple[DeclaredSide, ...] = (CLOUDFORMATION,)
