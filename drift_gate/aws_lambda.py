"""The AWS Lambda entry point of drift-gate: `drift_gate.aws_lambda.handler`, documented and
stable (docs/deploy-hook.md).

Configured as the target of an EventBridge rule on ECS events, it re-checks the event's
service as `check` would and keeps its GitHub issue (drift_gate/commands/on_event.py).

Configured as an ECS deployment lifecycle hook (for instance at PRE_SCALE_UP, before the new
revision has a task), it checks the deployment's target revision against the policy and
answers {"hookStatus": "SUCCEEDED" | "FAILED", "hookDetails": {...}}, or "IN_PROGRESS" with a
`callBackDelay` while a cause that may pass by itself lasts (engine/hook_wait.py). The
verdict and the findings (names, never values) go to the function's log as one JSON line. It
never raises: an error in the function would make ECS roll back without a reason.

The policy: the file named by DRIFT_GATE_POLICY, else drift-gate.yaml at the root of the
function's package (LAMBDA_TASK_ROOT), beside the `drift_gate` folder.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from drift_gate.deadline import Deadline
    from drift_gate.policy_location import PolicyLocation

POLICY_VARIABLE = "DRIFT_GATE_POLICY"
POLICY_FILE = "drift-gate.yaml"
# Kept back from Lambda's own limit so that the answer is always sent (seconds).
MARGIN = 20.0


def policy_path(environ: Mapping[str, str] | None = None) -> PolicyLocation:
    """The policy the function reads (DRIFT_GATE_POLICY: a file or s3://BUCKET/KEY, else the
    package's drift-gate.yaml); a malformed s3:// value raises InvalidInputError."""
    from drift_gate.policy_location import policy_location

    env = os.environ if environ is None else environ
    named = env.get(POLICY_VARIABLE)
    if named:
        return policy_location(named)
    return Path(env.get("LAMBDA_TASK_ROOT") or Path.cwd()) / POLICY_FILE


def handler(event: Any, context: Any) -> dict[str, Any]:
    """A lifecycle hook's invocation -> its answer, an EventBridge event -> its re-check; the
    verdict logged as one JSON line."""
    _writable_cache()
    if isinstance(event, Mapping) and _is_eventbridge(event):
        return _on_event(event, context)
    try:
        from drift_gate.engine.hook import answer_invocation, refused
        from drift_gate.errors import InvalidInputError

        try:
            where = policy_path()
        except InvalidInputError as error:
            answer = refused(f"{POLICY_VARIABLE}: {error}")
        else:
            answer = answer_invocation(event, where, deadline=_deadline(context))
    except Exception as error:  # noqa: BLE001 - never raise to ECS: fail closed with a reason
        reason = f"internal error ({type(error).__name__}); nothing was verified"
        log = {"drift_gate": "lifecycle-hook", "hookStatus": "FAILED", "reason": reason}
        print(json.dumps(log, sort_keys=True), file=sys.stdout, flush=True)
        return {"hookStatus": "FAILED", "hookDetails": {"summary": f"drift-gate: {reason}"}}
    print(json.dumps(answer.log, sort_keys=True), file=sys.stdout, flush=True)
    return answer.response


def _is_eventbridge(event: Mapping[str, Any]) -> bool:
    return ("detail-type" in event or "source" in event) and "executionDetails" not in event


# What lives as long as the warm container: the events it re-checked (duplicates skipped).
_WARM: dict[str, Any] = {}


def _on_event(event: Mapping[str, Any], context: Any) -> dict[str, Any]:
    """An EventBridge event: re-checked and published as configured; never raises (Lambda
    would retry the event for nothing)."""
    try:
        from drift_gate.commands.on_event import answer_lambda_event
        from drift_gate.engine.on_event import SeenEvents, refused
        from drift_gate.errors import InvalidInputError

        seen = _WARM.setdefault("seen", SeenEvents())
        try:
            where = policy_path()
        except InvalidInputError as error:
            result = refused(f"{POLICY_VARIABLE}: {error}").result
        else:
            result = answer_lambda_event(event, where, seen, _deadline(context))
    except Exception as error:  # noqa: BLE001 - never raise: the reason goes to the log
        reason = f"internal error ({type(error).__name__}); nothing was verified"
        result = {"drift_gate": "on-event", "verdict": "could not verify", "reason": reason}
    print(json.dumps(result, sort_keys=True), file=sys.stdout, flush=True)
    return result


def _writable_cache() -> None:
    """In Lambda only /tmp is writable: the policy validity cache goes there unless told
    otherwise (drift_gate/cache.py; a cache that cannot be written is skipped, never fatal)."""
    if os.environ.get("LAMBDA_TASK_ROOT") and not os.environ.get("DRIFT_GATE_CACHE_DIR"):
        os.environ["DRIFT_GATE_CACHE_DIR"] = os.path.join(tempfile.gettempdir(), "drift-gate")


def _deadline(context: Any) -> Deadline | None:
    """The run's deadline from the time Lambda leaves this invocation, less a margin."""
    from drift_gate.deadline import Deadline

    remaining = getattr(context, "get_remaining_time_in_millis", None)
    if not callable(remaining):
        return None
    try:
        seconds = float(remaining()) / 1000.0 - MARGIN
    except (TypeError, ValueError):
        return None
    return Deadline(max(seconds, 1.0))
