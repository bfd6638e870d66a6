"""Plan JSON: parsing and classification, on AWS-shaped fixtures of format 0.1, 1.0 and 1.2."""

from __future__ import annotations

import codecs
import gc
import json
from pathlib import Path
from typing import Any

import pytest

from drift_gate.addresses import split_address
from drift_gate.checks.plan import PlanContext, check_plan
from drift_gate.cli import main
from drift_gate.engine.declared import services_from_plan
from drift_gate.errors import InvalidInputError
from drift_gate.model import Finding
from drift_gate.sources.plan import parse_plan, read_plan_json
from drift_gate.sources.tf_sources import TerraformSources
from tests.conftest import REPO
from tests.plans import (
    INCIDENT_AFTER,
    INCIDENT_BEFORE,
    change,
    container,
    incident_plan,
    plan,
    planned_resource,
    secret_arn,
    task_definition_values,
)

VERSIONS = ["0.1", "1.0", "1.2"]
TD = "aws_ecs_task_definition.api"
FIXTURE = REPO / "tests" / "fixtures" / "terraform" / "incident"


def findings_of(document: dict[str, Any], exit_code: int | None = None) -> list[Finding]:
    return check_plan(
        parse_plan(document, "plan.json"), PlanContext(region="us-east-1", exit_code=exit_code)
    )


def summary(findings: list[Finding]) -> set[tuple[str, str | None, str | None]]:
    return {(f.rule_id, f.target.container, f.target.variable) for f in findings}


def td_change(
    before: list[dict[str, Any]] | None,
    after: list[dict[str, Any]] | None,
    actions: list[str],
    **extra: Any,
) -> dict[str, Any]:
    return change(
        TD,
        "aws_ecs_task_definition",
        actions,
        task_definition_values("api", before) if before is not None else None,
        task_definition_values("api", after)
        if after is not None
        else task_definition_values("api", None),
        **extra,
    )


@pytest.mark.parametrize("version", VERSIONS)
def test_secret_added_names_key_container_and_resource(version: str) -> None:
    findings = findings_of(
        plan(version, resource_changes=[td_change([INCIDENT_BEFORE], [INCIDENT_AFTER], ["update"])])
    )
    assert summary(findings) == {("DG502", "api", "HUGGINGFACE_API_KEY")}
    [finding] = findings
    assert finding.message == (
        "secret HUGGINGFACE_API_KEY would be added to container api of aws_ecs_task_definition.api: "
        "merged, not applied"
    )
    assert finding.target.resource == TD


@pytest.mark.parametrize("version", VERSIONS)
def test_replace_is_compared_like_an_update(version: str) -> None:
    findings = findings_of(
        plan(
            version,
            resource_changes=[td_change([INCIDENT_BEFORE], [INCIDENT_AFTER], ["delete", "create"])],
        )
    )
    assert summary(findings) == {("DG502", "api", "HUGGINGFACE_API_KEY")}


@pytest.mark.parametrize("version", VERSIONS)
def test_secret_removed(version: str) -> None:
    findings = findings_of(
        plan(version, resource_changes=[td_change([INCIDENT_AFTER], [INCIDENT_BEFORE], ["update"])])
    )
    assert [f.message for f in findings] == [
        "secret HUGGINGFACE_API_KEY would be removed from container api of aws_ecs_task_definition.api: "
        "merged, not applied"
    ]


@pytest.mark.parametrize("version", VERSIONS)
def test_value_from_re_pointed(version: str) -> None:
    staging = "arn:aws:ssm:us-east-1:123456789012:parameter/staging/hf"
    after = container(secrets={"HUGGINGFACE_API_KEY": staging})
    before = container(secrets={"HUGGINGFACE_API_KEY": secret_arn("HUGGINGFACE_API_KEY")})
    [finding] = findings_of(
        plan(version, resource_changes=[td_change([before], [after], ["update"])])
    )
    assert finding.rule_id == "DG502"
    assert f"re-pointed from {secret_arn('HUGGINGFACE_API_KEY')} to {staging}" in finding.message


@pytest.mark.parametrize("version", VERSIONS)
def test_environment_variables_added_and_removed(version: str) -> None:
    before = container(environment={"LOG_LEVEL": "info", "OLD": "x"})
    after = container(environment={"LOG_LEVEL": "debug", "NEW": "y"})
    findings = findings_of(
        plan(version, resource_changes=[td_change([before], [after], ["update"])])
    )
    assert summary(findings) == {("DG502", "api", "NEW"), ("DG502", "api", "OLD")}


