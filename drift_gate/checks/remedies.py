"""Exact fix commands, built from the target so a person can copy and run them.

One function per rule whose fix is a command; the rule's general remediation is in
rules.py, and these replace it when the exact command is known.
"""

from __future__ import annotations

import shlex

from drift_gate.model import Target
from drift_gate.references import SecretReference, secret_name


def redeploy_command(target: Target, family: str | None = None) -> str:
    """The aws CLI call that rolls the service onto the latest (or the family's latest) revision."""
    parts = ["aws", "ecs", "update-service"]
    parts += ["--cluster", str(target.cluster), "--service", str(target.service)]
    if family:
        parts += ["--task-definition", family]
    parts += ["--force-new-deployment"]
    if target.region:
        parts += ["--region", target.region]
    return shlex.join(parts)


def _aws(*arguments: str) -> str:
    return shlex.join(["aws", *arguments])


def missing_parameter(reference: SecretReference, region: str) -> str:
    """DG305: create the SSM parameter (its value is the user's to put)."""
    command = _aws(
        "ssm", "put-parameter", "--name", reference.key, "--type", "SecureString",
        "--value", "<value>", "--region", region,
    )  # fmt: skip
    return f"Create it: `{command}`, or fix the valueFrom; then redeploy."


def missing_secret(reference: SecretReference, region: str) -> str:
    """DG301: create the secret; its ARN then gets a new suffix, so valueFrom changes too."""
    command = _aws(
        "secretsmanager", "create-secret", "--name", secret_name(reference), "--region", region
    )
    return (
        f"Create it (`{command}`, then put its value) or fix the valueFrom; the new secret's "
        "ARN gets a new suffix, so update valueFrom, register and redeploy."
    )


def secret_scheduled_for_deletion(reference: SecretReference, region: str) -> str:
    """DG302: restore the secret before its deletion date."""
    command = _aws(
        "secretsmanager", "restore-secret", "--secret-id", reference.key, "--region", region
    )
    return f"Restore it: `{command}`."


# A smoke request that got no usable answer: the fix follows the cause, and is never the AWS
# permissions text (the application is not reached through AWS).
_SMOKE_FIXES = {
    "network": (
        "Check that the application is up and reachable from where drift-gate runs (the URL, "
        "DNS, security groups, the load balancer's listeners), then run again."
    ),
    "tls-certificate": (
        "Give --ca-bundle with the CA that signed the application's certificate, or serve a "
        "certificate whose names include the URL's host, then run again."
    ),
    "tls": "Check the endpoint's TLS setup (protocol versions, certificate chain), then run again.",
    "timeout": (
        "The application did not answer within the request's `timeout`: check its health, or "
        "raise `timeout` for this request in the policy (at most 120 s)."
    ),
    "deadline": (
        "The run's --deadline passed before the answer was complete: raise --deadline, or "
        "check fewer services in one run."
    ),
    "too-large": (
        "The answer is larger than drift-gate reads (1 MiB, compressed or not): point the "
        "request at a smaller endpoint, or drop `forbid` (the body is read only for it)."
    ),
    "encoding": (
        "Serve the answer as identity, gzip or deflate, in a charset it names (UTF-8 if none), "
        "so that drift-gate can look for the forbidden phrases."
    ),
    "refused-before-sending": (
        "Fix the request in the policy as the message says (https://, or `allow_http: true` "
        "for plain http:// to another machine), then run again."
    ),
}


def smoke_unreachable(cause: str) -> str:
    """DG901 for a smoke request: what to do about the cause its message names."""
    return _SMOKE_FIXES.get(cause, _SMOKE_FIXES["network"])
