"""`drift-gate github-comment` against a fake of GitHub's REST endpoints on 127.0.0.1."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drift_gate import _moto_compat
from drift_gate.demo import CLUSTER, REGION, SECRET_NAMES, SERVICE, IncidentAccount
from drift_gate.publish import github_api
from drift_gate.publish.comment import COMMENT_LIMIT, comment_marker
from tests.conftest import Cli, MotoServer
from tests.e2e import test_distribution
from tests.e2e.test_distribution import ACTION_INPUTS, run_action
from tests.e2e.test_github_issues import finding, service, write_report
from tests.github_fake import PREFIX, TOKEN, FakeGitHub, Misbehaviour, serve
from tests.unit.test_report import assert_inert, github_shows, hostile_report

pytestmark = pytest.mark.e2e
runner = test_distribution.runner  # the simulated runner's environment, a fixture

PR = 12
RUN = "https://github.example/octo/infra/actions/runs/42"
NOT_A_PR = "drift-gate: not a pull request: nothing to comment on"
NO_ACCESS = "cannot comment on this pull request"


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    with serve(FakeGitHub(pull_requests={PR, 7})) as fake:
        yield fake


@pytest.fixture
def elsewhere() -> Iterator[FakeGitHub]:
    """Another origin (another port on 127.0.0.1): it must never see a request."""
    with serve(FakeGitHub(pull_requests={PR})) as fake:
        yield fake


def comment(
    cli: Cli, github: FakeGitHub, report: Path, *extra: str, **env: str
) -> tuple[int, str, str]:
    environment = {
        "GITHUB_TOKEN": TOKEN,
        "GITHUB_API_URL": github.url,
        "GITHUB_SERVER_URL": "https://github.example",
        "GITHUB_REPOSITORY": "octo/infra",
        "GITHUB_RUN_ID": "42",
        "GITHUB_ACTIONS": "true",  # the token is a workflow's (GET /user refuses it)
        **env,
    }
    result = cli.run("github-comment", "--report", str(report), *extra, extra_env=environment)
    return result.exit_code, result.stdout, result.stderr


def drifting(tmp_path: Path, name: str = "api", file: str = "drift.json") -> Path:
    checked = service(name)
    return write_report(
        tmp_path / file, [(checked, [finding(checked, "DG101", "secret HF_TOKEN is missing")])]
    )


def passing(tmp_path: Path) -> Path:
    return write_report(tmp_path / "pass.json", [(service("api"), [])])


def bodies(github: FakeGitHub, number: int = PR) -> list[str]:
    return [str(c["body"]) for c in github.comments_on(number)]


def test_the_first_run_creates_the_comment_and_later_runs_update_it_in_place(
    cli: Cli, github: FakeGitHub, tmp_path: Path
) -> None:
    report = drifting(tmp_path)
    assert json.loads(report.read_text())["exit_code"] == 1  # drift: not this command's code

    code, _, stderr = comment(cli, github, report, "--pull-request", str(PR))

    assert code == 0, stderr
    (body,) = bodies(github)
    assert body.splitlines()[0] == comment_marker(None)
    assert "❌ drift-gate: DRIFT" in body
    assert "1 error(s)" in body
    assert "DG101" in body
    assert f"Run: {RUN}" in body
    assert f"created the comment on pull request #{PR}" in stderr

    code, _, stderr = comment(cli, github, drifting(tmp_path), "--pull-request", str(PR))
    assert code == 0, stderr
    assert f"updated the comment on pull request #{PR}" in stderr

    # A passing run after the failing one: the same comment now says it passes.
    code, _, stderr = comment(cli, github, passing(tmp_path), "--pull-request", str(PR))
    assert code == 0, stderr
    (body,) = bodies(github)
    assert "✅ drift-gate: PASS" in body
    assert "DG101" not in body
    posts = [path for method, path in github.requests if method == "POST"]
    assert posts == [f"{PREFIX}/repos/octo/infra/issues/{PR}/comments"]


def test_the_comment_is_found_on_any_page_of_the_comments(
    cli: Cli, github: FakeGitHub, tmp_path: Path
) -> None:
    github.comment_page_size = 2
    for index in range(5):
        github.add_pr_comment(PR, f"a review remark {index}", "octocat", "User", "MEMBER")
    existing = github.add_pr_comment(PR, comment_marker(None) + "\nan old report")

    code, _, stderr = comment(cli, github, drifting(tmp_path), "--pull-request", str(PR))

    assert code == 0, stderr
    assert "DG101" in str(github.pr_comments[existing]["body"])
    assert len(github.comments_on(PR)) == 6
    pages = [path for method, path in github.requests if method == "GET" and "/comments" in path]
    assert len(pages) == 3  # found on page 3 of 3
    assert all("per_page=100" in page for page in pages)
    assert ("PATCH", f"{PREFIX}/repos/octo/infra/issues/comments/{existing}") in github.requests


def test_the_comment_pages_are_bounded(
    cli: Cli, github: FakeGitHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(github_api, "MAX_COMMENT_PAGES", 3)
    github.comment_page_size = 1
    for index in range(4):
        github.add_pr_comment(PR, f"a review remark {index}", "octocat", "User", "MEMBER")

    code, _, stderr = comment(cli, github, drifting(tmp_path), "--pull-request", str(PR))

    assert code == 3
    assert f"#{PR} has more than 3 pages of comments" in stderr
    assert github.requests[0] == ("GET", f"{PREFIX}/user")  # whose the token is: refused
    assert [method for method, _ in github.requests[1:]] == ["GET"] * 3
    assert len(github.comments_on(PR)) == 4


def test_each_category_has_its_own_comment(cli: Cli, github: FakeGitHub, tmp_path: Path) -> None:
    report = drifting(tmp_path)
    for category in (None, "drift-gate/staging", "drift-gate/production", "drift-gate/staging"):
        extra = ("--category", category) if category else ()
        code, _, stderr = comment(cli, github, report, "--pull-request", str(PR), *extra)
        assert code == 0, stderr

    markers = sorted(body.splitlines()[0] for body in bodies(github))
    assert markers == sorted(
        comment_marker(c) for c in (None, "drift-gate/staging", "drift-gate/production")
    )
    assert "drift-gate%2Fstaging" in comment_marker("drift-gate/staging")


def test_hostile_names_neither_forge_the_marker_nor_inject_markdown(
    cli: Cli, github: FakeGitHub, tmp_path: Path
) -> None:
    """The hostile report of the Markdown tests (every name from outside is an attack,
    a marker and a comment's end among them), and a hostile category."""
    # A drive-by commenter's copy of the marker: left alone, never taken for drift-gate's.
    forged = github.add_pr_comment(PR, comment_marker(None) + "\nall good!", "mallory", "User")
    report = tmp_path / "hostile.json"
    report.write_text(hostile_report().model_dump_json(), encoding="utf-8")
    category = "x --> <!-- drift-gate:pull-request-comment -->\n--> @octocat"

    for _ in range(2):
        code, _, stderr = comment(
            cli, github, report, "--pull-request", str(PR), "--category", category
        )
        assert code == 0, stderr

    assert github.pr_comments[forged]["body"] == comment_marker(None) + "\nall good!"
    (ours,) = [c for c in github.comments_on(PR) if c["id"] != forged]
    body = str(ours["body"])
    marker = body.splitlines()[0]
    assert marker == comment_marker(category)
    # Rendered as GitHub renders it: the marker is the one HTML comment, the run's link the
    # one link, and nothing from the report is markup.
    links = [attrs for tag, attrs in github_shows(body).tags if tag == "a"]
    assert links == [[("href", RUN)]]
    inner = marker.removeprefix("<!--").removesuffix("-->")
    assert_inert(github_shows(body.replace(RUN, "the run")), comments=(inner,))


def test_a_forks_read_only_token_is_said_and_exit_0(
    cli: Cli, github: FakeGitHub, tmp_path: Path
) -> None:
    github.read_only = True
    code, stdout, stderr = comment(cli, github, drifting(tmp_path), "--pull-request", str(PR))
    assert code == 0
    assert (
        "drift-gate: cannot comment on this pull request: the token has no write access (a "
        "fork's pull request?); the report is in the job summary"
    ) in stderr
    assert github.comments_on(PR) == []
    assert TOKEN not in stdout + stderr


def test_no_token_is_said_and_exit_0(cli: Cli, github: FakeGitHub, tmp_path: Path) -> None:
    code, _, stderr = comment(
        cli, github, drifting(tmp_path), "--pull-request", str(PR), GITHUB_TOKEN=""
    )
    assert code == 0
    assert NO_ACCESS in stderr
    assert "no GITHUB_TOKEN" in stderr
    assert github.requests == []


def write_event(tmp_path: Path, event: Any) -> str:
    path = tmp_path / "event.json"
    path.write_text(json.dumps(event))
    return str(path)


@pytest.mark.parametrize("event_name", ["pull_request", "pull_request_target"])
def test_the_pull_request_comes_from_the_event_file(
    cli: Cli, github: FakeGitHub, tmp_path: Path, event_name: str
) -> None:
    event = write_event(tmp_path, {"action": "synchronize", "pull_request": {"number": 7}})
    code, _, stderr = comment(
        cli, github, drifting(tmp_path), GITHUB_EVENT_PATH=event, GITHUB_EVENT_NAME=event_name
    )
    assert code == 0, stderr
    assert len(bodies(github, 7)) == 1
    assert bodies(github, PR) == []


@pytest.mark.parametrize(
    "event",
    [None, {"ref": "refs/heads/main", "commits": []}, {"pull_request": {"number": "7"}}],
    ids=["no-event", "push", "number-not-a-number"],
)
def test_not_a_pull_request_is_said_and_exit_0(
    cli: Cli, github: FakeGitHub, tmp_path: Path, event: Any
) -> None:
    env = {} if event is None else {"GITHUB_EVENT_PATH": write_event(tmp_path, event)}
    code, stdout, stderr = comment(cli, github, drifting(tmp_path), **env)
    assert (code, stdout, stderr.strip()) == (0, "", NOT_A_PR)
    assert github.requests == []


@pytest.mark.parametrize(
    ("extra", "env", "words"),
    [
        (("--pull-request", "abc"), {}, "--pull-request 'abc' is not a pull request number"),
        (("--pull-request", "0"), {}, "is not a pull request number"),
        (("--pull-request", "-3"), {}, "is not a pull request number"),
        (("--pull-request", "12", "--repo", "not a repo"), {}, "is not OWNER/NAME"),
        (("--pull-request", "12"), {"GITHUB_REPOSITORY": ""}, "is not OWNER/NAME"),
        (("--pull-request", "12"), {"GITHUB_API_URL": "http://github.example"}, "https://"),
        ((), {"GITHUB_EVENT_PATH": "/nonexistent/event.json"}, "cannot read the event"),
    ],
)
def test_bad_input_is_exit_2_in_one_line(
    cli: Cli,
    github: FakeGitHub,
    tmp_path: Path,
    extra: tuple[str, ...],
    env: dict[str, str],
    words: str,
) -> None:
    code, _, stderr = comment(cli, github, drifting(tmp_path), *extra, **env)
    assert code == 2
    assert words in stderr
    assert len(stderr.strip().splitlines()) == 1
    assert github.requests == []


def test_an_unreadable_report_or_event_is_exit_2(
    cli: Cli, github: FakeGitHub, tmp_path: Path
) -> None:
    code, _, stderr = comment(cli, github, tmp_path / "missing.json", "--pull-request", "12")
    assert code == 2
    assert "cannot read report" in stderr
    not_json = tmp_path / "event.json"
    not_json.write_text("{not json")
    code, _, stderr = comment(cli, github, drifting(tmp_path), GITHUB_EVENT_PATH=str(not_json))
    assert (code, len(stderr.strip().splitlines())) == (2, 1)
    assert "not a JSON event" in stderr


def origin(url: str) -> str:
    return url.removesuffix(PREFIX)


@pytest.mark.parametrize(("method", "status"), [("GET", 301), ("GET", 307), ("POST", 307)])
def test_a_redirect_to_another_origin_is_refused_and_the_token_never_sent_there(
    cli: Cli,
    github: FakeGitHub,
    elsewhere: FakeGitHub,
    tmp_path: Path,
    method: str,
    status: int,
) -> None:
    target = f"{elsewhere.url}/repos/octo/infra/issues/{PR}/comments"
    github.intercept = lambda asked, _path: (
        Misbehaviour(status, {"Location": target}) if asked == method else None
    )

    code, stdout, stderr = comment(cli, github, drifting(tmp_path), "--pull-request", str(PR))

    assert code == 3
    assert f"another origin ({origin(elsewhere.url)})" in stderr
    assert "the token was not sent there" in stderr
    assert elsewhere.requests == []
    assert elsewhere.authorizations == []
    assert TOKEN not in stdout + stderr


def test_a_next_page_on_another_origin_is_refused(
    cli: Cli, github: FakeGitHub, elsewhere: FakeGitHub, tmp_path: Path
) -> None:
    foreign = f'<{elsewhere.url}/repos/octo/infra/issues/{PR}/comments?page=2>; rel="next"'
    github.intercept = lambda method, _path: (
        Misbehaviour(200, {"Link": foreign}) if method == "GET" else None
    )
    code, _, stderr = comment(cli, github, drifting(tmp_path), "--pull-request", str(PR))
    assert code == 3
    assert f"another origin ({origin(elsewhere.url)})" in stderr
    assert elsewhere.authorizations == []
    assert github.comments_on(PR) == []


@pytest.mark.parametrize(
    ("refusal", "words"),
    [
        ((500, {}), "GitHub answered 500"),
        ((403, {}), "the token needs `pull-requests: write`"),
        ((404, {}), "GitHub answered 404"),
    ],
)
def test_other_github_failures_are_exit_3(
    cli: Cli,
    github: FakeGitHub,
    tmp_path: Path,
    refusal: tuple[int, dict[str, str]],
    words: str,
) -> None:
    github.refuse = refusal
    code, stdout, stderr = comment(cli, github, drifting(tmp_path), "--pull-request", str(PR))
    assert code == 3
    assert words in stderr
    assert len(stderr.strip().splitlines()) == 1
    assert TOKEN not in stdout + stderr


def test_the_comment_is_cut_below_githubs_limit_at_whole_lines(
    cli: Cli, github: FakeGitHub, tmp_path: Path
) -> None:
    api = service("api")
    many = [
        finding(api, "DG101", f"secret NAME_{index} is missing " + "x" * 300)
        for index in range(600)
    ]
    many = [
        f.model_copy(update={"target": f.target.model_copy(update={"variable": f"NAME_{i}"})})
        for i, f in enumerate(many)
    ]
    report = write_report(tmp_path / "big.json", [(api, many)])

    code, _, stderr = comment(cli, github, report, "--pull-request", str(PR))

    assert code == 0, stderr
    (body,) = bodies(github)
    assert len(body) <= COMMENT_LIMIT
    rows = [line for line in body.splitlines() if line.startswith("| 🔴")]
    assert 100 < len(rows) < 600
    assert all(line.endswith(" |") for line in rows)
    assert f"Left out: {600 - len(rows)} finding(s)" in body
    assert body.rstrip().endswith("names only, never values</sub>")
    assert f"Run: {RUN}" in body


# --- whose comment: only the token's own login's ------------------------------------------


OTHERS = "ignored {} comment(s) carrying drift-gate's marker by other authors"


@pytest.mark.parametrize(
    ("login", "user_type", "association"),
    [
        ("mallory", "User", "MEMBER"),
        ("mallory", "User", "OWNER"),
        ("other-app[bot]", "Bot", "NONE"),
    ],
    ids=["member", "owner", "another-app"],
)
def test_a_marker_by_anyone_else_is_ignored_and_drift_gate_creates_its_own(
    cli: Cli, github: FakeGitHub, tmp_path: Path, login: str, user_type: str, association: str
) -> None:
    """An org member (membership is not write access), even an owner, or any other app (a
    Bot too) posting the marker first: its "PASS" is left alone and never taken for ours."""
    forged_body = comment_marker(None) + "\n## ✅ drift-gate: PASS: all good"
    forged = github.add_pr_comment(PR, forged_body, login, user_type, association)

    code, _, stderr = comment(cli, github, drifting(tmp_path), "--pull-request", str(PR))

    assert code == 0, stderr
    assert github.pr_comments[forged]["body"] == forged_body
    (ours,) = [c for c in github.comments_on(PR) if c["id"] != forged]
    assert ours["user"]["login"] == "github-actions[bot]"
    assert "DG101" in ours["body"]
    assert stderr.count(OTHERS.format(1)) == 1
    assert f"created the comment on pull request #{PR}" in stderr
    assert ("PATCH", f"{PREFIX}/repos/octo/infra/issues/comments/{forged}") not in github.requests


def test_drift_gate_finds_and_updates_its_own_comment_past_others_markers(
    cli: Cli, github: FakeGitHub, tmp_path: Path
) -> None:
    github.add_pr_comment(PR, comment_marker(None) + "\nforged", "mallory", "User", "MEMBER")
    github.add_pr_comment(PR, comment_marker(None) + "\nforged", "renovate[bot]", "Bot")
    ours = github.add_pr_comment(PR, comment_marker(None) + "\nold", "github-actions[bot]")

    code, _, stderr = comment(cli, github, drifting(tmp_path), "--pull-request", str(PR))

    assert code == 0, stderr
    assert "DG101" in github.pr_comments[ours]["body"]
    assert len(github.comments_on(PR)) == 3
    assert stderr.count(OTHERS.format(2)) == 1
    assert f"updated the comment on pull request #{PR}" in stderr


def test_a_users_token_is_known_by_get_user(cli: Cli, github: FakeGitHub, tmp_path: Path) -> None:
    """A personal token (GET /user answers): that login's comment is drift-gate's, even
    outside GitHub Actions; github-actions[bot]'s marker is then someone else's."""
    github.user_login = "octo-ci"
    bots = github.add_pr_comment(PR, comment_marker(None) + "\nold", "github-actions[bot]")
    ours = github.add_pr_comment(PR, comment_marker(None) + "\nold", "octo-ci", "User")

    code, _, stderr = comment(
        cli, github, drifting(tmp_path), "--pull-request", str(PR), GITHUB_ACTIONS=""
    )

    assert code == 0, stderr
    assert "DG101" in github.pr_comments[ours]["body"]
    assert github.pr_comments[bots]["body"].endswith("\nold")
    assert stderr.count(OTHERS.format(1)) == 1


def test_an_apps_token_outside_actions_needs_comment_author(
    cli: Cli, github: FakeGitHub, tmp_path: Path
) -> None:
    github.author_login = "my-app[bot]"
    ours = github.add_pr_comment(PR, comment_marker(None) + "\nold", "my-app[bot]")
    report = drifting(tmp_path)

    code, _, stderr = comment(cli, github, report, "--pull-request", str(PR), GITHUB_ACTIONS="")
    assert code == 2
    assert "give --comment-author LOGIN" in stderr
    assert [method for method, _ in github.requests] == ["GET"]  # GET /user only: no write

    code, _, stderr = comment(
        cli, github, report, "--pull-request", str(PR), "--comment-author", "my-app[bot]"
    )
    assert code == 0, stderr
    assert "DG101" in github.pr_comments[ours]["body"]
    assert len(github.comments_on(PR)) == 1


def test_a_comment_written_as_someone_else_than_expected_is_said(
    cli: Cli, github: FakeGitHub, tmp_path: Path
) -> None:
    """An app's token in GitHub Actions, without --comment-author: the comment it creates is
    not github-actions[bot]'s, and the next run would not find it: the step says what to do."""
    github.author_login = "my-app[bot]"
    code, _, stderr = comment(cli, github, drifting(tmp_path), "--pull-request", str(PR))
    assert code == 0, stderr
    assert "give --comment-author my-app[bot]" in stderr


# --- no report, and a run worse than its report ----------------------------------------------


def test_no_report_rewrites_the_earlier_verdict_as_a_failure(
    cli: Cli, github: FakeGitHub, tmp_path: Path
) -> None:
    code, _, stderr = comment(cli, github, passing(tmp_path), "--pull-request", str(PR))
    assert code == 0, stderr
    assert "✅ drift-gate: PASS" in bodies(github)[0]

    environment = {
        "GITHUB_TOKEN": TOKEN,
        "GITHUB_API_URL": github.url,
        "GITHUB_REPOSITORY": "octo/infra",
        "GITHUB_ACTIONS": "true",
    }
    result = cli.run(
        "github-comment",
        "--no-report",
        "--exit-code",
        "2",
        "--pull-request",
        str(PR),
        extra_env=environment,
    )

    assert result.exit_code == 0, result.stderr
    (body,) = bodies(github)
    assert body.splitlines()[0] == comment_marker(None)
    assert "⛔ drift-gate: FAILED: the gate did not produce a report (exit code 2)" in body
    assert "see the job log" in body
    assert "PASS" not in body


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        (("--no-report",), "--no-report needs --exit-code N"),
        (("--no-report", "--exit-code", "x"), "is not an exit code"),
        (("--no-report", "--exit-code", "256"), "is not an exit code"),
        ((), "give --report FILE, or --no-report"),
        (("--comment-author", "a b"), "is not a GitHub login"),
    ],
)
def test_no_report_and_author_options_are_checked(
    cli: Cli, github: FakeGitHub, extra: tuple[str, ...], words: str
) -> None:
    result = cli.run(
        "github-comment",
        "--pull-request",
        str(PR),
        *extra,
        *(("--no-report", "--exit-code", "2") if "--comment-author" in extra else ()),
        extra_env={"GITHUB_TOKEN": TOKEN, "GITHUB_API_URL": github.url},
    )
    assert result.exit_code == 2
    assert words in result.stderr
    assert github.requests == []


