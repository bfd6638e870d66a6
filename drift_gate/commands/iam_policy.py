"""`drift-gate iam-policy`: the least-privilege IAM policy JSON for a policy file; with
`--lambda-hook`, the deployment hook's two roles (with `--events`, its function also
re-checks on ECS events); with `--await-hook`, a pipeline step's role (docs/deploy-hook.md#iam)."""

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
    events: bool = False
    github_token_secret: str | None = None
    await_hook: bool = False


def run(given: IamPolicyArguments) -> int:
    from drift_gate.commands._policy_path import required_policy
    from drift_gate.iam import (
        EventsRecheck,
        await_hook_policy,
        hook_function_policy,
        hook_invoke_role,
        least_privilege,
    )
    from drift_gate.policy import load_policy

    refuse_mixed_options(given)
    policy = load_policy(required_policy(given.policy, "give --policy FILE"))
    document: dict[str, Any]
    if given.await_hook:
        document = await_hook_policy(policy)
    elif given.lambda_hook:
        url = given.policy_object.url if given.policy_object else None
        events = (
            EventsRecheck(given.metrics_namespace, given.github_token_secret)
            if given.events
            else None
        )
        document = {
            "FunctionRolePolicy": hook_function_policy(policy, given.function_name, url, events),
            "InvokeRole": hook_invoke_role(policy, given.function_name),
        }
    else:
        document = least_privilege(policy, given.metrics_namespace, given.stacks)
    echo(json.dumps(document, indent=2))
    return ExitCode.PASS


def refuse_mixed_options(given: IamPolicyArguments) -> None:
    """Options that belong to another role than the one asked for: exit 2, one line."""
    import click

    hook_only = given.policy_object or given.function_name != "drift-gate-hook" or given.events
    if given.await_hook and (given.lambda_hook or hook_only or given.metrics_namespace):
        raise click.UsageError(
            "--await-hook prints the pipeline step's role alone: leave out --lambda-hook, "
            "--function-name, --policy-object, --events and --publish-metrics"
        )
    if not given.lambda_hook and hook_only:
        raise click.UsageError(
            "--function-name, --policy-object and --events go with --lambda-hook"
        )
    if given.stacks and (given.lambda_hook or given.await_hook):
        raise click.UsageError(
            "the hooks read no stack: --stack goes with check's role, without --lambda-hook "
            "and --await-hook"
        )
    if given.github_token_secret and not given.events:
        raise click.UsageError("--github-token-secret goes with --lambda-hook --events")
    if given.lambda_hook and given.metrics_namespace and not given.events:
        raise click.UsageError(
            "the hook publishes no metrics: --publish-metrics goes with --events (the re-check), "
            "or without --lambda-hook"
        )
