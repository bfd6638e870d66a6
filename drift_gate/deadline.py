"""The whole run's deadline: every AWS call and every terraform command checks what is left."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

# A merge gate that has not finished in 20 minutes is stuck, not slow: a 20-service check
# takes seconds and a terraform plan minutes. Documented with --deadline in docs/reliability.md.
DEFAULT_DEADLINE_SECONDS = 1200.0


@dataclass(frozen=True)
class Deadline:
    """When the run must end, counted from when it started."""

    seconds: float = DEFAULT_DEADLINE_SECONDS
    started: float = field(default_factory=time.monotonic)

    def remaining(self) -> float:
        return self.seconds - (time.monotonic() - self.started)
