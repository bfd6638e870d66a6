"""The declared sides the live check gathers: the policy and a Terraform plan as
`DeclaredSource`s (model/declared.py), beside any side registered in
drift_gate/declared_sides.py. Each turns its input into the one declared model: environments
of services with their containers' required names and where each is declared, plus its own
findings (what it could not resolve, what it refuses). engine/gate.py reads only that model.

Sources are read in order; each is told what the ones before it declared, so a plan does not
report as "not checked" a service the policy declares (it is checked against the policy).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from drift_gate.errors import InvalidInputError
from drift_gate.model import Declared, DeclaredScope, DeclaredSource, Plan
from drift_gate.policy import Policy, select_environments

if TYPE_CHECKING:  # the HCL reader is imported only by runs that read Terraform sources
    from drift_gate.sources.tf_sources import TerraformSources


def gather(sources: Sequence[DeclaredSource], scope: DeclaredScope) -> Declared:
    """Every source's declared services and findings, in order."""
    declared = Declared()
    for source in sources:
        already = scope.already | declared.services()
        told = DeclaredScope(scope.environment, scope.region, already, scope.clients)
        declared = declared.plus(source.declared(told))
    return declared


@dataclass(frozen=True)
class PolicySource:
    """The policy: its environments (all, or the one --environment names)."""

    policy: Policy

    @property
    def label(self) -> str:
        return self.policy.source

    def declared(self, scope: DeclaredScope) -> Declared:
        return Declared(tuple(select_environments(self.policy, scope.environment)))


@dataclass(frozen=True)
class PlanInput:
    """A Terraform plan to check, and where it came from."""

    plan: Plan
    source: str
    sources: TerraformSources | None = None
    directory: Path | None = None
    exit_code: int | None = None
    workspace: str | None = None  # where drift-gate ran the plan; None for a given plan


@dataclass(frozen=True)
class PlanSource:
    """A Terraform plan: its own findings (what is declared and not applied, DG5xx) and the
    services whose task definition it declares (engine/declared.py)."""

    plan_input: PlanInput

    @property
    def label(self) -> str:
        return self.plan_input.source

    def declared(self, scope: DeclaredScope) -> Declared:
        from drift_gate.checks.plan import PlanContext, check_plan
        from drift_gate.engine.declared import services_from_plan

        given, plan = self.plan_input, self.plan_input.plan
        region = _plan_region(scope.region, plan)
        from_plan = None
        if plan.services:
            if not region:
                raise InvalidInputError(
                    f"{given.source}: cannot tell the AWS region of the services it declares; "
                    "pass --region"
                )
            from_plan = services_from_plan(plan, given.sources, region, scope.already)
        context = PlanContext(
            region=region,
            sources=given.sources,
            directory=given.directory,
            exit_code=given.exit_code,
            services_by_task_definition=from_plan.services_by_task_definition if from_plan else {},
        )
        findings = check_plan(plan, context) + list(from_plan.findings if from_plan else ())
        environments = (from_plan.environment,) if from_plan and from_plan.environment else ()
        return Declared(environments, tuple(findings))


def _plan_region(chosen: str | None, plan: Plan) -> str | None:
    """--region, else the plan's provider region, else the AWS configuration's."""
    return (
        chosen
        or plan.region
        or os.environ.get("AWS_REGION")
        or os.environ.get("AWS_DEFAULT_REGION")
    )


__all__ = [
    "Declared",
    "DeclaredScope",
    "DeclaredSource",
    "PlanInput",
    "PlanSource",
    "PolicySource",
    "gather",
]
