"""`drift-gate iam-policy`: the least-privilege IAM policy JSON for a policy file."""

from __future__ import annotations

import json
from pathlib import Path

from drift_gate.commands._console import echo
from drift_gate.errors import ExitCode


def run(policy_path: Path, metrics_namespace: str | None) -> int:
    from drift_gate.iam import least_privilege
    from drift_gate.policy import load_policy

    document = least_privilege(load_policy(policy_path), metrics_namespace)
    echo(json.dumps(document, indent=2))
    return ExitCode.PASS
