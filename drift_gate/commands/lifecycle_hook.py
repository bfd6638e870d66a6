"""`drift-gate lifecycle-hook --event EVENT.json`: the Lambda hook's handler on a saved
invocation payload, locally: how users test their setup, and how the tests drive the hook.

The answer ECS would get is printed on standard output as JSON, the function's log line on
standard error. Exit 0 SUCCEEDED, 1 FAILED on findings, 3 could not verify (whatever the
hook's `unverified` setting made of it, and IN_PROGRESS: not verified yet), 2 bad input (the
event, the policy).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from drift_gate.commands._console import echo
from drift_gate.errors import InvalidInputError
from drift_gate.policy_location import PolicyLocation, PolicyObject, policy_location

POLICY_VARIABLE = "DRIFT_GATE_POLICY"  # as the function reads it (drift_gate/aws_lambda.py)


@dataclass(frozen=True)
class LifecycleHookArguments:
    """What `drift-gate lifecycle-hook` was given, as click parsed it."""

    event: Path
    policy_path: PolicyLocation | None = None  # a file or s3://BUCKET/KEY


def run(given: LifecycleHookArguments) -> int:
    """Answer the saved invocation as the function would; its exit code."""
    from drift_gate.commands._policy_path import required_policy
    from drift_gate.engine.hook import answer_invocation, refused

    named = os.environ.get(POLICY_VARIABLE)
    try:
        event = _read_event(given.event)
        chosen = given.policy_path or (policy_location(named) if named else None)
        policy = (
            chosen
            if isinstance(chosen, PolicyObject)
            else required_policy(chosen, f"give --policy FILE or set {POLICY_VARIABLE}")
        )
    except InvalidInputError as error:
        answer = refused(str(error))
    else:
        answer = answer_invocation(event, policy)
    echo(json.dumps(answer.response, sort_keys=True))
    echo(json.dumps(answer.log, sort_keys=True), err=True)
    return int(answer.exit_code)


def _read_event(path: Path) -> object:
    """The event file's JSON (exit 2 naming the file, never its content)."""
    from drift_gate.input_files import EVENT, read_bytes

    data = read_bytes(path, EVENT)
    try:
        return json.loads(data)
    except (ValueError, UnicodeDecodeError):
        raise InvalidInputError(f"{path}: not JSON") from None
