"""Benchmark: `check --offline --task-definition` on files of 1,000, 4,000 and 12,000 containers.

Each file is register-task-definition input (what ecspresso writes), every container with five
plain variables and three secrets; the policy declares ten containers spread through the
file, the last one missing a secret (so the run ends in a finding that points at a line).
Prints the median wall time and max RSS of each size (whole processes), then the time per
container above a one-container file, as a ratio to the smallest size's: about 1 when the
cost is linear (5.6 for 12,000 before the line look-up was one pass: 44.5 s).

    python benchmarks/task_definition_file.py [--runs 3] [--sizes 1000,4000,12000]
    python benchmarks/task_definition_file.py --source /tmp/before  # another checkout's code
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path

from _timing import measure

SSM = "arn:aws:ssm:us-east-1:123456789012:parameter/app"


def task_definition(containers: int) -> str:
    definitions = [
        {
            "name": f"c{index}",
            "image": f"123456789012.dkr.ecr.us-east-1.amazonaws.com/app:{index}",
            "environment": [{"name": f"SETTING_{n}", "value": f"v{n}"} for n in range(5)],
            "secrets": [{"name": f"SECRET_{n}", "valueFrom": f"{SSM}/s{n}"} for n in range(3)],
        }
        for index in range(containers)
    ]
    document = {
        "family": "app",
        "executionRoleArn": "arn:aws:iam::123456789012:role/app-execution",
        "containerDefinitions": definitions,
    }
    return json.dumps(document, indent=2)


def policy(containers: int) -> str:
    declared = sorted({(containers - 1) * k // 9 for k in range(10)})
    lines = [
        "version: 1",
        "environments:",
        "  development:",
        "    region: us-east-1",
        "    services:",
        "      - cluster: app",
        "        service: app",
        "        containers:",
    ]
    for index in declared:
        missing = ", MISSING" if index == declared[-1] else ""
        lines += [
            f"          c{index}:",
            f"            secrets: [SECRET_0, SECRET_1, SECRET_2{missing}]",
            "            environment: [SETTING_0, SETTING_4]",
        ]
    return "\n".join(lines) + "\n"


def run_size(folder: Path, containers: int, runs: int, env: dict[str, str]) -> tuple[float, int]:
    """Median seconds and the largest max RSS (KiB) of `runs` checks of one size."""
    (folder / f"td{containers}.json").write_text(task_definition(containers))
    (folder / f"policy{containers}.yaml").write_text(policy(containers))
    command = [
        # The console script, not `python -m`: that would put the working directory first on
        # sys.path, before --source.
        str(Path(sys.executable).parent / "drift-gate"),
        "check",
        "--offline",
        "--policy",
        str(folder / f"policy{containers}.yaml"),
        "--task-definition",
        str(folder / f"td{containers}.json"),
        "--format",
        "json",
        "--output",
        os.devnull,
    ]
    measured = [measure(command, env, (0, 1)) for _ in range(runs)]
    return statistics.median(s for s, _ in measured), max(rss for _, rss in measured)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sizes", default="1000,4000,12000")
    parser.add_argument("--source", help="run drift_gate from this directory (a before figure)")
    arguments = parser.parse_args()
    sizes = [int(size) for size in arguments.sizes.split(",")]
    env = dict(os.environ)
    if arguments.source:
        env["PYTHONPATH"] = arguments.source
    with tempfile.TemporaryDirectory() as folder:
        run_size(Path(folder), 1, 1, env)  # untimed: compiles and caches what is imported
        base, _ = run_size(Path(folder), 1, arguments.runs, env)
        print(f"runs: {arguments.runs}; one container: {base:.2f} s (start-up, policy, report)")
        per_container = []
        for size in sizes:
            seconds, rss = run_size(Path(folder), size, arguments.runs, env)
            per_container.append((seconds - base) / size)
            print(f"{size:>6,} containers: {seconds:.2f} s, max RSS {rss / 1024:.0f} MiB")
    for size, cost in zip(sizes[1:], per_container[1:], strict=True):
        ratio = cost / per_container[0]
        print(f"time per container above one, {size:,} / {sizes[0]:,}: {ratio:.2f} (linear: ~1)")


if __name__ == "__main__":
    main()
