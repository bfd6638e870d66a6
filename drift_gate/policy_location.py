"""Where a policy is: a file, or an S3 object (`s3://bucket/key`, read with s3:GetObject).

The Lambda hook's DRIFT_GATE_POLICY and `lifecycle-hook --policy` may name either; a value
that starts with `s3:` and is not a well-formed object URL is refused (exit 2) before any
call. Standard library only: the command line's callbacks use it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from drift_gate.errors import InvalidInputError

# S3's bucket names: 3-63 lower-case letters, digits, dots and hyphens; a key of 1-1024 bytes.
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
MAX_KEY = 1024


@dataclass(frozen=True)
class PolicyObject:
    """A policy stored in S3."""

    bucket: str
    key: str

    @property
    def url(self) -> str:
        return f"s3://{self.bucket}/{self.key}"

    def __str__(self) -> str:
        return self.url

    @classmethod
    def parse(cls, text: str) -> PolicyObject:
        """`s3://bucket/key` -> the object; anything else is InvalidInputError (exit 2)."""
        bucket, _, key = text.removeprefix("s3://").partition("/")
        if (
            not text.startswith("s3://")
            or not _BUCKET.fullmatch(bucket)
            or not key
            or len(key.encode()) > MAX_KEY
            or any(ord(char) < 32 for char in key)
        ):
            raise InvalidInputError(
                "a policy in S3 is named s3://BUCKET/KEY (a bucket name of 3-63 lower-case "
                "letters, digits, dots and hyphens, and a key)"
            )
        return cls(bucket, key)


PolicyLocation = Path | PolicyObject


def policy_location(text: str) -> PolicyLocation:
    """A file path, or the S3 object a value starting with `s3:` names (exit 2 if malformed)."""
    if text.lower().startswith("s3:"):
        return PolicyObject.parse(text)
    return Path(text)
