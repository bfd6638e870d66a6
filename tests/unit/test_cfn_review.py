"""Issue 26's review of the CloudFormation reader: hostile or odd templates are refused in
one line or left unresolved, fast, and never crash; values read as CloudFormation reads them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drift_gate.errors import InvalidInputError
from drift_gate.sources.cfn_decode import decode_template
from drift_gate.sources.cfn_intrinsics import (
    MAX_STEPS,
    TemplateContext,
    Unresolved,
    condition,
    resolve,
)
from drift_gate.sources.cfn_template import read_parameters, read_template
from tests.conftest import Cli, MotoServer
from tests.unit.test_cfn_live import TEMPLATE, deploy
from tests.unit.test_cfn_live import check as live_check
from tests.unit.test_cfn_templates import check, policy_for


def write(tmp_path: Path, document: Any, name: str = "t.yaml") -> Path:
    path = tmp_path / name
    path.write_text(document if isinstance(document, str) else yaml.safe_dump(document))
    return path


def task(container: dict[str, Any], **template: Any) -> dict[str, Any]:
    resource = {"Type": "AWS::ECS::TaskDefinition", "Properties": {
        "ExecutionRoleArn": "r", "ContainerDefinitions": [{"Name": "app", "Image": "x", **container}],
    }}  # fmt: skip
    return {**template, "Resources": {"Task": resource}}


LAUGHS = "\n".join(
    [f"a0: &a0 [{','.join(['x'] * 10)}]"]
    + [f"a{i}: &a{i} [{','.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    + ["Resources: {T: {Type: AWS::ECS::TaskDefinition}}"]
)


def test_yaml_aliases_are_refused_in_one_line_before_any_expansion() -> None:
    with pytest.raises(InvalidInputError) as raised:
        decode_template(LAUGHS, "t.yaml")
    message = str(raised.value)
    assert message.startswith("t.yaml:1: ")
    assert "alias" in message
    assert "\n" not in message
    with pytest.raises(InvalidInputError, match=r"t.yaml:1: .*alias"):
        decode_template("a: &x v\nb: *x\n", "t.yaml")


def test_an_anchor_never_used_is_harmless() -> None:
    assert decode_template("a: &x v\n", "t.yaml").document == {"a": "v"}


def _or_of(name: str, count: int) -> dict[str, Any]:
    return {"Fn::Or": [{"Condition": name}] * count}


def test_circular_conditions_are_unresolved_fast() -> None:
    context = TemplateContext(conditions={"A": _or_of("B", 10), "B": _or_of("A", 10)})
    assert condition("A", context) is None
    assert condition("B", context) is None


def test_conditions_are_resolved_once_each() -> None:
    # C0 = Or(C1 x10), C1 = Or(C2 x10) ... : 10^15 evaluations without memoising
    conditions = {f"C{i}": _or_of(f"C{i + 1}", 10) for i in range(15)}
    conditions["C15"] = {"Fn::Equals": ["a", "a"]}
    assert condition("C0", TemplateContext(conditions=conditions)) is True


def test_a_name_that_refers_to_itself_is_unresolved_fast() -> None:
    context = TemplateContext(
        resources={"C": "AWS::ECS::Cluster"}, names={"C": {"Fn::Join": ["", [{"Ref": "C"}] * 10]}}
    )
    assert isinstance(resolve({"Ref": "C"}, context), Unresolved)


def test_resolution_past_its_bound_is_unresolved() -> None:
    # Sub of a variable used 20 times, nested 8 levels: 20^8 without the bound
    value: Any = "x"
    for _ in range(8):
        value = {"Fn::Sub": ["${V}" * 20, {"V": value}]}
    found = resolve(value, TemplateContext())
    assert isinstance(found, Unresolved)
    assert "too large" in found.words
    assert MAX_STEPS >= 10_000  # a real template's expressions stay far below it


@pytest.mark.parametrize("shape", [True, 5, "text", {"Name": "X"}, {"Fn::Foo": 1}, None])
@pytest.mark.parametrize("key", ["Environment", "Secrets", "EnvironmentFiles"])
def test_a_list_property_of_another_shape_is_unresolved_never_a_crash(
    cli: Cli, tmp_path: Path, key: str, shape: Any
) -> None:
    template = write(tmp_path, task({key: shape}))
    policy = policy_for(tmp_path, "api", {"app": {"environment": ["DB_HOST"]}})
    code, _, stderr = check(cli, policy, template, "--service", "Task")
    assert "internal error" not in stderr
    assert code == (1 if shape is None else 3), stderr


SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=5)
)
ODD = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(
            st.sampled_from(
                [
                    "Name",
                    "Value",
                    "ValueFrom",
                    "Ref",
                    "Fn::If",
                    "Fn::Join",
                    "Fn::Sub",
                    "Type",
                    "Default",
                ]
            ),
            inner,
            max_size=3,
        ),
    ),
    max_leaves=8,
)
READ = [
    ("Properties", "ExecutionRoleArn"), ("Container", "Name"), ("Container", "Image"),
    ("Container", "Environment"), ("Container", "Secrets"), ("Container", "EnvironmentFiles"),
    ("Entry", "Name"), ("Entry", "Value"), ("Entry", "ValueFrom"), ("Service", "Cluster"),
    ("Service", "ServiceName"), ("Service", "TaskDefinition"), ("Template", "Parameters"),
    ("Template", "Conditions"), ("Template", "Mappings"), ("Parameter", "Default"),
    ("Parameter", "Type"), ("Parameter", "NoEcho"), ("Express", "PrimaryContainer"),
]  # fmt: skip


def _template(where: str, key: str, odd: Any) -> dict[str, Any]:
    entry = {"Name": "A", "Value": "v", "ValueFrom": "v"}
    container = {"Name": "app", "Image": "x", "Environment": [entry], "Secrets": [dict(entry)]}
    parameter: dict[str, Any] = {"Type": "String", "Default": "d"}
    properties: dict[str, Any] = {"ExecutionRoleArn": "r", "ContainerDefinitions": [container]}
    service: dict[str, Any] = {"Cluster": "c", "ServiceName": "api", "TaskDefinition": {"Ref": "T"}}
    express: dict[str, Any] = {"PrimaryContainer": {"Image": "x", "Environment": [entry]}}
    target = {"Properties": properties, "Container": container, "Entry": entry,
              "Service": service, "Parameter": parameter, "Express": express}  # fmt: skip
    template: dict[str, Any] = {"Parameters": {"P": parameter}, "Resources": {
        "T": {"Type": "AWS::ECS::TaskDefinition", "Properties": properties},
        "S": {"Type": "AWS::ECS::Service", "Properties": service},
        "E": {"Type": "AWS::ECS::ExpressGatewayService", "Properties": express},
    }}  # fmt: skip
    target.get(where, template)[key] = odd
    return template


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(where_key=st.sampled_from(READ), odd=ODD)
def test_every_property_read_of_any_type_is_read_or_refused_never_a_crash(
    tmp_path: Path, where_key: tuple[str, str], odd: Any
) -> None:
    path = tmp_path / "fuzz.json"
    path.write_text(json.dumps(_template(*where_key, odd)))
    try:
        template = read_template(path)
    except InvalidInputError as error:
        message = str(error)
    else:
        message = ""
    assert "\n" not in message
    if message:
        return
    for definition in template.task_definitions.values():
        for container in definition.containers:
            assert isinstance(container.names.environment, tuple)


def test_a_boolean_default_is_text_as_cloudformation_passes_it(cli: Cli, tmp_path: Path) -> None:
    template = write(
        tmp_path,
        """\
