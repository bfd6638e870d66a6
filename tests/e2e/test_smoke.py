"""Smoke requests against a local stand-in of the incident's application on 127.0.0.1 (no
network beyond loopback), after the live checks against moto in server mode."""

from __future__ import annotations

import gzip
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from drift_gate import _moto_compat
from drift_gate.demo import CLUSTER, REGION, SECRET_NAMES, SERVICE, IncidentAccount, serve_json
from tests.conftest import REPO, Cli, MotoServer, closed_port

pytestmark = pytest.mark.e2e

API_KEY = "sk-canary-smoke-header-value-0123456789"  # a canary: in no output, ever


@dataclass
class App:
    """The prediction API: 500 "HuggingFace token not configured" until it is `configured`."""

    configured: bool = False
    seen_keys: list[str] = field(default_factory=list)
    port: int = 0

    def answer(self, method: str, path: str, headers: Any, body: bytes) -> tuple[int, str]:
        key = headers.get("X-API-Key")
        if path.startswith("/health"):
            return 200, '{"status": "ok"}'
        if key is None:
            return 401, '{"error": "missing api key"}'
        self.seen_keys.append(key)
        if not self.configured:
            return 500, '{"error": "HuggingFace token not configured", "trace": "body-canary-7"}'
        try:
            text = json.loads(body or b"{}").get("text")
        except ValueError:
            text = None
        if not isinstance(text, str):
            return 422, '{"error": "text is required"}'
        return 200, '{"label": "positive"}'


@pytest.fixture
def app() -> Iterator[App]:
    state = App()
    server = serve_json(state.answer)
    state.port = server.server_address[1]
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def smoke_policy(tmp_path: Path, port: int) -> Path:
    """The incident's policy and its runbook's four requests."""
    base = f"http://127.0.0.1:{port}"
    text = (
        (REPO / "policies" / "example.yaml").read_text()
        + f"""\
        smoke:
          - url: {base}/predict?debug=1
            method: POST
            headers: {{X-API-Key: {{env: HOKUSAI_API_KEY}}}}
            json: {{text: "a fine day"}}
            expect: [200]
            forbid: ["HuggingFace token not configured"]
          - url: {base}/predict
            method: POST
            headers: {{X-API-Key: {{env: HOKUSAI_API_KEY}}}}
            json: {{}}
            expect: [400, 422]
          - url: {base}/predict
            method: POST
            expect: [401]
          - url: {base}/health
"""
    )
    path = tmp_path / "drift-gate.yaml"
    path.write_text(text)
    return path


def fixed_service(moto_server: MotoServer) -> None:
    """The service runs the revision with every secret: the chain passes up to the app."""
    account = IncidentAccount.create(moto_server.client)
    _moto_compat.settle(CLUSTER, SERVICE, REGION)
    account.redeploy(account.register_revision(list(SECRET_NAMES)))


def check(
    cli: Cli, policy: Path, tmp_path: Path, *extra: str, env: dict[str, str] | None = None
) -> tuple[int, dict[str, Any], str]:
    outputs = {
        name: tmp_path / f"report.{name}"
        for name in ("json", "sarif", "junit", "html", "markdown", "github")
    }
    arguments = ["check", "--policy", str(policy)]
    for name, path in outputs.items():
        arguments += ["--format", name, "--output", str(path)]
    result = cli.run(
        *arguments,
        "--format",
        "console",
        *extra,
        extra_env={"HOKUSAI_API_KEY": API_KEY, **(env or {})},
    )
    everything = (
        result.stdout
        + result.stderr
        + "".join(path.read_text() for path in outputs.values() if path.exists())
    )
    assert API_KEY not in everything  # the header value reached the app, and nothing else
    report = json.loads(outputs["json"].read_text()) if outputs["json"].exists() else {}
    return result.exit_code, report, everything


def smoke_link(report: dict[str, Any]) -> dict[str, Any]:
    return next(
        link
        for link in report["services"][0]["links"]
        if link["link"] == "the application answers as declared"
    )


