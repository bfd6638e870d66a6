"""The rule registry is the one place a rule is described: each rule is emitted by some
check, documented, typed, and on a link of the chain."""

from __future__ import annotations

import ast
from typing import get_args

from drift_gate.chain import Link
from drift_gate.rules import RULES, RuleId
from tests.conftest import REPO


def emitted_rule_ids() -> set[str]:
    """Rule ids written as string literals in the package, outside the registry itself."""
    found: set[str] = set()
    for path in (REPO / "drift_gate").rglob("*.py"):
        if path.name == "rules.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                found.add(node.value)
    return found


def test_every_rule_is_emitted_by_some_check() -> None:
    emitted = emitted_rule_ids()
    assert [rule.id for rule in RULES if rule.id not in emitted] == []


def test_every_rule_is_documented() -> None:
    documented = (REPO / "docs" / "rules.md").read_text(encoding="utf-8")
    assert [rule.id for rule in RULES if f"## {rule.id} {rule.name}" not in documented] == []


def test_the_rule_id_type_lists_exactly_the_registered_rules() -> None:
    assert list(get_args(RuleId)) == [rule.id for rule in RULES]


def test_every_rule_is_on_a_link_and_ids_are_unique() -> None:
    assert all(isinstance(rule.link, Link) for rule in RULES)
    assert len({rule.id for rule in RULES}) == len(RULES)
