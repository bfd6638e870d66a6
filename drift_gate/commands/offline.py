"""`drift-gate check --offline`: the policy and its dotenv files against the Terraform sources.

Imports nothing that talks to AWS (a test checks sys.modules): no client, no terraform.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from drift_gate.commands._console import warn_deprecated
from drift_gate.commands.outputs import OutputTarget, emit_report, explain_exit
from drift_gate.errors import InvalidInputError


@dataclass(frozen=True)
class OfflineRequest:
    policy: Path
    terraform_dir: Path | None  # None: the working directory
    environment: str | None
    fail_on: str
    outputs: tuple[OutputTarget, ...]
    sarif_category: str | None = None
    task_definitions: tuple[Path, ...] = ()  # rendered task-definition files, instead of .tf
    services: tuple[str, ...] = ()  # the policy service of each file, in order


def run(request: OfflineRequest) -> int:
    """Check offline and write every output; the exit code."""
    from drift_gate.engine.offline import run_offline
    from drift_gate.model import FailOn
    from drift_gate.policy import load_policy

    if request.task_definitions:
        return _run_files(request)
    terraform_dir = request.terraform_dir or Path.cwd()
    if not any(terraform_dir.glob("*.tf")):
        raise InvalidInputError(
            f"{terraform_dir}: no .tf files; give --terraform-dir the Terraform root"
        )
    policy = load_policy(request.policy)
    warn_deprecated(policy.deprecations)
    report = run_offline(policy, terraform_dir, request.environment, FailOn(request.fail_on))
    code = emit_report(report, request.outputs, request.sarif_category)
    explain_exit(report, request.outputs)
    return code


def _run_files(request: OfflineRequest) -> int:
    """Task-definition files (as CI renders them) against the policy, before they ship."""
    from drift_gate.engine.task_definition_files import check_task_definition_files, pair_files
    from drift_gate.model import FailOn
    from drift_gate.policy import load_policy

    policy = load_policy(request.policy)
    warn_deprecated(policy.deprecations)
    pairs = pair_files(policy, request.environment, request.task_definitions, request.services)
    report = check_task_definition_files(policy, pairs, FailOn(request.fail_on))
    code = emit_report(report, request.outputs, request.sarif_category)
    explain_exit(report, request.outputs)
    return code
