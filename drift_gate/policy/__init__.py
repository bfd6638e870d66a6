"""Policy files: YAML -> JSON Schema (every error, with file, line and path) -> frozen models.

- `models`: the Policy, its waivers and their limits, a PolicyProblem;
- `schema`: the JSON Schema (drift_gate/schemas/policy.schema.json) and its errors;
- `problems`: every problem of a parsed policy (`find_problems`), schema's and beyond;
- `validity`: the validity cache, keyed on the bytes of every module that decides validity;
- `building`: a valid document -> Policy (`load_policy`, `policy_from_document`).

What a policy declares for environments, services and containers is the declared model
(drift_gate/model/declared.py), which other declared sources produce too; it is re-exported
here so that `from drift_gate.policy import ServicePolicy` keeps working.
"""

from __future__ import annotations

from drift_gate.model.declared import (
    MAX_LOG_WINDOW,
    ContainerPolicy,
    DeclaredSecret,
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
from drift_gate.policy.building import (
    build_valid_policy,
    load_policy,
    policy_from_document,
    select_environments,
)
from drift_gate.policy.models import Policy, PolicyProblem, WaiverLimits, WaiverPolicy
from drift_gate.policy.problems import find_problems, is_loopback
from drift_gate.policy.schema import policy_schema
from drift_gate.policy.validity import known_valid, remember_valid

__all__ = [
    "MAX_LOG_WINDOW",
    "ContainerPolicy",
    "DeclaredSecret",
    "DeclaredVariable",
    "DeepChecks",
    "EnvironmentPolicy",
    "LogPolicy",
    "Policy",
    "PolicyProblem",
    "RoleChecks",
    "SecretChecks",
    "SelectorPolicy",
    "ServicePolicy",
    "ServiceSelector",
    "SmokeHeader",
    "SmokeRequest",
    "WaiverLimits",
    "WaiverPolicy",
    "build_valid_policy",
    "find_problems",
    "is_loopback",
    "known_valid",
    "load_policy",
    "policy_from_document",
    "policy_schema",
    "remember_valid",
    "select_environments",
]
