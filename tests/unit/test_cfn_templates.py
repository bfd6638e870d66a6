"""CloudFormation templates as a declared side: the decoder, the reader, the shared handling
of intrinsics, and `check --offline --cfn-template` on a template of each shape written for
this repository (tests/fixtures/cfn/)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from drift_gate.errors import InvalidInputError
from drift_gate.sources.cfn_decode import decode_template
from drift_gate.sources.cfn_intrinsics import (
    DeclaredHere,
    TemplateContext,
    Unresolved,
    resolve,
)
from drift_gate.sources.cfn_template import read_template
from tests.conftest import REPO, Cli

FILES = REPO / "tests" / "fixtures" / "cfn"


def policy_for(tmp_path: Path, service: str, containers: dict[str, dict[str, list[str]]]) -> Path:
    lines = [
        "version: 1",
        "environments:",
        "  prod:",
        "    region: us-east-1",
        "    services:",
        "      - cluster: c",
        f"        service: {service}",
        "        containers:",
    ]
    for name, kinds in containers.items():
        lines.append(f"          {name}:")
        lines += [f"            {kind}: [{', '.join(names)}]" for kind, names in kinds.items()]
    path = tmp_path / "drift-gate.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def check(cli: Cli, policy: Path, template: Path, *extra: str) -> tuple[int, dict[str, Any], str]:
    report = policy.parent / "report.json"
    result = cli.run(
        "check", "--offline", "--policy", str(policy), "--cfn-template", str(template),
        *extra, "--format", "json", "--output", str(report),
    )  # fmt: skip
    document = json.loads(report.read_text()) if report.exists() else {}
    return result.exit_code, document, result.stderr


# (template, --service, the policy's service, its containers: the template's own names)
SHAPES = [
    (
        "hand.yaml",
        "Service",
        "shop-api-prod",
        {"api": {"secrets": ["DB_PASSWORD", "API_KEY"], "environment": ["LOG_LEVEL", "STAGE"]}},
    ),
    (
        "hand.json",
        "worker-prod",
        "worker-prod",
        {"worker": {"secrets": ["DB_PASSWORD"], "environment": ["LOG_LEVEL", "prod_FLAG"]}},
    ),
    (
        "cdk.template.json",
        "ApiServiceC9037CF0",
        "api",
        {"web": {"secrets": ["DB_PASSWORD", "DB_USER"], "environment": ["LOG_LEVEL", "QUEUE_URL"]}},
    ),
    (
        "express.yaml",
        "Api",
        "orders-api",
        {"Main": {"secrets": ["DB_PASSWORD"], "environment": ["LOG_LEVEL"]}},
    ),
]


@pytest.mark.parametrize(("name", "service", "policy_service", "containers"), SHAPES)
def test_a_template_with_every_declared_name_passes_in_every_shape(
    cli: Cli,
    tmp_path: Path,
    name: str,
    service: str,
    policy_service: str,
    containers: dict[str, dict[str, list[str]]],
) -> None:
    policy = policy_for(tmp_path, policy_service, containers)
    code, report, stderr = check(cli, policy, FILES / name, "--service", service)
    assert (code, report["findings"]) == (0, []), stderr
    assert report["offline"] is True
    assert name in report["plan"]


@pytest.mark.parametrize(("name", "service", "policy_service", "containers"), SHAPES)
def test_a_name_the_template_lacks_is_dg101_at_its_line(
    cli: Cli,
    tmp_path: Path,
    name: str,
    service: str,
    policy_service: str,
    containers: dict[str, dict[str, list[str]]],
) -> None:
    container = next(iter(containers))
    wanted = {**containers, container: {**containers[container]}}
    wanted[container]["secrets"] = [*wanted[container].get("secrets", []), "STRIPE_KEY"]
    policy = policy_for(tmp_path, policy_service, wanted)
    code, report, _ = check(cli, policy, FILES / name, "--service", service)
    assert code == 1
    [missing] = report["findings"]
    assert (missing["rule_id"], missing["target"]["variable"]) == ("DG101", "STRIPE_KEY")
    assert str(FILES / name) in missing["message"]
    assert missing["declared_in"].startswith(f"{FILES / name}:")


def test_the_express_container_name_is_chosen_and_said(cli: Cli, tmp_path: Path) -> None:
    names = {"secrets": ["DB_PASSWORD"], "environment": ["LOG_LEVEL"]}
    policy = policy_for(tmp_path, "orders-api", {"app": names})
    code, report, _ = check(cli, policy, FILES / "express.yaml", "--express-container", "app")
    assert (code, report["findings"]) == (0, [])
    assert "Express Mode's primary container named app" in report["plan"]
    code, report, _ = check(cli, policy, FILES / "express.yaml")
    assert code == 1
    assert report["findings"][0]["rule_id"] == "DG207"
    assert "primary container named Main" in report["plan"]


def test_a_secret_as_a_plain_variable_is_caught_at_its_entry(cli: Cli, tmp_path: Path) -> None:
    template = tmp_path / "plain.yaml"
    template.write_text(
        (FILES / "express.yaml")
        .read_text()
        .replace(
            "Name: LOG_LEVEL\n            Value: info",
            "Name: DB_PASSWORD\n            Value: !Ref DbSecret",
        )
        .replace(
            "        Secrets:\n          - Name: DB_PASSWORD\n            ValueFrom: !Ref DbSecret\n",
            "",
        )
    )
    policy = policy_for(tmp_path, "orders-api", {"Main": {"secrets": ["DB_PASSWORD"]}})
    code, report, _ = check(cli, policy, template)
    assert code == 1
    rules = {f["rule_id"]: f for f in report["findings"]}
    assert rules["DG103"]["declared_in"] == f"{template}:16"
    assert rules["DG106"]["target"]["variable"] == "DB_PASSWORD"  # a secret's ARN in clear


def test_unresolved_parts_are_shown_and_never_passed(cli: Cli, tmp_path: Path) -> None:
    # Copilot's container is named by a parameter without a default; its env file is an Fn::If.
    policy = policy_for(tmp_path, "front", {"front": {"secrets": ["GITHUB_TOKEN"]}})
    code, report, _ = check(cli, policy, FILES / "copilot.yml", "--service", "Service")
    assert code == 3
    [finding] = report["findings"]
    assert finding["rule_id"] == "DG903"
    assert "parameter WorkloadName (no default)" in finding["message"]
    assert finding["declared_in"] == f"{FILES / 'copilot.yml'}:46"
    assert "Fn::If on condition HasEnvFile" in report["plan"]
    # hand.json: one variable's name is a Sub of a parameter without... a default: resolved
    policy = policy_for(tmp_path, "worker-prod", {"worker": {"environment": ["OTHER"]}})
    template = tmp_path / "t.json"
    template.write_text(
        (FILES / "hand.json").read_text().replace("${Env}_FLAG", "${DbPasswordArn}")
    )
    code, report, _ = check(cli, policy, template)
    assert code == 3
    assert {f["rule_id"] for f in report["findings"]} >= {"DG903"}


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("Resources: [1, 2", "not YAML or JSON (line 2: did not find"),
        ('{"Resources": {', "not JSON (line 1"),
        ("Description: no resources\n", "no Resources mapping"),
        ("Resources:\n  A:\n    Properties: {}\n", ":2: resource A has no Type"),
        (
            "Resources:\n  T:\n    Type: AWS::ECS::TaskDefinition\n    Properties:\n"
            "      ContainerDefinitions: !If [C, [], []]\n",
            ":5: ContainerDefinitions of T is not a list",
        ),
        ("", "empty"),
    ],
)
def test_a_malformed_template_is_exit_2_in_one_line(
    cli: Cli, tmp_path: Path, text: str, problem: str
) -> None:
    template = tmp_path / "bad.yaml"
    template.write_text(text)
    policy = policy_for(tmp_path, "s", {"api": {"secrets": ["A"]}})
    code, _, stderr = check(cli, policy, template)
    assert code == 2
    assert len(stderr.strip().splitlines()) == 1, stderr
    assert stderr.startswith(f"drift-gate: error: {template}"), stderr
    assert problem in stderr, stderr


def test_short_tags_read_as_cloudformation_reads_them() -> None:
    text = (
        "A: !Ref X\nB: !GetAtt R.Arn\nC: !Sub ['${a}', {a: !Ref Y}]\nD: !Ref: Z\n"
        "E: !Condition IsProd\nF: !If [C, 1, 2]\nG: !ImportValue e\nH: 2024-01-01\nI: !GetAtt [R, Arn]\n"
    )
    document = decode_template(text, "t.yaml").document
    assert document == {
        "A": {"Ref": "X"},
        "B": {"Fn::GetAtt": ["R", "Arn"]},
        "C": {"Fn::Sub": ["${a}", {"a": {"Ref": "Y"}}]},
        "D": {"Ref": "Z"},
        "E": {"Condition": "IsProd"},
        "F": {"Fn::If": ["C", 1, 2]},
        "G": {"Fn::ImportValue": "e"},
        "H": "2024-01-01",
        "I": {"Fn::GetAtt": ["R", "Arn"]},
    }
    assert decode_template(text, "t.yaml").line(("F",)) == 6


def test_intrinsics_resolve_what_the_template_knows() -> None:
    context = TemplateContext(
        parameters={"Env": "prod", "Tag": None},
        resources={"Db": "AWS::SecretsManager::Secret", "Q": "AWS::SQS::Queue"},
        mappings={"M": {"prod": {"Name": "shop"}}},
    )
    assert resolve({"Fn::Sub": "${Env}-${AWS::Partition}"}, context) == "prod-aws"
    assert resolve({"Fn::Join": ["-", ["a", {"Ref": "Env"}]]}, context) == "a-prod"
    assert resolve({"Fn::FindInMap": ["M", {"Ref": "Env"}, "Name"]}, context) == "shop"
    assert resolve({"Fn::Select": ["1", ["a", "b"]]}, context) == "b"
    assert resolve({"Ref": "Db"}, context) == DeclaredHere("Db", "AWS::SecretsManager::Secret")
    for unknown, words in [
        ({"Ref": "Tag"}, "parameter Tag (no default)"),
        ({"Fn::ImportValue": "x"}, "Fn::ImportValue"),
        ("{{resolve:ssm:/a}}", "{{resolve:...}}"),
        ({"Fn::If": ["C", "a", "b"]}, "Fn::If on condition C"),
        ({"Ref": "Q"}, "the physical id of Q"),
        ({"Fn::Sub": "${AWS::AccountId}"}, "pseudo-parameter AWS::AccountId"),
    ]:
        found = resolve(unknown, context)
        assert isinstance(found, Unresolved), unknown
        assert words in found.words, (unknown, found)


def test_the_reader_names_services_task_definitions_and_nested_stacks() -> None:
    template = read_template(FILES / "copilot.yml")
    assert template.nested_stacks == (("AddonsStack", f"{FILES / 'copilot.yml'}:80"),)
    [service] = template.services
    assert (service.logical_id, service.task_definition, service.service_name) == (
        "Service",
        "TaskDefinition",
        None,
    )
    hand = read_template(FILES / "hand.yaml")
    assert (hand.services[0].cluster_name, hand.services[0].service_name) == (
        "shop-prod",
        "shop-api-prod",
    )
    [container] = hand.task_definitions["TaskDefinition"].containers
    assert container.declared_here == ("DB_PASSWORD", "API_KEY")
    assert container.secret_at["API_KEY"] == f"{FILES / 'hand.yaml'}:39"


def test_a_template_too_deep_is_refused_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "deep.yaml"
    path.write_text("Resources: " + "[" * 300 + "]" * 300 + "\n")
    with pytest.raises(InvalidInputError, match="nested too deeply"):
        read_template(path)


TASK_DEFINITION = {
    "Type": "AWS::ECS::TaskDefinition",
    "Properties": {
        "ExecutionRoleArn": {"Fn::GetAtt": ["Role", "Arn"]},
        "ContainerDefinitions": [
            {
                "Name": "api",
                "Image": {"Fn::Sub": "${Repo}:${Tag}"},
                "Secrets": [{"Name": "DB_PASSWORD", "ValueFrom": {"Ref": "Db"}}],
                "EnvironmentFiles": [
                    {"Fn::If": ["Prod", {"Value": "arn:aws:s3:::b/p.env"}, {"Ref": "AWS::NoValue"}]}
                ],
            },
            {"Name": {"Fn::Join": ["-", [{"Ref": "App"}, "sidecar"]]}, "Image": {"Ref": "Img"}},
        ],
    },
}


def test_a_task_definition_file_with_intrinsics_is_read_not_refused(
    cli: Cli, tmp_path: Path
) -> None:
    """Image and Name as Ref/Fn::Sub/Fn::Join and an Fn::If environment file were exit 2; they
    are read with the template reader's one handling of intrinsics: unresolved, never passed."""
    path = tmp_path / "task.json"
    path.write_text(json.dumps(TASK_DEFINITION))
    policy = policy_for(tmp_path, "s", {"api": {"secrets": ["DB_PASSWORD"]}})
    arguments = ["check", "--offline", "--policy", str(policy), "--task-definition", str(path)]
    passed = cli.run(*arguments)
    assert passed.exit_code == 0, passed.stderr
    policy = policy_for(tmp_path, "s", {"api": {"secrets": ["DB_PASSWORD", "FROM_FILE"]}})
    report = tmp_path / "r.json"
    result = cli.run(*arguments, "--format", "json", "--output", str(report))
    assert result.exit_code == 3, result.stderr  # FROM_FILE may be in the Fn::If env file
    [finding] = json.loads(report.read_text())["findings"]
    assert (finding["rule_id"], finding["target"]["variable"]) == ("DG903", "FROM_FILE")
    policy = policy_for(tmp_path, "s", {"sidecar": {"environment": ["A"]}})
    result = cli.run(*arguments, "--format", "json", "--output", str(report))
    assert result.exit_code == 3, result.stderr  # the second container's name is a Join of Ref
    [finding] = json.loads(report.read_text())["findings"]
    assert finding["rule_id"] == "DG903"
    assert "known only at deploy time" in finding["message"]


