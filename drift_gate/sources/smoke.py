"""Smoke requests: ask the application itself, with the standard library's HTTP client.

TLS is verified (the system's trust store, or --ca-bundle for private endpoints); plain
http:// goes only to this machine unless a request says `allow_http: true` (the policy
refuses it otherwise, and this module checks again). A header `{env: NAME}` is read from the
environment when the request is sent: its value is never kept, logged or shown. Of the body,
only whether each forbidden phrase is in it is kept (the first MiB is read). A connection,
DNS or TLS failure or a timeout is retried `retries` times, then it is an answer of its own:
"could not verify". A status is an answer and is never retried.
"""

from __future__ import annotations

import http.client
import os
import socket
import ssl
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from drift_gate._version import __version__
from drift_gate.errors import InvalidInputError
from drift_gate.policy import SmokeRequest, is_loopback

BODY_LIMIT = 1024 * 1024


@dataclass(frozen=True)
class SmokeAnswer:
    """What came back: the status and the forbidden phrases found (never the body)."""

    status: int
    found: tuple[str, ...]


@dataclass(frozen=True)
class SmokeUnreachable:
    """No answer: why, in words that never include a header or a body."""

    reason: str


def shown_url(url: str) -> str:
    """The URL as findings show it: the query's values hidden (they may hold a key)."""
    parts = urllib.parse.urlsplit(url)
    if not parts.query:
        return url
    names = [name for name, _ in urllib.parse.parse_qsl(parts.query, keep_blank_values=True)]
    hidden = "&".join(f"{name}=..." for name in names)
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path, hidden, ""))


def missing_variables(requests: list[SmokeRequest], environ: Mapping[str, str]) -> list[str]:
    """The `{env: NAME}` headers whose variable is not set: a usage error, before any call."""
    return sorted({h.env for r in requests for h in r.headers if h.env and h.env not in environ})


def tls_context(ca_bundle: Path | None) -> ssl.SSLContext:
    try:
        return ssl.create_default_context(cafile=str(ca_bundle) if ca_bundle else None)
    except (OSError, ssl.SSLError) as error:
        raise InvalidInputError(
            f"--ca-bundle {ca_bundle}: cannot be read as PEM certificates ({type(error).__name__})"
        ) from None


def send(request: SmokeRequest, context: ssl.SSLContext) -> SmokeAnswer | SmokeUnreachable:
    """One request, with its retries on failures to connect; never raises for the network."""
    parts = urllib.parse.urlsplit(request.url)
    if parts.scheme == "http" and not request.allow_http and not is_loopback(parts.hostname or ""):
        return SmokeUnreachable("plain http:// to another machine is refused (allow_http)")
    outcome: SmokeAnswer | SmokeUnreachable = SmokeUnreachable("not sent")
    for _ in range(request.retries + 1):
        outcome = _once(request, context)
        if isinstance(outcome, SmokeAnswer):
            return outcome
    return outcome


def _once(request: SmokeRequest, context: ssl.SSLContext) -> SmokeAnswer | SmokeUnreachable:
    data = request.json_body.encode("utf-8") if request.json_body is not None else None
    prepared = urllib.request.Request(request.url, data=data, method=request.method)  # noqa: S310 - http(s) only, checked
    prepared.add_header("User-Agent", f"drift-gate/{__version__}")
    if data is not None:
        prepared.add_header("Content-Type", "application/json")
    for header in request.headers:
        value = os.environ.get(header.env, "") if header.env else header.value or ""
        prepared.add_header(header.name, value)
    opener = urllib.request.build_opener(
        urllib.request.HTTPSHandler(context=context), _NoRedirect()
    )
    try:
        with opener.open(prepared, timeout=request.timeout) as response:
            return SmokeAnswer(response.status, _phrases(response.read(BODY_LIMIT), request))
    except urllib.error.HTTPError as error:  # a status outside 2xx is still an answer
        body = error.read(BODY_LIMIT) if error.fp is not None else b""
        return SmokeAnswer(error.code, _phrases(body, request))
    except urllib.error.URLError as error:
        return SmokeUnreachable(_reason(error.reason))
    except TimeoutError:
        return SmokeUnreachable(f"no answer within {request.timeout:g} s")
    except (http.client.HTTPException, OSError) as error:
        return SmokeUnreachable(f"the connection failed ({type(error).__name__})")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is the answer (its status), not a second request (headers would follow)."""

    def redirect_request(self, *_: object, **__: object) -> None:
        return None


def _phrases(body: bytes, request: SmokeRequest) -> tuple[str, ...]:
    text = body.decode("utf-8", "replace")
    return tuple(phrase for phrase in request.forbid if phrase in text)


def _reason(reason: object) -> str:
    if isinstance(reason, ssl.SSLCertVerificationError):
        return "its TLS certificate could not be verified (give --ca-bundle for a private CA)"
    if isinstance(reason, ssl.SSLError):
        return "the TLS handshake failed"
    if isinstance(reason, socket.gaierror):
        return "its host name does not resolve"
    if isinstance(reason, ConnectionRefusedError):
        return "the connection was refused"
    if isinstance(reason, TimeoutError):
        return "it did not answer in time"
    return f"the connection failed ({type(reason).__name__})"
