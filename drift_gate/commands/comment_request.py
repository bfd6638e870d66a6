"""What `drift-gate github-comment` was given: its own module, so that the command line builds
it without importing the GitHub client (http.client, email: about 18 ms on every command)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class CommentRequest:
    report_path: Path | None
    pull_request: str | None = None  # as given: checked here, in one line
    category: str | None = None
    repository: str | None = None  # default GITHUB_REPOSITORY
    run_url: str | None = None  # default this GitHub Actions run
    deadline: float = 120.0
    no_report: bool = False  # the gate failed before writing one
    exit_code: str | None = None  # the gate's final exit code, as given
    comment_author: str | None = None  # the login the token comments as