Parameters:
  UseProxy: {Type: String, Default: true, AllowedValues: [true, false]}
  Ratio: {Type: Number, Default: 1.50}
Conditions:
  Proxied: !Equals [!Ref UseProxy, "true"]
Resources:
  Task:
    Type: AWS::ECS::TaskDefinition
    Properties:
      ExecutionRoleArn: r
      ContainerDefinitions:
        - Name: app
          Image: x
          Environment:
            - !If [Proxied, {Name: PROXY_URL, Value: p}, {Name: DB_HOST, Value: h}]
            - {Name: RATIO, Value: !Ref Ratio}
""",
    )
    container = read_template(template).task_definitions["Task"].containers[0]
    values = {v.name for v in container.names.environment}
    assert values == {"PROXY_URL", "RATIO"}
    policy = policy_for(tmp_path, "api", {"app": {"environment": ["PROXY_URL", "RATIO"]}})
    assert check(cli, policy, template, "--service", "Task")[0] == 0


def test_a_boolean_in_a_parameters_file_is_lowercase(tmp_path: Path) -> None:
    path = write(tmp_path, '{"Parameters": {"A": true, "B": 1.50, "C": 3}}', "p.json")
    assert read_parameters(path) == {"A": "true", "B": "1.50", "C": "3"}


def test_an_ssm_parameter_type_is_unresolved_not_its_default(cli: Cli, tmp_path: Path) -> None:
    template = write(
        tmp_path,
        """\
Parameters:
  HostVarName: {Type: "AWS::SSM::Parameter::Value<String>", Default: DB_HOST}
  Names: {Type: "AWS::SSM::Parameter::Value<List<String>>", Default: DB_HOST}
  Plain: {Type: "AWS::SSM::Parameter::Name", Default: OTHER}
