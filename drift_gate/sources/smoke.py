"""Smoke requests: ask the application itself, through drift-gate's one HTTP client.

TLS is verified (the system's trust store, or --ca-bundle for private endpoints); plain
http:// goes only to this machine unless a request says `allow_http: true` (the policy
refuses it otherwise, and this module checks again). A URL with a user name or password is
refused before any request (exit 2): it would be shown wherever the request is named. A
header `{env: NAME}` is read from the environment when the request is sent: its value is
never kept, logged or shown (and is scrubbed from --debug tracebacks). Of the body, only
whether each forbidden phrase is in it is kept; it is read only when there is a phrase to
look for, decoded from gzip or deflate and its charset, and a body over 1 MiB (on the wire
or inflated) is "could not verify", never searched in part. A request has `timeout` seconds
in all, within the run's --deadline. A failure to connect or a timeout is retried `retries`
times, then it is an answer of its own: "could not verify". A status is an answer and is
never retried; a redirect is a status, never followed.
"""

from __future__ import annotations

import os
import ssl
import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from drift_gate._version import __version__
from drift_gate.deadline import Deadline
from drift_gate.errors import InvalidInputError
from drift_gate.http_client import (
    FailureCause,
    HttpAnswer,
    HttpClient,
    HttpFailure,
    Limits,
    header_value_problem,
    is_loopback,
    origin_of,
    url_problem,
)
from drift_gate.model import SmokeRequest
from drift_gate.scrub import remember_secret

BODY_LIMIT = 1024 * 1024
CONNECT_SECONDS = 10.0
# Worth another try: the application may be starting. Not a TLS, size or encoding problem.
_RETRIED = frozenset({"network", "timeout"})


@dataclass(frozen=True)
class SmokeAnswer:
    """What came back: the status and the forbidden phrases found (never the body)."""

    status: int
    found: tuple[str, ...]


@dataclass(frozen=True)
class SmokeUnreachable:
    """No usable answer: why, in words that never include a header or a body, and the
    cause (the fix depends on it: checks/remedies.py)."""

    reason: str
    cause: FailureCause | str = "network"


def shown_url(url: str) -> str:
    """The URL as findings show it: never a user name or password, the query's values hidden
    (they may hold a key)."""
    parts = urllib.parse.urlsplit(url)
    netloc = parts.netloc.rpartition("@")[2]
    query = parts.query
    if query:
        names = [name for name, _ in urllib.parse.parse_qsl(query, keep_blank_values=True)]
        query = "&".join(f"{name}=..." for name in names)
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, query, ""))


def missing_variables(requests: list[SmokeRequest], environ: Mapping[str, str]) -> list[str]:
    """The `{env: NAME}` headers whose variable is not set: a usage error, before any call."""
    return sorted({h.env for r in requests for h in r.headers if h.env and h.env not in environ})


def refuse_unusable(requests: Sequence[SmokeRequest], environ: Mapping[str, str]) -> None:
    """Exit 2 before any request for a URL drift-gate cannot send to as written (a user name
    or password in it) or a header value HTTP cannot carry (a newline in the variable):
    named by where the request is declared and the header's name, never by a value."""
    for request in requests:
        where = request.where or "a smoke request"
        problem = url_problem(request.url)
        if problem is not None:
            raise InvalidInputError(
                f"{where}: the smoke request's URL {problem}; send credentials in a header "
                "(`headers: {Authorization: {env: NAME}}`), see docs/policy.md#smoke-requests"
            )
        for header in request.headers:
            value = environ.get(header.env, "") if header.env else header.value or ""
            remember_secret(value)
            problem = header_value_problem(value)
            if problem is not None:
                source = f"the variable {header.env}" if header.env else "the policy"
                raise InvalidInputError(
                    f"{where}: the value of header {header.name} (from {source}) {problem}; "
                    "HTTP cannot send it (its value is never printed)"
                )


def tls_context(ca_bundle: Path | None) -> ssl.SSLContext:
    try:
        return ssl.create_default_context(cafile=str(ca_bundle) if ca_bundle else None)
    except (OSError, ssl.SSLError) as error:
        raise InvalidInputError(
            f"--ca-bundle {ca_bundle}: cannot be read as PEM certificates ({type(error).__name__})"
        ) from None


def send(
    request: SmokeRequest, context: ssl.SSLContext, deadline: Deadline | None = None
) -> SmokeAnswer | SmokeUnreachable:
    """One request, with its retries on failures to connect; never raises for the network."""
    try:
        origin = origin_of(request.url)
    except ValueError as error:
        return SmokeUnreachable(str(error), "refused-before-sending")
    if origin.scheme == "http" and not request.allow_http and not is_loopback(origin.host):
        return SmokeUnreachable(
            "plain http:// to another machine is refused (allow_http)", "refused-before-sending"
        )
    limits = Limits(
        total=request.timeout,
        connect=min(request.timeout, CONNECT_SECONDS),
        read=request.timeout,
        body=BODY_LIMIT,
    )
    client = HttpClient(origin, limits, context, deadline)
    outcome: SmokeAnswer | SmokeUnreachable = SmokeUnreachable("not sent")
    for _ in range(request.retries + 1):
        outcome = _once(client, request)
        if isinstance(outcome, SmokeAnswer) or outcome.cause not in _RETRIED:
            return outcome
    return outcome


def _once(client: HttpClient, request: SmokeRequest) -> SmokeAnswer | SmokeUnreachable:
    data = request.json_body.encode("utf-8") if request.json_body is not None else None
    headers = [("User-Agent", f"drift-gate/{__version__}")]
    if data is not None:
        headers.append(("Content-Type", "application/json"))
    for header in request.headers:
        value = os.environ.get(header.env, "") if header.env else header.value or ""
        remember_secret(value)
        headers.append((header.name, value))
    try:
        answer = client.send(
            request.method, request.url, tuple(headers), data, read_body=bool(request.forbid)
        )
        return SmokeAnswer(answer.status, _phrases(answer, request))
    except HttpFailure as failure:
        return SmokeUnreachable(failure.reason, failure.cause)


def _phrases(answer: HttpAnswer, request: SmokeRequest) -> tuple[str, ...]:
    if not request.forbid:
        return ()
    text = answer.text()
    return tuple(phrase for phrase in request.forbid if phrase in text)
