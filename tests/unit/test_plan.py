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
    deferred,
    incident_plan,
    plan,
    planned_resource,
    secret_arn,
    service_config,
    task_definition_values,
    without_address,
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


def test_unreadable_container_definitions_are_refused_without_echoing_them() -> None:
    broken = td_change(None, None, ["update"])
    broken["change"]["before"] = {"container_definitions": "[{not json secret-ish"}
    broken["change"]["after"] = {"container_definitions": "[{not json secret-ish"}
    with pytest.raises(InvalidInputError) as raised:
        parse_plan(plan("1.2", resource_changes=[broken]), "p")
    message = str(raised.value)
    assert "resource_changes[0].change.before.container_definitions: not JSON" in message
    assert "secret-ish" not in message


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
    changes = []  # each service's task_definition is known only after apply: a new revision
    for key, secret in (("web", "WEB_TOKEN"), ("worker", "QUEUE_TOKEN")):
        prefix = f'module.svc["{key}"]'
        service_values = {
            "name": f"app-{key}",
            "cluster": "arn:aws:ecs:us-east-1:123456789012:cluster/prod",
        }
        changes.append(
            change(
                f"{prefix}.aws_ecs_service.this",
                "aws_ecs_service",
                ["update"],
                service_values,
                service_values,
                after_unknown={"task_definition": True},
            )
        )
        resources += [
            planned_resource(
                f"{prefix}.aws_ecs_task_definition.this",
                "aws_ecs_task_definition",
                task_definition_values(f"app-{key}", [container(key, {secret: f"/app/{key}"})]),
            ),
            planned_resource(f"{prefix}.aws_ecs_service.this", "aws_ecs_service", service_values),
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
        resource_changes=changes,
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


SERVICE_WITH_UNKNOWN_TD = change(
    "aws_ecs_service.api",
    "aws_ecs_service",
    ["update"],
    {"name": "api", "cluster": "c"},
    {"name": "api", "cluster": "c"},
    after_unknown={"task_definition": True},
)


def test_service_whose_task_definition_is_unknown_is_reported_not_guessed() -> None:
    document = plan("1.2", resource_changes=[SERVICE_WITH_UNKNOWN_TD], config_resources=[])
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


def test_container_definitions_of_the_wrong_shape_are_refused_not_a_crash() -> None:
    change = td_change(None, None, ["update"])
    change["change"]["after"] = {
        "container_definitions": json.dumps([{"name": "api", "environment": ["X"]}])
    }
    with pytest.raises(InvalidInputError) as raised:
        parse_plan(plan("1.2", resource_changes=[change]), "p")
    assert str(raised.value) == (
        "p: not a plan drift-gate can read: resource_changes[0].change.after."
        "container_definitions[0].environment[0]: Input should be an object"
    )


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
    if not role:  # left out, as terraform writes a value its change marks in after_unknown
        del values["execution_role_arn"]
    created = change(
        TD,
        "aws_ecs_task_definition",
        ["create"],
        None,
        values,
        after_unknown={} if role else {"execution_role_arn": True},
    )
    document = plan(
        resources=[planned_resource(TD, "aws_ecs_task_definition", values)],
        resource_changes=[created],
    )

    found = [f for f in findings_of(document) if f.rule_id != "DG501"]  # the create

    assert [f.rule_id for f in found] == expected
    if expected:
        assert found[0].target.resource == TD
        assert found[0].message == (
            f"{TD} references secrets (DATABASE_HOST, HUGGINGFACE_API_KEY, MLFLOW_SERVER_URL) "
            "but has no execution_role_arn: ECS cannot fetch them, so its tasks cannot start"
        )


# --- Malformed is exit 2, never "known only after apply"; values never in the message -------

CANARY = "hf_CanaryInAMalformedPlan9Xq2Lm7Rt4"
PLANNED_TD = "planned_values.root_module.resources[0].values.container_definitions"

MALFORMED_CONTAINERS = [
    pytest.param(
        [
            {
                "name": "api",
                "environment": [
                    {"name": "LOG_LEVEL", "value": CANARY},
                    {"name": {"nested": CANARY}, "value": CANARY},
                ],
            }
        ],
        "[0].environment[1].name: Input should be a valid string",
        id="environment name an object",
    ),
    pytest.param(
        [{"name": "api", "secrets": CANARY}],
        "[0].secrets: Input should be a valid array",
        id="secrets a string",
    ),
    pytest.param([{"image": CANARY}], "[0].name: missing", id="container without name"),
    pytest.param(CANARY + "{", ": not JSON (Expecting value at position 0)", id="not JSON at all"),
    pytest.param({"name": CANARY}, ": Input should be a valid array", id="an object, not a list"),
    pytest.param([], ": no containers; a task definition has at least one", id="no containers"),
    pytest.param(None, ": Input should be a valid string", id="null"),
]


def with_planned_containers(definitions: Any) -> dict[str, Any]:
    """The incident plan with only planned_values' container_definitions replaced."""
    text = definitions if isinstance(definitions, str) or definitions is None else None
    return with_path(
        base_plan(),
        ("planned_values", "root_module", "resources", 0, "values", "container_definitions"),
        json.dumps(definitions) if text is None and definitions is not None else text,
    )


@pytest.mark.parametrize(("definitions", "expected"), MALFORMED_CONTAINERS)
def test_malformed_planned_container_definitions_are_exit_2_with_the_path_never_unknown(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], definitions: Any, expected: str
) -> None:
    document = with_planned_containers(definitions)
    code, stderr = run_plan_json(tmp_path, capsys, json.dumps(document).encode())
    assert code == 2, stderr
    assert f"not a plan drift-gate can read: {PLANNED_TD}{expected}" in stderr
    assert "after apply" not in stderr
    assert CANARY not in stderr
    assert len(stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("side", ["before", "after"])
@pytest.mark.parametrize(("definitions", "expected"), MALFORMED_CONTAINERS)
def test_malformed_container_definitions_of_a_pending_change_are_exit_2(
    side: str, definitions: Any, expected: str
) -> None:
    text = definitions if isinstance(definitions, str) or definitions is None else None
    document = with_path(
        base_plan(),
        ("resource_changes", 0, "change", side, "container_definitions"),
        json.dumps(definitions) if text is None and definitions is not None else text,
    )
    with pytest.raises(InvalidInputError) as raised:
        parse_plan(document, "plan.json")
    message = str(raised.value)
    assert f"resource_changes[0].change.{side}.container_definitions{expected}" in message
    assert CANARY not in message


def test_what_terraform_leaves_out_is_still_unknown_after_apply() -> None:
    document = base_plan()
    del document["planned_values"]["root_module"]["resources"][0]["values"]["container_definitions"]
    document["resource_changes"][0]["change"]["after_unknown"]["container_definitions"] = True
    declared = services_from_plan(parse_plan(document, "p"), None, "us-east-1")
    assert [(f.rule_id, f.severity.value) for f in declared.findings] == [("DG505", "warning")]
    assert "known only after apply" in declared.findings[0].message


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (
            {"execution_role_arn": [CANARY]},
            "values.execution_role_arn: Input should be a valid string",
        ),
        ({"family": {"x": CANARY}}, "values.family: Input should be a valid string"),
    ],
)
def test_other_task_definition_fields_of_the_wrong_type_are_exit_2(
    values: dict[str, Any], expected: str
) -> None:
    document = base_plan()
    document["planned_values"]["root_module"]["resources"][0]["values"].update(values)
    with pytest.raises(InvalidInputError) as raised:
        parse_plan(document, "p")
    assert f"planned_values.root_module.resources[0].{expected}" in str(raised.value)
    assert CANARY not in str(raised.value)


