"""Property tests: whatever a user feeds the CLI, it answers with a documented exit code.

Driven through `main(argv)`, the entry point of the installed CLI, over the policy loader,
the plan parser, the HCL reader and the dotenv reader. For every input: the exit code is
0, 1, 2 or 3; nothing says "internal error"; no planted value appears in any output. The
example budget is fixed so CI stays fast; a long campaign is one environment variable:

    DRIFT_GATE_FUZZ_EXAMPLES=20000 python -m pytest tests/unit/test_fuzz.py

docs/reliability.md has the budgets and what past campaigns found.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from drift_gate.cli import main
from tests.conftest import REPO, closed_port
from tests.plans import incident_plan

EXAMPLES = int(os.environ.get("DRIFT_GATE_FUZZ_EXAMPLES", "40"))
BUDGET = settings(
    max_examples=EXAMPLES,
    deadline=None,  # no timing in tests: benchmarks measure time
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=os.environ.get("DRIFT_GATE_FUZZ_RANDOM") is None,  # CI: the same examples
    database=None,
)
DOCUMENTED_EXITS = {0, 1, 2, 3}
# Planted where values live (environment values, plan values, dotenv values): never printed.
CANARY = "hf_FuzzCanaryValueNeverPrinted0123456789"
EXAMPLE = REPO / "examples" / "hokusai"


@contextlib.contextmanager
def workdir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="drift-gate-fuzz-") as name:
        yield Path(name)


def run(*args: str) -> tuple[int, str]:
    """main(argv) with stdout and stderr captured together."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        code = main(list(args))
    return int(code), out.getvalue()


def assert_documented(code: int, output: str) -> None:
    assert code in DOCUMENTED_EXITS, output
    assert "internal error" not in output, output
    assert CANARY not in output


@pytest.fixture(autouse=True)
def no_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    """A plan that parses declares services: their live check meets a closed loopback port."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{closed_port()}")


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**20), max_value=10**20)
    | st.floats(allow_nan=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)
# The canary only ever inside a list or an object: where a name is expected that is the
# wrong type, so the message must name the path and the type, never the value inside. (A
# name itself, such as a service's, is printed by design.)
wrapped_canary = st.sampled_from([{"v": CANARY}, [CANARY, 1], [{"name": 1, "value": CANARY}]])


# --- Plans ----------------------------------------------------------------------------------


def paths(document: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(document, dict):
        for key, value in document.items():
            yield from paths(value, (*prefix, key))
    elif isinstance(document, list):
        for index, value in enumerate(document):
            yield from paths(value, (*prefix, index))


def replaced(document: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    copy = json.loads(json.dumps(document))
    target = copy
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    return copy


def planted_plan() -> dict[str, Any]:
    """The incident plan with the canary as a container's environment value."""
    document: dict[str, Any] = incident_plan()
    for change in document["resource_changes"]:
        after = (change.get("change") or {}).get("after") or {}
        if "container_definitions" in after:
            containers = json.loads(after["container_definitions"])
            containers[0]["environment"] = [{"name": "TOKEN", "value": CANARY}]
            after["container_definitions"] = json.dumps(containers)
    return document


PLAN = planted_plan()
PLAN_PATHS = list(paths(PLAN))


@BUDGET
@given(
    mutations=st.lists(
        st.tuples(st.sampled_from(PLAN_PATHS), json_values | wrapped_canary),
        min_size=1,
        max_size=3,
    )
)
@example(mutations=[(("resource_changes",), ["x"])])
@example(mutations=[(("configuration", "provider_config"), {"aws": "x"})])
@example(mutations=[(("output_changes",), {"o": []})])
# found by the long campaign of session 5: a resource change whose type is an object raised
# TypeError (unhashable) before validation could refuse it
@example(mutations=[(("resource_changes", 0, "type"), {"v": CANARY})])
@example(mutations=[(("planned_values", "root_module", "resources", 0, "type"), [CANARY, 1])])
def test_any_mutation_of_a_plan_gets_a_documented_exit(
    mutations: list[tuple[tuple[Any, ...], Any]],
) -> None:
    document: Any = PLAN
    for path, value in mutations:
        try:
            document = replaced(document, path, value)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation removed this path
    with workdir() as directory:
        plan = directory / "plan.json"
        plan.write_text(json.dumps(document))
        code, output = run("check", "--plan-json", str(plan), "--max-attempts", "1")
    assert_documented(code, output)