def test_a_parameters_file_names_what_the_deploy_passes(cli: Cli, tmp_path: Path) -> None:
    """Copilot names the container by a parameter `copilot svc package` writes beside the
    template; with it, the container is known and the Fn::If env file decided (left out)."""
    names = {"secrets": ["GITHUB_TOKEN", "DB_SECRET"], "environment": ["LOG_LEVEL"]}
    policy = policy_for(tmp_path, "front", {"front": names})
    params = ["--cfn-parameters", str(FILES / "copilot.params.json"), "--service", "Service"]
    code, report, stderr = check(cli, policy, FILES / "copilot.yml", *params)
    assert code == 0, stderr
    # the COPILOT_* variables Copilot adds are named, undeclared (info); nothing unresolved
    assert {f["rule_id"] for f in report["findings"]} == {"DG107"}
    assert "unresolved" not in report["plan"]
    names["secrets"].append("STRIPE_KEY")
    policy = policy_for(tmp_path, "front", {"front": names})
    code, report, _ = check(cli, policy, FILES / "copilot.yml", *params)
    [missing] = [f for f in report["findings"] if f["rule_id"] == "DG101"]
    assert missing["target"]["variable"] == "STRIPE_KEY"
    bad = tmp_path / "bad.json"
    bad.write_text('{"Tags": {}}')
    code, _, stderr = check(cli, policy, FILES / "copilot.yml", "--cfn-parameters", str(bad))
    assert code == 2
    assert stderr.startswith(f"drift-gate: error: {bad}: not a parameters file"), stderr


