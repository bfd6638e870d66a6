"""drift-gate's one HTTP client (drift_gate/http_client.py) against servers on 127.0.0.1 that
misbehave, and the scrubbing of secrets from --debug tracebacks. No timing is asserted: each
test asserts how the request ended; the drips end by themselves within a few seconds."""

from __future__ import annotations

import gzip
import io
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drift_gate.deadline import Deadline
from drift_gate.http_client import (
    HttpClient,
    HttpFailure,
    Limits,
    header_value_problem,
    is_loopback,
    origin_of,
    url_problem,
)
from drift_gate.scrub import print_traceback, remember_secret, scrub
from drift_gate.sources.smoke import shown_url

DRIP_BYTES = 30  # 0.1 s apart: a drip stops by itself within 3 s


class Odd(BaseHTTPRequestHandler):
    seen: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        Odd.seen.append(self.path)
        if self.path == "/drip":
            self.close_connection = True
            for byte in b"HTTP/1.1 200 OK\r\nX-Drip: " + b"a" * DRIP_BYTES:
                try:
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                except OSError:
                    return
                time.sleep(0.1)
            return
        if self.path == "/hangup":  # a status line and a header, then the end of the stream
            self.close_connection = True
            self.wfile.write(b"HTTP/1.1 200 OK\r\nX-Half: y")
            return
        body, headers = {
            "/gzip": (gzip.compress(b"secret phrase"), {"Content-Encoding": "gzip"}),
            "/double": (gzip.compress(gzip.compress(b"twice")), {"Content-Encoding": "gzip, gzip"}),
            "/bomb": (gzip.compress(b"\0" * 4096), {"Content-Encoding": "gzip"}),
            "/truncated": (gzip.compress(b"x" * 100)[:-12], {"Content-Encoding": "gzip"}),
            "/zstd": (b"\x28\xb5\x2f\xfd", {"Content-Encoding": "zstd"}),
        }.get(self.path, (b"ok", {}))
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: Any) -> None:
        return


@pytest.fixture
def server() -> Iterator[str]:
    Odd.seen = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Odd)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def client(base: str, deadline: Deadline | None = None, **limits: Any) -> HttpClient:
    return HttpClient(origin_of(base), Limits(**{"total": 10.0, **limits}), None, deadline)


def failure(base: str, path: str, deadline: Deadline | None = None, **limits: Any) -> HttpFailure:
    with pytest.raises(HttpFailure) as raised:
        client(base, deadline, **limits).send("GET", base + path)
    return raised.value


def test_a_drip_ends_at_the_request_timeout(server: str) -> None:
    """Each byte comes well within the read timeout: only the overall bound can end it."""
    ended = failure(server, "/drip", total=1.0, read=5.0)
    assert (ended.cause, ended.reason) == ("timeout", "no complete answer within 1 s")


def test_a_drip_ends_at_the_runs_deadline(server: str) -> None:
    ended = failure(server, "/drip", Deadline(1.0), total=60.0, read=60.0)
    assert ended.cause == "deadline"
    assert "--deadline" in ended.reason


def test_nothing_is_sent_once_the_runs_deadline_passed(server: str) -> None:
    assert failure(server, "/", Deadline(-1.0)).cause == "deadline"
    assert Odd.seen == []


def test_another_origin_is_refused_before_sending(server: str) -> None:
    other_port = server.replace("127.0.0.1", "localhost")
    with pytest.raises(HttpFailure) as raised:
        client(server).send("GET", f"{other_port}/", (("Authorization", "Bearer t0ken"),))
    assert raised.value.cause == "refused-before-sending"
    assert "another origin (http://localhost:" in raised.value.reason
    assert "t0ken" not in raised.value.reason
    assert Odd.seen == []


def test_gzip_and_double_gzip_are_decoded(server: str) -> None:
    assert client(server).send("GET", f"{server}/gzip").text() == "secret phrase"
    assert client(server).send("GET", f"{server}/double").body == b"twice"


@pytest.mark.parametrize(
    ("path", "cause", "words"),
    [
        ("/bomb", "too-large", "inflates to more than 1024 bytes"),
        ("/truncated", "encoding", "ends before its end"),
        ("/zstd", "encoding", "encoded as 'zstd'"),
    ],
)
def test_what_cannot_be_decoded_within_the_cap_is_a_failure(
    server: str, path: str, cause: str, words: str
) -> None:
    ended = failure(server, path, body=1024)
    assert ended.cause == cause
    assert words in ended.reason


