"""Benchmark: `drift-gate check --plan-json` of a large plan vs a bare json.load of the same file.

Generates a plan in the shape `terraform show -json` writes (planned_values, prior_state,
resource_changes with before/after, configuration), by default 2,000 ECS services with their
task definitions in a for_each module (about 100 MB with 18,000 other resources), a tenth of
everything with a pending update. drift-gate then checks it against moto over HTTP, where
none of the services exists (one DescribeServices per 10 services, each service "missing"):
the time is the plan's reading, the declared side, the checks and the reports.

The cluster exists and none of the services does, so each batch of 10 is a real
DescribeServices answer. Prints the median wall time and max RSS of each (whole processes,
alternated runs) and their ratios against a bare json.load of the file (the issue's
measure; targets: time <= 3.0x, max RSS <= 1.5x) and against json.load followed by the same
DescribeServices calls made by a bare boto3 script.

The same plan is also checked with AWS unreachable (the endpoint a closed port on
loopback): every service becomes a could-not-verify finding (exit 3), so the time is the
plan's reading and the report, with no AWS answer to wait for; issue 24's target for it is
the same, <= 3.0x json.load.

    python benchmarks/large_plan.py [--runs 5] [--services 2000] [--others 18000] [--before DIR]

--before DIR also runs DIR's drift_gate (`git archive COMMIT drift_gate | tar -x -C DIR`) on
both paths, alternated with the rest: a before figure measured in the same run.
"""

from __future__ import annotations

import argparse
import gc
import json
import socket
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

from _timing import before_env, measure, moto_on_loopback

REGION = "us-east-1"
CLUSTER_ARN = f"arn:aws:ecs:{REGION}:123456789012:cluster/prod"
SSM_ARN = f"arn:aws:ssm:{REGION}:123456789012:parameter"
OTHER_TYPES = ("aws_s3_bucket", "aws_iam_role", "aws_cloudwatch_log_group", "aws_security_group")
JSON_LOAD = "import json, sys; json.load(open(sys.argv[1], encoding='utf-8'))"
# json.load, then the AWS calls drift-gate must make for these services, as a script would
# make them with boto3 (8 threads, as drift-gate): the part of the time no reader can avoid.
JSON_LOAD_AND_CALLS = """
import json, sys
from concurrent.futures import ThreadPoolExecutor
import boto3
plan = json.load(open(sys.argv[1], encoding="utf-8"))
names = [r["values"]["name"] for m in plan["planned_values"]["root_module"]["child_modules"]
         for r in m["resources"] if r["type"] == "aws_ecs_service"]
ecs = boto3.client("ecs")
batches = [names[i:i + 10] for i in range(0, len(names), 10)]
with ThreadPoolExecutor(8) as pool:
    list(pool.map(lambda b: ecs.describe_services(cluster="prod", services=b), batches))
"""


def container_definitions(service: int, revision: int) -> str:
    containers = []
    for index in range(2):
        containers.append(
            {
                "name": f"c{index}",
                "image": f"123456789012.dkr.ecr.{REGION}.amazonaws.com/app{service}:{revision}",
                "essential": index == 0,
                "environment": [
                    {"name": f"SETTING_{n}", "value": f"value-{service}-{n}"} for n in range(12)
                ],
                "secrets": [
                    {
                        "name": f"SECRET_{n}",
                        "valueFrom": f"{SSM_ARN}/app{service}/s{n}",
                    }
                    for n in range(6)
                ],
                "portMappings": [{"containerPort": 8080 + index, "protocol": "tcp"}],
            }
        )
    return json.dumps(containers)


def other_values(kind: str, index: int, padding: int) -> dict[str, Any]:
    return {
        "id": f"{kind}-{index}",
        "arn": f"arn:aws:{kind.split('_')[1]}:::{kind}-{index}",
        "tags": {f"tag{n}": f"value-{index}-{n}" for n in range(8)},
        "policy": json.dumps({"Statement": [{"Effect": "Allow", "Resource": "x" * padding}]}),
    }


def resource(address: str, kind: str, name: str, values: dict[str, Any], key: str | None) -> Any:
    entry: dict[str, Any] = {
        "address": address,
        "mode": "managed",
        "type": kind,
        "name": name,
        "provider_name": "registry.terraform.io/hashicorp/aws",
        "schema_version": 0,
        "values": values,
        "sensitive_values": {},
    }
    if key is not None:
        entry["index"] = key
    return entry


def change(entry: dict[str, Any], before: dict[str, Any], pending: bool) -> dict[str, Any]:
    return {
        "address": entry["address"],
        "mode": "managed",
        "type": entry["type"],
        "name": entry["name"],
        "provider_name": entry["provider_name"],
        "change": {
            "actions": ["update"] if pending else ["no-op"],
            "before": before,
            "after": entry["values"],
            "after_unknown": {},
            "before_sensitive": {},
            "after_sensitive": {},
        },
    }


