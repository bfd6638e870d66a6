"""A fault-injecting HTTP proxy in front of moto in server mode, on loopback only.

drift-gate talks to the proxy through AWS_ENDPOINT_URL, as it would to AWS. Requests for
the one operation under test get the fault; every other request is forwarded to moto
unchanged. Operations are told apart the way AWS does: the X-Amz-Target header (JSON
protocol: ECS, Secrets Manager, SSM, Logs) or the operation path (CloudWatch's
smithy-rpc-v2-cbor protocol).
"""

from __future__ import annotations

import enum
import http.client
import http.server
import json
import threading
import urllib.parse
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field


class Fault(str, enum.Enum):
    SERVER_ERROR = "HTTP 500 storm"
    THROTTLING = "throttling storm"
    ACCESS_DENIED = "AccessDenied"
    REJECTED_CREDENTIALS = "rejected credentials"
    TRUNCATED = "truncated body"
    EMPTY = "`{}`"
    ENDLESS_PAGES = "endless pagination"
    READ_TIMEOUT = "read timeout"
    # An emulator or proxy answering a JSON-protocol call with the query protocol's XML error
    # document and a bare 403: botocore's code is "403", the document its message.
    XML_403 = "XML error document in a 403"


# What the proxy answers a batch call (DescribeServices, DescribeTasks) with instead of the
# items: a failure with this reason for each item asked, or an answer that does not fit.
NOT_ASKED = "a failure for an item not asked"
NEITHER = "neither the item nor a failure"
# ECS's reasons (MISSING is "absent"), one it may add, and none at all.
FAILURE_REASONS = ("MISSING", "ACCESS_DENIED", "INTERNAL_ERROR", "SOMETHING_NEW", None)
BATCH_FAULTS: tuple[str | None, ...] = (*FAILURE_REASONS, NOT_ASKED, NEITHER)
# DescribeTasks only: the task ListTasks named for the service, answered as another group's
# (another case of the service's name here; an empty group is tested in test_trust.py).
ANOTHER_GROUP = "the task, as group service:API"
TASK_BATCH_FAULTS: tuple[str | None, ...] = (ANOTHER_GROUP,)
# The task ListTasks is made to name, so DescribeTasks is asked (moto runs no task).
LISTED_TASK = "arn:aws:ecs:us-east-1:123456789012:task/c/0123456789abcdef0123456789abcdef"


# The list and token keys of each paged operation drift-gate calls.
PAGED = {
    "ListClusters": ("clusterArns", "nextToken"),
    "ListServices": ("serviceArns", "nextToken"),
    "ListTaskDefinitions": ("taskDefinitionArns", "nextToken"),
    "ListTasks": ("taskArns", "nextToken"),
    "ListServiceDeployments": ("serviceDeployments", "nextToken"),
    "DescribeParameters": ("Parameters", "NextToken"),
    "FilterLogEvents": ("events", "nextToken"),
    "SimulatePrincipalPolicy": ("EvaluationResults", "Marker"),  # query protocol: XML
}

JSON = "application/x-amz-json-1.1"
XML_403_DOCUMENT = (
    '<?xml version="1.0" encoding="UTF-8"?><ErrorResponse><Error><Type>Sender</Type>'
    "<Code>InvalidClientTokenId</Code><Message>The security token included in the request is "
    "invalid.</Message></Error><RequestId>r</RequestId></ErrorResponse>"
)

ERROR_ANSWERS = {
    Fault.SERVER_ERROR: (500, "InternalFailure", "We encountered an internal error."),
    Fault.THROTTLING: (400, "ThrottlingException", "Rate exceeded"),
    Fault.ACCESS_DENIED: (400, "AccessDeniedException", "User is not authorized."),
    Fault.REJECTED_CREDENTIALS: (
        400,
        "UnrecognizedClientException",
        "The security token included in the request is invalid.",
    ),
}


def _cbor_text(text: str) -> bytes:
    data = text.encode()
    if len(data) < 24:
        return bytes([0x60 + len(data)]) + data
    return bytes([0x78, len(data)]) + data


def cbor_map(items: dict[str, str]) -> bytes:
    """A CBOR map of short text strings: all a smithy-rpc-v2-cbor error body needs."""
    body = bytes([0xA0 + len(items)])
    for key, value in items.items():
        body += _cbor_text(key) + _cbor_text(value)
    return body


