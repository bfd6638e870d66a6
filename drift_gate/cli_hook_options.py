"""The options of `iam-policy` and `lifecycle-hook` (the deployment hook's commands), kept
beside cli_option_sets.py to keep it short. Standard library and click only."""

from __future__ import annotations

import re
from pathlib import Path

import click

from drift_gate.cli_option_sets import POLICY_FILE_OPTION
from drift_gate.cli_options import FOUND_POLICY, metrics_namespace, option
from drift_gate.errors import InvalidInputError
from drift_gate.policy_location import PolicyLocation, PolicyObject, policy_location

_FUNCTION_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")
_SECRET_ARN = re.compile(
    r"arn:aws(-cn|-us-gov)?:secretsmanager:[a-z]{2}(-[a-z]+)+-\d:\d{12}:secret:[A-Za-z0-9/_+=.@-]+"
)


def function_name(_context: click.Context, _parameter: click.Parameter, value: str) -> str:
    """A Lambda function's name as Lambda accepts it (1-64 letters, digits, - and _)."""
    if not _FUNCTION_NAME.fullmatch(value):
        raise click.BadParameter("a Lambda function's name is 1-64 letters, digits, - and _")
    return value


def secret_arn(
    _context: click.Context, _parameter: click.Parameter, value: str | None
) -> str | None:
    """A Secrets Manager secret's full ARN (what GetSecretValue is scoped to, exactly)."""
    if value is not None and not _SECRET_ARN.fullmatch(value):
        raise click.BadParameter(
            "give the secret's full ARN, arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME-AbCdEf"
        )
    return value


def policy_object(
    _context: click.Context, _parameter: click.Parameter, value: str | None
) -> PolicyObject | None:
    try:
        return None if value is None else PolicyObject.parse(value)
    except InvalidInputError as error:
        raise click.BadParameter(str(error)) from None


def hook_policy(
    _context: click.Context, _parameter: click.Parameter, value: str | None
) -> PolicyLocation | None:
    """--policy of lifecycle-hook: a file or s3://BUCKET/KEY (malformed: exit 2, as the
    function answers FAILED for it)."""
    return None if value is None else policy_location(value)


IAM_POLICY_OPTIONS = (
    POLICY_FILE_OPTION,
    option(
        "--publish-metrics",
        "metrics_namespace",
        metavar="NAMESPACE",
        callback=metrics_namespace,
        help="Also allow PutMetricData, in this namespace only (as check --publish-metrics uses).",
    ),
    option(
        "--stack",
        "stacks",
        multiple=True,
        metavar="NAME",
        help="Also allow cloudformation:DescribeStackResources on this stack (as check "
        "--cfn-template --stack uses); repeatable.",
    ),
    option(
        "--lambda-hook",
        is_flag=True,
        help="Print the deployment hook's roles instead: the function's role policy and the "
        "role ECS invokes it with (docs/deploy-hook.md).",
    ),
    option(
        "--function-name",
        default="drift-gate-hook",
        show_default=True,
        callback=function_name,
        help="With --lambda-hook: the function's name (its log group, what ECS may invoke).",
    ),
    option(
        "--policy-object",
        metavar="s3://BUCKET/KEY",
        callback=policy_object,
        help="With --lambda-hook: the policy's S3 object, when the function reads it from S3.",
    ),
    option(
        "--events",
        is_flag=True,
        help="With --lambda-hook: the function also re-checks services on ECS events (their "
        "running tasks, logs; --publish-metrics, --github-token-secret).",
    ),
    option(
        "--github-token-secret",
        metavar="ARN",
        callback=secret_arn,
        help="With --events: the Secrets Manager secret (full ARN) holding drift-gate's GitHub "
        "token; the function may read that one secret.",
    ),
    option(
        "--await-hook",
        is_flag=True,
        help="Print the role of a pipeline step running `drift-gate await-hook` instead.",
    ),
)

LIFECYCLE_HOOK_OPTIONS = (
    option(
        "--event",
        type=click.Path(path_type=Path),
        required=True,
        help="A saved lifecycle-hook invocation payload (JSON), as ECS sends the function.",
    ),
    option(
        "--policy",
        "policy_path",
        callback=hook_policy,
        help="The policy file, or s3://BUCKET/KEY. Default: DRIFT_GATE_POLICY, else "
        f"{FOUND_POLICY}.",
    ),
)

ON_EVENT_OPTIONS = (
    option(
        "--event",
        type=click.Path(path_type=Path),
        required=True,
        help="A saved EventBridge event (JSON): an ECS deployment or task state change.",
    ),
    LIFECYCLE_HOOK_OPTIONS[1],
    option(
        "--github-repository",
        "repository",
        metavar="OWNER/NAME",
        help="Keep the service's GitHub issue in step, as github-issues does (token from "
        "GITHUB_TOKEN, never printed; API from GITHUB_API_URL). Without it: the function's "
        "DRIFT_GATE_GITHUB_REPOSITORY and its token's secret, DRIFT_GATE_GITHUB_TOKEN_SECRET.",
    ),
    option(
        "--publish-metrics",
        "metrics_namespace",
        metavar="NAMESPACE",
        callback=metrics_namespace,
        help="After the re-check, put CloudWatch metrics in this namespace, as check does.",
    ),
)
