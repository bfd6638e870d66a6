"""The one HTTP client for what drift-gate sends itself: smoke requests and GitHub's REST API.

Every request is bounded: a connect timeout, a read timeout (silence between two reads), and
an overall deadline for the whole exchange (connect, send, status line, headers, body) that
never outlasts the run's --deadline. The overall deadline is checked before every read of
the socket, so a server that drips a byte a second cannot hold a run past it.

A client is pinned to one origin (scheme, host, port): a URL of another origin (a redirect's
`Location`, a `Link: rel="next"`) is refused before anything is sent to it, so headers such as
`Authorization` go only where they were meant to. Redirects are answers unless the caller
allows a few, and then only within the origin. Bodies are capped, and so is what a
compressed body inflates to; an encoding or charset the client cannot decode is a failure,
never a body searched undecoded. Failures are HttpFailure: a cause and words that never
include a header value or a body.
"""

from __future__ import annotations

import codecs
import http.client
import io
import ipaddress
import re
import socket
import time
import urllib.parse
import zlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from drift_gate.deadline import Deadline

if TYPE_CHECKING:  # ssl costs startup time; it is imported when a TLS connection is made
    import ssl

FailureCause = Literal[
    "refused-before-sending",  # drift-gate's own rules: origin, header, scheme
    "network",  # DNS, connection refused or reset, not HTTP
    "tls-certificate",
    "tls",
    "timeout",
    "deadline",
    "too-large",
    "encoding",
]

DEFAULT_BODY_LIMIT = 1024 * 1024
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_CODING = re.compile(r"^[a-z0-9._+-]{1,32}\Z")
# RFC 9110 field values: visible ASCII, Latin-1 octets, space and tab; never CR, LF or NUL.
_FIELD_VALUE = re.compile(r"^[\t\x20-\x7e\x80-\xff]*\Z")


class HttpFailure(Exception):
    """No usable answer: why (`cause`, for the fix) and one line of words for the user."""

    def __init__(self, cause: FailureCause, reason: str) -> None:
        super().__init__(reason)
        self.cause: FailureCause = cause
        self.reason = reason


def is_loopback(host: str) -> bool:
    """This machine, where plain http cannot be read on the way: `localhost`, or an address
    in 127.0.0.0/8 or ::1 (an IPv4-mapped one too). Parsed, never matched as text: a name
    such as 127.evil.example is another machine."""
    name = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    if name.lower() == "localhost":
        return True
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped.is_loopback
    return address.is_loopback


@dataclass(frozen=True)
class Origin:
    """Scheme, host and port: where a request goes, and all a message shows of a URL."""

    scheme: str
    host: str
    port: int

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = {"http": 80, "https": 443}[self.scheme]
        return f"{self.scheme}://{host}" + ("" if self.port == default else f":{self.port}")


def url_problem(url: str) -> str | None:
    """What makes `url` unusable, in words that never quote it (it may hold a password)."""
    if any(c.isspace() or ord(c) < 0x20 or ord(c) == 0x7F for c in url):
        return "holds spaces or control characters"
    if not url.isascii():  # http.client sends the request line as ASCII
        return "holds characters outside ASCII: percent-encode them (a host name in its xn-- form)"
    try:
        parts = urllib.parse.urlsplit(url)
        port = parts.port
    except ValueError:
        return "is not a URL (its host or port cannot be read)"
    if parts.scheme not in ("http", "https"):
        return "is not an http:// or https:// URL"
    if "@" in parts.netloc:
        return "carries a user name or password (userinfo before @), which drift-gate refuses"
    if not parts.hostname:
        return "has no host"
    if port == 0:
        return "has port 0"
    return None


def origin_of(url: str) -> Origin:
    """The origin of a URL that `url_problem` accepts; ValueError (without the URL) if not."""
    problem = url_problem(url)
    if problem is not None:
        raise ValueError(f"the URL {problem}")
    parts = urllib.parse.urlsplit(url)
    default = 443 if parts.scheme == "https" else 80
    return Origin(parts.scheme, str(parts.hostname), parts.port or default)


