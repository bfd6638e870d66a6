"""The command line. Commands parse options, call the core, and map the result to an exit code.

Heavy modules (boto3, the checks, moto) are imported inside the commands that need them,
so `--help`, `rules` and `validate-policy` start fast.
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from drift_gate import __version__
from drift_gate.deadline import DEFAULT_DEADLINE_SECONDS, Deadline
from drift_gate.errors import DriftGateError, ExitCode, InvalidInputError
from drift_gate.report import FORMAT_NAMES

if TYPE_CHECKING:
    from drift_gate.policy import SecretChecks

FAIL_ON_CHOICES = ("error", "warning", "never")


def use_color(*, is_terminal: bool) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org)."""
    return is_terminal and "NO_COLOR" not in os.environ


@dataclass(frozen=True)
class OutputTarget:
    """One `--format F [--output PATH]` pair; no path means standard output."""

    format: str
    path: Path | None


def pair_formats(order: Sequence[click.Parameter], opts: dict[str, Any]) -> list[OutputTarget]:
    """Pair each --output with the --format before it, in command-line order.

    `order` and `opts` come from click's own parser, so every spelling click accepts
    (`-fjson`, `--format=json`, `-o/path`) is paired exactly as click read it.
    """
    formats = iter(opts.get("formats") or ())
    outputs = iter(opts.get("outputs") or ())
    pairs: list[OutputTarget] = []
    for parameter in order:
        if parameter.name == "formats":
            pairs.append(OutputTarget(str(next(formats)), None))
        elif parameter.name == "outputs":
            if not pairs or pairs[-1].path is not None:
                raise click.UsageError("each --output must follow the --format it writes")
            pairs[-1] = OutputTarget(pairs[-1].format, Path(next(outputs)))
    return pairs


