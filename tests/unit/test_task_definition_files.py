"""`check --offline --task-definition`: rendered task-definition files against the policy."""

from __future__ import annotations

import codecs
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import REPO, Cli

FILES = REPO / "tests" / "fixtures" / "task-definitions"
TOKEN = "hf_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789"

POLICY = """\
version: 1
environments:
  development:
    region: us-east-1
    services:
      - cluster: hokusai-development
        service: hokusai-api-development
        containers:
          api:
            secrets: [DATABASE_HOST, HUGGINGFACE_API_KEY]
            environment: [LOG_LEVEL]
"""


@pytest.fixture
def policy(tmp_path: Path) -> Path:
    path = tmp_path / "drift-gate.yaml"
    path.write_text(POLICY)
    return path


def check(
    cli: Cli, policy: Path, *files: Path | str, extra: tuple[str, ...] = ()
) -> tuple[int, dict[str, Any], str, str]:
    report = policy.parent / "report.json"
    arguments = ["check", "--offline", "--policy", str(policy)]
    for file in files:
        arguments += ["--task-definition", str(file)]
    result = cli.run(
        *arguments, *extra, "--format", "json", "--output", str(report), "--format", "console"
    )
    document = json.loads(report.read_text()) if report.exists() else {}
    return result.exit_code, document, result.stdout, result.stderr


@pytest.mark.parametrize(
    "name",
    ["ecspresso.json", "container-definitions.json", "one-container.json", "cloudformation.json"],
)
def test_a_file_carrying_every_declared_name_passes_in_every_shape(
    cli: Cli, policy: Path, name: str
) -> None:
    code, report, stdout, stderr = check(cli, policy, FILES / name)
    assert code == 0, stdout + stderr
    assert report["offline"] is True
    assert [f["rule_id"] for f in report["findings"]] == []
    assert report["services"][0]["deployed_task_definition"] == str(FILES / name)


def test_a_missing_name_fails_naming_the_name_the_file_and_its_line(cli: Cli, policy: Path) -> None:
    code, report, stdout, _ = check(cli, policy, FILES / "rendered.json")

    assert code == 1
    (finding,) = report["findings"]
    assert finding["rule_id"] == "DG101"
    assert finding["target"]["variable"] == "HUGGINGFACE_API_KEY"
    assert finding["declared_in"] == f"{FILES / 'rendered.json'}:5"
    assert finding["message"] == (
        "secret HUGGINGFACE_API_KEY is declared but missing from container api of task "
        f"definition file {FILES / 'rendered.json'} (containerDefinitions[0]) (declared at "
        f"{policy}:10)"
    )
    assert "log-router" not in stdout  # a container the policy does not declare is not judged


def test_secrets_without_an_execution_role_fail_before_deploy(
    cli: Cli, policy: Path, tmp_path: Path
) -> None:
    document = json.loads((FILES / "ecspresso.json").read_text())
    del document["executionRoleArn"]
    file = tmp_path / "ecs-task-def.json"
    file.write_text(json.dumps(document, indent=2))

    code, report, _, _ = check(cli, policy, file)

    assert code == 1
    (finding,) = report["findings"]
    assert finding["rule_id"] == "DG307"
    assert finding["message"] == (
        f"task definition file {file} references secrets (DATABASE_HOST, HUGGINGFACE_API_KEY) "
        "but has no executionRoleArn: ECS cannot fetch them, so its tasks cannot start"
    )
    # A bare list of containers has no task level: nothing to say about the role.
    code, report, _, _ = check(cli, policy, FILES / "container-definitions.json")
    assert (code, report["findings"]) == (0, [])


def test_describe_output_with_a_token_in_a_plain_variable(cli: Cli, policy: Path) -> None:
    code, report, stdout, stderr = check(cli, policy, FILES / "described.json")

    assert code == 1
    rules = {(f["rule_id"], f["target"]["variable"]) for f in report["findings"]}
    assert ("DG103", "HUGGINGFACE_API_KEY") in rules  # a secret delivered as plain text
    assert ("DG106", "HUGGINGFACE_API_KEY") in rules  # in a token's format (value not shown)
    everything = json.dumps(report) + stdout + stderr
    assert TOKEN not in everything
    assert TOKEN[:12] not in everything