def test_a_server_that_hangs_up_mid_header_is_no_answer(server: str) -> None:
    """http.client would take the end of the stream for the end of the headers: a 200."""
    ended = failure(server, "/hangup")
    assert (ended.cause, ended.reason) == (
        "network",
        "the connection closed before the answer was complete",
    )


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.255.0.9", True),
        ("::1", True),
        ("[::1]", True),
        ("::ffff:127.0.0.1", True),
        ("localhost", True),
        ("LOCALHOST", True),
        ("127.evil.example", False),
        ("127.0.0.1.nip.io", False),
        ("localhost.evil.example", False),
        ("128.0.0.1", False),
        ("::2", False),
        ("", False),
    ],
)
def test_loopback_is_an_address_parsed_never_a_prefix(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("https://user:hunter2@api.example/", "user name or password"),
        ("https://hunter2@api.example/", "user name or password"),
        ("ftp://api.example/", "not an http:// or https:// URL"),
        ("https://api.example:99999/", "is not a URL"),
        ("https://api.example/a b", "spaces"),
        ("https://api.example/\n", "spaces or control characters"),
        ("https:///x", "has no host"),
        ("https://api.example/prédire", "outside ASCII: percent-encode them"),
        ("https://bücher.example/", "outside ASCII"),
    ],
)
def test_an_unusable_url_is_named_without_quoting_it(url: str, words: str) -> None:
    problem = url_problem(url)
    assert problem is not None
    assert words in problem
    assert "hunter2" not in problem
    with pytest.raises(ValueError, match="the URL"):
        origin_of(url)


def test_origins_compare_scheme_host_and_port() -> None:
    assert origin_of("https://API.example/a") == origin_of("https://api.example:443/b")
    assert origin_of("http://api.example/") != origin_of("https://api.example/")
    assert str(origin_of("http://[::1]:8080/x?y")) == "http://[::1]:8080"


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("Bearer abc", None),
        ("a\nb", "holds a line break"),
        ("a\rb", "holds a line break"),
        ("a\0b", "holds control characters"),
        ("ключ", "holds characters outside Latin-1, which HTTP headers cannot carry"),
    ],
)
def test_header_values_http_cannot_carry(value: str, problem: str | None) -> None:
    assert header_value_problem(value) == problem


def test_a_url_is_shown_without_its_userinfo_or_query_values() -> None:
    shown = shown_url("https://user:hunter2@api.example:8443/p?key=s3cr3t&x=1")
    assert shown == "https://api.example:8443/p?key=...&x=..."


def test_a_traceback_is_scrubbed_of_every_remembered_secret() -> None:
    secret = "sk-scrub-canary\nX-Injected: 1"
    remember_secret(secret)
    stream = io.StringIO()

    def send() -> None:  # as http.client words a header it refuses
        raise ValueError(f"Invalid header value {secret.encode()!r} and {secret}")

    try:
        send()
    except ValueError:
        print_traceback(stream)
    printed = stream.getvalue()
    assert "Invalid header value" in printed
    assert "sk-scrub-canary" not in printed
    assert "X-Injected: 1" not in printed
    assert scrub("short ok") == "short ok"


# --- properties: whatever a server or a policy gives, a failure is HttpFailure or ValueError


@given(st.text(max_size=80))
@settings(max_examples=300, deadline=None)
def test_any_text_as_a_url_is_named_or_refused_never_a_crash(url: str) -> None:
    problem = url_problem(url)
    if problem is None:
        origin = origin_of(url)
        assert origin.scheme in ("http", "https")
    else:
        with pytest.raises(ValueError, match=r"^the URL "):
            origin_of(url)


@given(st.text(max_size=40))
@settings(max_examples=300, deadline=None)
def test_a_loopback_host_is_an_address(host: str) -> None:
    if is_loopback(host) and host.lower() != "localhost":
        import ipaddress

        ipaddress.ip_address(host.strip("[]"))  # raises if it were only text


@given(
    st.one_of(st.binary(max_size=300), st.binary(max_size=3000).map(gzip.compress)),
    st.lists(st.sampled_from(["gzip", "deflate", "identity", "br", "x-gzip", " GZIP"]), max_size=3),
)
@settings(max_examples=300, deadline=None)
def test_any_body_and_encoding_decodes_within_the_cap_or_fails_by_cause(
    raw: bytes, codings: list[str]
) -> None:
    from drift_gate.http_client import _decoded

    outcome: bytes | str
    try:
        outcome = _decoded(raw, [", ".join(codings)] if codings else [], 1024)
    except HttpFailure as failure:
        outcome = failure.cause
    if isinstance(outcome, bytes):
        assert len(outcome) <= max(1024, len(raw))
    else:
        assert outcome in ("encoding", "too-large")


def test_one_http_client_in_the_package() -> None:
    """Smoke requests and GitHub's API share drift_gate/http_client.py: no module opens a
    connection of its own (its bounds and origin pinning would not hold there)."""
    import ast
    from pathlib import Path

    import drift_gate

    package = Path(drift_gate.__file__).parent
    senders = {"http.client", "urllib.request", "requests", "urllib3", "httpx"}
    allowed = {"http_client.py"}
    found = []
    for path in package.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = (
                [alias.name for alias in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            if senders & set(names) and str(path.relative_to(package)) not in allowed:
                found.append(f"{path.relative_to(package)}: {sorted(senders & set(names))}")
    assert found == []
