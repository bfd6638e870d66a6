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
    from drift_gate.engine.policy_draft import Draft

DEFAULT_OUTPUT = Path("drift-gate.yaml")


@dataclass(frozen=True)
class InitArguments:
    """What `drift-gate init` was given, one field per option (cli_init_options.py)."""

    terraform_dir: Path | None = None
    task_definitions: tuple[Path, ...] = ()
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
        raise CouldNotVerifyError(
            f"{found} service(s) found, and the containers of none could be read (a name or "
            "task definition only a deploy knows); `drift-gate inventory` shows what is "
            "unresolved (no policy was written)"
        )
    text = policy_text(draft)
    _refuse_invalid(text, given.output)
    write_atomically(given.output, text, force=given.force)
    _say_written(given, draft)
    return ExitCode.PASS


def draft_of(given: InitArguments) -> Draft:
    """Every source given, in a fixed order: Terraform, task-definition files, the account."""
    from drift_gate.engine.policy_draft import (
        Draft,
        task_definition_services,
        terraform_services,
    )

    services = []
    sources = []
    if given.terraform_dir is not None:
        _readable_directory(given.terraform_dir)
        services += terraform_services(given.terraform_dir)
        sources.append(f"the Terraform sources under {given.terraform_dir}")
    for path in given.task_definitions:
        services += task_definition_services(path)
        sources.append(f"the task-definition file {path}")
    account = None
    if given.from_account:
        from drift_gate.engine.policy_draft_live import AccountRequest, account_services

        assert given.region is not None  # noqa: S101 - cli_init_options requires it
        request = AccountRequest(
            given.region,
            given.clusters,
            given.max_attempts,
            given.timeout,
            Deadline(given.deadline),
        )
        live = account_services(request)
        services += live
        account = next((s.account for s in live if s.account), None)
        clusters = f" (clusters {', '.join(given.clusters)})" if given.clusters else ""
        sources.append(f"the services running in {given.region}{clusters}")
    known = {s.region for s in services if s.region}
    region = given.region or (known.pop() if len(known) == 1 else None)
    return Draft(tuple(sources), tuple(services), region, account, given.environment)


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
        f"  {next_check(given)}",
    ]
    echo(safe_lines("\n".join(lines)))


def _quoted(value: Path | str) -> str:
    return shlex.quote(str(value))


def next_check(given: InitArguments) -> str:
    """The check against the same source the policy was drafted from."""
    policy = f"--policy {_quoted(given.output)}"
    if given.from_account:
        return f"drift-gate check {policy}"
    if given.terraform_dir is not None:
        terraform_dir = _quoted(given.terraform_dir)
        return f"drift-gate check --offline {policy} --terraform-dir {terraform_dir}"
    files = " ".join(
        f"--task-definition {_quoted(path)} --service {_quoted(path.stem or path.name)}"
        for path in given.task_definitions
    )
    return f"drift-gate check --offline {policy} {files}"