@pytest.mark.parametrize("version", VERSIONS)
def test_only_values_changed_is_a_plain_pending_change(version: str) -> None:
    before = container(environment={"LOG_LEVEL": "info"})
    after = container(environment={"LOG_LEVEL": "debug"})
    findings = findings_of(
        plan(version, resource_changes=[td_change([before], [after], ["update"])])
    )
    assert summary(findings) == {("DG501", None, None)}


@pytest.mark.parametrize("version", VERSIONS)
def test_unknown_after_apply_is_said_not_guessed(version: str) -> None:
    unknown = td_change(
        [INCIDENT_BEFORE], None, ["delete", "create"], after_unknown={"container_definitions": True}
    )
    findings = findings_of(plan(version, resource_changes=[unknown]))
    assert {f.rule_id for f in findings} == {"DG501", "DG505"}
    assert not any(f.rule_id == "DG502" for f in findings)
    unknown_finding = next(f for f in findings if f.rule_id == "DG505")
    assert "known only after apply" in unknown_finding.message


@pytest.mark.parametrize("version", VERSIONS)
def test_sensitive_container_definitions_are_read_but_never_shown(version: str) -> None:
    canary = "hf_SensitiveCanaryValue1234567890abcdef"
    after = container(
        secrets={"HUGGINGFACE_API_KEY": secret_arn("HUGGINGFACE_API_KEY")},
        environment={"HF_PLAIN": canary},
    )
    sensitive = td_change(
        [INCIDENT_BEFORE], [after], ["update"], after_sensitive={"container_definitions": True}
    )
    document = plan(version, resource_changes=[sensitive])
    parsed = parse_plan(document, "plan.json")
    findings = check_plan(parsed, PlanContext(region="us-east-1"))
    assert ("DG502", "api", "HF_PLAIN") in summary(findings)
    assert canary not in parsed.model_dump_json()
    assert all(canary not in f.model_dump_json() for f in findings)


@pytest.mark.parametrize("version", VERSIONS)
def test_create_and_delete_are_pending_changes(version: str) -> None:
    created = change("aws_ecs_cluster.main", "aws_ecs_cluster", ["create"], None, {"name": "main"})
    deleted = change("aws_ecs_service.old", "aws_ecs_service", ["delete"], {"name": "old"}, None)
    read = change("data.aws_caller_identity.me", "aws_caller_identity", ["read"], None, {})
    noop = change(
        "aws_ecs_cluster.other", "aws_ecs_cluster", ["no-op"], {"name": "o"}, {"name": "o"}
    )
    findings = findings_of(plan(version, resource_changes=[created, deleted, read, noop]))
    assert sorted(f.message for f in findings) == [
        "aws_ecs_cluster.main: create pending (merged, not applied)",
        "aws_ecs_service.old: delete pending (merged, not applied)",
    ]


def test_output_only_change_is_info_and_agrees_with_exit_code_2() -> None:
    document = plan(
        "1.2", output_changes={"url": {"actions": ["update"], "before": "a", "after": "b"}}
    )
    findings = findings_of(document, exit_code=2)
    assert [(f.rule_id, f.severity.value) for f in findings] == [("DG504", "info")]


def test_drift_outside_terraform() -> None:
    drifted = change(
        "aws_ecs_service.api",
        "aws_ecs_service",
        ["update"],
        {"desired_count": 2},
        {"desired_count": 5},
    )
    findings = findings_of(plan("1.2", resource_drift=[drifted]))
    assert [(f.rule_id, f.message) for f in findings] == [
        ("DG503", "aws_ecs_service.api was changed outside Terraform (update)")
    ]


@pytest.mark.parametrize(
    ("exit_code", "document", "expected"),
    [
        (
            2,
            plan("1.2"),
            "terraform plan exited with changes (exit 2), but its JSON shows no resource, move or output change",
        ),
        (
            0,
            plan(
                "1.2",
                resource_changes=[
                    change("aws_ecs_cluster.c", "aws_ecs_cluster", ["create"], None, {})
                ],
            ),
            "exited with no changes (exit 0), but its JSON shows changes",
        ),
    ],
)
def test_exit_code_disagreeing_with_the_json_is_reported(
    exit_code: int, document: dict[str, Any], expected: str
) -> None:
    mismatch = [f for f in findings_of(document, exit_code) if f.rule_id == "DG506"]
    assert len(mismatch) == 1
    assert expected in mismatch[0].message


