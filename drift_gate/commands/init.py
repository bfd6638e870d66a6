"""`drift-gate init`: write a starting policy from the Terraform sources, task-definition
files or a live account (engine/policy_draft.py drafts it; names only, never a value).

Never overwrites a file without --force; writes atomically (a temporary file beside it,
then renamed), so a policy is never half-written. Standard output says what was written
and the commands to run next.
"""

from __future__ import annotations

import os
import shlex
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from drift_gate.commands._console import echo
from drift_gate.deadline import DEFAULT_DEADLINE_SECONDS, Deadline
from drift_gate.errors import CouldNotVerifyError, ExitCode, InvalidInputError

if TYPE_CHECKING:
    from drift_gate.engine.policy_draft import Draft, DraftService

DEFAULT_OUTPUT = Path("drift-gate.yaml")
LIVE = ""  # the check of an account: `check --policy P`, no offline source


@dataclass(frozen=True)
class InitArguments:
    """What `drift-gate init` was given, one field per option (cli_init_options.py)."""

    terraform_dir: Path | None = None
    task_definitions: tuple[Path, ...] = ()
    cfn_templates: tuple[Path, ...] = ()
    cfn_parameters: Path | None = None  # the values a deploy passes the templates
    from_account: bool = False
    region: str | None = None
    clusters: tuple[str, ...] = ()
    environment: str = "default"
    output: Path = DEFAULT_OUTPUT
    force: bool = False
    max_attempts: int = 5
    timeout: float = 20.0
    deadline: float = DEFAULT_DEADLINE_SECONDS


def run(given: InitArguments) -> int:
    """Draft, render and write the policy; the exit code."""
    from drift_gate.engine.policy_draft_text import policy_text

    _refuse_existing(given)
    draft = draft_of(given)
    if not any(service.draftable for service in draft.services):
        found = len(draft.services)
        if found == 0:
            raise InvalidInputError(
                f"no ECS service found in {', '.join(draft.sources)}: nothing to start a "
                "policy from; give the sources that declare your services (no policy was written)"
            )
        first = draft.services[0]
        notes = first.why_notes
        why = f"{first.origin}: {'; '.join(notes)}" if notes else first.origin
        raise CouldNotVerifyError(
            f"{found} service(s) or task definition(s) found, and the containers of none could "
            f"be read before deploy (the first: {why}) (no policy was written)"
        )
    text = policy_text(draft)
    _refuse_invalid(text, given.output)
    write_atomically(given.output, text, force=given.force)
    _say_written(given, draft)
    return ExitCode.PASS


def draft_of(given: InitArguments) -> Draft:
    """Every source given, in a fixed order (Terraform, task-definition files, CloudFormation
    templates, the account),
    each as one environment with the check that compares the policy with it."""
    from drift_gate.engine.policy_draft import (
        Draft,
        DraftEnvironment,
        task_definition_services,
        terraform_services,
    )

    drafted: list[tuple[str, str, list[DraftService], str]] = []
    if given.terraform_dir is not None:
        _readable_directory(given.terraform_dir)
        directory = given.terraform_dir
        check = f"--terraform-dir {_quoted(directory)}"
        words = f"the Terraform sources under {directory}"
        drafted.append(("terraform", words, terraform_services(directory), check))
    if given.task_definitions:
        files = [(path, task_definition_services(path)) for path in given.task_definitions]
        words = "the task-definition file(s) " + ", ".join(str(path) for path, _ in files)
        services = [service for _, found in files for service in found]
        drafted.append(("files", words, services, _offline_pairs("--task-definition", files)))
    if given.cfn_templates:
        from drift_gate.engine.policy_draft_cfn import cfn_template_services, distinct_services

        parameters = given.cfn_parameters
        drafted_templates = [(p, cfn_template_services(p, parameters)) for p in given.cfn_templates]
        templates = distinct_services(drafted_templates)
        words = "the CloudFormation template(s) " + ", ".join(str(p) for p, _ in templates)
        services = [service for _, found in templates for service in found]
        check = _offline_pairs("--cfn-template", templates, len(templates) > 1)
        if parameters is not None and check:
            check += f" --cfn-parameters {_quoted(parameters)}"
        drafted.append(("templates", words, services, check))
    if given.from_account:
        clusters = f" (clusters {', '.join(given.clusters)})" if given.clusters else ""
        words = f"the services running in {given.region}{clusters}"
        drafted.append(("account", words, _account(given), LIVE))
    several = len(drafted) > 1
    environments = []
    for kind, words, services, check in drafted:
        known = {s.region for s in services if s.region}
        region = given.region or (known.pop() if len(known) == 1 else None)
        account = next((s.account for s in services if s.account), None)
        name = f"{given.environment}-{kind}" if several else given.environment
        environments.append(DraftEnvironment(name, words, tuple(services), region, account, check))
    return Draft(tuple(environments))


