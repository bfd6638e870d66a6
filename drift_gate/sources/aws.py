"""boto3 clients for drift-gate: explicit retries and timeouts, counted calls, classified errors.

The endpoint comes from the standard AWS variables (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_ECS,
...), which boto3 reads itself, so the same code talks to AWS or to an emulator.
"""

from __future__ import annotations

import os
import threading
import urllib.parse
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import boto3
import botocore.exceptions
import botocore.parsers
from botocore.config import Config

from drift_gate.deadline import Deadline
from drift_gate.errors import InvalidInputError
from drift_gate.sources.aws_failures import (
    AWS_FAILURES,
    CHECK_NETWORK,
    GRANT_ACCESS,
    RENEW_CREDENTIALS,
    REPORT_ANSWER,
    RUN_LATER,
    Failure,
    classify_failure,
    describe_failure,
    describe_function_failure,
    error_code,
    item_failure_fix,
    operation_of,
)
from drift_gate.sources.aws_paging import (
    MAX_PAGES,
    DeadlineExceededError,
    PagingError,
    chunks,
    pages,
)

# The calls' paging and their failures live in aws_paging and aws_failures; their names are
# imported from here by every source, as before.
__all__ = [
    "AWS_FAILURES",
    "CHECK_NETWORK",
    "GRANT_ACCESS",
    "MAX_PAGES",
    "RENEW_CREDENTIALS",
    "REPORT_ANSWER",
    "RUN_LATER",
    "AwsClients",
    "AwsConfigurationError",
    "AwsSettings",
    "DeadlineExceededError",
    "Failure",
    "PagingError",
    "chunks",
    "classify_failure",
    "configuration_error",
    "configured_endpoint",
    "describe_failure",
    "describe_function_failure",
    "endpoint_problem",
    "error_code",
    "item_failure_fix",
    "operation_of",
    "pages",
]


@dataclass(frozen=True)
class AwsSettings:
    """How hard to try before a call counts as "could not verify"."""

    max_attempts: int = 5
    connect_timeout: float = 5.0
    read_timeout: float = 20.0
    # "standard" for check; "adaptive" for scans, whose thousands of calls in a burst are
    # what AWS's per-account token buckets throttle: it adds a client-side rate limiter
    # that slows down when throttled instead of spending the retries.
    retry_mode: Literal["standard", "adaptive"] = "standard"
    max_pool_connections: int = 10

    def botocore_config(self) -> Config:
        # botocore still defaults to the "legacy" retry mode; "standard" retries more error
        # kinds (including throttling) with capped exponential backoff and a retry quota.
        return Config(
            # In a Config, retries["max_attempts"] counts retries, not attempts; the total is
            # what the --max-attempts flag promises.
            retries={"mode": self.retry_mode, "total_max_attempts": self.max_attempts},
            max_pool_connections=self.max_pool_connections,
            connect_timeout=self.connect_timeout,
            read_timeout=self.read_timeout,
            user_agent_extra="drift-gate",
        )