def service_plan(service_values: dict[str, Any], *tds: tuple[str, str]) -> dict[str, Any]:
    """A plan of one service (no reference in the configuration) and task definitions
    given as (address, family)."""
    return plan(
        "1.2",
        resources=[
            *(
                planned_resource(
                    address,
                    "aws_ecs_task_definition",
                    task_definition_values(family, [INCIDENT_AFTER]),
                )
                for address, family in tds
            ),
            planned_resource("aws_ecs_service.api", "aws_ecs_service", service_values),
        ],
    )


def declared_findings(document: dict[str, Any]) -> list[tuple[str, str]]:
    declared = services_from_plan(parse_plan(document, "p"), None, "us-east-1")
    return [(f.rule_id, f.message) for f in declared.findings]


OUTSIDE = "arn:aws:ecs:us-east-1:123456789012:task-definition/registered-elsewhere:7"


def test_a_task_definition_not_in_the_plan_is_not_checked_never_unknown(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    document = service_plan({"name": "api", "cluster": "c", "task_definition": OUTSIDE})
    assert declared_findings(document) == [
        (
            "DG901",
            f"aws_ecs_service.api: not checked: its task definition ({OUTSIDE}) is not declared "
            "in this plan (registered outside this configuration, or read through a data "
            "source), so what its containers must receive is not known here",
        )
    ]
    # Never a pass of what was not checked: could not verify.
    code, stderr = run_plan_json(tmp_path, capsys, json.dumps(document).encode())
    assert code == 3, stderr


def test_a_task_definition_value_that_is_not_an_arn_is_not_printed() -> None:
    document = service_plan({"name": "api", "cluster": "c", "task_definition": CANARY + " x"})
    [(rule_id, message)] = declared_findings(document)
    assert rule_id == "DG901"
    assert "its task definition is not declared in this plan" in message
    assert CANARY not in message


def test_task_definitions_the_plan_does_not_tell_apart_are_not_checked() -> None:
    document = service_plan(
        {"name": "api", "cluster": "c", "task_definition": "api:3"},
        ("aws_ecs_task_definition.a", "api"),
        ("aws_ecs_task_definition.b", "api"),
    )
    [(rule_id, message)] = declared_findings(document)
    assert (rule_id, message) == (
        "DG901",
        "aws_ecs_service.api: not checked: 2 task definitions in this plan could be the one it "
        "runs, and the plan does not say which",
    )


def test_null_is_known_in_a_service_absent_is_unknown(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A null cluster is ECS's default cluster, not a value known only after apply.
    document = service_plan(
        {"name": "api", "cluster": None, "task_definition": "api:3"},
        ("aws_ecs_task_definition.a", "api"),
    )
    declared = services_from_plan(parse_plan(document, "p"), None, "us-east-1")
    assert declared.findings == ()
    assert declared.environment is not None
    assert [(s.cluster, s.service) for s in declared.environment.services] == [("default", "api")]
    # A null task_definition (EXTERNAL deployment controller) declares none: not checked.
    document = service_plan({"name": "api", "cluster": "c", "task_definition": None})
    [(rule_id, message)] = declared_findings(document)
    assert rule_id == "DG901"
    assert "the service declares no task definition (task_definition is null)" in message
    # `name` is required: null is malformed, exit 2.
    document = service_plan({"name": None, "cluster": "c"})
    code, stderr = run_plan_json(tmp_path, capsys, json.dumps(document).encode())
    assert code == 2
    assert "planned_values.root_module.resources[0].values.name: Input should be" in stderr


# --- Incomplete plans (format 1.2): a deferred task definition or service is exit 3 ---------


def deferred_plan(*entries: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return plan("1.2", complete=False, deferred_changes=list(entries), **extra)


DEFERRED_TD = change(TD, "aws_ecs_task_definition", ["create"], None, {"family": "api"})
DEFERRED_SERVICE = change("aws_ecs_service.api", "aws_ecs_service", ["update"], {}, {})
DEFERRED_BUCKET = change("aws_s3_bucket.b", "aws_s3_bucket", ["create"], None, {})


@pytest.mark.parametrize(
    ("entry", "address"),
    [(DEFERRED_TD, TD), (DEFERRED_SERVICE, "aws_ecs_service.api")],
    ids=["task definition", "service"],
)
def test_a_deferred_task_definition_or_service_change_cannot_be_verified(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], entry: dict[str, Any], address: str
) -> None:
    document = deferred_plan(deferred(entry, "provider_config_unknown"))
    [finding] = findings_of(document)
    assert (finding.rule_id, finding.target.resource) == ("DG901", address)
    assert finding.message == (
        f"{address}: its change is deferred (provider_config_unknown): the plan has not said "
        "what it would do to the containers' names"
    )
    code, stderr = run_plan_json(tmp_path, capsys, json.dumps(document).encode())
    assert code == 3, stderr


def test_other_deferred_changes_stay_a_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    document = deferred_plan(deferred(DEFERRED_BUCKET), deferred(DEFERRED_BUCKET))
    assert [(f.rule_id, f.message) for f in findings_of(document)] == [
        ("DG505", "the plan is incomplete: 2 deferred changes to other resources")
    ]
    code, stderr = run_plan_json(tmp_path, capsys, json.dumps(document).encode())
    assert code == 0, stderr
    # Incomplete for another reason (-target): the warning as before.
    assert [f.rule_id for f in findings_of(plan("1.2", complete=False))] == ["DG505"]


def test_a_service_whose_task_definition_is_deferred_is_not_said_to_be_elsewhere() -> None:
    # The deferred task definition is not in planned_values; the service refers to it. Its
    # count is unknown, so the address names every instance.
    every_instance = {**DEFERRED_TD, "address": f"{TD}[*]"}
    document = deferred_plan(
        deferred(every_instance, "instance_count_unknown"),
        resources=[
            planned_resource(
                "aws_ecs_service.api",
                "aws_ecs_service",
                {"name": "api", "cluster": "c", "task_definition": OUTSIDE},
            )
        ],
        config_resources=[service_config()],
    )
    assert declared_findings(document) == [
        (
            "DG901",
            "aws_ecs_service.api: the change to its task definition aws_ecs_task_definition.api "
            "is deferred: the plan has not said what the service's containers must receive",
        )
    ]


def test_a_deferred_reason_that_is_not_a_code_is_refused_unprinted() -> None:
    document = deferred_plan(deferred(DEFERRED_BUCKET, reason=CANARY))
    with pytest.raises(InvalidInputError) as raised:
        parse_plan(document, "p")
    assert "deferred_changes[0].reason: String should match pattern" in str(raised.value)
    assert CANARY not in str(raised.value)


# --- Terraform 1.0.x: resource_drift without `address` ---------------------------------------


def test_drift_without_address_as_terraform_1_0_writes_it_is_read() -> None:
    counted = without_address(
        change('module.svc["web"].aws_ecs_service.api[0]', "aws_ecs_service", ["update"], {}, {})
    )
    data = without_address(change("aws_iam_role.r", "aws_iam_role", ["update"], {}, {}))
    data |= {"mode": "data", "index": 'a"b', "module_address": "module.m"}
    document = plan("1.0", resource_drift=[counted, data], resource_changes=[])
    assert [f.message for f in findings_of(document)] == [
        'module.svc["web"].aws_ecs_service.api[0] was changed outside Terraform (update)',
        'module.m.data.aws_iam_role.r["a\\"b"] was changed outside Terraform (update)',
    ]
    # resource_changes entries of the same shape are read the same way.
    pending = without_address(change("aws_ecs_cluster.c", "aws_ecs_cluster", ["create"], None, {}))
    parsed = parse_plan(plan("1.0", resource_changes=[pending]), "p")
    assert [c.address for c in parsed.resource_changes] == ["aws_ecs_cluster.c"]


@pytest.mark.parametrize(
    ("remove", "update"),
    [
        ("name", {}),
        ("type", {}),
        (None, {"index": {"key": CANARY}}),
        (None, {"mode": CANARY}),
        (None, {"module_address": [CANARY]}),
    ],
    ids=["no name", "no type", "index an object", "unknown mode", "module_address a list"],
)
def test_drift_without_address_or_its_parts_is_still_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], remove: str | None, update: dict[str, Any]
) -> None:
    entry = without_address(change("aws_ecs_service.api", "aws_ecs_service", ["update"], {}, {}))
    entry = {k: v for k, v in entry.items() if k != remove} | update
    document = plan("1.0", resource_drift=[entry])
    code, stderr = run_plan_json(tmp_path, capsys, json.dumps(document).encode())
    assert code == 2, stderr
    assert "resource_drift[0]." in stderr
    assert CANARY not in stderr