@dataclass
class FaultProxy:
    """Forwards to `upstream`; `operation` gets `fault` (None: no fault at all)."""

    upstream: str
    operation: str | None = None
    fault: Fault | None = None
    # A batch answer instead of a Fault (one of BATCH_FAULTS; None there means "no reason").
    batch: str | None = None
    batching: bool = False
    hold_seconds: float = 2.0
    faulted: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, handler: http.server.BaseHTTPRequestHandler, body: bytes) -> None:
        operation, cbor = self._operation(handler, body)
        # Any fault on DescribeTasks needs a task listed first (moto runs none).
        if operation == "ListTasks" and self.operation == "DescribeTasks":
            self._send(handler, *self._listed(handler, body))
            return
        if self.batching and operation == self.operation:
            with self._lock:
                self.faulted += 1
            self._send(handler, *self._batch_answer(body, operation))
            return
        if self.fault is None or operation != self.operation:
            self._send(handler, *self._forward(handler, body))
            return
        with self._lock:
            self.faulted += 1
        if handler.headers.get("Content-Type", "").startswith("application/x-www-form-urlencoded"):
            self._send(handler, *self._query_fault(handler, body, operation))
            return
        self._send(handler, *self._fault(handler, body, operation, cbor=cbor))

    def _listed(
        self, handler: http.server.BaseHTTPRequestHandler, body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        """ListTasks naming one RUNNING task of the service (the STOPPED list as moto has it)."""
        if json.loads(body or b"{}").get("desiredStatus") != "RUNNING":
            return self._forward(handler, body)
        return 200, {"Content-Type": JSON}, json.dumps({"taskArns": [LISTED_TASK]}).encode()

    def _batch_answer(self, body: bytes, operation: str) -> tuple[int, dict[str, str], bytes]:
        """DescribeServices or DescribeTasks answered with `batch` for every item asked."""
        asked = json.loads(body or b"{}")
        cluster = asked.get("cluster", "default")
        if operation == "DescribeServices":
            items, listed = "services", "failures"
            arns = [
                f"arn:aws:ecs:us-east-1:123456789012:service/{cluster}/{name}"
                for name in asked.get("services", [])
            ]
        else:
            items, listed = "tasks", "failures"
            arns = list(asked.get("tasks", []))
        if self.batch == ANOTHER_GROUP:
            tasks = [
                {
                    "taskArn": arn,
                    "taskDefinitionArn": "arn:aws:ecs:us-east-1:123456789012:task-definition/api:1",
                    "lastStatus": "RUNNING",
                    "group": "service:API",
                }
                for arn in arns
            ]
            answer = {"tasks": tasks, "failures": []}
            return 200, {"Content-Type": JSON}, json.dumps(answer).encode()
        if self.batch == NEITHER:
            failures: list[dict[str, str]] = []
        elif self.batch == NOT_ASKED:
            failures = [{"arn": f"{arn}-not-asked", "reason": "MISSING"} for arn in arns]
        else:
            reason = {"reason": self.batch} if self.batch else {}
            failures = [{"arn": arn, **reason} for arn in arns]
        answer = {items: [], listed: failures}
        return 200, {"Content-Type": JSON}, json.dumps(answer).encode()

    @staticmethod
    def _operation(handler: http.server.BaseHTTPRequestHandler, body: bytes) -> tuple[str, bool]:
        target = handler.headers.get("X-Amz-Target")
        if target:
            return target.rsplit(".", 1)[-1], False
        if "/operation/" in handler.path:
            return handler.path.rsplit("/operation/", 1)[-1], True
        # The query protocol (IAM): the operation is the form's Action.
        action = urllib.parse.parse_qs(body.decode("utf-8", "replace")).get("Action", [""])
        return action[0], False

    def _query_fault(
        self, handler: http.server.BaseHTTPRequestHandler, body: bytes, operation: str
    ) -> tuple[int, dict[str, str], bytes]:
        """The same faults in the query protocol's XML."""
        kind = {"Content-Type": "text/xml"}
        namespace = 'xmlns="https://iam.amazonaws.com/doc/2010-05-08/"'
        assert self.fault is not None
        if self.fault is Fault.XML_403:
            return 403, kind, XML_403_DOCUMENT.encode()
        if self.fault in ERROR_ANSWERS:
            status, code, message = ERROR_ANSWERS[self.fault]
            error = (
                f"<ErrorResponse {namespace}><Error><Type>Sender</Type><Code>{code}</Code>"
                f"<Message>{message}</Message></Error><RequestId>r</RequestId></ErrorResponse>"
            )
            return status, kind, error.encode()
        if self.fault is Fault.TRUNCATED:
            status, headers, data = self._forward(handler, body)
            return status, headers, data[: len(data) // 2]
        if self.fault is Fault.READ_TIMEOUT:
            threading.Event().wait(self.hold_seconds)
            return 200, kind, b""
        result = ""
        if self.fault is Fault.ENDLESS_PAGES:
            items, token = PAGED[operation]
            result = (
                f"<{items}/><IsTruncated>true</IsTruncated><{token}>{uuid.uuid4().hex}</{token}>"
            )
        answer = (
            f"<{operation}Response {namespace}><{operation}Result>{result}</{operation}Result>"
            f"<ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></{operation}Response>"
        )
        return 200, kind, answer.encode()

    def _forward(
        self, handler: http.server.BaseHTTPRequestHandler, body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        parsed = urllib.parse.urlsplit(self.upstream)
        connection = http.client.HTTPConnection(parsed.hostname or "", parsed.port, timeout=30)
        headers = {k: v for k, v in handler.headers.items() if k.lower() != "host"}
        connection.request(handler.command, handler.path, body=body, headers=headers)
        response = connection.getresponse()
        data = response.read()
        kept = {
            k: v
            for k, v in response.getheaders()
            if k.lower() not in ("content-length", "transfer-encoding", "connection")
        }
        connection.close()
        return response.status, kept, data

    def _fault(
        self,
        handler: http.server.BaseHTTPRequestHandler,
        body: bytes,
        operation: str,
        *,
        cbor: bool,
    ) -> tuple[int, dict[str, str], bytes]:
        kind = {"Content-Type": "application/cbor" if cbor else "application/x-amz-json-1.1"}
        if cbor:
            kind["smithy-protocol"] = "rpc-v2-cbor"
        assert self.fault is not None
        if self.fault is Fault.XML_403:
            return 403, {"Content-Type": "text/xml"}, XML_403_DOCUMENT.encode()
        if self.fault in ERROR_ANSWERS:
            status, code, message = ERROR_ANSWERS[self.fault]
            if cbor:
                return status, kind, cbor_map({"__type": code, "message": message})
            return status, kind, json.dumps({"__type": code, "message": message}).encode()
        if self.fault is Fault.TRUNCATED:
            status, headers, data = self._forward(handler, body)
            return status, headers, data[: len(data) // 2]
        if self.fault is Fault.EMPTY:
            return 200, kind, cbor_map({}) if cbor else b"{}"
        if self.fault is Fault.ENDLESS_PAGES:
            items, token = PAGED[operation]
            page = {items: [], token: uuid.uuid4().hex}
            return 200, {**kind, "x-amzn-RequestId": uuid.uuid4().hex}, json.dumps(page).encode()
        # READ_TIMEOUT: longer than the client waits. An Event, not time.sleep, which the
        # matrix test turns off for botocore's backoff.
        threading.Event().wait(self.hold_seconds)
        return 200, kind, b"{}"

    @staticmethod
    def _send(
        handler: http.server.BaseHTTPRequestHandler,
        status: int,
        headers: dict[str, str],
        data: bytes,
    ) -> None:
        try:
            handler.send_response(status)
            for key, value in headers.items():
                handler.send_header(key, value)
            handler.send_header("Content-Length", str(len(data)))
            handler.end_headers()
            handler.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            return  # the client gave up waiting (the read-timeout fault)


@contextmanager
def running(proxy: FaultProxy) -> Iterator[str]:
    """Serve `proxy` on 127.0.0.1; yields its endpoint URL."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def _any(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            proxy.answer(self, self.rfile.read(length))

        do_GET = do_POST = do_PUT = do_DELETE = _any

        def log_message(self, format: str, *args: object) -> None:
            return

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