def test_a_run_worse_than_its_report_heads_the_comment_as_a_failure(
    cli: Cli, github: FakeGitHub, tmp_path: Path
) -> None:
    code, _, stderr = comment(
        cli, github, passing(tmp_path), "--pull-request", str(PR), "--exit-code", "2"
    )
    assert code == 0, stderr
    (body,) = bodies(github)
    assert "⛔ drift-gate: FAILED: the run exited 2" in body
    assert "see the job log" in body
    assert not body.splitlines()[1].startswith("## ✅")


# --- the action: a step after the gate, when pr-comment is "true" ---------------------------


@pytest.mark.parametrize("pr_comment", ["true", "false"])
def test_the_action_comments_after_a_failing_gate_only_when_asked(
    runner: dict[str, str],
    moto_server: MotoServer,
    github: FakeGitHub,
    tmp_path: Path,
    pr_comment: str,
) -> None:
    IncidentAccount.create(moto_server.client)
    _moto_compat.settle(CLUSTER, SERVICE, REGION)
    environment = {
        **runner,
        "GITHUB_TOKEN": TOKEN,
        "GITHUB_API_URL": github.url,
        "GITHUB_REPOSITORY": "octo/infra",
        "GITHUB_SERVER_URL": "https://github.example",
        "GITHUB_RUN_ID": "42",
        "GITHUB_EVENT_PATH": write_event(tmp_path, {"pull_request": {"number": PR}}),
    }
    # No json among the formats: the action adds it for the comment step.
    inputs = {
        **ACTION_INPUTS,
        "formats": "sarif",
        "sarif-category": "drift-gate/staging",
        "pr-comment": pr_comment,
    }

    exit_code, context = run_action(inputs, environment, tmp_path)

    assert exit_code == 1  # the gate's verdict: drift
    if pr_comment == "false":
        assert github.requests == []
        return
    assert context["outputs"]["json-report"]
    (body,) = bodies(github)
    assert body.splitlines()[0] == comment_marker("drift-gate/staging")
    assert "DG101" in body
    assert f"Run: {RUN}" in body
    assert f"created the comment on pull request #{PR}" in "".join(context["logs"])


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.text(max_size=40), st.text(max_size=40))
def test_any_category_is_one_marker_line_that_only_it_has(first: str, second: str) -> None:
    marker = comment_marker(first)
    assert "\n" not in marker
    assert "\r" not in marker
    assert marker.count("<!--") == 1
    assert marker.count("-->") == 1
    assert marker.endswith(" -->")
    assert (marker == comment_marker(second)) == ((first or None) == (second or None))


