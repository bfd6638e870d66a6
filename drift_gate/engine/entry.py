"""The one way from inputs to a Report: `check` (live and offline), `scan`, the Python API
(drift_gate/api.py) and the deployment hook (`check_revision`) build a request here and call
these.

The requests are typed and know nothing of the command line: the commands turn options into
them and write the outputs. A run that stops before its checks (a plan that cannot be read,
an AWS configuration that cannot be used) still has a report saying so: an `Outcome` carries
both, so that a command writes the report (a matrix merge must see the run) and then ends
with the error, and the API raises it.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from drift_gate.chain import LinkMode, SkippableLink
from drift_gate.deadline import Deadline
from drift_gate.engine.scan_request import Say, ScanRequest, link_mode
from drift_gate.errors import CouldNotVerifyError, DriftGateError, InvalidInputError
from drift_gate.model import FailOn

__all__ = [
    "CheckRequest",
    "OfflineRequest",
    "Outcome",
    "PlanRequest",
    "RevisionRequest",
    "ScanRequest",
    "ServiceRequest",
    "check",
    "check_offline",
    "check_revision",
    "check_service",
    "scan",
]

if TYPE_CHECKING:
    from drift_gate.engine.declared_sources import DeclaredSource
    from drift_gate.engine.gate import PlanInput
    from drift_gate.engine.service_checks import CheckOptions
    from drift_gate.model import Report
    from drift_gate.policy import Policy
    from drift_gate.sources.aws import AwsClients
    from drift_gate.sources.terraform import TerraformSettings


@dataclass(frozen=True)
class Outcome:
    """A run's report; `stopped`: the error that stopped the run before its checks (the report
    says so), to end with once the report is written."""

    report: Report
    stopped: DriftGateError | None = None
    # A stopped run's report on standard output too; False (the AWS configuration): the one
    # error line is the whole answer there, the report goes to the files asked for only.
    on_console: bool = True
    policy: Policy | None = None  # as loaded (what comes after: the metrics' region)


@dataclass(frozen=True)
class PlanRequest:
    """A Terraform plan to check: its JSON, a binary plan (terraform shows it), or a plan
    drift-gate runs in terraform_dir (also where file:line is found)."""

    plan_json: Path | None = None
    plan_file: Path | None = None
    terraform_dir: Path | None = None
    terraform: TerraformSettings | None = None  # None: the defaults (TERRAFORM_BIN, ...)

    @property
    def source(self) -> str:
        return str(self.plan_json or self.plan_file or self.terraform_dir)


@dataclass(frozen=True)
class CheckRequest:
    """`check`: what a policy and/or a plan declare, against what ECS runs."""

    policy: Path | None
    plan: PlanRequest = PlanRequest()
    environment: str | None = None
    fail_on: FailOn = FailOn.ERROR
    region: str | None = None
    secret_checks: LinkMode | None = None  # None: as the policy says
    skipped_links: frozenset[SkippableLink] = frozenset()
    wait_seconds: float | None = None
    tasks_since: float | None = None
    ca_bundle: Path | None = None
    max_attempts: int = 5
    timeout: float = 20.0
    deadline: Deadline | None = None  # None: no bound on the whole run
    say: Say | None = None  # progress lines (--wait)
    warn: Say | None = None  # the policy's deprecated forms, one line each
    # (side, file): files of the declared sides registered in drift_gate/declared_sides.py
    declared_files: tuple[tuple[str, Path], ...] = ()
    declared_settings: tuple[tuple[str, str], ...] = ()  # (parameter, value): --stack NAME


@dataclass(frozen=True)
class OfflineRequest:
    """`check --offline`: the policy against the Terraform sources or task-definition files."""

    policy: Path
    terraform_dir: Path | None = None  # None: the working directory
    environment: str | None = None
    fail_on: FailOn = FailOn.ERROR
    task_definitions: tuple[Path, ...] = ()  # rendered task-definition files, instead of .tf
    services: tuple[str, ...] = ()  # the policy service of each file, in order
    warn: Say | None = None  # the policy's deprecated forms, one line each
    # (side, file): files of a declared side that checks offline (declared_sides.py)
    declared_files: tuple[tuple[str, Path], ...] = ()
    declared_settings: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class RevisionRequest:
    """A deployment's target revision (a lifecycle hook's `targetServiceRevisionArn`) of the
    service at `service_arn`, against what the policy declares for that service."""

    policy: Path | Policy  # a file, or a policy read already (from S3)
    service_arn: str
    revision_arn: str
    environment: str | None = None
    fail_on: FailOn = FailOn.ERROR
    max_attempts: int = 5
    timeout: float = 20.0
    deadline: Deadline | None = None
    session: Any = None  # a boto3 session to reuse (the Lambda hook's, per container)
    with_tasks: bool = False  # after scale-up: the target revision's tasks too


def check_revision(request: RevisionRequest) -> Outcome:
    """The target revision's containers, images, secrets and execution role against the
    policy; a service ARN or revision ARN that is not one is exit 2, before any call."""
    from drift_gate.engine.revision import ServiceArn, check_revision_arn, run_revision_check
    from drift_gate.engine.service_checks import CheckOptions
    from drift_gate.sources.aws import AwsConfigurationError

    service = ServiceArn.parse(request.service_arn)
    revision_arn = check_revision_arn(request.revision_arn)
    policy = load(request.policy, None) if isinstance(request.policy, Path) else request.policy
    options = CheckOptions(request.environment, request.fail_on, service.region)
    clients = aws_clients(request.max_attempts, request.timeout, request.deadline, request.session)
    try:
        report = run_revision_check(
            policy, service, revision_arn, options, clients, with_tasks=request.with_tasks
        )
    except AwsConfigurationError as error:
        # Imported here: the gate brings the declared sides' readers, which a hook never needs.
        from drift_gate.engine.gate import configuration_error_report

        failed = configuration_error_report(error, request.fail_on, policy, None)
        return Outcome(failed, error, on_console=False, policy=policy)
    return Outcome(report, policy=policy)


@dataclass(frozen=True)
class ServiceRequest:
    """One service of the policy, named by its ARN (an ECS event's), checked as `check` checks
    it: its PRIMARY revision, rollout, running tasks, secrets and execution role, with the
    policy's settings for its environment."""

    policy: Path | Policy  # a file, or a policy read already (from S3)
    service_arn: str
    fail_on: FailOn = FailOn.ERROR
    max_attempts: int = 5
    timeout: float = 20.0
    deadline: Deadline | None = None


def check_service(request: ServiceRequest) -> Outcome:
    """`check` of the one service the policy declares at `service_arn` (DG901, not verified,
    when it declares none); a service ARN that is not one is exit 2, before any call."""
    from drift_gate.engine.outcome import build_report, utc_now
    from drift_gate.engine.revision import ServiceArn, declared_for, not_declared

    service = ServiceArn.parse(request.service_arn)
    policy = load(request.policy, None) if isinstance(request.policy, Path) else request.policy
    declared = declared_for(policy, service, None)
    if declared is None:
        now = utc_now()
        result = not_declared(policy, service, None, asked_by="event")
        report = build_report([result], request.fail_on, now, now, policy.source, {})
        return Outcome(report, policy=policy)
    environment, one = declared
    # The account from the ARN, as `scan` fills it in: the service's issue (its marker names
    # the account) is the one the nightly scan's `github-issues` keeps.
    only = environment.model_copy(
        update={"services": (one,), "selectors": (), "account": service.account}
    )
    narrowed = policy.model_copy(update={"environments": (only,)})
    check_smoke_variables(narrowed)
    given = CheckRequest(
        None,
        environment=environment.name,
        fail_on=request.fail_on,
        region=service.region,
        max_attempts=request.max_attempts,
        timeout=request.timeout,
        deadline=request.deadline,
    )
    return _checked(given, narrowed)


def _checked(request: CheckRequest, policy: Policy) -> Outcome:
    from drift_gate.engine.gate import configuration_error_report
    from drift_gate.sources.aws import AwsConfigurationError

    clients = aws_clients(request.max_attempts, request.timeout, request.deadline)
    try:
        return Outcome(_gate(request, policy, clients, None), policy=policy)
    except AwsConfigurationError as error:
        failed = configuration_error_report(error, request.fail_on, policy, None)
        return Outcome(failed, error, on_console=False, policy=policy)


def scan(request: ScanRequest) -> Outcome:
    """Reach the accounts, scan; the report, or the report of why the run stopped."""
    from drift_gate.engine.gate import configuration_error_report
    from drift_gate.engine.scan_request import run_scan_request
    from drift_gate.sources.aws import AwsConfigurationError

    policy = load(request.policy, request.warn) if request.policy else None
    if policy is not None:
        check_smoke_variables(policy)
    deadline = request.deadline or Deadline()
    try:
        return Outcome(run_scan_request(request, policy, deadline), policy=policy)
    except AwsConfigurationError as error:
        failed = configuration_error_report(error, request.fail_on, policy, None)
        return Outcome(failed, error, on_console=False, policy=policy)


def check(request: CheckRequest) -> Outcome:
    """Load the plan, run the gate; the report, or the report of why the run stopped."""
    from drift_gate.engine.gate import configuration_error_report, failed_run_report
    from drift_gate.sources.aws import AwsConfigurationError

    policy = load(request.policy, request.warn) if request.policy else None
    if policy is not None:
        check_smoke_variables(policy)
    try:
        plan_input = load_plan_input(request.plan)
    except CouldNotVerifyError as error:
        failed = failed_run_report(str(error), request.fail_on, policy, request.plan.source)
        return Outcome(failed, error, policy=policy)
    clients = aws_clients(request.max_attempts, request.timeout, request.deadline)
    try:
        return Outcome(_gate(request, policy, clients, plan_input), policy=policy)
    except AwsConfigurationError as error:
        source = request.plan.source if plan_input else None
        failed = configuration_error_report(error, request.fail_on, policy, source)
        return Outcome(failed, error, on_console=False, policy=policy)


def load(path: Path, warn: Say | None) -> Policy:
    """The policy; its deprecated forms, if any, said through `warn`."""
    from drift_gate.policy import load_policy

    policy = load_policy(path)
    if warn is not None:
        for line in policy.deprecations:
            warn(line)
    return policy


def _gate(
    request: CheckRequest, policy: Policy | None, clients: AwsClients, plan_input: PlanInput | None
) -> Report:
    from drift_gate.engine.gate import run_check

    # What is loaded so far (the plan: hundreds of thousands of objects for a large one) lives
    # as long as the run: out of the cyclic collector's sight, which is on again for the
    # checks (threads, retries and tracebacks can make cycles).
    gc.freeze()
    was_enabled = gc.isenabled()
    gc.enable()
    try:
        sides = declared_sides(request.declared_files, dict(request.declared_settings))
        return run_check(policy, check_options(request), clients, plan_input, declared_sides=sides)
    finally:
        if not was_enabled:
            gc.disable()
        gc.unfreeze()


def declared_sides(
    files: Sequence[tuple[str, Path]], settings: dict[str, str] | None = None
) -> list[DeclaredSource]:
    """The source of each file given for a registered declared side, in the order given."""
    from drift_gate.declared_sides import DECLARED_SIDES

    by_name = {side.name: side for side in DECLARED_SIDES}
    return [by_name[name].source_for(path, settings) for name, path in files]


def check_options(request: CheckRequest) -> CheckOptions:
    """What the gate covers and what blocks, from the request."""
    from drift_gate.engine.service_checks import CheckOptions

    return CheckOptions(
        request.environment,
        request.fail_on,
        request.region,
        link_mode(request.secret_checks),
        skipped=frozenset(request.skipped_links),
        wait_seconds=request.wait_seconds,
        tasks_since=request.tasks_since,
        ca_bundle=request.ca_bundle,
        say=request.say,
    )


def check_offline(request: OfflineRequest) -> Report:
    """The policy against the Terraform sources (or the task-definition files); no AWS
    module is imported on this path (a test checks sys.modules)."""
    from drift_gate.engine.offline import run_offline

    if request.task_definitions:
        return _task_definition_files(request)
    if request.declared_files:
        return _declared_files_offline(request)
    terraform_dir = request.terraform_dir or Path.cwd()
    if not any(terraform_dir.glob("*.tf")):
        raise InvalidInputError(
            f"{terraform_dir}: no .tf files; give --terraform-dir the Terraform root"
        )
    policy = load(request.policy, request.warn)
    return run_offline(policy, terraform_dir, request.environment, request.fail_on)


def _task_definition_files(request: OfflineRequest) -> Report:
    """Task-definition files (as CI renders them) against the policy, before they ship."""
    from drift_gate.engine.task_definition_files import check_task_definition_files, pair_files

    policy = load(request.policy, request.warn)
    pairs = pair_files(policy, request.environment, request.task_definitions, request.services)
    return check_task_definition_files(policy, pairs, request.fail_on)


def _declared_files_offline(request: OfflineRequest) -> Report:
    """A declared side's files against the policy (each side that can: declared_sides.py)."""
    from importlib import import_module

    from drift_gate.declared_sides import DECLARED_SIDES

    policy = load(request.policy, request.warn)
    (name,) = {name for name, _ in request.declared_files} or {""}
    side = next(side for side in DECLARED_SIDES if side.name == name)
    module, _, function = (side.offline or "").partition(":")
    files = [path for _, path in request.declared_files]
    report: Report = getattr(import_module(module), function)(policy, request, files)
    return report


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


def aws_clients(
    max_attempts: int, timeout: float, deadline: Deadline | None, session: Any = None
) -> AwsClients:
    """Clients with the request's retries, timeouts and deadline (botocore's standard mode),
    from `session` when one is given (its loaded service models are reused)."""
    from drift_gate.sources.aws import AwsClients, AwsSettings

    settings = AwsSettings(
        max_attempts=max_attempts, read_timeout=timeout, connect_timeout=min(5.0, timeout)
    )
    return AwsClients(settings, session=session, deadline=deadline)


def load_plan_input(request: PlanRequest) -> PlanInput | None:
    """The plan from whichever of the three inputs was given; None when none was."""
    if not (request.plan_json or request.plan_file or request.terraform_dir):
        return None  # a policy alone: none of the readers is imported (~14 ms)
    return _read_plan(request)


def _read_plan(request: PlanRequest) -> PlanInput | None:
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
