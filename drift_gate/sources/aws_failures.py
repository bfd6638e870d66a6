"""Why an AWS call failed, classified by cause, with what to do about it, in a user's words.

Never a value: an error's message may hold anything, so only codes and operations are shown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import botocore.exceptions
import botocore.parsers

from drift_gate.sources.answers import ItemFailureError, MalformedAnswerError, shown_reason
from drift_gate.sources.aws_paging import DeadlineExceededError, PagingError

# Credentials AWS refused: not a missing permission, so granting one would not help.
_REJECTED_CREDENTIAL_CODES = frozenset(
    {
        "UnrecognizedClientException",
        "InvalidClientTokenId",
        "ExpiredTokenException",
        "ExpiredToken",
        "RequestExpired",
        "InvalidSignatureException",
        "SignatureDoesNotMatch",
        "IncompleteSignature",
        "MissingAuthenticationToken",
        "AuthFailure",
    }
)
# Codes that mean "you may not": AWS JSON services say AccessDeniedException, query
# services AccessDenied, moto's IAM enforcement answers with the bare HTTP status "403".
_ACCESS_DENIED_CODES = frozenset(
    {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "403", "401"}
)

# An expired SSO or refreshable token surfaces before any call, as these botocore errors.
_REJECTED_TOKEN_ERRORS: tuple[type[Exception], ...] = tuple(
    getattr(botocore.exceptions, name)
    for name in ("TokenRetrievalError", "SSOTokenLoadError", "UnauthorizedSSOTokenError")
    if hasattr(botocore.exceptions, name)
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


# An error document in a message: some emulators and proxies answer a JSON-protocol call
# with the query protocol's XML (or a JSON body the parser did not take), and botocore then
# gives the bare HTTP status as the code and the whole document as the message.
_CODE_IN_DOCUMENT = (
    re.compile(r"<Code>\s*([A-Za-z0-9_.:#-]{1,128})\s*</Code>"),
    re.compile(r'"(?:__type|code|Code)"\s*:\s*"([A-Za-z0-9_.:#-]{1,128})"'),
)


def error_code(error: botocore.exceptions.ClientError) -> str:
    """The AWS error code of a ClientError ("" when the response has none).

    When the code is only an HTTP status, the real code is read from an error document in
    the message; the message itself is never returned (it may hold anything).
    """
    details = error.response.get("Error", {})
    code = str(details.get("Code", ""))
    if code.isdigit():
        message = str(details.get("Message", ""))
        for pattern in _CODE_IN_DOCUMENT:
            found = pattern.search(message)
            if found:
                # "aws.protocoltests#ThrottlingException" and "Sender.Code": the last part.
                return re.split(r"[#:]", found.group(1))[-1]
    return code


@dataclass(frozen=True)
class Failure:
    """Why a call failed, and what to do about it, in a user's words. Never a value."""

    reason: str
    fix: str


RENEW_CREDENTIALS = (
    "Renew the credentials: `aws sso login` for an SSO profile, assume the role again, or in "
    "CI check the step that configures AWS credentials (OIDC role, secrets), then run again."
)
GRANT_ACCESS = (
    "Grant the read-only permissions in docs/iam-policy.json to the role drift-gate runs as, "
    "then run again."
)
CHECK_NETWORK = "Check the network, the region and AWS_ENDPOINT_URL, then run again."
RUN_LATER = "Run again later; with many services, use fewer per run or raise --max-attempts."
RUN_AGAIN_OR_WAIT_LONGER = "Run again, or raise --timeout."
RAISE_DEADLINE = "Raise --deadline, or check fewer services per run."
REPORT_ANSWER = (
    "The answer did not have the fields AWS documents: check for a proxy or emulator in the "
    "way (AWS_ENDPOINT_URL, HTTPS_PROXY), then run again."
)


def operation_of(error: Exception, fallback: str) -> str:
    """The `service:Operation` that failed: from the error when it knows, else `fallback`."""
    if isinstance(
        error, MalformedAnswerError | PagingError | DeadlineExceededError | ItemFailureError
    ):
        return error.operation
    tagged = getattr(error, "drift_gate_operation", None)
    if isinstance(tagged, str):
        return tagged
    name = getattr(error, "operation_name", None)
    if isinstance(error, botocore.exceptions.ClientError) and name:
        return f"{fallback.split(':', 1)[0]}:{name}"
    return fallback