def make_plan(services: int, others: int, padding: int) -> dict[str, Any]:
    """A plan of `services` ECS services (module.svc["sNNNN"]) and `others` other resources."""
    module_resources: list[dict[str, Any]] = []
    root_resources: list[dict[str, Any]] = []
    changes: list[dict[str, Any]] = []
    prior: list[dict[str, Any]] = []
    for number in range(services):
        key = f"s{number:04d}"
        prefix = f'module.svc["{key}"]'
        pending = number % 10 == 0
        definition = resource(
            f"{prefix}.aws_ecs_task_definition.this",
            "aws_ecs_task_definition",
            "this",
            {
                "family": f"app-{key}",
                "container_definitions": container_definitions(number, 2 if pending else 1),
                # Terraform writes every known attribute; only unknown ones are left out.
                "execution_role_arn": f"arn:aws:iam::123456789012:role/app-{key}-execution",
                "cpu": "256",
                "memory": "512",
            },
            None,
        )
        service = resource(
            f"{prefix}.aws_ecs_service.this",
            "aws_ecs_service",
            "this",
            {
                "name": f"app-{key}",
                "cluster": CLUSTER_ARN,
                "task_definition": f"arn:aws:ecs:{REGION}:123456789012:task-definition/app-{key}:1",
                "desired_count": 2,
            },
            None,
        )
        before = {**definition["values"], "container_definitions": container_definitions(number, 1)}
        module_resources += [definition, service]
        changes += [change(definition, before, pending), change(service, service["values"], False)]
        prior += [{**definition, "values": before}, service]
    for number in range(others):
        kind = OTHER_TYPES[number % len(OTHER_TYPES)]
        entry = resource(
            f"{kind}.r[{number}]", kind, "r", other_values(kind, number, padding), None
        )
        entry["index"] = number
        pending = number % 10 == 0
        before = {**entry["values"], "tags": {}} if pending else entry["values"]
        root_resources.append(entry)
        changes.append(change(entry, before, pending))
        prior.append({**entry, "values": before})
    by_key: dict[str, list[dict[str, Any]]] = {}
    for entry in module_resources:
        key = entry["address"].split('"')[1]
        by_key.setdefault(key, []).append(entry)
    child_modules = [
        {"address": f'module.svc["{key}"]', "resources": entries} for key, entries in by_key.items()
    ]
    return {
        "format_version": "1.2",
        "terraform_version": "1.11.4",
        "planned_values": {
            "root_module": {"resources": root_resources, "child_modules": child_modules}
        },
        "prior_state": {
            "format_version": "1.0",
            "terraform_version": "1.11.4",
            "values": {"root_module": {"resources": prior}},
        },
        "resource_changes": changes,
        "configuration": {
            "provider_config": {
                "aws": {"name": "aws", "expressions": {"region": {"constant_value": REGION}}}
            },
            "root_module": {
                "resources": [
                    {"address": f"{kind}.r", "mode": "managed", "type": kind, "name": "r"}
                    for kind in OTHER_TYPES
                ],
                "module_calls": {
                    "svc": {
                        "source": "./modules/service",
                        "module": {
                            "resources": [
                                {
                                    "address": "aws_ecs_task_definition.this",
                                    "type": "aws_ecs_task_definition",
                                    "name": "this",
                                    "expressions": {},
                                },
                                {
                                    "address": "aws_ecs_service.this",
                                    "type": "aws_ecs_service",
                                    "name": "this",
                                    "expressions": {
                                        "task_definition": {
                                            "references": [
                                                "aws_ecs_task_definition.this.arn",
                                                "aws_ecs_task_definition.this",
                                            ]
                                        }
                                    },
                                },
                            ]
                        },
                    }
                },
            },
        },
    }


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released): a refused connection."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--services", type=int, default=2000)
    parser.add_argument("--others", type=int, default=18000)
    parser.add_argument("--padding", type=int, default=480, help="bytes of policy per resource")
    parser.add_argument("--before", help="also run this directory's drift_gate (a before figure)")
    options = parser.parse_args()

    with moto_on_loopback(REGION) as (endpoint, env):
        import boto3

        boto3.client("ecs", endpoint_url=endpoint).create_cluster(clusterName="prod")
        with tempfile.TemporaryDirectory() as scratch:
            plan = Path(scratch) / "plan.json"
            plan.write_text(
                json.dumps(make_plan(options.services, options.others, options.padding))
            )
            gc.collect()  # the plan dict is garbage now: not measured with the children
            size_mb = plan.stat().st_size / 1e6
            unreachable = {**env, "AWS_ENDPOINT_URL": f"http://127.0.0.1:{closed_port()}"}
            commands: dict[str, Measured] = {
                "gate": (gate_command(plan, Path(scratch) / "report.json"), env, (1,)),
                "load": ([sys.executable, "-c", JSON_LOAD, str(plan)], env, (0,)),
                "calls": ([sys.executable, "-c", JSON_LOAD_AND_CALLS, str(plan)], env, (0,)),
                "unreachable": (gate_command(plan, Path(scratch) / "u.json"), unreachable, (3,)),
            }
            if options.before:
                before = gate_command(plan, Path(scratch) / "before.json")
                commands["before"] = (before, before_env(options.before, env), (1,))
                commands["unreachable before"] = (
                    before,
                    before_env(options.before, unreachable),
                    (3,),
                )
            runs = alternated(commands, options.runs)
            report = json.loads((Path(scratch) / "report.json").read_text())

    print(
        f"plan: {size_mb:.0f} MB, {options.services} services, {options.others} other resources; "
        f"runs: {options.runs} (alternated)"
    )
    print_figures(runs["gate"], runs["load"], runs["calls"])
    print(f"findings: {len(report['findings'])}; AWS calls: {report['stats']['aws_calls']}")
    print_unreachable(runs["unreachable"], runs["load"])
    if options.before:
        print(f"before ({options.before}):")
        print_figures(runs["before"], runs["load"], runs["calls"])
        print_unreachable(runs["unreachable before"], runs["load"])


