"""The one AWS operation `check --cfn-template --stack` adds (cloudformation:
DescribeStackResources) under every fault: exit 3, in words that name it and the cause. The
table is docs/reliability.md's (refresh: DRIFT_GATE_UPDATE_GOLDEN=1, then review the diff)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from drift_gate import _moto_compat
from drift_gate.cli import main
from tests.conftest import MotoServer
from tests.e2e.test_fault_matrix import (
    TABLE_HEADER,
    check_rows,
    fault_rows,
    row_operation,
    table_lines,
)
from tests.faults import Fault

pytestmark = pytest.mark.e2e

CFN_OPERATIONS = (("cloudformation:DescribeStackResources", "DescribeStackResources"),)
CFN_BEGIN, CFN_END = "<!-- cfn-fault-table: begin -->", "<!-- cfn-fault-table: end -->"

# What drift-gate is given: the service and what its container must receive.
TEMPLATE = """\
Parameters:
  HfToken: {Type: String}
  DbPassword: {Type: String}
Resources:
  TaskDefinition:
    Type: AWS::ECS::TaskDefinition
    Properties:
      ExecutionRoleArn: arn:aws:iam::123456789012:role/any
      ContainerDefinitions:
        - Name: api
          Secrets:
            - {Name: HF_TOKEN, ValueFrom: !Ref HfToken}
            - {Name: DB_PASSWORD, ValueFrom: !Ref DbPassword}
  Service:
    Type: AWS::ECS::Service
    Properties:
      Cluster: c
      TaskDefinition: !Ref TaskDefinition
"""


def deploy_stack(moto: MotoServer) -> None:
    """The stack as deployed: a service (named by CloudFormation's stand-in, moto) running
    the seeded account's task definition."""
    body = {
        "Resources": {
            "Service": {
                "Type": "AWS::ECS::Service",
                "Properties": {
                    "Cluster": "c",
                    "ServiceName": "api-from-stack",
                    "TaskDefinition": "api:1",
                    "DesiredCount": 1,
                },
            }
        }
    }
    moto.client("cloudformation").create_stack(StackName="shop", TemplateBody=json.dumps(body))
    _moto_compat.settle("c", "api-from-stack", "us-east-1")


@pytest.mark.parametrize(("operation", "wire"), CFN_OPERATIONS, ids=["DescribeStackResources"])
def test_describe_stack_resources_under_every_fault_exits_3(
    operation: str,
    wire: str,
    moto_server: MotoServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    template = tmp_path / "template.yaml"
    template.write_text(TEMPLATE)
    deployed: list[bool] = []

    def run(url: str) -> tuple[int, str]:
        if not deployed:
            deploy_stack(moto_server)
            deployed.append(True)
        monkeypatch.setenv("AWS_ENDPOINT_URL", url)
        code = main(
            ["check", "--cfn-template", str(template), "--stack", "shop", "--region",
             "us-east-1", "--max-attempts", "2", "--timeout", "0.5"]
        )  # fmt: skip
        return code, capsys.readouterr().err

    rows = fault_rows(moto_server, monkeypatch, ((operation, wire),), run)
    check_rows(rows, operation, CFN_OPERATIONS, CFN_BEGIN, CFN_END)


def test_the_cfn_fault_table_has_every_fault() -> None:
    lines = table_lines(CFN_BEGIN, CFN_END)
    assert lines[:2] == [TABLE_HEADER, "|---|---|---|---|"]
    assert [row_operation(line) for line in lines[2:]] == [
        operation for operation, _ in CFN_OPERATIONS for _ in Fault
    ]