def test_conditions_the_template_decides_choose_their_branch() -> None:
    from drift_gate.sources.cfn_intrinsics import NO_VALUE, choose, condition

    context = TemplateContext(
        parameters={"Env": "prod", "Arn": ""},
        conditions={
            "IsProd": {"Fn::Equals": [{"Ref": "Env"}, "prod"]},
            "HasFile": {"Fn::Not": [{"Fn::Equals": [{"Ref": "Arn"}, ""]}]},
            "Both": {"Fn::And": [{"Condition": "IsProd"}, {"Condition": "HasFile"}]},
            "Unknown": {"Fn::Equals": [{"Ref": "Nope"}, "x"]},
        },
    )
    assert (condition("IsProd", context), condition("HasFile", context)) == (True, False)
    assert condition("Both", context) is False
    assert condition("Unknown", context) is None
    assert choose({"Fn::If": ["HasFile", "a", {"Ref": "AWS::NoValue"}]}, context) is NO_VALUE
    assert resolve({"Fn::If": ["IsProd", "big", "small"]}, context) == "big"
    assert isinstance(choose({"Fn::If": ["Unknown", "a", "b"]}, context), Unresolved)


def test_a_no_echo_parameter_in_a_plain_value_is_a_secret_in_clear(
    cli: Cli, tmp_path: Path
) -> None:
    template = tmp_path / "t.yaml"
    template.write_text(
        "Parameters:\n  DBPassword:\n    Type: String\n    NoEcho: true\n"
        "Resources:\n  T:\n    Type: AWS::ECS::TaskDefinition\n    Properties:\n"
        "      ContainerDefinitions:\n        - Name: api\n          Environment:\n"
        "            - Name: DATABASE_URL\n"
        "              Value: !Sub 'postgresql://app:${DBPassword}@db:5432/app'\n"
    )
    policy = policy_for(tmp_path, "s", {"api": {"environment": ["DATABASE_URL"]}})
    code, report, _ = check(cli, policy, template)
    assert code == 1
    [finding] = report["findings"]
    assert (finding["rule_id"], finding["declared_in"]) == ("DG106", f"{template}:12")
    assert "NoEcho parameter" in finding["message"]


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("Resources: {}\nResources: {}\n", ":2: Resources is given twice"),
        ('{"Resources": {}, "Resources": {}}', ": Resources is given twice"),
    ],
)
def test_a_duplicate_key_is_refused_as_cloudformation_does(
    tmp_path: Path, text: str, where: str
) -> None:
    path = tmp_path / "dup.yaml"
    path.write_text(text)
    with pytest.raises(InvalidInputError, match=where):
        read_template(path)


