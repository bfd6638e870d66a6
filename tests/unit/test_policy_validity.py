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


# What the modules that decide validity import, and why each does not decide it itself.
NOT_DECIDING = {
    "drift_gate.policy.models": "data classes (PolicyProblem)",
    "drift_gate.policy.schema": "in VALIDITY_SOURCES",
    "drift_gate.policy.validity": "the cache itself",
    "drift_gate.yamlfile": "the document as read: its content is in the key",
    "drift_gate.rules": "the rule ids are in the key",
    "drift_gate.repository": "dotenv confinement, checked on every run, outside the cache",
    "drift_gate.model.declared": "in VALIDITY_SOURCES",
    "drift_gate.http_client": "in VALIDITY_SOURCES",
    "drift_gate.schema_words": "in VALIDITY_SOURCES",
    "drift_gate.model.report": "data: the findings a declared side returns",
    "drift_gate.model.base": "the models' base class",
    "drift_gate.errors": "exit codes",
    "drift_gate.deadline": "the run's time bound (http_client)",
    "drift_gate._version": "in the key",
    "drift_gate.policy.building": "builds models from a document already found valid",
}


def test_what_the_deciding_modules_import_decides_nothing_or_keys_the_cache() -> None:
    """A helper that starts to decide validity (as schema_words' unexpected keys do) is
    either in VALIDITY_SOURCES or named here with why it does not decide."""
    imported: set[str] = set()
    for name in validity.VALIDITY_SOURCES:
        for node in ast.walk(ast.parse((PACKAGE / name).read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("drift_gate"):
                imported.add(node.module or "")
    sources = {
        "drift_gate." + name.removesuffix(".py").replace("/", ".")
        for name in validity.VALIDITY_SOURCES
    }
    assert imported - set(NOT_DECIDING) - sources == set()


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
