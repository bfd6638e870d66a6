"""`drift-gate on-event --event EVENT.json` and the Lambda's event path: an ECS event from
EventBridge -> `check` of its service (drift_gate/engine/on_event.py), then, when configured,
the service's GitHub issue kept in step as `github-issues` keeps it and the metrics put as
`check --publish-metrics` puts them. One JSON result on standard output (the Lambda: one log
line). Exit 0 pass, ignored or skipped; 1 drift; 2 bad input; 3 could not verify (the
re-check, or the issue or metrics that could not be published).

The Lambda is configured by its environment (fixed names: docs/deploy-hook.md):
DRIFT_GATE_GITHUB_REPOSITORY (OWNER/NAME), DRIFT_GATE_GITHUB_TOKEN_SECRET (the ARN of the
secret holding drift-gate's own GitHub token), DRIFT_GATE_METRICS_NAMESPACE (optional).
Locally the token is GITHUB_TOKEN, as `github-issues` reads it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from drift_gate.errors import ExitCode, InvalidInputError
from drift_gate.policy_location import PolicyLocation, PolicyObject, policy_location

if TYPE_CHECKING:
    from drift_gate.deadline import Deadline
    from drift_gate.engine.on_event import EventAnswer, SeenEvents
    from drift_gate.model import Report

POLICY_VARIABLE = "DRIFT_GATE_POLICY"  # as the function reads it (drift_gate/aws_lambda.py)
REPOSITORY_VARIABLE = "DRIFT_GATE_GITHUB_REPOSITORY"
TOKEN_SECRET_VARIABLE = "DRIFT_GATE_GITHUB_TOKEN_SECRET"  # noqa: S105 - a variable's name
METRICS_VARIABLE = "DRIFT_GATE_METRICS_NAMESPACE"
LABEL = "drift-gate"  # the label `github-issues` uses by default: the same issues
GITHUB_SECONDS = 120.0  # the whole of the issue's sync, at most
# The event path has no --deadline: the issue's sync ends at 120 s or the function's timeout.
GITHUB_DEADLINE_FIX = (
    "the service's next event publishes again (on-event: run again); if it recurs, raise the "
    "function's timeout or check GitHub's health"
)


@dataclass(frozen=True)
class OnEventArguments:
    """What `drift-gate on-event` was given, as click parsed it."""

    event: Path
    policy_path: PolicyLocation | None = None  # a file or s3://BUCKET/KEY
    repository: str | None = None
    metrics_namespace: str | None = None


@dataclass(frozen=True)
class Publishing:
    """Where a re-check's result goes beyond its line: the GitHub repository (with how the
    token is found, read only when an issue is to be kept) and the metrics' namespace."""

    repository: str | None = None
    token: Callable[[], str] | None = None
    metrics_namespace: str | None = None
    timeout: float = 10.0  # each AWS call's (the token, the metrics), as the re-check's


def run(given: OnEventArguments) -> int:
    """Re-check the saved event's service as the function would; its exit code."""
    from drift_gate.commands._console import echo
    from drift_gate.commands._policy_path import required_policy
    from drift_gate.engine.on_event import SeenEvents, answer_event, refused

    named = os.environ.get(POLICY_VARIABLE)
    try:
        event = _read_event(given.event)
        publishing = _publishing(given.repository, given.metrics_namespace)
        chosen = given.policy_path or (policy_location(named) if named else None)
        policy = (
            chosen
            if isinstance(chosen, PolicyObject)
            else required_policy(chosen, f"give --policy FILE or set {POLICY_VARIABLE}")
        )
    except InvalidInputError as error:
        answer = refused(str(error))
    else:
        answer = published(answer_event(event, policy, SeenEvents()), publishing, None)
    echo(json.dumps(answer.result, sort_keys=True))
    return int(answer.exit_code)


def _publishing(repository: str | None, namespace: str | None) -> Publishing:
    """Locally: the token from GITHUB_TOKEN, read (and refused) before any call; without
    --github-repository, the function's own environment (its repository, its token's
    secret, its namespace) as the function reads it, so a role can be tried before deploying."""
    from dataclasses import replace

    from drift_gate.commands.github_issues import github_token

    if repository is None and os.environ.get(REPOSITORY_VARIABLE):
        configured = lambda_publishing(os.environ)
        return replace(configured, metrics_namespace=namespace or configured.metrics_namespace)
    if repository is None:
        return Publishing(None, None, namespace)
    _check_repository(repository, "--github-repository")
    token = github_token(os.environ)
    return Publishing(repository, lambda: token, namespace)


def answer_lambda_event(
    event: object, policy: PolicyLocation, seen: SeenEvents, deadline: Deadline | None
) -> dict[str, Any]:
    """The Lambda's event path: the result, logged as one JSON line by the caller."""
    from drift_gate.engine.on_event import answer_event, refused

    try:
        configured = lambda_publishing(os.environ)
    except InvalidInputError as error:
        return refused(str(error)).result
    answer = published(answer_event(event, policy, seen, deadline=deadline), configured, deadline)
    if answer.judged and answer.event is not None:
        seen.remember(answer.event)  # verified and published: a duplicate needs nothing more
    return answer.result