def test_inventory_lists_a_templates_names_and_where_each_is(cli: Cli, tmp_path: Path) -> None:
    output = tmp_path / "ENVIRONMENT_VARIABLES.md"
    template = FILES / "hand.yaml"
    arguments = ["inventory", "--no-policy", "--cfn-template", str(template), "-o", str(output)]
    assert cli.run(*arguments).exit_code == 0
    markdown = output.read_text()
    assert "### service shop-api-prod (cluster shop-prod)" in markdown
    relative = Path(os.path.relpath(template, tmp_path)).as_posix()
    assert f"| `DB_PASSWORD` | secret | [{relative}:37]({relative}#L37) |" in markdown
    assert "`declared in this template`" in markdown
    assert cli.run(*arguments, "--check").exit_code == 0
    copilot = cli.run("inventory", "--no-policy", "--cfn-template", str(FILES / "copilot.yml"))
    assert "unresolved: Fn::If on condition HasEnvFile" in copilot.stdout
    assert "Nested stack `AddonsStack`" in copilot.stdout


def test_service_picks_a_templates_service_offline_only(cli: Cli, tmp_path: Path) -> None:
    template = FILES / "hand.yaml"
    result = cli.run("check", "--cfn-template", str(template), "--service", "Service")
    assert result.exit_code == 2
    assert "--service picks a template's service with --offline" in result.stderr
    stray = cli.run("check", "--offline", "--policy", str(FILES / "policy.yaml"), "--stack", "s")
    assert stray.exit_code == 2
    assert "--stack goes with --cfn-template" in stray.stderr


