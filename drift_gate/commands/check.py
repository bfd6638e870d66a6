"""`drift-gate check`: what a policy and/or Terraform declare against what ECS runs.

The options become a request of engine/entry.py (live, or offline with --offline), whose
report is written by commands/outputs.deliver.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from drift_gate.commands import offline
from drift_gate.commands._console import echo, warn
from drift_gate.commands.outputs import CONSOLE, OutputTarget, check_outputs, deliver
from drift_gate.deadline import DEFAULT_DEADLINE_SECONDS, Deadline
from drift_gate.errors import CouldNotVerifyError, InvalidInputError
from drift_gate.model.levels import FailOn

if TYPE_CHECKING:
    from drift_gate.chain import LinkMode, SkippableLink
    from drift_gate.engine.entry import CheckRequest, OfflineRequest, PlanRequest
    from drift_gate.model import Report
    from drift_gate.policy import Policy
    from drift_gate.sources.aws import AwsClients


@dataclass(frozen=True)
class CheckArguments:
    """What `drift-gate check` was given, as click parsed it: one field per option, named as
    the option's parameter (cli_options.CHECK_OPTIONS), choices already their enums."""

    policy: Path | None = None
    offline: bool = False
    task_definitions: tuple[Path, ...] = ()
    services: tuple[str, ...] = ()
    plan_json: Path | None = None
    plan_file: Path | None = None
    terraform_dir: Path | None = None
    terraform_bin: str = "terraform"
    terraform_init: bool = False
    workspace: str | None = None
    var_files: tuple[Path, ...] = ()
    variables: tuple[str, ...] = ()
    plan_arguments: tuple[str, ...] = ()
    terraform_timeout: float = 600.0
    region: str | None = None
    secret_checks: LinkMode | None = None
    tasks_since: float | None = None
    wait: float | None = None
    ca_bundle: Path | None = None
    skipped_links: tuple[SkippableLink, ...] = ()
    metrics_namespace: str | None = None
    environment: str | None = None
    fail_on: FailOn = FailOn.ERROR
    sarif_category: str | None = None
    quiet: bool = False  # -q: no progress on standard error (the --wait lines)
    max_attempts: int = 5
    timeout: float = 20.0
    deadline: float = DEFAULT_DEADLINE_SECONDS
    outputs: tuple[OutputTarget, ...] = CONSOLE
    # (side, file) for each registered declared side's option (drift_gate/declared_sides.py)
    declared_files: tuple[tuple[str, Path], ...] = ()
    # (parameter, value) of the declared sides' own options (--stack NAME)
    declared_settings: tuple[tuple[str, str], ...] = ()

    @property
    def plan_given(self) -> bool:
        """Something besides a policy declares services: a plan, or a registered side."""
        declares = (self.plan_json, self.plan_file, self.terraform_dir, self.declared_files)
        return any(declares) and not self.offline


def run(given: CheckArguments) -> int:
    """Find the policy, refuse outputs that would clash, check live or offline; the exit code."""
    from drift_gate.commands._policy_path import policy_for_check

    policy = policy_for_check(given.policy, plan_given=given.plan_given)
    inputs = [policy, given.plan_json, given.plan_file, *given.var_files]
    inputs += [path for _, path in given.declared_files]
    check_outputs(given.outputs, [*inputs, *given.task_definitions])
    if given.offline:
        assert policy is not None  # noqa: S101 - no plan offline: a policy, found or exit 2
        return offline.run(offline_request(given, policy), given.outputs, given.sarif_category)
    return run_live(given, policy)


def offline_request(given: CheckArguments, policy: Path) -> OfflineRequest:
    from drift_gate.engine.entry import OfflineRequest

    return OfflineRequest(
        policy,
        given.terraform_dir,
        given.environment,
        given.fail_on,
        given.task_definitions,
        given.services,
        warn=warn,
        declared_files=given.declared_files,
        declared_settings=given.declared_settings,
    )


def run_live(given: CheckArguments, policy_path: Path | None) -> int:
    """The live check, its report written, then the metrics if asked for."""
    from drift_gate.engine.entry import aws_clients, check

    deadline = Deadline(given.deadline)  # the one deadline of the run: terraform and AWS
    plan = plan_request(given, deadline)
    outcome = check(live_request(given, policy_path, plan, deadline))
    code = deliver(outcome, given.outputs, given.sarif_category)
    if given.metrics_namespace:
        clients = aws_clients(given.max_attempts, given.timeout, deadline)
        publish_metrics(
            outcome.report, given.metrics_namespace, clients, outcome.policy, given.region
        )
    return code


def live_request(
    given: CheckArguments, policy: Path | None, plan: PlanRequest, deadline: Deadline
) -> CheckRequest:
    from drift_gate.engine.entry import CheckRequest

    return CheckRequest(
        policy,
        plan,
        environment=given.environment,
        fail_on=given.fail_on,
        region=given.region,
        secret_checks=given.secret_checks,
        skipped_links=frozenset(given.skipped_links),
        wait_seconds=given.wait,
        tasks_since=given.tasks_since,
        ca_bundle=given.ca_bundle,
        max_attempts=given.max_attempts,
        timeout=given.timeout,
        deadline=deadline,
        say=None if given.quiet else lambda line: echo(line, err=True),
        warn=warn,
        declared_files=given.declared_files,
        declared_settings=given.declared_settings,
    )


def plan_request(given: CheckArguments, deadline: Deadline) -> PlanRequest:
    """The plan options, with how terraform runs when drift-gate runs it."""
    from drift_gate.engine.entry import PlanRequest
    from drift_gate.sources.terraform import (
        TerraformSettings,
        checked_plan_arguments,
        chosen_workspace,
    )

    terraform = TerraformSettings(
        binary=given.terraform_bin,
        timeout=given.terraform_timeout,
        workspace=chosen_workspace(given.workspace, os.environ),
        var_files=given.var_files,
        variables=given.variables,
        plan_arguments=checked_plan_arguments(given.plan_arguments),
        init=given.terraform_init,
        deadline=deadline,
    )
    return PlanRequest(given.plan_json, given.plan_file, given.terraform_dir, terraform)


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