def test_a_pinned_value_from_is_compared_or_not_verified_against_a_placeholder(
    cli: Cli, tmp_path: Path
) -> None:
    pinned = tmp_path / "pinned.yaml"
    pinned.write_text(
        POLICY.replace(
            "secrets: [DATABASE_HOST, HUGGINGFACE_API_KEY]",
            "secrets:\n              - DATABASE_HOST\n              - name: HUGGINGFACE_API_KEY\n"
            "                value_from: arn:aws:secretsmanager:us-east-1:123456789012:secret:other-XyZ123",
        )
    )
    code, report, _, _ = check(cli, pinned, FILES / "one-container.json")
    assert code == 1
    assert [f["rule_id"] for f in report["findings"]] == ["DG104"]
    # `${...}`: a pin against a placeholder cannot be compared: not verified (issue 26 review)
    code, report, _, _ = check(cli, pinned, FILES / "container-definitions.json")
    assert code == 3
    assert [f["rule_id"] for f in report["findings"]] == ["DG903"]


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16"])
def test_byte_order_marks_and_utf16_are_read(
    cli: Cli, policy: Path, tmp_path: Path, encoding: str
) -> None:
    path = tmp_path / "task.json"
    path.write_bytes((FILES / "one-container.json").read_text().encode(encoding))
    if encoding == "utf-16":
        assert path.read_bytes().startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    assert check(cli, policy, path)[0] == 0


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"{not json", "not JSON (line 1"),
        (b'{"services": []}', "not a task definition; expected `aws ecs describe-task-definition`"),
        (b"[]", "not a task definition"),
        (b'{"containerDefinitions": []}', "has no container"),
        (b'[{"image": "x"}]', "[0].name: missing"),
        (b'[{"name": "api", "secrets": [{"name": "A"}]}]', "[0].secrets[0].valueFrom: missing"),
        (b"\xff\xfe\xfa", "not UTF-8 or UTF-16 text"),
        (b'[{"name": "api", "environment": "LOG_LEVEL=secret-value-1"}]', "[0].environment:"),
    ],
)
def test_a_file_that_is_no_task_definition_is_exit_2_in_one_line(
    cli: Cli, policy: Path, tmp_path: Path, content: bytes, words: str
) -> None:
    path = tmp_path / "task.json"
    path.write_bytes(content)
    code, _, stdout, stderr = check(cli, policy, path)
    assert code == 2
    assert words in stderr
    assert len(stderr.strip().splitlines()) == 1
    assert "secret-value-1" not in stdout + stderr
    assert "internal error" not in stderr


def test_files_are_paired_with_services(cli: Cli, tmp_path: Path) -> None:
    two = tmp_path / "two.yaml"
    two.write_text(
        POLICY + "      - cluster: hokusai-development\n        service: hokusai-worker\n"
        "        containers:\n          worker: {}\n"
    )
    worker = tmp_path / "worker.json"
    worker.write_text('[{"name": "worker", "image": "w"}]')
    code, _, _, stderr = check(cli, two, FILES / "ecspresso.json")
    assert code == 2
    assert "declares 2 services (hokusai-api-development, hokusai-worker)" in stderr
    code, report, _, stderr = check(
        cli,
        two,
        FILES / "ecspresso.json",
        worker,
        extra=("--service", "hokusai-api-development", "--service", "hokusai-worker"),
    )
    assert code == 0, stderr
    assert len(report["services"]) == 2
    code, _, _, stderr = check(cli, two, worker, extra=("--service", "nope"))
    assert (code, "--service nope is not in the policy" in stderr) == (2, True)
    code, _, _, stderr = check(cli, two, worker, extra=("--service", "a", "--service", "b"))
    assert (code, "1 --task-definition and 2 --service given" in stderr) == (2, True)


def test_options_that_do_not_go_together(cli: Cli, policy: Path, tmp_path: Path) -> None:
    task = FILES / "ecspresso.json"
    for arguments, words in (
        (["check", "--policy", str(policy), "--task-definition", str(task)], "add --offline"),
        (
            [
                "check",
                "--offline",
                "--policy",
                str(policy),
                "--task-definition",
                str(task),
                "--terraform-dir",
                str(tmp_path),
            ],
            "give --task-definition or --terraform-dir, not both",
        ),
        (["check", "--offline", "--policy", str(policy), "--service", "x"], "--service names"),
    ):
        result = cli.run(*arguments)
        assert result.exit_code == 2, arguments
        assert words in result.stderr


def test_a_missing_container_is_dg207_pointing_at_the_file(
    cli: Cli, policy: Path, tmp_path: Path
) -> None:
    path = tmp_path / "task.json"
    shutil.copy(FILES / "one-container.json", path)
    path.write_text(path.read_text().replace('"name": "api"', '"name": "web"'))
    code, report, _, _ = check(cli, policy, path)
    assert code == 1
    (finding,) = report["findings"]
    assert finding["rule_id"] == "DG207"
    assert finding["message"] == f"task definition file {path} has no container api (it has: web)"


