"""The words of an outcome: severities, the --fail-on threshold, verdicts, link states.

Plain enums, without pydantic, so the command line can parse a choice into one of them
without loading pydantic (`--help` stays light: tests/unit/test_layers.py).
"""

from __future__ import annotations

import enum


class Severity(str, enum.Enum):
    """How much a finding matters; --fail-on picks the lowest one that blocks."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        """Higher is more severe, so thresholds compare as numbers."""
        return {"error": 3, "warning": 2, "info": 1}[self.value]


class FailOn(str, enum.Enum):
    """The --fail-on threshold: which findings make the run exit 1."""

    ERROR = "error"
    WARNING = "warning"
    NEVER = "never"

    def blocks(self, severity: Severity) -> bool:
        """Whether a finding of this severity fails the run."""
        if self is FailOn.NEVER:
            return False
        return severity.rank >= Severity(self.value).rank


class Verdict(str, enum.Enum):
    """The one-word outcome of a run, ordered from best to worst."""

    PASS = "pass"  # noqa: S105 - a verdict, not a password
    DRIFT = "drift"
    COULD_NOT_VERIFY = "could-not-verify"


class LinkState(str, enum.Enum):
    """Where one link of a service's chain ended. Only PASSED is drawn as ok."""

    PASSED = "passed"
    FAILED = "failed"
    NOT_CHECKED = "not-checked"
    COULD_NOT_VERIFY = "could-not-verify"
