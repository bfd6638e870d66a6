"""An ECS event from EventBridge -> a re-check of its service, and one JSON result line.

`drift_gate.aws_lambda.handler` (an EventBridge rule's target) and `drift-gate on-event
--event` (locally, on a saved event) both answer through `answer_event`; publishing the
result (the service's GitHub issue, the metrics) is the command layer's
(drift_gate/commands/on_event.py).

The re-check is `check` of that one service (engine/entry.py's `check_service`): it judges
the service's CURRENT state, never the event's, so duplicates and events out of order
converge. Before it, in this order: an event that needs no re-check is "ignored"; one this
warm container already processed is "skipped" (a duplicate: the same deployment id and event
name, or the same task ARN and version); an older one is "skipped" as stale (a task version
below one already processed, or a deployment that is no longer among the service's
deployments). Each says why, exit 0.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from drift_gate.deadline import Deadline
from drift_gate.errors import CouldNotVerifyError, DriftGateError, ExitCode, InvalidInputError

if TYPE_CHECKING:
    from drift_gate.model import Finding, Report
    from drift_gate.policy import Policy
    from drift_gate.policy_location import PolicyLocation
    from drift_gate.sources.ecs_events import EcsEvent

MAX_REMEMBERED = 1000  # events a warm container remembers (the oldest forgotten first)
VERDICTS = {
    ExitCode.PASS: "pass",
    ExitCode.DRIFT: "drift",
    ExitCode.INVALID_INPUT: "bad input",
    ExitCode.COULD_NOT_VERIFY: "could not verify",
}


@dataclass
class SeenEvents:
    """What this process has re-checked (pass or drift, published): duplicates and older
    events after it are skipped. Bounded; the Lambda keeps one for its warm container."""

    done: dict[str, None] = field(default_factory=dict)  # "deploymentId eventName"
    versions: dict[str, int] = field(default_factory=dict)  # task ARN -> newest version

    def skipped_because(self, event: EcsEvent) -> str | None:
        if event.kind == "deployment":
            if f"{event.deployment_id} {event.event_name}" in self.done:
                return "a duplicate: this deployment event was re-checked already"
            return None
        newest = self.versions.get(event.task_arn or "")
        if newest is None or event.version is None or event.version > newest:
            return None
        if event.version == newest:
            return "a duplicate: this version of the task was re-checked already"
        return f"stale: version {event.version} of the task is older than {newest}, re-checked"

    def remember(self, event: EcsEvent) -> None:
        if event.kind == "deployment":
            _bounded(self.done, f"{event.deployment_id} {event.event_name}", None)
        elif event.task_arn and event.version is not None:
            newest = max(event.version, self.versions.get(event.task_arn, event.version))
            _bounded(self.versions, event.task_arn, newest)


def _bounded(remembered: dict[Any, Any], key: Any, value: Any) -> None:
    remembered.pop(key, None)
    remembered[key] = value
    while len(remembered) > MAX_REMEMBERED:
        del remembered[next(iter(remembered))]


@dataclass(frozen=True)
class EventAnswer:
    """The result line, the exit code, and what was re-checked (for publishing)."""

    result: dict[str, Any]
    exit_code: ExitCode
    event: EcsEvent | None = None
    report: Report | None = None

    @property
    def judged(self) -> bool:
        """A re-check that verified the service: pass or drift (what is published)."""
        return self.report is not None and self.exit_code in (ExitCode.PASS, ExitCode.DRIFT)


def refused(reason: str) -> EventAnswer:
    """The answer to an event, a policy or a configuration that cannot be used: exit 2."""
    return _answer("bad input", ExitCode.INVALID_INPUT, f"bad input: {reason}", {})


def answer_event(
    raw: object,
    policy: PolicyLocation,
    seen: SeenEvents,
    *,
    timeout: float = 10.0,
    deadline: Deadline | None = None,
) -> EventAnswer:
    """Re-check the event's service against the policy; never raises."""
    from drift_gate.sources.ecs_events import ignored_because, parse_event

    try:
        event = parse_event(raw)
    except InvalidInputError as error:
        return refused(str(error))
    if isinstance(event, str):
        return _answer("ignored", ExitCode.PASS, event, {})
    where = _where(event)
    not_needed = ignored_because(event)
    if not_needed is not None:
        return _answer("ignored", ExitCode.PASS, not_needed, where, event=event)
    skipped = seen.skipped_because(event)
    if skipped is not None:
        return _answer("skipped", ExitCode.PASS, skipped, where, event=event)
    try:
        return _rechecked(event, policy, timeout, deadline, where)
    except InvalidInputError as error:
        return _answer("bad input", ExitCode.INVALID_INPUT, f"bad input: {error}", where)
    except DriftGateError as error:
        return _answer("could not verify", ExitCode.COULD_NOT_VERIFY, str(error), where)
    except Exception as error:  # noqa: BLE001 - a bug: not verified, with a reason; never raise
        reason = f"internal error ({type(error).__name__}); nothing was verified"
        return _answer("could not verify", ExitCode.COULD_NOT_VERIFY, reason, where)