def test_move_only_plan_agrees_with_exit_code_2() -> None:
    moved = change("aws_ecs_cluster.new", "aws_ecs_cluster", ["no-op"], {}, {})
    moved["previous_address"] = "aws_ecs_cluster.old"
    assert findings_of(plan("1.2", resource_changes=[moved]), exit_code=2) == []


def test_errored_plan_cannot_be_verified() -> None:
    assert [f.rule_id for f in findings_of(plan("1.2", errored=True))] == ["DG902"]


@pytest.mark.parametrize(
    ("version", "message"),
    [
        (
            "2.0",
            "plan format_version 2.0 is not supported; drift-gate reads 0.1 up to, not including, 2.0",
        ),
        ("0.0", "plan format_version 0.0 is not supported"),
        ("one", "format_version 'one' is not MAJOR.MINOR"),
    ],
)
def test_unsupported_format_versions_are_refused(version: str, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        parse_plan(plan("1.2") | {"format_version": version}, "plan.json")


def test_newer_minor_version_with_unknown_fields_is_read() -> None:
    document = incident_plan("1.9") | {"some_future_field": {"x": 1}}
    assert parse_plan(document, "p")  # 1.x only adds fields


def test_missing_resource_changes_and_bad_files(tmp_path: Path) -> None:
    # What `terraform show -json` prints without a plan file and with no state.
    with pytest.raises(InvalidInputError, match=r"p: this is no plan \(no planned values\)"):
        parse_plan({"format_version": "1.0"}, "p")
    assert parse_plan(plan("1.2", resource_changes=None), "p").resource_changes == ()
    not_json = tmp_path / "p.json"
    not_json.write_text("Terraform will perform the following actions:")
    with pytest.raises(
        InvalidInputError,
        match=r"not a JSON plan \(line 1: Expecting value\); give the output of `terraform show -json PLANFILE`",
    ):
        read_plan_json(not_json)
    with pytest.raises(InvalidInputError, match="no format_version"):
        parse_plan({"resource_changes": []}, "p")


def test_unreadable_container_definitions_do_not_echo_them() -> None:
    broken = td_change(None, None, ["update"])
    broken["change"]["before"] = {"container_definitions": "[{not json secret-ish"}
    broken["change"]["after"] = {"container_definitions": "[{not json secret-ish"}
    [finding] = findings_of(plan("1.2", resource_changes=[broken]))
    assert finding.rule_id == "DG501"
    assert "container_definitions is not JSON" in finding.message
    assert "secret-ish" not in finding.message


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("aws_ecs_service.api", ((), "aws_ecs_service", "api", None)),
        (
            'module.svc["a.b"].aws_ecs_service.this[0]',
            ((("svc", '["a.b"]'),), "aws_ecs_service", "this", "[0]"),
        ),
        (
            "module.a.module.b.data.aws_iam_role.r",
            ((("a", None), ("b", None)), "aws_iam_role", "r", None),
        ),
    ],
)
def test_split_address(address: str, expected: Any) -> None:
    assert split_address(address) == expected


@pytest.mark.parametrize("version", VERSIONS)
def test_services_in_a_child_module_with_for_each_get_their_own_task_definition(
    version: str,
) -> None:
    resources = []
    for key, secret in (("web", "WEB_TOKEN"), ("worker", "QUEUE_TOKEN")):
        prefix = f'module.svc["{key}"]'
        resources += [
            planned_resource(
                f"{prefix}.aws_ecs_task_definition.this",
                "aws_ecs_task_definition",
                task_definition_values(f"app-{key}", [container(key, {secret: f"/app/{key}"})]),
            ),
            planned_resource(
                f"{prefix}.aws_ecs_service.this",
                "aws_ecs_service",
                {
                    "name": f"app-{key}",
                    "cluster": "arn:aws:ecs:us-east-1:123456789012:cluster/prod",
                },
            ),
        ]
    module_config = {
        "resources": [
            {
                "address": "aws_ecs_service.this",
                "type": "aws_ecs_service",
                "name": "this",
                "expressions": {
                    "task_definition": {
                        "references": [
                            "aws_ecs_task_definition.this.arn",
                            "aws_ecs_task_definition.this",
                        ]
                    }
                },
            }
        ]
    }
    document = plan(
        version,
        child_modules=[
            {"address": 'module.svc["web"]', "resources": resources[:2]},
            {"address": 'module.svc["worker"]', "resources": resources[2:]},
        ],
        module_calls={
            "svc": {
                "source": "./modules/service",
                "for_each_expression": {},
                "module": module_config,
            }
        },
    )
    parsed = parse_plan(document, "plan.json")
    declared = services_from_plan(parsed, None, "us-east-1")
    assert declared.findings == ()
    assert declared.environment is not None
    services = {(s.cluster, s.service): s for s in declared.environment.services}
    assert set(services) == {("prod", "app-web"), ("prod", "app-worker")}
    web = services[("prod", "app-web")].containers[0]
    assert (web.name, [(s.name, s.value_from) for s in web.secrets]) == (
        "web",
        [("WEB_TOKEN", "/app/web")],
    )
    assert parsed.module_sources == {"module.svc": "./modules/service"}


