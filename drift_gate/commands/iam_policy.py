"""`drift-gate iam-policy`: the least-privilege IAM policy JSON for a policy file; with
`--lambda-hook`, the deployment hook's two roles (docs/deploy-hook.md#iam)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from drift_gate.commands._console import echo
from drift_gate.errors import ExitCode
from drift_gate.policy_location import PolicyObject


@dataclass(frozen=True)
class IamPolicyArguments:
    """What `drift-gate iam-policy` was given, as click parsed it."""

    policy: Path | None = None
    metrics_namespace: str | None = None
    stacks: tuple[str, ...] = ()
    lambda_hook: bool = False
    function_name: str = "drift-gate-hook"
    policy_object: PolicyObject | None = None


def run(given: IamPolicyArguments) -> int:
    import click

    from drift_gate.commands._policy_path import required_policy
    from drift_gate.iam import hook_function_policy, hook_invoke_role, least_privilege
    from drift_gate.policy import load_policy

    if not given.lambda_hook and (given.policy_object or given.function_name != "drift-gate-hook"):
        raise click.UsageError("--function-name and --policy-object go with --lambda-hook")
    if given.lambda_hook and (given.metrics_namespace or given.stacks):
        raise click.UsageError(
            "the hook publishes no metrics and reads no stack: --publish-metrics and --stack "
            "go without it"
        )
    policy = load_policy(required_policy(given.policy, "give --policy FILE"))
    document: dict[str, Any]
    if given.lambda_hook:
        url = given.policy_object.url if given.policy_object else None
        document = {
            "FunctionRolePolicy": hook_function_policy(policy, given.function_name, url),
            "InvokeRole": hook_invoke_role(policy, given.function_name),
        }
    else:
        document = least_privilege(policy, given.metrics_namespace, given.stacks)
    echo(json.dumps(document, indent=2))
    return ExitCode.PASS