def classify_failure(error: Exception, fallback_operation: str) -> Failure:
    """What went wrong with one AWS call and how to fix it; the operation named once."""
    operation = operation_of(error, fallback_operation)
    if isinstance(error, MalformedAnswerError | PagingError):
        return Failure(str(error), REPORT_ANSWER)
    if isinstance(error, ItemFailureError):
        return Failure(str(error), item_failure_fix(error.reason))
    if isinstance(error, botocore.parsers.ResponseParserError):
        # A body cut short or not XML/JSON at all (the query protocol's XML parser raises it).
        return Failure(f"the answer to {operation} could not be read", REPORT_ANSWER)
    if isinstance(error, DeadlineExceededError):
        return Failure(str(error), RAISE_DEADLINE)
    if isinstance(error, _REJECTED_TOKEN_ERRORS):
        return Failure(f"the AWS credentials for {operation} have expired", RENEW_CREDENTIALS)
    if isinstance(
        error, botocore.exceptions.NoCredentialsError | botocore.exceptions.PartialCredentialsError
    ):
        return Failure(
            f"no AWS credentials for {operation}",
            "Configure a profile, a role or environment credentials, then run again.",
        )
    if isinstance(
        error, botocore.exceptions.EndpointConnectionError | botocore.exceptions.ConnectTimeoutError
    ):
        return Failure(f"the AWS endpoint for {operation} is unreachable", CHECK_NETWORK)
    if isinstance(error, botocore.exceptions.ReadTimeoutError):
        return Failure(f"AWS did not answer {operation} in time", RUN_AGAIN_OR_WAIT_LONGER)
    if isinstance(error, botocore.exceptions.ClientError):
        return _client_failure(error, operation)
    return Failure(f"{operation} failed: {type(error).__name__}", CHECK_NETWORK)


def _client_failure(error: botocore.exceptions.ClientError, operation: str) -> Failure:
    code = error_code(error)
    status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    if code in _REJECTED_CREDENTIAL_CODES:
        return Failure(
            f"AWS rejected the credentials for {operation} ({code}): expired or invalid",
            RENEW_CREDENTIALS,
        )
    # The code before the status: a proxy may send a throttling document with a 403.
    if code in _THROTTLING_CODES or status == 429:
        return Failure(f"throttled on {operation} past retries", RUN_LATER)
    if code in _ACCESS_DENIED_CODES or code.startswith("AccessDenied") or status == 403:
        return Failure(f"access denied to {operation}", GRANT_ACCESS)
    if isinstance(status, int) and status >= 500:
        return Failure(
            f"AWS answered {operation} with a server error ({status}) past retries", RUN_LATER
        )
    return Failure(f"{operation} failed: {shown_reason(code) if code else 'error'}", CHECK_NETWORK)


# The same fixes for the re-check on ECS events (the Lambda's event path and `on-event`),
# which have no --max-attempts, --timeout or --deadline: the function's own words.
FUNCTION_FIXES = {
    RUN_LATER: "The service's next event re-checks and publishes again (on-event: run again); "
    "if it recurs, send the function fewer events (docs/deploy-hook.md) or ask AWS for a "
    "higher quota.",
    RUN_AGAIN_OR_WAIT_LONGER: "The service's next event re-checks and publishes again "
    "(on-event: run again); if it recurs, check the function's way to AWS (its VPC's "
    "endpoints or NAT).",
    RAISE_DEADLINE: "Raise the function's timeout (it answers 20 s before it).",
}


def describe_function_failure(error: Exception, operation: str) -> str:
    """describe_failure in the words of the event path (FUNCTION_FIXES). Never a value."""
    failure = classify_failure(error, operation)
    fix = FUNCTION_FIXES.get(failure.fix, failure.fix)
    return f"{failure.reason}; {fix[0].lower()}{fix[1:].rstrip('.')}"


# The fixes of failures that may pass by themselves (throttled or a server error past retries,
# a read timeout, the run's deadline): a lifecycle hook waits and asks again on these only.
TRANSIENT_FIXES = frozenset({RUN_LATER, RUN_AGAIN_OR_WAIT_LONGER, RAISE_DEADLINE})


def item_failure_fix(reason: str | None) -> str:
    """What to do about a batch answer's failure for one item, by its reason."""
    word = (reason or "").upper()
    if "ACCESS" in word or "DENIED" in word or "UNAUTHORIZED" in word:
        return GRANT_ACCESS
    if any(part in word for part in ("INTERNAL", "UNAVAILABLE", "THROTTL", "LIMIT", "TIMEOUT")):
        return RUN_LATER
    if word == "MISSING":
        # Listed a moment before and gone now: what was listed changed under the run.
        return "Run again; if it recurs, look at the service's events (aws ecs describe-services)."
    return REPORT_ANSWER


def describe_failure(error: Exception, operation: str) -> str:
    """One line saying why an AWS call failed, with what to do. Never a value."""
    failure = classify_failure(error, operation)
    return f"{failure.reason}; {failure.fix[0].lower()}{failure.fix[1:].rstrip('.')}"


# What a source call can raise that means "could not verify", as opposed to a bug.
AWS_FAILURES: tuple[type[Exception], ...] = (
    botocore.exceptions.ClientError,
    botocore.exceptions.BotoCoreError,
    botocore.parsers.ResponseParserError,  # not a BotoCoreError
    MalformedAnswerError,
    ItemFailureError,
    PagingError,
    DeadlineExceededError,
)
