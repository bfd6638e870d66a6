"""boto3 clients for drift-gate: explicit retries and timeouts, counted calls, classified errors.

The endpoint comes from the standard AWS variables (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_ECS,
...), which boto3 reads itself, so the same code talks to AWS or to an emulator.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import boto3
import botocore.exceptions
from botocore.config import Config

# Codes that mean "you may not": AWS JSON services say AccessDeniedException, query
# services AccessDenied, moto's IAM enforcement answers with the bare HTTP status "403".
_ACCESS_DENIED_CODES = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "UnauthorizedOperation",
        "403",
        "401",
        "UnrecognizedClientException",
        "InvalidClientTokenId",
        "ExpiredTokenException",
        "ExpiredToken",
        "InvalidSignatureException",
        "SignatureDoesNotMatch",
    }
)
_THROTTLING_CODES = frozenset(
    {
        "ThrottlingException",
        "Throttling",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "RequestThrottled",
        "RequestThrottledException",
        "SlowDown",
        "ProvisionedThroughputExceededException",
    }
)


@dataclass(frozen=True)
class AwsSettings:
    """How hard to try before a call counts as "could not verify"."""

    max_attempts: int = 5
    connect_timeout: float = 5.0
    read_timeout: float = 20.0

    def botocore_config(self) -> Config:
        # botocore still defaults to the "legacy" retry mode; "standard" retries more error
        # kinds (including throttling) with capped exponential backoff and a retry quota.
        return Config(
            # In a Config, retries["max_attempts"] counts retries, not attempts; the total is
            # what the --max-attempts flag promises.
            retries={"mode": "standard", "total_max_attempts": self.max_attempts},
            connect_timeout=self.connect_timeout,
            read_timeout=self.read_timeout,
            user_agent_extra="drift-gate",
        )


@dataclass
class AwsClients:
    """Creates one client per (service, region) and counts the API calls they make."""

    settings: AwsSettings = field(default_factory=AwsSettings)
    session: Any = None
    calls: Counter[str] = field(default_factory=Counter)
    _clients: dict[tuple[str, str], Any] = field(default_factory=dict)
    # Calls come from several threads (see EcsReader.prefetch); Counter updates are not atomic.
    _calls_lock: threading.Lock = field(default_factory=threading.Lock)

    def client(self, service: str, region: str) -> Any:
        """A boto3 client for `service` in `region`, created once."""
        key = (service, region)
        if key not in self._clients:
            session = self.session or boto3.session.Session()
            client = session.client(
                service, region_name=region, config=self.settings.botocore_config()
            )
            client.meta.events.register("before-call", self._count_call)
            self._clients[key] = client
        return self._clients[key]

    def _count_call(self, model: Any, **_: Any) -> None:
        with self._calls_lock:
            self.calls[f"{model.service_model.endpoint_prefix}:{model.name}"] += 1


def error_code(error: botocore.exceptions.ClientError) -> str:
    """The AWS error code of a ClientError ("" when the response has none)."""
    return str(error.response.get("Error", {}).get("Code", ""))


def describe_failure(error: Exception, operation: str) -> str:
    """One line saying why an AWS call failed, in terms a user can act on. Never a value."""
    if isinstance(
        error, botocore.exceptions.NoCredentialsError | botocore.exceptions.PartialCredentialsError
    ):
        return (
            f"no AWS credentials for {operation}: "
            "configure a profile, a role or environment credentials"
        )
    if isinstance(
        error, botocore.exceptions.EndpointConnectionError | botocore.exceptions.ConnectTimeoutError
    ):
        return (
            f"AWS endpoint unreachable for {operation} ({error}); "
            "check the network, the region and AWS_ENDPOINT_URL"
        )
    if isinstance(error, botocore.exceptions.ReadTimeoutError):
        return f"AWS did not answer {operation} in time; try again or raise --timeout"
    if isinstance(error, botocore.exceptions.ClientError):
        code = error_code(error)
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if code in _ACCESS_DENIED_CODES or code.startswith("AccessDenied") or status == 403:
            return f"access denied to {operation}: grant it (see docs/iam-policy.json)"
        if code in _THROTTLING_CODES:
            return f"throttled on {operation} past retries; run again later or with fewer services"
        return f"{operation} failed: {code or 'error'}"
    return f"{operation} failed: {type(error).__name__}"


# What a source call can raise that means "could not verify", as opposed to a bug.
AWS_FAILURES: tuple[type[Exception], ...] = (
    botocore.exceptions.ClientError,
    botocore.exceptions.BotoCoreError,
)
