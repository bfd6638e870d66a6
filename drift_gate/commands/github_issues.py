"""`drift-gate github-issues`: keep one GitHub issue per drifting service, from a JSON report.

How GITHUB_TOKEN, GITHUB_API_URL and the run's link are read and checked is here once;
`github-comment` reads them through the same functions.
"""

from __future__ import annotations

import os
import re
import urllib.parse
from collections.abc import Mapping
from pathlib import Path

from drift_gate.commands._console import echo
from drift_gate.deadline import Deadline
from drift_gate.errors import ExitCode, InvalidInputError
from drift_gate.http_client import header_value_problem, is_loopback, url_problem
from drift_gate.scrub import remember_secret

# GitHub: owner 1-39 of [A-Za-z0-9-]; repository name of [A-Za-z0-9._-].
REPOSITORY = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}\Z")
DEFAULT_API = "https://api.github.com"


def run(
    report_path: Path,
    repository: str,
    label: str,
    run_url: str | None,
    deadline: float | None = None,
) -> int:
    """Sync the issues with the report; 0 when they match it, 3 when GitHub could not be
    brought in step (the scan's findings are the report's exit code, not this one's).
    `deadline` bounds the whole sync in seconds (each request has 30 s of it at most)."""
    from drift_gate.engine.merge import load_report
    from drift_gate.publish.github_api import GitHubApi
    from drift_gate.publish.issues import IssueSettings, sync_issues

    if not REPOSITORY.match(repository):
        raise InvalidInputError(f"--repo {repository!r} is not OWNER/NAME, such as octo/infra")
    token = github_token(os.environ)
    base = api_base(os.environ)
    report = load_report(report_path)
    api = GitHubApi(base, repository, token, deadline=Deadline(deadline) if deadline else None)
    sync_issues(report, api, IssueSettings(label, run_url or actions_run_url(os.environ)), echo)
    return int(ExitCode.PASS)


def github_token(environ: Mapping[str, str]) -> str:
    token = environ.get("GITHUB_TOKEN", "")
    remember_secret(token)
    if not token.strip():
        raise InvalidInputError(
            "GITHUB_TOKEN is not set: give the token in the environment (in a workflow: "
            "env: GITHUB_TOKEN: ${{ github.token }}, with permissions: issues: write)"
        )
    problem = header_value_problem(token)
    if problem is not None or token != token.strip():
        raise InvalidInputError(
            f"GITHUB_TOKEN {problem or 'begins or ends with spaces'}: it cannot be sent in "
            "a header; set it to the token alone (its value is never printed)"
        )
    return token


def api_base(environ: Mapping[str, str]) -> str:
    """GITHUB_API_URL, refused in one line (never quoted: it may hold a password) unless it
    is a plain https:// URL (http:// only to this machine)."""
    base = environ.get("GITHUB_API_URL") or DEFAULT_API
    problem = url_problem(base)
    parts = urllib.parse.urlsplit(base) if problem is None else None
    if parts is not None and (parts.query or parts.fragment):
        problem = "has a query or fragment"
    if problem is not None:
        raise InvalidInputError(
            f"GITHUB_API_URL {problem}: give the API's base URL alone (GitHub sets it in "
            "workflows; for GitHub Enterprise Server: https://HOST/api/v3)"
        )
    if parts is not None and parts.scheme == "http" and not is_loopback(parts.hostname or ""):
        raise InvalidInputError(
            "GITHUB_API_URL must be https:// (plain http only to this machine): the token "
            "would travel in clear text"
        )
    return base


def actions_run_url(environ: Mapping[str, str]) -> str | None:
    """The workflow run's page, from the variables GitHub Actions sets."""
    server, repository, run_id = (
        environ.get("GITHUB_SERVER_URL"),
        environ.get("GITHUB_REPOSITORY"),
        environ.get("GITHUB_RUN_ID"),
    )
    if server and repository and run_id:
        return f"{server}/{repository}/actions/runs/{run_id}"
    return None
