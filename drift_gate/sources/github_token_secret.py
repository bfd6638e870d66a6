"""drift-gate's OWN GitHub token, from the Secrets Manager secret the event function is
configured with (DRIFT_GATE_GITHUB_TOKEN_SECRET): the single value drift-gate ever reads
(docs/deploy-hook.md, docs/secrets-and-logs.md).

Never an application's secret: the ARN is the one in the function's configuration, which the
function's role may read (secretsmanager:GetSecretValue on that one ARN, nothing else). The
value is remembered by drift_gate/scrub.py, so it is scrubbed from any traceback; it is never
logged nor in an error message. A secret with no SecretString (a binary secret), an empty one,
or one that cannot go in an HTTP header is "could not verify" (exit 3), never a guess.
"""

from __future__ import annotations

import re
from typing import Any

from drift_gate.errors import CouldNotVerifyError, InvalidInputError
from drift_gate.http_client import header_value_problem
from drift_gate.scrub import remember_secret

VARIABLE = "DRIFT_GATE_GITHUB_TOKEN_SECRET"
OPERATION = "secretsmanager:GetSecretValue"
_SECRET_ARN = re.compile(
    r"^arn:aws[a-z-]*:secretsmanager:(?P<region>[a-z0-9-]+):[0-9]{12}:secret:[A-Za-z0-9/_+=.@-]{1,512}\Z"
)


def token_secret_region(arn: str) -> str:
    """The secret's region; an ARN that is not a Secrets Manager secret's is exit 2."""
    found = _SECRET_ARN.match(arn)
    if found is None:
        raise InvalidInputError(
            f"{VARIABLE} is not a secret's ARN (arn:aws:secretsmanager:REGION:ACCOUNT:"
            "secret:NAME): set it to the ARN of the secret holding drift-gate's GitHub token"
        )
    return found["region"]


def read_github_token(client: Any, arn: str) -> str:
    """The token the secret at `arn` holds (the only GetSecretValue drift-gate makes)."""
    from drift_gate.sources.aws import AWS_FAILURES, describe_function_failure

    token_secret_region(arn)
    try:
        answer = client.get_secret_value(SecretId=arn)  # the one value-reading call: see above
    except AWS_FAILURES as error:
        reason = describe_function_failure(error, OPERATION)
        if reason.startswith("access denied"):
            # Not in docs/iam-policy.json (check's role never reads a value): the function's.
            reason = (
                f"access denied to {OPERATION}; allow the function's role {OPERATION} on this "
                f"one secret's ARN ({VARIABLE}; docs/deploy-hook.md)"
            )
        raise CouldNotVerifyError(f"drift-gate's GitHub token was not read: {reason}") from None
    value = answer.get("SecretString") if isinstance(answer, dict) else None
    if isinstance(value, str):
        remember_secret(value)
    if not isinstance(value, str) or not value.strip():
        raise CouldNotVerifyError(
            f"{OPERATION} answered without what drift-gate reads (a SecretString: the secret "
            f"named by {VARIABLE} holds no token); store the GitHub token as its secret string"
        )
    if header_value_problem(value) is not None or value != value.strip():
        raise CouldNotVerifyError(
            f"the token in the secret named by {VARIABLE} cannot be sent in a header: store "
            "the token alone (its value is never printed)"
        )
    return value
