"""Benchmark: `drift-gate validate-policy` of a fleet's policy vs a bare YAML load of it.

Generates an honest policy (no alias) of 10,000 services, each with one container and a few
names, and times the whole process of `drift-gate validate-policy` with an empty cache (the
first validation: YAML, the JSON-type and alias checks, the schema, the consistency checks)
and with the cache it leaves (the file known valid), against a process that only imports
PyYAML and loads the file with libyaml (`yaml.load(..., CSafeLoader)`), the least any reader
of the file does. Prints the median wall time of each and the per-round ratios.

    python benchmarks/policy_load.py [--runs 5] [--services 10000]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

from _timing import Command, median_ms, ratio, run_once

BARE_LOAD = (
    "import sys, yaml; yaml.load(open(sys.argv[1], encoding='utf-8'), Loader=yaml.CSafeLoader)"
)


def fleet_policy(services: int) -> str:
    lines = ["version: 1", "environments:", "  production:", "    region: us-east-1"]
    lines.append("    services:")
    for index in range(services):
        lines += [
            f"      - cluster: fleet-{index % 40}",
            f"        service: service-{index}",
            "        containers:",
            "          app:",
            "            secrets: [DATABASE_URL, API_KEY]",
            "            environment: [LOG_LEVEL]",
        ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--services", type=int, default=10_000)
    arguments = parser.parse_args()
    gate = shutil.which("drift-gate", path=str(Path(sys.executable).parent)) or "drift-gate"
    with tempfile.TemporaryDirectory() as directory:
        policy = Path(directory) / "drift-gate.yaml"
        policy.write_text(fleet_policy(arguments.services))
        cold = {**os.environ, "DRIFT_GATE_CACHE_DIR": str(Path(directory) / "nowhere")}
        warm = {**os.environ, "DRIFT_GATE_CACHE_DIR": str(Path(directory) / "cache")}
        commands = {
            "validate-policy, first time": Command(
                [gate, "validate-policy", str(policy)], env=cold
            ),
            "validate-policy, known valid": Command(
                [gate, "validate-policy", str(policy)], env=warm
            ),
            "yaml.load (libyaml)": Command([sys.executable, "-c", BARE_LOAD, str(policy)]),
        }
        # The cold cache must stay empty: each run of the first command gets a fresh one.
        timings = alternate_cold(commands, arguments.runs, Path(directory) / "nowhere")
    size = len(fleet_policy(arguments.services)) / 1e6
    print(f"{arguments.services:,} services ({size:.1f} MB), {arguments.runs} alternated runs")
    for name, seconds in timings.items():
        print(f"  {name:<30} {median_ms(seconds)}")
    bare = timings["yaml.load (libyaml)"]
    for name in ("validate-policy, first time", "validate-policy, known valid"):
        print(f"  {name} / yaml.load: {ratio(timings[name], bare)}")


def alternate_cold(commands: dict[str, Command], runs: int, cold: Path) -> dict[str, list[float]]:
    """Each command once per round, in turn, after one untimed round (warms the file cache
    and the known-valid cache); the cold cache is emptied before each timed round."""
    for command in commands.values():
        run_once(command)
    timings: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        shutil.rmtree(cold, ignore_errors=True)
        for name, command in commands.items():
            timings[name].append(run_once(command))
    return timings


if __name__ == "__main__":
    main()