def action_environment(
    runner: dict[str, str], github: FakeGitHub, tmp_path: Path
) -> dict[str, str]:
    return {
        **runner,
        "GITHUB_TOKEN": TOKEN,
        "GITHUB_API_URL": github.url,
        "GITHUB_REPOSITORY": "octo/infra",
        "GITHUB_SERVER_URL": "https://github.example",
        "GITHUB_RUN_ID": "42",
        "GITHUB_EVENT_PATH": write_event(tmp_path, {"pull_request": {"number": PR}}),
    }


@pytest.mark.parametrize(
    "broken",
    [{"policy": "/nonexistent/policy.yaml"}, {"formats": "json pdf"}, {"args": "--no-such-flag"}],
    ids=["policy-missing", "unknown-format", "bad-args"],
)
def test_a_gate_that_writes_no_report_turns_the_old_pass_comment_into_a_failure(
    runner: dict[str, str], github: FakeGitHub, tmp_path: Path, broken: dict[str, str]
) -> None:
    old = github.add_pr_comment(PR, comment_marker(None) + "\n## ✅ drift-gate: PASS")
    inputs = {**ACTION_INPUTS, "sarif-upload": "false", "pr-comment": "true", **broken}

    exit_code, context = run_action(inputs, action_environment(runner, github, tmp_path), tmp_path)

    assert exit_code == 2  # the gate's
    assert context["outputs"]["exit-code"] == "2"
    assert context["outputs"]["json-report"] == ""
    (body,) = bodies(github)
    assert github.comments_on(PR)[0]["id"] == old
    assert "⛔ drift-gate: FAILED: the gate did not produce a report (exit code 2)" in body
    assert "PASS" not in body
    assert f"updated the comment on pull request #{PR}" in "".join(context["logs"])


