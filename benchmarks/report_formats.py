"""Benchmark: every report format (and the GitHub step summary and issue bodies) at two sizes.

A report of SERVICES x CONTAINERS x FINDINGS (findings per container, of every severity, a
tenth of them waived) is rendered by each format in this process; the report is built once
per size, untimed. Prints each format's median time at both sizes and the ratio of its time
per finding, large over small: about 1 when rendering is linear in what is reported (a loop
over findings inside a loop over services or containers shows as the size factor).

    python benchmarks/report_formats.py [--runs 3] [--small 20x25x4] [--large 80x100x4]
    python benchmarks/report_formats.py --source /tmp/before  # another checkout's code
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date, datetime, timezone
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from drift_gate.model import Report

START = datetime(2026, 12, 1, 4, 0, tzinfo=timezone.utc)
RULES = ("DG101", "DG102", "DG107", "DG103")  # error, error, info, error: a mix of severities


def build(services: int, containers: int, per_container: int) -> Report:
    from drift_gate.checks.findings import ServiceContext
    from drift_gate.engine.outcome import ServiceResult, build_report
    from drift_gate.model import CheckedService, FailOn, Target, Waived

    results = []
    waiver = Waived(reason="accepted for now", owner="team", expires=date(2027, 1, 1), days_left=31)
    for s in range(services):
        names = tuple(f"c{c}" for c in range(containers))
        service = CheckedService(
            environment=f"env{s % 3}",
            region="us-east-1",
            cluster=f"cluster{s % 7}",
            service=f"svc{s}",
            verified=True,
            deployed_task_definition=f"arn:aws:ecs:us-east-1:123456789012:task-definition/s{s}:1",
            containers=names,
        )
        target = Target(
            environment=service.environment,
            region=service.region,
            cluster=service.cluster,
            service=service.service,
        )
        context = ServiceContext(target, service.deployed_task_definition)
        findings = []
        for c, name in enumerate(names):
            for k in range(per_container):
                found = context.finding(
                    RULES[k % len(RULES)],  # type: ignore[arg-type]
                    f"variable V{k} of container {name} differs",
                    container=name,
                    variable=f"V{k}",
                    where=f"policy.yaml:{10 + c}",
                )
                if (c + k) % 10 == 0:
                    found = found.model_copy(update={"waiver": waiver})
                findings.append(found)
        results.append(ServiceResult(service, tuple(findings)))
    return build_report(results, FailOn.ERROR, START, START, "policy.yaml", {})


def renderers() -> dict[str, Callable[[Report], Any]]:
    from drift_gate.publish.issues import service_body, service_verdicts
    from drift_gate.report import FORMAT_NAMES, RenderOptions, reporter

    def format_of(name: str) -> Callable[[Report], Any]:
        return lambda report: reporter(name).render(report, RenderOptions())

    made = {name: format_of(name) for name in FORMAT_NAMES}
    summary = RenderOptions(max_bytes=900 * 1024)
    made["step summary"] = lambda report: reporter("markdown").render(report, summary)
    made["issue bodies"] = lambda report: [
        service_body("<!-- x -->", verdict, report, None) for verdict in service_verdicts(report)
    ]
    return made


def median_seconds(render: Callable[[Report], Any], report: Report, runs: int) -> float:
    """With the garbage collector paused, as timeit does: its passes cost what is alive in
    this process (both reports), not what the renderer does."""
    times = []
    for _ in range(runs):
        gc.collect()
        gc.disable()
        started = time.perf_counter()
        render(report)
        times.append(time.perf_counter() - started)
        gc.enable()
    return statistics.median(times)


def size(text: str) -> tuple[int, int, int]:
    services, containers, findings = (int(part) for part in text.split("x"))
    return services, containers, findings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--small", type=size, default=(20, 25, 4), help="SxCxF")
    parser.add_argument("--large", type=size, default=(80, 100, 4), help="SxCxF")
    parser.add_argument("--source", help="import drift_gate from this directory (before)")
    arguments = parser.parse_args()
    if arguments.source:
        sys.path.insert(0, arguments.source)
    small, large = build(*arguments.small), build(*arguments.large)
    factor = len(large.findings) / len(small.findings)
    print(
        f"runs: {arguments.runs}; small {len(small.services):,} services, "
        f"{len(small.findings):,} findings; large {len(large.services):,} services, "
        f"{len(large.findings):,} findings ({factor:.0f}x)"
    )
    print(f"{'format':<14} {'small':>9} {'large':>9}  time per finding, large / small")
    for name, render in renderers().items():
        render(small)  # untimed: imports the reporter
        fast = median_seconds(render, small, arguments.runs)
        slow = median_seconds(render, large, arguments.runs)
        print(f"{name:<14} {fast:>8.3f}s {slow:>8.3f}s  {slow / fast / factor:.2f} (linear: ~1)")


if __name__ == "__main__":
    main()
