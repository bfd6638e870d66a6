"""`drift-gate init --cfn-template`: each template shape the reader reads (hand-written YAML
with short tags, JSON, CDK synth, Copilot package, Express Mode) drafted, validated, then
checked offline against the template with the command init prints; a value in the template
reaches neither the file nor any output; what resolves only at deploy is a note."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO, Cli

CFN = REPO / "tests" / "fixtures" / "cfn"
CANARY = "canary-init-cfn-value-61d2"

TEMPLATE = f"""
Parameters:
  Stage:
    Type: String
Resources:
  Task:
    Type: AWS::ECS::TaskDefinition
    Properties:
      ExecutionRoleArn: arn:aws:iam::123456789012:role/exec
      ContainerDefinitions:
        - Name: web
          Environment:
            - Name: MODE
              Value: {CANARY}
            - Name: !Sub "${{Stage}}_FLAG"
              Value: {CANARY}
          Secrets:
            - Name: TOKEN
              ValueFrom: !ImportValue shared-token-arn
  Web:
    Type: AWS::ECS::Service
    Properties:
      ServiceName: web
      Cluster: shop
      TaskDefinition: !Ref Task
"""


@pytest.mark.parametrize(
    ("template", "parameters"),
    [
        ("hand.yaml", None),
        ("hand.json", None),
        ("cdk.template.json", None),
        ("copilot.yml", "copilot.params.json"),
        ("express.yaml", None),
    ],
)
def test_each_shape_drafted_validated_and_checked(
    cli: Cli, tmp_path: Path, template: str, parameters: str | None
) -> None:
    for name in (template, parameters):
        if name:
            shutil.copy(CFN / name, tmp_path / name)
    given = ("--cfn-parameters", parameters) if parameters else ()

    result = cli.run("init", "--cfn-template", template, *given)

    assert result.exit_code == 0, result.stderr
    assert cli.run("validate-policy", "drift-gate.yaml").exit_code == 0
    check = result.stdout.strip().splitlines()[-1].split()
    assert check[:3] == ["drift-gate", "check", "--offline"]
    checked = cli.run(*check[1:])
    assert checked.exit_code == 0, checked.stdout + checked.stderr


def test_values_never_written_and_deploy_time_names_are_notes(cli: Cli, tmp_path: Path) -> None:
    (tmp_path / "web.yaml").write_text(TEMPLATE, encoding="utf-8")

    result = cli.run("init", "--cfn-template", "web.yaml")

    assert result.exit_code == 0, result.stderr
    written = (tmp_path / "drift-gate.yaml").read_text(encoding="utf-8")
    [service] = yaml.safe_load(written)["environments"]["default"]["services"]
    assert service == {
        "cluster": "shop",
        "service": "web",
        "containers": {"web": {"secrets": ["TOKEN"], "environment": ["MODE"]}},
    }
    assert "- MODE  # web.yaml:13" in written
    assert "web.yaml:15: unresolved: Fn::Sub" in written  # the name known only at deploy: a note
    checked = cli.run("check", "--offline", "--cfn-template", "web.yaml", "--service", "Web")
    for text in (written, result.stdout, result.stderr, checked.stdout, checked.stderr):
        assert CANARY not in text
    assert checked.exit_code == 0, checked.stdout


def test_a_name_removed_from_the_template_is_dg101(cli: Cli, tmp_path: Path) -> None:
    known = TEMPLATE.replace(
        f'            - Name: !Sub "${{Stage}}_FLAG"\n              Value: {CANARY}\n', ""
    )
    (tmp_path / "web.yaml").write_text(known, encoding="utf-8")
    assert cli.run("init", "--cfn-template", "web.yaml").exit_code == 0
    (tmp_path / "web.yaml").write_text(known.replace("- Name: TOKEN", "- Name: TOKEN2"))

    checked = cli.run("check", "--offline", "--cfn-template", "web.yaml", "--service", "Web")

    assert checked.exit_code == 1
    assert "DG101" in checked.stdout
    assert "TOKEN" in checked.stdout


def test_parameters_without_a_template_are_bad_input(cli: Cli, tmp_path: Path) -> None:
    result = cli.run("init", "--cfn-parameters", "p.json", "--terraform-dir", ".")

    assert (result.exit_code, result.stderr) == (
        2,
        "drift-gate: error: --cfn-parameters goes with --cfn-template: give the template\n",
    )
