"""The command line: each command with its options (cli_option_sets.py, cli_options.py, where
click parses them into typed arguments), dispatched to its module in drift_gate/commands/.
Heavy modules (boto3, the checks, moto) are imported inside the commands that need them, so
`--help`, `rules` and `validate-policy` start fast.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import click

from drift_gate._version import __version__
from drift_gate.cli_await_options import AWAIT_HOOK_OPTIONS
from drift_gate.cli_hook_options import IAM_POLICY_OPTIONS, LIFECYCLE_HOOK_OPTIONS, ON_EVENT_OPTIONS
from drift_gate.cli_init import init
from drift_gate.cli_option_sets import (
    CHECK_OPTIONS,
    GITHUB_COMMENT_OPTIONS,
    GITHUB_ISSUES_OPTIONS,
    INVENTORY_OPTIONS,
    MERGE_OPTIONS,
    PRE_PUSH_OPTIONS,
    SCAN_OPTIONS,
    WAIVERS_OPTIONS,
    check_combination,
    chosen_policy,
)
from drift_gate.cli_options import DEMO_SERVE_OPTION, PairedOutputCommand, builds, with_options
from drift_gate.commands._dispatch import run_main
from drift_gate.commands._policy_path import required_policy
from drift_gate.commands.await_hook import AwaitHookArguments
from drift_gate.commands.check import CheckArguments
from drift_gate.commands.comment_request import CommentRequest
from drift_gate.commands.iam_policy import IamPolicyArguments
from drift_gate.commands.inventory import InventoryArguments
from drift_gate.commands.lifecycle_hook import LifecycleHookArguments
from drift_gate.commands.merge import MergeArguments
from drift_gate.commands.on_event import OnEventArguments
from drift_gate.commands.pre_push import PrePushArguments
from drift_gate.commands.scan import ScanArguments


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="drift-gate")
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
def cli(debug: bool) -> None:
    """Fail the pipeline when what runs on ECS is not what was declared.

    Exit codes: 0 pass, 1 blocking drift, 2 invalid input, 3 could not verify, 130 interrupted.
    """


@cli.command(cls=PairedOutputCommand)
@with_options(CHECK_OPTIONS)
@builds(CheckArguments)
def check(given: CheckArguments) -> int:
    """Check what a policy and/or Terraform declare against what ECS runs.

    Give --policy, a plan (--plan-json, --plan-file or --terraform-dir), or both. With
    neither, the policy is found: drift-gate.yaml, then .drift-gate.yaml (.yml too), in the
    working directory, then at the repository root.
    """
    from drift_gate.commands import check as command

    check_combination(given)
    return command.run(given)


@cli.command(cls=PairedOutputCommand)
@with_options(SCAN_OPTIONS)
@builds(ScanArguments)
def scan(given: ScanArguments) -> int:
    """Find every ECS service in the accounts and regions given, and check each one.

    Without a policy: the checks that need no declaration (latest revision deployed, rollout,
    referenced secrets exist, no credentials in plain variables). With one (--policy, else
    drift-gate.yaml or .drift-gate.yaml found as check finds it; --no-policy: none): also
    what it declares, by service name or by `match:` (name globs, tags).
    """
    from drift_gate.commands import scan as command

    return command.run(given, chosen_policy(given.policy, given.no_policy))


@cli.command("github-issues")
@with_options(GITHUB_ISSUES_OPTIONS)
def github_issues(
    report_path: Path, repository: str, label: str, run_url: str | None, deadline: float
) -> int:
    """One GitHub issue per drifting service: open, update, close as the report says.

    Token from GITHUB_TOKEN (never printed); API from GITHUB_API_URL (GitHub Enterprise).
    """
    from drift_gate.commands import github_issues as command

    return command.run(report_path, repository, label, run_url, deadline)


@cli.command("github-comment")
@with_options(GITHUB_COMMENT_OPTIONS)
@builds(CommentRequest)
def github_comment(request: CommentRequest) -> int:
    """One pull-request comment per category, updated in place: the verdict and findings.

    Exit 0 whatever the verdict (the check step fails the job), and when there is no pull
    request or no write access (a fork's); 2 bad input; 3 GitHub refused or did not answer.
    Token from GITHUB_TOKEN (never printed); API from GITHUB_API_URL.
    """
    from drift_gate.commands import github_comment as command

    return command.run(request)


@cli.command("validate-policy")
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
def validate_policy(files: tuple[Path, ...]) -> int:
    """Check policy files against the schema; list every problem with file, line and path.

    No FILES: the policy check would find (drift-gate.yaml, then .drift-gate.yaml).
    """
    from drift_gate.commands import validate

    return validate.run(files or (required_policy(None, "name the policy files to validate"),))


cli.add_command(init)


@cli.command("merge", cls=PairedOutputCommand)
@with_options(MERGE_OPTIONS)
@builds(MergeArguments)
def merge(given: MergeArguments) -> int:
    """Combine JSON reports (one per account/region job) into one report and verdict."""
    from drift_gate.commands import merge as command

    return command.run(given)


@cli.command("pre-push")
@with_options(PRE_PUSH_OPTIONS)
@builds(PrePushArguments)
def pre_push(given: PrePushArguments) -> int:
    """What a developer can check before pushing: the policy and the sources, offline."""
    from drift_gate.commands import pre_push as command

    return command.run(given)


@cli.command("inventory")
@with_options(INVENTORY_OPTIONS)
@builds(InventoryArguments)
def inventory(given: InventoryArguments) -> int:
    """Every variable per service and container, as Markdown (ENVIRONMENT_VARIABLES.md)."""
    from drift_gate.commands import inventory as command

    if given.check_only and given.output is None:
        raise click.UsageError("--check compares with the file given by --output")
    return command.run(given)


@cli.command("iam-policy")
@with_options(IAM_POLICY_OPTIONS)
@builds(IamPolicyArguments)
def iam_policy(given: IamPolicyArguments) -> int:
    """Print the least-privilege IAM policy JSON for checking this policy file."""
    from drift_gate.commands import iam_policy as command

    return command.run(given)


@cli.command("waivers")
@with_options(WAIVERS_OPTIONS)
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


@cli.command("lifecycle-hook")
@with_options(LIFECYCLE_HOOK_OPTIONS)
@builds(LifecycleHookArguments)
def lifecycle_hook(given: LifecycleHookArguments) -> int:
    """Answer a saved ECS lifecycle-hook payload as the Lambda hook would (docs/deploy-hook.md).

    The answer on standard output, the function's log line on standard error. Exit 0
    SUCCEEDED, 1 FAILED on findings, 2 bad input, 3 could not verify.
    """
    from drift_gate.commands import lifecycle_hook as command

    return command.run(given)


@cli.command("on-event")
@with_options(ON_EVENT_OPTIONS)
@builds(OnEventArguments)
def on_event(given: OnEventArguments) -> int:
    """Re-check the service of a saved ECS event as the Lambda would (docs/deploy-hook.md).

    The result JSON on standard output. Exit 0 pass, ignored or skipped, 1 drift, 2 bad input,
    3 could not verify."""
    from drift_gate.commands import on_event as command

    return command.run(given)


@cli.command("await-hook", cls=PairedOutputCommand)
@with_options(AWAIT_HOOK_OPTIONS)
@builds(AwaitHookArguments)
def await_hook(given: AwaitHookArguments) -> int:
    """Wait for the service's deployment to pause at a PAUSE hook, check its target revision,
    then CONTINUE or ROLLBACK it (docs/deploy-hook.md). Exit 0 continued, 1 rolled back on
    findings, 2 bad input, 3 could not verify (rolled back unless --unverified continue)."""
    from drift_gate.commands import await_hook as command

    return command.run(given)


@cli.command("demo")
@DEMO_SERVE_OPTION
def demo(serve_port: int | None) -> int:
    """Replay the incident against an emulated AWS account (needs the 'demo' extra: moto)."""
    from drift_gate.commands import demo as command

    return command.run() if serve_port is None else command.serve(serve_port)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: run the CLI and turn every outcome into a documented exit code."""
    return run_main(cli, list(sys.argv[1:] if argv is None else argv))
