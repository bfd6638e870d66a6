"""`drift-gate github-comment`: one comment per pull request and category, from a JSON report,
updated in place on every run.

The exit code never carries the report's verdict (the check step does): 0 when the comment
says what the report says, or when there is nothing to comment on or no way to (not a pull
request; a fork's pull request with a read-only or no token: said on standard error); 2 for
bad input; 3 when GitHub refused or did not answer otherwise. GITHUB_TOKEN, GITHUB_API_URL
and the run's link are read exactly as `github-issues` reads them.

drift-gate's comment is the one with the marker written by the token's own login: GET /user
when GitHub answers it (a user's token), else `--comment-author`, else, in GitHub Actions,
github-actions[bot] (a workflow's GITHUB_TOKEN, which GET /user refuses). A marker in anyone
else's comment is ignored and counted on standard error. `--no-report --exit-code N` says the
gate failed before writing a report, so an earlier run's verdict does not stand.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from drift_gate.commands._console import echo
from drift_gate.commands.comment_request import CommentRequest
from drift_gate.commands.github_issues import (
    REPOSITORY,
    actions_run_url,
    api_base,
    github_token,
)
from drift_gate.deadline import Deadline
from drift_gate.errors import ExitCode, InvalidInputError

__all__ = ["CommentRequest", "pull_request_number", "run"]

if TYPE_CHECKING:
    from drift_gate.publish.github_api import GitHubApi

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
_EXIT_CODE = re.compile(r"^[0-9]{1,3}\Z")
# A login: letters, digits, single hyphens; an app's bot account ends in [bot].
_LOGIN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(?:\[bot\])?\Z")


def _inputs(request: CommentRequest) -> int | None:
    """Refuse --report with --no-report (or neither), an --exit-code that is not one and a
    --comment-author that is not a login; the gate's exit code, if given."""
    if request.no_report == (request.report_path is not None):
        raise InvalidInputError("give --report FILE, or --no-report when the gate wrote none")
    exit_code = None
    if request.exit_code is None:
        if request.no_report:
            raise InvalidInputError("--no-report needs --exit-code N, the gate's exit code")
    elif not _EXIT_CODE.match(request.exit_code.strip()) or int(request.exit_code) > 255:
        raise InvalidInputError(f"--exit-code {request.exit_code!r} is not an exit code (0-255)")
    else:
        exit_code = int(request.exit_code)
    if request.comment_author is not None and not _LOGIN.match(request.comment_author):
        raise InvalidInputError(
            f"--comment-author {request.comment_author!r} is not a GitHub login "
            "(such as octocat or my-app[bot])"
        )
    return exit_code


def run(request: CommentRequest) -> int:
    """Create or update the comment; see the module's docstring for the exit codes."""
    from drift_gate.engine.merge import load_report
    from drift_gate.publish.comment import comment_body, no_report_body
    from drift_gate.publish.github_api import GitHubApi

    exit_code = _inputs(request)
    report = load_report(request.report_path) if request.report_path is not None else None
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
    run_url = request.run_url or actions_run_url(os.environ)
    if report is None:
        body = no_report_body(request.category, run_url, exit_code or 0)
    else:
        body = comment_body(report, request.category, run_url, exit_code=exit_code)
    return _publish(api, number, body, request)


def _publish(api: GitHubApi, number: int, body: str, request: CommentRequest) -> int:
    """Write the comment as the token's own login; say what was done, and what was not."""
    from drift_gate.publish.comment import comment_marker, publish_comment
    from drift_gate.publish.github_api import NoWriteAccess

    author = _author(api, request.comment_author)
    try:
        done = publish_comment(api, number, body, comment_marker(request.category), author)
    except NoWriteAccess:
        echo(NO_WRITE_ACCESS, err=True)
        return int(ExitCode.PASS)
    if done.ignored:
        echo(
            f"drift-gate: ignored {done.ignored} comment(s) carrying drift-gate's marker by "
            f"other authors (drift-gate's are {author}'s)",
            err=True,
        )
    echo(f"drift-gate: {done.action} the comment on pull request #{number}", err=True)
    if done.author and done.author.casefold() != author.casefold():
        echo(
            f"drift-gate: the comment was written by {done.author}, not {author}: the next run "
            f"will not find it; give --comment-author {done.author}",
            err=True,
        )
    return int(ExitCode.PASS)


def _author(api: GitHubApi, given: str | None) -> str:
    """The login whose comments are drift-gate's: --comment-author, else GET /user, else
    (GitHub Actions) github-actions[bot]; none of them is exit 2, before any write."""
    from drift_gate.publish.github_api import ACTIONS_LOGIN

    if given:
        return given
    login = api.token_login()
    if login:
        return login
    if os.environ.get("GITHUB_ACTIONS") == "true":
        return ACTIONS_LOGIN
    raise InvalidInputError(
        "cannot tell which comments are drift-gate's: GitHub does not say whose this token "
        "is (GET /user refused: an app's installation token?); give --comment-author LOGIN, "
        "the login it comments as (such as my-app[bot])"
    )


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
