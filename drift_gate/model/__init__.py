"""The data drift-gate reasons about, as frozen pydantic models, one module per side:

- `live`: what ECS reports (containers reduced to names and references, task definitions,
  services, deployments);
- `declared`: what an environment, service and container must have, whoever declares it;
- `plan`: a Terraform plan, reduced to what drift-gate checks;
- `report`: findings, link states and the report every output format renders;
- `levels`: severities, --fail-on, verdicts and link states as plain enums (no pydantic);
- `base`: `Frozen`, the base of every model.

Names, never values: no model holds an environment or secret value.

Every public name is importable from here (`from drift_gate.model import Finding`). They are
imported when first asked for, so that importing one enum (`FailOn`, for the command line)
does not load pydantic and the other modules.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from drift_gate.model.base import (
        Frozen,
    )
    from drift_gate.model.declared import (
        MAX_LOG_WINDOW,
        ContainerPolicy,
        Declared,
        DeclaredContainer,
        DeclaredName,
        DeclaredScope,
        DeclaredSecret,
        DeclaredSource,
        DeclaredVariable,
        DeepChecks,
        EnvironmentPolicy,
        LogPolicy,
        RoleChecks,
        SecretChecks,
        SelectorPolicy,
        ServicePolicy,
        ServiceSelector,
        SmokeHeader,
        SmokeRequest,
    )
    from drift_gate.model.levels import (
        FailOn,
        LinkState,
        Severity,
        Verdict,
    )
    from drift_gate.model.live import (
        ContainerVars,
        Deployment,
        LiveEnvVar,
        LiveSecret,
        ServiceState,
        TaskDefinitionSpec,
        split_task_definition_arn,
    )
    from drift_gate.model.plan import (
        TERRAFORM_ENVIRONMENT,
        UNCHANGED_ACTIONS,
        DeferredChange,
        OutputChange,
        Plan,
        PlannedService,
        PlannedTaskDefinition,
        ResourceChange,
    )
    from drift_gate.model.report import (
        CheckedService,
        Finding,
        LinkResult,
        Report,
        ScannedScope,
        SmokeResult,
        Stats,
        Target,
        ToolInfo,
        Waived,
    )

# Each public name and the module that defines it.
_DEFINED_IN = {
    "Frozen": "base",
    "FailOn": "levels",
    "LinkState": "levels",
    "Severity": "levels",
    "Verdict": "levels",
    "ContainerVars": "live",
    "Deployment": "live",
    "LiveEnvVar": "live",
    "LiveSecret": "live",
    "ServiceState": "live",
    "TaskDefinitionSpec": "live",
    "split_task_definition_arn": "live",
    "ContainerPolicy": "declared",
    "Declared": "declared",
    "DeclaredScope": "declared",
    "DeclaredSource": "declared",
    "DeclaredContainer": "declared",
    "DeclaredName": "declared",
    "DeclaredSecret": "declared",
    "DeclaredVariable": "declared",
    "DeepChecks": "declared",
    "EnvironmentPolicy": "declared",
    "LogPolicy": "declared",
    "MAX_LOG_WINDOW": "declared",
    "RoleChecks": "declared",
    "SecretChecks": "declared",
    "SelectorPolicy": "declared",
    "ServicePolicy": "declared",
    "ServiceSelector": "declared",
    "SmokeHeader": "declared",
    "SmokeRequest": "declared",
    "CheckedService": "report",
    "Finding": "report",
    "LinkResult": "report",
    "Report": "report",
    "ScannedScope": "report",
    "SmokeResult": "report",
    "Stats": "report",
    "Target": "report",
    "ToolInfo": "report",
    "Waived": "report",
    "DeferredChange": "plan",
    "OutputChange": "plan",
    "Plan": "plan",
    "PlannedService": "plan",
    "PlannedTaskDefinition": "plan",
    "ResourceChange": "plan",
    "TERRAFORM_ENVIRONMENT": "plan",
    "UNCHANGED_ACTIONS": "plan",
}

__all__ = [
    "MAX_LOG_WINDOW",
    "TERRAFORM_ENVIRONMENT",
    "UNCHANGED_ACTIONS",
    "CheckedService",
    "ContainerPolicy",
    "ContainerVars",
    "Declared",
    "DeclaredContainer",
    "DeclaredName",
    "DeclaredScope",
    "DeclaredSecret",
    "DeclaredSource",
    "DeclaredVariable",
    "DeepChecks",
    "DeferredChange",
    "Deployment",
    "EnvironmentPolicy",
    "FailOn",
    "Finding",
    "Frozen",
    "LinkResult",
    "LinkState",
    "LiveEnvVar",
    "LiveSecret",
    "LogPolicy",
    "OutputChange",
    "Plan",
    "PlannedService",
    "PlannedTaskDefinition",
    "Report",
    "ResourceChange",
    "RoleChecks",
    "ScannedScope",
    "SecretChecks",
    "SelectorPolicy",
    "ServicePolicy",
    "ServiceSelector",
    "ServiceState",
    "Severity",
    "SmokeHeader",
    "SmokeRequest",
    "SmokeResult",
    "Stats",
    "Target",
    "TaskDefinitionSpec",
    "ToolInfo",
    "Verdict",
    "Waived",
    "split_task_definition_arn",
]


# Defined for the interpreter only: mypy reads the imports above, so a misspelt name still
# fails type checking instead of becoming Any.
if not TYPE_CHECKING:

    def __getattr__(name: str) -> Any:
        module = _DEFINED_IN.get(name)
        if module is None:
            raise AttributeError(f"module 'drift_gate.model' has no attribute {name!r}")
        from importlib import import_module

        value = getattr(import_module(f"drift_gate.model.{module}"), name)
        globals()[name] = value  # asked once: later look-ups do not come here
        return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
