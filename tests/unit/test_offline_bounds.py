"""Hostile and runaway Terraform sources: the offline reader ends, says what it did not read.

Each case once hung, ran out of memory, read outside the repository or crashed. Now each
ends with DG903 (could not verify offline, exit 3) naming what was not resolved, or a
one-line error (exit 2). In-process through main(argv), as `check --offline` runs them.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from drift_gate.cli import main
from drift_gate.sources.hcl import MAX_TF_FILE_BYTES, load_declarations

SERVICE = """
resource "aws_ecs_service" "api" {
  name            = "api"
  cluster         = "c"
  task_definition = aws_ecs_task_definition.api.arn
}
"""
POLICY = """\
version: 1
environments:
  dev:
    region: us-east-1
    services:
      - cluster: c
        service: api
        containers:
          api:
            secrets: [TOKEN]
"""


def task_definition(containers: str, extra: str = "") -> str:
    return (
        f'resource "aws_ecs_task_definition" "api" {{\n  family = "api"\n{extra}'
        f"  container_definitions = {containers}\n}}\n" + SERVICE
    )


WITH_TOKEN = 'jsonencode([{ name = "api", secrets = [{ name = "TOKEN", valueFrom = "/t" }] }])'


def offline(
    repo: Path, main_tf: str, capsys: pytest.CaptureFixture[str], **files: str
) -> tuple[int, dict[str, Any], str]:
    (repo / "main.tf").write_text(main_tf)
    for name, text in files.items():
        (repo / name).write_text(text)
    (repo / "policy.yaml").write_text(POLICY)
    report = repo / "report.json"
    code = main(
        [
            "check",
            "--offline",
            "--policy",
            str(repo / "policy.yaml"),
            "--terraform-dir",
            str(repo),
            "--format",
            "json",
            "--output",
            str(report),
        ]
    )
    err = capsys.readouterr().err
    return code, json.loads(report.read_text()) if report.exists() else {}, err


def dg903(report: dict[str, Any]) -> str:
    return str(next(f["message"] for f in report["findings"] if f["rule_id"] == "DG903"))


def test_a_huge_count_is_not_expanded(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, report, _ = offline(tmp_path, task_definition(WITH_TOKEN, "  count = 100000\n"), capsys)
    declared = load_declarations(tmp_path).task_definitions
    # One unexpanded instance, not 100,000: which one the service runs cannot be known.
    assert [td.address for td in declared] == ["aws_ecs_task_definition.api[*]"]
    assert code == 3
    assert "no required name can be checked offline" in dg903(report)


def test_locals_that_double_twenty_times_end_unresolved(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doubling = 'locals {\n  l0 = ["x"]\n' + "".join(
        f"  l{i + 1} = concat(local.l{i}, local.l{i})\n" for i in range(20)
    )
    containers = 'jsonencode([{ name = "api", environment = [for n in local.l20 : { name = n }] }])'
    code, report, _ = offline(tmp_path, doubling + "}\n" + task_definition(containers), capsys)
    assert code == 3
    assert "cannot be read offline" in dg903(report)
    [container] = load_declarations(tmp_path).task_definitions[0].containers
    assert [u.reason for u in container.unresolved] == [
        "a collection of 16,384 elements (more than 10,000)"
    ]


def test_a_module_that_sources_its_own_directory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    loops = "".join(f'module "again_{i}" {{\n  source = "./"\n}}\n' for i in range(3))
    code, _, _ = offline(tmp_path, loops + task_definition(WITH_TOKEN), capsys)
    declarations = load_declarations(tmp_path)
    assert len(declarations.task_definitions) == 1
    assert [u.reason for u in declarations.unresolved_modules] == [
        f"module.again_{i} (its source ./ includes itself)" for i in range(3)
    ]
    assert code == 0  # the service is found in the root; the loops are not followed


def test_a_service_possibly_in_an_unread_module_is_could_not_verify(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    registry = 'module "app" {\n  source = "terraform-aws-modules/ecs/aws//modules/service"\n}\n'
    code, report, _ = offline(tmp_path, registry, capsys)
    assert code == 3
    assert "module.app (source terraform-aws-modules/ecs/aws//modules/service is not on disk)" in (
        dg903(report)
    )


def test_a_file_over_the_size_limit_is_one_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    filler = "# " + "x" * 98 + "\n"
    big = task_definition(WITH_TOKEN) + filler * (MAX_TF_FILE_BYTES // len(filler) + 1)
    code, _, err = offline(tmp_path, big, capsys)
    assert code == 2
    assert "larger than 1 MiB, the most drift-gate reads as a .tf file" in err
    assert "internal error" not in err


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/etc/passwd", "outside the repository: not read"),
        ("/dev/zero", "outside the repository: not read"),
        ("/dev/stdin", "outside the repository: not read"),
        ("../outside.json", "outside the repository: not read"),
        ("fifo", "not a regular file: not read"),
        ("big.json", "larger than 1 MiB: not read"),
    ],
)
def test_file_reads_only_regular_files_inside_the_repository(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], path: str, reason: str
) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (tmp_path / "outside.json").write_text("[]")
    os.mkfifo(repo / "fifo")
    (repo / "big.json").write_text("[" + " " * (1024 * 1024) + "]")
    code, report, _ = offline(repo, task_definition(f'file("{path}")'), capsys)
    assert code == 3
    assert f'file("{path}") ({reason})' in dg903(report)


def test_deep_nesting_and_huge_literals_do_not_crash(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    nested = "[" * 300 + "1" + "]" * 300
    code, _, err = offline(
        tmp_path, f"locals {{\n  deep = {nested}\n}}\n" + task_definition(WITH_TOKEN), capsys
    )
    assert code in (0, 2)
    assert "internal error" not in err
    huge = "9" * 4301
    containers = (
        f'jsonencode([{{ name = "api", secrets = [{{ name = "TOKEN", valueFrom = {huge} }}] }}])'
    )
    code, _, err = offline(tmp_path, task_definition(containers), capsys)
    assert "internal error" not in err
    [container] = load_declarations(tmp_path).task_definitions[0].containers
    assert container.secrets[0].value_from_unresolved is not None
    assert container.secrets[0].value_from_unresolved.reason == "a number of 4,301 digits"
    assert code == 0  # the name TOKEN is declared; its valueFrom is not needed offline


# --- Container definitions from modules and variables: read, or said to be unreadable -------

CLOUDPOSSE = """
module "api_container" {
  source          = "cloudposse/ecs-container-definition/aws"
  version         = "0.61.1"
  container_name  = "api"
  container_image = "app"
  environment     = [{ name = "LOG_LEVEL", value = "info" }]
  secrets = [
    { name = "TOKEN", valueFrom = "arn:aws:secretsmanager:us-east-1:1:secret:t" },
  ]
}
"""
TERRAFORM_AWS_MODULES = """
module "api_container" {
  source = "terraform-aws-modules/ecs/aws//modules/container-definition"
  name   = "api"
  secrets = [{ name = "TOKEN", valueFrom = "/app/token" }]
}
"""


@pytest.mark.parametrize(
    ("module", "containers", "secret_line", "value_from"),
    [
        (
            CLOUDPOSSE,
            "module.api_container.json_map_encoded_list",
            9,
            "arn:aws:secretsmanager:us-east-1:1:secret:t",
        ),
        (
            TERRAFORM_AWS_MODULES,
            "jsonencode([module.api_container.container_definition])",
            5,
            "/app/token",
        ),
    ],
    ids=["cloudposse", "terraform-aws-modules"],
)
def test_names_come_from_a_container_definition_module_call_not_on_disk(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    module: str,
    containers: str,
    secret_line: int,
    value_from: str,
) -> None:
    code, report, _ = offline(tmp_path, module + task_definition(containers), capsys)
    assert code == 0, report
    [container] = load_declarations(tmp_path).task_definitions[0].containers
    assert container.name == "api"
    [secret] = container.secrets
    assert (secret.name, secret.line, secret.value_from) == ("TOKEN", secret_line, value_from)


@pytest.mark.parametrize(
    ("preamble", "containers", "reason"),
    [
        ('variable "defs" {\n  type = string\n}\n', "var.defs", "var.defs (no literal default)"),
        (
            'module "defs" {\n  source = "./defs"\n}\n',
            "module.defs.json",
            "module.defs.json (known only to Terraform)",
        ),
    ],
)
def test_unreadable_container_definitions_are_said_in_inventory_and_fail_closed(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    preamble: str,
    containers: str,
    reason: str,
) -> None:
    (tmp_path / "defs").mkdir()
    (tmp_path / "defs" / "main.tf").write_text('output "json" {\n  value = "[]"\n}\n')
    code, report, _ = offline(tmp_path, preamble + task_definition(containers), capsys)
    assert code == 3
    assert reason in dg903(report)
    assert main(["inventory", "--terraform-dir", str(tmp_path)]) == 0
    assert f"Its containers cannot be read offline: {reason}" in capsys.readouterr().out
