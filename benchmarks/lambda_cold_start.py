"""Benchmark: the Lambda hook's cold start (issue 25: <= 1.5x `import boto3`).

A cold start is a fresh Python process: Lambda imports the handler's module (init), then
the first invocation answers. Both are measured as whole fresh processes, alternated with
`python -c "import boto3"` (median and spread of the per-round ratios):
- handler import: `import drift_gate.aws_lambda`;
- first answer: that import and the handler answering the incident's invocation (the
  deployment of the revision without HUGGINGFACE_API_KEY: FAILED, drift) against moto on
  loopback, the policy read from a file beside it. The AWS calls are included (on
  loopback), so this is the whole cold invocation but the network.
- the floor: botocore and the three clients the hook makes for the incident (ECS, Secrets
  Manager, IAM), no drift-gate at all: what any hook built on botocore pays first.
The handler runs as in Lambda (LAMBDA_TASK_ROOT set: one botocore session per container).
Each is reported twice: wall time, and the process's own CPU time (user + sys), which leaves
out moto (a thread of this process, answering the calls) and most of other work on a shared
machine; the CPU ratio is the steadier figure of what drift-gate itself costs.

    python benchmarks/lambda_cold_start.py [--runs 20] [--before DIR]

--before DIR also runs DIR's drift_gate (`git archive COMMIT drift_gate | tar -x -C DIR`),
alternated with the rest: a before figure measured in the same run as the after one.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from _timing import (
    Command,
    alternate_cpu,
    as_installed,
    before_env,
    median_ms,
    moto_on_loopback,
    ratio,
)

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from drift_gate import _moto_compat  # noqa: E402
from drift_gate.demo import CLUSTER, REGION, SERVICE, IncidentAccount  # noqa: E402

FLOOR = """
import botocore.session
session = botocore.session.Session()
for name in ("ecs", "secretsmanager", "iam"):
    session.create_client(name, region_name="us-east-1")
"""

ANSWER = """
import json, sys
from drift_gate.aws_lambda import handler
answer = handler(json.load(open(sys.argv[1])), None)
sys.exit(0 if answer["hookStatus"] == "FAILED" and "drift" in str(answer) else 9)
"""

# Where a cold start goes, in one process: import boto3, the rest of the first answer's
# imports, the first answer, and a second (warm) answer: mostly moto answering the calls.
PHASES = """
import io, json, sys, time
from contextlib import redirect_stdout
t0 = time.perf_counter()
import boto3
t1 = time.perf_counter()
from drift_gate.aws_lambda import handler
from drift_gate.engine import entry, hook, revision
import drift_gate.policy, drift_gate.sources.ecs
t2 = time.perf_counter()
event = json.load(open(sys.argv[1]))
with redirect_stdout(io.StringIO()):
    handler(event, None)
    t3 = time.perf_counter()
    handler(event, None)
t4 = time.perf_counter()
print(json.dumps([t1 - t0, t2 - t1, t3 - t2, t4 - t3]))
"""


def incident_event(directory: Path, endpoint: str) -> Path:
    """The incident's account on the moto server, and the lifecycle hook's event for it."""
    import boto3

    def client(service: str) -> object:
        return boto3.client(service, region_name=REGION, endpoint_url=endpoint)

    IncidentAccount.create(client)
    _moto_compat.settle(CLUSTER, SERVICE, REGION)
    service = f"arn:aws:ecs:{REGION}:123456789012:service/{CLUSTER}/{SERVICE}"
    event = {
        "executionId": "bench",
        "lifecycleStage": "PRE_SCALE_UP",
        "executionDetails": {
            "serviceArn": service,
            "targetServiceRevisionArn": IncidentAccount.current_revision(),
        },
    }
    path = directory / "event.json"
    path.write_text(json.dumps(event))
    return path


def _phases(env: dict[str, str], event: Path) -> list[float]:
    completed = subprocess.run(
        [sys.executable, "-c", PHASES, str(event)],
        env=as_installed(env),
        capture_output=True,
        text=True,
        check=True,
    )
    seconds: list[float] = json.loads(completed.stdout.strip().splitlines()[-1])
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--before", help="also run this directory's drift_gate (a before figure)")
    options = parser.parse_args()
    _moto_compat.enable_service_revisions()
    with tempfile.TemporaryDirectory() as scratch, moto_on_loopback(REGION) as (endpoint, env):
        event = incident_event(Path(scratch), endpoint)
        hook_env = {
            **env,
            "DRIFT_GATE_POLICY": str(REPO / "policies" / "example.yaml"),
            "DRIFT_GATE_CACHE_DIR": str(Path(scratch) / "cache"),
            "PYTHONPATH": str(REPO),
            "LAMBDA_TASK_ROOT": scratch,  # as in Lambda: the container's session is reused
        }
        commands = {
            "import boto3": Command([sys.executable, "-c", "import boto3"], env=env),
            "handler import": Command(
                [sys.executable, "-c", "import drift_gate.aws_lambda"], env=hook_env
            ),
            "first answer": Command([sys.executable, "-c", ANSWER, str(event)], env=hook_env),
            "floor": Command([sys.executable, "-c", FLOOR], env=env),
        }
        if options.before:
            before = before_env(options.before, hook_env)
            commands["first answer before"] = Command(
                [sys.executable, "-c", ANSWER, str(event)], env=before
            )
        timings, cpu = alternate_cpu(commands, options.runs)
        phases = [_phases(hook_env, event) for _ in range(max(3, options.runs // 2))]
    boto = timings["import boto3"]
    print(f"runs: {options.runs} (alternated, fresh processes)")
    print(f'python -c "import boto3" median: {median_ms(boto)}')
    print(f"handler import median: {median_ms(timings['handler import'])}")
    print(f"ratio: {ratio(timings['handler import'], boto)}")
    print(f"first answer (import + calls on loopback) median: {median_ms(timings['first answer'])}")
    print(f"ratio: {ratio(timings['first answer'], boto, 1.5)}")
    print(
        f"CPU time: import boto3 {median_ms(cpu['import boto3'])}, handler import "
        f"{median_ms(cpu['handler import'])}, first answer {median_ms(cpu['first answer'])}"
    )
    print(f"CPU ratio, first answer: {ratio(cpu['first answer'], cpu['import boto3'], 1.5)}")
    print(
        f"floor (botocore + 3 clients): wall {median_ms(timings['floor'])}, ratio "
        f"{ratio(timings['floor'], boto)}; CPU {median_ms(cpu['floor'])}, ratio "
        f"{ratio(cpu['floor'], cpu['import boto3'])}"
    )
    names = ("import boto3", "drift-gate's imports", "first answer", "warm answer (moto)")
    medians = [median_ms([run[i] for run in phases]) for i in range(len(names))]
    print("in one process:", ", ".join(f"{n} {m}" for n, m in zip(names, medians, strict=True)))
    if options.before:
        print(
            f"before ({options.before}), first answer: {median_ms(timings['first answer before'])}"
        )
        print(f"ratio: {ratio(timings['first answer before'], boto, 1.5)}")
        before_cpu = cpu["first answer before"]
        print(f"CPU: {median_ms(before_cpu)}, ratio: {ratio(before_cpu, cpu['import boto3'], 1.5)}")


if __name__ == "__main__":
    main()