def test_a_broken_application_fails_naming_the_url_and_the_phrase(
    cli_on_moto: Cli, moto_server: MotoServer, app: App, tmp_path: Path
) -> None:
    fixed_service(moto_server)
    policy = smoke_policy(tmp_path, app.port)

    code, report, everything = check(cli_on_moto, policy, tmp_path)

    assert code == 1
    rules = sorted((f["rule_id"], f["message"]) for f in report["findings"])
    url = f"POST http://127.0.0.1:{app.port}/predict?debug=..."
    assert rules == [
        ("DG411", f"POST http://127.0.0.1:{app.port}/predict answered 500, expected 400, 422"),
        ("DG411", f"{url} answered 500, expected 200"),
        ("DG412", f"{url} answered 500 with 'HuggingFace token not configured' in its body"),
    ]
    assert smoke_link(report)["state"] == "failed"
    assert app.seen_keys == [API_KEY, API_KEY]
    assert "body-canary-7" not in everything  # no body beyond the matched phrase


def test_a_healthy_application_passes(
    cli_on_moto: Cli, moto_server: MotoServer, app: App, tmp_path: Path
) -> None:
    fixed_service(moto_server)
    app.configured = True
    policy = smoke_policy(tmp_path, app.port)
    code, report, _ = check(cli_on_moto, policy, tmp_path)
    assert code == 0, report["findings"]
    assert smoke_link(report) == {
        "link": "the application answers as declared",
        "state": "passed",
        "reason": None,
    }
    base = f"http://127.0.0.1:{app.port}"
    assert [(r["request"], r["status"], r["outcome"]) for r in report["services"][0]["smoke"]] == [
        (f"POST {base}/predict?debug=...", 200, "passed"),
        (f"POST {base}/predict", 422, "passed"),
        (f"POST {base}/predict", 401, "passed"),
        (f"GET {base}/health", 200, "passed"),
    ]
    reports = {name: (tmp_path / f"report.{name}").read_text() for name in ("markdown", "html")}
    assert f"- smoke request POST {base}/predict -&gt; 422: passed" not in reports["markdown"]
    # Markdown-escaped (report/markdown_text.py): no autolink, no blockquote marker.
    escaped = base.replace("://", "\\://")
    assert f"- smoke request POST {escaped}/predict -\\> 422: passed (" in reports["markdown"]
    assert f"<li>GET {base}/health -&gt; 200: passed ({policy}:" in reports["html"]
    junit = (tmp_path / "report.junit").read_text()
    assert f'name="smoke GET {base}/health ({policy}:' in junit


def test_an_unreachable_application_is_could_not_verify(
    cli_on_moto: Cli, moto_server: MotoServer, tmp_path: Path
) -> None:
    fixed_service(moto_server)
    code, report, _ = check(cli_on_moto, smoke_policy(tmp_path, closed_port()), tmp_path)
    assert code == 3
    assert {f["rule_id"] for f in report["findings"]} == {"DG901"}
    assert "the connection was refused" in report["findings"][0]["message"]
    assert "reachable from where drift-gate runs" in report["findings"][0]["remediation"]
    assert "iam-policy.json" not in report["findings"][0]["remediation"]


def test_no_request_to_a_service_that_drifted(
    cli_on_moto: Cli, moto_server: MotoServer, app: App, tmp_path: Path
) -> None:
    IncidentAccount.create(moto_server.client)
    _moto_compat.settle(CLUSTER, SERVICE, REGION)  # act (a): the key never reached it
    code, report, _ = check(cli_on_moto, smoke_policy(tmp_path, app.port), tmp_path)
    assert code == 1
    assert smoke_link(report) == {
        "link": "the application answers as declared",
        "state": "not-checked",
        "reason": "the service drifted: it does not run what is declared",
    }
    assert app.seen_keys == []


def test_a_missing_header_variable_is_exit_2_before_any_call(
    cli_on_moto: Cli, app: App, tmp_path: Path
) -> None:
    policy = smoke_policy(tmp_path, app.port)
    env = {key: value for key, value in cli_on_moto.env.items()}
    result = Cli(env, cli_on_moto.cwd).run("check", "--policy", str(policy))
    assert result.exit_code == 2
    assert "smoke request headers read HOKUSAI_API_KEY from the environment" in result.stderr
    assert app.seen_keys == []


