"""The few GitHub REST endpoints `drift-gate github-issues` uses, over drift-gate's one HTTP
client (drift_gate/http_client.py: timeouts, an overall deadline, a body cap).

The base URL is GITHUB_API_URL (GitHub Enterprise Server: https://HOST/api/v3), the token
GITHUB_TOKEN; the token goes in one header, only to that URL's origin (a redirect or a
`Link: rel="next"` to another origin is refused, not followed), and never into a message.
Every answer is checked for the fields read; a page list follows `Link: rel="next"` with a
bound. A refusal (401, 403, 404, 429), a server error or a failure to connect is
GitHubError: the issues could not be kept in step with the report, which the nightly scan
must not take for a success (exit 3).
"""

from __future__ import annotations

import json
import re
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.message import Message
from typing import Any

from drift_gate._version import __version__
from drift_gate.deadline import Deadline
from drift_gate.errors import CouldNotVerifyError
from drift_gate.http_client import HttpAnswer, HttpClient, HttpFailure, Limits, origin_of

# 100 an answer is the most GitHub gives; 100 pages is 10,000 open issues with one label.
PER_PAGE = 100
MAX_PAGES = 100
TIMEOUT_SECONDS = 30.0  # one request, all of it (connect, headers, body)
# The largest answer read: a page of 100 issues with long bodies is about 7 MB.
BODY_LIMIT = 32 * 1024 * 1024
# GitHub redirects a renamed or moved repository's API calls (301, 307) within the API.
MAX_REDIRECTS = 3
# A pull request's comments, 100 a page: 30 pages is 3,000 comments before drift-gate's own.
MAX_COMMENT_PAGES = 30
# What GitHub says when a token cannot write (a fork's pull request gets a read-only one).
NO_WRITE_ACCESS = "Resource not accessible by integration"
# The login a workflow's GITHUB_TOKEN (an installation token, which GET /user refuses) writes
# as: GitHub's documented bot account of GitHub Actions.
ACTIONS_LOGIN = "github-actions[bot]"
_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="next"')


class GitHubError(CouldNotVerifyError):
    """GitHub refused or did not answer: one line saying which call and what to do."""


class NoWriteAccess(GitHubError):
    """403 "Resource not accessible by integration": the token may read, not write (the
    read-only GITHUB_TOKEN of a fork's pull request)."""


@dataclass(frozen=True)
class Issue:
    """An open issue, as far as drift-gate reads it."""

    number: int
    body: str
    labels: tuple[str, ...]


@dataclass(frozen=True)
class Comment:
    """A comment on an issue or pull request, as far as drift-gate reads it."""

    id: int
    body: str
    author: str  # the author's login ("" when GitHub gave none)


DEADLINE_FIX = "raise --deadline"


