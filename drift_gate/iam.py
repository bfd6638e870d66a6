"""The least-privilege IAM policy for one drift-gate policy file.

The same read-only actions as docs/iam-policy.json, with logs:FilterLogEvents limited to the
log groups the policy declares (it returns log lines) and PutMetricData to one namespace.
The ECS and secret-metadata actions stay on "*": which task definitions and secrets a
service uses is known only from what it runs, and DescribeParameters has no resource.
"""

from __future__ import annotations

from typing import Any

from drift_gate.policy import Policy


def partition(region: str) -> str:
    """The ARN partition of a region (China and GovCloud regions have their own)."""
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def log_group_arns(policy: Policy) -> list[str]:
    """Each declared log group, as FilterLogEvents' resource, in any account of its region:
    the group's ARN and the same with `:*` (its streams), as CloudWatch Logs may authorise
    either form."""
    arns: set[str] = set()
    for env, service in policy.services:
        if service.logs is not None:
            group = (
                f"arn:{partition(env.region)}:logs:{env.region}:*:log-group:{service.logs.group}"
            )
            arns.update({group, f"{group}:*"})
    return sorted(arns)


def execution_role_statements(policy: Policy) -> list[dict[str, Any]]:
    """Asking IAM what an execution role may do (never doing it), and naming a KMS key by
    its ARN when a secret names it by alias. Which roles and keys: known from what runs."""
    partitions = sorted({partition(environment.region) for environment in policy.environments})
    return [
        {
            "Sid": "DriftGateAskWhatExecutionRolesMayRead",
            "Effect": "Allow",
            "Action": ["iam:SimulatePrincipalPolicy"],
            "Resource": [f"arn:{name}:iam::*:role/*" for name in partitions],
        },
        {
            "Sid": "DriftGateKeyMetadata",
            "Effect": "Allow",
            "Action": ["kms:DescribeKey"],
            "Resource": "*",
        },
    ]


def least_privilege(policy: Policy, metrics_namespace: str | None = None) -> dict[str, Any]:
    """The IAM policy document a check of `policy` needs, and nothing more."""
    listing = (
        ["ecs:ListClusters", "ecs:ListServices"]
        if any(environment.selectors for environment in policy.environments)
        else []  # only `match:` entries make `check` list what runs
    )
    statements: list[dict[str, Any]] = [
        {
            "Sid": "DriftGateReadEcs",
            "Effect": "Allow",
            "Action": sorted(
                [
                    "ecs:DescribeServices",
                    "ecs:DescribeTaskDefinition",
                    "ecs:DescribeTasks",
                    "ecs:ListTaskDefinitions",
                    "ecs:ListTasks",
                    *listing,
                ]
            ),
            "Resource": "*",
        },
        {
            # Which repositories the images are in is known only from what runs.
            "Sid": "DriftGateImageMetadata",
            "Effect": "Allow",
            "Action": ["ecr:DescribeImages"],
            "Resource": "*",
        },
        {
            "Sid": "DriftGateSecretMetadataOnly",
            "Effect": "Allow",
            "Action": ["secretsmanager:DescribeSecret", "ssm:DescribeParameters"],
            "Resource": "*",
        },
    ]
    if any(environment.checks.execution_role != "off" for environment in policy.environments):
        statements.extend(execution_role_statements(policy))
    groups = log_group_arns(policy)
    if groups:
        statements.append(
            {
                "Sid": "DriftGateApplicationLogs",
                "Effect": "Allow",
                "Action": ["logs:FilterLogEvents"],
                "Resource": groups,
            }
        )
    if metrics_namespace:
        statements.append(
            {
                "Sid": "DriftGateNightlyMetrics",
                "Effect": "Allow",
                "Action": ["cloudwatch:PutMetricData"],
                "Resource": "*",
                "Condition": {"StringEquals": {"cloudwatch:namespace": metrics_namespace}},
            }
        )
    return {"Version": "2012-10-17", "Statement": statements}
