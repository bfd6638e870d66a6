"""A small fake of the GitHub REST endpoints `drift-gate github-issues` uses, on 127.0.0.1.

Pull requests (`pull_requests`) take comments: listed a page at a time with a `Link` header
(`comment_page_size`), created, and updated by id; `read_only` answers writes to them as
GitHub answers a fork's read-only token (403 "Resource not accessible by integration").

It serves under /api/v3 (as GitHub Enterprise Server does), pages issue lists with a `Link`
header, lists pull requests among issues as GitHub does, checks the bearer token, and can be
told to refuse a request (rate limit, 403) or to let a "concurrent run" open an issue. An
`intercept` misbehaves instead of answering: a redirect or a `Link` to another origin, a
server error, a page that is not JSON, or an answer dripped a byte at a time (bounded: the
drip ends by itself after `DRIP_BYTES` bytes).
"""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

PREFIX = "/api/v3"
TOKEN = "ghs_fakeTokenThatMustNeverBePrinted0123"
DRIP_BYTES = 40  # a dripped answer's bytes, 0.1 s apart: at most 4 s, then the drip stops


@dataclass(frozen=True)
class Misbehaviour:
    """What to answer instead: a status, headers, a raw body, and whether to drip it."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b"[]"
    drip: bool = False


@dataclass
class FakeGitHub:
    repository: str = "octo/infra"
    page_size: int = 100
    issues: dict[int, dict[str, Any]] = field(default_factory=dict)
    comments: dict[int, list[str]] = field(default_factory=dict)
    labels: set[str] = field(default_factory=set)
    requests: list[tuple[str, str]] = field(default_factory=list)
    refuse: tuple[int, dict[str, str]] | None = None
    on_list: Callable[[FakeGitHub, int], None] | None = None  # called with the list count
    # (method, path) -> a misbehaviour, or None to answer as GitHub would
    intercept: Callable[[str, str], Misbehaviour | None] | None = None
    authorizations: list[str | None] = field(default_factory=list)
    url: str = ""
    pull_requests: set[int] = field(default_factory=set)
    pr_comments: dict[int, dict[str, Any]] = field(default_factory=dict)  # by comment id
    comment_page_size: int = 100
    read_only: bool = False
    # Whose the token is: GET /user answers 200 with this login for a user's token; None is
    # an installation token (a workflow's GITHUB_TOKEN, an app's), which GitHub refuses there.
    user_login: str | None = None
    # The login comments created with the token are written as (GITHUB_TOKEN's by default).
    author_login: str = "github-actions[bot]"
    _lists: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add_issue(self, body: str, labels: tuple[str, ...] = ("drift-gate",), **extra: Any) -> int:
        number = len(self.issues) + 1
        self.issues[number] = {
            "number": number,
            "title": extra.pop("title", f"issue {number}"),
            "body": body,
            "state": "open",
            "labels": [{"name": label} for label in labels],
            **extra,
        }
        return number

    def add_pr_comment(
        self,
        number: int,
        body: str,
        login: str = "github-actions[bot]",
        user_type: str = "Bot",
        association: str = "NONE",
    ) -> int:
        comment_id = 1000 + len(self.pr_comments) + 1
        self.pr_comments[comment_id] = {
            "id": comment_id,
            "issue": number,
            "body": body,
            "user": {"login": login, "type": user_type},
            "author_association": association,
        }
        return comment_id

    def comments_on(self, number: int) -> list[dict[str, Any]]:
        return [c for c in self.pr_comments.values() if c["issue"] == number]

    def open_with_label(self, label: str) -> list[dict[str, Any]]:
        return [
            issue
            for issue in self.issues.values()
            if issue["state"] == "open" and label in {tag["name"] for tag in issue["labels"]}
        ]

    # --- the server -------------------------------------------------------------------

    def handle(
        self, method: str, raw_path: str, headers: Any, body: bytes
    ) -> tuple[int, dict[str, str], Any]:
        with self._lock:
            self.requests.append((method, raw_path))
            if headers.get("Authorization") != f"Bearer {TOKEN}":
                return 401, {}, {"message": "Bad credentials"}
            if self.refuse is not None:
                status, extra = self.refuse
                return status, extra, {"message": "refused"}
            parsed = urllib.parse.urlsplit(raw_path)
            path = parsed.path.removeprefix(PREFIX)
            if method == "GET" and path == "/user":
                if self.user_login is None:
                    return 403, {}, {"message": "Resource not accessible by integration"}
                return 200, {}, {"login": self.user_login, "type": "User"}
            base = f"/repos/{self.repository}"
            if not path.startswith(base):
                return 404, {}, {"message": "Not Found"}
            rest = path[len(base) :]
            payload = json.loads(body) if body else {}
            if method == "GET" and rest == "/issues":
                return self._list(parsed.query)
            if method == "POST" and rest == "/issues":
                number = self.add_issue(
                    payload["body"], tuple(payload.get("labels", ())), title=payload["title"]
                )
                return 201, {}, self.issues[number]
            if method == "POST" and rest == "/labels":
                if payload["name"] in self.labels:
                    return (
                        422,
                        {},
                        {"message": "Validation Failed", "errors": [{"code": "already_exists"}]},
                    )
                self.labels.add(payload["name"])
                return 201, {}, {"name": payload["name"]}
            parts = rest.strip("/").split("/")
            answer = self._pull_request_comments(method, parts, parsed.query, payload)
            return answer or self._issue(method, parts, payload)

    def _issue(
        self, method: str, parts: list[str], payload: dict[str, Any]
    ) -> tuple[int, dict[str, str], Any]:
        """PATCH /issues/N and POST /issues/N/comments of an issue."""
        if len(parts) >= 2 and parts[0] == "issues" and parts[1].isdigit():
            number = int(parts[1])
            if number not in self.issues:
                return 404, {}, {"message": "Not Found"}
            if method == "PATCH" and len(parts) == 2:
                if len(payload.get("body") or "") > 65536:
                    return (
                        422,
                        {},
                        {"message": "Body is too long (maximum is 65536 characters)"},
                    )
                self.issues[number].update(payload)
                return 200, {}, self.issues[number]
            if method == "POST" and parts[2:] == ["comments"]:
                self.comments.setdefault(number, []).append(payload["body"])
                return 201, {}, {"id": 1}
        return 404, {}, {"message": "Not Found"}

    def _pull_request_comments(
        self, method: str, parts: list[str], query: str, payload: dict[str, Any]
    ) -> tuple[int, dict[str, str], Any] | None:
        """GET and POST /issues/N/comments of a pull request; PATCH /issues/comments/ID."""
        if len(parts) != 3 or parts[0] != "issues":
            return None
        if parts[1] == "comments" and parts[2].isdigit() and method == "PATCH":
            comment = self.pr_comments.get(int(parts[2]))
            if comment is None:
                return 404, {}, {"message": "Not Found"}
            return self._write(comment, payload)
        if not (parts[1].isdigit() and int(parts[1]) in self.pull_requests):
            return None
        if parts[2] != "comments":
            return None
        number = int(parts[1])
        if method == "POST":
            if self.read_only:
                return 403, {}, {"message": "Resource not accessible by integration"}
            login = self.user_login or self.author_login
            comment_id = self.add_pr_comment(
                number, "", login, "User" if self.user_login else "Bot"
            )
            return self._write(self.pr_comments[comment_id], payload, created=True)
        arguments = dict(urllib.parse.parse_qsl(query))
        size = min(int(arguments.get("per_page", "30")), self.comment_page_size)
        page = int(arguments.get("page", "1"))
        every = sorted(self.comments_on(number), key=lambda c: c["id"])
        headers = {}
        if page * size < len(every):
            following = urllib.parse.urlencode({**arguments, "page": str(page + 1)})
            headers["Link"] = (
                f"<{self.url}/repos/{self.repository}/issues/{number}/comments?{following}>; "
                'rel="next"'
            )
        return 200, headers, every[(page - 1) * size : page * size]

    def _write(
        self, comment: dict[str, Any], payload: dict[str, Any], *, created: bool = False
    ) -> tuple[int, dict[str, str], Any]:
        if self.read_only:
            return 403, {}, {"message": "Resource not accessible by integration"}
        if len(payload.get("body") or "") > 65536:
            if created:
                del self.pr_comments[comment["id"]]
            return 422, {}, {"message": "Body is too long (maximum is 65536 characters)"}
        comment["body"] = payload["body"]
        return (201 if created else 200), {}, comment

    def _list(self, query: str) -> tuple[int, dict[str, str], Any]:
        self._lists += 1
        if self.on_list is not None:
            self.on_list(self, self._lists)
        arguments = dict(urllib.parse.parse_qsl(query))
        assert arguments["state"] == "open"
        label = arguments["labels"]
        size = min(int(arguments.get("per_page", "30")), self.page_size)
        page = int(arguments.get("page", "1"))
        matching = sorted(self.open_with_label(label), key=lambda i: i["number"])
        chunk = matching[(page - 1) * size : page * size]
        headers = {}
        if page * size < len(matching):
            following = urllib.parse.urlencode({**arguments, "page": str(page + 1)})
            headers["Link"] = f'<{self.url}/repos/{self.repository}/issues?{following}>; rel="next"'
        return 200, headers, chunk


@contextmanager
def serve(fake: FakeGitHub) -> Iterator[FakeGitHub]:
    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            fake.authorizations.append(self.headers.get("Authorization"))
            odd = fake.intercept(self.command, self.path) if fake.intercept else None
            if odd is not None:
                with fake._lock:
                    fake.requests.append((self.command, self.path))
                self._misbehave(odd)
                return
            status, headers, payload = fake.handle(self.command, self.path, self.headers, body)
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for key, value in headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

        def _misbehave(self, odd: Misbehaviour) -> None:
            if odd.drip:
                self.close_connection = True
                head = f"HTTP/1.1 {odd.status} OK\r\nX-Drip: {'a' * DRIP_BYTES}"
                for byte in head.encode()[:DRIP_BYTES]:
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                    time.sleep(0.1)
                return
            self.send_response(odd.status)
            headers = {"Content-Type": "application/json", **odd.headers}
            self.send_header("Content-Length", str(len(odd.body)))
            for key, value in headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(odd.body)

        do_GET = do_POST = do_PATCH = _answer

        def log_message(self, *_: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake.url = f"http://127.0.0.1:{server.server_address[1]}{PREFIX}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