@BUDGET
@given(raw=st.binary(max_size=300) | st.text(max_size=300).map(str.encode))
@example(raw=b'{"format_version": "1.2", "n": ' + b"9" * 5000 + b"}")
@example(raw=b"[" * 100_000)
@example(raw=b"\xff\xfe{\x00}\x00")
def test_any_bytes_as_a_plan_get_a_documented_exit(raw: bytes) -> None:
    with workdir() as directory:
        plan = directory / "plan.json"
        plan.write_bytes(raw)
        code, output = run("check", "--plan-json", str(plan), "--max-attempts", "1")
    assert_documented(code, output)


# --- Policies -------------------------------------------------------------------------------

POLICY_TEXT = (EXAMPLE / "drift-gate.yaml").read_text()
POLICY_LINES = POLICY_TEXT.splitlines()
yaml_fragments = st.sampled_from(
    [
        "",
        "&a [1, 2]",
        "*a",
        "off",
        '"us-east-1\\n"',
        "9" * 5000,
        "[" * 40,
        "{",
        "DG901",
        "DG199",
        "99999999999d",
        "- x",
        ": :",
        "!!python/object:os.system x",
        "\t",
    ]
)


@BUDGET
@given(
    edits=st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=len(POLICY_LINES) - 1),
            yaml_fragments | st.text(max_size=30),
            st.booleans(),
        ),
        min_size=1,
        max_size=4,
    )
)
@example(edits=[(0, "\x1f", False)])  # found by this test: PyYAML's ReaderError was a crash
def test_any_edit_of_a_policy_gets_a_documented_exit(edits: list[tuple[int, str, bool]]) -> None:
    lines = list(POLICY_LINES)
    for number, fragment, replace_value in edits:
        line = lines[number]
        if replace_value and ":" in line:
            lines[number] = line.split(":", 1)[0] + ": " + fragment
        else:
            lines.insert(number, fragment)
    with workdir() as directory:
        shutil.copytree(EXAMPLE, directory / "repo")
        policy = directory / "repo" / "drift-gate.yaml"
        policy.write_text("\n".join(lines) + "\n")
        code, output = run("validate-policy", str(policy))
        assert code in (0, 2), output
        assert_documented(code, output)
        code, output = run(
            "check",
            "--offline",
            "--policy",
            str(policy),
            "--terraform-dir",
            str(policy.parent / "infra"),
        )
    assert_documented(code, output)


# --- Terraform sources and dotenv files -----------------------------------------------------

expressions = st.recursive(
    st.sampled_from(
        [
            '"x"',
            "1",
            "100000",
            "9" * 4400,
            "true",
            "null",
            "var.v",
            "local.l",
            "local.self",
            "each.value",
            "count.index",
            'file("/dev/zero")',
            'file("c.json")',
            "module.m.out",
            "aws_ecs_task_definition.api.arn",
        ]
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3).map(lambda items: "[" + ", ".join(items) + "]"),
        st.lists(
            st.tuples(st.sampled_from(["name", "value", "valueFrom", "x"]), inner), max_size=3
        ).map(lambda pairs: "{ " + ", ".join(f"{k} = {v}" for k, v in pairs) + " }"),
        st.tuples(
            st.sampled_from(["concat", "merge", "jsonencode", "tolist", "lower", "file"]), inner
        ).map(lambda call: f"{call[0]}({call[1]})"),
        inner.map(lambda source: f"[for i in {source} : i]"),
    ),
    max_leaves=8,
)


def tf_text(containers: str, local: str, count: str | None, module_source: str | None) -> str:
    blocks = [
        f"locals {{\n  l = {local}\n  self = local.self\n}}\n",
        'variable "v" {\n  default = ["A"]\n}\n',
        'resource "aws_ecs_task_definition" "api" {\n  family = "api"\n'
        + (f"  count = {count}\n" if count else "")
        + f'  container_definitions = jsonencode([{{ name = "api", environment = {containers} }}, '
        + f'{{ name = "planted", environment = [{{ name = "PLANTED", value = "{CANARY}" }}] }}])\n}}\n',
        'resource "aws_ecs_service" "api" {\n  name = "hokusai-api-development"\n'
        '  cluster = "hokusai-development"\n  task_definition = aws_ecs_task_definition.api.arn\n}\n',
    ]
    if module_source is not None:
        blocks.append(f'module "m" {{\n  source = "{module_source}"\n}}\n')
    return "".join(blocks)