def header_value_problem(value: str) -> str | None:
    """Why a header value cannot be sent (a newline, a control character), never the value."""
    if _FIELD_VALUE.match(value):
        return None
    if "\n" in value or "\r" in value:
        return "holds a line break"
    if any(ord(c) > 0xFF for c in value):
        return "holds characters outside Latin-1, which HTTP headers cannot carry"
    return "holds control characters"


@dataclass(frozen=True)
class Limits:
    """The bounds of one request (seconds and bytes)."""

    total: float  # the whole exchange, within the run's deadline
    connect: float = 10.0
    read: float = 30.0  # silence between two reads
    body: int = DEFAULT_BODY_LIMIT  # on the wire, and once decoded
    redirects: int = 0  # same-origin redirects followed; otherwise a 3xx is the answer


@dataclass(frozen=True)
class HttpAnswer:
    """A status, the headers, and the body decoded from its Content-Encoding."""

    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def text(self) -> str:
        """The body as text, in the charset the answer names (UTF-8 if none)."""
        charset = self.headers.get_content_charset() or "utf-8"
        try:
            codecs.lookup(charset)
        except LookupError:
            raise HttpFailure(
                "encoding", f"the answer's charset {_said(charset)} is not one drift-gate knows"
            ) from None
        return self.body.decode(charset, "replace")

    def content_type(self) -> str:
        return self.headers.get_content_type()


@dataclass(frozen=True)
class HttpClient:
    """Requests to one origin, each within `limits` and the run's deadline."""

    origin: Origin
    limits: Limits
    tls: ssl.SSLContext | None = None
    deadline: Deadline | None = None

    def send(
        self,
        method: str,
        url: str,
        headers: tuple[tuple[str, str], ...] = (),
        body: bytes | None = None,
        *,
        read_body: bool = True,
    ) -> HttpAnswer:
        """One request (and the same-origin redirects `limits` allows); HttpFailure if no
        usable answer came back within the bounds."""
        end, by_run = self._end()
        for _ in range(self.limits.redirects + 1):
            self._check_origin(url)
            answer = self._exchange(method, url, headers, body, (end, by_run), read_body)
            location = answer.headers.get("location")
            if not self._follows(method, answer.status) or not location:
                return answer
            url = urllib.parse.urljoin(url, location)
            if answer.status == 303:
                method, body = "GET", None
        raise HttpFailure("network", f"it redirected more than {self.limits.redirects} times")

    def _end(self) -> tuple[float, bool]:
        """When this request must be done, and whether the run's deadline is what ends it."""
        now = time.monotonic()
        left = self.deadline.remaining() if self.deadline is not None else self.limits.total
        if left <= 0:
            raise HttpFailure(
                "deadline", "the run's deadline (--deadline) passed before it was sent"
            )
        return now + min(left, self.limits.total), left < self.limits.total

    def _follows(self, method: str, status: int) -> bool:
        if self.limits.redirects == 0 or status not in _REDIRECTS:
            return False
        # 301/302 may turn a POST into a GET on the way; only 303, 307, 308 say what to send.
        return method in ("GET", "HEAD") or status in (303, 307, 308)

    def _check_origin(self, url: str) -> None:
        try:
            origin = origin_of(url)
        except ValueError as error:
            raise HttpFailure("refused-before-sending", str(error)) from None
        if origin != self.origin:
            raise HttpFailure(
                "refused-before-sending",
                f"it pointed to another origin ({origin}); drift-gate sends only to {self.origin}",
            )

    def _exchange(
        self,
        method: str,
        url: str,
        headers: tuple[tuple[str, str], ...],
        body: bytes | None,
        end: tuple[float, bool],
        read_body: bool,
    ) -> HttpAnswer:
        for name, value in headers:
            problem = header_value_problem(value)
            if problem is not None:
                raise HttpFailure("refused-before-sending", f"header {name} {problem}")
        parts = urllib.parse.urlsplit(url)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        connection = self._connection(end[0])
        try:
            return _talk(connection, (method, target, headers, body), self.limits, end, read_body)
        except HttpFailure:
            raise
        # What a socket, TLS or http.client can raise on a peer's behaviour (OSError covers
        # timeouts, resets and ssl.SSLError; http.client.HTTPException a malformed answer;
        # ValueError a status line or chunk it cannot read). Anything else is drift-gate's
        # own bug and is left to the one "internal error" handler, not called a network fault.
        except (OSError, http.client.HTTPException, ValueError, _Expired) as error:
            raise _failure(error, self.limits, end) from None
        finally:
            connection.close()

    def _connection(self, end: float) -> http.client.HTTPConnection:
        timeout = max(0.001, min(self.limits.connect, end - time.monotonic()))
        if self.origin.scheme == "https":
            return http.client.HTTPSConnection(
                self.origin.host, self.origin.port, timeout=timeout, context=self.tls
            )
        return http.client.HTTPConnection(self.origin.host, self.origin.port, timeout=timeout)