def test_a_service_a_policy_declares_is_checked_against_it_not_reported_unchecked() -> None:
    document = service_plan({"name": "api", "cluster": "c", "task_definition": OUTSIDE})
    parsed = parse_plan(document, "p")
    declared = services_from_plan(parsed, None, "us-east-1", {("us-east-1", "c", "api")})
    assert declared.findings == ()
    assert declared.environment is None  # the policy's entry is the one checked live
    # Another region's or cluster's service of that name does not count.
    other = services_from_plan(parsed, None, "us-east-1", {("eu-west-1", "c", "api")})
    assert [f.rule_id for f in other.findings] == ["DG901"]


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        (
            ("planned_values", "root_module", "resources", 0, "values"),
            None,
            "planned_values.root_module.resources[0].values: Input should be a valid dictionary",
        ),
        (
            ("planned_values", "root_module", "resources", 0, "values", "family"),
            None,
            "planned_values.root_module.resources[0].values.family: Input should be a valid string",
        ),
        (
            ("configuration", "root_module", "resources", 0, "expressions", "task_definition"),
            {"references": CANARY},
            "configuration.root_module.resources[0].expressions.task_definition.references: "
            "Input should be a valid tuple",
        ),
        (
            ("configuration", "root_module", "resources", 0, "expressions", "task_definition"),
            [CANARY],
            "configuration.root_module.resources[0].expressions.task_definition: "
            "Input should be a valid dictionary",
        ),
        (
            ("configuration", "provider_config", "aws", "expressions", "region"),
            {"constant_value": [CANARY]},
            "configuration.provider_config[...].expressions.region.constant_value: "
            "Input should be a valid string",
        ),
        (
            ("configuration", "provider_config", "aws", "expressions", "region"),
            CANARY,
            "configuration.provider_config[...].expressions.region: "
            "Input should be a valid dictionary",
        ),
    ],
    ids=[
        "values null",
        "family null",
        "references a string",
        "expression a list",
        "region a list",
        "region a string",
    ],
)
def test_what_drift_gate_reads_is_never_unknown_or_empty_when_malformed(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    path: tuple[str | int, ...],
    value: Any,
    expected: str,
) -> None:
    """Read as "unknown" or "no reference", each of these would change what is checked: a
    malformed reference sends a service to a family look-up, a malformed region to AWS_REGION."""
    document = with_path(base_plan(), path, value)
    code, stderr = run_plan_json(tmp_path, capsys, json.dumps(document).encode())
    assert code == 2, stderr
    assert expected in stderr
    assert CANARY not in stderr


