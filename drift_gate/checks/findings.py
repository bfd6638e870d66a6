"""Building findings from the rule registry, so every finding carries its rule's metadata."""

from __future__ import annotations

from dataclasses import dataclass

from drift_gate.model import Finding, Target
from drift_gate.rules import RuleId, rule


@dataclass(frozen=True)
class ServiceContext:
    """What every finding about one service shares."""

    target: Target
    deployed_task_definition: str | None = None
    latest_task_definition: str | None = None

    def finding(
        self,
        rule_id: RuleId,
        message: str,
        *,
        container: str | None = None,
        variable: str | None = None,
        where: str | None = None,
        remediation: str | None = None,
    ) -> Finding:
        """A finding of `rule_id` for this service, optionally narrowed to a container/variable."""
        matched = rule(rule_id)
        target = self.target.model_copy(update={"container": container, "variable": variable})
        return Finding(
            rule_id=matched.id,
            rule_name=matched.name,
            severity=matched.severity,
            target=target,
            message=message,
            remediation=remediation or matched.remediation,
            declared_in=where,
            deployed_task_definition=self.deployed_task_definition,
            latest_task_definition=self.latest_task_definition,
        )
