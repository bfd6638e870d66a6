"""`drift-gate init` from files: Terraform sources and task-definition files, offline.

Each drafted policy is validated and then checked against the source it came from, through
the CLI, with exact exit codes; values planted in the sources reach neither the file nor any
output. The live account is tests/e2e/test_init_account.py (moto over HTTP).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from drift_gate.commands.init import write_atomically
from drift_gate.engine.policy_draft import (
    VARIABLE_NAME,
    Draft,
    DraftEnvironment,
    DraftService,
    draft_container,
)
from drift_gate.engine.policy_draft_text import PLACEHOLDER, PLACEHOLDER_REGION, policy_text
from drift_gate.errors import InvalidInputError
from drift_gate.policy import find_problems
from drift_gate.yamlfile import parse_yaml
from tests.conftest import Cli

CANARIES = ("canary-init-plain-3f9a", "hf_CanaryInitTokenValue7Q2xW9mLp3RtY8", "canary-init-arn")

MAIN_TF = """
provider "aws" {
  region = "eu-central-1"
}

variable "hidden_name" {}
variable "cluster_arn" {}

resource "aws_ecs_cluster" "main" {
  name = "shop"
}

resource "aws_ecs_task_definition" "api" {
  family = "api"
  container_definitions = jsonencode([
    {
      name = "api"
      secrets = [
        { name = "DATABASE_URL", valueFrom = "arn:aws:secretsmanager:us-east-1:1:secret:canary-init-arn" },
        { name = var.hidden_name, valueFrom = "/app/hidden" },
      ]
      environment = [
        { name = "LOG_LEVEL", value = "canary-init-plain-3f9a" },
        { name = "HF_TOKEN", value = "canary-init-plain-3f9a" },
      ]
    },
    { name = "log-router" }
  ])
}

resource "aws_ecs_service" "api" {
  name            = "shop-api"
  cluster         = "shop"
  task_definition = aws_ecs_task_definition.api.arn
}

resource "aws_ecs_task_definition" "worker" {
  family = "worker"
  container_definitions = jsonencode([
    { name = "worker", secrets = [{ name = "QUEUE_KEY", valueFrom = "/shop/queue" }] }
  ])
}

resource "aws_ecs_service" "worker" {
  name            = "shop-worker"
  cluster         = aws_ecs_cluster.main.id
  task_definition = aws_ecs_task_definition.worker.arn
}

resource "aws_ecs_service" "cron" {
  name            = "shop-cron"
  cluster         = var.cluster_arn
  task_definition = aws_ecs_task_definition.worker.arn
}

resource "aws_ecs_task_definition" "templated" {
  family                = "templated"
  container_definitions = data.template_file.defs.rendered
}

resource "aws_ecs_service" "templated" {
  name            = "shop-templated"
  cluster         = "shop"
  task_definition = aws_ecs_task_definition.templated.arn
}