@dataclass(frozen=True)
class GitHubApi:
    """A repository's issues through the REST API."""

    base: str
    repository: str  # OWNER/NAME
    token: str = field(repr=False)
    timeout: float = TIMEOUT_SECONDS
    deadline: Deadline | None = None
    permission: str = "issues: write"  # named when GitHub forbids a request (403)
    # What to do when the deadline passed: the event path has no --deadline (its own words).
    deadline_fix: str = DEADLINE_FIX

    def _client(self) -> HttpClient:
        """Pinned to GITHUB_API_URL's origin: the token is sent nowhere else."""
        limits = Limits(
            total=self.timeout,
            connect=min(self.timeout, 10.0),
            read=self.timeout,
            body=BODY_LIMIT,
            redirects=MAX_REDIRECTS,
        )
        return HttpClient(origin_of(self.base), limits, None, self.deadline)

    def _url(self, path: str, query: dict[str, str] | None = None) -> str:
        owner, name = self.repository.split("/", 1)
        quoted = f"/repos/{urllib.parse.quote(owner)}/{urllib.parse.quote(name)}{path}"
        suffix = f"?{urllib.parse.urlencode(query)}" if query else ""
        return f"{self.base.rstrip('/')}{quoted}{suffix}"

    def open_issues(self, label: str) -> list[Issue]:
        """Every open issue with `label` (pull requests left out), every page."""
        url: str | None = self._url(
            "/issues", {"state": "open", "labels": label, "per_page": str(PER_PAGE)}
        )
        issues: list[Issue] = []
        seen: set[str] = set()
        for _ in range(MAX_PAGES):
            if url is None:
                return issues
            if url in seen:
                raise GitHubError("GitHub's issue list repeated a page; run again later")
            seen.add(url)
            answer, headers = self._call("GET", url, None, "list issues")
            issues.extend(_issues(answer))
            url = _next_page(headers)
        raise GitHubError(f"more than {MAX_PAGES * PER_PAGE} open issues labelled {label}")

    def create_issue(self, title: str, body: str, labels: list[str]) -> int:
        answer, _ = self._call(
            "POST",
            self._url("/issues"),
            {"title": title, "body": body, "labels": labels},
            "create an issue",
        )
        return _number(answer, "create an issue")

    def update_issue(self, number: int, **fields: Any) -> None:
        self._call("PATCH", self._url(f"/issues/{number}"), fields, f"update issue #{number}")

    def comment(self, number: int, body: str) -> None:
        self._call(
            "POST",
            self._url(f"/issues/{number}/comments"),
            {"body": body},
            f"comment on issue #{number}",
        )

    def issue_comments(self, number: int) -> Iterator[Comment]:
        """The comments of issue or pull request `number`, oldest first, page by page (at
        most MAX_COMMENT_PAGES): the caller stops reading once it has what it looks for."""
        url: str | None = self._url(f"/issues/{number}/comments", {"per_page": str(PER_PAGE)})
        seen: set[str] = set()
        for _ in range(MAX_COMMENT_PAGES):
            if url is None:
                return
            if url in seen:
                raise GitHubError("GitHub's comment list repeated a page; run again later")
            seen.add(url)
            answer, headers = self._call("GET", url, None, f"list the comments of #{number}")
            yield from _comments(answer)
            url = _next_page(headers)
        if url is not None:
            raise GitHubError(
                f"#{number} has more than {MAX_COMMENT_PAGES} pages of comments; drift-gate "
                "reads no further (delete old comments, or comment on a new pull request)"
            )

    def create_comment(self, number: int, body: str) -> Comment:
        """A new comment on issue or pull request `number`: its id and author."""
        what = f"comment on #{number}"
        url = self._url(f"/issues/{number}/comments")
        answer, _ = self._call("POST", url, {"body": body}, what)
        if isinstance(answer, dict) and isinstance(answer.get("id"), int):
            return Comment(int(answer["id"]), body, _login(answer))
        raise GitHubError(f"GitHub answered the request to {what} without a comment id")

    def token_login(self) -> str | None:
        """The login the token acts as (GET /user), or None when GitHub will not say: an
        installation token (a workflow's GITHUB_TOKEN, an app's) is refused there (403)."""
        url = f"{self.base.rstrip('/')}/user"
        try:
            answer, _ = self._call("GET", url, None, "find the token's login")
        except (NoWriteAccess, _Forbidden, _NotFound):
            return None
        login = answer.get("login") if isinstance(answer, dict) else None
        return login if isinstance(login, str) and login else None

    def update_comment(self, comment_id: int, body: str) -> None:
        self._call(
            "PATCH",
            self._url(f"/issues/comments/{comment_id}"),
            {"body": body},
            f"update comment {comment_id}",
        )

    def ensure_label(self, name: str, color: str, description: str) -> None:
        """Create the label unless it exists (422 "already_exists" is fine)."""
        try:
            self._call(
                "POST",
                self._url("/labels"),
                {"name": name, "color": color, "description": description},
                f"create label {name}",
            )
        except _Unprocessable:
            return

    def _call(
        self, method: str, url: str, payload: dict[str, Any] | None, what: str
    ) -> tuple[Any, Message]:
        data = json.dumps(payload).encode("utf-8") if payload is not None else None
        headers = [
            ("Accept", "application/vnd.github+json"),
            ("X-GitHub-Api-Version", "2022-11-28"),
            ("User-Agent", f"drift-gate/{__version__}"),
            ("Authorization", f"Bearer {self.token}"),
        ]
        if data is not None:
            headers.append(("Content-Type", "application/json"))
        try:
            answer = self._client().send(method, url, tuple(headers), data)
        except HttpFailure as failure:
            raise _unanswered(failure, what, self.deadline_fix) from None
        if answer.status >= 300:
            if answer.status == 403 and _message(answer) == NO_WRITE_ACCESS:
                raise NoWriteAccess(
                    f"GitHub forbade the request to {what} (403, {NO_WRITE_ACCESS}): the "
                    f"token has no write access (needs {self.permission})"
                )
            raise _refusal(answer.status, answer.headers, what, self.permission)
        return _json(answer, what), answer.headers


def _unanswered(failure: HttpFailure, what: str, deadline_fix: str) -> GitHubError:
    if failure.cause == "refused-before-sending":
        return GitHubError(
            f"GitHub's answer to {what}: {failure.reason} (GITHUB_API_URL's); the token "
            "was not sent there. Check GITHUB_API_URL, or a proxy in the way"
        )
    if failure.cause == "deadline":
        reason = failure.reason
        if deadline_fix != DEADLINE_FIX:  # a caller without --deadline: not named to it
            reason = reason.replace("the run's deadline (--deadline)", "the time left")
        return GitHubError(f"could not {what}: {reason}; {deadline_fix}")
    return GitHubError(
        f"could not reach GitHub to {what} ({failure.reason}); check GITHUB_API_URL and the "
        "network, then run again"
    )


