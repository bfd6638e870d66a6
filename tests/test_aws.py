"""The AWS boundary: explicit retry mode and timeouts, counted calls, failures in plain words."""

from __future__ import annotations

import botocore.exceptions
import pytest
from moto import mock_aws

from drift_gate.sources.aws import AwsClients, AwsSettings, describe_failure


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
    ("error", "expected"),
    [
        (
            client_error("AccessDeniedException"),
            "access denied to ecs:X: grant it (see docs/iam-policy.json)",
        ),
        (client_error("403", 403), "access denied to ecs:X"),
        (client_error("SomethingNew", 403), "access denied to ecs:X"),
        (client_error("ExpiredTokenException"), "access denied to ecs:X"),
        (client_error("ThrottlingException"), "throttled on ecs:X past retries"),
        (client_error("InvalidParameterException"), "ecs:X failed: InvalidParameterException"),
        (botocore.exceptions.NoCredentialsError(), "no AWS credentials for ecs:X"),
        (
            botocore.exceptions.EndpointConnectionError(endpoint_url="http://h"),
            "AWS endpoint unreachable for ecs:X",
        ),
        (
            botocore.exceptions.ReadTimeoutError(endpoint_url="http://h"),
            "AWS did not answer ecs:X in time",
        ),
    ],
)
def test_failures_are_described_in_words_a_user_can_act_on(error: Exception, expected: str) -> None:
    assert describe_failure(error, "ecs:X").startswith(expected)
