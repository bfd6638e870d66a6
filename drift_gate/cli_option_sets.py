"""Each command's own options (those several share are in cli_options.py), and the option
combinations that cannot go together: a usage error before anything is read.
"""

from __future__ import annotations

from pathlib import Path

import click

from drift_gate.cli_options import (
    DEADLINE_OPTION,
    FAIL_ON_OPTION,
    FORMAT_OPTION,
    FOUND_POLICY,
    MAX_ATTEMPTS_OPTION,
    NO_POLICY_OPTION,
    OUTPUT_OPTION,
    POLICY_HELP,
    QUIET_OPTION,
    SARIF_CATEGORY_OPTION,
    SECRET_CHECKS_OPTION,
    SINCE_OPTION,
    TIMEOUT_OPTION,
    EnumChoice,
    FiniteRange,
    declared_side_options,
    external_id,
    github_deadline_option,
    metrics_namespace,
    option,
    session_name,
    skip_link_option,
    wait_option,
)
from drift_gate.commands.check import CheckArguments
from drift_gate.declared_sides import DECLARED_SIDES
from drift_gate.model.levels import FailOn

# What blocks, what is written, and how long AWS may take: the last options of every command
# that checks live and writes a report, in --help's order.
RUN_OPTIONS = (
    FAIL_ON_OPTION,
    FORMAT_OPTION,
    OUTPUT_OPTION,
    SARIF_CATEGORY_OPTION,
    QUIET_OPTION,
    MAX_ATTEMPTS_OPTION,
    TIMEOUT_OPTION,
    DEADLINE_OPTION,
)

CHECK_OPTIONS = (
    option(
        "--policy",
        type=click.Path(path_type=Path),
        help="Policy file (YAML) declaring each service's secrets and variables. Default, "
        f"without a plan: {FOUND_POLICY}.",
    ),
    option(
        "--offline",
        is_flag=True,
        help="Check the policy and its dotenv files against the Terraform sources only "
        "(--terraform-dir): no AWS client, no terraform run. For a pre-push hook.",
    ),
    option(
        "--task-definition",
        "task_definitions",
        multiple=True,
        type=click.Path(path_type=Path),
        help="With --offline: a task-definition file as CI renders it (describe or register "
        "JSON, a list of containers, one container); repeatable.",
    ),
    option(
        "--service",
        "services",
        multiple=True,
        help="The policy service of each --task-definition, in the same order (not needed "
        "when the policy declares one service). With --cfn-template: [FILE:]NAME[=POLICY_"
        "SERVICE], a template service's logical id or ServiceName (FILE: its template, "
        "needed when several have it; POLICY_SERVICE: when the policy names it otherwise).",
    ),
    option(
        "--plan-json",
        type=click.Path(path_type=Path),
        help="Output of `terraform show -json PLANFILE`.",
    ),
    option(
        "--plan-file",
        type=click.Path(path_type=Path),
        help="Binary plan (terraform plan -out=FILE); drift-gate runs terraform show -json.",
    ),
    option(
        "--terraform-dir",
        type=click.Path(path_type=Path),
        help="Terraform root. Alone: drift-gate runs the plan there. With a plan: where to "
        "find file:line.",
    ),
    *declared_side_options(DECLARED_SIDES),
    option(
        "--terraform-bin",
        envvar="TERRAFORM_BIN",
        default="terraform",
        show_default=True,
        help="The terraform binary (also TERRAFORM_BIN).",
    ),
    option("--terraform-init", is_flag=True, help="Run `terraform init -input=false` first."),
    option(
        "--workspace",
        help="Terraform workspace to plan; TF_WORKSPACE is honoured as terraform does "
        "(both set and different: exit 2).",
    ),
    option(
        "--var-file",
        "var_files",
        multiple=True,
        type=click.Path(path_type=Path),
        help="Passed to terraform plan; repeatable.",
    ),
    option(
        "--var",
        "variables",
        multiple=True,
        metavar="NAME=VALUE",
        help="Passed to terraform plan; repeatable.",
    ),
    option(
        "--plan-arg",
        "plan_arguments",
        multiple=True,
        metavar="OPTION",
        help="Extra option for terraform plan, such as -target=ADDRESS or -refresh=false; "
        "repeatable.",
    ),
    option(
        "--terraform-timeout",
        type=FiniteRange(1, 86400),
        default=600.0,
        show_default=True,
        help="Seconds each terraform command may take.",
    ),
    option(
        "--region",
        help="AWS region of the services Terraform declares (default: the "
        "plan's aws provider, then AWS_REGION).",
    ),
    SECRET_CHECKS_OPTION,
    SINCE_OPTION,
    wait_option("every rollout", "check"),
    option(
        "--ca-bundle",
        type=click.Path(path_type=Path, dir_okay=False),
        help="PEM certificates to trust for smoke requests to private endpoints (TLS is "
        "always verified).",
    ),
    skip_link_option("all run (execution-role best-effort)"),
    option(
        "--publish-metrics",
        "metrics_namespace",
        metavar="NAMESPACE",
        callback=metrics_namespace,
        help="After the run, put CloudWatch metrics (findings by severity per service, "
        "could-not-verify count) in this namespace.",
    ),
    option("--environment", help="Check only this environment of the policy."),
    *RUN_OPTIONS,
)


