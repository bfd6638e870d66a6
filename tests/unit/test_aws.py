"""The AWS boundary: explicit retry mode and timeouts, counted calls, failures in plain words."""

from __future__ import annotations

import botocore.exceptions
import pytest
from moto import mock_aws

from drift_gate.deadline import Deadline
from drift_gate.sources.answers import ListTaskDefinitionsAnswer, MalformedAnswerError
from drift_gate.sources.aws import (
    MAX_PAGES,
    AwsClients,
    AwsSettings,
    DeadlineExceededError,
    PagingError,
    classify_failure,
    describe_failure,
    pages,
)


def test_clients_use_standard_retries_total_attempts_and_timeouts() -> None:
    clients = AwsClients(AwsSettings(max_attempts=4, connect_timeout=2.0, read_timeout=7.0))
    config = clients.client("ecs", "eu-west-1").meta.config
    assert config.retries == {"mode": "standard", "total_max_attempts": 4}
    assert (config.connect_timeout, config.read_timeout) == (2.0, 7.0)
    assert config.region_name == "eu-west-1"
    assert clients.client("ecs", "eu-west-1") is clients.client("ecs", "eu-west-1")


def test_endpoint_comes_from_the_standard_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:4566")
    assert AwsClients().client("ecs", "us-east-1").meta.endpoint_url == "http://127.0.0.1:4566"


def test_calls_are_counted_by_service_and_operation() -> None:
    with mock_aws():
        clients = AwsClients()
        ecs = clients.client("ecs", "us-east-1")
        ecs.list_clusters()
        ecs.list_clusters()
        clients.client("secretsmanager", "us-east-1").list_secrets()
    assert dict(clients.calls) == {"ecs:ListClusters": 2, "secretsmanager:ListSecrets": 1}


def client_error(code: str, status: int = 400) -> botocore.exceptions.ClientError:
    response = {
        "Error": {"Code": code, "Message": "m"},
        "ResponseMetadata": {"HTTPStatusCode": status},
    }
    return botocore.exceptions.ClientError(response, "DescribeServices")


@pytest.mark.parametrize(
    ("error", "reason", "fix"),
    [
        (client_error("AccessDeniedException"), "access denied to ecs:DescribeServices", "Grant"),
        (client_error("403", 403), "access denied to ecs:DescribeServices", "Grant"),
        (client_error("SomethingNew", 403), "access denied to ecs:DescribeServices", "Grant"),
        (
            client_error("ExpiredTokenException"),
            "AWS rejected the credentials for ecs:DescribeServices (ExpiredTokenException)",
            "Renew",
        ),
        (
            client_error("InvalidClientTokenId", 403),
            "AWS rejected the credentials for ecs:DescribeServices (InvalidClientTokenId)",
            "Renew",
        ),
        (
            client_error("UnrecognizedClientException"),
            "AWS rejected the credentials for ecs:DescribeServices",
            "Renew",
        ),
        (
            client_error("SignatureDoesNotMatch", 403),
            "AWS rejected the credentials for ecs:DescribeServices",
            "Renew",
        ),
        (
            client_error("ExpiredToken", 400),
            "AWS rejected the credentials for ecs:DescribeServices",
            "Renew",
        ),
        (
            botocore.exceptions.TokenRetrievalError(provider="sso", error_msg="expired"),
            "the AWS credentials for ecs:X have expired",
            "Renew",
        ),
        (
            client_error("ThrottlingException"),
            "throttled on ecs:DescribeServices past retries",
            "Run again later",
        ),
        (
            client_error("InternalFailure", 500),
            "AWS answered ecs:DescribeServices with a server error (500)",
            "Run again later",
        ),
        (
            client_error("InvalidParameterException"),
            "ecs:DescribeServices failed: InvalidParameterException",
            "Check",
        ),
        (botocore.exceptions.NoCredentialsError(), "no AWS credentials for ecs:X", "Configure"),
        (
            botocore.exceptions.EndpointConnectionError(endpoint_url="http://h"),
            "the AWS endpoint for ecs:X is unreachable",
            "Check the network",
        ),
        (
            botocore.exceptions.ReadTimeoutError(endpoint_url="http://h"),
            "AWS did not answer ecs:X in time",
            "Run again, or raise --timeout",
        ),
        (
            MalformedAnswerError("ecs:Y", "services: missing"),
            "ecs:Y answered without what drift-gate reads (services: missing)",
            "The answer did not",
        ),
        (
            PagingError("ecs:Y", "kept paging past 1000 pages"),
            "ecs:Y kept paging past 1000 pages",
            "The answer did not",
        ),
        (
            DeadlineExceededError("ecs:Y", 60),
            "the run's deadline (60 s) passed before ecs:Y",
            "Raise --deadline",
        ),
    ],
)
def test_failures_name_the_operation_once_and_the_fix_follows_the_cause(
    error: Exception, reason: str, fix: str
) -> None:
    failure = classify_failure(error, "ecs:X")
    assert failure.reason.startswith(reason)
    assert failure.fix.startswith(fix)
    assert "ecs:ecs:" not in describe_failure(error, "ecs:X")


def test_the_operation_comes_from_the_error_not_the_caller() -> None:
    error = botocore.exceptions.ClientError(
        {"Error": {"Code": "AccessDeniedException"}}, "ListTaskDefinitions"
    )
    assert describe_failure(error, "ecs:DescribeTaskDefinition").startswith(
        "access denied to ecs:ListTaskDefinitions; grant"
    )


def test_a_run_past_its_deadline_makes_no_more_calls() -> None:
    with mock_aws():
        clients = AwsClients(deadline=Deadline(0.0))
        with pytest.raises(DeadlineExceededError, match="deadline"):
            clients.client("ecs", "us-east-1").list_clusters()
    assert dict(clients.calls) == {}


def test_pages_stop_at_a_repeated_token_and_at_the_cap() -> None:
    answers = iter([{"taskDefinitionArns": [], "nextToken": "a"}] * 3)
    with pytest.raises(PagingError, match="already given"):
        list(pages(lambda **_: next(answers), {}, ListTaskDefinitionsAnswer, "ecs:L"))
    counter = iter(range(10**6))

    def endless(**_: object) -> dict[str, object]:
        return {"taskDefinitionArns": [], "nextToken": str(next(counter))}

    with pytest.raises(PagingError, match=f"past {MAX_PAGES} pages"):
        list(pages(endless, {}, ListTaskDefinitionsAnswer, "ecs:L"))
    assert next(counter) == MAX_PAGES


def test_clients_asked_for_from_many_threads_are_made_once_from_one_session() -> None:
    from concurrent.futures import ThreadPoolExecutor

    clients = AwsClients()
    with ThreadPoolExecutor(max_workers=8) as pool:
        made = list(pool.map(lambda _: clients.client("secretsmanager", "us-east-1"), range(32)))
    assert len({id(client) for client in made}) == 1
    session = clients.session
    clients.client("ssm", "us-east-1")
    assert clients.session is session
