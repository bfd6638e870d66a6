"""Which template service `check --offline --cfn-template` checks against which policy
service: every template given is read, a `--service` is tied to its template, a template
service with no or several policy services is refused (exit 2), never left unchecked; and
`init`'s drafts of such templates check what they say (issue 26, fixed after review)."""

from __future__ import annotations

import shlex
from pathlib import Path

from tests.conftest import Cli

# Copilot-shaped: the service's logical id is `Service` in every template, no ServiceName.
COPILOT = """
Resources:
  TaskDefinition:
    Type: AWS::ECS::TaskDefinition
    Properties:
      ExecutionRoleArn: r
      ContainerDefinitions:
        - Name: {name}
          Image: x
          Environment: [{{Name: {upper}_URL, Value: u}}]
          Secrets: [{{Name: {upper}_KEY, ValueFrom: /k}}]
  Service:
    Type: AWS::ECS::Service
    Properties:
      Cluster: shop
      TaskDefinition: !Ref TaskDefinition
"""

TWO = """
Resources:
  ApiTask:
    Type: AWS::ECS::TaskDefinition
    Properties:
      ContainerDefinitions:
        - {Name: app, Image: x}
  Api:
    Type: AWS::ECS::Service
    Properties: {Cluster: c, ServiceName: api, TaskDefinition: !Ref ApiTask}
  WorkerTask:
    Type: AWS::ECS::TaskDefinition
    Properties:
      ContainerDefinitions:
        - {Name: app, Image: x, Environment: [{Name: QUEUE, Value: q}]}
  Worker:
    Type: AWS::ECS::Service
    Properties: {Cluster: c, ServiceName: worker, TaskDefinition: !Ref WorkerTask}
"""

TWO_ENVIRONMENTS = """
version: 1
environments:
  staging:
    region: us-east-1
    services:
      - {cluster: c, service: api, containers: {app: {secrets: [DB_PASSWORD]}}}
  prod:
    region: us-east-1
    services:
      - {cluster: c, service: api, containers: {app: {secrets: [DB_PASSWORD]}}}
      - {cluster: c, service: worker, containers: {app: {environment: [QUEUE]}}}
"""

# Each branch names other variables: no name is known before deploy (a name in every branch
# would be, and is drafted: tests/unit/test_cfn_review.py).
CONDITIONAL = """
Parameters:
  Tier: {Type: String}
Conditions:
  Paid: !Equals [!Ref Tier, paid]
Resources:
  Task:
    Type: AWS::ECS::TaskDefinition
    Properties:
      ContainerDefinitions:
        - Name: app
          Image: x
          Environment: !If [Paid, [{Name: DB_HOST, Value: a}], [{Name: LITE_HOST, Value: b}]]
          Secrets: !If [Paid, [{Name: DB_PASSWORD, ValueFrom: a}], [{Name: LITE_KEY, ValueFrom: b}]]
  Service:
    Type: AWS::ECS::Service
    Properties: {Cluster: c, ServiceName: api, TaskDefinition: !Ref Task}
"""


def copilot_pair(tmp_path: Path) -> None:
    for name in ("front", "back"):
        text = COPILOT.format(name=name, upper=name.upper())
        (tmp_path / f"{name}.yaml").write_text(text, encoding="utf-8")


def printed_check(cli: Cli, output: str) -> list[str]:
    words = shlex.split(output.strip().splitlines()[-1])
    assert words[:3] == ["drift-gate", "check", "--offline"]
    return words[1:]


def test_init_ties_each_service_to_its_template_and_both_are_checked(
    cli: Cli, tmp_path: Path
) -> None:
    copilot_pair(tmp_path)
    result = cli.run("init", "--cfn-template", "front.yaml", "--cfn-template", "back.yaml")
    assert result.exit_code == 0, result.stderr
    check = printed_check(cli, result.stdout)
    assert "front.yaml:Service=front-Service" in check
    assert "back.yaml:Service=back-Service" in check
    assert cli.run("validate-policy", "drift-gate.yaml").exit_code == 0
    passed = cli.run(*check)
    assert passed.exit_code == 0, passed.stdout + passed.stderr

    back = (tmp_path / "back.yaml").read_text(encoding="utf-8")
    (tmp_path / "back.yaml").write_text(back.replace("[{Name: BACK_KEY, ValueFrom: /k}]", "[]"))
    failed = cli.run(*check)
    assert failed.exit_code == 1, failed.stdout + failed.stderr
    assert "BACK_KEY" in failed.stdout


