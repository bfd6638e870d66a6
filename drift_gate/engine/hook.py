"""An ECS deployment lifecycle hook's invocation -> its answer and one JSON log line.

`drift_gate.aws_lambda.handler` (in AWS Lambda) and `drift-gate lifecycle-hook --event`
(locally, on a saved payload) both answer through `answer_invocation`, so what is tested
locally is what runs. The payload (docs.aws.amazon.com/AmazonECS/latest/developerguide/
lambda-lifecycle-hooks.html): `executionDetails.serviceArn`, `executionDetails.
targetServiceRevisionArn`, `lifecycleStage`, `executionId`, and the hook's `hookDetails`.

Fail closed: the answer is SUCCEEDED only for a revision verified against the policy, or,
when the hook's `hookDetails` say `{"unverified": "continue"}`, for one that could not be
verified (the log says so). A could-not-verify that may pass by itself (throttled, a server
error, a timeout) is IN_PROGRESS first, within a bound (engine/hook_wait.py). A bad event is
a FAILED answer with the reason: an exception escaping the function would make ECS roll back
without saying why.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from drift_gate.deadline import Deadline
from drift_gate.engine.hook_wait import Waiting, utc_now
from drift_gate.errors import CouldNotVerifyError, DriftGateError, ExitCode, InvalidInputError
from drift_gate.policy_location import PolicyObject

if TYPE_CHECKING:
    from drift_gate.model import Finding, Report
    from drift_gate.policy import Policy
    from drift_gate.policy_location import PolicyLocation

SETTINGS = ("fail", "continue")  # hookDetails' "unverified": what an unverified revision gets
MAX_LISTED = 10  # findings named in hookDetails (all of them go to the log)
# After scale-up the target revision has tasks: the hook reads them too (DG211; still
# starting: IN_PROGRESS). Before it (PRE_SCALE_UP, RECONCILE_SERVICE) it has none.
TASK_STAGES = frozenset({"POST_SCALE_UP"})
# In Lambda, the container's boto3 session, kept between invocations: a warm invocation
# (ECS calling back after IN_PROGRESS, the next deployment) reuses its loaded service models.
_CONTAINER_SESSION: list[Any] = []


def container_session() -> Any:
    """The boto3 session this Lambda container's invocations share; None outside Lambda
    (LAMBDA_TASK_ROOT unset), where each answer makes its own."""
    if not os.environ.get("LAMBDA_TASK_ROOT"):
        return None
    if not _CONTAINER_SESSION:
        import boto3

        _CONTAINER_SESSION.append(boto3.session.Session())
    return _CONTAINER_SESSION[0]


@dataclass(frozen=True)
class Invocation:
    """What drift-gate reads of a lifecycle hook's payload."""

    service_arn: str
    revision_arn: str
    unverified: str = "fail"
    stage: str | None = None
    execution_id: str | None = None
    waiting: Waiting = field(default_factory=Waiting)

    @classmethod
    def parse(cls, event: object) -> Invocation:
        """The invocation, or InvalidInputError naming the field (never a value)."""
        if not isinstance(event, Mapping):
            raise InvalidInputError("the event is not a JSON object")
        details = event.get("executionDetails")
        if not isinstance(details, Mapping):
            raise InvalidInputError("the event has no executionDetails object")
        service_arn = _text(details, "serviceArn", "executionDetails.serviceArn")
        revision_arn = _text(
            details, "targetServiceRevisionArn", "executionDetails.targetServiceRevisionArn"
        )
        hook_details = event.get("hookDetails") or {}
        if not isinstance(hook_details, Mapping):
            raise InvalidInputError("hookDetails is not a JSON object")
        unverified = hook_details.get("unverified", "fail")
        if unverified not in SETTINGS:
            raise InvalidInputError('hookDetails.unverified is neither "fail" nor "continue"')
        stage, execution = event.get("lifecycleStage"), event.get("executionId")
        return cls(
            service_arn,
            revision_arn,
            str(unverified),
            stage if isinstance(stage, str) else None,
            execution if isinstance(execution, str) else None,
            Waiting.parse(hook_details),
        )