class _PairedOutputCommand(click.Command):
    """Records the order of --format/--output, which click keeps only while parsing."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        opts, _, order = self.make_parser(ctx).parse_args(args=list(args))
        ctx.meta["drift_gate.outputs"] = pair_formats(order, opts)
        return super().parse_args(ctx, args)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="drift-gate")
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
def cli(debug: bool) -> None:
    """Fail the pipeline when what runs on ECS is not what was declared.

    Exit codes: 0 pass, 1 blocking drift, 2 invalid input, 3 could not verify, 130 interrupted.
    """


@dataclass(frozen=True)
class CheckRequest:
    """Everything `drift-gate check` was asked, parsed; run_check_request acts on it."""

    policy: Path | None
    plan_json: Path | None
    plan_file: Path | None
    terraform_dir: Path | None
    terraform: Any  # TerraformSettings, imported lazily
    environment: str | None
    fail_on: str
    region: str | None
    secret_checks: str | None
    metrics_namespace: str | None
    offline: bool
    max_attempts: int
    timeout: float
    outputs: tuple[OutputTarget, ...]
    deadline: float = DEFAULT_DEADLINE_SECONDS


Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]


def _option(*names: str, **settings: Any) -> Decorator:
    return click.option(*names, **settings)


# Shared by every command that writes a report (check, merge).
FORMAT_OPTION = _option(
    "--format",
    "-f",
    "formats",
    multiple=True,
    type=click.Choice(FORMAT_NAMES),
    help="Output format; repeat for several. Default: console.",
)
OUTPUT_OPTION = _option(
    "--output",
    "-o",
    "outputs",
    multiple=True,
    type=click.Path(path_type=Path),
    help="File for the --format before it; without one the format goes to stdout.",
)

CHECK_OPTIONS = (
    _option(
        "--policy",
        type=click.Path(path_type=Path),
        help="Policy file (YAML) declaring each service's secrets and variables.",
    ),
    _option(
        "--offline",
        is_flag=True,
        help="Check the policy and its dotenv files against the Terraform sources only "
        "(--terraform-dir): no AWS client, no terraform run. For a pre-push hook.",
    ),
    _option(
        "--plan-json",
        type=click.Path(path_type=Path),
        help="Output of `terraform show -json PLANFILE`.",
    ),
    _option(
        "--plan-file",
        type=click.Path(path_type=Path),
        help="Binary plan (terraform plan -out=FILE); drift-gate runs terraform show -json.",
    ),
    _option(
        "--terraform-dir",
        type=click.Path(path_type=Path),
        help="Terraform root. Alone: drift-gate runs the plan there. With a plan: where to "
        "find file:line.",
    ),
    _option(
        "--terraform-bin",
        envvar="TERRAFORM_BIN",
        default="terraform",
        show_default=True,
        help="The terraform binary (also TERRAFORM_BIN).",
    ),
    _option("--terraform-init", is_flag=True, help="Run `terraform init -input=false` first."),
    _option(
        "--workspace",
        help="Terraform workspace to plan; TF_WORKSPACE is honoured as terraform does "
        "(both set and different: exit 2).",
    ),
    _option(
        "--var-file",
        "var_files",
        multiple=True,
        type=click.Path(path_type=Path),
        help="Passed to terraform plan; repeatable.",
    ),
    _option(
        "--var",
        "variables",
        multiple=True,
        metavar="NAME=VALUE",
        help="Passed to terraform plan; repeatable.",
    ),
    _option(
        "--terraform-timeout",
        type=click.FloatRange(1, 86400),
        default=600.0,
        show_default=True,
        help="Seconds each terraform command may take.",
    ),
    _option(
        "--region",
        help="AWS region of the services Terraform declares (default: the "
        "plan's aws provider, then AWS_REGION).",
    ),
    _option(
        "--secret-checks",
        type=click.Choice(["required", "best-effort", "off"]),
        default=None,
        help="Secret store checks: an unverifiable secret exits 3 (required), warns "
        "(best-effort), or no checks (off). Default: as the policy says, else required.",
    ),
    _option(
        "--publish-metrics",
        "metrics_namespace",
        metavar="NAMESPACE",
        help="After the run, put CloudWatch metrics (findings by severity per service, "
        "could-not-verify count) in this namespace.",
    ),
    _option("--environment", help="Check only this environment of the policy."),
    _option(
        "--fail-on",
        type=click.Choice(FAIL_ON_CHOICES),
        default="error",
        show_default=True,
        help="Lowest severity that fails the run. Could-not-verify always exits 3.",
    ),
    FORMAT_OPTION,
    OUTPUT_OPTION,
    _option(
        "--max-attempts",
        type=click.IntRange(1, 20),
        default=5,
        show_default=True,
        help="Attempts per AWS call (standard retry mode) before it counts as unverified.",
    ),
    _option(
        "--timeout",
        type=click.FloatRange(0.1, 300),
        default=20.0,
        show_default=True,
        help="Seconds to wait for each AWS response.",
    ),
    _option(
        "--deadline",
        type=click.FloatRange(1, 86400),
        default=DEFAULT_DEADLINE_SECONDS,
        show_default=True,
        help="Seconds the whole run may take (terraform and AWS); what is left unchecked "
        "then exits 3.",
    ),
)


def _with_options(command: Any) -> Any:
    for option in reversed(CHECK_OPTIONS):
        command = option(command)
    return command


@cli.command(cls=_PairedOutputCommand)
@_with_options
@click.pass_context
def check(ctx: click.Context, /, **given: Any) -> int:
    """Check what a policy and/or Terraform declare against what ECS runs.

    Give --policy, a plan (--plan-json, --plan-file or --terraform-dir), or both.
    """
    from drift_gate.sources.terraform import TerraformSettings, chosen_workspace

    if not any(given[key] for key in ("policy", "plan_json", "plan_file", "terraform_dir")):
        raise click.UsageError("give --policy, --plan-json, --plan-file or --terraform-dir")
    if given["plan_json"] and given["plan_file"]:
        raise click.UsageError("give --plan-json or --plan-file, not both")
    outputs = tuple(ctx.meta["drift_gate.outputs"] or [OutputTarget("console", None)])
    check_outputs(
        outputs, [given["policy"], given["plan_json"], given["plan_file"], *given["var_files"]]
    )
    deadline = Deadline(given["deadline"])
    terraform = TerraformSettings(
        binary=given["terraform_bin"],
        timeout=given["terraform_timeout"],
        workspace=chosen_workspace(given["workspace"], os.environ),
        var_files=given["var_files"],
        variables=given["variables"],
        init=given["terraform_init"],
        deadline=deadline,
    )
    request = CheckRequest(
        policy=given["policy"],
        plan_json=given["plan_json"],
        plan_file=given["plan_file"],
        terraform_dir=given["terraform_dir"],
        terraform=terraform,
        environment=given["environment"],
        fail_on=given["fail_on"],
        region=given["region"],
        secret_checks=given["secret_checks"],
        metrics_namespace=given["metrics_namespace"],
        offline=given["offline"],
        max_attempts=given["max_attempts"],
        timeout=given["timeout"],
        outputs=outputs,
        deadline=given["deadline"],
    )
    return run_check_request(request, deadline)


def run_check_request(request: CheckRequest, deadline: Deadline | None = None) -> int:
    """Load the inputs, run the gate, write every output; the exit code."""
    if request.offline:
        return run_offline_request(request)
    from drift_gate.errors import CouldNotVerifyError
    from drift_gate.gate import CheckOptions, failed_run_report, run_check
    from drift_gate.model import FailOn
    from drift_gate.policy import load_policy
    from drift_gate.sources.aws import AwsClients, AwsConfigurationError, AwsSettings

    policy = load_policy(request.policy) if request.policy else None
    source = str(request.plan_json or request.plan_file or request.terraform_dir)
    try:
        plan_input = load_plan_input(request)
    except CouldNotVerifyError as error:
        # Still write every report: a matrix merge must see this run could not verify.
        failed = failed_run_report(str(error), FailOn(request.fail_on), policy, source)
        emit_report(failed, request.outputs)
        raise
    settings = AwsSettings(
        max_attempts=request.max_attempts,
        read_timeout=request.timeout,
        connect_timeout=min(5.0, request.timeout),
    )
    options = CheckOptions(
        request.environment,
        FailOn(request.fail_on),
        request.region,
        secret_checks_mode(request.secret_checks),
    )
    clients = AwsClients(settings, deadline=deadline or Deadline(request.deadline))
    try:
        report = run_check(policy, options, clients, plan_input)
    except AwsConfigurationError as error:
        failed = failed_run_report(
            f"could not verify: {error}",
            FailOn(request.fail_on),
            policy,
            source if plan_input else None,
            rule_id="DG901",
            exit_code=ExitCode.INVALID_INPUT,
        )
        emit_report(failed, request.outputs)
        raise
    code = emit_report(report, request.outputs)
    _explain_exit(report, request.outputs)
    if request.metrics_namespace:
        publish_metrics(report, request.metrics_namespace, clients, policy, request.region)
    return code


def publish_metrics(
    report: Any, namespace: str, clients: Any, policy: Any, region: str | None
) -> None:
    """Put the run's metrics; a failure to do so is exit 3, since the alarm would be blind."""
    from drift_gate.errors import CouldNotVerifyError
    from drift_gate.sources import metrics
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
        raise CouldNotVerifyError(
            f"the report was written, but metrics were not: {reason}"
        ) from error
    click.echo(f"drift-gate: published {sent} metric value(s) to {namespace} in {where}", err=True)


