"""When a lifecycle hook answers IN_PROGRESS: a could-not-verify that may pass by itself.

A transient failure (throttled or a server error past retries, a read timeout, the deadline
kept back from Lambda's limit) is answered IN_PROGRESS with a `callBackDelay` that backs off
(30, 60, 120, 240, then 300 s), so that ECS invokes the function again. The answer's
`hookDetails` carry the attempt count and the first attempt's time, which ECS passes back on
the next invocation (docs.aws.amazon.com/AmazonECS/latest/developerguide/
lambda-lifecycle-hooks.html, "Passing state with hookDetails"), with the hook's own settings
copied beside them, so that they hold whether ECS merges the returned hookDetails with the
configured ones or replaces them. Past the bound (`retryAttempts` invocations, default 5, or
`retrySeconds` since the first, default 600), the answer is the `unverified` setting's.

A permanent failure (denied, rejected credentials, a malformed answer, a revision ECS cannot
describe, a service not in the policy) is answered at once: asking again would not help.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from drift_gate.errors import InvalidInputError

ATTEMPTS = "retryAttempts"  # the hook's setting: invocations at most, the first included
SECONDS = "retrySeconds"  # the hook's setting: seconds at most since the first invocation
ATTEMPT = "driftGateAttempt"  # state: this invocation's number (ECS passes it back)
FIRST_AT = "driftGateFirstAttemptAt"  # state: the first invocation's time, UTC, ISO 8601
DEFAULT_ATTEMPTS, MAX_ATTEMPTS = 5, 20
DEFAULT_SECONDS, MAX_SECONDS = 600, 3600
FIRST_DELAY, MAX_DELAY = 30, 300
# A first attempt later than now by more than this is not a clock's drift: a bad event.
SKEW_SECONDS = 300


@dataclass(frozen=True)
class Waiting:
    """The hook's bound on waiting, and where this invocation stands in it."""

    attempts: int = DEFAULT_ATTEMPTS
    seconds: int = DEFAULT_SECONDS
    attempt: int = 1
    first_at: datetime | None = None  # None: this is the first invocation

    @classmethod
    def parse(cls, details: Mapping[str, Any]) -> Waiting:
        """The settings and the state in `hookDetails`; InvalidInputError names the key."""
        attempts = _number(details, ATTEMPTS, DEFAULT_ATTEMPTS, 1, MAX_ATTEMPTS)
        seconds = _number(details, SECONDS, DEFAULT_SECONDS, 0, MAX_SECONDS)
        attempt = _number(details, ATTEMPT, 1, 1, MAX_ATTEMPTS)
        first = details.get(FIRST_AT)
        if first is None:
            return cls(attempts, seconds, attempt)
        if not isinstance(first, str):
            raise InvalidInputError(f"hookDetails.{FIRST_AT} is not a time")
        try:
            first_at = datetime.fromisoformat(first)
        except ValueError:
            raise InvalidInputError(f"hookDetails.{FIRST_AT} is not an ISO 8601 time") from None
        if first_at.tzinfo is None:
            raise InvalidInputError(f"hookDetails.{FIRST_AT} has no time zone")
        return cls(attempts, seconds, attempt, first_at)

    def elapsed(self, now: datetime) -> float:
        """Seconds since the first invocation (0 at the first)."""
        if self.first_at is None:
            return 0.0
        elapsed = (now - self.first_at).total_seconds()
        if elapsed < -SKEW_SECONDS:
            raise InvalidInputError(f"hookDetails.{FIRST_AT} is in the future")
        return max(elapsed, 0.0)

    def delay(self, now: datetime) -> int | None:
        """The callBackDelay to answer IN_PROGRESS with, or None: the bound is reached."""
        if self.attempt >= self.attempts:
            return None
        delay = min(FIRST_DELAY << (self.attempt - 1), MAX_DELAY)
        if self.elapsed(now) + delay > self.seconds:
            return None
        return delay

    def carried(self, now: datetime, unverified: str) -> dict[str, Any]:
        """What the IN_PROGRESS answer's hookDetails carry to the next invocation."""
        first_at = self.first_at or now
        return {
            "unverified": unverified,
            ATTEMPTS: self.attempts,
            SECONDS: self.seconds,
            ATTEMPT: self.attempt + 1,
            FIRST_AT: first_at.astimezone(timezone.utc).isoformat(timespec="seconds"),
        }

    def spent(self, now: datetime) -> str:
        """How long it waited, for the final answer's reason ("" at the first attempt)."""
        if self.attempt == 1:
            return ""
        return f" (after {self.attempt} attempts over {round(self.elapsed(now))} s)"


def _number(details: Mapping[str, Any], key: str, default: int, low: int, high: int) -> int:
    value = details.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidInputError(f"hookDetails.{key} is not a whole number from {low} to {high}")
    return value


def utc_now() -> datetime:
    return datetime.now(timezone.utc)
