"""A policy stored in S3 (`s3://bucket/key`), read with s3:GetObject only.

Bounded as a policy file is (input_files.POLICY: at most 32 MiB, said before the body is
read when S3 gives the length, and counted while reading), within the run's retries, read
timeout and deadline. A missing object, a denial, an endpoint that does not answer: could
not verify (exit 3), one line naming the object and the cause; an object over the cap or
not UTF-8: bad input (exit 2). Never the object's content.
"""

from __future__ import annotations

from typing import Any

from drift_gate.errors import CouldNotVerifyError, InvalidInputError
from drift_gate.input_files import POLICY, size_words
from drift_gate.policy_location import PolicyObject
from drift_gate.sources.aws_failures import AWS_FAILURES, classify_failure, describe_failure

OPERATION = "s3:GetObject"
CHUNK = 1024 * 1024


def read_policy_object(client: Any, where: PolicyObject) -> str:
    """The object's text (UTF-8), or CouldNotVerifyError / InvalidInputError naming it."""
    too_large = InvalidInputError(
        f"{where}: larger than {size_words(POLICY.limit)}, the most drift-gate reads of a policy"
    )
    try:
        response = client.get_object(Bucket=where.bucket, Key=where.key)
        length = response.get("ContentLength")
        body = response["Body"]
        try:
            if isinstance(length, int) and length > POLICY.limit:
                raise too_large
            data = _read_at_most(body, POLICY.limit)
        finally:
            body.close()
    except AWS_FAILURES as error:
        failure = classify_failure(error, OPERATION)
        # The hook's role is not docs/iam-policy.json's: name the command that prints it.
        fix = (
            f"grant it: `drift-gate iam-policy --lambda-hook --policy-object {where}` prints "
            "the function's role"
            if failure.reason.startswith("access denied")
            else describe_failure(error, OPERATION).removeprefix(f"{failure.reason}; ")
        )
        raise CouldNotVerifyError(
            f"cannot read the policy {where}: {failure.reason}; {fix}"
        ) from None
    except (OSError, KeyError) as error:  # a body that breaks off, an answer without one
        reason = f"{OPERATION} failed ({type(error).__name__})"
        raise CouldNotVerifyError(f"cannot read the policy {where}: {reason}") from None
    if len(data) > POLICY.limit:
        raise too_large
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInputError(f"{where}: not UTF-8 text; save the policy as UTF-8") from None


def _read_at_most(body: Any, most: int) -> bytes:
    """At most `most` + 1 bytes of a streaming body (one more says it is too large)."""
    parts: list[bytes] = []
    size = 0
    while size <= most:
        part = body.read(min(CHUNK, most + 1 - size))
        if not part:
            break
        parts.append(part)
        size += len(part)
    return b"".join(parts)