def run_offline_request(request: CheckRequest) -> int:
    """--offline: sources only. Imports nothing that talks to AWS (tested via sys.modules)."""
    from drift_gate.model import FailOn
    from drift_gate.offline import run_offline
    from drift_gate.policy import load_policy

    if request.policy is None:
        raise click.UsageError("--offline needs --policy (what each container must receive)")
    if request.plan_json or request.plan_file or request.metrics_namespace:
        raise click.UsageError(
            "--offline reads only the Terraform sources: drop --plan-json, --plan-file, "
            "--publish-metrics"
        )
    terraform_dir = request.terraform_dir or Path.cwd()
    if not any(terraform_dir.glob("*.tf")):
        raise InvalidInputError(
            f"{terraform_dir}: no .tf files; give --terraform-dir the Terraform root"
        )
    policy = load_policy(request.policy)
    report = run_offline(policy, terraform_dir, request.environment, FailOn(request.fail_on))
    code = emit_report(report, request.outputs)
    _explain_exit(report, request.outputs)
    return code


def check_outputs(targets: Sequence[OutputTarget], inputs: Sequence[Path | None]) -> None:
    """Refuse, before any work, outputs that would overwrite each other, an input, or write
    through a symbolic link (which could point anywhere): exit 2."""
    if sum(1 for target in targets if target.path is None) > 1:
        raise InvalidInputError(
            "only one --format may go to standard output; give the others --output"
        )
    read = {path.resolve(): path for path in inputs if path is not None}
    seen: dict[Path, str] = {}
    for target in targets:
        if target.path is None:
            continue
        if target.path.is_symlink():
            raise InvalidInputError(
                f"--output {target.path} is a symbolic link; give the real path to write to"
            )
        where = target.path.resolve()
        if where in read:
            raise InvalidInputError(
                f"--output {target.path} is the input {read[where]}; write the report elsewhere"
            )
        if where in seen:
            raise InvalidInputError(
                f"--format {seen[where]} and --format {target.format} both write "
                f"{target.path}; give each its own --output"
            )
        seen[where] = target.format