def _offline_pairs(
    option: str, files: list[tuple[Path, list[DraftService]]], qualify: bool = False
) -> str:
    """Every file, each drafted service named by --service (as `check --offline` pairs them);
    `qualify`: --service FILE:NAME (templates: a logical id such as Copilot's `Service` is in
    every template)."""
    return " ".join(
        f"{option} {_quoted(path)} --service "
        + _quoted(f"{path}:{service.check_as}" if qualify else service.check_as or "")
        for path, services in files
        for service in services
        if service.draftable and service.check_as
    )


def _account(given: InitArguments) -> list[DraftService]:
    from drift_gate.engine.policy_draft_live import AccountRequest, account_services

    assert given.region is not None  # noqa: S101 - cli_init.init_combination requires it
    deadline = Deadline(given.deadline)
    request = AccountRequest(
        given.region, given.clusters, given.max_attempts, given.timeout, deadline
    )
    return account_services(request)


def _refuse_invalid(text: str, output: Path) -> None:
    """The draft validated as validate-policy would: a problem is a bug, never written."""
    from drift_gate.policy import find_problems
    from drift_gate.yamlfile import parse_yaml

    problems = find_problems(parse_yaml(text, str(output)))
    if problems:
        raise CouldNotVerifyError(
            f"the drafted policy does not validate ({problems[0]}); this is a bug, please "
            "report it (no policy was written)"
        )


def _readable_directory(path: Path) -> None:
    if not path.is_dir() or not os.access(path, os.R_OK | os.X_OK):
        raise InvalidInputError(
            f"{path}: not a readable directory; give --terraform-dir the folder of your "
            "Terraform root module"
        )


def _refuse_existing(given: InitArguments) -> None:
    if given.output.exists() and not given.force:
        raise InvalidInputError(
            f"{given.output} exists already; give --output another file, or --force to replace it"
        )


def write_atomically(path: Path, text: str, *, force: bool) -> None:
    """Write to a temporary file beside `path`, then rename it over (with `force`) or link it
    in place (without: a file that appeared meanwhile is not replaced)."""
    directory = path.parent if str(path.parent) else Path(".")
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=directory)
    except OSError as error:
        raise InvalidInputError(
            f"{path}: cannot write the policy here ({error.strerror or error}); give --output "
            "a file in a writable directory"
        ) from None
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, 0o644)
        if force:
            os.replace(temporary, path)
        else:
            os.link(temporary, path)
    except FileExistsError:
        raise InvalidInputError(
            f"{path} exists already; give --output another file, or --force to replace it"
        ) from None
    except OSError as error:
        raise InvalidInputError(
            f"{path}: cannot write the policy ({error.strerror or error})"
        ) from None
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def _say_written(given: InitArguments, draft: Draft) -> None:
    """What was written and the commands to run next; paths quoted for a shell, and
    escaped for the terminal (a path may hold anything)."""
    from drift_gate.report.terminal_text import safe_lines

    drafted = sum(1 for service in draft.services if service.draftable)
    skipped = len(draft.services) - drafted
    more = f"; {skipped} not drafted, said in comments" if skipped else ""
    lines = [
        f"drift-gate: wrote {given.output}: {drafted} service(s){more}. Names only, no value.",
        "Review it (replace every REPLACE-ME), then run:",
        f"  drift-gate validate-policy {_quoted(given.output)}",
        *(f"  {command}" for command in next_checks(given, draft)),
    ]
    echo(safe_lines("\n".join(lines)))


def _quoted(value: Path | str) -> str:
    return shlex.quote(str(value))


def next_checks(given: InitArguments, draft: Draft) -> list[str]:
    """The check of each environment against the source it was drafted from."""
    policy = f"--policy {_quoted(given.output)}"
    several = len(draft.environments) > 1
    commands = []
    for environment in draft.environments:
        if not environment.drafted or environment.check is None:
            continue
        chosen = f" --environment {_quoted(environment.name)}" if several else ""
        if environment.check == LIVE:
            commands.append(f"drift-gate check {policy}{chosen}")
        else:
            commands.append(f"drift-gate check --offline {policy}{chosen} {environment.check}")
    return commands