def test_a_report_file_not_written_makes_the_outputs_and_the_comment_a_failure(
    runner: dict[str, str], moto_server: MotoServer, github: FakeGitHub, tmp_path: Path
) -> None:
    """The report passes but the HTML file cannot be written (a directory is in the way):
    the run exits 2, and neither the outputs nor the comment say pass."""
    account = IncidentAccount.create(moto_server.client)
    _moto_compat.settle(CLUSTER, SERVICE, REGION)
    account.redeploy(account.register_revision(list(SECRET_NAMES)))
    (tmp_path / "runner-temp" / "drift-gate" / "drift-gate.html").mkdir(parents=True)
    inputs = {
        **ACTION_INPUTS,
        "sarif-upload": "false",
        "formats": "json html",
        "pr-comment": "true",
    }

    exit_code, context = run_action(inputs, action_environment(runner, github, tmp_path), tmp_path)

    assert exit_code == 2
    outputs = context["outputs"]
    assert (outputs["verdict"], outputs["exit-code"]) == ("invalid-input", "2")
    assert outputs["html-report"] == ""  # never written
    assert json.loads(Path(outputs["json-report"]).read_text())["verdict"] == "pass"
    (body,) = bodies(github)
    assert "⛔ drift-gate: FAILED: the run exited 2" in body


@pytest.mark.parametrize(
    "inputs",
    [{"args": "--sarif-category api"}, {"args": "--sarif-category=api"}, {"sarif-category": "api"}],
    ids=["args", "args-equals", "input"],
)
def test_the_comments_category_is_the_one_the_report_was_written_with(
    runner: dict[str, str],
    moto_server: MotoServer,
    github: FakeGitHub,
    tmp_path: Path,
    inputs: dict[str, str],
) -> None:
    IncidentAccount.create(moto_server.client)
    _moto_compat.settle(CLUSTER, SERVICE, REGION)
    given = {**ACTION_INPUTS, "pr-comment": "true", "sarif-category": "ignored", **inputs}

    exit_code, context = run_action(given, action_environment(runner, github, tmp_path), tmp_path)

    assert exit_code == 1, context["logs"]
    sarif = json.loads(Path(context["outputs"]["sarif-report"]).read_text())
    assert sarif["runs"][0]["automationDetails"]["id"] == "api/"
    (body,) = bodies(github)
    assert body.splitlines()[0] == comment_marker("api")