def canary_documents() -> list[dict[str, Any]]:
    """Every refusal this reader gives about a value's shape, each with the canary in it."""
    documents = [with_planned_containers(p.values[0]) for p in MALFORMED_CONTAINERS]
    documents += [
        with_path(
            base_plan(), ("resource_changes", 0, "change", "after", "container_definitions"), text
        )
        for text in (CANARY + "{", json.dumps([{"name": {"x": CANARY}}]))
    ]
    documents.append(deferred_plan(deferred(DEFERRED_BUCKET, reason=CANARY)))
    entry = without_address(change("aws_ecs_service.api", "aws_ecs_service", ["update"], {}, {}))
    documents.append(plan("1.0", resource_drift=[entry | {"index": {"k": CANARY}}]))
    documents += [
        with_path(
            base_plan(),
            ("configuration", "provider_config", "aws", "expressions", "region"),
            {"constant_value": [CANARY]},
        ),
        with_path(
            base_plan(),
            ("configuration", "root_module", "resources", 0, "expressions", "task_definition"),
            {"references": CANARY},
        ),
    ]
    return documents


def test_no_plan_value_in_any_refusal_even_with_debug_tracebacks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The canary check for plans: a refusal names where, never what; --debug prints the
    traceback, so no exception chained behind the refusal may quote the input either."""
    path = tmp_path / "plan.json"
    for number, document in enumerate(canary_documents()):
        path.write_text(json.dumps(document))
        code = main(["--debug", "check", "--plan-json", str(path), "--region", "us-east-1"])
        printed = capsys.readouterr()
        assert code == 2, (number, printed.err)
        assert "Traceback" in printed.err  # the traceback was printed, and holds no value
        assert CANARY not in printed.out + printed.err, number


# --- What the plan cannot tell apart, or leaves out, is never a pass (review findings) -------

SERVICE = "aws_ecs_service.api"
SERVICE_VALUES = {
    "name": "api",
    "cluster": "c",
    "desired_count": 2,
    "task_definition": "arn:aws:ecs:us-east-1:123456789012:task-definition/api:1",
}


def clean_plan() -> dict[str, Any]:
    """A task definition and its service, both unchanged (`no-op`): nothing pending."""
    td_values = task_definition_values("api", [INCIDENT_AFTER])
    return plan(
        "1.2",
        resource_changes=[
            change(TD, "aws_ecs_task_definition", ["no-op"], td_values, td_values),
            change(SERVICE, "aws_ecs_service", ["no-op"], SERVICE_VALUES, SERVICE_VALUES),
        ],
        config_resources=[service_config()],
    )


def without_planned(document: dict[str, Any], address: str) -> dict[str, Any]:
    copy: dict[str, Any] = json.loads(json.dumps(document))
    root = copy["planned_values"]["root_module"]
    root["resources"] = [r for r in root["resources"] if r["address"] != address]
    return copy


def test_the_clean_plan_these_tests_change_is_read() -> None:
    parsed = parse_plan(clean_plan(), "p")
    assert [td.address for td in parsed.task_definitions] == [TD]
    declared = services_from_plan(parsed, None, "us-east-1")
    assert declared.findings == ()
    assert declared.environment is not None


def _drop(document: dict[str, Any], *path: str | int) -> dict[str, Any]:
    copy: dict[str, Any] = json.loads(json.dumps(document))
    target: Any = copy
    for part in path[:-1]:
        target = target[part]
    del target[path[-1]]
    return copy


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        (_drop(clean_plan(), "planned_values"), "planned_values: missing"),
        (with_path(clean_plan(), ("planned_values",), None), "planned_values: missing"),
        (
            with_path(clean_plan(), ("planned_values", "root_module"), None),
            "planned_values.root_module: missing",
        ),
        (
            with_path(clean_plan(), ("planned_values", "root_module"), {}),
            f"planned_values.root_module: no {TD}, which resource_changes[0] plans (no-op)",
        ),
        (
            without_planned(clean_plan(), SERVICE),
            f"planned_values.root_module: no {SERVICE}, which resource_changes[1] plans (no-op)",
        ),
    ],
    ids=["absent", "null", "root_module null", "root_module empty", "a service left out"],
)
def test_changes_without_their_planned_values_are_exit_2_never_nothing_to_check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], document: dict[str, Any], expected: str
) -> None:
    """Terraform writes planned_values in every plan, with every resource a change keeps:
    without them nothing would be checked, and the run said "PASS: 0 service(s)"."""
    code, stderr = run_plan_json(tmp_path, capsys, json.dumps(document).encode())
    assert code == 2, stderr
    assert f"not a plan drift-gate can read: {expected}" in stderr


def test_a_destroy_plan_and_a_forget_are_read_as_terraform_writes_them() -> None:
    """What terraform 1.11 writes: `plan -destroy` leaves the deleted resources out of
    planned_values (`{"root_module": {}}`); a `forget` (a `removed` block) keeps the resource
    there without `values`. Neither is malformed, and neither is read as "unknown"."""
    td_values = task_definition_values("api", [INCIDENT_AFTER])
    destroy = plan(
        "1.2",
        resource_changes=[
            change(TD, "aws_ecs_task_definition", ["delete"], td_values, None),
            change(SERVICE, "aws_ecs_service", ["delete"], SERVICE_VALUES, None),
        ],
    )
    assert destroy["planned_values"] == {"root_module": {"resources": []}}
    destroy["planned_values"] = {"root_module": {}}
    parsed = parse_plan(destroy, "p")
    assert (parsed.task_definitions, parsed.services) == ((), ())
    assert {f.rule_id for f in findings_of(destroy)} == {"DG501"}
    forget = plan(
        "1.2", resource_changes=[change(TD, "aws_ecs_task_definition", ["forget"], td_values, None)]
    )
    assert "values" not in forget["planned_values"]["root_module"]["resources"][0]
    assert parse_plan(forget, "p").task_definitions == ()
    assert [f.rule_id for f in findings_of(forget)] == ["DG501"]


def with_second_task_definition(document: dict[str, Any], *, module: str | None) -> dict[str, Any]:
    """A second task definition at the task definition's address, in the root module or, as
    an address without its module, in a child module."""
    copy: dict[str, Any] = json.loads(json.dumps(document))
    other = planned_resource(
        TD, "aws_ecs_task_definition", task_definition_values("api", [container()])
    )
    root = copy["planned_values"]["root_module"]
    if module is None:
        root["resources"].append(other)
    else:
        root["child_modules"] = [{"address": module, "resources": [other]}]
    return copy


@pytest.mark.parametrize(
    ("module", "expected"),
    [
        (None, "planned_values.root_module.resources[2].address"),
        ("module.m", "planned_values.root_module.child_modules[0].resources[0].address"),
    ],
    ids=["root module", "child module"],
)
def test_two_task_definitions_at_one_address_are_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], module: str | None, expected: str
) -> None:
    document = with_second_task_definition(clean_plan(), module=module)
    code, stderr = run_plan_json(tmp_path, capsys, json.dumps(document).encode())
    assert code == 2, stderr
    assert (
        f"{expected}: the same resource as planned_values.root_module.resources[0]; terraform "
        "writes each resource once"
    ) in stderr


def test_an_unknown_task_definition_among_several_candidates_is_dg901_not_dg505(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The service refers to aws_ecs_task_definition.api, which has two instances (count),
    and its task_definition is known only after apply: which one it runs the plan never says."""
    unknown_td = {k: v for k, v in SERVICE_VALUES.items() if k != "task_definition"}
    document = plan(
        "1.2",
        resource_changes=[
            change(
                SERVICE,
                "aws_ecs_service",
                ["update"],
                SERVICE_VALUES,
                unknown_td,
                after_unknown={"task_definition": True},
            ),
        ],
        resources=[
            planned_resource(
                f"{TD}[{i}]",
                "aws_ecs_task_definition",
                task_definition_values(f"api-{i}", [INCIDENT_AFTER]),
            )
            for i in (0, 1)
        ],
        config_resources=[service_config()],
    )
    assert declared_findings(document) == [
        (
            "DG901",
            f"{SERVICE}: not checked: 2 task definitions in this plan could be the one it runs, "
            "and the plan does not say which",
        )
    ]
    # Exit 3, not 0: the service's pending update (DG501, exit 1) is left out to see it.
    document["resource_changes"][0]["change"]["actions"] = ["no-op"]
    code, stderr = run_plan_json(tmp_path, capsys, json.dumps(document).encode())
    assert code == 3, stderr