def test_service_whose_task_definition_is_unknown_is_reported_not_guessed() -> None:
    document = plan(
        "1.2",
        resources=[
            planned_resource(
                "aws_ecs_service.api", "aws_ecs_service", {"name": "api", "cluster": "c"}
            )
        ],
        config_resources=[],
    )
    declared = services_from_plan(parse_plan(document, "p"), None, "us-east-1")
    assert declared.environment is None
    assert [(f.rule_id, f.target.resource) for f in declared.findings] == [
        ("DG505", "aws_ecs_service.api")
    ]


def test_incident_fixture_is_the_builder_output_and_locates_names() -> None:
    committed = json.loads((FIXTURE / "plan.json").read_text())
    assert committed == incident_plan()
    sources = TerraformSources(FIXTURE, display_base=FIXTURE)
    assert sources.where_resource(TD) == "main.tf:10"
    assert sources.where_name(TD, "HUGGINGFACE_API_KEY") == "main.tf:25"
    assert sources.where_resource("aws_ecs_service.api") == "main.tf:34"
    assert sources.where_name(TD, "NOT_THERE") == "main.tf:10"


# --- Plans that are not plans, or not shaped as terraform writes them: one line, exit 2 ----

STATE = {
    "format_version": "1.0",
    "terraform_version": "1.11.4",
    "values": {"root_module": {"resources": []}},
}


def run_plan_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], data: bytes
) -> tuple[int, str]:
    path = tmp_path / "plan.json"
    path.write_bytes(data)
    code = main(["check", "--plan-json", str(path), "--region", "us-east-1"])
    return code, capsys.readouterr().err