def _text(mapping: Mapping[str, Any], key: str, where: str) -> str:
    value = mapping.get(key)
    if not isinstance(value, str) or not value:
        raise InvalidInputError(f"the event has no {where} string")
    return value


@dataclass(frozen=True)
class HookAnswer:
    """The hook's answer to ECS, its log line, and the local command's exit code."""

    response: dict[str, Any]
    log: dict[str, Any]
    exit_code: ExitCode


def refused(reason: str) -> HookAnswer:
    """The answer to an event that could not be read at all (exit 2, FAILED, the reason)."""
    return _answer("FAILED", ExitCode.INVALID_INPUT, f"bad event: {reason}", {})


def answer_invocation(
    event: object,
    policy: PolicyLocation | Policy,  # a Policy already read: the demo's, from the package
    *,
    timeout: float = 10.0,
    deadline: Deadline | None = None,
    clock: Callable[[], datetime] = utc_now,
) -> HookAnswer:
    """Check the invocation's target revision against the policy; never raises."""
    try:
        invocation = Invocation.parse(event)
        invocation.waiting.elapsed(clock())  # a first attempt in the future: a bad event
    except InvalidInputError as error:
        return refused(str(error))
    where = {
        "service": invocation.service_arn,
        "revision": invocation.revision_arn,
        "stage": invocation.stage,
        "executionId": invocation.execution_id,
        "unverified": invocation.unverified,
    }
    try:
        declared = _policy_object(policy, timeout, deadline)
    except InvalidInputError as error:
        return _answer("FAILED", ExitCode.INVALID_INPUT, f"bad input: {error}", where)
    except CouldNotVerifyError as error:  # the policy itself: nothing to continue against
        return _answer("FAILED", ExitCode.COULD_NOT_VERIFY, str(error), where)
    try:
        report, stopped = _check(invocation, declared, timeout, deadline)
    except InvalidInputError as error:
        return _answer("FAILED", ExitCode.INVALID_INPUT, f"bad input: {error}", where)
    except DriftGateError as error:
        return _unverified(invocation, str(error), where, [])
    except Exception as error:  # noqa: BLE001 - a bug: fail closed with a reason, never raise
        # FAILED whatever the setting: `continue` is for what AWS did not answer, not for a
        # bug in drift-gate (which may have found a blocking finding before it failed).
        reason = f"internal error ({type(error).__name__}); nothing was verified"
        return _answer("FAILED", ExitCode.COULD_NOT_VERIFY, reason, where)
    if stopped is not None:
        return _answer("FAILED", ExitCode(stopped.exit_code), f"stopped: {stopped}", where)
    return _judged(invocation, report, where, clock())


def _policy_object(
    where: PolicyLocation | Policy, timeout: float, deadline: Deadline | None
) -> Path | Policy:
    """A policy file as it is (read by the check); a policy in S3, read and validated here:
    which cannot be read fails the hook whatever its `unverified` setting (nothing declared)."""
    if not isinstance(where, PolicyObject):
        return where
    from drift_gate.engine.entry import aws_clients
    from drift_gate.policy import policy_from_document
    from drift_gate.sources.policy_object import read_policy_object
    from drift_gate.yamlfile import parse_yaml

    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    client = aws_clients(3, timeout, deadline, container_session()).client("s3", region)
    return policy_from_document(parse_yaml(read_policy_object(client, where), where.url))


def _check(
    invocation: Invocation, policy: Path | Policy, timeout: float, deadline: Deadline | None
) -> tuple[Report, DriftGateError | None]:
    from drift_gate.engine.entry import RevisionRequest, check_revision

    request = RevisionRequest(
        policy,
        invocation.service_arn,
        invocation.revision_arn,
        max_attempts=3,
        timeout=timeout,
        deadline=deadline,
        session=container_session(),
        with_tasks=invocation.stage in TASK_STAGES,
    )
    outcome = check_revision(request)
    return outcome.report, outcome.stopped


