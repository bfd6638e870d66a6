"""`drift-gate github-issues` against a fake of GitHub's REST endpoints on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from drift_gate.checks.findings import ServiceContext
from drift_gate.engine.outcome import ServiceResult, build_report
from drift_gate.model import CheckedService, FailOn, Finding, Target
from drift_gate.publish.issues import BODY_LIMIT, RUN_MARKER
from drift_gate.rules import RuleId
from tests.conftest import Cli
from tests.github_fake import PREFIX, TOKEN, FakeGitHub, Misbehaviour, serve

pytestmark = pytest.mark.e2e

NOW = datetime(2026, 11, 29, 4, 17, tzinfo=timezone.utc)


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    with serve(FakeGitHub()) as fake:
        yield fake


def service(name: str, environment: str = "production", *, verified: bool = True) -> CheckedService:
    return CheckedService(
        environment=environment,
        account="123456789012",
        region="us-east-1",
        cluster="prod",
        service=name,
        verified=verified,
        deployed_task_definition=f"arn:aws:ecs:us-east-1:123456789012:task-definition/{name}:3",
    )


def finding(checked: CheckedService, rule_id: RuleId, message: str) -> Finding:
    target = Target(
        environment=checked.environment,
        account=checked.account,
        region=checked.region,
        cluster=checked.cluster,
        service=checked.service,
    )
    return ServiceContext(target).finding(rule_id, message, container="api", variable="HF_TOKEN")


def write_report(
    path: Path, results: Sequence[tuple[CheckedService | None, list[Finding]]]
) -> Path:
    report = build_report(
        [ServiceResult(checked, tuple(found)) for checked, found in results],
        FailOn.ERROR,
        NOW,
        NOW,
        "drift-gate.yaml",
        {},
    )
    path.write_text(report.model_dump_json(indent=2), encoding="utf-8")
    return path


def sync(
    cli: Cli, github: FakeGitHub, report: Path, *extra: str, token: str = TOKEN
) -> tuple[int, str, str]:
    result = cli.run(
        "github-issues",
        "--report",
        str(report),
        "--repo",
        "octo/infra",
        *extra,
        extra_env={
            "GITHUB_TOKEN": token,
            "GITHUB_API_URL": github.url,
            "GITHUB_SERVER_URL": "https://github.example",
            "GITHUB_REPOSITORY": "octo/infra",
            "GITHUB_RUN_ID": "42",
        },
    )
    return result.exit_code, result.stdout, result.stderr


def marked(github: FakeGitHub, name: str) -> list[dict[str, Any]]:
    return [issue for issue in github.issues.values() if f"/prod/{name} -->" in str(issue["body"])]


def test_one_issue_per_drifting_service_updated_while_it_lasts_and_closed_when_it_passes(
    cli: Cli, github: FakeGitHub, tmp_path: Path
) -> None:
    api, worker, web = service("api"), service("worker", "staging"), service("web")
    drifting = write_report(
        tmp_path / "night1.json",
        [
            (api, [finding(api, "DG101", "secret HF_TOKEN is missing")]),
            (worker, [finding(worker, "DG301", "the secret does not exist")]),
            (web, []),
        ],
    )
    unrelated = github.add_issue(
        "<!-- drift-gate:service production/123456789012/us-east-1/prod/retired -->"
    )

    code, stdout, stderr = sync(cli, github, drifting)

    assert code == 0, stderr
    (api_issue,) = marked(github, "api")
    (worker_issue,) = marked(github, "worker")
    assert marked(github, "web") == []
    assert {label["name"] for label in api_issue["labels"]} == {"drift-gate", "env:production"}
    assert {label["name"] for label in worker_issue["labels"]} == {"drift-gate", "env:staging"}
    assert "DG101" in str(api_issue["body"])
    assert "https://github.example/octo/infra/actions/runs/42" in str(api_issue["body"])
    assert "opened #" in stdout

    # Night 2: the same drift. No new issue; a comment says it lasts.
    code, _, _ = sync(cli, github, drifting)
    assert code == 0
    assert len(marked(github, "api")) == 1
    assert github.comments[api_issue["number"]] == [
        "Still drifting (1 error(s)): https://github.example/octo/infra/actions/runs/42"
    ]

    # Night 3: api passes, worker is not in the report: api's issue closes, worker's stays.
    fixed = write_report(tmp_path / "night3.json", [(api, []), (web, [])])
    code, stdout, _ = sync(cli, github, fixed)
    assert code == 0
    assert github.issues[api_issue["number"]]["state"] == "closed"
    assert github.issues[api_issue["number"]]["state_reason"] == "completed"
    assert github.issues[worker_issue["number"]]["state"] == "open"
    assert github.issues[unrelated]["state"] == "open"
    assert unrelated not in github.comments
    assert "closed #" in stdout


def test_existing_issues_are_found_on_any_page_and_pull_requests_are_skipped(
    cli: Cli, github: FakeGitHub, tmp_path: Path
) -> None:
    github.page_size = 2
    for index in range(5):
        github.add_issue(f"an unrelated issue {index}")
    github.add_issue("a pull request", pull_request={"url": "x"})
    api = service("api")
    existing = github.add_issue(
        "<!-- drift-gate:service production/123456789012/us-east-1/prod/api -->"
    )
    report = write_report(tmp_path / "r.json", [(api, [finding(api, "DG101", "missing")])])

    code, _, stderr = sync(cli, github, report)

    assert code == 0, stderr
    assert len(marked(github, "api")) == 1  # found on page 4, never duplicated
    assert existing in github.comments
    pages = [path for method, path in github.requests if method == "GET"]
    assert len(pages) >= 4
    assert all("per_page=100" in page for page in pages)


def test_an_issue_opened_by_a_concurrent_run_is_found_by_the_re_read_before_create(
    cli: Cli, github: FakeGitHub, tmp_path: Path
) -> None:
    def concurrent_run(fake: FakeGitHub, count: int) -> None:
        if count == 2:  # after drift-gate's first read, before it creates
            fake.add_issue("<!-- drift-gate:service production/123456789012/us-east-1/prod/api -->")

    github.on_list = concurrent_run
    api = service("api")
    report = write_report(tmp_path / "r.json", [(api, [finding(api, "DG101", "missing")])])

    code, stdout, stderr = sync(cli, github, report)

    assert code == 0, stderr
    assert len(marked(github, "api")) == 1
    assert ("POST", "/api/v3/repos/octo/infra/issues") not in github.requests
    assert "updated #" in stdout


def test_a_failed_run_is_one_issue_for_the_run_closed_when_a_run_verifies(
    cli: Cli, github: FakeGitHub, tmp_path: Path
) -> None:
    failed = ServiceContext(Target(environment="terraform")).finding("DG902", "the plan errored")
    report = write_report(tmp_path / "failed.json", [(None, [failed])])

    code, _, stderr = sync(cli, github, report)

    assert code == 0, stderr
    (issue,) = github.issues.values()
    assert str(issue["body"]).startswith(RUN_MARKER)
    assert "the plan errored" in str(issue["body"])

    unverified_service = service("api", verified=False)
    unverified = write_report(
        tmp_path / "unverified.json",
        [
            (
                unverified_service,
                [finding(unverified_service, "DG901", "could not verify: throttled")],
            )
        ],
    )
    sync(cli, github, unverified)
    assert len(github.issues) == 1  # still the run's issue; no issue for an unverified service

    clean = write_report(tmp_path / "clean.json", [(service("api"), [])])
    sync(cli, github, clean)
    assert issue["state"] == "closed"


def test_the_body_respects_githubs_size_limit(cli: Cli, github: FakeGitHub, tmp_path: Path) -> None:
    api = service("api")
    many = [
        finding(api, "DG101", f"secret NAME_{index} is missing " + "x" * 300)
        for index in range(400)
    ]
    many = [
        f.model_copy(update={"target": f.target.model_copy(update={"variable": f"NAME_{i}"})})
        for i, f in enumerate(many)
    ]
    report = write_report(tmp_path / "r.json", [(api, many)])

    code, _, stderr = sync(cli, github, report)

    assert code == 0, stderr
    (issue,) = marked(github, "api")
    assert len(str(issue["body"])) <= BODY_LIMIT
    assert str(issue["body"]).rstrip().endswith("the full report is in the run's artifacts)_")


@pytest.mark.parametrize(
    ("status", "headers", "words"),
    [
        (403, {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1800000000"}, "rate-limited"),
        (429, {"retry-after": "60"}, "retry after 60 s"),
        (403, {}, "the token needs `issues: write`"),
        (404, {}, "check --repo"),
    ],
)
def test_github_refusing_is_exit_3_and_the_token_is_never_printed(
    cli: Cli, github: FakeGitHub, tmp_path: Path, status: int, headers: dict[str, str], words: str
) -> None:
    github.refuse = (status, headers)
    api = service("api")
    report = write_report(tmp_path / "r.json", [(api, [finding(api, "DG101", "missing")])])

    code, stdout, stderr = sync(cli, github, report)

    assert code == 3
    assert words in stderr
    assert "internal error" not in stderr
    assert TOKEN not in stdout + stderr


def test_a_wrong_token_is_exit_3_naming_the_variable(
    cli: Cli, github: FakeGitHub, tmp_path: Path
) -> None:
    report = write_report(tmp_path / "r.json", [(service("api"), [])])
    code, stdout, stderr = sync(cli, github, report, token="ghs_wrong_token_value_zzz")
    assert code == 3
    assert "check GITHUB_TOKEN" in stderr
    assert "ghs_wrong_token_value_zzz" not in stdout + stderr


def test_bad_input_is_exit_2(cli: Cli, github: FakeGitHub, tmp_path: Path) -> None:
    report = write_report(tmp_path / "r.json", [(service("api"), [])])
    assert sync(cli, github, report, token="")[0] == 2
    code, _, stderr = sync(cli, github, report, "--repo", "not a repo")
    assert (code, "is not OWNER/NAME" in stderr) == (2, True)
    not_a_report = tmp_path / "x.json"
    not_a_report.write_text("{}")
    code, _, stderr = sync(cli, github, not_a_report)
    assert (code, "not a drift-gate report" in stderr) == (2, True)
    result = cli.run(
        "github-issues",
        "--report",
        str(report),
        "--repo",
        "octo/infra",
        extra_env={"GITHUB_TOKEN": TOKEN, "GITHUB_API_URL": "http://github.example/api/v3"},
    )
    assert result.exit_code == 2
    assert "must be https://" in result.stderr
    assert github.requests == []


# --- issue 22: the token goes only to GITHUB_API_URL's origin; every request is bounded ------


@pytest.fixture
def elsewhere() -> Iterator[FakeGitHub]:
    """Another origin (another port on 127.0.0.1): it must never see a request."""
    with serve(FakeGitHub()) as fake:
        yield fake


def drifting_report(tmp_path: Path) -> Path:
    api = service("api")
    return write_report(tmp_path / "r.json", [(api, [finding(api, "DG101", "missing")])])


def origin(url: str) -> str:
    return url.removesuffix(PREFIX)


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_a_redirect_to_another_origin_is_refused_and_the_token_stays(
    cli: Cli, github: FakeGitHub, elsewhere: FakeGitHub, tmp_path: Path, status: int
) -> None:
    target = f"{elsewhere.url}/repos/octo/infra/issues?state=open&labels=drift-gate"
    github.intercept = lambda method, _path: (
        Misbehaviour(status, {"Location": target}) if method == "GET" else None
    )

    code, stdout, stderr = sync(cli, github, drifting_report(tmp_path))

    assert code == 3
    assert f"another origin ({origin(elsewhere.url)})" in stderr
    assert "the token was not sent there" in stderr
    assert elsewhere.requests == []
    assert TOKEN not in stdout + stderr
    assert "internal error" not in stderr


def test_a_next_page_on_another_origin_is_refused(
    cli: Cli, github: FakeGitHub, elsewhere: FakeGitHub, tmp_path: Path
) -> None:
    foreign = f'<{elsewhere.url}/repos/octo/infra/issues?page=2>; rel="next"'
    github.intercept = lambda method, _path: (
        Misbehaviour(200, {"Link": foreign}) if method == "GET" else None
    )

    code, stdout, stderr = sync(cli, github, drifting_report(tmp_path))

    assert code == 3
    assert f"another origin ({origin(elsewhere.url)})" in stderr
    assert elsewhere.requests == []
    assert TOKEN not in stdout + stderr


def test_a_redirect_within_the_api_is_followed(
    cli: Cli, github: FakeGitHub, tmp_path: Path
) -> None:
    """GitHub redirects a renamed repository's calls within its API: followed, token kept."""
    moved = "/api/v3/repos/octo/old-name/"

    def renamed(method: str, path: str) -> Misbehaviour | None:
        if path.startswith(moved):
            new = github.url + path.removeprefix(PREFIX).replace("old-name", "infra")
            return Misbehaviour(307, {"Location": new})
        return None

    github.intercept = renamed
    report = drifting_report(tmp_path)
    result = cli.run(
        "github-issues",
        "--report",
        str(report),
        "--repo",
        "octo/old-name",
        extra_env={"GITHUB_TOKEN": TOKEN, "GITHUB_API_URL": github.url},
    )
    assert result.exit_code == 0, result.stderr
    assert len(marked(github, "api")) == 1