def test_a_bare_name_in_several_templates_is_exit_2(cli: Cli, tmp_path: Path) -> None:
    copilot_pair(tmp_path)
    assert (
        cli.run("init", "--cfn-template", "front.yaml", "--cfn-template", "back.yaml").exit_code
        == 0
    )
    files = ["--cfn-template", "front.yaml", "--cfn-template", "back.yaml"]

    bare = cli.run("check", "--offline", *files, "--service", "Service", "--service", "Service")
    assert bare.exit_code == 2
    assert "--service Service is in several templates (front.yaml, back.yaml)" in bare.stderr
    assert len([line for line in bare.stderr.splitlines() if "error" in line]) == 1

    one = cli.run("check", "--offline", *files, "--service", "front.yaml:Service=front-Service")
    assert one.exit_code == 2
    assert "--cfn-template back.yaml: no service of it is checked" in one.stderr

    stray = cli.run("check", "--offline", *files[:2], "--service", "other.yaml:Service")
    assert stray.exit_code == 2
    assert "other.yaml is none of the --cfn-template files" in stray.stderr


def test_a_service_of_several_environments_is_refused_not_skipped(cli: Cli, tmp_path: Path) -> None:
    (tmp_path / "two.yaml").write_text(TWO, encoding="utf-8")
    (tmp_path / "p.yaml").write_text(TWO_ENVIRONMENTS, encoding="utf-8")
    given = ["check", "--offline", "--cfn-template", "two.yaml", "--policy", "p.yaml"]

    both = cli.run(*given)
    assert both.exit_code == 2
    assert "template service Api (ServiceName api) is a service of several" in both.stderr
    assert "give --environment ENV" in both.stderr

    prod = cli.run(*given, "--environment", "prod")
    assert prod.exit_code == 1  # api lacks DB_PASSWORD: checked, not skipped
    assert "DB_PASSWORD" in prod.stdout


def test_a_service_without_service_name_is_refused_not_skipped(cli: Cli, tmp_path: Path) -> None:
    (tmp_path / "two.yaml").write_text(TWO.replace("ServiceName: api, ", ""), encoding="utf-8")
    (tmp_path / "p.yaml").write_text(TWO_ENVIRONMENTS, encoding="utf-8")
    given = ["check", "--offline", "--cfn-template", "two.yaml", "--policy", "p.yaml"]

    unnamed = cli.run(*given, "--environment", "prod")
    assert unnamed.exit_code == 2
    assert "template service Api has no ServiceName" in unnamed.stderr
    assert "give --service LOGICAL_ID" in unnamed.stderr

    named = cli.run(*given, "--environment", "prod", "--service", "Api=api")
    assert named.exit_code == 1
    assert "DB_PASSWORD" in named.stdout


def test_a_service_the_policy_lacks_is_refused_not_skipped(cli: Cli, tmp_path: Path) -> None:
    (tmp_path / "two.yaml").write_text(TWO, encoding="utf-8")
    only_api = TWO_ENVIRONMENTS.split("  prod:", maxsplit=1)[0]
    (tmp_path / "p.yaml").write_text(only_api, encoding="utf-8")

    result = cli.run("check", "--offline", "--cfn-template", "two.yaml", "--policy", "p.yaml")

    assert result.exit_code == 2
    assert "template service Worker (ServiceName worker) is no service of the policy" in (
        result.stderr
    )


def test_init_drafts_no_empty_entry_for_a_container_only_a_deploy_names(
    cli: Cli, tmp_path: Path
) -> None:
    (tmp_path / "unk.yaml").write_text(CONDITIONAL, encoding="utf-8")

    result = cli.run("init", "--cfn-template", "unk.yaml")

    assert result.exit_code == 3  # nothing could be drafted: no policy that passes vacuously
    assert "container app: not drafted: no name of it is known before deploy" in result.stderr
    assert "receives no variable" not in result.stdout + result.stderr
    assert not (tmp_path / "drift-gate.yaml").exists()


def test_init_drafts_the_other_containers_and_says_why_one_is_left_out(
    cli: Cli, tmp_path: Path
) -> None:
    sidecar = "        - {Name: log, Image: x, Environment: [{Name: LEVEL, Value: i}]}\n"
    text = CONDITIONAL.replace("  Service:\n", sidecar + "  Service:\n")
    (tmp_path / "unk.yaml").write_text(text, encoding="utf-8")

    result = cli.run("init", "--cfn-template", "unk.yaml")

    assert result.exit_code == 0, result.stderr
    written = (tmp_path / "drift-gate.yaml").read_text(encoding="utf-8")
    assert "app:" not in written.replace("# container app:", "")
    assert "container app: not drafted" in written
    assert "receives no variable" not in written


