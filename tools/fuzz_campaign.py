"""A long fuzz campaign over every input reader: the properties of tests/unit/test_fuzz.py and
tests/unit/test_fuzz_inputs.py, run again and again with fresh random examples until the
time is up. Prints, per property, the examples run and failed; a round that outlives its
bound is a hang. CI runs the same properties with a small fixed budget; this is the long
run a release or a change to a reader gets (docs/reliability.md).

    .venv/bin/python tools/fuzz_campaign.py --minutes 30 [--examples-per-round 1500]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FILES = ("tests/unit/test_fuzz.py", "tests/unit/test_fuzz_inputs.py")
STATISTIC = re.compile(
    r"^(?P<test>\S+::\S+):\n(?:.*\n)*?\s+- (?P<passing>\d+) passing, (?P<failing>\d+) failing",
    re.M,
)


def one_round(examples: int, bound_seconds: float) -> tuple[Counter[str], Counter[str], str]:
    """One pytest run of every property with `examples` fresh random examples each."""
    env = {
        **os.environ,
        "DRIFT_GATE_FUZZ_EXAMPLES": str(examples),
        "DRIFT_GATE_FUZZ_RANDOM": "1",
    }
    command = [
        sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
        "--hypothesis-show-statistics", *FILES,
    ]  # fmt: skip
    try:
        completed = subprocess.run(  # noqa: S603 - our own interpreter and test files
            command,
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=bound_seconds,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return Counter(), Counter({"HANG": 1}), f"a round ran past {bound_seconds:.0f} s"
    passing: Counter[str] = Counter()
    failing: Counter[str] = Counter()
    for match in STATISTIC.finditer(completed.stdout):
        test = match["test"].rsplit("::", 1)[-1]
        passing[test] += int(match["passing"])
        failing[test] += int(match["failing"])
    if completed.returncode != 0:
        failing["pytest exit " + str(completed.returncode)] += 1
    return passing, failing, completed.stdout[-6000:] if completed.returncode else ""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--examples-per-round", type=int, default=1500)
    parser.add_argument("--round-bound-minutes", type=float, default=20.0)
    arguments = parser.parse_args()
    started = time.monotonic()
    end = started + arguments.minutes * 60
    passing: Counter[str] = Counter()
    failing: Counter[str] = Counter()
    rounds = 0
    while time.monotonic() < end:
        more, failed, tail = one_round(
            arguments.examples_per_round, arguments.round_bound_minutes * 60
        )
        rounds += 1
        passing.update(more)
        failing.update(failed)
        print(f"round {rounds}: {sum(more.values())} examples, {sum(failed.values())} failing")
        if tail:
            print(tail)
    elapsed = time.monotonic() - started
    print(f"\n{rounds} round(s) in {elapsed / 60:.1f} min")
    for test in sorted(set(passing) | set(failing)):
        print(f"  {test}: {passing[test]} passing, {failing[test]} failing")
    print(f"total: {sum(passing.values())} examples, {sum(failing.values())} failing")
    return 1 if sum(failing.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