def _talk(
    connection: http.client.HTTPConnection,
    message: tuple[str, str, tuple[tuple[str, str], ...], bytes | None],
    limits: Limits,
    end: tuple[float, bool],
    read_body: bool,
) -> HttpAnswer:
    method, target, headers, body = message
    try:
        connection.connect()
    except TimeoutError:
        if end[0] - time.monotonic() > 0.01:  # else the deadline's words say it
            raise HttpFailure("timeout", f"no connection within {limits.connect:g} s") from None
        raise
    paced = _PacedSocket(connection.sock, end, limits.read)
    connection.sock = paced
    fields = {"Accept-Encoding": "gzip, deflate", **dict(headers)}
    connection.request(method, target, body=body, headers=fields)
    response = connection.getresponse()
    if paced.file is not None and paced.file.last_line == b"":
        # http.client takes the end of the stream for the end of the headers: a server that
        # hangs up mid-header would otherwise be a complete answer with an empty body.
        raise HttpFailure("network", "the connection closed before the answer was complete")
    if not read_body or method == "HEAD":
        return HttpAnswer(response.status, response.headers, b"")
    raw = response.read(limits.body + 1)
    if len(raw) > limits.body:
        raise HttpFailure("too-large", f"the answer is larger than {_size(limits.body)}")
    if response.length:  # http.client's read(amt) returns short when the server hangs up
        raise HttpFailure("network", "the connection closed before the answer was complete")
    decoded = _decoded(raw, response.headers.get_all("content-encoding") or [], limits.body)
    return HttpAnswer(response.status, response.headers, decoded)


class _Expired(Exception):
    """The overall deadline passed while reading (raised from inside http.client)."""


class _PacedSocket:
    """The connection's socket, whose reads each wait at most the read timeout and never
    past the overall deadline (http.client reads through `makefile`)."""

    def __init__(self, sock: Any, end: tuple[float, bool], read: float) -> None:
        self._sock, self._end, self._read = sock, end[0], read
        self.file: _LineFile | None = None

    def makefile(self, mode: str, *_: Any, **__: Any) -> io.BufferedReader:
        # The socket's own file object counts as a reference: closing the connection then
        # leaves the socket open for the response, as http.client expects.
        raw = self._sock.makefile(mode, buffering=0)
        self.file = _LineFile(_PacedReader(raw, self._sock, self._end, self._read))
        return self.file

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)


class _LineFile(io.BufferedReader):
    """Remembers the last line read: the headers end with an empty line, not the stream."""

    last_line: bytes | None = None

    def readline(self, size: int | None = -1) -> bytes:
        self.last_line = super().readline(-1 if size is None else size)
        return self.last_line