def test_secrets_only_a_deploy_names_still_need_an_execution_role(cli: Cli, tmp_path: Path) -> None:
    (tmp_path / "unk.yaml").write_text(CONDITIONAL, encoding="utf-8")
    policy = "version: 1\nenvironments:\n  prod:\n    region: us-east-1\n    services:\n"
    policy += "      - {cluster: c, service: api, containers: {app: {environment: [DB_HOST]}}}\n"
    (tmp_path / "p.yaml").write_text(policy, encoding="utf-8")

    result = cli.run("check", "--offline", "--cfn-template", "unk.yaml", "--policy", "p.yaml")

    assert result.exit_code == 3, result.stdout + result.stderr  # DB_HOST: unresolved (DG903)
    assert "DG307" in result.stdout
    assert "references secrets (names unresolved until deploy)" in result.stdout


def test_inventory_of_templates_alone_names_what_it_read(cli: Cli, tmp_path: Path) -> None:
    copilot_pair(tmp_path)

    result = cli.run("inventory", "--no-policy", "--cfn-template", "front.yaml")

    assert result.exit_code == 0, result.stderr
    assert "from the CloudFormation template(s) `front.yaml`" in result.stdout
    assert "Terraform" not in result.stdout
    assert "No aws_ecs_task_definition" not in result.stdout


TERRAFORM = """
variable "envs" { type = list(any) }
resource "aws_ecs_task_definition" "t" {
  family = "t"
  container_definitions = jsonencode([{
    name = "app"
    image = "x"
    environment = var.envs
  }, {
    name = "log"
    image = "y"
    environment = [{ name = "LEVEL", value = "i" }]
  }])
}
resource "aws_ecs_service" "s" {
  name = "api"
  cluster = "c"
  task_definition = aws_ecs_task_definition.t.arn
}
"""


def test_terraform_containers_only_a_deploy_names_are_left_out_as_well(
    cli: Cli, tmp_path: Path
) -> None:
    (tmp_path / "infra").mkdir()
    (tmp_path / "infra" / "main.tf").write_text(TERRAFORM, encoding="utf-8")

    result = cli.run("init", "--terraform-dir", "infra", "--region", "us-east-1")

    assert result.exit_code == 0, result.stderr
    written = (tmp_path / "drift-gate.yaml").read_text(encoding="utf-8")
    assert "# container app: not drafted: no name of it is known before deploy" in written
    assert "app: {}" not in written
    assert "- LEVEL" in written
    assert cli.run("validate-policy", "drift-gate.yaml").exit_code == 0


def test_a_template_whose_services_none_pairs_is_exit_2_not_left_unread(
    cli: Cli, tmp_path: Path
) -> None:
    (tmp_path / "two.yaml").write_text(TWO, encoding="utf-8")
    (tmp_path / "p.yaml").write_text(TWO_ENVIRONMENTS, encoding="utf-8")
    task_only = COPILOT.format(name="job", upper="JOB").split("  Service:")[0]
    (tmp_path / "job.yaml").write_text(task_only, encoding="utf-8")
    given = ["--cfn-template", "two.yaml", "--cfn-template", "job.yaml", "--policy", "p.yaml"]

    result = cli.run("check", "--offline", *given, "--environment", "prod")

    assert result.exit_code == 2
    assert "--cfn-template job.yaml: no service of it is checked" in result.stderr


def test_a_template_file_name_may_hold_an_equals_sign(cli: Cli, tmp_path: Path) -> None:
    copilot_pair(tmp_path)
    (tmp_path / "back.yaml").rename(tmp_path / "b=ack.yaml")
    files = ["--cfn-template", "front.yaml", "--cfn-template", "b=ack.yaml"]
    assert cli.run("init", *files).exit_code == 0

    tied = ["--service", "front.yaml:Service=front-Service"]
    plain = cli.run("check", "--offline", *files, *tied, "--service", "b=ack.yaml:Service")
    assert plain.exit_code == 2  # read as FILE:NAME; the policy names it b-ack-Service
    assert "the policy declares no service named so" in plain.stderr
    named = cli.run(
        "check", "--offline", *files, *tied, "--service", "b=ack.yaml:Service=b-ack-Service"
    )
    assert named.exit_code == 0, named.stdout + named.stderr


def test_templates_of_one_file_name_in_two_directories_draft_two_entries(
    cli: Cli, tmp_path: Path
) -> None:
    for name in ("front", "back"):
        (tmp_path / name).mkdir()
        text = COPILOT.format(name=name, upper=name.upper())
        (tmp_path / name / "svc.yaml").write_text(text, encoding="utf-8")

    result = cli.run("init", "--cfn-template", "front/svc.yaml", "--cfn-template", "back/svc.yaml")

    assert result.exit_code == 0, result.stderr
    check = printed_check(cli, result.stdout)
    assert "front/svc.yaml:Service=svc-Service" in check
    assert "back/svc.yaml:Service=svc-Service-2" in check
    passed = cli.run(*check)
    assert passed.exit_code == 0, passed.stdout + passed.stderr