def emit_report(report: Any, targets: Sequence[OutputTarget]) -> int:
    """Every requested format, then what GitHub Actions expects; the run's exit code.

    A report that cannot be written makes the run exit 2 unless the report itself is
    worse (could not verify: 3): the worst exit code wins.
    """
    from drift_gate.github_env import WrittenReport, publish

    written_ok = write_outputs(report, targets)
    written = [WrittenReport(target.format, target.path) for target in targets]
    publish(report, written, os.environ, click.echo)
    return worst_exit_code(
        [report.exit_code, ExitCode.PASS if written_ok else ExitCode.INVALID_INPUT]
    )


def secret_checks_mode(value: str | None) -> SecretChecks | None:
    """The --secret-checks choice as the policy's type (click already limited the values)."""
    modes: dict[str | None, SecretChecks | None] = {
        None: None,
        "required": "required",
        "best-effort": "best-effort",
        "off": "off",
    }
    return modes[value]


def load_plan_input(request: CheckRequest) -> Any:
    """The plan from whichever of the three inputs was given; None when none was."""
    from drift_gate.gate import PlanInput
    from drift_gate.sources.plan import parse_plan, read_plan_json
    from drift_gate.sources.terraform import Terraform, show_plan_file
    from drift_gate.sources.tf_sources import TerraformSources

    exit_code, workspace = None, None
    if request.plan_json:
        plan, source = read_plan_json(request.plan_json), str(request.plan_json)
    elif request.plan_file:
        document = show_plan_file(request.plan_file, request.terraform_dir, request.terraform)
        plan, source = parse_plan(document, str(request.plan_file)), str(request.plan_file)
    elif request.terraform_dir:
        run = Terraform(request.terraform_dir, request.terraform).plan()
        source, workspace = str(request.terraform_dir), run.workspace
        plan, exit_code = parse_plan(run.plan_json, source), 2 if run.has_changes else 0
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


def write_outputs(report: Any, targets: Sequence[OutputTarget]) -> bool:
    """Render each requested format; False if a file could not be written (each is tried)."""
    from drift_gate.github_env import append_step_summary
    from drift_gate.report import RenderOptions, reporters

    available = reporters()
    paths = {target.format: str(target.path) for target in targets if target.path is not None}
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    all_written = True
    for target in targets:
        options = RenderOptions(
            color=use_color(is_terminal=target.path is None and sys.stdout.isatty()),
            report_paths=paths,
            workspace=os.environ.get("GITHUB_WORKSPACE"),
        )
        if target.format == "markdown" and summary and str(target.path) == summary:
            append_step_summary(report, Path(summary), options)  # appended, size-capped
        elif target.path is None:
            click.echo(available[target.format].render(report, options), nl=False)
        else:
            try:
                _write_file(target.path, available[target.format].render(report, options))
            except InvalidInputError as error:
                click.echo(f"drift-gate: error: {error}", err=True)
                all_written = False
    return all_written