SCAN_OPTIONS = (
    option(
        "--region",
        "regions",
        multiple=True,
        help="Region to scan; repeatable. Default: the configured region (AWS_REGION, profile).",
    ),
    option(
        "--cluster",
        "clusters",
        multiple=True,
        help="Cluster to scan; repeatable. Default: every cluster (ListClusters).",
    ),
    option(
        "--policy",
        type=click.Path(path_type=Path),
        help="Policy file: services it declares (by name or `match:`) get its checks too. "
        f"Default: {FOUND_POLICY}, if one is there.",
    ),
    NO_POLICY_OPTION,
    option(
        "--profile",
        "profiles",
        multiple=True,
        help="AWS profile of an account to scan; repeatable.",
    ),
    option(
        "--role-arn",
        "role_arns",
        multiple=True,
        help="IAM role to assume (STS AssumeRole) for an account to scan; repeatable.",
    ),
    option(
        "--external-id",
        callback=external_id,
        help="External id for --role-arn, when the roles' trust policies require one.",
    ),
    option(
        "--role-session-name",
        "session_name",
        default="drift-gate-scan",
        show_default=True,
        callback=session_name,
        help="Session name of the assumed roles (what CloudTrail shows).",
    ),
    option(
        "--concurrency",
        type=click.IntRange(1, 64),
        default=8,
        show_default=True,
        help="AWS calls in flight at once.",
    ),
    SECRET_CHECKS_OPTION,
    SINCE_OPTION,
    wait_option("every rollout found", "scan"),
    option(
        "--deep",
        is_flag=True,
        help="Also check that ECR images exist and that running tasks run the PRIMARY revision "
        "(more calls per service; on by default in check).",
    ),
    skip_link_option("as --deep and the policy say"),
    *RUN_OPTIONS,
)


MERGE_OPTIONS = (
    click.argument("reports", nargs=-1, required=True, type=click.Path(path_type=Path)),
    option(
        "--fail-on",
        type=EnumChoice(FailOn),
        default=None,
        help="Threshold for the merged verdict. Default: the strictest of the reports.",
    ),
    FORMAT_OPTION,
    OUTPUT_OPTION,
    SARIF_CATEGORY_OPTION,
)

GITHUB_ISSUES_OPTIONS = (
    option(
        "--report",
        "report_path",
        type=click.Path(path_type=Path),
        required=True,
        help="A drift-gate JSON report (--format json) of check, scan or merge.",
    ),
    option("--repo", "repository", required=True, help="OWNER/NAME of the repository."),
    option(
        "--label",
        default="drift-gate",
        show_default=True,
        help="Label of drift-gate's issues (they are found by a hidden marker among these).",
    ),
    option(
        "--run-url",
        help="Link written in the issues. Default: this GitHub Actions run, when inside one.",
    ),
    github_deadline_option(600.0, "the whole sync"),
)

GITHUB_COMMENT_OPTIONS = (
    option(
        "--report",
        "report_path",
        type=click.Path(path_type=Path),
        help="A drift-gate JSON report (--format json) of check, scan or merge.",
    ),
    option(
        "--no-report",
        is_flag=True,
        help="The gate wrote no report (it failed first): the comment says so, with --exit-code.",
    ),
    option(
        "--exit-code",
        metavar="N",
        help="The gate's final exit code: needed with --no-report; with --report, a code worse "
        "than the report's (a report file not written) heads the comment as a failure.",
    ),
    option(
        "--comment-author",
        metavar="LOGIN",
        help="The login the token comments as (an app's installation token: my-app[bot]). "
        "Default: GET /user, else in GitHub Actions github-actions[bot].",
    ),
    option(
        "--pull-request",
        help="Pull request number. Default: the pull request of the event (GITHUB_EVENT_PATH).",
    ),
    option(
        "--category",
        help="One comment per category (the action passes sarif-category). Default: none.",
    ),
    option("--repo", "repository", help="OWNER/NAME. Default: GITHUB_REPOSITORY."),
    option(
        "--run-url",
        help="Link written in the comment. Default: this GitHub Actions run, when inside one.",
    ),
    github_deadline_option(120.0, "the comment"),
)