def _td_values_without(key: str) -> dict[str, Any]:
    values = task_definition_values("api", [INCIDENT_AFTER])
    del values[key]
    return values


@pytest.mark.parametrize(
    ("path", "where"),
    [
        (
            ("planned_values", "root_module", "resources", 0, "values", "container_definitions"),
            "resource_changes[0].change.after_unknown does not mark it",
        ),
        (
            ("planned_values", "root_module", "resources", 0, "values", "family"),
            "resource_changes[0].change.after_unknown does not mark it",
        ),
        (
            ("planned_values", "root_module", "resources", 1, "values", "name"),
            "resource_changes[1].change.after_unknown does not mark it",
        ),
        (
            ("planned_values", "root_module", "resources", 1, "values", "task_definition"),
            "resource_changes[1].change.after_unknown does not mark it",
        ),
        (
            ("planned_values", "root_module", "resources", 1, "values", "cluster"),
            "resource_changes[1].change.after_unknown does not mark it",
        ),
        (
            ("planned_values", "root_module", "resources", 0, "values", "execution_role_arn"),
            "resource_changes[0].change.after_unknown does not mark it",
        ),
    ],
    ids=[
        "container_definitions",
        "family",
        "service name",
        "task_definition",
        "cluster",
        "execution_role_arn",
    ],
)
def test_a_known_value_left_out_of_planned_values_is_exit_2_never_unknown(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], path: tuple[Any, ...], where: str
) -> None:
    """Only what a change marks in after_unknown is known only after apply: a no-op's values
    are all known, so one left out is a malformed plan, not a DG505 warning and exit 0."""
    document = _drop(clean_plan(), *path)
    code, stderr = run_plan_json(tmp_path, capsys, json.dumps(document).encode())
    assert code == 2, stderr
    assert (
        f"{'.'.join(str(p) for p in path[:3])}[{path[3]}].values.{path[5]}: missing, and {where} "
        "known only after apply (terraform leaves out only unknown values)"
    ) in stderr


