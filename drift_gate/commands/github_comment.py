"""`drift-gate github-comment`: one comment per pull request and category, from a JSON report,
updated in place on every run.

The exit code never carries the report's verdict (the check step does): 0 when the comment
says what the report says, or when there is nothing to comment on or no way to (not a pull
request; a fork's pull request with a read-only or no token: said on standard error); 2 for
bad input; 3 when GitHub refused or did not answer otherwise. GITHUB_TOKEN, GITHUB_API_URL
and the run's link are read exactly as `github-issues` reads them.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from drift_gate.commands._console import echo
from drift_gate.commands.github_issues import (
    REPOSITORY,
    actions_run_url,
    api_base,
    github_token,
)
from drift_gate.deadline import Deadline
from drift_gate.errors import ExitCode, InvalidInputError

NOT_A_PULL_REQUEST = "drift-gate: not a pull request: nothing to comment on"
NO_WRITE_ACCESS = (
    "drift-gate: cannot comment on this pull request: the token has no write access (a fork's "
    "pull request?); the report is in the job summary"
)
MISSING_CREDENTIAL = (
    "drift-gate: cannot comment on this pull request: no GITHUB_TOKEN, so no write access (a "
    "fork's pull request?); the report is in the job summary"
)
_NUMBER = re.compile(r"^[1-9][0-9]{0,9}\Z")


@dataclass(frozen=True)
class CommentRequest:
    report_path: Path
    pull_request: str | None = None  # as given: checked here, in one line
    category: str | None = None
    repository: str | None = None  # default GITHUB_REPOSITORY
    run_url: str | None = None  # default this GitHub Actions run
    deadline: float = 120.0


def run(request: CommentRequest) -> int:
    """Create or update the comment; see the module's docstring for the exit codes."""
    from drift_gate.engine.merge import load_report
    from drift_gate.publish.comment import comment_body, comment_marker, publish_comment
    from drift_gate.publish.github_api import GitHubApi, NoWriteAccess

    report = load_report(request.report_path)
    number = pull_request_number(request.pull_request, os.environ)
    if number is None:
        echo(NOT_A_PULL_REQUEST, err=True)
        return int(ExitCode.PASS)
    repository = request.repository or os.environ.get("GITHUB_REPOSITORY", "")
    if not REPOSITORY.match(repository):
        raise InvalidInputError(
            f"the repository {repository!r} is not OWNER/NAME: give --repo or GITHUB_REPOSITORY"
        )
    if not os.environ.get("GITHUB_TOKEN", "").strip():
        echo(MISSING_CREDENTIAL, err=True)
        return int(ExitCode.PASS)
    api = GitHubApi(
        api_base(os.environ),
        repository,
        github_token(os.environ),
        deadline=Deadline(request.deadline),
        permission="pull-requests: write",
    )
    body = comment_body(report, request.category, request.run_url or actions_run_url(os.environ))
    try:
        done = publish_comment(api, number, body, comment_marker(request.category))
    except NoWriteAccess:
        echo(NO_WRITE_ACCESS, err=True)
        return int(ExitCode.PASS)
    echo(f"drift-gate: {done.action} the comment on pull request #{number}", err=True)
    return int(ExitCode.PASS)


def pull_request_number(given: str | None, environ: Mapping[str, str]) -> int | None:
    """--pull-request, else `pull_request.number` of the event GitHub Actions ran for
    (pull_request, pull_request_target), else None: not a pull request."""
    if given is not None:
        if not _NUMBER.match(given.strip()):
            raise InvalidInputError(
                f"--pull-request {given!r} is not a pull request number (1, 2, 3, ...)"
            )
        return int(given)
    path = environ.get("GITHUB_EVENT_PATH")
    if not path:
        return None
    event = _event(Path(path))
    pull_request = event.get("pull_request") if isinstance(event, dict) else None
    number = pull_request.get("number") if isinstance(pull_request, dict) else None
    if isinstance(number, int) and not isinstance(number, bool) and number > 0:
        return number
    return None


def _event(path: Path) -> object:
    """The event payload; a file that cannot be read or is not JSON is exit 2, one line."""
    from drift_gate.input_files import EVENT, read_bytes

    data = read_bytes(path, EVENT, shown=f"GITHUB_EVENT_PATH {path}")
    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise InvalidInputError(f"GITHUB_EVENT_PATH {path}: not a JSON event") from None