@dataclass
class AwsClients:
    """Creates one client per (service, region) and counts the API calls they make."""

    settings: AwsSettings = field(default_factory=AwsSettings)
    session: Any = None
    deadline: Deadline | None = None
    calls: Counter[str] = field(default_factory=Counter)
    _clients: dict[tuple[str, str], Any] = field(default_factory=dict)
    # Calls come from several threads (see EcsReader.prefetch); Counter updates are not atomic.
    _calls_lock: threading.Lock = field(default_factory=threading.Lock)
    # Clients are asked for from several threads (SecretStores); a boto3 Session is not
    # thread-safe, so the one session makes one client at a time, each once.
    _clients_lock: threading.Lock = field(default_factory=threading.Lock)

    def client(self, service: str, region: str) -> Any:
        """A boto3 client for `service` in `region`, created once.

        The user's AWS configuration (profile, config file, endpoint, region) is read here;
        a mistake in it is AwsConfigurationError (exit 2), named in one line.
        """
        key = (service, region)
        with self._clients_lock:
            if key not in self._clients:
                self._clients[key] = self._new_client(service, region)
            return self._clients[key]

    def _new_client(self, service: str, region: str) -> Any:
        try:
            if self.session is None:
                self.session = boto3.session.Session()
            client = self.session.client(
                service, region_name=region, config=self.settings.botocore_config()
            )
        except (botocore.exceptions.BotoCoreError, ValueError) as error:
            endpoint = (
                configured_endpoint(self.session, service)
                if isinstance(error, ValueError)
                else None
            )
            raise configuration_error(error, region, endpoint) from None
        # botocore takes an endpoint whose port is out of range, not a number or 0, or whose
        # scheme it cannot send to, and fails only at the first call (a ValueError while
        # signing: "internal error"; or a network error: "could not verify"). It is the
        # user's configuration: exit 2, here.
        problem = endpoint_problem(client.meta.endpoint_url)
        if problem is not None:
            raise AwsConfigurationError(_endpoint_words(client.meta.endpoint_url, problem))
        bundle = _missing_ca_bundle(self.session, client.meta.endpoint_url)
        if bundle is not None:
            # botocore looks for it at the first call: "endpoint unreachable", exit 3.
            raise AwsConfigurationError(
                f"the CA bundle {bundle} (AWS_CA_BUNDLE or the profile's ca_bundle) does not "
                "exist; point it at a PEM file of certificates, or unset it"
            )
        unreadable = _unreadable_web_identity_token(self.session)
        if unreadable is not None:
            # botocore reads it at the first call's signing: a FileNotFoundError there.
            raise AwsConfigurationError(
                f"the web identity token file {unreadable} (AWS_WEB_IDENTITY_TOKEN_FILE or the "
                "profile's web_identity_token_file) cannot be read; point it at the token "
                "your CI or cluster writes, or unset it with AWS_ROLE_ARN"
            )
        client.meta.events.register("before-call", self._before_call)
        prefix = client.meta.service_model.endpoint_prefix
        client.meta.events.register("after-call-error", _name_the_operation(prefix))
        return client

    def _before_call(self, model: Any, **_: Any) -> None:
        prefix = model.service_model.endpoint_prefix
        operation = f"{_IAM_PREFIX.get(prefix, prefix)}:{model.name}"
        if self.deadline is not None and self.deadline.remaining() <= 0:
            raise DeadlineExceededError(operation, self.deadline.seconds)
        with self._calls_lock:
            self.calls[operation] += 1


# IAM names an action by its service prefix, which for CloudWatch is not the endpoint's.
_IAM_PREFIX = {"monitoring": "cloudwatch", "api.ecr": "ecr"}


def _name_the_operation(endpoint_prefix: str) -> Callable[..., None]:
    """Tag a failed request (timeout, connection error) with its operation, for messages."""
    prefix = _IAM_PREFIX.get(endpoint_prefix, endpoint_prefix)

    def tag(event_name: str, exception: Exception, **_: Any) -> None:
        if getattr(exception, "drift_gate_operation", None) is None:
            exception.drift_gate_operation = f"{prefix}:{event_name.rsplit('.', 1)[-1]}"  # type: ignore[attr-defined]

    return tag


class AwsConfigurationError(InvalidInputError):
    """The user's own AWS configuration cannot be used: a usage error (exit 2), not AWS's."""


def configuration_error(
    error: Exception, region: str, endpoint: str | None = None
) -> AwsConfigurationError:
    """One line naming the profile, file, endpoint or region that is wrong, and the fix.

    `endpoint`: the endpoint the configuration gives the client, when it is known."""
    if isinstance(error, botocore.exceptions.ProfileNotFound):
        profile = error.kwargs.get("profile", "")
        return AwsConfigurationError(
            f"AWS profile {profile!r} is not in the AWS config or credentials file; check "
            "AWS_PROFILE (and AWS_CONFIG_FILE), or run `aws configure list-profiles`"
        )
    if isinstance(error, botocore.exceptions.ConfigParseError):
        path = error.kwargs.get("path", "the AWS config file")
        return AwsConfigurationError(
            f"the AWS config file {path} cannot be parsed; fix its syntax or point "
            "AWS_CONFIG_FILE at a valid one"
        )
    if isinstance(error, botocore.exceptions.InvalidRegionError):
        return AwsConfigurationError(
            f"{region!r} is not an AWS region name; give one like us-east-1 (--region, "
            "the policy's region, AWS_REGION)"
        )
    if isinstance(error, ValueError) and str(error).startswith("Invalid endpoint"):
        endpoint = _without_userinfo(str(error).removeprefix("Invalid endpoint:").strip())
        return AwsConfigurationError(
            f"the AWS endpoint {endpoint!r} is not a URL; set AWS_ENDPOINT_URL to one like "
            "https://ecs.us-east-1.amazonaws.com, or unset it"
        )
    problem = endpoint_problem(endpoint) if endpoint is not None else None
    if isinstance(error, ValueError) and endpoint is not None and problem is not None:
        # Only when the endpoint is what is wrong: a ValueError may come from elsewhere (a
        # credential provider's URL, a timeout that is not a number). urllib's own words
        # ("Invalid IPv6 URL", an address that is not one) may quote the value: not shown.
        return AwsConfigurationError(_endpoint_words(endpoint, problem))
    return AwsConfigurationError(
        f"the AWS configuration cannot be used ({type(error).__name__}); check AWS_PROFILE, "
        "AWS_CONFIG_FILE, AWS_ENDPOINT_URL and the region"
    )


