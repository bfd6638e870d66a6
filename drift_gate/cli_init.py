"""`drift-gate init`: the command, its options and the combinations it refuses, in their own
module to keep cli.py and cli_option_sets.py short (cli.py adds the command to the group).
Standard library and click only at import time."""

from __future__ import annotations

import re
from pathlib import Path

import click

from drift_gate.cli_options import (
    DEADLINE_OPTION,
    MAX_ATTEMPTS_OPTION,
    TIMEOUT_OPTION,
    builds,
    option,
    with_options,
)
from drift_gate.commands.init import DEFAULT_OUTPUT, InitArguments
from drift_gate.errors import InvalidInputError

# The policy schema's environment names ($defs.identifier).
_IDENTIFIER = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


def environment_name(_context: click.Context, _parameter: click.Parameter, value: str) -> str:
    if not _IDENTIFIER.fullmatch(value):
        raise click.BadParameter("letters, digits, _ . - (starting with a letter or digit)")
    return value


INIT_OPTIONS = (
    option(
        "--terraform-dir",
        type=click.Path(path_type=Path),
        metavar="DIR",
        help="Draft every aws_ecs_service of these Terraform sources (local modules too), "
        "read offline.",
    ),
    option(
        "--task-definition",
        "task_definitions",
        multiple=True,
        type=click.Path(path_type=Path),
        metavar="FILE",
        help="Draft a service from a task-definition file (named after the file); repeatable.",
    ),
    option(
        "--cfn-template",
        "cfn_templates",
        multiple=True,
        type=click.Path(path_type=Path),
        metavar="FILE",
        help="Draft the ECS services of a CloudFormation template (hand-written, cdk synth, "
        "copilot svc package, Express Mode); repeatable.",
    ),
    option(
        "--cfn-parameters",
        type=click.Path(path_type=Path),
        metavar="FILE",
        help="With --cfn-template: the parameter values a deploy passes (`copilot svc package "
        "--output-dir`'s params file, or the AWS CLI's list), over the defaults.",
    ),
    option(
        "--from-account",
        is_flag=True,
        help="Draft every service running in --region (read-only, as scan discovers them).",
    ),
    option(
        "--region",
        metavar="REGION",
        help="The services' region (required with --from-account). Default: what the sources "
        "say, else a marked placeholder.",
    ),
    option(
        "--cluster",
        "clusters",
        multiple=True,
        metavar="CLUSTER",
        help="With --from-account: only this cluster; repeatable. Default: every cluster.",
    ),
    option(
        "--environment",
        default="default",
        show_default=True,
        callback=environment_name,
        metavar="NAME",
        help="The policy environment's name (several sources: NAME-terraform, NAME-files, "
        "NAME-templates, NAME-account).",
    ),
    option(
        "--output",
        type=click.Path(path_type=Path),
        default=DEFAULT_OUTPUT,
        show_default=True,
        metavar="FILE",
        help="The policy file to write.",
    ),
    option("--force", is_flag=True, help="Replace the --output file if it exists."),
    MAX_ATTEMPTS_OPTION,
    TIMEOUT_OPTION,
    DEADLINE_OPTION,
)


def init_combination(given: InitArguments) -> None:
    """What init cannot be given together: one line, exit 2, before anything is read."""
    sources = (given.terraform_dir, given.task_definitions, given.cfn_templates)
    if not any(sources) and not given.from_account:
        raise InvalidInputError(
            "no source to draft a policy from: give --terraform-dir DIR, --task-definition "
            "FILE, --cfn-template FILE or --from-account --region REGION"
        )
    if given.from_account and not given.region:
        raise InvalidInputError("--from-account reads one region: give --region REGION")
    if given.cfn_parameters is not None and not given.cfn_templates:
        raise InvalidInputError("--cfn-parameters goes with --cfn-template: give the template")
    if given.clusters and not given.from_account:
        raise InvalidInputError("--cluster selects what --from-account reads: give --from-account")


@click.command("init")
@with_options(INIT_OPTIONS)
@builds(InitArguments)
def init(given: InitArguments) -> int:
    """Write a starting policy: the names each service's containers receive today, from the
    Terraform sources, task-definition files or the services running in a region.

    Names only, never a value; comments say where each name came from and what could not be
    read. An existing file is kept unless --force. Then run validate-policy and check.
    """
    from drift_gate.commands import init as command

    init_combination(given)
    return command.run(given)