PRE_PUSH_OPTIONS = (
    option("--policy", "policy_path", type=click.Path(path_type=Path), help=POLICY_HELP),
    option(
        "--terraform-dir",
        type=click.Path(path_type=Path),
        help="Terraform sources to check offline (names the policy and .env.example require). "
        "Default: the first of ., infra, terraform that holds a .tf file.",
    ),
    option("--environment", help="Check only this environment of the policy."),
    option("--fail-on", type=EnumChoice(FailOn), default="error", show_default=True),
    option(
        "--live",
        is_flag=True,
        help="Also check live ECS with your AWS credentials, as information: it never blocks.",
    ),
)

INVENTORY_OPTIONS = (
    option(
        "--terraform-dir",
        type=click.Path(path_type=Path),
        default=Path("."),
        show_default=True,
        help="Terraform root (local modules are followed).",
    ),
    option(
        "--policy",
        type=click.Path(path_type=Path),
        help="Policy: which names it requires, and the dotenv files (.env.example) it names. "
        "Default: drift-gate.yaml, then .drift-gate.yaml (.yml too), in the working directory, "
        "then at the repository root, if one is there.",
    ),
    NO_POLICY_OPTION,
    option(
        "--output",
        "-o",
        type=click.Path(path_type=Path),
        help="Write here (ENVIRONMENT_VARIABLES.md) instead of standard output.",
    ),
    option(
        "--check",
        "check_only",
        is_flag=True,
        help="Write nothing; exit 1 if --output is not what would be written.",
    ),
    option(
        "--cfn-template",
        "cfn_templates",
        multiple=True,
        type=click.Path(path_type=Path),
        help="A CloudFormation template whose services and containers are listed too; "
        "repeatable (docs/cloudformation.md).",
    ),
)

# --policy of the commands that read a policy and nothing else (found as check finds it).
POLICY_FILE_OPTION = option("--policy", type=click.Path(path_type=Path), help=POLICY_HELP)

WAIVERS_OPTIONS = (
    POLICY_FILE_OPTION,
    option(
        "--within",
        type=click.IntRange(0, 3650),
        help="Mark those expiring within this many days. Default: the policy's warn_days (14).",
    ),
)


def check_combination(given: CheckArguments) -> None:
    """Options of `check` that cannot go together: a usage error before anything is read."""
    if given.plan_json and given.plan_file:
        raise click.UsageError("give --plan-json or --plan-file, not both")
    if given.wait and given.offline:
        raise click.UsageError("--wait waits for rollouts on ECS: it does not go with --offline")
    if given.tasks_since and given.offline:
        raise click.UsageError("--since looks at tasks on ECS: it does not go with --offline")
    if given.task_definitions and not given.offline:
        raise click.UsageError(
            "--task-definition checks a file before it is registered: add --offline (the "
            "live check reads the task definition the service runs)"
        )
    if given.task_definitions and given.terraform_dir:
        raise click.UsageError(
            "give --task-definition or --terraform-dir, not both: check the files and the "
            "Terraform sources in two runs"
        )
    if given.services and not (given.task_definitions or given.declared_files):
        raise click.UsageError("--service names the policy service of a --task-definition")
    _check_declared_sides(given)
    _check_plan_options(given)


def _check_declared_sides(given: CheckArguments) -> None:
    sides = {side.name: side for side in DECLARED_SIDES}
    if any(sides[name].offline is None for name, _ in given.declared_files) and given.offline:
        raise click.UsageError(
            "--offline compares the policy with the Terraform sources: the files of other "
            "declared sides are checked live, without --offline"
        )
    if given.declared_files and given.offline and (given.task_definitions or given.terraform_dir):
        raise click.UsageError("with --offline, check one kind of file a run")
    if given.services and given.declared_files and not given.offline:
        raise click.UsageError("--service picks a template's service with --offline")
    given_sides = {name for name, _ in given.declared_files}
    for side in DECLARED_SIDES:
        for setting in side.settings:
            if (
                dict(given.declared_settings).get(setting.parameter)
                and side.name not in given_sides
            ):
                raise click.UsageError(f"{setting.option} goes with {side.option}")


def _check_plan_options(given: CheckArguments) -> None:
    plan_options = given.plan_arguments or given.var_files or given.variables
    if plan_options and (given.plan_json or given.plan_file or given.offline):
        raise click.UsageError(
            "--plan-arg, --var and --var-file go to the plan drift-gate runs; with --plan-json, "
            "--plan-file or --offline there is none: give them to your own terraform plan"
        )
    if given.offline and (given.plan_json or given.plan_file or given.metrics_namespace):
        raise click.UsageError(
            "--offline reads only the Terraform sources: drop --plan-json, --plan-file, "
            "--publish-metrics"
        )


def chosen_policy(given: Path | None, no_policy: bool) -> Path | None:
    """--policy, else the policy found (named on standard error), else none; --no-policy:
    none is looked for."""
    from drift_gate.commands._policy_path import optional_policy

    if no_policy and given is not None:
        raise click.UsageError("give --policy or --no-policy, not both")
    if no_policy:
        return None
    return optional_policy(given)
