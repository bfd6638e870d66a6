"""`init --from-account`: every answer that is not what the draft needs stops it (exit 3,
nothing drafted). The discovery's own answers are built here (a RegionScan as the pipeline
leaves it), as moto cannot fail one call of several on demand; the end-to-end path is
tests/e2e/test_init_account.py."""

from __future__ import annotations

from typing import Any

import pytest

from drift_gate.engine.policy_draft_live import _services, _task_definitions
from drift_gate.engine.scan_discovery import RegionScan
from drift_gate.errors import CouldNotVerifyError, InvalidInputError
from drift_gate.model import Deployment, ServiceState, TaskDefinitionSpec
from drift_gate.sources.accounts import Account, AccountSpec
from drift_gate.sources.answers import MalformedAnswerError
from drift_gate.sources.aws import Failure
from drift_gate.sources.ecs import ClusterMissing, EcsReader, ServiceMissing

ARN = "arn:aws:ecs:us-east-1:123456789012:task-definition/api:3"
DENIED = Failure("AWS denied ecs:DescribeServices", "Allow it.")


def state(status: str = "ACTIVE", *, primary: bool = True) -> ServiceState:
    deployments = (Deployment(id="ecs-svc/1", status="PRIMARY", task_definition_arn=ARN),)
    return ServiceState(
        cluster="shop",
        name="api",
        arn="arn:aws:ecs:us-east-1:123456789012:service/shop/api",
        status=status,
        deployment_controller="ECS",
        desired_count=1,
        running_count=1,
        deployments=deployments if primary else (),
    )


def scan(**fields: Any) -> RegionScan:
    region = RegionScan(Account(AccountSpec(), None), "us-east-1", None)
    for name, value in fields.items():
        setattr(region, name, value)
    return region


def test_answered_services_are_drafted_and_a_draining_one_kept_to_be_said() -> None:
    lookups = {("shop", "api"): state(), ("shop", "old"): state("DRAINING", primary=False)}
    assert [s.status for _, s in _services(scan(lookups=lookups))] == ["ACTIVE", "DRAINING"]


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"failure": DENIED}, "could not read the services of us-east-1: AWS denied"),
        ({"cluster_failures": {"shop": DENIED}}, "could not read cluster shop in us-east-1"),
        ({"lookups": {("shop", "api"): DENIED}}, "could not read service shop/api in us-east-1"),
        ({"lookups": {("shop", "api"): ServiceMissing("MISSING")}}, "did not find it"),
        ({"lookups": {("shop", "api"): ClusterMissing()}}, "did not find it"),
        ({"lookups": {("shop", "api"): state(primary=False)}}, "named no PRIMARY deployment"),
    ],
)
def test_an_unanswered_question_stops_the_draft(fields: dict[str, Any], words: str) -> None:
    with pytest.raises(CouldNotVerifyError, match=words) as raised:
        _services(scan(**fields))
    assert str(raised.value).endswith("(no policy was written)")


def test_a_cluster_given_that_does_not_exist_is_bad_input() -> None:
    with pytest.raises(InvalidInputError, match="--cluster gone: no such cluster in us-east-1"):
        _services(scan(missing_clusters={"gone"}))


class Reader(EcsReader):
    """DescribeTaskDefinition answered without what drift-gate reads."""

    def __init__(self) -> None:
        pass

    def task_definition(self, arn: str) -> TaskDefinitionSpec:
        raise MalformedAnswerError("ecs:DescribeTaskDefinition", "containerDefinitions missing")


def test_a_task_definition_not_described_stops_the_draft() -> None:
    with pytest.raises(CouldNotVerifyError, match=f"could not read task definition {ARN}"):
        _task_definitions(Reader(), [state()])
