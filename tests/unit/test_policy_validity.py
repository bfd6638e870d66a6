"""The validity cache is keyed on every module that decides whether a policy is valid:
a change to any of them forgets the policies remembered as valid (drift_gate/policy/validity.py)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from drift_gate.policy import validity
from drift_gate.yamlfile import parse_yaml
from tests.conftest import REPO

PACKAGE = REPO / "drift_gate"


def _finds_problems(path: Path) -> bool:
    """Whether a module defines a function that finds policy problems."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return any(
        isinstance(node, ast.FunctionDef) and node.name.rstrip("_").endswith("problems")
        for node in tree.body
    )


def test_every_policy_module_that_finds_problems_keys_the_cache() -> None:
    deciding = {
        str(path.relative_to(PACKAGE))
        for path in (PACKAGE / "policy").glob("*.py")
        if _finds_problems(path)
    }
    assert deciding, "the policy's validation moved: update this test and VALIDITY_SOURCES"
    assert deciding <= set(validity.VALIDITY_SOURCES)
    assert all((PACKAGE / name).is_file() for name in validity.VALIDITY_SOURCES)


@pytest.mark.parametrize("changed", validity.VALIDITY_SOURCES)
def test_a_change_to_a_module_that_decides_validity_changes_the_key(
    changed: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    document = parse_yaml("version: 1\nenvironments: {}\n", "drift-gate.yaml")
    copy = tmp_path / "drift_gate"
    for name in validity.VALIDITY_SOURCES:
        (copy / name).parent.mkdir(parents=True, exist_ok=True)
        (copy / name).write_bytes((PACKAGE / name).read_bytes())
    monkeypatch.setattr(validity, "_PACKAGE", copy)
    before = validity._validity_key(document)
    (copy / changed).write_bytes((copy / changed).read_bytes() + b"\n# changed\n")
    assert before is not None
    assert validity._validity_key(document) != before