def _json(answer: HttpAnswer, what: str) -> Any:
    if not answer.body:
        return None
    kind = answer.content_type()
    if kind != "application/json" and not kind.endswith("+json"):
        raise GitHubError(
            f"GitHub answered {what} with {kind}, not JSON: check GITHUB_API_URL, or a proxy "
            "or sign-in page in the way"
        )
    try:
        return json.loads(answer.text())
    except (json.JSONDecodeError, HttpFailure):
        raise GitHubError(f"GitHub answered {what} with something that is not JSON") from None


class _Forbidden(GitHubError):
    """403, not a rate limit: the token may not do this."""


class _NotFound(GitHubError):
    """404: no such thing, or the token cannot see it."""


class _Unprocessable(GitHubError):
    """422: the request was understood and refused (a label that exists, a body too long)."""


def _message(answer: HttpAnswer) -> str | None:
    """The `message` of an error answer, when it is JSON with one."""
    try:
        document = json.loads(answer.text()) if answer.body else None
    except (json.JSONDecodeError, HttpFailure):
        return None
    message = document.get("message") if isinstance(document, dict) else None
    return message if isinstance(message, str) else None


def _refusal(status: int, headers: Message, what: str, permission: str) -> GitHubError:
    if status in (403, 429) and (
        headers.get("x-ratelimit-remaining") == "0" or headers.get("retry-after")
    ):
        return GitHubError(f"GitHub rate-limited the request to {what}; {_when(headers)}")
    if status == 401:
        return GitHubError(
            f"GitHub refused the token to {what} (401): check GITHUB_TOKEN (expired or revoked)"
        )
    if status == 403:
        return _Forbidden(
            f"GitHub forbade the request to {what} (403): the token needs `{permission}` "
            f"(in a workflow: permissions: {permission})"
        )
    if status == 404:
        return _NotFound(
            f"GitHub answered 404 to {what}: check --repo and that the token can see it"
        )
    if status == 422:
        return _Unprocessable(f"GitHub refused to {what} (422)")
    if 300 <= status < 400:
        return GitHubError(
            f"GitHub answered {what} with a redirect ({status}) drift-gate does not follow; "
            "check GITHUB_API_URL and --repo"
        )
    return GitHubError(f"GitHub answered {status} to {what}; run again later")


def _when(headers: Message) -> str:
    retry_after = headers.get("retry-after")
    if retry_after and retry_after.isdigit():
        return f"retry after {retry_after} s"
    reset = headers.get("x-ratelimit-reset")
    if reset and reset.isdigit():
        at = datetime.fromtimestamp(int(reset), tz=timezone.utc)
        return f"the limit resets at {at:%Y-%m-%d %H:%M:%S}Z"
    return "run again in a few minutes"


def _next_page(headers: Message) -> str | None:
    match = _NEXT.search(headers.get("link") or "")
    return match.group(1) if match else None


def _issues(answer: Any) -> Iterator[Issue]:
    if not isinstance(answer, list):
        raise GitHubError("GitHub answered the issue list without a list of issues")
    for item in answer:
        if not isinstance(item, dict) or not isinstance(item.get("number"), int):
            raise GitHubError("GitHub answered the issue list with an entry without a number")
        if "pull_request" in item:
            continue  # the issues endpoint lists pull requests too
        labels = tuple(
            str(label.get("name")) if isinstance(label, dict) else str(label)
            for label in item.get("labels") or ()
        )
        body = item.get("body")
        yield Issue(item["number"], body if isinstance(body, str) else "", labels)


def _number(answer: Any, what: str) -> int:
    if isinstance(answer, dict) and isinstance(answer.get("number"), int):
        return int(answer["number"])
    raise GitHubError(f"GitHub answered the request to {what} without an issue number")


def _comments(answer: Any) -> Iterator[Comment]:
    if not isinstance(answer, list):
        raise GitHubError("GitHub answered the comment list without a list of comments")
    for item in answer:
        if not isinstance(item, dict) or not isinstance(item.get("id"), int):
            raise GitHubError("GitHub answered the comment list with an entry without an id")
        body = item.get("body")
        yield Comment(item["id"], body if isinstance(body, str) else "", _login(item))


def _login(item: dict[str, Any]) -> str:
    """The login of a comment's author; "" when there is none (a deleted account: ghost)."""
    user = item.get("user")
    login = user.get("login") if isinstance(user, dict) else None
    return login if isinstance(login, str) else ""
