"""`drift-gate check`: what a policy and/or Terraform declare against what ECS runs."""

from __future__ import annotations

import gc
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from drift_gate.commands._console import echo, warn_deprecated
from drift_gate.commands.outputs import OutputTarget, emit_report, explain_exit
from drift_gate.deadline import DEFAULT_DEADLINE_SECONDS, Deadline
from drift_gate.errors import CouldNotVerifyError, InvalidInputError

if TYPE_CHECKING:
    from drift_gate.engine.gate import PlanInput
    from drift_gate.engine.service_checks import CheckOptions
    from drift_gate.model import Report
    from drift_gate.policy import Policy, SecretChecks
    from drift_gate.sources.aws import AwsClients
    from drift_gate.sources.terraform import TerraformSettings


@dataclass(frozen=True)
class CheckRequest:
    """Everything `drift-gate check` was asked, parsed and checked for consistency."""

    policy: Path | None
    plan_json: Path | None
    plan_file: Path | None
    terraform_dir: Path | None
    terraform: TerraformSettings | None
    environment: str | None
    fail_on: str
    region: str | None
    secret_checks: SecretChecks | None
    metrics_namespace: str | None
    max_attempts: int
    timeout: float
    outputs: tuple[OutputTarget, ...]
    deadline: float = DEFAULT_DEADLINE_SECONDS
    sarif_category: str | None = None
    skipped_links: frozenset[str] = frozenset()
    wait_seconds: float | None = None
    tasks_since: float | None = None
    ca_bundle: Path | None = None
    quiet: bool = False  # -q: no progress on standard error (the --wait lines)


def run(request: CheckRequest, deadline: Deadline | None = None) -> int:
    """Load the inputs, run the gate, write every output; the exit code."""
    from drift_gate.engine.gate import failed_run_report
    from drift_gate.model import FailOn
    from drift_gate.policy import load_policy

    policy = load_policy(request.policy) if request.policy else None
    if policy is not None:
        warn_deprecated(policy.deprecations)
        check_smoke_variables(policy)
    source = str(request.plan_json or request.plan_file or request.terraform_dir)
    try:
        plan_input = load_plan_input(request)
    except CouldNotVerifyError as error:
        # Still write every report: a matrix merge must see this run could not verify.
        failed = failed_run_report(str(error), FailOn(request.fail_on), policy, source)
        emit_report(failed, request.outputs, request.sarif_category)
        raise
    # What is loaded so far (the plan: hundreds of thousands of objects for a large one) lives
    # as long as the run: out of the cyclic collector's sight, which is on again for the
    # checks (threads, retries and tracebacks can make cycles).
    gc.freeze()
    was_enabled = gc.isenabled()
    gc.enable()
    try:
        return _check(request, deadline, policy, source, plan_input)
    finally:
        if not was_enabled:
            gc.disable()
        gc.unfreeze()


def _check(
    request: CheckRequest,
    deadline: Deadline | None,
    policy: Policy | None,
    source: str,
    plan_input: PlanInput | None,
) -> int:
    from drift_gate.engine.gate import configuration_error_report, run_check
    from drift_gate.model import FailOn
    from drift_gate.sources.aws import AwsConfigurationError

    clients = aws_clients(request, deadline or Deadline(request.deadline))
    try:
        report = run_check(policy, gate_options(request), clients, plan_input)
    except AwsConfigurationError as error:
        failed = configuration_error_report(
            error, FailOn(request.fail_on), policy, source if plan_input else None
        )
        emit_to_files(failed, request.outputs, request.sarif_category)
        raise
    code = emit_report(report, request.outputs, request.sarif_category)
    explain_exit(report, request.outputs)
    if request.metrics_namespace:
        publish_metrics(report, request.metrics_namespace, clients, policy, request.region)
    return code


def emit_to_files(
    report: Report, targets: tuple[OutputTarget, ...], sarif_category: str | None
) -> None:
    """A run that could not start: its report in each file asked for (a matrix merge must see
    the run), nothing on standard output, where the one error line is the whole answer."""
    files = tuple(target for target in targets if target.path is not None)
    if files:
        emit_report(report, files, sarif_category)