def test_a_missing_container_among_many_names_ten_and_counts_the_rest(
    cli: Cli, policy: Path, tmp_path: Path
) -> None:
    path = tmp_path / "task.json"
    containers = [{"name": f"sidecar-{n}", "image": "x"} for n in range(500)]
    path.write_text(json.dumps({"family": "f", "containerDefinitions": containers}))
    code, report, _, _ = check(cli, policy, path)
    assert code == 1
    (finding,) = [f for f in report["findings"] if f["rule_id"] == "DG207"]
    shown = ", ".join(f"sidecar-{n}" for n in range(10))
    assert finding["message"].endswith(f"(it has: {shown} and 490 more)")


def _numbered(document: Any) -> tuple[str, list[int]]:
    """`document` as indented JSON, and the line of each `"name"`/`"Name"` key of a container."""
    text = json.dumps(document, indent=2)
    keys = [
        (len(line) - len(line.lstrip()), number)
        for number, line in enumerate(text.splitlines(), start=1)
        if line.lstrip().startswith(('"name": "c', '"Name": "c'))
    ]
    # The containers' own keys are the least indented; the variables' are deeper.
    indent = min(indent for indent, _ in keys)
    return text, [number for depth, number in keys if depth == indent]


def _container(index: int, key: str = "name") -> dict[str, Any]:
    # A variable named like the next container, and the name key last: a search for the
    # next `"name": "c1"` from the previous match would land on the variable.
    return {
        "environment": [{key: f"c{index + 1}", "value": "x"}],
        "image": "app",
        key: f"c{index}",
    }


@pytest.mark.parametrize(
    "shape",
    ["register", "describe", "list", "cloudformation", "cloudformation-properties", "one"],
)
def test_each_container_points_at_the_line_of_its_name(tmp_path: Path, shape: str) -> None:
    from drift_gate.sources.task_definition_file import read_task_definition_file

    key = "Name" if shape.startswith("cloudformation") else "name"
    containers = [_container(index, key) for index in range(300 if shape != "one" else 1)]
    document: Any = {
        "register": {"family": "f", "containerDefinitions": containers},
        "describe": {"taskDefinition": {"containerDefinitions": containers}},
        "list": containers,
        "cloudformation": {
            "Type": "AWS::ECS::TaskDefinition",
            "Properties": {"ContainerDefinitions": containers},
        },
        "cloudformation-properties": {"ContainerDefinitions": containers},
        "one": containers[0],
    }[shape]
    text, expected = _numbered(document)
    path = tmp_path / "td.json"
    path.write_text(text)
    file = read_task_definition_file(path)
    assert [container.line for container in file.containers] == expected
    assert file.location(file.container("c299" if shape != "one" else "c0")) == (
        f"{path}:{expected[-1]}"
    )


def test_lines_are_right_in_compact_json_with_escapes(tmp_path: Path) -> None:
    from drift_gate.sources.task_definition_file import json_lines

    text = '{"a\\"}": [1, {"b": "x]"}],\n "c": {},\n "d": [[], {"e":\n 2}], "a\\"}": 3}'
    assert json.loads(text)  # valid
    lines = json_lines(text, 3)
    assert lines[('a"}',)] == 4  # a repeated key: the last, as json.loads keeps
    assert lines[('a"}', 1, "b")] == 1
    assert lines[("c",)] == 2
    assert lines[("d", 1, "e")] == 3
    assert ("d", 1, "e", 0) not in lines


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner, max_size=4)
    ),
    max_leaves=20,
)


def _paths(
    value: Any, depth: int, prefix: tuple[str | int, ...] = ()
) -> set[tuple[str | int, ...]]:
    if len(prefix) >= depth:
        return set()
    children: list[tuple[str | int, Any]] = (
        list(value.items())
        if isinstance(value, dict)
        else list(enumerate(value))
        if isinstance(value, list)
        else []
    )
    found: set[tuple[str | int, ...]] = set()
    for key, child in children:
        found |= {(*prefix, key)} | _paths(child, depth, (*prefix, key))
    return found


@settings(max_examples=150, deadline=None, derandomize=True)
@given(_JSON, st.sampled_from([None, 0, 1, 2]), st.integers(min_value=1, max_value=4))
def test_json_lines_finds_every_path_on_its_line(
    value: Any, indent: int | None, depth: int
) -> None:
    from drift_gate.sources.task_definition_file import json_lines

    text = json.dumps(value, indent=indent)
    lines = json_lines(text, depth)
    assert set(lines) == _paths(value, depth)
    rows = text.splitlines()
    for path, line in lines.items():
        key = path[-1]
        if isinstance(key, str):  # the key, as JSON writes it, starts on that line
            assert json.dumps(key) in rows[line - 1]
