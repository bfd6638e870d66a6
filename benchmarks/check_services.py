"""Benchmark: `drift-gate check` on 20 services vs a bare boto3 script, both against moto over HTTP.

Prints the median wall time of each (whole processes, as CI runs them), their ratio, and
drift-gate's AWS calls by operation next to the minimum the checks need:
ceil(S/10) DescribeServices + distinct task definitions + one family lookup per family
+ ceil(distinct SSM names / 50) DescribeParameters + one DescribeSecret per Secrets Manager secret.

    python benchmarks/check_services.py [--runs 9] [--services 20] [--latency-ms 0] [--before DIR]

--latency-ms delays every moto response, as a network round trip to AWS would (tens of ms);
both drift-gate and the bare script pay it on every call. The CPU time (user+sys) of each
process is compared too, drift-gate's against a bare script making the same calls: the
client-side cost per call, which the moto server's own CPU does not blur. --before DIR also
runs DIR's drift_gate (`git archive COMMIT drift_gate | tar -x -C DIR`), alternated.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
from pathlib import Path
from typing import Any

import boto3
from _timing import (
    Command,
    add_latency,
    alternate_cpu,
    before_env,
    median_ms,
    moto_on_loopback,
    ratio,
)

from drift_gate import _moto_compat
from drift_gate.demo import ECS_TASKS_TRUST

REGION = "us-east-1"
CLUSTER = "bench"

# What a team would write by hand: describe the services, then each running task definition.
BARE_BOTO3 = """
import sys, boto3
names = sys.argv[1].split(",")
ecs = boto3.client("ecs", region_name="us-east-1")
arns = []
for start in range(0, len(names), 10):
    response = ecs.describe_services(cluster="bench", services=names[start:start + 10])
    for service in response["services"]:
        primary = next(d for d in service["deployments"] if d["status"] == "PRIMARY")
        arns.append(primary["taskDefinition"])
for arn in arns:
    ecs.describe_task_definition(taskDefinition=arn)
if len(sys.argv) > 2:  # the same calls drift-gate needs: plus the latest ACTIVE revision per family
    for arn in arns:
        family = arn.rsplit("/", 1)[1].rsplit(":", 1)[0]
        ecs.list_task_definitions(familyPrefix=family, status="ACTIVE", sort="DESC")
"""

# The same calls drift-gate makes (every link: 94 for 20 services), one after another, with
# the same four clients, checking nothing: the baseline of the CPU-time comparison, which
# measures what each side spends per call on the client (issue 24).
BARE_ALL_CALLS = """
import sys, boto3
names = sys.argv[1].split(",")
ecs = boto3.client("ecs", region_name="us-east-1")
arns = []
for start in range(0, len(names), 10):
    response = ecs.describe_services(cluster="bench", services=names[start:start + 10])
    for service in response["services"]:
        primary = next(d for d in service["deployments"] if d["status"] == "PRIMARY")
        arns.append(primary["taskDefinition"])
role, parameters, secrets = None, [], []
for arn in arns:
    definition = ecs.describe_task_definition(taskDefinition=arn)["taskDefinition"]
    role = definition.get("executionRoleArn", role)
    for container in definition["containerDefinitions"]:
        for secret in container.get("secrets", []):
            source = secret["valueFrom"]
            (secrets if source.startswith("arn:") else parameters).append(source)
for arn in arns:
    family = arn.rsplit("/", 1)[1].rsplit(":", 1)[0]
    ecs.list_task_definitions(familyPrefix=family, status="ACTIVE", sort="DESC")
for name in names:
    for status in ("RUNNING", "STOPPED"):
        ecs.list_tasks(cluster="bench", serviceName=name, desiredStatus=status, maxResults=100)
secretsmanager = boto3.client("secretsmanager", region_name="us-east-1")
for secret in secrets:
    secretsmanager.describe_secret(SecretId=secret)