@BUDGET
@given(
    containers=expressions,
    local=expressions,
    count=st.none() | expressions,
    module_source=st.none() | st.sampled_from(["./", "../", "./missing", "registry/x/aws"]),
    dotenv=st.text(max_size=120) | st.just(f"TOKEN={CANARY}\n"),
)
@example(  # found by this test: a file() used as a name printed the file's text
    containers='[{ name = file("c.json") }]',
    local='"x"',
    count=None,
    module_source=None,
    dotenv=f"TOKEN={CANARY}\n",
)
def test_any_terraform_and_dotenv_get_a_documented_exit(
    containers: str, local: str, count: str | None, module_source: str | None, dotenv: str
) -> None:
    with workdir() as directory:
        shutil.copytree(EXAMPLE, directory / "repo")
        infra = directory / "repo" / "infra"
        shutil.rmtree(infra)
        infra.mkdir()
        (infra / "main.tf").write_text(tf_text(containers, local, count, module_source))
        (infra / "c.json").write_text(
            json.dumps([{"name": "api", "environment": [{"name": "T", "value": CANARY}]}])
        )
        (directory / "repo" / ".env.example").write_text(dotenv)
        policy = directory / "repo" / "drift-gate.yaml"
        code, output = run(
            "check", "--offline", "--policy", str(policy), "--terraform-dir", str(infra)
        )
        assert_documented(code, output)
        code, output = run("inventory", "--terraform-dir", str(infra), "--policy", str(policy))
    assert_documented(code, output)


# --- the policy simulator's answer ----------------------------------------------------------

SIM_RESOURCES = (
    "arn:aws:secretsmanager:us-east-1:1:secret:a-x",
    "arn:aws:secretsmanager:us-east-1:1:secret:b-y",
)
SIM_ACTION = "secretsmanager:GetSecretValue"
_decisions = st.sampled_from(["allowed", "implicitDeny", "explicitDeny", "maybe", 1, None])
_names = st.sampled_from([*SIM_RESOURCES, "*", "arn:other", None, 7])
_missing: st.SearchStrategy[list[Any]] = st.one_of(
    st.just([]), st.lists(st.sampled_from(["aws:SourceVpc", 3]), max_size=2)
)
_per_resource = st.fixed_dictionaries(
    {"EvalResourceName": _names, "EvalResourceDecision": _decisions},
    optional={"MissingContextValues": _missing},
)
_result = st.fixed_dictionaries(
    {
        "EvalActionName": st.sampled_from([SIM_ACTION, "kms:Decrypt", None]),
        "EvalDecision": _decisions,
    },
    optional={
        "EvalResourceName": _names,
        "MissingContextValues": _missing,
        "ResourceSpecificResults": st.lists(_per_resource, max_size=3),
    },
)
_simulation = st.one_of(
    st.fixed_dictionaries(
        {"EvaluationResults": st.lists(_result, max_size=3)},
        optional={"IsTruncated": st.booleans(), "Marker": st.sampled_from(["m", "", None])},
    ),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)


def _allowed_by(answer: dict[str, Any], resource: str) -> bool:
    """Does `answer` itself say `resource` is allowed, without a missing context key?"""
    for result in answer.get("EvaluationResults", []):
        if result.get("EvalActionName") != SIM_ACTION:
            continue
        specific = result.get("ResourceSpecificResults") or []
        for item in specific:
            missing = item.get("MissingContextValues") or result.get("MissingContextValues")
            if (
                item.get("EvalResourceName") == resource
                and item.get("EvalResourceDecision") == "allowed"
                and not missing
            ):
                return True
        if specific or result.get("MissingContextValues"):
            continue
        if result.get("EvalDecision") == "allowed" and result.get("EvalResourceName") in (
            resource,
            "*",
            None,
        ):
            return True
    return False


@BUDGET
@given(answer=_simulation)
# Found by the first run: an "allowed" about another resource read as the aggregate.
@example(
    answer={
        "EvaluationResults": [
            {"EvalActionName": SIM_ACTION, "EvalDecision": "allowed", "EvalResourceName": r}
            for r in (SIM_RESOURCES[0], "arn:other")
        ]
    }
)
def test_any_simulator_answer_is_a_decision_or_unverified_never_a_wrong_pass(
    answer: dict[str, Any],
) -> None:
    from drift_gate.sources.aws import AwsClients
    from drift_gate.sources.execution_role import AccessQuestion, RoleSimulator

    class OneAnswer:
        def simulate_principal_policy(self, **arguments: Any) -> dict[str, Any]:
            if "Marker" in arguments:  # a second page: nothing more
                return {"EvaluationResults": [], "IsTruncated": False}
            return answer

    class Clients(AwsClients):
        def client(self, service: str, region: str) -> Any:
            return OneAnswer()

    role = "arn:aws:iam::1:role/r"
    questions = [AccessQuestion(role, SIM_ACTION, resource) for resource in SIM_RESOURCES]
    answered = RoleSimulator(Clients(), workers=1).answer(questions, "us-east-1")

    assert set(answered) == set(questions)  # every question has an answer
    for question, verdict in answered.items():
        if verdict.verdict == "allowed":
            assert _allowed_by(answer, question.resource), (answer, question.resource)
            assert not _denied_by(answer, question.resource), (answer, question.resource)


