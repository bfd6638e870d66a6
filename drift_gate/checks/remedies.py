"""Exact fix commands, built from the target so a person can copy and run them."""

from __future__ import annotations

import shlex

from drift_gate.model import Target


def redeploy_command(target: Target, family: str | None = None) -> str:
    """The aws CLI call that rolls the service onto the latest (or the family's latest) revision."""
    parts = ["aws", "ecs", "update-service"]
    parts += ["--cluster", str(target.cluster), "--service", str(target.service)]
    if family:
        parts += ["--task-definition", family]
    parts += ["--force-new-deployment"]
    if target.region:
        parts += ["--region", target.region]
    return shlex.join(parts)