ssm = boto3.client("ssm", region_name="us-east-1")
for start in range(0, len(parameters), 50):
    batch = parameters[start:start + 50]
    ssm.describe_parameters(
        ParameterFilters=[{"Key": "Name", "Option": "Equals", "Values": batch}], MaxResults=50
    )
iam = boto3.client("iam", region_name="us-east-1")
for start in range(0, len(secrets), 50):
    iam.simulate_principal_policy(
        PolicySourceArn=role,
        ActionNames=["secretsmanager:GetSecretValue"],
        ResourceArns=secrets[start:start + 50],
    )
"""


def execution_role(iam: object) -> str:
    """One execution role allowed to read every secret (what the account's module grants)."""
    read = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["secretsmanager:GetSecretValue", "ssm:GetParameters"],
                "Resource": "*",
            }
        ],
    }
    client: Any = iam
    arn = client.create_role(RoleName="bench-execution", AssumeRolePolicyDocument=ECS_TASKS_TRUST)
    client.put_role_policy(
        RoleName="bench-execution", PolicyName="read", PolicyDocument=json.dumps(read)
    )
    return str(arn["Role"]["Arn"])


def build_account(endpoint: str, services: int) -> list[str]:
    """`services` services, each on its own family; every second one lacks API_KEY. DATABASE_URL
    is an SSM parameter reference (none exists), API_KEY a Secrets Manager secret (each exists),
    so both secret stores are asked, as in a real account."""
    ecs = boto3.client("ecs", region_name=REGION, endpoint_url=endpoint)
    secretsmanager = boto3.client("secretsmanager", region_name=REGION, endpoint_url=endpoint)
    ecs.create_cluster(clusterName=CLUSTER)
    role = execution_role(boto3.client("iam", region_name=REGION, endpoint_url=endpoint))
    names = []
    for index in range(services):
        name = f"svc-{index:02d}"
        secrets = [{"name": "DATABASE_URL", "valueFrom": f"/bench/{name}/db"}]
        if index % 2 == 0:
            key = secretsmanager.create_secret(Name=f"bench/{name}/key", SecretString="x")["ARN"]
            secrets.append({"name": "API_KEY", "valueFrom": key})
        arn = ecs.register_task_definition(
            family=name,
            executionRoleArn=role,  # one role for all, as teams often share one
            containerDefinitions=[
                {
                    "name": "app",
                    "image": "app",
                    "memory": 128,
                    "secrets": secrets,
                    "environment": [{"name": "LOG_LEVEL", "value": "info"}],
                }
            ],
        )["taskDefinition"]["taskDefinitionArn"]
        ecs.create_service(cluster=CLUSTER, serviceName=name, taskDefinition=arn, desiredCount=1)
        _moto_compat.settle(CLUSTER, name, REGION)
        names.append(name)
    return names


def write_policy(path: Path, names: list[str]) -> None:
    lines = ["version: 1", "environments:", "  bench:", f"    region: {REGION}", "    services:"]
    for name in names:
        lines += [
            f"      - cluster: {CLUSTER}",
            f"        service: {name}",
            "        containers:",
            "          app:",
            "            secrets: [DATABASE_URL, API_KEY]",
            "            environment: [LOG_LEVEL]",
        ]
    path.write_text("\n".join(lines) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--services", type=int, default=20)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--before", help="also run this directory's drift_gate (a before figure)")
    options = parser.parse_args()

    with moto_on_loopback(REGION) as (endpoint, env):
        names = build_account(endpoint, options.services)
        add_latency(options.latency_ms / 1000)
        with tempfile.TemporaryDirectory() as scratch:
            policy = Path(scratch) / "policy.yaml"
            write_policy(policy, names)
            commands = {
                "drift-gate": Command(gate_command(policy, Path(scratch) / "r.json"), 1, env),
                "bare": Command([sys.executable, "-c", BARE_BOTO3, ",".join(names)], env=env),
                "same calls": Command(
                    [sys.executable, "-c", BARE_BOTO3, ",".join(names), "with-family-lookups"],
                    env=env,
                ),
                "all calls": Command(
                    [sys.executable, "-c", BARE_ALL_CALLS, ",".join(names)], env=env
                ),
            }
            if options.before:
                before = gate_command(policy, Path(scratch) / "before.json")
                commands["before"] = Command(before, 1, before_env(options.before, env))
            timings, cpu = alternate_cpu(commands, options.runs)
            calls = json.loads((Path(scratch) / "r.json").read_text())["stats"]["aws_calls"]
    print_figures(options, timings, cpu, calls)