Resources:
  Task:
    Type: AWS::ECS::TaskDefinition
    Properties:
      ExecutionRoleArn: r
      ContainerDefinitions:
        - Name: app
          Image: x
          Environment:
            - {Name: !Ref HostVarName, Value: db}
            - {Name: !Select [0, !Ref Names], Value: db}
            - {Name: !Ref Plain, Value: db}
""",
    )
    container = read_template(template).task_definitions["Task"].containers[0]
    assert {v.name for v in container.names.environment} == {"OTHER"}
    assert all("SSM parameter" in words for _, words in container.unresolved[:1])
    policy = policy_for(tmp_path, "api", {"app": {"environment": ["DB_HOST", "OTHER"]}})
    code, _, stderr = check(cli, policy, template, "--service", "Task")
    assert code == 3
    assert "DB_HOST" in stderr


PIN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-AbCdEf"
OTHER = "arn:aws:secretsmanager:us-east-1:123456789012:secret:other-XyZ123"


@pytest.mark.parametrize("value_from", ["!Ref DbArn", "!Ref NewSecret", PIN, OTHER])
def test_a_pin_against_a_reference_known_at_deploy_is_not_verified(
    cli: Cli, tmp_path: Path, value_from: str
) -> None:
    template = write(
        tmp_path,
        f"""\
Parameters:
  DbArn: {{Type: String}}
Resources:
  NewSecret: {{Type: AWS::SecretsManager::Secret}}
  Task:
    Type: AWS::ECS::TaskDefinition
    Properties:
      ExecutionRoleArn: r
      ContainerDefinitions:
        - Name: app
          Image: x
          Secrets:
            - {{Name: DB_PASSWORD, ValueFrom: {value_from}}}
""",
    )
    policy = tmp_path / "pin.yaml"
    policy.write_text(
        policy_for(tmp_path, "api", {"app": {}}).read_text()
        + f'            secrets:\n              - {{name: DB_PASSWORD, value_from: "{PIN}"}}\n'
    )
    code, report, _ = check(cli, policy, template, "--service", "Task")
    rules = [f["rule_id"] for f in report["findings"]]
    expected = {PIN: (0, []), OTHER: (1, ["DG104"])}.get(value_from, (3, ["DG903"]))
    assert (code, rules) == expected


BRANCHES = """\
Parameters:
  Env: {Type: String}
Conditions:
  Prod: !Equals [!Ref Env, prod]
Resources:
  Task:
    Type: AWS::ECS::TaskDefinition
    Properties:
      ExecutionRoleArn: r
      ContainerDefinitions:
        - Name: app
          Image: x
          Secrets: !If
            - Prod
            - [{Name: DB_PASSWORD, ValueFrom: a}, {Name: PROD_ONLY, ValueFrom: b}]
            - [{Name: DB_PASSWORD, ValueFrom: c}]
          Environment:
            - !If [Prod, {Name: DB_HOST, Value: p}, {Name: DB_HOST, Value: d}]
            - !If [Prod, {Name: EXTRA, Value: p}, !Ref AWS::NoValue]
"""


def test_names_in_every_branch_of_an_unknown_if_are_declared_the_others_unresolved(
    tmp_path: Path,
) -> None:
    container = read_template(write(tmp_path, BRANCHES)).task_definitions["Task"].containers[0]
    assert [s.name for s in container.names.secrets] == ["DB_PASSWORD"]
    assert [v.name for v in container.names.environment] == ["DB_HOST"]
    unresolved = dict(container.unresolved_names)
    assert len(container.unresolved_names) == 2
    assert any("not in every branch" in words for words in unresolved.values())


def test_live_an_unresolved_secrets_list_is_not_a_pass(
    cli_on_moto: Cli, moto_server: MotoServer, tmp_path: Path
) -> None:
    deploy(moto_server)
    changed = tmp_path / "stack.yaml"
    changed.write_text(
        TEMPLATE.read_text()
        .replace('!If [Named, !Ref ServiceName, !Ref "AWS::NoValue"]', "shop-api")
        .replace(
            "          Secrets:\n            - Name: DB_PASSWORD\n"
            "              ValueFrom: arn:aws:ssm:us-east-1:123456789012:parameter/shop/db\n",
            "          Secrets: !If [Unknown, [], []]\n",
        )
        .replace("Conditions:\n", "Conditions:\n  Unknown: !Equals [!Ref ServiceName, x]\n")
        .replace('    Default: ""\n', "")
    )
    code, report, output = live_check(cli_on_moto, changed)
    assert code == 0, output  # both branches empty: nothing unknown
    changed.write_text(changed.read_text().replace("!If [Unknown, [], []]", "!Ref Unknown"))
    code, report, output = live_check(cli_on_moto, changed)
    assert code == 3, output
    [unknown] = [f for f in report["findings"] if f["rule_id"] == "DG901"]
    assert "not compared with what runs" in unknown["message"]
    assert unknown["declared_in"].startswith(f"{changed}:")


@pytest.mark.parametrize(
    "value",
    [
        '!Sub "{{resolve:secretsmanager:${DbSecret}:SecretString:password}}"',
        '!Join ["", ["{{resolve:secretsmanager:", !Ref DbSecret, ":SecretString:password}}"]]',
        '!Join ["", ["{{resolve:", "ssm-secure:", !Ref Name, "}}"]]',
        '!If [Prod, !Sub "{{resolve:secretsmanager:${DbSecret}}}", plain]',
    ],
)
def test_a_dynamic_reference_written_through_an_intrinsic_is_dg106(
    cli: Cli, tmp_path: Path, value: str
) -> None:
    template = write(
        tmp_path,
        f"""\
