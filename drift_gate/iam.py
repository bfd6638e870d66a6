"""The least-privilege IAM policy for one drift-gate policy file.

The same read-only actions as docs/iam-policy.json, with logs:FilterLogEvents limited to the
log groups the policy declares (it returns log lines) and PutMetricData to one namespace.
The ECS and secret-metadata actions stay on "*": which task definitions and secrets a
service uses is known only from what it runs, and DescribeParameters has no resource.
"""

from __future__ import annotations

from dataclasses import dataclass
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


def least_privilege(
    policy: Policy, metrics_namespace: str | None = None, stacks: tuple[str, ...] = ()
) -> dict[str, Any]:
    """The IAM policy document a check of `policy` needs, and nothing more; `stacks`: the
    CloudFormation stacks `check --cfn-template --stack` matches by their physical ids."""
    statements = _reads(policy)
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
    if stacks:
        statements.append(stack_statement(policy, stacks))
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


def _reads(policy: Policy) -> list[dict[str, Any]]:
    """What every check reads: ECS, image metadata, secret metadata (never a value)."""
    listing = (
        ["ecs:ListClusters", "ecs:ListServices"]
        if any(environment.selectors for environment in policy.environments)
        else []  # only `match:` entries make `check` list what runs
    )
    return [
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


def stack_statement(policy: Policy, stacks: tuple[str, ...]) -> dict[str, Any]:
    """cloudformation:DescribeStackResources on these stacks only, in the policy's regions."""
    regions = sorted({e.region for e in policy.environments})
    return {
        "Sid": "DriftGateStackResources",
        "Effect": "Allow",
        "Action": ["cloudformation:DescribeStackResources"],
        "Resource": [
            f"arn:{partition(region)}:cloudformation:{region}:*:stack/{stack}/*"
            for region in regions
            for stack in stacks
        ],
    }


# --- The Lambda hook's roles (docs/deploy-hook.md#iam) --------------------------------------

HOOK_FUNCTION = "drift-gate-hook"  # the function's name when none is given


def _hook_reads(policy: Policy) -> list[dict[str, Any]]:
    """The read-only calls the hook makes for `policy`: the revision and its task definition,
    then the links that need no running task, as the policy's `checks:` switch them."""
    environments = policy.environments
    services, _, revisions = _service_scopes(policy)
    statements: list[dict[str, Any]] = [
        {
            "Sid": "DriftGateReadTheTargetRevision",
            "Effect": "Allow",
            "Action": [
                "ecs:DescribeServices",
                "ecs:DescribeTaskDefinition",
                # after scale-up (POST_SCALE_UP): the target revision's tasks
                "ecs:ListTasks",
                "ecs:DescribeTasks",
            ],
            "Resource": "*",
        },
        {
            # Scoped as --await-hook scopes it: the policy's services and their revisions
            # (the Service Authorization Reference names both resources for this action).
            "Sid": "DriftGateDescribeTheServicesRevisions",
            "Effect": "Allow",
            "Action": ["ecs:DescribeServiceRevisions"],
            "Resource": services + revisions,
        },
    ]
    if any(environment.checks.images is not False for environment in environments):
        statements.append(
            {
                "Sid": "DriftGateImageMetadata",
                "Effect": "Allow",
                "Action": ["ecr:DescribeImages"],
                "Resource": "*",
            }
        )
    if any(environment.secret_checks != "off" for environment in environments):  # noqa: S105
        statements.append(
            {
                "Sid": "DriftGateSecretMetadataOnly",
                "Effect": "Allow",
                "Action": ["secretsmanager:DescribeSecret", "ssm:DescribeParameters"],
                "Resource": "*",
            }
        )
    if any(environment.checks.execution_role != "off" for environment in environments):
        statements.extend(execution_role_statements(policy))
    return statements


def s3_object_arn(url: str, region: str = "us-east-1") -> str:
    """`s3://bucket/key` -> the object's ARN (no region or account in an S3 ARN)."""
    bucket, _, key = url.removeprefix("s3://").partition("/")
    return f"arn:{partition(region)}:s3:::{bucket}/{key}"


def hook_function_policy(
    policy: Policy,
    function_name: str = HOOK_FUNCTION,
    policy_url: str | None = None,
    events: EventsRecheck | None = None,
) -> dict[str, Any]:
    """The hook function's role policy: the reads above, its own log group, and the policy
    object when the policy comes from S3. Never a secret's value, a parameter's or Decrypt;
    with `events`, the re-check's reads and writes (events_statements) as well."""
    partitions = sorted({partition(environment.region) for environment in policy.environments})
    group = f"log-group:/aws/lambda/{function_name}"
    statements = _hook_reads(policy)
    if events is not None:
        statements.extend(events_statements(policy, events))
    statements.append(
        {
            "Sid": "DriftGateFunctionLog",
            "Effect": "Allow",
            "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": [
                arn
                for name in partitions
                for arn in (f"arn:{name}:logs:*:*:{group}", f"arn:{name}:logs:*:*:{group}:*")
            ],
        }
    )
    if policy_url is not None:
        statements.append(
            {
                "Sid": "DriftGatePolicyObject",
                "Effect": "Allow",
                "Action": ["s3:GetObject"],
                "Resource": [s3_object_arn(policy_url, region) for region in _regions(policy)],
            }
        )
    return {"Version": "2012-10-17", "Statement": _unique(statements)}


def hook_invoke_role(policy: Policy, function_name: str = HOOK_FUNCTION) -> dict[str, Any]:
    """The role ECS invokes the hook with: ECS may assume it, and it may invoke the function."""
    partitions = sorted({partition(environment.region) for environment in policy.environments})
    functions = [f"arn:{name}:lambda:*:*:function:{function_name}" for name in partitions]
    return {
        "AssumeRolePolicyDocument": {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "ecs.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                }
            ],
        },
        "Policy": {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "EcsInvokesTheDriftGateHook",
                    "Effect": "Allow",
                    "Action": ["lambda:InvokeFunction"],
                    "Resource": functions[0] if len(functions) == 1 else functions,
                }
            ],
        },
    }


