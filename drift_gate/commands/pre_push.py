"""`drift-gate pre-push`: the policy, the sources offline, and live ECS when credentials exist."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from drift_gate.commands import check, offline, validate
from drift_gate.commands._console import echo
from drift_gate.commands.outputs import CONSOLE, worst_exit_code
from drift_gate.errors import ExitCode


@dataclass(frozen=True)
class PrePushRequest:
    policy: Path
    terraform_dir: Path | None
    environment: str | None
    fail_on: str


def run(request: PrePushRequest) -> int:
    """Each step that applies here; the worst exit code of them."""
    codes = [validate.run((request.policy,))]
    if codes[0] != ExitCode.PASS:
        return codes[0]
    if request.terraform_dir is not None:
        codes.append(
            offline.run(
                offline.OfflineRequest(
                    request.policy,
                    request.terraform_dir,
                    request.environment,
                    request.fail_on,
                    CONSOLE,
                )
            )
        )
    missing = why_no_credentials()
    if missing is None:
        codes.append(check.run(_live_request(request)))
    else:
        echo(f"drift-gate: skipped the live check: {missing} (the merge gate runs it)", err=True)
    return worst_exit_code(codes)


def _live_request(request: PrePushRequest) -> check.CheckRequest:
    return check.CheckRequest(
        policy=request.policy,
        plan_json=None,
        plan_file=None,
        terraform_dir=None,
        terraform=None,
        environment=request.environment,
        fail_on=request.fail_on,
        region=None,
        secret_checks=None,
        metrics_namespace=None,
        max_attempts=3,
        timeout=10.0,
        outputs=CONSOLE,
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