def endpoint_problem(url: str) -> str | None:
    """Why an endpoint cannot be called, in words that quote none of it; None if it can."""
    try:
        parts = urllib.parse.urlsplit(url)
        port = parts.port
    except ValueError:
        # "Port out of range", a port that is not a number, an IPv6 address left open.
        return "its host or port cannot be read (a port is a number from 1 to 65535)"
    if parts.scheme.lower() not in ("http", "https"):
        return "it is not http:// or https://"
    if not parts.hostname:
        return "it names no host"
    if port == 0:
        return "a port is a number from 1 to 65535"
    return None


def _endpoint_words(endpoint: str, problem: str) -> str:
    shown = _without_userinfo(endpoint)
    return (
        f"the AWS endpoint {shown!r} is not a URL drift-gate can call: {problem}; set "
        "AWS_ENDPOINT_URL to one like https://ecs.us-east-1.amazonaws.com, or unset it"
    )


def _missing_ca_bundle(session: Any, endpoint: str) -> str | None:
    """The CA bundle configured for https, when there is no such file or directory."""
    if not endpoint.lower().startswith("https:"):
        return None
    core = getattr(session, "_session", None)
    try:
        path = core.get_config_variable("ca_bundle") if core else None
    except (botocore.exceptions.BotoCoreError, ValueError, AttributeError):
        return None
    if not isinstance(path, str) or not path:
        return None
    return None if os.path.exists(path) else path


def _unreadable_web_identity_token(session: Any) -> str | None:
    """The web identity token file the credentials will be read from, when it is not a
    readable file; None otherwise (other credentials, or nothing to tell)."""
    get_credentials = getattr(session, "get_credentials", None)
    if get_credentials is None:
        return None  # not a boto3 session (a test's stand-in)
    try:
        credentials = get_credentials()
    except (botocore.exceptions.BotoCoreError, ValueError, OSError):
        return None  # the first call reports it, classified
    if getattr(credentials, "method", None) != "assume-role-with-web-identity":
        return None
    path = os.environ.get("AWS_WEB_IDENTITY_TOKEN_FILE")
    if not path:
        core = getattr(session, "_session", None)
        try:
            path = core.get_scoped_config().get("web_identity_token_file") if core else None
        except (botocore.exceptions.BotoCoreError, ValueError, AttributeError):
            return None
    if not isinstance(path, str) or not path:
        return None
    return None if os.path.isfile(path) and os.access(path, os.R_OK) else path


def configured_endpoint(session: Any, service: str) -> str | None:
    """The endpoint the user's configuration gives `service` (AWS_ENDPOINT_URL_<SERVICE>,
    AWS_ENDPOINT_URL, the profile's endpoint_url), to name it when botocore refuses it;
    None when it cannot be told."""
    from botocore.configprovider import ConfiguredEndpointProvider

    core = getattr(session, "_session", None)
    if core is None:
        return None
    try:
        value = ConfiguredEndpointProvider(
            full_config=core.full_config,
            scoped_config=core.get_scoped_config(),
            client_name=service,
        ).provide()
    except (botocore.exceptions.BotoCoreError, ValueError, KeyError, AttributeError):
        return None
    return value if isinstance(value, str) else None


def _without_userinfo(endpoint: str) -> str:
    """An endpoint as a message may show it: a `user:password@` in it (a proxy's) is hidden."""
    _, at, rest = endpoint.rpartition("@")
    return f"...@{rest}" if at else endpoint
