"""deploy/terraform/ecs-lifecycle-hook: the Terraform module of the deployment hook and its
example. `terraform validate` needs the AWS provider, which these machines cannot download
(the Terraform registry is not reachable), so the module is checked with `terraform fmt` and
by parsing it with python-hcl2: every variable used is declared (and every declared one is
used), the lifecycle_hook block has the provider's arguments (hashicorp/aws >= 6.4.0,
website/docs/r/ecs_service.html.markdown), the roles are what docs/deploy-hook.md says."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import hcl2
import pytest

from drift_gate import aws_lambda
from tests.conftest import REPO, Cli

MODULE = REPO / "deploy" / "terraform" / "ecs-lifecycle-hook"
EXAMPLE = MODULE / "examples" / "basic"
# aws_ecs_service.deployment_configuration.lifecycle_hook in the AWS provider.
HOOK_REQUIRED = {"hook_target_arn", "role_arn", "lifecycle_stages"}
HOOK_ARGUMENTS = HOOK_REQUIRED | {"hook_details"}
STAGES = {
    "RECONCILE_SERVICE", "PRE_SCALE_UP", "POST_SCALE_UP", "TEST_TRAFFIC_SHIFT",
    "POST_TEST_TRAFFIC_SHIFT", "PRODUCTION_TRAFFIC_SHIFT", "POST_PRODUCTION_TRAFFIC_SHIFT",
}  # fmt: skip
ENVIRONMENT = {
    "DRIFT_GATE_POLICY",
    "DRIFT_GATE_GITHUB_REPOSITORY",
    "DRIFT_GATE_GITHUB_TOKEN_SECRET",
    "DRIFT_GATE_METRICS_NAMESPACE",
}


def unquoted(value: Any) -> Any:
    """python-hcl2 keeps the quotes of labels and strings: drop them, recursively."""
    if isinstance(value, dict):
        return {unquoted(k): unquoted(v) for k, v in value.items() if not k.startswith("__")}
    if isinstance(value, list):
        return [unquoted(item) for item in value]
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


def parsed(folder: Path) -> dict[str, list[Any]]:
    """Every top-level block of the folder's .tf files, merged by kind."""
    merged: dict[str, list[Any]] = {}
    for path in sorted(folder.glob("*.tf")):
        with path.open() as handle:
            for kind, blocks in unquoted(hcl2.load(handle)).items():
                merged.setdefault(kind, []).extend(blocks)
    return merged


def resources(folder: Path) -> dict[str, dict[str, Any]]:
    """`TYPE.NAME` -> its arguments."""
    return {
        f"{kind}.{name}": body
        for block in parsed(folder).get("resource", [])
        for kind, named in block.items()
        for name, body in named.items()
    }


@pytest.mark.parametrize("folder", [MODULE, EXAMPLE], ids=["module", "example"])
def test_every_variable_used_is_declared_and_every_declared_one_used(folder: Path) -> None:
    declared = {name for block in parsed(folder).get("variable", []) for name in block}
    text = "\n".join(path.read_text() for path in folder.glob("*.tf"))
    used = set(re.findall(r"\bvar\.([A-Za-z_][A-Za-z0-9_-]*)", text))
    assert used - declared == set()
    assert declared - used == set()
    for block in parsed(folder).get("variable", []):
        for name, body in block.items():
            assert body.get("description"), f"variable {name} says nothing"