def gate_command(policy: Path, report: Path) -> list[str]:
    drift_gate = str(Path(sys.executable).parent / "drift-gate")
    return [
        drift_gate,
        "check",
        "--policy",
        str(policy),
        "--format",
        "json",
        "--output",
        str(report),
    ]


def print_figures(
    options: argparse.Namespace,
    timings: dict[str, list[float]],
    cpu: dict[str, list[float]],
    calls: dict[str, int],
) -> None:
    services = options.services
    ssm_names = services  # DATABASE_URL everywhere
    api_keys = (services + 1) // 2  # a Secrets Manager secret on every second service
    minimum = {
        "ecs:DescribeServices": math.ceil(services / 10),
        "ecs:DescribeTaskDefinition": services,
        "ecs:ListTaskDefinitions": services,
        # The running-tasks link: RUNNING and STOPPED, one page each (moto starts no task, so
        # no DescribeTasks); the images are not in ECR, so no DescribeImages.
        "ecs:ListTasks": 2 * services,
        # The secret-store link: SSM names 50 a call (none of them exist here, one page each).
        "ssm:DescribeParameters": math.ceil(ssm_names / 50),
        "secretsmanager:DescribeSecret": api_keys,  # one per distinct secret
        # The execution-role link: one role, one action on the secrets that exist (the SSM
        # names do not: not asked), up to 50 a call.
        "iam:SimulatePrincipalPolicy": math.ceil(api_keys / 50),
    }
    print(
        f"services: {services} ({services // 2 + services % 2} complete, {services // 2} missing "
        f"API_KEY); runs: {options.runs}; added latency per call: {options.latency_ms:.0f} ms"
    )
    gate, bare_times, same = timings["drift-gate"], timings["bare"], timings["same calls"]
    target = 1.3 if options.latency_ms == 0 else 1.0
    print(f"drift-gate check median: {median_ms(gate)}")
    print(f"bare boto3 script median: {median_ms(bare_times)}")
    print(f"ratio: {ratio(gate, bare_times, target)}")
    ecs_calls = sum(count for operation, count in minimum.items() if operation.startswith("ecs:"))
    print(f"bare boto3 with the same {ecs_calls} ECS calls median: {median_ms(same)}")
    print(f"ratio to the same calls: {ratio(gate, same)}")
    print_cpu(cpu, sum(minimum.values()))
    if "before" in timings:
        print(f"before ({options.before}): drift-gate check median: {median_ms(timings['before'])}")
        print(f"ratio: {ratio(timings['before'], bare_times, target)}")
        print(f"CPU ratio: {ratio(cpu['before'], cpu['all calls'], 1.3)}")
    print("AWS calls by operation (drift-gate / minimum):")
    for operation in sorted(set(calls) | set(minimum)):
        print(f"  {operation}: {calls.get(operation, 0)} / {minimum.get(operation, 0)}")
    print(f"  total: {sum(calls.values())} / {sum(minimum.values())}")


def print_cpu(cpu: dict[str, list[float]], calls: int) -> None:
    """The processes' own CPU time (user + sys): what each side spends on the client."""
    gate, bare = cpu["drift-gate"], cpu["all calls"]
    print(f"CPU time (user+sys), drift-gate: {median_ms(gate)}")
    print(f"CPU time, bare boto3 making the same {calls} calls: {median_ms(bare)}")
    print(f"CPU ratio: {ratio(gate, bare, 1.3)}")
    print(f"CPU time, bare boto3 (describe only): {median_ms(cpu['bare'])}")


if __name__ == "__main__":
    main()