def _regions(policy: Policy) -> list[str]:
    """One region per partition the policy names (an S3 ARN differs only by partition)."""
    by_partition = {partition(e.region): e.region for e in policy.environments}
    return sorted(by_partition.values())


def _unique(statements: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for statement in statements:
        resource = statement.get("Resource")
        if isinstance(resource, list):
            statement["Resource"] = sorted(set(resource)) if len(set(resource)) > 1 else resource[0]
    return statements


# --- The re-check on deployment events (`--lambda-hook --events`) ---------------------------


@dataclass(frozen=True)
class EventsRecheck:
    """What the function that re-checks a service on ECS events may also do: publish metrics
    in one namespace, and read drift-gate's own GitHub token from one secret."""

    metrics_namespace: str | None = None
    github_token_secret: str | None = None


def events_statements(policy: Policy, events: EventsRecheck) -> list[dict[str, Any]]:
    """check's reads for one running service beyond the hook's (the family's latest revision,
    the declared log groups), PutMetricData in one namespace, and GetSecretValue on exactly
    the token's secret: the one value drift-gate ever reads. The calls, from the code:
    engine/on_event.py (DescribeServices: a stale deployment), engine/service_checks.py
    (DescribeServices, DescribeTaskDefinition, ListTaskDefinitions), the links (_hook_reads:
    the tasks, images, secrets' metadata, the simulator, kms:DescribeKey), commands/on_event.py
    (PutMetricData, the token); tests/e2e/test_hook_iam.py runs them under this role."""
    statements: list[dict[str, Any]] = [
        {
            "Sid": "DriftGateReadTheFamilysLatest",
            "Effect": "Allow",
            # check compares the deployed revision with its family's latest, whatever the
            # links (the tasks are the hook's reads already, for POST_SCALE_UP).
            "Action": ["ecs:ListTaskDefinitions"],
            "Resource": "*",
        }
    ]
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
    if events.metrics_namespace:
        statements.append(
            {
                "Sid": "DriftGateRecheckMetrics",
                "Effect": "Allow",
                "Action": ["cloudwatch:PutMetricData"],
                "Resource": "*",
                "Condition": {"StringEquals": {"cloudwatch:namespace": events.metrics_namespace}},
            }
        )
    if events.github_token_secret:
        statements.append(
            {
                "Sid": "DriftGateGitHubTokenOnly",
                "Effect": "Allow",
                "Action": ["secretsmanager:GetSecretValue"],
                "Resource": events.github_token_secret,
            }
        )
    return statements


# --- The pause hook's pipeline role (`--await-hook`) ----------------------------------------


def _arn_part(name: str | None) -> str:
    """A cluster or service name, or a `match:` pattern, as a part of an IAM ARN: IAM knows
    `*` and `?`, not fnmatch's `[...]` (then any name)."""
    if name is None or "[" in name:
        return "*"
    return name.rsplit("/", 1)[-1] if name.startswith("arn:") else name


def _declared_services(policy: Policy) -> list[tuple[str, str]]:
    """(arn:PARTITION:ecs:REGION:ACCOUNT, CLUSTER/SERVICE) of every service the policy
    declares, by name or by a `match:` entry's patterns; an unnamed account is any."""
    found: list[tuple[str, str]] = []
    for environment in policy.environments:
        region = environment.region
        prefix = f"arn:{partition(region)}:ecs:{region}:{environment.account or '*'}"
        for service in environment.services:
            found.append((prefix, f"{_arn_part(service.cluster)}/{service.service}"))
        for selector in environment.selectors:
            match = selector.match
            found.append((prefix, f"{_arn_part(match.cluster)}/{_arn_part(match.service)}"))
    return found


def _service_scopes(policy: Policy) -> tuple[list[str], list[str], list[str]]:
    """The ARNs of the policy's services, of their deployments and of their revisions."""
    services = _declared_services(policy)
    return (
        sorted({f"{prefix}:service/{name}" for prefix, name in services}),
        sorted({f"{prefix}:service-deployment/{name}/*" for prefix, name in services}),
        sorted({f"{prefix}:service-revision/{name}/*" for prefix, name in services}),
    )


def await_hook_policy(policy: Policy) -> dict[str, Any]:
    """The role of a pipeline step running `drift-gate await-hook` for `policy`'s services:
    the hook's reads, the service deployments' reads, and the one write, answering a PAUSE
    hook, on those services' deployments only. The Service Authorization Reference lists
    both `service` and `service-deployment` (or `service-revision`) as required resources
    of DescribeServiceDeployments, DescribeServiceRevisions and ContinueServiceDeployment,
    and `service` for ListServiceDeployments: each statement names both."""
    service_arns, deployments, revisions = _service_scopes(policy)
    own = {"DriftGateReadTheTargetRevision", "DriftGateDescribeTheServicesRevisions"}
    statements = [statement for statement in _hook_reads(policy) if statement["Sid"] not in own]
    statements[:0] = [
        {
            "Sid": "DriftGateReadServices",
            "Effect": "Allow",
            "Action": ["ecs:DescribeServices", "ecs:DescribeTaskDefinition"],
            "Resource": "*",
        },
        {
            "Sid": "DriftGateReadDeployments",
            "Effect": "Allow",
            "Action": [
                "ecs:DescribeServiceDeployments",
                "ecs:DescribeServiceRevisions",
                "ecs:ListServiceDeployments",
            ],
            "Resource": service_arns + deployments + revisions,
        },
        {
            "Sid": "DriftGateAnswerPauseHooks",
            "Effect": "Allow",
            "Action": ["ecs:ContinueServiceDeployment"],
            "Resource": service_arns + deployments,
        },
    ]
    return {"Version": "2012-10-17", "Statement": _unique(statements)}