def _judged(
    invocation: Invocation, report: Report, where: dict[str, Any], now: datetime
) -> HookAnswer:
    blocking = [
        f
        for f in report.findings
        if not f.is_unverified and report.fail_on.blocks(f.severity) and f.waiver is None
    ]
    named = [_named(f) for f in report.findings]
    if blocking:
        reason = f"{len(blocking)} blocking finding(s) in the target revision"
        return _answer("FAILED", ExitCode.DRIFT, reason, where, named, blocking)
    unverified = [f for f in report.findings if f.is_unverified]
    if unverified or report.exit_code == ExitCode.COULD_NOT_VERIFY:
        reason = unverified[0].message if unverified else "the revision was not verified"
        reason = reason.removeprefix("could not verify: ")
        if unverified and all(_transient(f) for f in unverified):
            delay = invocation.waiting.delay(now)
            if delay is not None:
                return _in_progress(invocation, reason, where, named, (delay, now))
            reason += invocation.waiting.spent(now)
        return _unverified(invocation, reason, where, named)
    reason = "the target revision gives every container what the policy declares"
    return _answer("SUCCEEDED", ExitCode.PASS, reason, where, named)


def _transient(finding: Finding) -> bool:
    """A could-not-verify that may pass by itself (engine/hook_wait.py)."""
    from drift_gate.checks.tasks import TASKS_STARTING_FIX
    from drift_gate.sources.aws_failures import TRANSIENT_FIXES

    return finding.remediation in TRANSIENT_FIXES or finding.remediation == TASKS_STARTING_FIX


def _in_progress(
    invocation: Invocation,
    reason: str,
    where: dict[str, Any],
    named: list[dict[str, Any]],
    when: tuple[int, datetime],
) -> HookAnswer:
    """IN_PROGRESS: ECS invokes the hook again after `delay` seconds, with the state."""
    delay, now = when
    waiting = invocation.waiting
    reason = (
        f"{reason}; not verified yet: asking again in {delay} s "
        f"(attempt {waiting.attempt} of at most {waiting.attempts})"
    )
    answer = _answer("IN_PROGRESS", ExitCode.COULD_NOT_VERIFY, reason, where, named)
    answer.response["callBackDelay"] = delay
    answer.response["hookDetails"].update(waiting.carried(now, invocation.unverified))
    answer.log.update(callBackDelay=delay, attempt=waiting.attempt)
    return answer


def _unverified(
    invocation: Invocation, reason: str, where: dict[str, Any], named: list[dict[str, Any]]
) -> HookAnswer:
    if invocation.unverified == "continue":
        reason = f"{reason} (continued: hookDetails say unverified: continue)"
        answer = _answer("SUCCEEDED", ExitCode.COULD_NOT_VERIFY, reason, where, named)
        answer.log["warning"] = (
            "continued WITHOUT verifying the revision: hookDetails say unverified: continue"
        )
        return answer
    return _answer("FAILED", ExitCode.COULD_NOT_VERIFY, reason, where, named)


_VERDICTS = {
    ExitCode.PASS: "pass",
    ExitCode.DRIFT: "drift",
    ExitCode.INVALID_INPUT: "bad input",
    ExitCode.COULD_NOT_VERIFY: "could not verify",
}


def _named(finding: Finding) -> dict[str, Any]:
    """A finding as the log shows it: its rule and where; messages name, never quote values."""
    return {
        "rule": finding.rule_id,
        "severity": finding.severity.value,
        "container": finding.target.container,
        "variable": finding.target.variable,
        "message": finding.message,
    }


def _answer(
    status: str,
    code: ExitCode,
    reason: str,
    where: dict[str, Any],
    named: list[dict[str, Any]] | None = None,
    blocking: list[Finding] | None = None,
) -> HookAnswer:
    verdict = _VERDICTS.get(code, "could not verify")
    listed = [
        " ".join(p for p in (f.rule_id, f.target.container, f.target.variable) if p)
        for f in (blocking or [])
    ][:MAX_LISTED]
    summary = f"drift-gate: {verdict}: {reason}"
    details: dict[str, Any] = {"summary": summary[:500], "verdict": verdict}
    if listed:
        details["findings"] = listed
    log = {
        "drift_gate": "lifecycle-hook",
        "hookStatus": status,
        "verdict": verdict,
        "reason": reason,
        **where,
        "findings": named or [],
    }
    return HookAnswer({"hookStatus": status, "hookDetails": details}, log, code)
