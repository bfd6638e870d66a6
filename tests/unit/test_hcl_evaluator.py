"""The offline evaluator on what issue 12 found untested: count, for_each over a list,
index expressions, merge(). Each case asserts names and the lines they were written on."""

from __future__ import annotations

from pathlib import Path

from drift_gate.sources.hcl import load_declarations


def declare(tmp_path: Path, text: str) -> Path:
    (tmp_path / "main.tf").write_text(text)
    return tmp_path


def test_count_makes_one_instance_per_index(tmp_path: Path) -> None:
    declare(
        tmp_path,
        'resource "aws_ecs_task_definition" "api" {\n'
        "  count  = 2\n"
        '  family = "api-${count.index}"\n'
        '  container_definitions = jsonencode([{ name = "api", environment = [{ name = "N${count.index}" }] }])\n'
        "}\n",
    )
    declared = load_declarations(tmp_path).task_definitions
    assert [(td.address, td.family) for td in declared] == [
        ("aws_ecs_task_definition.api[0]", "api-0"),
        ("aws_ecs_task_definition.api[1]", "api-1"),
    ]
    assert [td.containers[0].environment[0].name for td in declared] == ["N0", "N1"]


def test_for_each_over_a_list_keys_instances_by_value(tmp_path: Path) -> None:
    declare(
        tmp_path,
        'resource "aws_ecs_task_definition" "svc" {\n'
        '  for_each = toset(["api", "worker"])\n'
        "  family   = each.key\n"
        '  container_definitions = jsonencode([{ name = each.value, secrets = [{ name = "TOKEN", valueFrom = "/t" }] }])\n'
        "}\n",
    )
    declared = load_declarations(tmp_path).task_definitions
    assert [(td.address, td.family, td.containers[0].name) for td in declared] == [
        ('aws_ecs_task_definition.svc["api"]', "api", "api"),
        ('aws_ecs_task_definition.svc["worker"]', "worker", "worker"),
    ]


def test_index_expressions_into_lists_and_maps(tmp_path: Path) -> None:
    declare(
        tmp_path,
        "locals {\n"
        '  names = ["FIRST", "SECOND"]\n'
        '  by_env = { dev = "DEV_ONLY", prod = "PROD_ONLY" }\n'
        "}\n"
        'resource "aws_ecs_task_definition" "api" {\n'
        '  family = "api"\n'
        "  container_definitions = jsonencode([{\n"
        '    name        = "api"\n'
        '    environment = [{ name = local.names[1] }, { name = local.by_env["dev"] }, { name = local.names[5] }]\n'
        "  }])\n"
        "}\n",
    )
    [container] = load_declarations(tmp_path).task_definitions[0].containers
    assert [(n.name, n.line) for n in container.environment] == [("SECOND", 2), ("DEV_ONLY", 3)]
    [unresolved] = container.unresolved
    assert (unresolved.reason, unresolved.line) == ("index 5", 9)


def test_merge_of_objects_keeps_the_last_value_and_its_line(tmp_path: Path) -> None:
    declare(
        tmp_path,
        "locals {\n"
        '  base  = { name = "api", environment = [{ name = "BASE" }] }\n'
        '  extra = { environment = [{ name = "EXTRA" }] }\n'
        "}\n"
        'resource "aws_ecs_task_definition" "api" {\n'
        '  family                = "api"\n'
        "  container_definitions = jsonencode([merge(local.base, local.extra)])\n"
        "}\n",
    )
    [container] = load_declarations(tmp_path).task_definitions[0].containers
    assert container.name == "api"
    assert [(n.name, n.line) for n in container.environment] == [("EXTRA", 3)]