def test_the_module_files_are_the_usual_ones_and_terraform_fmt_clean() -> None:
    assert {path.name for path in MODULE.iterdir() if path.is_file()} == {
        "versions.tf", "variables.tf", "main.tf", "outputs.tf", "README.md",
    }  # fmt: skip
    completed = subprocess.run(
        ["terraform", "fmt", "-check", "-recursive", "-no-color", str(MODULE)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    (terraform,) = parsed(MODULE)["terraform"]
    assert terraform["required_providers"][0]["aws"]["version"] == ">= 6.4.0"


def test_the_example_service_has_the_providers_lifecycle_hook_at_pre_scale_up() -> None:
    service = resources(EXAMPLE)["aws_ecs_service.api"]
    (configuration,) = service["deployment_configuration"]
    (hook,) = configuration["lifecycle_hook"]
    assert HOOK_REQUIRED <= set(hook) <= HOOK_ARGUMENTS
    assert hook["lifecycle_stages"] == ["PRE_SCALE_UP"]
    assert hook["hook_target_arn"] == "${module.drift_gate_hook.function_arn}"
    assert hook["role_arn"] == "${module.drift_gate_hook.invoke_role_arn}"
    (module,) = parsed(EXAMPLE)["module"]
    assert module["drift_gate_hook"]["source"] == "../.."
    # The module's output of the same block has the same arguments.
    outputs = {name: body for block in parsed(MODULE)["output"] for name, body in block.items()}
    output = outputs["lifecycle_hook"]["value"]
    assert set(output) == HOOK_ARGUMENTS
    assert output["lifecycle_stages"] == ["PRE_SCALE_UP"]
    assert set(re.findall(r'"([A-Z_]+)"', json.dumps(hook["lifecycle_stages"]))) <= STAGES


def test_the_function_runs_the_documented_handler_with_the_fixed_variables() -> None:
    found = resources(MODULE)
    function = found["aws_lambda_function.hook"]
    (locals_,) = parsed(MODULE)["locals"]
    module, _, name = locals_["handler"].rpartition(".")
    assert (module, name) == ("drift_gate.aws_lambda", "handler")
    assert callable(aws_lambda.handler)
    assert function["handler"] == "${var.zip_path != null ? local.handler : null}"
    assert set(re.findall(r"\b(DRIFT_GATE_[A-Z_]+) =", locals_["environment"])) == ENVIRONMENT
    assert found["aws_cloudwatch_log_group.function"]["name"] == "/aws/lambda/${var.function_name}"
    assert "retention_in_days" in found["aws_cloudwatch_log_group.function"]


def test_ecs_may_only_invoke_the_function_and_lambda_assume_its_role() -> None:
    found = resources(MODULE)
    invoke_trust = found["aws_iam_role.invoke"]["assume_role_policy"]
    assert 'Service = "ecs.amazonaws.com"' in invoke_trust
    invoke = found["aws_iam_role_policy.invoke"]["policy"]
    assert 'Action = ["lambda:InvokeFunction"]' in invoke
    assert "Resource = aws_lambda_function.hook.arn" in invoke
    assert "*" not in invoke
    assert (
        'Service = "lambda.amazonaws.com"' in found["aws_iam_role.function"]["assume_role_policy"]
    )
    policy = found["aws_iam_role_policy.function"]["policy"]
    assert policy == "${jsonencode(local.roles.FunctionRolePolicy)}"


def documented_patterns() -> dict[str, Any]:
    """The two rule patterns of docs/deploy-hook.md ("The events, and the rules that send
    them"), by the module's names: what the module and the template must send, exactly."""
    page = (REPO / "docs" / "deploy-hook.md").read_text()
    start = page.index("### The events, and the rules that send them")
    section = page[start : page.index("\n### ", start + 1)]
    blocks = [json.loads(b) for b in re.findall(r"```json\n(.*?)```", section, re.DOTALL)]
    assert len(blocks) == 2
    return {"deployment": blocks[0], "task-stopped": blocks[1]}


def test_the_events_rules_match_the_recheck_patterns_and_may_invoke_the_function() -> None:
    (locals_,) = parsed(MODULE)["locals"]
    patterns = locals_["event_patterns"]
    assert patterns["deployment"] == documented_patterns()["deployment"]
    stopped = patterns["task-stopped"]
    assert stopped["detail-type"] == ["ECS Task State Change"]
    assert 'group = [{prefix = "service:"}]' in stopped["detail"]  # the rest: terraform console
    found = resources(MODULE)
    assert found["aws_cloudwatch_event_rule.recheck"]["for_each"] == (
        "${var.events_enabled ? local.event_patterns : {}}"
    )
    permission = found["aws_lambda_permission.recheck"]
    assert permission["principal"] == "events.amazonaws.com"
    assert permission["source_arn"] == "${each.value.arn}"


def matches(pattern: Any, event: Any) -> bool:
    """EventBridge's matching, for the filters the rules use: a list of values or of
    {"prefix"}/{"wildcard"} filters per leaf, every key of the pattern present in the event."""
    if isinstance(pattern, dict):
        return isinstance(event, dict) and all(
            key in event and matches(value, event[key]) for key, value in pattern.items()
        )
    for allowed in pattern:
        if isinstance(allowed, dict) and "prefix" in allowed:
            found = isinstance(event, str) and event.startswith(allowed["prefix"])
        elif isinstance(allowed, dict):
            wildcard = ".*".join(re.escape(part) for part in allowed["wildcard"].split("*"))
            found = isinstance(event, str) and re.fullmatch(wildcard, event, re.DOTALL) is not None
        else:
            found = event == allowed
        if found:
            return True
    return False


@pytest.mark.parametrize(
    ("group", "reason"),
    [
        ("service:api", "ResourceInitializationError: unable to pull secrets or registry auth: x"),
        ("service:api", "ResourceInitializationError: unable to retrieve secret from asm: x"),
        ("service:api", "CannotPullContainerError: pull registry auth failed"),
        ("service:api", "Scaling activity initiated by (deployment ecs-svc/1)"),
        ("service:api", "Essential container in task exited"),
        ("family:batch", "ResourceInitializationError: unable to pull secrets or registry auth"),
    ],
)
def test_the_task_rule_sends_exactly_the_stopped_tasks_the_handler_rechecks(
    group: str, reason: str
) -> None:
    """The documented (so the module's and the template's) task rule and the handler's own
    test (ignored_because) agree: nothing sent is ignored, nothing re-checked is left out."""
    from drift_gate.sources.ecs_events import ignored_because, parse_event

    event = json.loads((REPO / "tests" / "data" / "ecs-events" / "task-stopped.json").read_text())
    event["detail"].update(
        group=group,
        stoppedReason=reason,
        lastStatus="STOPPED",
        clusterArn="arn:aws:ecs:us-east-1:123456789012:cluster/c",
    )
    parsed_event = parse_event(event)
    assert not isinstance(parsed_event, str)
    rechecked = ignored_because(parsed_event) is None
    assert matches(documented_patterns()["task-stopped"], event) == rechecked


def test_the_roles_drift_gate_prints_satisfy_the_modules_preconditions(cli: Cli) -> None:
    """What `iam-policy --lambda-hook` prints is what roles_json takes: its FunctionRolePolicy,
    the function's log group by name, and the token secret when --events names it."""
    token = "arn:aws:secretsmanager:us-east-1:123456789012:secret:drift-gate/token-AbCdEf"
    result = cli.run(
        "iam-policy", "--policy", str(REPO / "policies" / "example.yaml"), "--lambda-hook",
        "--function-name", "gate", "--events", "--github-token-secret", token,
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["FunctionRolePolicy"]["Statement"]
    assert "log-group:/aws/lambda/gate" in result.stdout
    assert token in result.stdout
    main = (MODULE / "main.tf").read_text()
    assert 'strcontains(var.roles_json, "log-group:/aws/lambda/${var.function_name}")' in main


def test_the_readme_names_every_input_and_output() -> None:
    readme = (MODULE / "README.md").read_text()
    for kind in ("variable", "output"):
        for block in parsed(MODULE)[kind]:
            for name in block:
                assert f"`{name}`" in readme, f"README.md says nothing of {kind} {name}"


def console(tmp_path: Path, expression: str, **variables: str) -> subprocess.CompletedProcess[str]:
    """`terraform console` on the module's variables and locals alone (no resources, so no
    provider to download): Terraform itself evaluates the expressions and validations."""
    folder = tmp_path / "locals"
    folder.mkdir(exist_ok=True)
    (folder / "variables.tf").write_text((MODULE / "variables.tf").read_text())
    main = (MODULE / "main.tf").read_text()
    start = main.index("locals {")
    (folder / "locals.tf").write_text(main[start : main.index("\nresource ", start)])
    options = [f"-var={name}={value}" for name, value in variables.items()]
    return subprocess.run(
        ["terraform", "console", "-no-color", *options],
        input=expression,
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "CHECKPOINT_DISABLE": "1"},
    )


ROLES = '{"FunctionRolePolicy": {"Statement": []}}'


def test_terraform_evaluates_the_patterns_and_environment_as_documented(tmp_path: Path) -> None:
    clusters = '["arn:aws:ecs:us-east-1:123456789012:cluster/hokusai-development"]'
    evaluated = console(
        tmp_path, "jsonencode(local.event_patterns)", roles_json=ROLES, event_cluster_arns=clusters
    )
    assert evaluated.returncode == 0, evaluated.stderr
    assert "Error" not in evaluated.stdout + evaluated.stderr, evaluated.stdout
    patterns = json.loads(json.loads(evaluated.stdout.strip()))
    documented = documented_patterns()
    narrowed = documented["task-stopped"]
    narrowed = {**narrowed, "detail": {**narrowed["detail"], "clusterArn": json.loads(clusters)}}
    assert patterns == {"deployment": documented["deployment"], "task-stopped": narrowed}
    every_cluster = console(tmp_path, "jsonencode(local.event_patterns)", roles_json=ROLES)
    assert json.loads(json.loads(every_cluster.stdout.strip())) == documented
    environment = console(
        tmp_path, "jsonencode(local.environment)", roles_json=ROLES, policy="s3://b/k",
        metrics_namespace="DriftGate",
    )  # fmt: skip
    assert json.loads(json.loads(environment.stdout.strip())) == {
        "DRIFT_GATE_POLICY": "s3://b/k",
        "DRIFT_GATE_METRICS_NAMESPACE": "DriftGate",
    }  # only what is given


@pytest.mark.parametrize(
    ("variables", "words"),
    [
        ({"roles_json": "{}"}, "with its FunctionRolePolicy"),
        ({"roles_json": ROLES, "runtime": "python3.11"}, "python3.12 or python3.13"),
        ({"roles_json": ROLES, "unverified": "maybe"}, "fail or continue"),
        ({"roles_json": ROLES, "function_name": "a b"}, "1-64 letters"),
        ({"roles_json": ROLES, "timeout_seconds": "901"}, "Lambda's limit is 15 minutes"),
    ],
)
def test_terraform_refuses_the_inputs_the_module_cannot_use(
    tmp_path: Path, variables: dict[str, str], words: str
) -> None:
    refused = console(tmp_path, "local.handler", **variables)
    said = " ".join((refused.stdout + refused.stderr).split())  # console exits 0 on stdin
    assert "Error: Invalid value for variable" in said
    assert words in said
