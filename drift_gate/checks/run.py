"""DG901 and DG902 about a whole run: what stopped it before any service was checked.

Written into the run's report anyway, so a matrix merge sees the run and why it verified
nothing.
"""

from __future__ import annotations

from drift_gate.checks.findings import ServiceContext
from drift_gate.model import TERRAFORM_ENVIRONMENT, Finding, Target

CONFIGURATION_FIX = (
    "Fix the AWS configuration named above (profile, config file, AWS_ENDPOINT_URL, region), "
    "then run again."
)


def terraform_failed(reason: str) -> Finding:
    """DG902: terraform (init, plan, show) failed or the plan could not be read: nothing of
    what Terraform declares was verified."""
    return ServiceContext(Target(environment=TERRAFORM_ENVIRONMENT)).finding("DG902", reason)


def aws_configuration_unusable(reason: str) -> Finding:
    """DG901: the user's AWS configuration stopped the run before any call (exit 2: theirs to
    fix, with the configuration's own fix)."""
    return ServiceContext(Target(environment="aws")).finding(
        "DG901",
        f"the AWS configuration cannot be used: {reason}",
        remediation=CONFIGURATION_FIX,
    )