def _write_file(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as error:
        raise InvalidInputError(
            f"{path}: cannot write report ({error.strerror or error})"
        ) from error


def _explain_exit(report: Any, targets: Sequence[OutputTarget]) -> None:
    """Say the verdict on stderr when no console report went to stdout, and why exit 3."""
    from drift_gate.report.console import verdict_line

    console_on_stdout = any(t.format == "console" and t.path is None for t in targets)
    if not console_on_stdout:
        click.echo(f"drift-gate: {verdict_line(report)}", err=True)
    if report.exit_code == ExitCode.COULD_NOT_VERIFY:
        first = next(f for f in report.findings if f.is_unverified)
        message = first.message.removeprefix("could not verify: ")
        click.echo(f"drift-gate: could not verify {first.target.label()}: {message}", err=True)


@cli.command("validate-policy")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
def validate_policy(files: tuple[Path, ...]) -> int:
    """Check policy files against the schema; list every problem with file, line and path."""
    return validate_policy_files(files)


def validate_policy_files(files: Sequence[Path]) -> int:
    """Print every problem of every file; exit 2 if any is invalid."""
    from drift_gate.policy import find_problems
    from drift_gate.yamlfile import load_yaml_file

    invalid = 0
    for path in files:
        try:
            problems = [str(p) for p in find_problems(load_yaml_file(path))]
        except InvalidInputError as error:
            problems = [str(error)]
        for problem in problems:
            click.echo(problem, err=True)
        invalid += bool(problems)
        if not problems:
            click.echo(f"{path}: valid")
    if invalid:
        click.echo(f"drift-gate: {invalid} of {len(files)} policy file(s) invalid", err=True)
        return ExitCode.INVALID_INPUT
    return ExitCode.PASS


@cli.command("merge", cls=_PairedOutputCommand)
@click.argument("reports", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--fail-on",
    type=click.Choice(FAIL_ON_CHOICES),
    default=None,
    help="Threshold for the merged verdict. Default: the strictest of the reports.",
)
@FORMAT_OPTION
@OUTPUT_OPTION
@click.pass_context
def merge(ctx: click.Context, /, reports: tuple[Path, ...], fail_on: str | None, **_: Any) -> int:
    """Combine JSON reports (one per account/region job) into one report and verdict."""
    from drift_gate.merge import load_report, merge_reports
    from drift_gate.model import FailOn

    merged = merge_reports(
        [load_report(path) for path in reports], FailOn(fail_on) if fail_on else None
    )
    targets = ctx.meta["drift_gate.outputs"] or [OutputTarget("console", None)]
    check_outputs(targets, reports)
    code = emit_report(merged, targets)
    _explain_exit(merged, targets)
    return code


@cli.command("pre-push")
@click.option(
    "--policy",
    "policy_path",
    type=click.Path(path_type=Path),
    required=True,
    help="The policy file.",
)
@click.option(
    "--terraform-dir",
    type=click.Path(path_type=Path),
    help="Terraform sources to check offline (names the policy and .env.example require).",
)
@click.option("--environment", help="Check only this environment of the policy.")
@click.option("--fail-on", type=click.Choice(FAIL_ON_CHOICES), default="error", show_default=True)
def pre_push(
    policy_path: Path, terraform_dir: Path | None, environment: str | None, fail_on: str
) -> int:
    """What a developer can check before pushing: the policy, the sources, live ECS if allowed."""
    codes = [validate_policy_files((policy_path,))]
    if codes[0] != ExitCode.PASS:
        return codes[0]
    if terraform_dir is not None:
        offline = _pre_push_request(policy_path, terraform_dir, environment, fail_on, offline=True)
        codes.append(run_check_request(offline))
    if aws_credentials_configured():
        live = _pre_push_request(policy_path, None, environment, fail_on, offline=False)
        codes.append(run_check_request(live))
    else:
        click.echo(
            "drift-gate: skipped the live check: no AWS credentials are configured here "
            "(the merge gate runs it)",
            err=True,
        )
    return worst_exit_code(codes)


def _pre_push_request(
    policy: Path,
    terraform_dir: Path | None,
    environment: str | None,
    fail_on: str,
    *,
    offline: bool,
) -> CheckRequest:
    return CheckRequest(
        policy=policy,
        plan_json=None,
        plan_file=None,
        terraform_dir=terraform_dir,
        terraform=None,
        environment=environment,
        fail_on=fail_on,
        region=None,
        secret_checks=None,
        metrics_namespace=None,
        offline=offline,
        max_attempts=3,
        timeout=10.0,
        outputs=(OutputTarget("console", None),),
    )


def aws_credentials_configured() -> bool:
    """Whether boto finds credentials, asking no network (the instance metadata service is off)."""
    os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")
    import botocore.exceptions
    import botocore.session

    try:
        return botocore.session.Session().get_credentials() is not None
    except botocore.exceptions.BotoCoreError:
        return False


def worst_exit_code(codes: Sequence[int]) -> int:
    """Could not verify outranks invalid input, which outranks drift, which outranks pass."""
    for code in (
        ExitCode.INTERRUPTED,
        ExitCode.COULD_NOT_VERIFY,
        ExitCode.INVALID_INPUT,
        ExitCode.DRIFT,
    ):
        if code in codes:
            return int(code)
    return int(ExitCode.PASS)


@cli.command("inventory")
@click.option(
    "--terraform-dir",
    type=click.Path(path_type=Path),
    default=Path("."),
    show_default=True,
    help="Terraform root (local modules are followed).",
)
@click.option(
    "--policy",
    type=click.Path(path_type=Path),
    help="Policy: which names it requires, and the dotenv files (.env.example) it names.",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(path_type=Path),
    help="Write here (ENVIRONMENT_VARIABLES.md) instead of standard output.",
)
@click.option(
    "--check",
    "check_only",
    is_flag=True,
    help="Write nothing; exit 1 if --output is not what would be written.",
)
def inventory(
    terraform_dir: Path, policy: Path | None, output: Path | None, check_only: bool
) -> int:
    """Every variable per service and container, as Markdown (ENVIRONMENT_VARIABLES.md)."""
    from drift_gate.inventory import inventory_markdown
    from drift_gate.policy import load_policy
    from drift_gate.sources.hcl import load_declarations

    if check_only and output is None:
        raise click.UsageError("--check compares with the file given by --output")
    loaded = load_policy(policy) if policy else None
    base = output.parent if output else Path.cwd()
    text = inventory_markdown(load_declarations(terraform_dir), loaded, base)
    if check_only and output is not None:
        command = f"drift-gate inventory --terraform-dir {terraform_dir}"
        command += f" --policy {policy}" if policy else ""
        return _inventory_up_to_date(output, text, f"{command} --output {output}")
    if output is None:
        click.echo(text, nl=False)
    else:
        _write_file(output, text)
    return ExitCode.PASS


def _inventory_up_to_date(output: Path, text: str, regenerate: str) -> int:
    current = output.read_text(encoding="utf-8") if output.exists() else None
    if current == text:
        click.echo(f"{output}: up to date")
        return ExitCode.PASS
    state = "is out of date" if current is not None else "does not exist"
    click.echo(f"drift-gate: {output} {state}; regenerate it: {regenerate}", err=True)
    return ExitCode.DRIFT


@cli.command("explain")
@click.argument("rule_id")
def explain(rule_id: str) -> int:
    """Print what a rule means, why it matters and how to fix it (as in docs/rules.md)."""
    from drift_gate.rules import RULES_BY_ID, rule_text

    found = RULES_BY_ID.get(rule_id.upper())
    if found is None:
        raise InvalidInputError(f"unknown rule id {rule_id!r}; `drift-gate rules` lists them")
    click.echo(rule_text(found), nl=False)
    return ExitCode.PASS


@cli.command("rules")
def list_rules() -> int:
    """List every rule: id, default severity, name and what it means."""
    from drift_gate.rules import RULES

    width = max(len(rule.name) for rule in RULES)
    for rule in RULES:
        click.echo(f"{rule.id}  {rule.severity.value:<7}  {rule.name:<{width}}  {rule.summary}")
    return ExitCode.PASS


@cli.command("demo")
def demo() -> int:
    """Replay the incident against an emulated AWS account (needs the 'demo' extra: moto)."""
    from drift_gate.demo import run_demo

    return run_demo(click.echo, color=use_color(is_terminal=sys.stdout.isatty()))


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: run the CLI and turn every outcome into a documented exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    # --debug is read before or after the command name; click knows it on the group only.
    end = args.index("--") if "--" in args else len(args)
    debug = "--debug" in args[:end]
    if debug:
        args = ["--debug", *(arg for arg in args[:end] if arg != "--debug"), *args[end:]]
    try:
        result = cli.main(args=args, prog_name="drift-gate", standalone_mode=False)
    except click.exceptions.Exit as done:
        return done.exit_code
    except click.ClickException as error:
        error.show()
        return ExitCode.INVALID_INPUT
    except (click.Abort, KeyboardInterrupt):
        click.echo("drift-gate: interrupted", err=True)
        return ExitCode.INTERRUPTED
    except DriftGateError as error:
        if debug:
            traceback.print_exc()
        click.echo(f"drift-gate: error: {error}", err=True)
        return error.exit_code
    except Exception as error:  # noqa: BLE001 - a bug: fail closed, one line; --debug shows it
        if debug:
            traceback.print_exc()
        # Only the type: an arbitrary exception message might quote a value.
        click.echo(
            f"drift-gate: internal error ({type(error).__name__}); this is a bug, "
            "rerun with --debug and report it. Nothing was verified.",
            err=True,
        )
        return ExitCode.COULD_NOT_VERIFY
    return int(result) if isinstance(result, int) else ExitCode.PASS