def test_a_value_left_out_with_no_change_to_mark_it_unknown_is_exit_2() -> None:
    document = service_plan({"name": "api", "cluster": "c"})
    with pytest.raises(InvalidInputError) as raised:
        parse_plan(document, "p")
    assert (
        "planned_values.root_module.resources[0].values.task_definition: missing, and no "
        "resource_changes entry marks it known only after apply"
    ) in str(raised.value)


def test_a_pending_change_still_marks_container_definitions_unknown() -> None:
    """The same value left out is DG505 when the change marks it (a new revision whose
    containers depend on another resource's unknown attribute)."""
    document = _drop(
        clean_plan(),
        "planned_values",
        "root_module",
        "resources",
        0,
        "values",
        "container_definitions",
    )
    document["resource_changes"][0]["change"]["actions"] = ["update"]
    document["resource_changes"][0]["change"]["after_unknown"] = {"container_definitions": True}
    assert [rule for rule, _ in declared_findings(document)] == ["DG505"]


DATA_TD = "data.aws_ecs_task_definition.api"


def data_source_plan(*, referenced: bool) -> dict[str, Any]:
    """The service runs the task definition a data source reads, as terraform 1.11 writes
    a data source in planned_values (`"mode": "data"`), of the family of its value."""
    data = planned_resource(
        DATA_TD,
        "aws_ecs_task_definition",
        {
            "task_definition": "api",
            "family": "api",
            "revision": 1,
            "arn": SERVICE_VALUES["task_definition"],
        },
    )
    data["mode"] = "data"
    config = service_config()
    config["expressions"]["task_definition"]["references"] = [f"{DATA_TD}.arn", DATA_TD]
    data_config = {
        "address": DATA_TD,
        "mode": "data",
        "type": "aws_ecs_task_definition",
        "name": "api",
        "expressions": {"task_definition": {"constant_value": "api"}},
    }
    return plan(
        "1.2",
        resource_changes=[
            change(SERVICE, "aws_ecs_service", ["no-op"], SERVICE_VALUES, SERVICE_VALUES)
        ],
        resources=[data],
        config_resources=[config, data_config] if referenced else [data_config],
    )


