"""`drift-gate check --offline`: the policy and its dotenv files against the Terraform sources,
or against task-definition files as CI renders them.

Imports nothing that talks to AWS (a test checks sys.modules): no client, no terraform.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from drift_gate.commands.outputs import OutputTarget, deliver

if TYPE_CHECKING:
    from drift_gate.engine.entry import OfflineRequest


def run(
    request: OfflineRequest, outputs: Sequence[OutputTarget], sarif_category: str | None = None
) -> int:
    """Check offline and write every output; the exit code."""
    from drift_gate.engine.entry import Outcome, check_offline

    return deliver(Outcome(check_offline(request)), outputs, sarif_category)