def _denied_by(answer: dict[str, Any], resource: str) -> bool:
    """Does `answer` anywhere deny `resource` (an answer may contradict itself)?"""
    for result in answer.get("EvaluationResults", []):
        if result.get("EvalActionName") != SIM_ACTION:
            continue
        for item in result.get("ResourceSpecificResults") or []:
            if item.get("EvalResourceName") == resource and item.get("EvalResourceDecision") in (
                "implicitDeny",
                "explicitDeny",
            ):
                return True
    return False


# --- CloudFormation templates ---------------------------------------------------------------

CFN = REPO / "tests" / "fixtures" / "cfn"
CFN_POLICY = """\
version: 1
environments:
  prod:
    region: us-east-1
    services:
      - cluster: shop-prod
        service: shop-api-prod
        containers:
          api:
            secrets: [DB_PASSWORD]
"""


def planted_template() -> dict[str, Any]:
    """hand.json with the canary as a plain value (a parameter's default may be a name, and
    a name is printed by design)."""
    document: dict[str, Any] = json.loads((CFN / "hand.json").read_text())
    container = document["Resources"]["TaskDefinition"]["Properties"]["ContainerDefinitions"][0]
    container["Environment"].append({"Name": "TOKEN", "Value": CANARY})
    return document


TEMPLATE = planted_template()
TEMPLATE_PATHS = list(paths(TEMPLATE))
# Intrinsics where anything may stand: what they resolve to may be a name, printed by design.
intrinsics = st.sampled_from(
    [
        {"Ref": "Env"},
        {"Ref": "Nope"},
        {"Fn::Sub": "${Env}-x"},
        {"Fn::If": ["C", {"Ref": "AWS::NoValue"}, "x"]},
        {"Fn::Join": ["", ["x", {"Ref": "DbPasswordArn"}]]},
        {"Fn::Select": ["x", [1]]},
        {"Fn::FindInMap": ["M", "x", "k"]},
        {"Fn::GetAtt": ["x"]},
        {"Fn::ImportValue": "x"},
        {"Fn::Sub": [{"x": 1}]},
    ]
)


@BUDGET
@given(
    mutations=st.lists(
        # Not the wrapped canary: in a template a list of texts may well be a name (Fn::Join).
        st.tuples(st.sampled_from(TEMPLATE_PATHS), json_values | intrinsics),
        min_size=1,
        max_size=3,
    ),
    offline=st.booleans(),
)
@example(mutations=[(("Resources",), [1])], offline=True)
@example(
    mutations=[(("Resources", "TaskDefinition", "Properties", "ContainerDefinitions"), {})],
    offline=True,
)
def test_any_mutation_of_a_template_gets_a_documented_exit(
    mutations: list[tuple[tuple[Any, ...], Any]], offline: bool
) -> None:
    """Offline and live (AWS unreachable): exit 0-3, never a value of the template."""
    document: Any = TEMPLATE
    for path, value in mutations:
        try:
            document = replaced(document, path, value)
        except (KeyError, IndexError, TypeError):
            continue
    with workdir() as directory:
        template = directory / "template.json"
        template.write_text(json.dumps(document))
        policy = directory / "drift-gate.yaml"
        policy.write_text(CFN_POLICY)
        mode = ["--offline", "--service", "Service"] if offline else ["--region", "us-east-1"]
        args = ["check", "--cfn-template", str(template), "--policy", str(policy), *mode]
        code, output = run(*args, "--max-attempts", "1")
    assert_documented(code, output)


@BUDGET
@given(raw=st.binary(max_size=300) | st.text(max_size=300).map(str.encode))
@example(raw=b"Resources: !Ref: [" + b"[" * 5000)
@example(raw=b"a: &x [*x]")
@example(raw=b"Resources:\n  A: {Type: AWS::ECS::TaskDefinition, Properties: !If [c, 1, 2]}")
def test_any_bytes_as_a_template_get_a_documented_exit(raw: bytes) -> None:
    with workdir() as directory:
        template = directory / "template.yaml"
        template.write_bytes(raw)
        policy = directory / "drift-gate.yaml"
        policy.write_text(CFN_POLICY)
        code, output = run(
            "check", "--offline", "--cfn-template", str(template), "--policy", str(policy)
        )
    assert_documented(code, output)