resource "aws_ecs_task_definition" "orphan" {
  family = "orphan"
  container_definitions = jsonencode([{ name = "orphan" }])
}
"""


def terraform_dir(tmp_path: Path, text: str = MAIN_TF) -> Path:
    directory = tmp_path / "infra"
    directory.mkdir()
    (directory / "main.tf").write_text(text, encoding="utf-8")
    return directory


def assert_no_canary(*texts: str) -> None:
    for text in texts:
        for canary in CANARIES:
            assert canary not in text


def test_terraform_sources_drafted_validated_and_checked(cli: Cli, tmp_path: Path) -> None:
    terraform_dir(tmp_path)

    result = cli.run("init", "--terraform-dir", "infra")

    assert (result.exit_code, result.stderr) == (0, "")
    written = (tmp_path / "drift-gate.yaml").read_text(encoding="utf-8")
    assert_no_canary(written, result.stdout, result.stderr)
    document = yaml.safe_load(written)
    environment = document["environments"]["default"]
    assert environment["region"] == "eu-central-1"  # the aws provider's
    assert environment["services"] == [
        {
            "cluster": "shop",
            "service": "shop-api",
            "containers": {
                "api": {"secrets": ["DATABASE_URL"], "environment": ["LOG_LEVEL", "HF_TOKEN"]},
                "log-router": {},
            },
        },
        {
            "cluster": "shop",  # the name of the aws_ecs_cluster it refers to
            "service": "shop-worker",
            "containers": {"worker": {"secrets": ["QUEUE_KEY"]}},
        },
        {
            "cluster": PLACEHOLDER,
            "service": "shop-cron",
            "containers": {"worker": {"secrets": ["QUEUE_KEY"]}},
        },
    ]
    # Where each name came from, and what could not be drafted, as comments.
    assert "- DATABASE_URL  # infra/main.tf:19" in written
    assert "infra/main.tf:20: " in written  # the name only a deploy knows: a comment
    assert "not drafted: aws_ecs_service.templated at infra/main.tf:" in written
    assert "not drafted: aws_ecs_task_definition.orphan at infra/main.tf:" in written
    assert "# REPLACE-ME: the source does not say the cluster" in written
    assert "# cluster: the name of aws_ecs_cluster.main" in written
    assert "wrote drift-gate.yaml: 3 service(s); 2 not drafted" in result.stdout
    next_check = "drift-gate check --offline --policy drift-gate.yaml --terraform-dir infra"
    assert next_check in result.stdout

    assert cli.run("validate-policy", "drift-gate.yaml").exit_code == 0
    checked = cli.run(*next_check.split()[1:])
    assert checked.exit_code == 0, checked.stdout + checked.stderr
    assert_no_canary(checked.stdout, checked.stderr)


def test_a_credential_in_a_plain_variable_is_said_and_then_reported_by_check(
    cli: Cli, tmp_path: Path
) -> None:
    terraform_dir(tmp_path, MAIN_TF.replace("canary-init-plain-3f9a", CANARIES[1]))

    assert cli.run("init", "--terraform-dir", "infra").exit_code == 0
    written = (tmp_path / "drift-gate.yaml").read_text(encoding="utf-8")
    checked = cli.run("check", "--offline", "--terraform-dir", "infra")

    assert "- LOG_LEVEL  # infra/main.tf:23; its value is in Hugging Face token format" in written
    assert checked.exit_code == 1
    assert "DG106" in checked.stdout
    assert_no_canary(written, checked.stdout, checked.stderr)


def test_the_drafted_policy_catches_a_name_removed_from_the_sources(
    cli: Cli, tmp_path: Path
) -> None:
    infra = terraform_dir(tmp_path)
    assert cli.run("init", "--terraform-dir", str(infra)).exit_code == 0
    (infra / "main.tf").write_text(
        MAIN_TF.replace('{ name = "QUEUE_KEY", valueFrom', '{ name = "QUEUE_TOKEN", valueFrom'),
        encoding="utf-8",
    )

    checked = cli.run(
        "check", "--offline", "--policy", "drift-gate.yaml", "--terraform-dir", "infra"
    )

    assert checked.exit_code == 1, checked.stdout
    assert "DG601" in checked.stdout
    assert "QUEUE_KEY" in checked.stdout


def test_task_definition_files_drafted_validated_and_checked(cli: Cli, tmp_path: Path) -> None:
    register = {
        "family": "billing",
        "executionRoleArn": "arn:aws:iam::1:role/exec",
        "containerDefinitions": [
            {
                "name": "app",
                "secrets": [{"name": "STRIPE_KEY", "valueFrom": "/billing/canary-init-arn"}],
                "environment": [{"name": "MODE", "value": CANARIES[0]}],
            }
        ],
    }
    (tmp_path / "billing.json").write_text(json.dumps(register, indent=2), encoding="utf-8")
    described = {"taskDefinition": {"containerDefinitions": [{"name": "web", "environment": []}]}}
    (tmp_path / "web.json").write_text(json.dumps(described), encoding="utf-8")

    result = cli.run(
        "init", "--task-definition", "billing.json", "--task-definition", "web.json",
        "--region", "eu-west-1", "--environment", "production", "--output", "policy.yaml",
    )  # fmt: skip

    assert result.exit_code == 0, result.stderr
    written = (tmp_path / "policy.yaml").read_text(encoding="utf-8")
    assert_no_canary(written, result.stdout)
    environment = yaml.safe_load(written)["environments"]["production"]
    assert environment["region"] == "eu-west-1"
    assert [(s["cluster"], s["service"], s["containers"]) for s in environment["services"]] == [
        (PLACEHOLDER, "billing", {"app": {"secrets": ["STRIPE_KEY"], "environment": ["MODE"]}}),
        (PLACEHOLDER, "web", {"web": {}}),
    ]
    assert "- STRIPE_KEY  # billing.json:6" in written  # the container's name
    assert "REPLACE-ME if the ECS service is named otherwise" in written
    assert cli.run("validate-policy", "policy.yaml").exit_code == 0
    # No region anywhere: a marked stand-in that validates and cannot pass live.
    assert cli.run("init", "--task-definition", "web.json", "--output", "web.yaml").exit_code == 0
    unknown = (tmp_path / "web.yaml").read_text(encoding="utf-8")
    assert f"region: {PLACEHOLDER_REGION}  # REPLACE-ME: the source does not say" in unknown
    assert cli.run("validate-policy", "web.yaml").exit_code == 0
    next_check = result.stdout.strip().splitlines()[-1].split()
    assert next_check[:4] == ["drift-gate", "check", "--offline", "--policy"]
    checked = cli.run(*next_check[1:])
    assert checked.exit_code == 0, checked.stdout + checked.stderr


def test_never_overwrites_without_force_and_writes_atomically(cli: Cli, tmp_path: Path) -> None:
    infra = terraform_dir(tmp_path)
    (tmp_path / "drift-gate.yaml").write_text("mine\n", encoding="utf-8")

    refused = cli.run("init", "--terraform-dir", str(infra))

    assert refused.exit_code == 2
    assert refused.stderr == (
        "drift-gate: error: drift-gate.yaml exists already; give --output another file, "
        "or --force to replace it\n"
    )
    assert (tmp_path / "drift-gate.yaml").read_text(encoding="utf-8") == "mine\n"
    assert cli.run("init", "--terraform-dir", str(infra), "--force").exit_code == 0
    assert "shop-api" in (tmp_path / "drift-gate.yaml").read_text(encoding="utf-8")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["drift-gate.yaml", "infra"]


def test_a_file_that_appears_while_drafting_is_not_replaced(tmp_path: Path) -> None:
    target = tmp_path / "drift-gate.yaml"
    target.write_text("theirs\n", encoding="utf-8")
    with pytest.raises(InvalidInputError, match="exists already"):
        write_atomically(target, "version: 1\n", force=False)
    assert target.read_text(encoding="utf-8") == "theirs\n"
    write_atomically(target, "version: 1\n", force=True)
    assert target.read_text(encoding="utf-8") == "version: 1\n"
    assert os.listdir(tmp_path) == ["drift-gate.yaml"]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ((), "no source to draft a policy from: give --terraform-dir DIR, --task-definition FILE, "
         "--cfn-template FILE or --from-account --region REGION"),
        (("--from-account",), "--from-account reads one region: give --region REGION"),
        (("--terraform-dir", "infra", "--cluster", "x"),
         "--cluster selects what --from-account reads: give --from-account"),
        (("--terraform-dir", "nowhere"), "nowhere: not a readable directory; give "
         "--terraform-dir the folder of your Terraform root module"),
        (("--terraform-dir", "empty"), "no ECS service found in the Terraform sources under "
         "empty: nothing to start a policy from; give the sources that declare your services "
         "(no policy was written)"),
        (("--task-definition", "missing.json"), None),
        (("--environment", "a b", "--terraform-dir", "infra"), None),
    ],
)  # fmt: skip
def test_bad_input_is_one_line_and_exit_2(
    cli: Cli, tmp_path: Path, arguments: tuple[str, ...], message: str | None
) -> None:
    terraform_dir(tmp_path)
    (tmp_path / "empty").mkdir()

    result = cli.run("init", *arguments)

    assert result.exit_code == 2
    if message is not None:
        assert result.stderr == f"drift-gate: error: {message}\n"
    assert not (tmp_path / "drift-gate.yaml").exists()


def test_services_none_of_which_can_be_read_are_could_not_verify(cli: Cli, tmp_path: Path) -> None:
    only_templated = MAIN_TF[MAIN_TF.index('resource "aws_ecs_task_definition" "templated"') :]
    terraform_dir(tmp_path, only_templated.split('resource "aws_ecs_task_definition" "orphan"')[0])

    result = cli.run("init", "--terraform-dir", "infra")

    assert result.exit_code == 3
    assert result.stderr.startswith(
        "drift-gate: error: 1 service(s) or task definition(s) found, and the containers of none "
        "could be read before deploy (the first: aws_ecs_service.templated at infra/main.tf:"
    )
    assert "its containers cannot be read offline" in result.stderr
    assert result.stderr.endswith("(no policy was written)\n")
    assert not (tmp_path / "drift-gate.yaml").exists()


NAMES = st.text(alphabet=st.characters(exclude_categories=["Cs"]), min_size=1, max_size=30)


@settings(max_examples=150, deadline=None)
@given(names=st.lists(NAMES, min_size=1, max_size=4, unique=True), origin=NAMES)
def test_any_name_reads_back_as_itself_and_the_draft_validates(
    names: list[str], origin: str
) -> None:
    """A name or origin holding YAML syntax, quotes, line breaks or control characters stays
    one scalar (or one comment): the text reads back as exactly the document drafted, and
    validates. A name no policy can declare (white space, '=') is a comment, not an entry."""
    container = draft_container(names[0], [(n, origin) for n in names], [])
    service = DraftService(names[-1], origin, origin, (container,), (origin,))
    draft = Draft((DraftEnvironment("default", origin, (service,)),))

    document = parse_yaml(policy_text(draft), "drift-gate.yaml")

    [entry] = document.data["environments"]["default"]["services"]
    declarable = [name for name in names if VARIABLE_NAME.fullmatch(name)]
    assert entry == {
        "cluster": origin,
        "service": names[-1],
        "containers": {names[0]: {"secrets": declarable} if declarable else {}},
    }
    assert find_problems(document) == []


def test_sources_together_each_an_environment_with_its_check(cli: Cli, tmp_path: Path) -> None:
    terraform_dir(tmp_path)
    rendered = {"family": "batch", "containerDefinitions": [{"name": "job", "environment": []}]}
    (tmp_path / "batch job.json").write_text(json.dumps(rendered), encoding="utf-8")

    result = cli.run("init", "--terraform-dir", "infra", "--task-definition", "batch job.json")

    assert result.exit_code == 0, result.stderr
    written = yaml.safe_load((tmp_path / "drift-gate.yaml").read_text(encoding="utf-8"))
    assert list(written["environments"]) == ["default-terraform", "default-files"]
    checks = [line.strip() for line in result.stdout.splitlines() if " check " in line]
    assert checks == [
        "drift-gate check --offline --policy drift-gate.yaml --environment default-terraform "
        "--terraform-dir infra",
        "drift-gate check --offline --policy drift-gate.yaml --environment default-files "
        "--task-definition 'batch job.json' --service 'batch job'",
    ]
    for check in (
        ("--environment", "default-terraform", "--terraform-dir", "infra"),
        ("--environment", "default-files", "--task-definition", "batch job.json", "--service",
         "batch job"),
    ):  # fmt: skip
        assert cli.run("check", "--offline", *check).exit_code == 0


def test_template_placeholders_are_notes_never_required_names(cli: Cli, tmp_path: Path) -> None:
    rendered = [
        {
            "name": "app",
            "environment": [{"name": "MODE", "value": "x"}, {"name": "${EXTRA}", "value": "y"}],
        },
        {"name": '{{ must_env "SIDECAR" }}', "environment": []},
    ]
    (tmp_path / "app.json").write_text(json.dumps(rendered, indent=1), encoding="utf-8")

    result = cli.run("init", "--task-definition", "app.json")

    assert result.exit_code == 0, result.stderr
    written = (tmp_path / "drift-gate.yaml").read_text(encoding="utf-8")
    [service] = yaml.safe_load(written)["environments"]["default"]["services"]
    assert service["containers"] == {"app": {"environment": ["MODE"]}}
    assert "a name that is a template placeholder" in written
    assert "a container whose name is a template placeholder (app.json:" in written
    check = ("check", "--offline", "--task-definition", "app.json", "--service", "app")
    assert cli.run(*check).exit_code == 0
