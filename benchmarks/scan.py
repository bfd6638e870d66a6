"""Benchmark: `drift-gate scan` of 1,000 services in 20 clusters vs a bare boto3 script.

Both run against moto in server mode over HTTP with --latency-ms added to every answer (as a
round trip to AWS would). The bare script makes the same describe calls drift-gate needs,
with 8 threads across all clusters: ListClusters, ListServices per cluster, DescribeServices
by 10, DescribeTaskDefinition per distinct revision, ListTaskDefinitions per family,
DescribeSecret per distinct secret, DescribeParameters by 50 names. It reads nothing it does
not need and checks nothing, so it is the floor set by AWS's latency.

Prints, from alternated runs: the wall-time ratio (target <= 1.2), drift-gate's AWS calls
against that minimum (target <= 1.05x) and drift-gate's max RSS (target <= 150 MB).

    python benchmarks/scan.py [--runs 3] [--services 1000] [--clusters 20] [--latency-ms 25]

With --deep the scan also runs the links around the chain (running tasks, images, each
cluster's execution role asked of IAM's simulator): what those cost on top, in calls and
time. The bare script stays the same, so the wall ratio then measures the extra work.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import boto3
from _timing import add_latency, measure, moto_on_loopback

from drift_gate import _moto_compat
from drift_gate.demo import ECS_TASKS_TRUST

REGION = "us-east-1"

BARE_BOTO3 = """
import sys
from concurrent.futures import ThreadPoolExecutor
import boto3
from botocore.config import Config

config = Config(max_pool_connections=10)
ecs = boto3.client("ecs", region_name="us-east-1", config=config)
sm = boto3.client("secretsmanager", region_name="us-east-1", config=config)
ssm = boto3.client("ssm", region_name="us-east-1", config=config)
pool = ThreadPoolExecutor(8)

def name(arn):
    return arn.rsplit("/", 1)[1]

def batches(cluster):
    arns = ecs.list_services(cluster=cluster, maxResults=100)["serviceArns"]
    return [(cluster, [name(a) for a in arns[i:i + 10]]) for i in range(0, len(arns), 10)]

def describe(batch):
    return ecs.describe_services(cluster=batch[0], services=batch[1])["services"]

def latest(family):
    return ecs.list_task_definitions(familyPrefix=family, status="ACTIVE", sort="DESC")

def definition(arn):
    return ecs.describe_task_definition(taskDefinition=arn)["taskDefinition"]

def describe_secret(arn):
    try:
        sm.describe_secret(SecretId=arn)
    except sm.exceptions.ResourceNotFoundException:
        pass

def describe_parameters(names):
    names_filter = [{"Key": "Name", "Option": "Equals", "Values": names}]
    ssm.describe_parameters(ParameterFilters=names_filter)

