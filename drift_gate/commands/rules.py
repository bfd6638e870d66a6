"""`drift-gate rules` and `drift-gate explain ID`: the rule registry, as docs/rules.md says it."""

from __future__ import annotations

from drift_gate.commands._console import echo
from drift_gate.errors import ExitCode, InvalidInputError


def explain(rule_id: str) -> int:
    """Print what a rule means, why it matters and how to fix it."""
    from drift_gate.rules import RULES_BY_ID, rule_text

    found = RULES_BY_ID.get(rule_id.upper())
    if found is None:
        raise InvalidInputError(f"unknown rule id {rule_id!r}; `drift-gate rules` lists them")
    echo(rule_text(found), nl=False)
    return ExitCode.PASS


def list_rules() -> int:
    """One line per rule: id, default severity, name and what it means."""
    from drift_gate.rules import RULES

    width = max(len(rule.name) for rule in RULES)
    for rule in RULES:
        echo(f"{rule.id}  {rule.severity.value:<7}  {rule.name:<{width}}  {rule.summary}")
    return ExitCode.PASS
