"""`drift-gate pre-push`: the policy and the Terraform sources offline; live ECS on request.

A pre-push check must never block pushing the fix: the live side cannot have what is being
pushed yet, so its verdict would block exactly the change that repairs it. The live check
runs only with `--live`, and then as information: its findings are shown, its exit code is
never this command's. The merge gate in CI is where the live side is enforced.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from drift_gate.commands import check, offline, validate
from drift_gate.commands._console import echo, warn
from drift_gate.commands.outputs import CONSOLE, worst_exit_code
from drift_gate.errors import DriftGateError, ExitCode
from drift_gate.model.levels import FailOn

if TYPE_CHECKING:
    from drift_gate.engine.entry import OfflineRequest

# Where Terraform roots usually sit, relative to where the hook runs (the repository root
# under pre-commit): the first that holds a .tf file is checked when none is given.
TERRAFORM_DIR_GUESSES = (Path("."), Path("infra"), Path("terraform"))


@dataclass(frozen=True)
class PrePushArguments:
    """What `drift-gate pre-push` was given, as click parsed it (fields named as its options)."""

    policy_path: Path | None = None  # None: the policy found
    terraform_dir: Path | None = None
    environment: str | None = None
    fail_on: FailOn = FailOn.ERROR
    live: bool = False


@dataclass(frozen=True)
class PrePushRequest:
    policy: Path
    terraform_dir: Path | None
    environment: str | None
    fail_on: FailOn
    live: bool = False


def run(given: PrePushArguments) -> int:
    """Each step that applies here; the worst exit code of the blocking ones."""
    from drift_gate.commands._policy_path import required_policy

    policy = required_policy(given.policy_path, "give --policy FILE")
    request = PrePushRequest(policy, given.terraform_dir, given.environment, given.fail_on)
    return _run(replace(request, live=given.live))


def _run(request: PrePushRequest) -> int:
    codes = [validate.run((request.policy,))]
    if codes[0] != ExitCode.PASS:
        return codes[0]
    terraform_dir = request.terraform_dir or find_terraform_dir()
    if terraform_dir is None:
        guesses = ", ".join(f"{guess}/" for guess in TERRAFORM_DIR_GUESSES)
        echo(
            f"drift-gate: skipped the Terraform sources check: no .tf files in {guesses}; "
            "give --terraform-dir",
            err=True,
        )
    else:
        codes.append(offline.run(_offline_request(request, terraform_dir), CONSOLE))
    if request.live:
        _live_as_information(request)
    else:
        echo(
            "drift-gate: the live check is not run before a push (--live shows it, as "
            "information; the merge gate enforces it)",
            err=True,
        )
    return worst_exit_code(codes)


def find_terraform_dir() -> Path | None:
    """The first usual Terraform root here that holds a .tf file."""
    for guess in TERRAFORM_DIR_GUESSES:
        if guess.is_dir() and any(guess.glob("*.tf")):
            return guess
    return None


def _offline_request(request: PrePushRequest, terraform_dir: Path) -> OfflineRequest:
    from drift_gate.engine.entry import OfflineRequest

    return OfflineRequest(
        request.policy, terraform_dir, request.environment, request.fail_on, warn=warn
    )


def _live_as_information(request: PrePushRequest) -> None:
    """The live check's report, shown; its exit code is said and never returned."""
    missing = why_no_credentials()
    if missing is not None:
        echo(f"drift-gate: skipped the live check: {missing} (the merge gate runs it)", err=True)
        return
    try:
        code = check.run_live(_live_request(request), request.policy)
    except DriftGateError as error:  # the user's AWS configuration, said and not blocking
        echo(f"drift-gate: the live check could not run: {error}", err=True)
        code = error.exit_code
    if code != ExitCode.PASS:
        echo(
            f"drift-gate: the live check exited {int(code)}: information only, the push is not "
            "blocked by it (what runs cannot have this push yet; the merge gate enforces it)",
            err=True,
        )


def _live_request(request: PrePushRequest) -> check.CheckArguments:
    return check.CheckArguments(
        policy=request.policy,
        environment=request.environment,
        fail_on=request.fail_on,
        max_attempts=3,
        timeout=10.0,
    )


def why_no_credentials() -> str | None:
    """None when boto finds credentials, else why not; asks no network (no instance metadata)."""
    os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")
    import botocore.exceptions
    import botocore.session

    from drift_gate.sources.aws import configuration_error

    try:
        found = botocore.session.Session().get_credentials()
    except (botocore.exceptions.ProfileNotFound, botocore.exceptions.ConfigParseError) as error:
        return str(configuration_error(error, region=""))  # the user's configuration: say it
    except botocore.exceptions.BotoCoreError:
        return "the AWS credentials could not be loaded here"
    return None if found is not None else "no AWS credentials are configured here"