Parameters:
  Name: {{Type: String}}
Conditions:
  Prod: !Equals [!Ref Name, prod]
Resources:
  DbSecret: {{Type: AWS::SecretsManager::Secret}}
  Task:
    Type: AWS::ECS::TaskDefinition
    Properties:
      ExecutionRoleArn: r
      ContainerDefinitions:
        - Name: app
          Image: x
          Environment:
            - Name: DB_PASS
              Value: {value}
""",
    )
    policy = policy_for(tmp_path, "api", {"app": {"environment": ["DB_PASS"]}})
    _, report, _ = check(cli, policy, template, "--service", "Task")
    [dg106] = [f for f in report["findings"] if f["rule_id"] == "DG106"]
    assert dg106["declared_in"] == f"{template}:15"
    assert "{{resolve" in dg106["message"]


def test_a_macro_transform_leaves_the_template_unresolved(tmp_path: Path) -> None:
    text = """\
Transform: [AWS::Serverless-2016-10-31, MyCompanyMacro]
Resources:
  Task:
    Type: AWS::ECS::TaskDefinition
    Properties:
      ContainerDefinitions:
        - Name: app
          Image: x
          Fn::Transform: {Name: AWS::Include, Parameters: {Location: s3://b/s.yaml}}
"""
    [container] = read_template(write(tmp_path, text)).task_definitions["Task"].containers
    assert [(at.rsplit(":", 1)[1], "Transform" in w) for at, w in container.unresolved_names] == [
        ("1", True),
        ("9", True),
    ]
    sam = text.replace(", MyCompanyMacro", "").replace("          Fn::Transform", "          X")
    [container] = read_template(write(tmp_path, sam)).task_definitions["Task"].containers
    assert container.unresolved_names == ()


def test_for_each_is_refused_naming_the_processed_template(tmp_path: Path) -> None:
    text = """\
Transform: AWS::LanguageExtensions
Resources:
  Fn::ForEach::Tasks:
    - X
    - [A, B]
    - Task${X}: {Type: AWS::ECS::TaskDefinition}
"""
    with pytest.raises(InvalidInputError, match=r"t.yaml:3: .*LanguageExtensions.*Processed"):
        read_template(write(tmp_path, text))


def test_only_a_reference_attribute_is_declared_here() -> None:
    context = TemplateContext(
        resources={"P": "AWS::SSM::Parameter", "S": "AWS::SecretsManager::Secret"}
    )
    assert isinstance(resolve({"Fn::GetAtt": ["P", "Value"]}, context), Unresolved)
    assert isinstance(resolve({"Fn::Sub": "${P.Value}"}, context), Unresolved)
    assert not isinstance(resolve({"Fn::GetAtt": ["S", "Id"]}, context), Unresolved)
    assert not isinstance(resolve({"Ref": "P"}, context), Unresolved)


def test_entries_chosen_through_fn_if_keep_their_lines(tmp_path: Path) -> None:
    text = BRANCHES.replace("Env: {Type: String}", "Env: {Type: String, Default: prod}")
    path = write(tmp_path, text)
    [container] = read_template(path).task_definitions["Task"].containers
    assert container.secret_at == {"DB_PASSWORD": f"{path}:15", "PROD_ONLY": f"{path}:15"}
    assert container.plain_at == {"DB_HOST": f"{path}:18", "EXTRA": f"{path}:19"}
    [unknown] = (
        read_template(write(tmp_path, BRANCHES, "u.yaml")).task_definitions["Task"].containers
    )
    assert unknown.plain_at["DB_HOST"].endswith(":18")
