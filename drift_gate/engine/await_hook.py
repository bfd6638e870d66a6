"""`drift-gate await-hook`: wait for a service's deployment to pause at a PAUSE lifecycle hook,
check its target revision as the Lambda hook does, then continue it or roll it back.

The wait is bounded (the command's --timeout, inside the run's deadline) and backs off.
While no hook is known, a failed call ends the wait as "could not verify" with nothing
continued (drift-gate has no hookId to answer with). Once a hook is found, the deployment is
described again just before the answer, so that drift-gate answers the hook it judged and
not one that has timed out or moved on: what cannot be confirmed then is "could not verify",
answered ROLLBACK unless the setting says continue. A known blocking finding is ROLLBACK
whatever the setting.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from drift_gate.deadline import Deadline
from drift_gate.errors import CouldNotVerifyError, ExitCode
from drift_gate.sources.aws_failures import AWS_FAILURES

if TYPE_CHECKING:
    from drift_gate.engine.entry import Outcome
    from drift_gate.model import Report
    from drift_gate.sources.deployments import PausedDeployment

FIRST_PAUSE, LONGEST_PAUSE = 2.0, 30.0  # seconds between looks, doubling
ANSWER_MARGIN = 20.0  # seconds of the deadline kept for the check and the answer
VERIFIED = "the target revision gives every container what the policy declares"
READS = "ecs:ListServiceDeployments and ecs:DescribeServiceDeployments"
CONTINUED_UNVERIFIED = "continued WITHOUT verifying it (--unverified continue)"


@dataclass(frozen=True)
class AwaitRequest:
    """The service whose paused deployment is judged, and how long to wait for it."""

    policy: Path
    cluster: str
    service: str
    region: str
    wait_seconds: float = 1800.0
    unverified: str = "fail"  # or "continue"
    max_attempts: int = 5
    timeout: float = 20.0
    deadline: Deadline = field(default_factory=Deadline)
    sleep: Callable[[float], None] = time.sleep


@dataclass(frozen=True)
class AwaitResult:
    """What was judged and answered: the revision's report, the action sent (None when it
    could not be sent), the exit code, and the one line said on standard error."""

    outcome: Outcome
    action: str | None
    exit_code: ExitCode
    line: str


def await_and_answer(request: AwaitRequest) -> AwaitResult:
    """Wait for the hook, judge the target revision, answer it; CouldNotVerifyError when no
    hook awaited action in time (nothing continued)."""
    from drift_gate.engine.entry import aws_clients, load
    from drift_gate.sources.deployments import continue_deployment

    load(request.policy, None)  # a policy that cannot be read is exit 2 before any wait
    clients = aws_clients(request.max_attempts, request.timeout, request.deadline)
    ecs = clients.client("ecs", request.region)
    paused = _wait_for_hook(ecs, request)
    outcome = _judge(paused, request)
    action, code, why = _decision(outcome, request.unverified)
    try:
        _confirm(ecs, paused)
    except AWS_FAILURES as error:  # the state could not be confirmed: classified below
        action, code, why = _unconfirmed(error, action, code, why, request.unverified)
    try:
        continue_deployment(ecs, paused, action)
    except AWS_FAILURES as error:  # exit 3, the reason, and what the deployment shows now
        return _not_answered(outcome, paused, action, (error, _after(ecs, paused)))
    line = f"drift-gate: {action} sent to {paused.deployment_arn} ({paused.revision_arn}): {why}"
    return AwaitResult(outcome, action, code, line)


def _wait_for_hook(ecs: Any, request: AwaitRequest) -> PausedDeployment:
    from drift_gate.sources.aws_failures import classify_failure
    from drift_gate.sources.deployments import LIST, in_progress_deployments, paused_at_hook

    budget = min(request.wait_seconds, request.deadline.remaining() - ANSWER_MARGIN)
    ends, pause = time.monotonic() + max(budget, 0.0), FIRST_PAUSE
    while True:
        try:
            for arn in in_progress_deployments(ecs, request.cluster, request.service):
                paused = paused_at_hook(ecs, arn)
                if paused is not None:
                    return paused
        except AWS_FAILURES as error:  # no hookId yet: nothing can be answered
            failure = classify_failure(error, LIST)
            fix = failure.fix
            if failure.reason.startswith("access denied"):  # not in docs/iam-policy.json
                fix = f'Grant {READS} (docs/deploy-hook.md, "The pause hook").'
            raise CouldNotVerifyError(
                f"{failure.reason}; nothing was continued or rolled back. {fix}"
            ) from None
        left = ends - time.monotonic()
        if left <= 0:
            raise CouldNotVerifyError(
                f"no deployment of {request.cluster}/{request.service} had a PAUSE hook "
                f"awaiting action within {request.wait_seconds:g} s; nothing was continued"
            )
        request.sleep(min(pause, left))
        pause = min(pause * 2, LONGEST_PAUSE)


def _judge(paused: PausedDeployment, request: AwaitRequest) -> Outcome:
    from drift_gate.engine.entry import RevisionRequest, check_revision

    # The check ends ANSWER_MARGIN before the run does: the answer (ROLLBACK on a known
    # finding) must still be sent when AWS is slow, not left to the hook's timeout action.
    check_deadline = Deadline(max(request.deadline.remaining() - ANSWER_MARGIN, 1.0))
    revision = RevisionRequest(
        request.policy,
        paused.service_arn,
        paused.revision_arn,
        max_attempts=request.max_attempts,
        timeout=request.timeout,
        deadline=check_deadline,
    )
    return check_revision(revision)


def blocking(report: Report) -> int:
    """How many known findings block at the policy's threshold (unverified ones aside)."""
    return sum(
        1
        for f in report.findings
        if not f.is_unverified and report.fail_on.blocks(f.severity) and f.waiver is None
    )