@pytest.mark.parametrize(
    ("misbehaviour", "words"),
    [
        (Misbehaviour(502, body=b"<html>bad gateway</html>"), "GitHub answered 502"),
        (Misbehaviour(503), "GitHub answered 503"),
        (
            Misbehaviour(200, {"Content-Type": "text/html"}, b"<html>sign in</html>"),
            "with text/html, not JSON",
        ),
        (
            Misbehaviour(429, {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1800000000"}),
            "the limit resets at 2027-01-15 08:00:00Z",
        ),
        (Misbehaviour(200, drip=True), "the run's deadline (--deadline) passed"),
    ],
    ids=["502", "503", "html", "rate-limit-reset", "drip"],
)
def test_a_misbehaving_github_is_exit_3_in_one_line(
    cli: Cli,
    github: FakeGitHub,
    tmp_path: Path,
    misbehaviour: Misbehaviour,
    words: str,
) -> None:
    github.intercept = lambda _method, _path: misbehaviour
    code, stdout, stderr = sync(cli, github, drifting_report(tmp_path), "--deadline", "1")
    assert code == 3
    assert words in stderr
    assert len(stderr.strip().splitlines()) == 1
    assert TOKEN not in stdout + stderr
    assert "internal error" not in stderr


SECRET_PASSWORD = "hunter2-canary-password"


@pytest.mark.parametrize(
    ("api_url", "words"),
    [
        (f"https://octo:{SECRET_PASSWORD}@github.example/api/v3", "user name or password"),
        ("ftp://github.example/api/v3", "is not an http:// or https:// URL"),
        ("https://github.example:99999/api/v3", "is not a URL"),
        ("https://github.example/api/v3?token=x", "has a query or fragment"),
        ("https:///api/v3", "has no host"),
        ("http://127.evil.example/api/v3", "must be https://"),
        ("https://github.example/api v3", "holds spaces"),
    ],
)
def test_an_unusable_github_api_url_is_exit_2_in_one_line(
    cli: Cli, tmp_path: Path, api_url: str, words: str
) -> None:
    result = cli.run(
        "github-issues",
        "--report",
        str(drifting_report(tmp_path)),
        "--repo",
        "octo/infra",
        extra_env={"GITHUB_TOKEN": TOKEN, "GITHUB_API_URL": api_url},
    )
    assert result.exit_code == 2
    assert words in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert SECRET_PASSWORD not in result.stdout + result.stderr


def test_a_token_with_a_newline_is_exit_2_and_debug_never_prints_it(
    cli: Cli, github: FakeGitHub, tmp_path: Path
) -> None:
    token = TOKEN + "\nX-Injected: 1"
    code, stdout, stderr = sync(cli, github, drifting_report(tmp_path), token=token)
    assert code == 2
    assert "GITHUB_TOKEN holds a line break" in stderr
    result = cli.run(
        "--debug",
        "github-issues",
        "--report",
        str(drifting_report(tmp_path)),
        "--repo",
        "octo/infra",
        extra_env={"GITHUB_TOKEN": token, "GITHUB_API_URL": github.url},
    )
    assert result.exit_code == 2
    assert TOKEN not in stdout + stderr + result.stdout + result.stderr
    assert github.requests == []