def gate_command(plan: Path, report: Path) -> list[str]:
    drift_gate = str(Path(sys.executable).parent / "drift-gate")
    return [
        drift_gate,
        "check",
        "--plan-json",
        str(plan),
        "--format",
        "json",
        "--output",
        str(report),
    ]


# A command, its environment and the exit codes it may end with.
Measured = tuple[list[str], dict[str, str], tuple[int, ...]]


def alternated(commands: dict[str, Measured], runs: int) -> dict[str, list[tuple[float, int]]]:
    """(seconds, max RSS) of each command, round by round, after an untimed round (which warms
    the file cache and writes drift-gate's bytecode)."""
    for command, env, allowed in commands.values():
        measure(command, env, allowed)
    timings: dict[str, list[tuple[float, int]]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, (command, env, allowed) in commands.items():
            timings[name].append(measure(command, env, allowed))
    return timings


Runs = list[tuple[float, int]]


def print_figures(gate: Runs, load: Runs, calls: Runs) -> None:
    """Medians, spreads and ratios of the alternated runs."""
    ratios = sorted(g[0] / b[0] for g, b in zip(gate, load, strict=True))
    gate_time = statistics.median(t for t, _ in gate)
    load_time = statistics.median(t for t, _ in load)
    gate_rss = max(r for _, r in gate) / 1024
    load_rss = max(r for _, r in load) / 1024
    print(f"drift-gate check --plan-json median: {gate_time * 1000:.0f} ms")
    print(f"json.load median: {load_time * 1000:.0f} ms")
    spread = f"{ratios[0]:.2f}-{ratios[-1]:.2f}"
    print(f"time ratio: median {statistics.median(ratios):.2f}, spread {spread} (target <= 3.0)")
    print(f"max RSS: drift-gate {gate_rss:.0f} MiB, json.load {load_rss:.0f} MiB")
    print(f"RSS ratio: {gate_rss / load_rss:.2f} (target <= 1.5)")
    with_calls = sorted(g[0] / c[0] for g, c in zip(gate, calls, strict=True))
    calls_time = statistics.median(t for t, _ in calls)
    print(f"json.load + the same DescribeServices calls, bare boto3: {calls_time * 1000:.0f} ms")
    print(
        f"time ratio to it: median {statistics.median(with_calls):.2f}, "
        f"spread {with_calls[0]:.2f}-{with_calls[-1]:.2f}"
    )


def print_unreachable(gate: Runs, load: Runs) -> None:
    """The same plan with AWS unreachable, against the same json.load runs."""
    ratios = sorted(g[0] / b[0] for g, b in zip(gate, load, strict=True))
    gate_time = statistics.median(t for t, _ in gate)
    print(f"AWS unreachable: drift-gate check --plan-json median: {gate_time * 1000:.0f} ms")
    print(
        f"time ratio to json.load: median {statistics.median(ratios):.2f}, "
        f"spread {ratios[0]:.2f}-{ratios[-1]:.2f} (target <= 3.0)"
    )
    print(f"max RSS: {max(r for _, r in gate) / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