clusters = [name(a) for a in ecs.list_clusters(maxResults=100)["clusterArns"]]
every_batch = [b for found in pool.map(batches, clusters) for b in found]
services = [s for found in pool.map(describe, every_batch) for s in found]
arns = sorted({
    d["taskDefinition"] for s in services for d in s["deployments"] if d["status"] == "PRIMARY"
})
families = sorted({name(a).rsplit(":", 1)[0] for a in arns})
looked_up = pool.map(latest, families)
definitions = list(pool.map(definition, arns))
list(looked_up)
references = {
    s["valueFrom"] for d in definitions for c in d["containerDefinitions"] for s in c["secrets"]
}
secrets = sorted(r for r in references if r.startswith("arn:aws:secretsmanager"))
parameters = sorted(r for r in references if not r.startswith("arn:"))
list(pool.map(describe_secret, secrets))
list(pool.map(describe_parameters, [parameters[i:i + 50] for i in range(0, len(parameters), 50)]))
"""


def build_account(endpoint: str, services: int, clusters: int) -> int:
    """`services` services spread over `clusters`, each on its own family. Every service reads
    an SSM parameter (none exists) and a Secrets Manager secret; every tenth secret does not
    exist. Returns how many services lack their secret."""
    ecs = boto3.client("ecs", region_name=REGION, endpoint_url=endpoint)
    secretsmanager = boto3.client("secretsmanager", region_name=REGION, endpoint_url=endpoint)
    iam = boto3.client("iam", region_name=REGION, endpoint_url=endpoint)
    roles = []
    for number in range(clusters):
        ecs.create_cluster(clusterName=f"cluster-{number:02d}")
        roles.append(execution_role(iam, f"cluster-{number:02d}-execution"))  # one per team
    missing = 0
    for index in range(services):
        name, cluster = f"svc-{index:04d}", f"cluster-{index % clusters:02d}"
        if index % 10 == 3:
            key = f"arn:aws:secretsmanager:{REGION}:123456789012:secret:gone/{name}-AbCdEf"
            missing += 1
        else:
            key = secretsmanager.create_secret(Name=f"bench/{name}", SecretString="x")["ARN"]
        arn = ecs.register_task_definition(
            family=name,
            executionRoleArn=roles[index % clusters],
            containerDefinitions=[
                {
                    "name": "app",
                    "image": "app",
                    "memory": 128,
                    "secrets": [
                        {"name": "API_KEY", "valueFrom": key},
                        {"name": "DATABASE_URL", "valueFrom": f"/bench/{name}/db"},
                    ],
                    "environment": [{"name": "LOG_LEVEL", "value": "info"}],
                }
            ],
        )["taskDefinition"]["taskDefinitionArn"]
        ecs.create_service(cluster=cluster, serviceName=name, taskDefinition=arn, desiredCount=1)
        _moto_compat.settle(cluster, name, REGION)
    return missing


def execution_role(iam: Any, name: str) -> str:
    """A role ECS tasks assume, allowed to read every secret."""
    read = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "*"}
        ],
    }
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=ECS_TASKS_TRUST)["Role"]["Arn"]
    iam.put_role_policy(RoleName=name, PolicyName="read", PolicyDocument=json.dumps(read))
    return str(arn)


def minimum_calls(services: int, clusters: int, deep: bool) -> dict[str, int]:
    per_cluster = [
        services // clusters + (1 if c < services % clusters else 0) for c in range(clusters)
    ]
    # With --deep: RUNNING and STOPPED tasks per service (none start on moto: no DescribeTasks;
    # the image is not in ECR: no DescribeImages), and per role (one per cluster) one
    # simulator question per 50 of the secrets that exist (nine in ten).
    existing = [
        n - sum(1 for i in range(c, services, clusters) if i % 10 == 3)
        for c, n in enumerate(per_cluster)
    ]
    deep_calls = {
        "ecs:ListTasks": 2 * services,
        "iam:SimulatePrincipalPolicy": sum(math.ceil(n / 50) for n in existing if n),
    }
    return (deep_calls if deep else {}) | {
        "ecs:ListClusters": 1,
        "ecs:ListServices": sum(max(1, math.ceil(n / 100)) for n in per_cluster),
        "ecs:DescribeServices": sum(math.ceil(n / 10) for n in per_cluster),
        "ecs:DescribeTaskDefinition": services,
        "ecs:ListTaskDefinitions": services,
        "secretsmanager:DescribeSecret": services,  # one per distinct secret, found or not
        "ssm:DescribeParameters": math.ceil(services / 50),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--services", type=int, default=1000)
    parser.add_argument("--clusters", type=int, default=20)
    parser.add_argument("--latency-ms", type=float, default=25.0)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--deep", action="store_true", help="scan --deep: the links around")
    options = parser.parse_args()

    with moto_on_loopback(REGION) as (endpoint, env):
        started = time.perf_counter()
        missing = build_account(endpoint, options.services, options.clusters)
        print(f"account built in {time.perf_counter() - started:.0f} s", file=sys.stderr)
        add_latency(options.latency_ms / 1000)
        with tempfile.TemporaryDirectory() as scratch:
            report = Path(scratch) / "scan.json"
            drift_gate = [
                str(Path(sys.executable).parent / "drift-gate"),
                "scan",
                "--region",
                REGION,
                "--quiet",
                "--concurrency",
                str(options.concurrency),
                *(["--deep"] if options.deep else []),
                "--format",
                "json",
                "--output",
                str(report),
            ]
            bare = [sys.executable, "-c", BARE_BOTO3]
            measure(bare, env, (0,))  # untimed: warms the file cache
            gate_runs: list[tuple[float, int]] = []
            bare_runs: list[tuple[float, int]] = []
            for _ in range(options.runs):
                gate_runs.append(measure(drift_gate, env, (1,)))
                bare_runs.append(measure(bare, env, (0,)))
            scanned = json.loads(report.read_text())
    print_figures(options, missing, scanned, gate_runs, bare_runs)


def print_figures(
    options: argparse.Namespace,
    missing: int,
    scanned: dict[str, Any],
    gate_runs: list[tuple[float, int]],
    bare_runs: list[tuple[float, int]],
) -> None:
    calls = scanned["stats"]["aws_calls"]
    minimum = minimum_calls(options.services, options.clusters, options.deep)
    failing = {f["target"]["service"] for f in scanned["findings"] if f["rule_id"] == "DG301"}
    ratios = sorted(g[0] / b[0] for g, b in zip(gate_runs, bare_runs, strict=True))
    print(
        f"services: {options.services} in {options.clusters} clusters ({missing} missing their "
        f"secret; drift-gate found {len(failing)}); runs: {options.runs}; added latency per "
        f"call: {options.latency_ms:.0f} ms; concurrency {options.concurrency}"
    )
    print(f"drift-gate scan median: {statistics.median(g[0] for g in gate_runs):.2f} s")
    print(f"bare boto3 (8 threads) median: {statistics.median(b[0] for b in bare_runs):.2f} s")
    print(
        f"wall ratio: median {statistics.median(ratios):.2f}, spread {ratios[0]:.2f}-"
        f"{ratios[-1]:.2f} (target <= 1.2)"
    )
    total, floor = sum(calls.values()), sum(minimum.values())
    print(f"AWS calls: {total} / minimum {floor} = {total / floor:.3f}x (target <= 1.05)")
    for operation in sorted(set(calls) | set(minimum)):
        print(f"  {operation}: {calls.get(operation, 0)} / {minimum.get(operation, 0)}")
    rss = max(g[1] for g in gate_runs) / 1024
    bare_rss = max(b[1] for b in bare_runs) / 1024
    print(f"max RSS: drift-gate {rss:.0f} MB (target <= 150), bare script {bare_rss:.0f} MB")


if __name__ == "__main__":
    main()