def test_the_stack_name_resolves_aws_stack_name_offline(cli: Cli, tmp_path: Path) -> None:
    template = tmp_path / "t.yaml"
    template.write_text(
        "Resources:\n  T:\n    Type: AWS::ECS::TaskDefinition\n    Properties:\n"
        "      ExecutionRoleArn: r\n      ContainerDefinitions:\n"
        "        - Name: !Sub '${AWS::StackName}-api'\n          Environment:\n"
        "            - {Name: A, Value: '1'}\n"
    )
    policy = policy_for(tmp_path, "s", {"shop-api": {"environment": ["A"]}})
    code, report, _ = check(cli, policy, template)
    assert code == 3  # the container's name is known only with the stack's name
    assert report["findings"][0]["rule_id"] == "DG903"
    code, report, stderr = check(cli, policy, template, "--stack", "shop")
    assert (code, report["findings"]) == (0, []), stderr


def test_a_service_without_a_task_definition_of_the_template_is_said_so(
    cli: Cli, tmp_path: Path
) -> None:
    template = tmp_path / "t.yaml"
    template.write_text(
        "Resources:\n  Api:\n    Type: AWS::ECS::Service\n"
        "    Properties: {TaskDefinition: !ImportValue other-stack-task}\n"
    )
    policy = policy_for(tmp_path, "s", {"api": {"secrets": ["A"]}})
    code, _, stderr = check(cli, policy, template, "--service", "Api")
    assert code == 2
    assert f"{template}:2: the service runs no task definition of the templates" in stderr
    assert "Fn::ImportValue" in stderr


def test_a_key_of_a_secret_the_cdk_template_declares_is_declared_here() -> None:
    template = read_template(FILES / "cdk.template.json")
    [container] = template.task_definitions["ApiTaskDefC7B9D7A1"].containers
    assert container.declared_here == ("DB_PASSWORD", "DB_USER")
