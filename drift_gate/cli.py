"""The command line: options are declared here, parsed into a request, and dispatched.

Each command's work is in drift_gate/commands/ (one module each, `run(request) -> exit
code`). Heavy modules (boto3, the checks, moto) are imported inside the commands that need
them, so `--help`, `rules` and `validate-policy` start fast.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from drift_gate._version import __version__
from drift_gate.cli_options import (
    FAIL_ON_CHOICES,
    FORMAT_OPTION,
    NO_POLICY_OPTION,
    OUTPUT_OPTION,
    POLICY_HELP,
    SARIF_CATEGORY_OPTION,
    SCAN_OPTIONS,
    PairedOutputCommand,
    github_deadline_option,
    metrics_namespace,
    with_check_options,
    with_options,
)
from drift_gate.commands._policy_path import (
    optional_policy,
    policy_for_check,
    required_policy,
)
from drift_gate.commands.outputs import CONSOLE, OutputTarget, check_outputs
from drift_gate.deadline import Deadline
from drift_gate.errors import DriftGateError, ExitCode
from drift_gate.gcpause import cyclic_gc_paused
from drift_gate.report.terminal_text import safe_lines
from drift_gate.scrub import print_traceback


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="drift-gate")
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
def cli(debug: bool) -> None:
    """Fail the pipeline when what runs on ECS is not what was declared.

    Exit codes: 0 pass, 1 blocking drift, 2 invalid input, 3 could not verify, 130 interrupted.
    """


@cli.command(cls=PairedOutputCommand)
@with_check_options
@click.pass_context
def check(ctx: click.Context, /, **given: Any) -> int:
    """Check what a policy and/or Terraform declare against what ECS runs.

    Give --policy, a plan (--plan-json, --plan-file or --terraform-dir), or both. With
    neither, the policy is found: drift-gate.yaml, then .drift-gate.yaml (.yml too), in the
    working directory, then at the repository root.
    """
    _check_combination(given)
    plan_given = not given["offline"] and any(
        given[key] for key in ("plan_json", "plan_file", "terraform_dir")
    )
    policy = policy_for_check(given["policy"], plan_given=plan_given)
    outputs = tuple(ctx.meta["drift_gate.outputs"] or CONSOLE)
    check_outputs(
        outputs,
        [
            policy,
            given["plan_json"],
            given["plan_file"],
            *given["var_files"],
            *given["task_definitions"],
        ],
    )
    if given["offline"]:
        assert policy is not None  # noqa: S101 - no plan offline: a policy, found or exit 2
        return _offline(given, policy, outputs)
    return _live(given, policy, outputs)


def _live(given: dict[str, Any], policy: Path | None, outputs: tuple[OutputTarget, ...]) -> int:
    from drift_gate.commands import check as command
    from drift_gate.sources.terraform import (
        TerraformSettings,
        checked_plan_arguments,
        chosen_workspace,
    )

    deadline = Deadline(given["deadline"])
    terraform = TerraformSettings(
        binary=given["terraform_bin"],
        timeout=given["terraform_timeout"],
        workspace=chosen_workspace(given["workspace"], os.environ),
        var_files=given["var_files"],
        variables=given["variables"],
        plan_arguments=checked_plan_arguments(given["plan_arguments"]),
        init=given["terraform_init"],
        deadline=deadline,
    )
    request = command.CheckRequest(
        policy=policy,
        plan_json=given["plan_json"],
        plan_file=given["plan_file"],
        terraform_dir=given["terraform_dir"],
        terraform=terraform,
        environment=given["environment"],
        fail_on=given["fail_on"],
        region=given["region"],
        secret_checks=given["secret_checks"],
        skipped_links=frozenset(given["skipped_links"]),
        wait_seconds=given["wait"],
        tasks_since=given["tasks_since"],
        ca_bundle=given["ca_bundle"],
        metrics_namespace=given["metrics_namespace"],
        max_attempts=given["max_attempts"],
        timeout=given["timeout"],
        outputs=outputs,
        deadline=given["deadline"],
        sarif_category=given["sarif_category"],
        quiet=given["quiet"],
    )
    return command.run(request, deadline)


def _offline(given: dict[str, Any], policy: Path, outputs: tuple[OutputTarget, ...]) -> int:
    from drift_gate.commands import offline

    return offline.run(
        offline.OfflineRequest(
            policy,
            given["terraform_dir"],
            given["environment"],
            given["fail_on"],
            outputs,
            given["sarif_category"],
            given["task_definitions"],
            given["services"],
        )
    )


def _check_combination(given: dict[str, Any]) -> None:
    """Options that cannot go together: a usage error before anything is read."""
    if given["plan_json"] and given["plan_file"]:
        raise click.UsageError("give --plan-json or --plan-file, not both")
    if given["wait"] and given["offline"]:
        raise click.UsageError("--wait waits for rollouts on ECS: it does not go with --offline")
    if given["tasks_since"] and given["offline"]:
        raise click.UsageError("--since looks at tasks on ECS: it does not go with --offline")
    if given["task_definitions"] and not given["offline"]:
        raise click.UsageError(
            "--task-definition checks a file before it is registered: add --offline (the "
            "live check reads the task definition the service runs)"
        )
    if given["task_definitions"] and given["terraform_dir"]:
        raise click.UsageError(
            "give --task-definition or --terraform-dir, not both: check the files and the "
            "Terraform sources in two runs"
        )
    if given["services"] and not given["task_definitions"]:
        raise click.UsageError("--service names the policy service of a --task-definition")
    plan_options = given["plan_arguments"] or given["var_files"] or given["variables"]
    if plan_options and (given["plan_json"] or given["plan_file"] or given["offline"]):
        raise click.UsageError(
            "--plan-arg, --var and --var-file go to the plan drift-gate runs; with --plan-json, "
            "--plan-file or --offline there is none: give them to your own terraform plan"
        )
    if given["offline"] and (
        given["plan_json"] or given["plan_file"] or given["metrics_namespace"]
    ):
        raise click.UsageError(
            "--offline reads only the Terraform sources: drop --plan-json, --plan-file, "
            "--publish-metrics"
        )


@cli.command(cls=PairedOutputCommand)
@with_options(SCAN_OPTIONS)
@click.pass_context
def scan(ctx: click.Context, /, **given: Any) -> int:
    """Find every ECS service in the accounts and regions given, and check each one.

    Without a policy: the checks that need no declaration (latest revision deployed, rollout,
    referenced secrets exist, no credentials in plain variables). With one (--policy, else
    drift-gate.yaml or .drift-gate.yaml found as check finds it; --no-policy: none): also
    what it declares, by service name or by `match:` (name globs, tags).
    """
    from drift_gate.commands import scan as command

    policy = _optional_policy(given["policy"], given["no_policy"])
    outputs = tuple(ctx.meta["drift_gate.outputs"] or CONSOLE)
    check_outputs(outputs, [policy])
    return command.run(
        command.ScanRequest(
            regions=given["regions"],
            clusters=given["clusters"],
            policy=policy,
            profiles=given["profiles"],
            role_arns=given["role_arns"],
            external_id=given["external_id"],
            session_name=given["session_name"],
            concurrency=given["concurrency"],
            fail_on=given["fail_on"],
            secret_checks=given["secret_checks"],
            deep=given["deep"],
            skipped_links=frozenset(given["skipped_links"]),
            wait_seconds=given["wait"],
            tasks_since=given["tasks_since"],
            max_attempts=given["max_attempts"],
            timeout=given["timeout"],
            deadline=given["deadline"],
            outputs=outputs,
            sarif_category=given["sarif_category"],
            quiet=given["quiet"],
        )
    )


@cli.command("github-issues")
@click.option(
    "--report",
    "report_path",
    type=click.Path(path_type=Path),
    required=True,
    help="A drift-gate JSON report (--format json) of check, scan or merge.",
)
@click.option("--repo", "repository", required=True, help="OWNER/NAME of the repository.")
@click.option(
    "--label",
    default="drift-gate",
    show_default=True,
    help="Label of drift-gate's issues (they are found by a hidden marker among these).",
)
@click.option(
    "--run-url",
    help="Link written in the issues. Default: this GitHub Actions run, when inside one.",
)
@github_deadline_option(600.0, "the whole sync")
def github_issues(
    report_path: Path, repository: str, label: str, run_url: str | None, deadline: float
) -> int:
    """One GitHub issue per drifting service: open, update, close as the report says.

    Token from GITHUB_TOKEN (never printed); API from GITHUB_API_URL (GitHub Enterprise).
    """
    from drift_gate.commands import github_issues as command

    return command.run(report_path, repository, label, run_url, deadline)


@cli.command("github-comment")
@click.option(
    "--report",
    "report_path",
    type=click.Path(path_type=Path),
    help="A drift-gate JSON report (--format json) of check, scan or merge.",
)
@click.option(
    "--no-report",
    is_flag=True,
    help="The gate wrote no report (it failed first): the comment says so, with --exit-code.",
)
@click.option(
    "--exit-code",
    metavar="N",
    help="The gate's final exit code: needed with --no-report; with --report, a code worse "
    "than the report's (a report file not written) heads the comment as a failure.",
)
@click.option(
    "--comment-author",
    metavar="LOGIN",
    help="The login the token comments as (an app's installation token: my-app[bot]). "
    "Default: GET /user, else in GitHub Actions github-actions[bot].",
)
@click.option(
    "--pull-request",
    help="Pull request number. Default: the pull request of the event (GITHUB_EVENT_PATH).",
)
@click.option(
    "--category",
    help="One comment per category (the action passes sarif-category). Default: none.",
)
@click.option("--repo", "repository", help="OWNER/NAME. Default: GITHUB_REPOSITORY.")
@click.option(
    "--run-url",
    help="Link written in the comment. Default: this GitHub Actions run, when inside one.",
)
@github_deadline_option(120.0, "the comment")
def github_comment(**given: Any) -> int:
    """One pull-request comment per category, updated in place: the verdict and findings.

    Exit 0 whatever the verdict (the check step fails the job), and when there is no pull
    request or no write access (a fork's); 2 bad input; 3 GitHub refused or did not answer.
    Token from GITHUB_TOKEN (never printed); API from GITHUB_API_URL.
    """
    from drift_gate.commands import github_comment as command

    return command.run(command.CommentRequest(**given))


@cli.command("validate-policy")
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
def validate_policy(files: tuple[Path, ...]) -> int:
    """Check policy files against the schema; list every problem with file, line and path.

    No FILES: the policy check would find (drift-gate.yaml, then .drift-gate.yaml).
    """
    from drift_gate.commands import validate

    if not files:
        files = (required_policy(None, "name the policy files to validate"),)
    return validate.run(files)


@cli.command("merge", cls=PairedOutputCommand)
@click.argument("reports", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--fail-on",
    type=click.Choice(FAIL_ON_CHOICES),
    default=None,
    help="Threshold for the merged verdict. Default: the strictest of the reports.",
)
@FORMAT_OPTION
@OUTPUT_OPTION
@SARIF_CATEGORY_OPTION
@click.pass_context
def merge(
    ctx: click.Context, /, reports: tuple[Path, ...], fail_on: str | None, **given: Any
) -> int:
    """Combine JSON reports (one per account/region job) into one report and verdict."""
    from drift_gate.commands import merge as command

    targets = ctx.meta["drift_gate.outputs"] or CONSOLE
    return command.run(reports, fail_on, targets, given["sarif_category"])


@cli.command("pre-push")
@click.option(
    "--policy",
    "policy_path",
    type=click.Path(path_type=Path),
    help=POLICY_HELP,
)
@click.option(
    "--terraform-dir",
    type=click.Path(path_type=Path),
    help="Terraform sources to check offline (names the policy and .env.example require). "
    "Default: the first of ., infra, terraform that holds a .tf file.",
)
@click.option("--environment", help="Check only this environment of the policy.")
@click.option("--fail-on", type=click.Choice(FAIL_ON_CHOICES), default="error", show_default=True)
@click.option(
    "--live",
    is_flag=True,
    help="Also check live ECS with your AWS credentials, as information: it never blocks.",
)
def pre_push(
    policy_path: Path | None,
    terraform_dir: Path | None,
    environment: str | None,
    fail_on: str,
    live: bool,
) -> int:
    """What a developer can check before pushing: the policy and the sources, offline."""
    from drift_gate.commands import pre_push as command

    policy = required_policy(policy_path, "give --policy FILE")
    request = command.PrePushRequest(policy, terraform_dir, environment, fail_on, live)
    return command.run(request)


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
    help="Policy: which names it requires, and the dotenv files (.env.example) it names. "
    "Default: drift-gate.yaml, then .drift-gate.yaml (.yml too), in the working directory, "
    "then at the repository root, if one is there.",
)
@NO_POLICY_OPTION
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
    terraform_dir: Path,
    policy: Path | None,
    no_policy: bool,
    output: Path | None,
    check_only: bool,
) -> int:
    """Every variable per service and container, as Markdown (ENVIRONMENT_VARIABLES.md)."""
    from drift_gate.commands import inventory as command

    if check_only and output is None:
        raise click.UsageError("--check compares with the file given by --output")
    policy = _optional_policy(policy, no_policy)
    return command.run(command.InventoryRequest(terraform_dir, policy, output, check_only))


@cli.command("iam-policy")
@click.option("--policy", type=click.Path(path_type=Path), help=POLICY_HELP)
@click.option(
    "--publish-metrics",
    "metrics_namespace",
    metavar="NAMESPACE",
    callback=metrics_namespace,
    help="Also allow PutMetricData, in this namespace only (as check --publish-metrics uses).",
)
def iam_policy(policy: Path | None, metrics_namespace: str | None) -> int:
    """Print the least-privilege IAM policy JSON for checking this policy file."""
    from drift_gate.commands import iam_policy as command

    return command.run(required_policy(policy, "give --policy FILE"), metrics_namespace)


@cli.command("waivers")
@click.option("--policy", type=click.Path(path_type=Path), help=POLICY_HELP)
@click.option(
    "--within",
    type=click.IntRange(0, 3650),
    help="Mark those expiring within this many days. Default: the policy's warn_days (14).",
)
def waivers(policy: Path | None, within: int | None) -> int:
    """List the policy's waivers, soonest expiry first, with days left; exit 1 if one expired."""
    from drift_gate.commands import waivers as command

    return command.run(required_policy(policy, "give --policy FILE"), within)


@cli.command("explain")
@click.argument("rule_id")
def explain(rule_id: str) -> int:
    """Print what a rule means, why it matters and how to fix it (as in docs/rules.md)."""
    from drift_gate.commands import rules

    return rules.explain(rule_id)


@cli.command("rules")
def list_rules() -> int:
    """List every rule: id, default severity, name and what it means."""
    from drift_gate.commands import rules

    return rules.list_rules()


@cli.command("demo")
@click.option(
    "--serve",
    "serve_port",
    type=click.IntRange(0, 65535),
    is_flag=False,
    flag_value=0,
    default=None,
    metavar="[PORT]",
    help="Keep the emulated account running on 127.0.0.1:PORT (any free port if none) in the "
    "incident's state, and print what to export: try check and its fix by hand.",
)
def demo(serve_port: int | None) -> int:
    """Replay the incident against an emulated AWS account (needs the 'demo' extra: moto)."""
    from drift_gate.commands import demo as command

    return command.run() if serve_port is None else command.serve(serve_port)


def _optional_policy(given: Path | None, no_policy: bool) -> Path | None:
    """--policy, else the policy found (named on standard error), else none; --no-policy:
    none is looked for."""
    if no_policy and given is not None:
        raise click.UsageError("give --policy or --no-policy, not both")
    if no_policy:
        return None
    return optional_policy(given)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: run the CLI and turn every outcome into a documented exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    # --debug is read before or after the command name; click knows it on the group only.
    end = args.index("--") if "--" in args else len(args)
    debug = "--debug" in args[:end]
    if debug:
        args = ["--debug", *(arg for arg in args[:end] if arg != "--debug"), *args[end:]]
    # A command's imports build hundreds of thousands of objects and no garbage cycles, and
    # the cyclic collector would walk them again and again (a fifth of an offline check):
    # paused for the command, as reference counting frees everything anyway. `check` turns it
    # back on for its long part (commands/check.py).
    with cyclic_gc_paused():
        return _run(args, debug)


def _run(args: list[str], debug: bool) -> int:
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
            print_traceback()  # scrubbed of the secrets drift-gate was given
        # The message may name what a file or AWS said: escaped for the terminal and the log.
        click.echo(f"drift-gate: error: {safe_lines(str(error))}", err=True)
        return error.exit_code
    except Exception as error:  # noqa: BLE001 - a bug: fail closed, one line; --debug shows it
        if debug:
            print_traceback()  # scrubbed of the secrets drift-gate was given
        # Only the type: an arbitrary exception message might quote a value.
        click.echo(
            f"drift-gate: internal error ({type(error).__name__}); this is a bug, "
            "rerun with --debug and report it. Nothing was verified.",
            err=True,
        )
        return ExitCode.COULD_NOT_VERIFY
    return int(result) if isinstance(result, int) else ExitCode.PASS
