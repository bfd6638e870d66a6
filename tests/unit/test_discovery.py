"""Discovery's paging and answers, with a fake ECS client (moto answers ListServices in one
page whatever maxResults says), and the pipeline that runs a scan's calls."""

from __future__ import annotations

from typing import Any

import botocore.exceptions
import pytest

from drift_gate.engine.pipeline import Failed, Pipeline
from drift_gate.sources.answers import MalformedAnswerError
from drift_gate.sources.aws import MAX_PAGES, PagingError
from drift_gate.sources.discovery import NoSuchCluster, list_clusters, list_services

ARN = "arn:aws:ecs:us-east-1:123456789012"


class PagedEcs:
    """ListServices/ListClusters in pages of `size`, as ECS pages them."""

    def __init__(self, services: list[str], size: int = 100) -> None:
        self.services = services
        self.size = size
        self.calls: list[dict[str, Any]] = []

    def list_services(self, **arguments: Any) -> dict[str, Any]:
        self.calls.append(arguments)
        start = int(arguments.get("nextToken", "0"))
        page = self.services[start : start + self.size]
        answer: dict[str, Any] = {
            "serviceArns": [f"{ARN}:service/{arguments['cluster']}/{name}" for name in page]
        }
        if start + self.size < len(self.services):
            answer["nextToken"] = str(start + self.size)
        return answer

    def list_clusters(self, **arguments: Any) -> dict[str, Any]:
        self.calls.append(arguments)
        return {"clusterArns": [f"{ARN}:cluster/prod", f"{ARN}:cluster/staging"]}


def test_every_page_of_list_services_is_read_at_100_a_page() -> None:
    names = [f"svc-{index:03d}" for index in range(250)]
    client = PagedEcs(names)

    assert list_services(client, "prod") == tuple(names)
    assert [call.get("nextToken") for call in client.calls] == [None, "100", "200"]
    assert {call["maxResults"] for call in client.calls} == {100}


def test_old_and_new_service_arn_forms_give_the_name() -> None:
    class OldArns(PagedEcs):
        def list_services(self, **arguments: Any) -> dict[str, Any]:
            return {"serviceArns": [f"{ARN}:service/legacy", f"{ARN}:service/prod/modern"]}

    assert list_services(OldArns([]), "prod") == ("legacy", "modern")


def test_clusters_and_the_account_they_name() -> None:
    clusters = list_clusters(PagedEcs([]))
    assert clusters.names == ("prod", "staging")
    assert clusters.account_id == "123456789012"


def test_a_cluster_deleted_between_the_lists_is_no_such_cluster() -> None:
    class Deleted:
        def list_services(self, **_: Any) -> dict[str, Any]:
            raise botocore.exceptions.ClientError(
                {"Error": {"Code": "ClusterNotFoundException", "Message": "Cluster not found."}},
                "ListServices",
            )

    assert isinstance(list_services(Deleted(), "gone"), NoSuchCluster)


def test_an_answer_without_its_list_is_malformed_never_empty() -> None:
    class Proxy:
        def list_services(self, **_: Any) -> dict[str, Any]:
            return {}

        def list_clusters(self, **_: Any) -> dict[str, Any]:
            return {"nextToken": None}

    with pytest.raises(MalformedAnswerError, match="ecs:ListServices"):
        list_services(Proxy(), "prod")
    with pytest.raises(MalformedAnswerError, match="ecs:ListClusters"):
        list_clusters(Proxy())


def test_paging_that_never_ends_is_bounded() -> None:
    class Endless:
        def __init__(self) -> None:
            self.calls = 0

        def list_services(self, **_: Any) -> dict[str, Any]:
            self.calls += 1
            return {"serviceArns": [], "nextToken": f"t{self.calls}"}

    client = Endless()
    with pytest.raises(PagingError, match="kept paging"):
        list_services(client, "prod")
    assert client.calls == MAX_PAGES


def test_the_pipeline_feeds_answers_to_their_continuations_and_keeps_failures_as_values() -> None:
    seen: list[object] = []
    pipeline = Pipeline(workers=2)

    def first(answer: int) -> None:
        seen.append(answer)
        pipeline.submit(lambda: answer * 10, seen.append)

    pipeline.submit(lambda: 1, first)
    pipeline.submit(lambda: Failed(RuntimeError("throttled")), seen.append)
    idle_calls = []

    def when_idle() -> bool:
        idle_calls.append(1)
        if len(idle_calls) == 1:
            pipeline.submit(lambda: "flushed", seen.append)
            return True
        return False

    pipeline.run(when_idle)

    assert seen[-1] == "flushed"
    assert sorted(str(item) for item in seen[:-1]) == sorted(
        ["1", "10", str(Failed(RuntimeError("throttled")))]
    )
    assert (pipeline.submitted, pipeline.completed) == (4, 4)


def test_a_bug_in_a_work_item_is_raised_not_swallowed() -> None:
    pipeline = Pipeline(workers=1)
    pipeline.submit(lambda: 1 / 0, lambda _: None)
    with pytest.raises(ZeroDivisionError):
        pipeline.run()


@pytest.mark.parametrize(
    "arn", ["", "  ", "prod", f"{ARN}:cluster/", f"{ARN}:cluster/a b", f"{ARN}:service/prod/x"]
)
def test_a_cluster_arn_naming_no_cluster_is_malformed_never_a_cluster_to_look_for(
    arn: str,
) -> None:
    class Listing(PagedEcs):
        def list_clusters(self, **_: Any) -> dict[str, Any]:
            return {"clusterArns": [f"{ARN}:cluster/prod", arn]}

    with pytest.raises(MalformedAnswerError, match=r"clusterArns\[1\]: not a cluster ARN"):
        list_clusters(Listing([]))


@pytest.mark.parametrize("arn", ["", " ", "api", f"{ARN}:service/", f"{ARN}:service/prod/"])
def test_a_service_arn_naming_no_service_is_malformed(arn: str) -> None:
    class Listing(PagedEcs):
        def list_services(self, **_: Any) -> dict[str, Any]:
            return {"serviceArns": [arn]}

    with pytest.raises(MalformedAnswerError, match=r"serviceArns\[0\]: not a service ARN"):
        list_services(Listing([]), "prod")
