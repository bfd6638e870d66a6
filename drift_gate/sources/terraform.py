"""The only module that runs terraform: init, plan -detailed-exitcode, show -json.

It calls the binary through subprocess, not python-terraform; docs/terraform.md says why
(no timeout, exit code 2 logged as an error, state files read into memory). Terraform's
exit codes 0/1/2 are translated here and never leak out as drift-gate's: 0 and 2 become
`has_changes`, 1 becomes CouldNotVerifyError (exit 3) with the tail of terraform's stderr.
terraform's stdout (the human plan, which can show values) is never printed or kept.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from drift_gate.errors import CouldNotVerifyError, InvalidInputError

STDERR_TAIL_LINES = 12


@dataclass(frozen=True)
class TerraformSettings:
    """How to run terraform; the binary defaults to TERRAFORM_BIN, then `terraform` on PATH."""

    binary: str = field(default_factory=lambda: os.environ.get("TERRAFORM_BIN") or "terraform")
    timeout: float = 600.0
    workspace: str | None = None
    var_files: tuple[Path, ...] = ()
    variables: tuple[str, ...] = ()
    init: bool = False


@dataclass(frozen=True)
class PlanRun:
    """What `terraform plan -detailed-exitcode` said, translated."""

    has_changes: bool
    plan_json: dict[str, Any]


class TerraformError(CouldNotVerifyError):
    """terraform failed, timed out or is missing: the plan link could not be verified."""


def stderr_tail(stderr: str, lines: int = STDERR_TAIL_LINES) -> str:
    """The last meaningful lines of terraform's stderr, joined for a one-line message."""
    kept = [line.strip(" │╷╵") for line in stderr.splitlines()]
    kept = [line for line in kept if line.strip()]
    return " | ".join(kept[-lines:])


@dataclass(frozen=True)
class Terraform:
    """Runs terraform in one working directory."""

    directory: Path
    settings: TerraformSettings = field(default_factory=TerraformSettings)

    def plan(self) -> PlanRun:
        """init (if asked), plan to a temporary file, show it as JSON; the file is then deleted."""
        if not self.directory.is_dir():
            raise InvalidInputError(
                f"{self.directory}: not a directory; give --terraform-dir a Terraform folder"
            )
        if self.settings.init:
            self._run(["init", "-input=false", "-no-color"], "init")
        if self.settings.workspace:
            self._check_workspace(self.settings.workspace)
        with tempfile.TemporaryDirectory(prefix="drift-gate-plan-") as scratch:
            plan_file = Path(scratch) / "tfplan"
            code = self._run(self._plan_arguments(plan_file), "plan", ok_codes=(0, 2))
            return PlanRun(has_changes=code == 2, plan_json=self.show_json(plan_file))

    def show_json(self, plan_file: Path) -> dict[str, Any]:
        """`terraform show -json PLAN`, parsed. It holds sensitive values: kept in memory only."""
        completed = self._completed(
            ["show", "-json", "-no-color", str(plan_file.resolve())], "show"
        )
        try:
            document = json.loads(completed.stdout)
        except json.JSONDecodeError as error:
            raise TerraformError(f"terraform show -json printed no JSON ({error.msg})") from error
        if not isinstance(document, dict):
            raise TerraformError("terraform show -json printed JSON that is not an object")
        return document

    def _check_workspace(self, workspace: str) -> None:
        # With TF_WORKSPACE naming a workspace that does not exist, terraform plans an empty
        # state: every resource "would be created". A typo deserves a clear error instead.
        listing = self._completed(["workspace", "list"], "workspace list", use_workspace=False)
        names = [line.strip().lstrip("* ").strip() for line in listing.stdout.splitlines()]
        if workspace not in names:
            known = ", ".join(name for name in names if name)
            raise InvalidInputError(
                f"terraform workspace {workspace!r} does not exist in {self.directory}; "
                f"it has: {known}"
            )

    def _plan_arguments(self, plan_file: Path) -> list[str]:
        arguments = ["plan", "-detailed-exitcode", "-input=false", "-no-color", f"-out={plan_file}"]
        arguments += [f"-var-file={path.resolve()}" for path in self.settings.var_files]
        for assignment in self.settings.variables:
            arguments += ["-var", assignment]
        return arguments

    def _run(self, arguments: Sequence[str], step: str, ok_codes: tuple[int, ...] = (0,)) -> int:
        return self._completed(arguments, step, ok_codes).returncode

    def _completed(
        self,
        arguments: Sequence[str],
        step: str,
        ok_codes: tuple[int, ...] = (0,),
        *,
        use_workspace: bool = True,
    ) -> subprocess.CompletedProcess[str]:
        binary = shutil.which(self.settings.binary)
        if binary is None:
            raise TerraformError(
                f"terraform binary not found: {self.settings.binary!r}; install terraform or set "
                "--terraform-bin / TERRAFORM_BIN"
            )
        completed = self._execute([binary, *arguments], step, use_workspace=use_workspace)
        if completed.returncode not in ok_codes:
            raise TerraformError(self._failure_message(step, completed))
        return completed

    def _execute(
        self, command: list[str], step: str, *, use_workspace: bool = True
    ) -> subprocess.CompletedProcess[str]:
        environment = {**os.environ, "TF_IN_AUTOMATION": "1", "TF_INPUT": "0"}
        environment.pop("TF_WORKSPACE", None)
        if self.settings.workspace and use_workspace:
            environment["TF_WORKSPACE"] = self.settings.workspace
        # Its own process group, so a timeout stops terraform and the providers it started.
        process = subprocess.Popen(  # noqa: S603 - the binary is resolved, arguments are a list
            command,
            cwd=self.directory,
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        try:
            stdout, stderr = process.communicate(timeout=self.settings.timeout)
        except subprocess.TimeoutExpired as error:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            raise TerraformError(
                f"terraform {step} did not finish in {self.settings.timeout:g}s and was stopped; "
                "raise --terraform-timeout or check for a held state lock"
            ) from error
        return subprocess.CompletedProcess(command, process.returncode, stdout, stderr)

    def _failure_message(self, step: str, completed: subprocess.CompletedProcess[str]) -> str:
        tail = stderr_tail(completed.stderr) or "no error output"
        hint = ""
        if step != "init" and "terraform init" in completed.stderr:
            hint = "; not initialised: run terraform init there or pass --terraform-init"
        code = completed.returncode
        return f"terraform {step} failed (exit {code}) in {self.directory}: {tail}{hint}"


def show_plan_file(
    plan_file: Path, directory: Path | None, settings: TerraformSettings
) -> dict[str, Any]:
    """`terraform show -json` of a binary plan file (run in its initialised directory)."""
    if not plan_file.is_file():
        raise InvalidInputError(f"{plan_file}: no such plan file")
    return Terraform(directory or plan_file.resolve().parent, settings).show_json(plan_file)
