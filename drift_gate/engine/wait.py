"""`check --wait DURATION`: let the rollouts settle before the checks run, bounded.

Polls DescribeServices (10 a call, per cluster) until every service's PRIMARY deployment is
COMPLETED with as many tasks running as desired and no other deployment left, or a rollout
failed or was rolled back, or the time is up; then the checks run once. A rollback is a
finding of its own (DG213); running out of time is "could not verify" (DG901) naming each
service still rolling out. Polls back off from 2 s to 15 s; every poll is bounded by the
run's deadline like any other call.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from drift_gate.checks.deployment import rolled_back, rollout_not_settled
from drift_gate.model import Finding, ServiceState, Target
from drift_gate.policy import EnvironmentPolicy
from drift_gate.sources.aws import AWS_FAILURES, AwsClients, classify_failure
from drift_gate.sources.ecs import EcsReader

FIRST_POLL = 2.0
LONGEST_POLL = 15.0


@dataclass
class Waiting:
    """Where each service's rollout stands, for the progress line and the findings."""

    still: dict[tuple[str, str, str], str] = field(default_factory=dict)  # key -> why
    findings: list[Finding] = field(default_factory=list)
    polls: int = 0


def rollout_state(service: ServiceState) -> str | None:
    """None when settled; else what is left, in words."""
    primary = service.primary
    if primary is None:
        return "no PRIMARY deployment"
    if primary.rollout_state == "FAILED":
        return None  # settled, badly: the checks report DG202
    if primary.rollout_state not in (None, "COMPLETED") or len(service.deployments) > 1:
        return (
            f"deployment {primary.id} {(primary.rollout_state or 'in progress').lower()}, "
            f"{primary.running_count} of {primary.desired_count} running"
        )
    if service.running_count != service.desired_count:
        return f"{service.running_count} of {service.desired_count} tasks running"
    return None


def wait_for_rollouts(
    environments: Sequence[EnvironmentPolicy],
    clients: AwsClients,
    seconds: float,
    say: Callable[[str], None],
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> list[Finding]:
    """Poll until every declared service has settled or `seconds` pass; the findings."""
    started = clock()
    interval = FIRST_POLL
    while True:
        waiting = _poll(environments, clients)
        if not waiting.still:
            return waiting.findings
        elapsed = clock() - started
        if elapsed >= seconds:
            return waiting.findings + _timed_out(environments, waiting, seconds)
        names = ", ".join(f"{key[2]} ({why})" for key, why in sorted(waiting.still.items()))
        say(f"drift-gate: waiting for {len(waiting.still)} rollout(s), {elapsed:.0f} s: {names}")
        sleep(min(interval, max(0.0, seconds - elapsed)))
        interval = min(LONGEST_POLL, interval * 1.5)


def _poll(environments: Sequence[EnvironmentPolicy], clients: AwsClients) -> Waiting:
    waiting = Waiting()
    for environment in environments:
        reader = EcsReader(clients.client("ecs", environment.region))
        by_cluster: dict[str, list[str]] = {}
        for service in environment.services:
            by_cluster.setdefault(service.cluster, []).append(service.service)
        for cluster, names in by_cluster.items():
            try:
                found = reader.services(cluster, names)
            except AWS_FAILURES as error:
                # Not a reason to stop waiting early: the checks that follow read again and
                # report what cannot be read.
                why = classify_failure(error, "ecs:DescribeServices").reason
                for name in names:
                    waiting.still[(environment.name, cluster, name)] = why
                continue
            for name in names:
                state = found[name]
                if not isinstance(state, ServiceState):
                    continue  # missing: the checks report it (DG205/DG206)
                back = rolled_back(state)
                if back is not None:
                    target = back.target.model_copy(
                        update={"environment": environment.name, "region": environment.region}
                    )
                    waiting.findings.append(back.model_copy(update={"target": target}))
                    continue
                left = rollout_state(state)
                if left is not None:
                    waiting.still[(environment.name, cluster, name)] = left
    return waiting


def _timed_out(
    environments: Sequence[EnvironmentPolicy], waiting: Waiting, seconds: float
) -> list[Finding]:
    regions = {environment.name: environment.region for environment in environments}
    findings = []
    for (environment, cluster, service), why in sorted(waiting.still.items()):
        target = Target(
            environment=environment, region=regions[environment], cluster=cluster, service=service
        )
        findings.append(rollout_not_settled(target, seconds, why))
    return findings