def check_smoke_variables(policy: Policy) -> None:
    """Every `{env: NAME}` of a smoke request must be set, every URL and header value
    sendable: exit 2 before any call."""
    from drift_gate.sources.smoke import missing_variables, refuse_unusable

    requests = [
        request
        for environment in policy.environments
        for smoke in (
            *(service.smoke for service in environment.services),
            *(selector.smoke for selector in environment.selectors),
        )
        for request in smoke
    ]
    missing = missing_variables(requests, os.environ)
    if missing:
        raise InvalidInputError(
            f"{policy.source}: smoke request headers read {', '.join(missing)} from the "
            "environment, and it is not set; set it for this step (its value is never printed)"
        )
    refuse_unusable(requests, os.environ)


def aws_clients(request: CheckRequest, deadline: Deadline | None) -> AwsClients:
    """Clients with the request's retries, timeouts and deadline."""
    from drift_gate.sources.aws import AwsClients, AwsSettings

    settings = AwsSettings(
        max_attempts=request.max_attempts,
        read_timeout=request.timeout,
        connect_timeout=min(5.0, request.timeout),
    )
    return AwsClients(settings, deadline=deadline)


def gate_options(request: CheckRequest) -> CheckOptions:
    """What the gate covers and what blocks, from the request."""
    from drift_gate.engine.service_checks import CheckOptions
    from drift_gate.model import FailOn

    return CheckOptions(
        request.environment,
        FailOn(request.fail_on),
        request.region,
        request.secret_checks,
        skipped=request.skipped_links,
        wait_seconds=request.wait_seconds,
        tasks_since=request.tasks_since,
        ca_bundle=request.ca_bundle,
        say=None if request.quiet else lambda line: echo(line, err=True),
    )


def publish_metrics(
    report: Report, namespace: str, clients: AwsClients, policy: Policy | None, region: str | None
) -> None:
    """Put the run's metrics; a failure to do so is exit 3, since the alarm would be blind."""
    from drift_gate.publish import metrics
    from drift_gate.sources.aws import AWS_FAILURES, describe_failure

    where = (
        region
        or (policy.environments[0].region if policy else None)
        or os.environ.get("AWS_REGION")
        or os.environ.get("AWS_DEFAULT_REGION")
    )
    if not where:
        raise InvalidInputError("--publish-metrics needs a region: pass --region")
    try:
        sent = metrics.publish(report, namespace, clients.client("cloudwatch", where))
    except AWS_FAILURES as error:
        reason = describe_failure(error, "cloudwatch:PutMetricData")
        if reason.startswith("access denied"):
            # The IAM policy drift-gate documents allows one namespace (a condition key).
            reason += (
                f"; the role may allow PutMetricData only in another namespace than {namespace}:"
                f" `drift-gate iam-policy --publish-metrics {namespace}` prints the statement"
            )
        raise CouldNotVerifyError(
            f"the report was written, but metrics were not: {reason}"
        ) from error
    echo(f"drift-gate: published {sent} metric value(s) to {namespace} in {where}", err=True)


def load_plan_input(request: CheckRequest) -> PlanInput | None:
    """The plan from whichever of the three inputs was given; None when none was."""
    from drift_gate.engine.gate import PlanInput
    from drift_gate.sources.plan import parse_plan, read_plan_json
    from drift_gate.sources.terraform import Terraform, TerraformSettings, show_plan_file
    from drift_gate.sources.tf_sources import TerraformSources

    settings = request.terraform or TerraformSettings()
    exit_code, workspace = None, None
    if request.plan_json:
        plan, source = read_plan_json(request.plan_json), str(request.plan_json)
    elif request.plan_file:
        document = show_plan_file(request.plan_file, request.terraform_dir, settings)
        plan, source = parse_plan(document, str(request.plan_file)), str(request.plan_file)
    elif request.terraform_dir:
        planned = Terraform(request.terraform_dir, settings).plan()
        source, workspace = str(request.terraform_dir), planned.workspace
        plan, exit_code = parse_plan(planned.plan_json, source), 2 if planned.has_changes else 0
    else:
        return None
    root = request.terraform_dir or _sources_beside(request.plan_json or request.plan_file)
    sources = TerraformSources(root, plan.module_sources) if root else None
    return PlanInput(plan, source, sources, root, exit_code, workspace)


def _sources_beside(plan_path: Path | None) -> Path | None:
    """Without --terraform-dir: the .tf files beside the plan, else in the working directory."""
    for candidate in (plan_path.parent if plan_path else None, Path.cwd()):
        if candidate is not None and any(candidate.glob("*.tf")):
            return candidate
    return None
