"""`drift-gate await-hook`'s options: their own module, to keep cli_option_sets.py short."""

from __future__ import annotations

from pathlib import Path

import click

from drift_gate.cli_options import (
    FORMAT_OPTION,
    FOUND_POLICY,
    MAX_ATTEMPTS_OPTION,
    OUTPUT_OPTION,
    FiniteRange,
    option,
)

AWAIT_HOOK_OPTIONS = (
    option("--cluster", required=True, help="The service's cluster (name or ARN)."),
    option("--service", required=True, help="The service whose deployment pauses (name)."),
    option(
        "--policy",
        "policy_path",
        type=click.Path(path_type=Path),
        help=f"The policy file. Default: {FOUND_POLICY}.",
    ),
    option("--region", help="The service's region. Default: the AWS configuration's."),
    option(
        "--timeout",
        "wait_seconds",
        type=FiniteRange(1, 86400),
        default=1800.0,
        show_default=True,
        metavar="SECONDS",
        help="Seconds to wait for a PAUSE hook awaiting action; none by then: exit 3, "
        "nothing continued.",
    ),
    option(
        "--unverified",
        type=click.Choice(("fail", "continue")),
        default="fail",
        show_default=True,
        help="A revision that could not be verified: ROLLBACK (fail) or CONTINUE with a "
        "warning (continue). Exit 3 either way.",
    ),
    MAX_ATTEMPTS_OPTION,
    FORMAT_OPTION,
    OUTPUT_OPTION,
)
