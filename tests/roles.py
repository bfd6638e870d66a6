"""A task execution role for tests that register task definitions with secrets.

Real task definitions that reference secrets carry an executionRoleArn (DG307 otherwise);
this one may read every secret and parameter, so the execution-role link holds unless a
test narrows it. moto answers the simulator through drift_gate._moto_compat.
"""

from __future__ import annotations

import json
from typing import Any

import botocore.exceptions

from drift_gate.demo import ECS_TASKS_TRUST

READ_ANY_SECRET = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": ["secretsmanager:GetSecretValue", "ssm:GetParameters", "kms:Decrypt"],
            "Resource": "*",
        }
    ],
}


def execution_role(iam: Any, name: str = "app-execution", policy: Any = None) -> str:
    """The ARN of an execution role allowed `policy` (default: read any secret); created once."""
    try:
        arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=ECS_TASKS_TRUST)
    except botocore.exceptions.ClientError as error:
        if error.response["Error"]["Code"] != "EntityAlreadyExists":
            raise
        arn = iam.get_role(RoleName=name)
    iam.put_role_policy(
        RoleName=name, PolicyName="secrets", PolicyDocument=json.dumps(policy or READ_ANY_SECRET)
    )
    return str(arn["Role"]["Arn"])
