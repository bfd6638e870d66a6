"""Fuzzing the inputs added in the second wave: policies with smoke requests and waivers,
and rendered task-definition files. Each property ends in a documented exit code, never
"internal error", never a hang, and never prints a value planted where values live.

The default budget is small (CI); a campaign sets DRIFT_GATE_FUZZ_EXAMPLES and
DRIFT_GATE_FUZZ_RANDOM (see docs/reliability.md).
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from hypothesis import example, given
from hypothesis import strategies as st

from tests.unit.test_fuzz import (
    BUDGET,
    CANARY,
    assert_documented,
    json_values,
    no_aws,  # noqa: F401 (the autouse fixture: a live call meets a closed port)
    paths,
    replaced,
    run,
    workdir,
    wrapped_canary,
)
from tests.unit.test_task_definition_files import POLICY

FILES = Path(__file__).parents[1] / "fixtures" / "task-definitions"

# --- Policies with smoke requests and waivers ------------------------------------------------

EXPIRES = (date.today() + timedelta(days=30)).isoformat()  # within waiver_limits.max_days
SMOKE_POLICY = f"""\
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
        smoke:
          - url: https://api.dev.example.com/predict
            method: POST
            headers: {{X-API-Key: "{CANARY}", X-Other: {{env: FUZZ_SMOKE_KEY}}}}
            json: {{text: "{CANARY}"}}
            expect: [200]
            forbid: ["HuggingFace token not configured"]
          - url: http://127.0.0.1:9/health
            timeout: 1
            retries: 0
waivers:
  - rule: DG201
    target:
      environment: development
      service: "hokusai-*"
    reason: redeployed on Mondays only
    owner: "@team-ml"
    expires: {EXPIRES}
"""
SMOKE_LINES = SMOKE_POLICY.splitlines()
smoke_fragments = st.sampled_from(
    [
        "",
        "  ",
        "- x",
        ": :",
        "&a [1]",
        "*a",
        "!!binary AAAA",
        "!!set {a}",
        "!!timestamp 2001-12-14",
        "!!python/object:os.system x",
        "? [a, b]",
        "1: 2",
        ".nan",
        "-.inf",
        '"a\\nb"',
        '"https://user:pw@api.example.com/"',
        '"http://127.evil.example/"',
        '"http://localhost./x"',
        '"http://[::1]:1/"',
        "{env: FUZZ_SMOKE_KEY}",
        "{env: FUZZ_UNSET_VARIABLE}",
        "[200, 999]",
        "-1",
        "99999999999999999999",
        "2000-01-01",
        "DG901",
        "\t",
        "%YAML 1.1",
        "---",
    ]
)


@contextlib.contextmanager
def environment(**values: str) -> Iterator[None]:
    """Variables set for one example (monkeypatch is per test, not per example)."""
    before = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def edited(lines: list[str], edits: list[tuple[int, str, bool]]) -> str:
    result = list(lines)
    for number, fragment, replace_value in edits:
        line = result[number % len(result)]
        if replace_value and ":" in line:
            result[number % len(result)] = line.split(":", 1)[0] + ": " + fragment
        else:
            result.insert(number % len(result), fragment)
    return "\n".join(result) + "\n"


@BUDGET
@given(
    edits=st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=len(SMOKE_LINES) - 1),
            smoke_fragments | st.text(max_size=30),
            st.booleans(),
        ),
        min_size=1,
        max_size=4,
    ),
    header_value=st.sampled_from([CANARY, f"{CANARY}\nX-Injected: 1", f"{CANARY}\r", ""]),
)
@example(edits=[(0, "", False)], header_value=f"{CANARY}\nX-Injected: 1")
@example(edits=[(14, "!!binary AAAA", True)], header_value=CANARY)
@example(edits=[(11, "    services:", False)], header_value=CANARY)
def test_any_edit_of_a_policy_with_smoke_and_waivers_gets_a_documented_exit(
    edits: list[tuple[int, str, bool]], header_value: str
) -> None:
    with workdir() as directory, environment(FUZZ_SMOKE_KEY=header_value):
        policy = directory / "drift-gate.yaml"
        policy.write_text(edited(SMOKE_LINES, edits))
        for arguments in (
            ("validate-policy", str(policy)),
            ("waivers", "--policy", str(policy)),
            ("check", "--policy", str(policy), "--max-attempts", "1", "--deadline", "20"),
        ):
            code, output = run(*arguments)
            assert_documented(code, output)
            assert "X-Injected" not in output


# --- Task-definition files -------------------------------------------------------------------

TASK_POLICY = POLICY  # the one the task-definition file tests check against


def planted(document: Any) -> Any:
    """The canary as a plain environment value, wherever the shape keeps containers."""
    text = json.dumps(document)
    return json.loads(text.replace('"INFO"', json.dumps(CANARY)))


TASK_FILES = {
    name: planted(json.loads((FILES / name).read_text(encoding="utf-8")))
    for name in ("rendered.json", "described.json", "cloudformation.json", "ecspresso.json")
}
TASK_PATHS = {name: list(paths(document)) for name, document in TASK_FILES.items()}


def task_file_mutations(name: str) -> st.SearchStrategy[tuple[str, list[tuple[Any, Any]]]]:
    changes = st.tuples(st.sampled_from(TASK_PATHS[name]), json_values | wrapped_canary)
    return st.tuples(st.just(name), st.lists(changes, min_size=1, max_size=3))


@BUDGET
@given(case=st.sampled_from(sorted(TASK_FILES)).flatmap(task_file_mutations))
@example(case=("rendered.json", [((), [])]))
@example(case=("rendered.json", [(("containerDefinitions", 0, "secrets", 0, "valueFrom"), " ")]))
def test_any_mutation_of_a_task_definition_file_gets_a_documented_exit(
    case: tuple[str, list[tuple[Any, Any]]],
) -> None:
    name, mutations = case
    document: Any = TASK_FILES[name]
    for path, value in mutations:
        try:
            document = replaced(document, path, value)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation removed this path
    with workdir() as directory:
        policy = directory / "drift-gate.yaml"
        policy.write_text(TASK_POLICY)
        task = directory / "task.json"
        task.write_text(json.dumps(document))
        code, output = run(
            "check", "--offline", "--policy", str(policy), "--task-definition", str(task)
        )
    assert_documented(code, output)
