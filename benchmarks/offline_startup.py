"""Benchmark: start-up of the commands a developer waits for on every push.

Alternated runs of whole processes (issue 14's ratios, median and spread):
- `drift-gate check --offline` on the example repository / `python -c "import boto3"`
  (target <= 1.5: the pre-push check near a bare `import boto3`);
- `drift-gate --help` / `python -c "import click"` (target <= 1.5).

    python benchmarks/offline_startup.py [--runs 20] [--before DIR]

--before DIR also runs DIR's drift_gate (`git archive COMMIT drift_gate | tar -x -C DIR`),
alternated with the rest: a before figure measured in the same run as the after one.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from _timing import Command, alternate, before_env, median_ms, ratio

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "hokusai"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--before", help="also run this directory's drift_gate (a before figure)")
    options = parser.parse_args()
    runs = options.runs
    drift_gate = str(Path(sys.executable).parent / "drift-gate")
    offline = [drift_gate, "check", "--offline", "--policy", "drift-gate.yaml", "--terraform-dir"]
    commands = {
        "offline": Command([*offline, "infra"], cwd=EXAMPLE),
        "import boto3": Command([sys.executable, "-c", "import boto3"]),
        "help": Command([drift_gate, "--help"]),
        "import click": Command([sys.executable, "-c", "import click"]),
        "pass": Command([sys.executable, "-c", "pass"]),
    }
    if options.before:
        env = before_env(options.before)
        commands["offline before"] = Command([*offline, "infra"], cwd=EXAMPLE, env=env)
        commands["help before"] = Command([drift_gate, "--help"], env=env)
    timings = alternate(commands, runs)
    print(f"runs: {runs} (alternated)")
    print(f"drift-gate check --offline median: {median_ms(timings['offline'])}")
    print(f'python -c "import boto3" median: {median_ms(timings["import boto3"])}')
    print(f"ratio: {ratio(timings['offline'], timings['import boto3'], 1.5)}")
    print(f"drift-gate --help median: {median_ms(timings['help'])}")
    print(f'python -c "import click" median: {median_ms(timings["import click"])}')
    print(f"ratio: {ratio(timings['help'], timings['import click'], 1.5)}")
    print(f"python -c pass median: {median_ms(timings['pass'])}")
    if options.before:
        before = timings["offline before"]
        print(f"before ({options.before}), check --offline median: {median_ms(before)}")
        print(f"ratio: {ratio(timings['offline before'], timings['import boto3'], 1.5)}")
        print(f"before, --help median: {median_ms(timings['help before'])}")
        print(f"ratio: {ratio(timings['help before'], timings['import click'], 1.5)}")


if __name__ == "__main__":
    main()