def test_plain_http_to_another_machine_is_refused_by_the_policy(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(
        (REPO / "policies" / "example.yaml").read_text()
        + "        smoke:\n          - url: http://api.example.com/health\n"
    )
    result = cli.run("validate-policy", str(path))
    assert result.exit_code == 2
    assert "plain http:// is allowed only to this machine" in result.stderr
    path.write_text(path.read_text() + "            allow_http: true\n")
    assert cli.run("validate-policy", str(path)).exit_code == 0


def _self_signed(tmp_path: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 signed by itself, and its key (cryptography comes with moto)."""
    import datetime as dt
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "drift-gate test CA")])
    now = dt.datetime.now(dt.timezone.utc)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "ca.pem", tmp_path / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def test_tls_is_verified_and_a_private_ca_is_trusted_with_ca_bundle(
    cli_on_moto: Cli, moto_server: MotoServer, tmp_path: Path
) -> None:
    import ssl

    fixed_service(moto_server)
    cert, key = _self_signed(tmp_path)

    class Health(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *_: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Health)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    policy = tmp_path / "tls.yaml"
    policy.write_text(
        (REPO / "policies" / "example.yaml").read_text()
        + f"        smoke:\n          - url: https://127.0.0.1:{server.server_address[1]}/health\n"
    )
    try:
        untrusted = check(cli_on_moto, policy, tmp_path)
        trusted = check(cli_on_moto, policy, tmp_path, "--ca-bundle", str(cert))
    finally:
        server.shutdown()
        server.server_close()

    assert untrusted[0] == 3
    assert "its TLS certificate could not be verified" in untrusted[1]["findings"][0]["message"]
    assert "Give --ca-bundle" in untrusted[1]["findings"][0]["remediation"]
    assert trusted[0] == 0, trusted[1]["findings"]


def test_scan_refuses_a_missing_header_variable_too(
    cli_on_moto: Cli, app: App, tmp_path: Path
) -> None:
    policy = smoke_policy(tmp_path, app.port)
    result = cli_on_moto.run("scan", "--region", REGION, "--policy", str(policy))
    assert result.exit_code == 2
    assert "smoke request headers read HOKUSAI_API_KEY" in result.stderr
    assert app.seen_keys == []


# --- issue 22: smoke requests through the one HTTP client -------------------------------

PHRASE = "HuggingFace token not configured"
DRIP_BYTES = 40  # 0.1 s apart: a drip ends by itself within 4 s
_BOMB = gzip.compress(b"\0" * (8 * 1024 * 1024))  # 8 MiB of zeros in about 8 KiB


def _reply(
    handler: BaseHTTPRequestHandler, body: bytes, headers: dict[str, str], status: int = 200
) -> None:
    handler.send_response(status)
    for key, value in {"Content-Length": str(len(body)), **headers}.items():
        handler.send_header(key, value)
    handler.end_headers()
    try:
        handler.wfile.write(body)
    except OSError:  # the client stopped reading at its cap
        return


def _drip(handler: BaseHTTPRequestHandler) -> None:
    handler.close_connection = True
    head = f"HTTP/1.1 200 OK\r\nX-Drip: {'a' * DRIP_BYTES}".encode()[:DRIP_BYTES]
    for byte in head:
        try:
            handler.wfile.write(bytes([byte]))
            handler.wfile.flush()
        except OSError:
            return
        time.sleep(0.1)


def _reset(handler: BaseHTTPRequestHandler) -> None:
    handler.close_connection = True
    handler.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n" + PHRASE[:10].encode())
    handler.wfile.flush()
    handler.connection.shutdown(socket.SHUT_RDWR)


ODD_ANSWERS: dict[str, Callable[[BaseHTTPRequestHandler], None]] = {
    "/gzip": lambda h: _reply(
        h, gzip.compress(f'{{"error": "{PHRASE}"}}'.encode()), {"Content-Encoding": "gzip"}
    ),
    "/bomb": lambda h: _reply(h, _BOMB, {"Content-Encoding": "gzip"}),
    "/br": lambda h: _reply(h, b"\x1b\x2a\x00\xf8" * 16, {"Content-Encoding": "br"}),
    "/huge": lambda h: _reply(h, b"a" * (2 * 1024 * 1024) + PHRASE.encode(), {}),
    "/utf16": lambda h: _reply(
        h, PHRASE.encode("utf-16"), {"Content-Type": "text/plain; charset=utf-16"}
    ),
    "/klingon": lambda h: _reply(h, b"{}", {"Content-Type": "text/plain; charset=x-klingon"}),
    "/reset": _reset,
    "/drip": _drip,
}


@dataclass
class OddApp:
    """An application that misbehaves on each path of ODD_ANSWERS; `/away` redirects to
    `elsewhere`, another origin on 127.0.0.1 that counts what reaches it."""

    port: int = 0
    elsewhere_hits: list[str] = field(default_factory=list)


@pytest.fixture
def odd_app() -> Iterator[OddApp]:
    state = OddApp()

    def count(_method: str, path: str, _headers: Any, _body: bytes) -> tuple[int, str]:
        state.elsewhere_hits.append(path)
        return 200, "{}"

    elsewhere = serve_json(count)
    target = f"http://127.0.0.1:{elsewhere.server_address[1]}/health"

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/away":
                _reply(self, b"", {"Location": target}, status=302)
                return
            ODD_ANSWERS[self.path](self)

        def log_message(self, *_: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    state.port = server.server_address[1]
    try:
        yield state
    finally:
        for each in (server, elsewhere):
            each.shutdown()
            each.server_close()


def policy_with(tmp_path: Path, requests: str) -> Path:
    path = tmp_path / "drift-gate.yaml"
    path.write_text(
        (REPO / "policies" / "example.yaml").read_text() + "        smoke:\n" + requests
    )
    return path


def forbidding(port: int, *paths: str) -> str:
    return "".join(
        f'          - url: http://127.0.0.1:{port}{path}\n            forbid: ["{PHRASE}"]\n'
        for path in paths
    )


def by_path(report: dict[str, Any]) -> dict[str, list[tuple[str, str, str]]]:
    found: dict[str, list[tuple[str, str, str]]] = {}
    for item in report["findings"]:
        path = item["target"]["request"].rsplit("/", 1)[1]
        found.setdefault(path, []).append((item["rule_id"], item["message"], item["remediation"]))
    return found


def test_a_misbehaving_application_is_never_a_pass(
    cli_on_moto: Cli, moto_server: MotoServer, odd_app: OddApp, tmp_path: Path
) -> None:
    fixed_service(moto_server)
    paths = ("/gzip", "/bomb", "/br", "/huge", "/utf16", "/klingon", "/reset")
    requests = forbidding(odd_app.port, *paths)
    requests += f"          - url: http://127.0.0.1:{odd_app.port}/away\n"

    code, report, everything = check(cli_on_moto, policy_with(tmp_path, requests), tmp_path)

    assert code == 3
    assert "internal error" not in everything
    found = by_path(report)
    rules = {path: sorted(rule for rule, _, _ in items) for path, items in found.items()}
    assert rules == {
        "gzip": ["DG412"],  # decoded, then searched
        "bomb": ["DG901"],
        "br": ["DG901"],
        "huge": ["DG901"],  # never searched in part
        "utf16": ["DG412"],  # in the charset it names
        "klingon": ["DG901"],
        "reset": ["DG901"],
        "away": ["DG411"],  # a redirect is an answer, never followed
    }
    words = {path: items[0][1] for path, items in found.items()}
    assert "the answer inflates to more than 1 MiB" in words["bomb"]
    assert "encoded as 'br', which drift-gate does not decode" in words["br"]
    assert "the answer is larger than 1 MiB" in words["huge"]
    assert "charset 'x-klingon' is not one drift-gate knows" in words["klingon"]
    assert "the connection closed before the answer was complete" in words["reset"]
    assert words["away"].endswith("answered 302, expected 200")
    assert odd_app.elsewhere_hits == []
    fixes = {path: items[0][2] for path, items in found.items() if items[0][0] == "DG901"}
    assert all("iam-policy.json" not in fix for fix in fixes.values())
    assert "gzip or deflate" in fixes["br"]
    assert "larger than drift-gate reads" in fixes["huge"]


def test_a_dripping_application_is_cut_at_the_request_timeout_and_at_the_deadline(
    cli_on_moto: Cli, moto_server: MotoServer, odd_app: OddApp, tmp_path: Path
) -> None:
    fixed_service(moto_server)
    drip = f"          - url: http://127.0.0.1:{odd_app.port}/drip\n"

    code, report, _ = check(
        cli_on_moto, policy_with(tmp_path, drip + "            timeout: 1\n"), tmp_path
    )
    assert code == 3
    ((rule, message, fix),) = by_path(report)["drip"]
    assert (rule, message.rsplit(": ", 1)[1]) == ("DG901", "no complete answer within 1 s")
    assert "raise `timeout`" in fix

    long_timeout = policy_with(tmp_path, drip + "            timeout: 60\n")
    code, report, _ = check(cli_on_moto, long_timeout, tmp_path, "--deadline", "3")
    assert code == 3
    assert any("deadline" in f["message"] for f in report["findings"])


def test_two_requests_to_one_url_are_two_results(
    cli_on_moto: Cli, moto_server: MotoServer, app: App, tmp_path: Path
) -> None:
    fixed_service(moto_server)
    base = f"http://127.0.0.1:{app.port}"
    twice = "".join(
        f"          - url: {base}/predict\n"
        "            method: POST\n"
        "            headers: {X-API-Key: {env: HOKUSAI_API_KEY}}\n"
        f"            expect: [{status}]\n"
        for status in (200, 201)
    )
    policy = policy_with(tmp_path, twice)

    code, report, _ = check(cli_on_moto, policy, tmp_path)

    assert code == 1
    failed = [f for f in report["findings"] if f["rule_id"] == "DG411"]
    assert sorted(f["message"].rsplit(" ", 1)[1] for f in failed) == ["200", "201"]
    places = {f["declared_in"] for f in failed}
    assert len(places) == 2
    assert all(p.startswith(f"{policy}:") for p in places)
    results = report["services"][0]["smoke"]
    assert [(r["request"], r["outcome"]) for r in results] == [
        (f"POST {base}/predict", "failed")
    ] * 2
    assert {r["declared_in"] for r in results} == places
    sarif = json.loads((tmp_path / "report.sarif").read_text())
    prints = [
        result["partialFingerprints"]["driftGate/v1"]
        for result in sarif["runs"][0]["results"]
        if result["ruleId"] == "DG411"
    ]
    assert len(set(prints)) == 2
    junit = (tmp_path / "report.junit").read_text()
    assert sum(f'name="smoke POST {base}/predict ({place})"' in junit for place in places) == 2
    console = (tmp_path / "report.markdown").read_text()
    assert all(place in console for place in places)


def test_a_header_value_with_a_newline_is_exit_2_naming_the_header_never_the_value(
    cli_on_moto: Cli, app: App, tmp_path: Path
) -> None:
    policy = smoke_policy(tmp_path, app.port)
    injected = {"HOKUSAI_API_KEY": API_KEY + "\nX-Injected: 1"}
    for debug in ((), ("--debug",)):
        result = cli_on_moto.run(*debug, "check", "--policy", str(policy), extra_env=injected)
        assert result.exit_code == 2
        assert (
            "the value of header X-API-Key (from the variable HOKUSAI_API_KEY) holds a line break"
            in result.stderr
        )
        assert "internal error" not in result.stderr
        assert API_KEY not in result.stdout + result.stderr
    assert app.seen_keys == []


def test_a_url_with_a_password_is_refused_naming_where_it_is_declared(
    cli_on_moto: Cli, app: App, tmp_path: Path
) -> None:
    password = "pw-canary-in-a-url-0451"
    policy = policy_with(
        tmp_path, f"          - url: http://user:{password}@127.0.0.1:{app.port}/health\n"
    )
    for command in (("validate-policy", str(policy)), ("check", "--policy", str(policy))):
        result = cli_on_moto.run(*command, extra_env={"HOKUSAI_API_KEY": API_KEY})
        assert result.exit_code == 2
        assert f"{policy}:" in result.stderr
        assert "services/0/smoke/0/url" in result.stderr
        assert password not in result.stdout + result.stderr
    assert app.seen_keys == []


def test_a_url_with_a_password_is_refused_before_any_call_without_the_schema(
    tmp_path: Path,
) -> None:
    """A policy built in code (the library) is not validated against the schema: the check
    still refuses the URL before any request, naming where, never the password."""
    from drift_gate.errors import InvalidInputError
    from drift_gate.policy import SmokeRequest
    from drift_gate.sources.smoke import refuse_unusable

    request = SmokeRequest(url="https://user:pw-canary-0452@api.example/", where="p.yaml:9")
    with pytest.raises(InvalidInputError) as raised:
        refuse_unusable([request], {})
    assert str(raised.value).startswith("p.yaml:9: the smoke request's URL carries a user name")
    assert "pw-canary-0452" not in str(raised.value)


@pytest.mark.parametrize(
    "host", ["127.evil.example", "127.0.0.1.nip.io", "localhost.evil.example", "[::2]"]
)
def test_plain_http_to_a_name_that_only_looks_local_is_refused(
    cli: Cli, tmp_path: Path, host: str
) -> None:
    policy = policy_with(tmp_path, f"          - url: http://{host}/health\n")
    result = cli.run("validate-policy", str(policy))
    assert result.exit_code == 2
    assert "plain http:// is allowed only to this machine" in result.stderr