@pytest.mark.parametrize(
    ("referenced", "expected"),
    [
        (
            True,
            f"{SERVICE}: not checked: its task definition is read through a data source "
            f"({DATA_TD}), so what its containers must receive is not declared in this plan",
        ),
        (
            False,
            f"{SERVICE}: not checked: its task definition ({SERVICE_VALUES['task_definition']}) "
            "is not declared in this plan (registered outside this configuration, or read "
            "through a data source), so what its containers must receive is not known here",
        ),
    ],
    ids=["referenced", "by family"],
)
def test_a_data_source_is_never_read_as_the_task_definition(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], referenced: bool, expected: str
) -> None:
    document = data_source_plan(referenced=referenced)
    assert parse_plan(document, "p").task_definitions == ()
    assert declared_findings(document) == [("DG901", expected)]
    code, stderr = run_plan_json(tmp_path, capsys, json.dumps(document).encode())
    assert code == 3, stderr


def test_a_data_source_of_the_family_of_a_declared_one_is_still_not_checked() -> None:
    """A task definition resource of the same family is in the plan, but the service's
    expression reads the data source: checked against the resource, it could pass unchecked."""
    document = data_source_plan(referenced=True)
    document["planned_values"]["root_module"]["resources"].append(
        planned_resource(
            TD, "aws_ecs_task_definition", task_definition_values("api", [INCIDENT_AFTER])
        )
    )
    assert [rule for rule, _ in declared_findings(document)] == ["DG901"]


