"""Benchmark: wall time of `drift-gate check --offline` on the example repository.

Prints the median over 20 runs, next to `python -c pass` on the same machine as a
baseline, and their ratio. Target: under 0.4 s median on a 2-core machine.

    python benchmarks/offline_startup.py [--runs 20]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "hokusai"


def median_seconds(command: list[str], runs: int) -> float:
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        completed = subprocess.run(command, cwd=EXAMPLE, capture_output=True, check=False)
        timings.append(time.perf_counter() - started)
        if completed.returncode != 0:
            sys.exit(f"{command} exited {completed.returncode}: {completed.stderr.decode()[-500:]}")
    return statistics.median(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    runs = parser.parse_args().runs
    drift_gate = str(Path(sys.executable).parent / "drift-gate")
    offline = [
        drift_gate,
        "check",
        "--offline",
        "--policy",
        "drift-gate.yaml",
        "--terraform-dir",
        "infra",
    ]
    baseline = [sys.executable, "-c", "pass"]
    median_seconds(offline, 1)  # warm the file cache
    offline_time = median_seconds(offline, runs)
    baseline_time = median_seconds(baseline, runs)
    print(f"runs: {runs}")
    print(f"drift-gate check --offline median: {offline_time * 1000:.0f} ms (target < 400 ms)")
    print(f"python -c pass median: {baseline_time * 1000:.0f} ms")
    print(f"ratio: {offline_time / baseline_time:.1f}")


if __name__ == "__main__":
    main()
