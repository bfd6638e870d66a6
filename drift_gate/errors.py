"""Exit codes and the errors that end a whole run.

Problems with one service or one variable are Findings, not exceptions; only what
stops the whole run raises. Each error carries the exit code the CLI returns.
"""

from __future__ import annotations

import enum


class ExitCode(enum.IntEnum):
    """The documented process exit codes. 1 never means "the tool broke"."""

    PASS = 0
    DRIFT = 1
    INVALID_INPUT = 2
    COULD_NOT_VERIFY = 3
    INTERRUPTED = 130


class DriftGateError(Exception):
    """A whole-run failure a user can cause; printed as one line, without a traceback."""

    exit_code: ExitCode = ExitCode.INVALID_INPUT


class InvalidInputError(DriftGateError):
    """A policy, plan or option that cannot be used as given."""

    exit_code = ExitCode.INVALID_INPUT


class CouldNotVerifyError(DriftGateError):
    """Nothing could be verified (no credentials, no endpoint): never a pass."""

    exit_code = ExitCode.COULD_NOT_VERIFY