def test_a_service_referring_to_several_task_definitions_is_not_checked() -> None:
    """`var.blue ? aws_ecs_task_definition.blue.arn : aws_ecs_task_definition.green.arn`:
    the first reference is not necessarily the one it runs."""
    document = service_plan(
        SERVICE_VALUES,
        ("aws_ecs_task_definition.blue", "blue"),
        ("aws_ecs_task_definition.green", "green"),
    )
    config = service_config(task_definition="blue")
    config["expressions"]["task_definition"]["references"] += [
        "var.blue",
        "aws_ecs_task_definition.green.arn",
        "aws_ecs_task_definition.green",
    ]
    document["configuration"]["root_module"]["resources"] = [config]
    assert declared_findings(document) == [
        (
            "DG901",
            f"{SERVICE}: not checked: its task_definition refers to 2 task definitions "
            "(aws_ecs_task_definition.blue, aws_ecs_task_definition.green), and the plan does "
            "not say which it runs",
        )
    ]


def unknown_task_definition_plan() -> dict[str, Any]:
    """The incident's service, whose new task definition revision is known only after apply:
    the configuration's reference is what ties it to its task definition."""
    return incident_plan()


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        (("configuration",), None, "configuration.root_module: missing"),
        (("configuration", "root_module"), None, "configuration.root_module: missing"),
        (
            ("configuration", "root_module", "resources"),
            [],
            f"configuration.root_module.resources: no aws_ecs_service.api, which {SERVICE} is "
            "planned from",
        ),
    ],
    ids=["configuration null", "root_module null", "service block left out"],
)
def test_a_configuration_without_the_service_is_exit_2_never_no_reference(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    path: tuple[str, ...],
    value: Any,
    expected: str,
) -> None:
    """Read as "no reference", the service's task definition, known only after apply, was a
    DG505 warning instead of a check against aws_ecs_task_definition.api (exit 0 when nothing
    else is pending)."""
    document = with_path(unknown_task_definition_plan(), path, value)
    code, stderr = run_plan_json(tmp_path, capsys, json.dumps(document).encode())
    assert code == 2, stderr
    assert f"not a plan drift-gate can read: {expected}" in stderr


def test_a_module_left_out_of_the_configuration_is_exit_2() -> None:
    planned = planned_resource(
        "module.svc.aws_ecs_service.api", "aws_ecs_service", {"name": "api", "cluster": "c"}
    )
    document = plan(
        "1.2",
        child_modules=[{"address": "module.svc", "resources": [planned]}],
        resource_changes=[
            change(
                "module.svc.aws_ecs_service.api",
                "aws_ecs_service",
                ["update"],
                {"name": "api", "cluster": "c"},
                {"name": "api", "cluster": "c"},
                after_unknown={"task_definition": True},
            )
        ],
    )
    with pytest.raises(InvalidInputError) as raised:
        parse_plan(document, "p")
    assert (
        "configuration.root_module.module_calls: no module svc, which "
        "module.svc.aws_ecs_service.api is in"
    ) in str(raised.value)


def test_a_deposed_object_is_not_a_second_change_at_its_address() -> None:
    """create_before_destroy: the deposed object's delete is its own entry at the address."""
    document = clean_plan()
    deposed = change(TD, "aws_ecs_task_definition", ["delete"], None, None)
    document["resource_changes"].append({**deposed, "deposed": "00000001"})
    assert len(parse_plan(document, "p").task_definitions) == 1
    with pytest.raises(InvalidInputError, match=r"resource_changes\[2\]\.address: the same"):
        parse_plan(_drop(document, "resource_changes", 2, "deposed"), "p")
