"""The whole run's deadline: every AWS call and every terraform command checks what is left."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

from drift_gate.errors import InvalidInputError

# A merge gate that has not finished in 20 minutes is stuck, not slow: a 20-service check
# takes seconds and a terraform plan minutes. Documented with --deadline in docs/reliability.md.
DEFAULT_DEADLINE_SECONDS = 1200.0


@dataclass(frozen=True)
class Deadline:
    """When the run must end, counted from when it started."""

    seconds: float = DEFAULT_DEADLINE_SECONDS
    started: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        # NaN compares false with everything: a NaN deadline would never pass, and every
        # bound computed from it (a request's, terraform's) would be NaN too.
        if not math.isfinite(self.seconds):
            raise InvalidInputError("the deadline must be a number of seconds, not nan or inf")

    def remaining(self) -> float:
        return self.seconds - (time.monotonic() - self.started)
