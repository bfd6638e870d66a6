"""A document given as a report (merge, github-issues, github-comment) that is not one: exit 2,
one line naming the JSON path and what was expected, never a value from the document.

jsonschema's own message begins with the value's repr: a list of container definitions
given by mistake printed every environment value.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Cli
from tests.reports import sample_report

CANARY = "CANARYenvValue77"
CONTAINERS = [
    {
        "name": "api",
        "image": "x:1",
        "environment": [
            {"name": "LOG_LEVEL", "value": "info"},
            {"name": "DB_PASSWORD", "value": CANARY},
        ],
        "secrets": [{"name": "DATABASE_HOST", "valueFrom": "/h/DATABASE_HOST"}],
    }
]


def report_with(change: Callable[[dict[str, Any]], object]) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(sample_report().model_dump_json())
    change(document)
    return document


def nested(depth: int) -> object:
    value: object = {"value": CANARY}
    for _ in range(depth):
        value = [value]
    return value


# Each shape, and the words the one line must hold (the path and what was expected).
SHAPES: dict[str, tuple[object, str]] = {
    "a list of container definitions": (CONTAINERS, "(document): expected a map, found a list"),
    "a task definition": (
        {"family": "api", "containerDefinitions": CONTAINERS},
        "(document): ",
    ),
    "text": (CANARY, "(document): expected a map, found text"),
    "a finding's message that is a map": (
        report_with(lambda d: d["findings"][0].update(message={"value": CANARY})),
        "findings/0/message: expected text, found a map",
    ),
    "a verdict that is not one": (
        report_with(lambda d: d.update(verdict=CANARY)),
        "verdict: expected one of: ",
    ),
    "an unknown key holding a value": (
        report_with(lambda d: d.update(extra={"DB_PASSWORD": CANARY})),
        "unexpected key extra; allowed here: ",
    ),
    "a key that is a value": (
        report_with(lambda d: d.update({f"Bearer {CANARY}": 1})),
        "unexpected key [...]; allowed here: ",
    ),
    "services that are text": (
        report_with(lambda d: d.update(services=CANARY)),
        "services: expected a list, found text",
    ),
    "a value deep down": (
        report_with(lambda d: d.update(services=nested(40))),
        "services/0: expected a map, found a list",
    ),
    "JSON nested past the parser": ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
}


def write(tmp_path: Path, document: object) -> Path:
    path = tmp_path / "given.json"
    text = document if isinstance(document, str) and document.startswith("[") else None
    path.write_text(text if text is not None else json.dumps(document))
    return path


def assert_one_clear_line(stderr: str, words: str) -> None:
    assert CANARY not in stderr
    [line] = stderr.splitlines()
    assert "not a drift-gate report" in line or "nested too deeply" in line
    assert words in line
    assert len(line) < 600


@pytest.mark.parametrize(("document", "words"), SHAPES.values(), ids=list(SHAPES))
def test_merge_names_the_path_never_the_value(
    cli: Cli, tmp_path: Path, document: object, words: str
) -> None:
    result = cli.run("merge", str(write(tmp_path, document)))
    assert result.exit_code == 2, result.stderr
    assert CANARY not in result.stdout
    assert_one_clear_line(result.stderr, words)


@pytest.mark.parametrize(("document", "words"), SHAPES.values(), ids=list(SHAPES))
def test_github_issues_and_github_comment_name_the_path_never_the_value(
    cli: Cli, tmp_path: Path, document: object, words: str
) -> None:
    report = str(write(tmp_path, document))
    environment = {"GITHUB_TOKEN": "ghs_not_used", "GITHUB_API_URL": "http://127.0.0.1:9"}
    for args in (
        ("github-issues", "--report", report, "--repo", "octo/infra"),
        ("github-comment", "--report", report, "--repo", "octo/infra", "--pull-request", "7"),
    ):
        result = cli.run("--debug", *args, extra_env=environment)
        assert result.exit_code == 2, result.stderr
        assert CANARY not in result.stdout + result.stderr
        # --debug prints the traceback first; the error's own line is the last.
        assert_one_clear_line(result.stderr.splitlines()[-1], words)
