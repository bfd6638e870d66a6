"""`check --cfn-template` live: a template deployed by moto's CloudFormation (which creates
the ECS cluster, task definition and service from it), compared over HTTP with what ECS runs;
its services matched by the names the template gives, or by the stack's physical ids."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from drift_gate import _moto_compat
from drift_gate.demo import ECS_TASKS_TRUST
from tests.conftest import REPO, Cli, MotoServer

TEMPLATE = REPO / "tests" / "fixtures" / "cfn" / "stack.yaml"


def deploy(moto_server: MotoServer, service_name: str = "shop-api") -> None:
    moto_server.client("ssm").put_parameter(Name="/shop/db", Value="x", Type="SecureString")
    iam = moto_server.client("iam")
    iam.create_role(RoleName="ecsTaskExecutionRole", AssumeRolePolicyDocument=ECS_TASKS_TRUST)
    allow = {"Effect": "Allow", "Action": "ssm:GetParameters", "Resource": "*"}
    iam.put_role_policy(
        RoleName="ecsTaskExecutionRole",
        PolicyName="secrets",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [allow]}),
    )
    moto_server.client("cloudformation").create_stack(
        StackName="shop",
        TemplateBody=TEMPLATE.read_text(),
        Parameters=[{"ParameterKey": "ServiceName", "ParameterValue": service_name}],
    )
    # moto 5.2's CloudFormation drops the task definition's ExecutionRoleArn (AWS keeps it):
    # the same definition registered again with it, and rolled out, is what AWS would run.
    ecs = moto_server.client("ecs")
    registered = ecs.describe_task_definition(taskDefinition="shop-api")["taskDefinition"]
    revision = ecs.register_task_definition(
        family="shop-api",
        containerDefinitions=registered["containerDefinitions"],
        executionRoleArn="arn:aws:iam::123456789012:role/ecsTaskExecutionRole",
    )["taskDefinition"]["taskDefinitionArn"]
    ecs.update_service(cluster="shop", service=service_name, taskDefinition=revision)
    _moto_compat.roll_out("shop", service_name, revision, "us-east-1")  # as ECS would


def check(cli: Cli, template: Path, *extra: str) -> tuple[int, dict[str, Any], str]:
    report = cli.cwd / "report.json"
    result = cli.run(
        "check", "--cfn-template", str(template), "--region", "us-east-1", *extra,
        "--format", "json", "--output", str(report),
    )  # fmt: skip
    document = json.loads(report.read_text()) if report.exists() else {}
    return result.exit_code, document, result.stdout + result.stderr


def test_a_stack_matched_by_its_physical_ids_passes(
    cli_on_moto: Cli, moto_server: MotoServer
) -> None:
    deploy(moto_server)
    code, report, _ = check(cli_on_moto, TEMPLATE, "--stack", "shop")
    assert code == 0, json.dumps(report["findings"], indent=1)
    [service] = report["services"]
    assert (service["cluster"], service["service"]) == ("shop", "shop-api")
    assert report["plan"] is None
    assert report["declared"] == [
        f"{TEMPLATE} (CloudFormation; services matched by stack shop's physical ids)"
    ]


def test_without_the_stack_a_generated_name_is_not_checked_never_passed(
    cli_on_moto: Cli, moto_server: MotoServer
) -> None:
    deploy(moto_server)
    code, report, output = check(cli_on_moto, TEMPLATE)
    assert code == 3, output
    [finding] = report["findings"]
    assert finding["rule_id"] == "DG901"
    assert "give --stack" in finding["message"]
    assert finding["declared_in"] == f"{TEMPLATE}:29"
    assert report["declared"][0].endswith(
        "(CloudFormation; services matched by the names it gives)"
    )


def test_a_name_the_running_task_lacks_is_dg101_at_the_templates_line(
    cli_on_moto: Cli, moto_server: MotoServer, tmp_path: Path
) -> None:
    deploy(moto_server)
    # The template as changed in a pull request: a new secret, not deployed yet; named by
    # the names the template gives (no --stack).
    changed = tmp_path / "stack.yaml"
    changed.write_text(
        TEMPLATE.read_text()
        .replace('!If [Named, !Ref ServiceName, !Ref "AWS::NoValue"]', "shop-api")
        .replace(
            "          Secrets:\n",
            "          Secrets:\n            - Name: STRIPE_KEY\n"
            "              ValueFrom: /shop/stripe\n",
        )
        .replace(
            "          Memory: 128\n",
            "          Memory: 128\n          EnvironmentFiles:\n"
            "            - !If [Elsewhere, {Value: 'arn:aws:s3:::b/e.env'}, !Ref AWS::NoValue]\n",
        )
    )
    code, report, output = check(cli_on_moto, changed)
    assert code == 1, output
    [missing] = [f for f in report["findings"] if f["rule_id"] == "DG101"]
    assert missing["target"]["variable"] == "STRIPE_KEY"
    assert missing["declared_in"] == f"{changed}:29"
    # what the template knows only at deploy time is said, never passed
    assert (
        f"unresolved until deploy: {changed}:24 (unresolved: Fn::If on condition"
        in report["declared"][0]
    )


def test_a_stack_that_cannot_be_read_is_could_not_verify(
    cli_on_moto: Cli, moto_server: MotoServer
) -> None:
    code, _, output = check(cli_on_moto, TEMPLATE, "--stack", "absent")
    assert code == 3, output
    assert "stack absent" in output


def test_iam_policy_allows_describe_stack_resources_on_the_stack_only(
    cli: Cli, tmp_path: Path
) -> None:
    policy = tmp_path / "p.yaml"
    policy.write_text(
        "version: 1\nenvironments:\n  prod:\n    region: eu-west-1\n    services:\n"
        "      - cluster: shop\n        service: shop-api\n        containers:\n"
        "          api:\n            secrets: [DB_PASSWORD]\n"
    )
    result = cli.run("iam-policy", "--policy", str(policy), "--stack", "shop")
    assert result.exit_code == 0, result.stderr
    by_sid = {s["Sid"]: s for s in json.loads(result.stdout)["Statement"]}
    assert by_sid["DriftGateStackResources"] == {
        "Sid": "DriftGateStackResources",
        "Effect": "Allow",
        "Action": ["cloudformation:DescribeStackResources"],
        "Resource": ["arn:aws:cloudformation:eu-west-1:*:stack/shop/*"],
    }
    plain = cli.run("iam-policy", "--policy", str(policy))
    assert "cloudformation" not in plain.stdout


def test_an_express_service_is_matched_by_its_names_and_its_container_name_said(
    cli_on_moto: Cli, moto_server: MotoServer
) -> None:
    """moto 5.2 has no AWS::ECS::ExpressGatewayService: the service Express Mode would run is
    made with the ECS API, its primary container named as --express-container says."""
    moto_server.client("ssm").put_parameter(Name="/orders/db", Value="x", Type="SecureString")
    iam = moto_server.client("iam")
    iam.create_role(RoleName="ecsTaskExecutionRole", AssumeRolePolicyDocument=ECS_TASKS_TRUST)
    allow = {"Effect": "Allow", "Action": "ssm:GetParameters", "Resource": "*"}
    iam.put_role_policy(
        RoleName="ecsTaskExecutionRole",
        PolicyName="secrets",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [allow]}),
    )
    ecs = moto_server.client("ecs")
    ecs.create_cluster(clusterName="default")
    arn = ecs.register_task_definition(
        family="orders-api",
        executionRoleArn="arn:aws:iam::123456789012:role/ecsTaskExecutionRole",
        containerDefinitions=[
            {
                "name": "web",
                "image": "nginx",
                "memory": 128,
                "environment": [{"name": "LOG_LEVEL", "value": "info"}],
                "secrets": [{"name": "DB_PASSWORD", "valueFrom": "/orders/db"}],
            }
        ],
    )["taskDefinition"]["taskDefinitionArn"]
    ecs.create_service(cluster="default", serviceName="orders-api", taskDefinition=arn)
    _moto_compat.settle("default", "orders-api", "us-east-1")
    express = REPO / "tests" / "fixtures" / "cfn" / "express.yaml"
    code, report, output = check(cli_on_moto, express, "--express-container", "web")
    assert code == 0, output
    assert report["declared"][0].endswith("Express Mode's primary container named web)")
    code, report, _ = check(cli_on_moto, express)  # the default name, Main: not there
    assert code == 1
    assert report["findings"][0]["rule_id"] == "DG207"  # the service runs no container Main
    assert "Express Mode's primary container named Main" in report["declared"][0]


def test_a_template_without_a_service_is_not_a_pass_live(
    cli_on_moto: Cli, moto_server: MotoServer, tmp_path: Path
) -> None:
    template = tmp_path / "tasks.yaml"
    template.write_text(
        "Resources:\n  T:\n    Type: AWS::ECS::TaskDefinition\n    Properties:\n"
        "      ContainerDefinitions: [{Name: api}]\n"
    )
    code, report, output = check(cli_on_moto, template)
    assert code == 3, output
    [finding] = report["findings"]
    assert finding["rule_id"] == "DG901"
    assert "declares no AWS::ECS::Service" in finding["message"]
    assert f"declared by {template} (CloudFormation; services matched by the names it gives)" in (
        cli_on_moto.run("check", "--cfn-template", str(template), "--region", "us-east-1").stdout
    )
