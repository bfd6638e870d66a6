"""Batching, pagination and caching of the ECS source, with botocore's Stubber.

moto accepts any number of services per describe_services call and never paginates, so
these limits are tested against stubbed responses with the exact expected parameters.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from drift_gate.sources.aws import Failure
from drift_gate.sources.ecs import ClusterMissing, EcsReader, ServiceMissing

ACCOUNT = "123456789012"
TD_PREFIX = f"arn:aws:ecs:us-east-1:{ACCOUNT}:task-definition"


def service_json(name: str, task_definition: str = f"{TD_PREFIX}/api:1") -> dict[str, Any]:
    return {
        "serviceName": name,
        "serviceArn": f"arn:aws:ecs:us-east-1:{ACCOUNT}:service/c/{name}",
        "status": "ACTIVE",
        "desiredCount": 1,
        "runningCount": 1,
        "deploymentController": {"type": "ECS"},
        "deployments": [
            {
                "id": "ecs-svc/1",
                "status": "PRIMARY",
                "taskDefinition": task_definition,
                "desiredCount": 1,
                "runningCount": 1,
            }
        ],
    }


@pytest.fixture
def stubbed() -> Iterator[tuple[EcsReader, Stubber]]:
    client = boto3.client("ecs", region_name="us-east-1")
    with Stubber(client) as stubber:
        # One worker: the Stubber answers in the order queued, and concurrent batches would
        # race for the answers; what is tested here is the batching, not the concurrency.
        yield EcsReader(client, workers=1), stubber
        stubber.assert_no_pending_responses()


def test_25_services_take_3_describe_services_calls_of_at_most_10(
    stubbed: tuple[EcsReader, Stubber],
) -> None:
    reader, stubber = stubbed
    names = [f"svc-{i:02d}" for i in range(25)]
    for batch in (names[0:10], names[10:20], names[20:25]):
        stubber.add_response(
            "describe_services",
            {"services": [service_json(n) for n in batch], "failures": []},
            expected_params={"cluster": "c", "services": batch},
        )

    found = reader.services("c", names)

    assert sorted(found) == names
    assert all(not isinstance(state, ServiceMissing | ClusterMissing) for state in found.values())


def test_missing_is_missing_and_an_unanswered_name_is_unverified(
    stubbed: tuple[EcsReader, Stubber],
) -> None:
    reader, stubber = stubbed
    stubber.add_response(
        "describe_services",
        {
            "services": [service_json("a")],
            "failures": [
                {"arn": f"arn:aws:ecs:us-east-1:{ACCOUNT}:service/c/b", "reason": "MISSING"}
            ],
        },
        expected_params={"cluster": "c", "services": ["a", "b", "c"]},
    )
    found = reader.services("c", ["a", "b", "c"])
    assert found["b"] == ServiceMissing("MISSING")
    # Neither a service nor a failure: never assumed to be present, nor absent.
    assert isinstance(found["c"], Failure)
    assert (
        found["c"].reason == "ecs:DescribeServices answered neither service c nor a failure for it"
    )


def test_cluster_not_found_is_data_not_an_error(stubbed: tuple[EcsReader, Stubber]) -> None:
    reader, stubber = stubbed
    stubber.add_client_error("describe_services", "ClusterNotFoundException", "Cluster not found.")
    assert reader.services("ghost", ["a"]) == {"a": ClusterMissing()}


def test_latest_active_revision_follows_next_token(stubbed: tuple[EcsReader, Stubber]) -> None:
    reader, stubber = stubbed
    query = {"familyPrefix": "api", "status": "ACTIVE", "sort": "DESC"}
    # Pages may hold other families (or none of ours) before the family appears.
    stubber.add_response(
        "list_task_definitions",
        {"taskDefinitionArns": [f"{TD_PREFIX}/api-worker:9"], "nextToken": "page-2"},
        expected_params=query,
    )
    stubber.add_response(
        "list_task_definitions",
        {"taskDefinitionArns": [], "nextToken": "page-3"},
        expected_params={**query, "nextToken": "page-2"},
    )
    stubber.add_response(
        "list_task_definitions",
        {
            "taskDefinitionArns": [f"{TD_PREFIX}/api:151", f"{TD_PREFIX}/api:150"],
            "nextToken": "page-4",
        },
        expected_params={**query, "nextToken": "page-3"},
    )

    assert reader.latest_active_arn("api") == f"{TD_PREFIX}/api:151"
    # Cached: asking again makes no call (the Stubber would fail on an unexpected one).
    assert reader.latest_active_arn("api") == f"{TD_PREFIX}/api:151"


def test_family_without_active_revision_walks_every_page(
    stubbed: tuple[EcsReader, Stubber],
) -> None:
    reader, stubber = stubbed
    stubber.add_response("list_task_definitions", {"taskDefinitionArns": [], "nextToken": "t"})
    stubber.add_response("list_task_definitions", {"taskDefinitionArns": []})
    assert reader.latest_active_arn("api") is None


def test_task_definition_is_described_once_per_arn_by_full_arn(
    stubbed: tuple[EcsReader, Stubber],
) -> None:
    reader, stubber = stubbed
    arn = f"{TD_PREFIX}/api:7"
    stubber.add_response(
        "describe_task_definition",
        {
            "taskDefinition": {
                "taskDefinitionArn": arn,
                "family": "api",
                "revision": 7,
                "status": "ACTIVE",
                "containerDefinitions": [
                    {
                        "name": "api",
                        "secrets": [{"name": "HF", "valueFrom": "/hf"}],
                        "environment": [{"name": "PLAIN", "value": "hf_" + "Z" * 34}],
                    }
                ],
            }
        },
        expected_params={"taskDefinition": arn},
    )
    first = reader.task_definition(arn)
    assert reader.task_definition(arn) is first
    container = first.containers[0]
    assert container.secret_names == {"HF"}
    assert container.environment[0].value_token_format == "Hugging Face token"
    assert "Z" * 34 not in first.model_dump_json()  # the value itself was dropped
