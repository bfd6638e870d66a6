"""Offline: Terraform sources, .env.example and the policy, with no AWS client and no terraform."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from drift_gate.errors import InvalidInputError
from drift_gate.sources.dotenv import required_names
from drift_gate.sources.hcl import load_declarations
from tests.conftest import REPO, Cli

HCL = REPO / "tests" / "fixtures" / "hcl"
EXAMPLE = REPO / "examples" / "hokusai"


def names(directory: Path) -> list[tuple[str, str, str, str, str, int, str | None]]:
    """(address, container, kind, name, file, line, valueFrom) for every declared name."""
    found = []
    for td in load_declarations(directory).task_definitions:
        for container in td.containers:
            for kind, items in (("secret", container.secrets), ("plain", container.environment)):
                for item in items:
                    found.append(
                        (
                            td.address,
                            container.name,
                            kind,
                            item.name,
                            item.file.name,
                            item.line,
                            item.value_from,
                        )
                    )
    return found


def test_jsonencode_with_a_secrets_list() -> None:
    assert names(HCL / "jsonencode") == [
        (
            "aws_ecs_task_definition.api",
            "api",
            "secret",
            "HUGGINGFACE_API_KEY",
            "main.tf",
            7,
            "arn:aws:secretsmanager:us-east-1:1:secret:hf-AbCdEf",
        ),
        (
            "aws_ecs_task_definition.api",
            "api",
            "secret",
            "DATABASE_HOST",
            "main.tf",
            8,
            "/app/db_host",
        ),
        ("aws_ecs_task_definition.api", "api", "plain", "LOG_LEVEL", "main.tf", 10, None),
        ("aws_ecs_task_definition.api", "sidecar", "plain", "HF_TOKEN", "main.tf", 14, None),
    ]
    sidecar = load_declarations(HCL / "jsonencode").task_definitions[0].containers[1]
    assert (
        sidecar.environment[0].value_token_format == "Hugging Face token"
    )  # the value itself is not kept


def test_heredoc_json() -> None:
    assert names(HCL / "heredoc") == [
        (
            "aws_ecs_task_definition.web",
            "web",
            "secret",
            "SESSION_KEY",
            "main.tf",
            7,
            "/web/session",
        ),
        ("aws_ecs_task_definition.web", "web", "plain", "PORT", "main.tf", 8, None),
    ]


def test_locals_and_for_expressions() -> None:
    assert names(HCL / "local") == [
        (
            "aws_ecs_task_definition.app",
            "app",
            "secret",
            "DB_PASSWORD",
            "main.tf",
            3,
            "/app/prod/db_password",
        ),
        (
            "aws_ecs_task_definition.app",
            "app",
            "secret",
            "API_TOKEN",
            "main.tf",
            3,
            "/app/prod/api_token",
        ),
        ("aws_ecs_task_definition.app", "app", "plain", "LOG_LEVEL", "main.tf", 4, None),
    ]


def test_module_with_a_variable_default() -> None:
    [found] = names(HCL / "module_default")
    assert found == (
        "module.app.aws_ecs_task_definition.this",
        "payments",
        "secret",
        "STRIPE_API_KEY",
        "main.tf",
        3,
        "/payments/stripe",
    )
    [td] = load_declarations(HCL / "module_default").task_definitions
    assert td.file == HCL / "module_default" / "modules" / "app" / "main.tf"
    assert td.line == 6


def test_for_each_over_services_links_each_service_to_its_task_definition() -> None:
    assert names(HCL / "for_each") == [
        (
            'aws_ecs_task_definition.svc["web"]',
            "web",
            "secret",
            "WEB_TOKEN",
            "main.tf",
            3,
            "/app/web/token",
        ),
        (
            'aws_ecs_task_definition.svc["jobs"]',
            "jobs",
            "secret",
            "JOBS_TOKEN",
            "main.tf",
            4,
            "/app/jobs/token",
        ),
    ]
    services = {
        (s.address, s.name, s.cluster, s.task_definition_address)
        for s in load_declarations(HCL / "for_each").services
    }
    assert services == {
        ('aws_ecs_service.svc["web"]', "app-web", "prod", 'aws_ecs_task_definition.svc["web"]'),
        ('aws_ecs_service.svc["jobs"]', "app-jobs", "prod", 'aws_ecs_task_definition.svc["jobs"]'),
    }


def test_file_of_json_keeps_the_json_file_and_line() -> None:
    assert names(HCL / "file_json") == [
        (
            "aws_ecs_task_definition.api",
            "api",
            "secret",
            "OPENAI_API_KEY",
            "containers.json",
            5,
            "/api/openai",
        ),
        ("aws_ecs_task_definition.api", "api", "plain", "MODEL", "containers.json", 8, None),
    ]


def test_what_cannot_be_resolved_is_said_with_file_and_line_never_guessed() -> None:
    api, templated = load_declarations(HCL / "unresolved").task_definitions
    [container] = api.containers
    [known] = container.secrets
    assert (known.name, known.line, known.value_from) == ("KNOWN", 10, None)
    assert known.value_from_unresolved is not None
    assert (
        known.value_from_unresolved.reason
        == "aws_secretsmanager_secret.known.arn (known only to Terraform)"
    )
    [hidden] = container.unresolved
    assert (hidden.reason, hidden.file.name, hidden.line) == (
        "var.extra_name (no literal default)",
        "main.tf",
        11,
    )
    assert templated.containers == ()
    assert templated.unresolved is not None
    assert (templated.unresolved.reason, templated.unresolved.line) == ("templatefile(...)", 18)


def test_invalid_hcl_is_one_clear_error(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text('resource "aws_ecs_task_definition" "x" {\n  family = \n}\n')
    with pytest.raises(InvalidInputError, match=r"main\.tf.*: not valid HCL"):
        load_declarations(tmp_path)


def test_dotenv_names_and_lines(tmp_path: Path) -> None:
    env = tmp_path / ".env.example"
    env.write_text('# comment\nA=1\nexport B="two words"\nC=\nD="multi\nline"\nE=5\n')
    assert [(n.name, n.line) for n in required_names(env)] == [
        ("A", 2),
        ("B", 3),
        ("C", 4),
        ("D", 5),
        ("E", 7),
    ]
    env.write_text("A=1\nnot an assignment\n")
    with pytest.raises(InvalidInputError, match=r"\.env\.example:2: not a NAME=value line"):
        required_names(env)


# --- The incident, offline ------------------------------------------------------------------


@pytest.fixture
def example(tmp_path: Path) -> Path:
    copy = tmp_path / "repo"
    shutil.copytree(EXAMPLE, copy)
    return copy


def offline(cli: Cli, repo: Path, *extra: str) -> tuple[int, dict[str, Any], str]:
    result = Cli(cli.env, repo).run(
        "check",
        "--offline",
        "--policy",
        "drift-gate.yaml",
        "--terraform-dir",
        "infra",
        "--format",
        "json",
        "--output",
        "report.json",
        *extra,
    )
    report = (
        json.loads((repo / "report.json").read_text()) if (repo / "report.json").exists() else {}
    )
    return result.exit_code, report, result.stderr


def test_incident_offline_passes_when_terraform_declares_the_key(cli: Cli, example: Path) -> None:
    exit_code, report, stderr = offline(cli, example)
    assert exit_code == 0, stderr
    assert report["offline"] is True
    assert report["stats"]["aws_calls"] == {}
    assert [f["rule_id"] for f in report["findings"]] == ["DG603"]  # PORT: declared, not required
    assert "[offline: the files given only; no AWS call, no terraform]" in stderr


def test_incident_offline_fails_when_the_key_is_removed_from_terraform(
    cli: Cli, example: Path
) -> None:
    main_tf = example / "infra" / "main.tf"
    main_tf.write_text(main_tf.read_text().replace(', "HUGGINGFACE_API_KEY"]', "]"))

    exit_code, report, _ = offline(cli, example)

    assert exit_code == 1
    [finding] = [f for f in report["findings"] if f["rule_id"] == "DG601"]
    assert (finding["target"]["container"], finding["target"]["variable"]) == (
        "api",
        "HUGGINGFACE_API_KEY",
    )
    # The live check's words (one comparison for every candidate), under the DG6xx id.
    assert finding["message"] == (
        "secret HUGGINGFACE_API_KEY is declared but missing from container api of "
        "aws_ecs_task_definition.api (infra/main.tf:12) (declared at drift-gate.yaml:11, "
        ".env.example:4)"
    )
    assert finding["declared_in"] == "infra/main.tf:12"


def test_secret_declared_as_plain_variable(cli: Cli, example: Path) -> None:
    main_tf = example / "infra" / "main.tf"
    text = main_tf.read_text().replace(', "HUGGINGFACE_API_KEY"]', "]")
    main_tf.write_text(
        text.replace(
            '{ name = "PORT", value = "8000" },', '{ name = "HUGGINGFACE_API_KEY", value = "" },'
        )
    )
    exit_code, report, _ = offline(cli, example)
    assert exit_code == 1
    [finding] = [f for f in report["findings"] if f["rule_id"] == "DG602"]
    assert finding["declared_in"] == "infra/main.tf:32"
    assert "HUGGINGFACE_API_KEY is declared as a secret but container api" in finding["message"]


def test_dotenv_credential_names_must_be_secrets(cli: Cli, example: Path) -> None:
    (example / ".env.example").write_text(
        (example / ".env.example").read_text() + "PORT=8000\nSENTRY_TOKEN=\n"
    )
    exit_code, report, _ = offline(cli, example)
    assert exit_code == 1
    [missing] = [f for f in report["findings"] if f["rule_id"] == "DG601"]
    assert missing["target"]["variable"] == "SENTRY_TOKEN"
    assert "DG603" not in {f["rule_id"] for f in report["findings"]}  # PORT is now required


def test_a_name_hidden_behind_an_unresolved_expression_cannot_pass(cli: Cli, example: Path) -> None:
    main_tf = example / "infra" / "main.tf"
    main_tf.write_text(
        main_tf.read_text().replace(
            ', "HUGGINGFACE_API_KEY"]', ", data.aws_ssm_parameter.extra.value]"
        )
    )
    exit_code, report, _ = offline(cli, example)
    assert exit_code == 3
    rules = {f["rule_id"] for f in report["findings"]}
    assert {"DG903", "DG604"} <= rules
    assert report["verdict"] == "could-not-verify"


def test_service_and_container_missing_from_terraform(cli: Cli, example: Path) -> None:
    policy = example / "drift-gate.yaml"
    text = policy.read_text().replace(
        "service: hokusai-worker-development", "service: hokusai-ghost"
    )
    policy.write_text(text.replace("          worker:", "          worker-renamed:"))
    exit_code, report, _ = offline(cli, example)
    assert exit_code == 1
    assert ("DG605", "hokusai-ghost") in {
        (f["rule_id"], f["target"]["service"]) for f in report["findings"]
    }
    api_policy = policy.read_text().replace("          api:", "          web:")
    policy.write_text(api_policy)
    _, report, _ = offline(cli, example)
    assert ("DG606", "web") in {
        (f["rule_id"], f["target"]["container"]) for f in report["findings"]
    }


def test_committed_token_and_pinned_value_from(cli: Cli, example: Path) -> None:
    main_tf = example / "infra" / "main.tf"
    main_tf.write_text(
        main_tf.read_text().replace('value = "8000"', 'value = "ghp_' + "A" * 36 + '"')
    )
    policy = example / "drift-gate.yaml"
    policy.write_text(
        policy.read_text().replace(
            "secrets: [DATABASE_HOST, MLFLOW_SERVER_URL, HUGGINGFACE_API_KEY]",
            "secrets:\n              - DATABASE_HOST\n              - MLFLOW_SERVER_URL\n"
            "              - name: HUGGINGFACE_API_KEY\n                value_from: /elsewhere",
        )
    )
    exit_code, report, _ = offline(cli, example)
    assert exit_code == 1
    by_rule = {f["rule_id"]: f for f in report["findings"]}
    assert "GitHub token format (value not shown)" in by_rule["DG106"]["message"]
    assert "A" * 36 not in json.dumps(report)
    assert "the policy pins /elsewhere" in by_rule["DG104"]["message"]


def test_offline_usage_errors(cli: Cli, example: Path) -> None:
    runner = Cli(cli.env, example)
    # Without --policy, the one found (tests/unit/test_policy_discovery.py has the rest).
    found = runner.run("check", "--offline", "--terraform-dir", "infra")
    assert "drift-gate: policy: ./drift-gate.yaml (found in the working directory)\n" in (
        found.stderr
    )
    no_tf = runner.run("check", "--offline", "--policy", "drift-gate.yaml", "--terraform-dir", ".")
    assert no_tf.exit_code == 2
    assert "no .tf files; give --terraform-dir the Terraform root" in no_tf.stderr


def test_the_offline_path_never_imports_aws_modules(example: Path) -> None:
    script = (
        "import sys\n"
        "from drift_gate.cli import main\n"
        "code = main(['check', '--offline', '--policy', 'drift-gate.yaml', '--terraform-dir', 'infra',"
        " '--format', 'json', '--output', 'r.json'])\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('boto3', 'botocore', 'moto', 's3transfer'))\n"
        "print(code, loaded)\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", script], cwd=example, capture_output=True, text=True, check=True
    )
    assert completed.stdout.strip() == "0 []"


# --- Inventory ------------------------------------------------------------------------------


def test_committed_example_inventory_is_up_to_date(cli: Cli) -> None:
    result = Cli(cli.env, EXAMPLE).run(
        "inventory",
        "--terraform-dir",
        "infra",
        "--policy",
        "drift-gate.yaml",
        "--output",
        "ENVIRONMENT_VARIABLES.md",
        "--check",
    )
    assert (result.exit_code, result.stdout) == (0, "ENVIRONMENT_VARIABLES.md: up to date\n")


def test_inventory_lists_every_variable_and_what_is_missing(cli: Cli, example: Path) -> None:
    main_tf = example / "infra" / "main.tf"
    main_tf.write_text(main_tf.read_text().replace(', "HUGGINGFACE_API_KEY"]', "]"))
    runner = Cli(cli.env, example)
    stale = runner.run(
        "inventory",
        "--terraform-dir",
        "infra",
        "--policy",
        "drift-gate.yaml",
        "--output",
        "ENVIRONMENT_VARIABLES.md",
        "--check",
    )
    assert stale.exit_code == 1
    assert (
        "ENVIRONMENT_VARIABLES.md is out of date; regenerate it: drift-gate inventory --terraform-dir infra"
        in stale.stderr
    )
    text = runner.run("inventory", "--terraform-dir", "infra", "--policy", "drift-gate.yaml").stdout
    assert "| `HUGGINGFACE_API_KEY` | **missing** | not declared |  | yes | secret |" in text
    assert (
        "| `DATABASE_HOST` | secret | [infra/main.tf:9](infra/main.tf#L9) | "
        "`arn:aws:secretsmanager:us-east-1:123456789012:secret:hokusai/development/database_host` | yes | secret |"
    ) in text
    assert (
        "| `QUEUE_NAME` | plain | [infra/modules/worker/main.tf:21](infra/modules/worker/main.tf#L21) |  | no | plain |"
        in text
    )
    missing = runner.run("inventory", "--terraform-dir", "infra", "--output", "NOPE.md", "--check")
    assert (missing.exit_code, "NOPE.md does not exist" in missing.stderr) == (1, True)