def lambda_publishing(environ: Mapping[str, str], timeout: float = 10.0) -> Publishing:
    """The function's configuration (exit 2 for a malformed one, before any call)."""
    from drift_gate.sources.github_token_secret import token_secret_region

    repository = environ.get(REPOSITORY_VARIABLE) or None
    secret = environ.get(TOKEN_SECRET_VARIABLE) or None
    namespace = environ.get(METRICS_VARIABLE) or None
    if namespace is not None:
        _check_namespace(namespace)
    if repository is None:
        return Publishing(None, None, namespace, timeout)
    _check_repository(repository, REPOSITORY_VARIABLE)
    if secret is None:
        raise InvalidInputError(
            f"{REPOSITORY_VARIABLE} is set but {TOKEN_SECRET_VARIABLE} is not: set it to the "
            "ARN of the secret holding drift-gate's GitHub token"
        )
    region = token_secret_region(secret)
    token = lambda: _token_from_secret(secret, region, timeout)  # noqa: E731 - read when needed
    return Publishing(repository, token, namespace, timeout)


def _token_from_secret(arn: str, region: str, timeout: float) -> str:
    from drift_gate.engine.entry import aws_clients
    from drift_gate.sources.github_token_secret import read_github_token

    client = aws_clients(3, timeout, None).client("secretsmanager", region)
    return read_github_token(client, arn)


def _check_repository(repository: str, where: str) -> None:
    from drift_gate.commands.github_issues import REPOSITORY

    if not REPOSITORY.match(repository):
        raise InvalidInputError(f"{where} is not OWNER/NAME, such as octo/infra")


def _check_namespace(namespace: str) -> None:
    """As --publish-metrics refuses one (cli_options.metrics_namespace), here for the Lambda."""
    if not 1 <= len(namespace) <= 255 or not all(" " <= c <= "~" for c in namespace):
        raise InvalidInputError(f"{METRICS_VARIABLE} is not 1 to 255 printable ASCII characters")
    if namespace.startswith((":", "AWS/")):
        raise InvalidInputError(f"{METRICS_VARIABLE} may not start with 'AWS/' or ':'")


def published(
    answer: EventAnswer,
    publishing: Publishing,
    deadline: Deadline | None,
) -> EventAnswer:
    """The answer, with the metrics and the issue published as configured; a failure to
    publish is exit 3 (an alarm or an issue that silently missed the result)."""
    from dataclasses import replace

    from drift_gate.errors import DriftGateError

    result = dict(answer.result)
    code = answer.exit_code
    try:
        report = answer.report
        if publishing.metrics_namespace and report is not None:
            service = answer.event.service_arn if answer.event else None
            result["metrics"] = _metrics(report, service, publishing, deadline)
        if publishing.repository and publishing.token and report is not None and answer.judged:
            result["issues"] = _issues(report, publishing.repository, publishing.token, deadline)
    except InvalidInputError as error:
        result["published"], code = f"bad input: {error}", ExitCode.INVALID_INPUT
    except DriftGateError as error:
        result["published"] = f"not published: {error}"
        code = ExitCode.COULD_NOT_VERIFY
    return replace(answer, result=result, exit_code=code)


def _issues(
    report: Report, repository: str, token: Callable[[], str], deadline: Deadline | None
) -> list[str]:
    from drift_gate.commands.github_issues import api_base
    from drift_gate.deadline import Deadline
    from drift_gate.publish.github_api import GitHubApi
    from drift_gate.publish.issues import IssueSettings, sync_issues

    base = api_base(os.environ)
    bound = Deadline(min(GITHUB_SECONDS, deadline.remaining())) if deadline else None
    api = GitHubApi(
        base,
        repository,
        token(),
        deadline=bound or Deadline(GITHUB_SECONDS),
        deadline_fix=GITHUB_DEADLINE_FIX,
    )
    said: list[str] = []
    settings = IssueSettings(LABEL, None, run_issue=False, comment_unchanged=False)
    sync_issues(report, api, settings, said.append)
    return said


def _metrics(
    report: Report, service: str | None, publishing: Publishing, deadline: Deadline | None
) -> int:
    from drift_gate.engine.entry import aws_clients
    from drift_gate.engine.revision import ServiceArn
    from drift_gate.errors import CouldNotVerifyError
    from drift_gate.publish import metrics
    from drift_gate.sources.aws import AWS_FAILURES, describe_function_failure

    region = ServiceArn.parse(service or "").region  # the metrics beside the service
    client = aws_clients(3, publishing.timeout, deadline).client("cloudwatch", region)
    try:
        return metrics.publish(report, publishing.metrics_namespace or "", client)
    except AWS_FAILURES as error:
        reason = describe_function_failure(error, "cloudwatch:PutMetricData")
        if reason.startswith("access denied"):
            reason = (
                "access denied to cloudwatch:PutMetricData; allow the function's role "
                f"cloudwatch:PutMetricData in the namespace {publishing.metrics_namespace} "
                "(a cloudwatch:namespace condition)"
            )
        raise CouldNotVerifyError(f"metrics were not put: {reason}") from None


def _read_event(path: Path) -> object:
    """The event file's JSON (exit 2 naming the file, never its content)."""
    from drift_gate.commands.lifecycle_hook import _read_event as read

    return read(path)