def test_state_json_is_refused_with_the_command_that_makes_a_plan(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, stderr = run_plan_json(tmp_path, capsys, json.dumps(STATE).encode())
    assert code == 2
    assert "this is Terraform state, not a plan" in stderr
    assert "terraform plan -out=tfplan && terraform show -json tfplan > plan.json" in stderr


def base_plan() -> dict[str, Any]:
    return incident_plan()


def with_path(document: dict[str, Any], path: tuple[str | int, ...], value: Any) -> dict[str, Any]:
    copy: dict[str, Any] = json.loads(json.dumps(document))
    target: Any = copy
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    return copy


# The crash sites a fuzzing campaign found, each with the JSON path the message must name.
MALFORMED = [
    (("resource_changes",), ["x"], "resource_changes[0]: Input should be a valid dictionary"),
    (("resource_changes", 0, "change", "actions"), [1], "resource_changes[0].change.actions[0]"),
    (("resource_changes", 0, "address"), 5, "resource_changes[0].address"),
    (("configuration", "provider_config"), {"aws": "x"}, "configuration.provider_config[...]"),
    (("output_changes",), {"o": []}, "output_changes[...]: Input should be a valid dictionary"),
    (
        ("planned_values", "root_module", "resources"),
        [{"type": "aws_ecs_service"}],
        "planned_values.root_module.resources[0].address: missing",
    ),
    (
        ("planned_values", "root_module", "resources"),
        [{"address": 5, "type": "aws_ecs_task_definition"}],
        "planned_values.root_module.resources[0].address",
    ),
    (
        ("planned_values", "root_module", "resources"),
        [{"address": "aws_s3_bucket.b", "type": 5}],
        "planned_values.root_module.resources[0].type",
    ),
    (("errored",), "maybe", "errored: Input should be a valid boolean"),
]


def test_what_is_never_read_of_other_resources_is_not_validated(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Of a resource that is neither a task definition nor a service, planned_values gives
    nothing drift-gate reads, and a no-op change only its actions: the rest is left out before
    validation (a large plan is mostly that), so an odd value there is no error."""
    document = base_plan()
    document["planned_values"]["root_module"]["resources"].append(
        {"address": 5, "type": "aws_s3_bucket", "values": "not an object"}
    )
    document["resource_changes"].append(
        {
            "address": "aws_s3_bucket.b",
            "type": "aws_s3_bucket",
            "change": {"actions": ["no-op"], "before": "odd", "after": ["odd"]},
        }
    )
    code, stderr = run_plan_json(tmp_path, capsys, json.dumps(document).encode())
    # The plan was read; the run then stops at the live link, which has no AWS here.
    assert code == 3, stderr
    assert "the AWS endpoint for ecs:DescribeServices is unreachable" in stderr
    # The collector is back as it was: on, with nothing left frozen (commands/check.py).
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0


@pytest.mark.parametrize(("path", "value", "expected"), MALFORMED)
def test_malformed_plans_are_exit_2_with_the_json_path(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    path: tuple[str | int, ...],
    value: Any,
    expected: str,
) -> None:
    document = with_path(base_plan(), path, value)
    code, stderr = run_plan_json(tmp_path, capsys, json.dumps(document).encode())
    assert code == 2, stderr
    assert expected in stderr
    assert "internal error" not in stderr
    assert len(stderr.strip().splitlines()) == 1


def test_a_service_whose_values_are_the_wrong_type_names_the_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    document = base_plan()
    service = next(
        r
        for r in document["planned_values"]["root_module"]["resources"]
        if r["type"] == "aws_ecs_service"
    )
    service["values"]["cluster"] = ["not", "a", "name"]
    code, stderr = run_plan_json(tmp_path, capsys, json.dumps(document).encode())
    assert code == 2
    assert ".values.cluster: Input should be a valid string" in stderr


def test_container_definitions_of_the_wrong_shape_are_unreadable_not_a_crash() -> None:
    change = td_change(None, None, ["update"])
    change["change"]["after"] = {
        "container_definitions": json.dumps([{"name": "api", "environment": ["X"]}])
    }
    parsed = parse_plan(plan("1.2", resource_changes=[change]), "p")
    unreadable = parsed.resource_changes[0].unreadable
    assert unreadable is not None
    assert "[0].environment[0]: Input should be a valid dictionary" in unreadable


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"format_version": "1.2", "n": ' + "9" * 5000 + "}", "a number in the JSON is too long"),
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ],
)
def test_huge_numbers_and_deep_nesting_are_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, expected: str
) -> None:
    code, stderr = run_plan_json(tmp_path, capsys, text.encode())
    assert code == 2
    assert expected in stderr


@pytest.mark.parametrize(
    "encode",
    [
        lambda text: codecs.BOM_UTF8 + text.encode("utf-8"),
        lambda text: text.encode("utf-16"),  # with its BOM, as Windows PowerShell 5.1 writes
        lambda text: codecs.BOM_UTF16_BE + text.encode("utf-16-be"),
    ],
    ids=["utf-8 BOM", "utf-16 LE BOM", "utf-16 BE BOM"],
)
def test_plans_written_by_powershell_are_read(tmp_path: Path, encode: Any) -> None:
    path = tmp_path / "plan.json"
    path.write_bytes(encode(json.dumps(incident_plan())))
    assert read_plan_json(path) == parse_plan(incident_plan(), "x")


def test_a_secret_in_a_name_position_never_reaches_the_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    canary = "hf_CanaryValueInANamePosition123456"
    document = with_path(base_plan(), ("output_changes",), {canary: []})
    code, stderr = run_plan_json(tmp_path, capsys, json.dumps(document).encode())
    assert code == 2
    assert canary not in stderr
    document = with_path(base_plan(), ("resource_changes", 0, "change", "actions"), [canary, {}])
    code, stderr = run_plan_json(tmp_path, capsys, json.dumps(document).encode())
    assert canary not in stderr


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ({"execution_role_arn": None}, ["DG307"]),  # null in the plan: not set
        ({"execution_role_arn": "arn:aws:iam::123456789012:role/x"}, []),
        ({}, []),  # absent: known only after apply (the plan omits unknown values)
    ],
    ids=["null", "set", "unknown until apply"],
)
def test_a_task_definition_with_secrets_and_no_execution_role_is_dg307_before_apply(
    role: dict[str, Any], expected: list[str]
) -> None:
    values = {**task_definition_values("api", [INCIDENT_AFTER]), **role}
    document = plan(resources=[planned_resource(TD, "aws_ecs_task_definition", values)])

    found = findings_of(document)

    assert [f.rule_id for f in found] == expected
    if expected:
        assert found[0].target.resource == TD
        assert found[0].message == (
            f"{TD} references secrets (DATABASE_HOST, HUGGINGFACE_API_KEY, MLFLOW_SERVER_URL) "
            "but has no execution_role_arn: ECS cannot fetch them, so its tasks cannot start"
        )