class _PacedReader(io.RawIOBase):
    def __init__(self, raw: Any, sock: Any, end: float, read: float) -> None:
        super().__init__()
        self._raw, self._sock, self._end, self._read = raw, sock, end, read

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        left = self._end - time.monotonic()
        if left <= 0:
            raise _Expired
        self._sock.settimeout(min(self._read, left))
        try:
            return int(self._raw.readinto(buffer))
        except TimeoutError:
            if self._end - time.monotonic() <= 0.01:
                raise _Expired from None
            raise

    def close(self) -> None:
        self._raw.close()
        super().close()


def _decoded(raw: bytes, encodings: list[str], limit: int) -> bytes:
    """The body with its Content-Encoding undone (gzip, deflate), inflated to at most `limit`."""
    codings = [c.strip().lower() for value in encodings for c in value.split(",") if c.strip()]
    if len(codings) > 2:
        raise HttpFailure("encoding", "the answer is encoded more than twice over")
    body = raw
    for coding in reversed(codings):
        if coding == "identity":
            continue
        if coding in ("gzip", "x-gzip"):
            body = _inflate(body, 16 + zlib.MAX_WBITS, limit)
        elif coding == "deflate":
            body = _inflate(body, zlib.MAX_WBITS, limit)
        else:
            raise HttpFailure(
                "encoding",
                f"the answer is encoded as {_said(coding)}, which drift-gate does not decode",
            )
    return body


def _inflate(data: bytes, wbits: int, limit: int) -> bytes:
    inflater = zlib.decompressobj(wbits)
    try:
        out = inflater.decompress(data, limit + 1)
    except zlib.error:
        raise HttpFailure("encoding", "the compressed answer could not be decoded") from None
    if len(out) > limit:
        raise HttpFailure("too-large", f"the answer inflates to more than {_size(limit)}")
    if not inflater.eof:
        raise HttpFailure("encoding", "the compressed answer ends before its end")
    return out


def _failure(error: Exception, limits: Limits, end: tuple[float, bool]) -> HttpFailure:
    """Name what went wrong by cause; never the exception's text (it may quote a value)."""
    import ssl

    if isinstance(error, _Expired) or (
        isinstance(error, TimeoutError) and end[0] - time.monotonic() <= 0.01
    ):
        if end[1]:
            return HttpFailure(
                "deadline", "the run's deadline (--deadline) passed before the answer was complete"
            )
        return HttpFailure("timeout", f"no complete answer within {limits.total:g} s")
    if isinstance(error, TimeoutError):
        return HttpFailure("timeout", f"it was silent for {limits.read:g} s")
    if isinstance(error, ssl.SSLCertVerificationError):
        return HttpFailure(
            "tls-certificate",
            "its TLS certificate could not be verified (give --ca-bundle for a private CA)",
        )
    if isinstance(error, ssl.SSLError):
        return HttpFailure("tls", "the TLS handshake failed")
    return _network_failure(error)


def _network_failure(error: Exception) -> HttpFailure:
    if isinstance(error, socket.gaierror):
        return HttpFailure("network", "its host name does not resolve")
    if isinstance(error, ConnectionRefusedError):
        return HttpFailure("network", "the connection was refused")
    # RemoteDisconnected is a ConnectionResetError: the server closed without answering.
    if isinstance(error, ConnectionResetError | BrokenPipeError | http.client.IncompleteRead):
        return HttpFailure("network", "the connection closed before the answer was complete")
    if isinstance(error, http.client.HTTPException):
        return HttpFailure(
            "network", f"the answer is not HTTP drift-gate can read ({type(error).__name__})"
        )
    return HttpFailure("network", f"the connection failed ({type(error).__name__})")


def _said(name: str) -> str:
    """A name the server chose, quoted only when it is a plain token."""
    return repr(name) if _CODING.match(name) else "(an unreadable name)"


def _size(limit: int) -> str:
    return f"{limit // (1024 * 1024)} MiB" if limit >= 1024 * 1024 else f"{limit} bytes"
