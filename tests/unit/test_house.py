"""The house rules of docs/architecture.md, held by a test so they do not drift back as links
and declared sides land: cli.py only declares and dispatches, no module grows past what one
reader takes in, no function past a screen."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import REPO

PACKAGE = REPO / "drift_gate"
MODULE_LINES = 450
FUNCTION_LINES = 60
CLI_LINES = 250
# The rule table: one entry per rule, each a dozen lines of documentation (docs/rules.md is
# generated from it); splitting it would scatter the reference, not simplify it.
LONG_BY_NATURE = {"drift_gate/rules.py"}


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def _name(path: Path) -> str:
    return path.relative_to(REPO).as_posix()


def test_no_module_is_over_450_lines() -> None:
    long = {
        _name(path): lines
        for path in _modules()
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MODULE_LINES
        and _name(path) not in LONG_BY_NATURE
    }
    assert long == {}


def test_no_function_is_over_60_lines() -> None:
    long = {}
    for path in _modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = (node.end_lineno or node.lineno) - node.lineno + 1
                if lines > FUNCTION_LINES:
                    long[f"{_name(path)}:{node.lineno} {node.name}"] = lines
    assert long == {}


def test_cli_only_declares_and_dispatches() -> None:
    assert len((PACKAGE / "cli.py").read_text(encoding="utf-8").splitlines()) <= CLI_LINES


def test_findings_are_built_only_in_checks() -> None:
    """A rule's message and fix are written once, in checks/; the engine decides what to
    look at and calls them (CONTRIBUTING.md, "Add a rule")."""
    building = []
    for path in sorted((PACKAGE / "engine").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            called = node.func
            name = called.attr if isinstance(called, ast.Attribute) else getattr(called, "id", "")
            if name in ("finding", "Finding"):
                building.append(f"{_name(path)}:{node.lineno}")
    assert building == []