def _decision(outcome: Outcome, unverified: str) -> tuple[str, ExitCode, str]:
    report = outcome.report
    count = blocking(report)
    if count:
        return "ROLLBACK", ExitCode.DRIFT, f"{count} blocking finding(s) in the target revision"
    if outcome.stopped is None and report.exit_code == ExitCode.PASS:
        return "CONTINUE", ExitCode.PASS, VERIFIED
    unverified_findings = [f for f in report.findings if f.is_unverified]
    reason = "the target revision could not be verified"
    if unverified_findings:
        reason += f": {unverified_findings[0].message.removeprefix('could not verify: ')}"
    elif outcome.stopped is not None:
        reason += f": {outcome.stopped}"
    if unverified == "continue":
        return "CONTINUE", ExitCode.COULD_NOT_VERIFY, f"{reason}; {CONTINUED_UNVERIFIED}"
    return "ROLLBACK", ExitCode.COULD_NOT_VERIFY, reason


def _confirm(ecs: Any, paused: PausedDeployment) -> None:
    """The hook judged still awaits action, for the revision judged (else ItemFailureError)."""
    from drift_gate.sources.answers import ItemFailureError
    from drift_gate.sources.deployments import DESCRIBE, paused_at_hook

    still = paused_at_hook(ecs, paused.deployment_arn)
    if still is None or (still.hook_id, still.revision_arn) != (
        paused.hook_id,
        paused.revision_arn,
    ):
        raise ItemFailureError(DESCRIBE, "no longer shows the hook judged awaiting action")


def _unconfirmed(
    error: Exception, action: str, code: ExitCode, why: str, unverified: str
) -> tuple[str, ExitCode, str]:
    """The deployment could not be described again before the answer: could not verify.
    A known blocking finding stays ROLLBACK (exit 1); otherwise the setting decides."""
    from drift_gate.sources.aws_failures import classify_failure
    from drift_gate.sources.deployments import DESCRIBE

    if code == ExitCode.DRIFT:
        return action, code, why
    reason = (
        "the deployment could not be confirmed before the answer: "
        + classify_failure(error, DESCRIBE).reason
    )
    if unverified == "continue":
        return "CONTINUE", ExitCode.COULD_NOT_VERIFY, f"{reason}; {CONTINUED_UNVERIFIED}"
    return "ROLLBACK", ExitCode.COULD_NOT_VERIFY, reason


def _after(ecs: Any, paused: PausedDeployment) -> str:
    """What became of a failed answer, from the deployment as it shows the hook now: a write
    whose answer was lost (a timeout, a cut body, a retry after a 5xx) may have been applied."""
    from drift_gate.sources.deployments import hook_state

    try:
        state = hook_state(ecs, paused)
    except AWS_FAILURES:
        return (
            "whether it was applied is not known (the deployment could not be described "
            "again): look at the deployment (aws ecs describe-service-deployments)"
        )
    if state == "AWAITING_ACTION":
        return (
            "nothing was continued or rolled back: the hook still awaits action "
            "(its timeout action decides)"
        )
    return (
        f"the deployment now shows the hook {state}: the answer may have been applied; "
        "look at the deployment (aws ecs describe-service-deployments)"
    )


def _not_answered(
    outcome: Outcome, paused: PausedDeployment, action: str, failed: tuple[Exception, str]
) -> AwaitResult:
    """The answer's call failed: exit 3, the reason, and what the deployment shows now."""
    from drift_gate.sources.aws_failures import classify_failure
    from drift_gate.sources.deployments import CONTINUE

    error, after = failed
    failure = classify_failure(error, CONTINUE)
    fix = failure.fix
    if failure.reason.startswith("access denied"):  # the one write: not in the read-only set
        fix = 'Grant ecs:ContinueServiceDeployment (docs/deploy-hook.md, "The pause hook").'
    line = (
        f"drift-gate: could not send {action} to {paused.deployment_arn}: {failure.reason}; "
        f"{after}. {fix}"
    )
    return AwaitResult(outcome, None, ExitCode.COULD_NOT_VERIFY, line)
