"""`drift-gate await-hook --cluster C --service S`: wait for the service's deployment to pause
at a PAUSE lifecycle hook, check its target revision against the policy, then send
ContinueServiceDeployment with CONTINUE or ROLLBACK (engine/await_hook.py).

The revision's report is written like check's (--format/--output); one line on standard
error says what was continued or rolled back. Exit 0 continued, 1 rolled back on findings,
3 could not verify (rolled back unless --unverified continue) or no hook in time (nothing
continued), 2 bad input.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from drift_gate.commands._console import echo
from drift_gate.commands.outputs import CONSOLE, OutputTarget, check_outputs, deliver
from drift_gate.errors import InvalidInputError

CHECK_SECONDS = 300.0  # the run's deadline: the wait, then this for the check and the answer


@dataclass(frozen=True)
class AwaitHookArguments:
    """What `drift-gate await-hook` was given, as click parsed it."""

    cluster: str
    service: str
    policy_path: Path | None = None
    region: str | None = None
    wait_seconds: float = 1800.0
    unverified: str = "fail"
    max_attempts: int = 5
    outputs: tuple[OutputTarget, ...] = CONSOLE


def run(given: AwaitHookArguments) -> int:
    """Wait, judge, answer; the exit code."""
    from drift_gate.commands._policy_path import required_policy
    from drift_gate.deadline import Deadline
    from drift_gate.engine.await_hook import AwaitRequest, await_and_answer

    policy = required_policy(given.policy_path, "give --policy FILE")
    check_outputs(given.outputs, [policy])
    request = AwaitRequest(
        policy,
        given.cluster,
        given.service,
        _region(given.region),
        wait_seconds=given.wait_seconds,
        unverified=given.unverified,
        max_attempts=given.max_attempts,
        deadline=Deadline(given.wait_seconds + CHECK_SECONDS),
    )
    result = await_and_answer(request)
    echo(result.line, err=True)
    code = deliver(result.outcome, given.outputs)
    return max(code, int(result.exit_code))


def _region(given: str | None) -> str:
    """--region, else the AWS configuration's (exit 2 when there is none)."""
    if given:
        return given
    import boto3

    region = os.environ.get("AWS_REGION") or boto3.session.Session().region_name
    if not region:
        raise InvalidInputError("no AWS region: give --region or set AWS_REGION")
    return str(region)
