"""Container image references: which are in ECR (and so can be checked), and where.

`ACCOUNT.dkr.ecr.REGION.amazonaws.com[.cn]/REPOSITORY[:TAG | @sha256:DIGEST]`; no tag means
`latest`, as Docker reads it. Anything else (Docker Hub, ECR Public, GHCR, a private
registry) is not in an account's ECR and is never reported as checked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_ECR = re.compile(
    r"^(?P<account>[0-9]{12})\.dkr\.ecr(?:-fips)?\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(?:\.cn)?/"
    r"(?P<repository>[a-z0-9._/-]+?)(?::(?P<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))?"
    r"(?:@(?P<digest>sha256:[a-f0-9]{64}))?$"
)


@dataclass(frozen=True)
class EcrImage:
    """An image in an ECR repository, by tag or by digest."""

    account: str
    region: str
    repository: str
    tag: str | None
    digest: str | None

    @property
    def wanted(self) -> str:
        """`@sha256:...` or `:tag`, as the finding names it."""
        return f"@{self.digest}" if self.digest else f":{self.tag}"


def parse_image(image: str) -> EcrImage | None:
    """The ECR image a reference names, or None when it is not in ECR."""
    found = _ECR.match(image)
    if found is None:
        return None
    tag, digest = found.group("tag"), found.group("digest")
    return EcrImage(
        account=found.group("account"),
        region=found.group("region"),
        repository=found.group("repository"),
        tag=None if digest else (tag or "latest"),
        digest=digest,
    )