def _rechecked(
    event: EcsEvent,
    location: PolicyLocation,
    timeout: float,
    deadline: Deadline | None,
    where: dict[str, Any],
) -> EventAnswer:
    from drift_gate.engine.entry import ServiceRequest, check_service, load
    from drift_gate.engine.hook import _policy_object

    declared = _policy_object(location, timeout, deadline)
    policy = load(declared, None) if isinstance(declared, Path) else declared
    stale = _skip_reason(event, policy, timeout, deadline)
    if stale is not None:
        return _answer("skipped", ExitCode.PASS, stale, where, event=event)
    request = ServiceRequest(
        policy, event.service_arn or "", max_attempts=3, timeout=timeout, deadline=deadline
    )
    outcome = check_service(request)
    if outcome.stopped is not None:
        code = ExitCode(outcome.stopped.exit_code)
        return _answer(VERDICTS.get(code, "could not verify"), code, str(outcome.stopped), where)
    return _judged(event, outcome.report, where)


def _skip_reason(
    event: EcsEvent, policy: Policy, timeout: float, deadline: Deadline | None
) -> str | None:
    """Why the event is skipped (a deployment event whose deployment is no longer the
    service's is stale), or None; an event about a service the credentials do not reach
    raises could not verify.
    Asked only for a service the policy declares; a failure to ask is could not verify.

    For every event, the service the credentials reach must be the event's: the same ARN,
    so the same account. Otherwise the re-check would judge (and publish for) a service of
    another account under the event's name."""
    from drift_gate.engine.entry import aws_clients
    from drift_gate.engine.revision import ServiceArn, declared_for
    from drift_gate.model import ServiceState
    from drift_gate.sources.aws import AWS_FAILURES, classify_failure
    from drift_gate.sources.ecs import EcsReader

    service = ServiceArn.parse(event.service_arn or "")
    declared = declared_for(policy, service, None)
    if declared is None:
        return None
    reader = EcsReader(aws_clients(3, timeout, deadline).client("ecs", service.region))
    try:
        lookup = reader.services(declared[1].cluster, [service.service])[service.service]
    except AWS_FAILURES as error:
        failure = classify_failure(error, "ecs:DescribeServices")
        raise CouldNotVerifyError(f"could not verify: {failure.reason}") from None
    if not isinstance(lookup, ServiceState):
        return None  # the re-check says what became of the service
    if lookup.arn != event.service_arn:
        raise CouldNotVerifyError(
            f"could not verify: the event is about {event.service_arn}, but the function's "
            f"credentials reach {lookup.arn} (another account?): run the re-check with "
            "credentials of the event's account"
        )
    if event.kind != "deployment":
        return None
    if event.deployment_id in {deployment.id for deployment in lookup.deployments}:
        return None
    return "stale: the deployment is no longer among the service's deployments"


def _judged(event: EcsEvent, report: Report, where: dict[str, Any]) -> EventAnswer:
    code = ExitCode(report.exit_code)
    verdict = VERDICTS.get(code, "could not verify")
    unverified = [f for f in report.findings if f.is_unverified]
    if code == ExitCode.DRIFT:
        reason = "the service does not run what the policy declares"
    elif unverified or code != ExitCode.PASS:
        reason = unverified[0].message if unverified else "the service was not verified"
    else:
        reason = "the service runs what the policy declares"
    named = [_named(f) for f in report.findings]
    return _answer(verdict, code, reason, where, named, event, report)


def _named(finding: Finding) -> str:
    """A finding as the result names it: rule, container, variable; never a message."""
    target = finding.target
    return " ".join(p for p in (finding.rule_id, target.container, target.variable) if p)


def _where(event: EcsEvent) -> dict[str, Any]:
    found = {
        "event": event.kind,
        "eventId": event.event_id,
        "eventName": event.event_name,
        "deploymentId": event.deployment_id,
        "taskArn": event.task_arn,
        "version": event.version,
        "service": event.service_arn,
    }
    return {key: value for key, value in found.items() if value is not None}


def _answer(
    verdict: str,
    code: ExitCode,
    reason: str,
    where: dict[str, Any],
    named: list[str] | None = None,
    event: EcsEvent | None = None,
    report: Report | None = None,
) -> EventAnswer:
    result = {
        "drift_gate": "on-event",
        "verdict": verdict,
        "reason": reason,
        **where,
        "findings": named or [],
    }
    return EventAnswer(result, code, event, report)
