"""Benchmark: start-up of the commands a developer waits for on every push.

Alternated runs of whole processes (issue 14's ratios, median and spread):
- `drift-gate check --offline` on the example repository / `python -c "import boto3"`
  (target <= 1.5: the pre-push check near a bare `import boto3`);
- `drift-gate --help` / `python -c "import click"` (target <= 1.5).

    python benchmarks/offline_startup.py [--runs 20]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from _timing import Command, alternate, median_ms, ratio

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "hokusai"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    runs = parser.parse_args().runs
    drift_gate = str(Path(sys.executable).parent / "drift-gate")
    offline = [drift_gate, "check", "--offline", "--policy", "drift-gate.yaml"]
    timings = alternate(
        {
            "offline": Command([*offline, "--terraform-dir", "infra"], cwd=EXAMPLE),
            "import boto3": Command([sys.executable, "-c", "import boto3"]),
            "help": Command([drift_gate, "--help"]),
            "import click": Command([sys.executable, "-c", "import click"]),
            "pass": Command([sys.executable, "-c", "pass"]),
        },
        runs,
    )
    print(f"runs: {runs} (alternated)")
    print(f"drift-gate check --offline median: {median_ms(timings['offline'])}")
    print(f'python -c "import boto3" median: {median_ms(timings["import boto3"])}')
    print(f"ratio: {ratio(timings['offline'], timings['import boto3'], 1.5)}")
    print(f"drift-gate --help median: {median_ms(timings['help'])}")
    print(f'python -c "import click" median: {median_ms(timings["import click"])}')
    print(f"ratio: {ratio(timings['help'], timings['import click'], 1.5)}")
    print(f"python -c pass median: {median_ms(timings['pass'])}")


if __name__ == "__main__":
    main()
