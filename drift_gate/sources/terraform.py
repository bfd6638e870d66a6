"""The only module that runs terraform: init, plan -detailed-exitcode, show -json.

It calls the binary through subprocess, not python-terraform; docs/terraform.md says why
(no timeout, exit code 2 logged as an error, state files read into memory). Terraform's
exit codes 0/1/2 are translated here and never leak out as drift-gate's: 0 and 2 become
`has_changes`, 1 becomes CouldNotVerifyError (exit 3) with the summary and location of
terraform's diagnostics. terraform's stdout (the human plan, which can show values) is never
printed or kept, and of its stderr only those lines are (`diagnostics_summary`): a
diagnostic's detail, its source snippet and its `├──` block of expression values can quote a
variable's value, and terraform masks only the ones declared sensitive. The values drift-gate
passes on (--var, TF_VAR_*, a var file's strings) are registered with drift_gate.scrub too.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from drift_gate.deadline import Deadline
from drift_gate.errors import CouldNotVerifyError, DriftGateError, InvalidInputError
from drift_gate.gcpause import cyclic_gc_paused
from drift_gate.input_files import WORKSPACE_FILE, read_bytes
from drift_gate.scrub import remember_secret
from drift_gate.sources.terraform_stderr import STDERR_TAIL_LINES, diagnostics_summary, stderr_tail
from drift_gate.sources.terraform_values import remember_given_values

# Their own modules now; imported from here as before.
__all__ = [
    "INTERRUPT_GRACE_SECONDS",
    "STDERR_TAIL_LINES",
    "PlanRun",
    "Terraform",
    "TerraformError",
    "TerraformSettings",
    "checked_plan_arguments",
    "chosen_workspace",
    "diagnostics_summary",
    "remember_given_values",
    "show_plan_file",
    "stderr_tail",
]

# SIGINT lets terraform release a state lock (S3/DynamoDB, Consul, ...); SIGKILL does not.
INTERRUPT_GRACE_SECONDS = 10.0
# What terraform says when --var or --var-file is wrong (terraform 1.x wording).
_VARIABLE_ERRORS = re.compile(
    r"Value for undeclared variable|Invalid value for input variable|Invalid -var option|"
    r"Failed to read variables file|Given variables file .* does not exist|"
    r"Invalid variable value|No value for required variable|<value for var\.|Variables not allowed|"
    # A variable's validation rule failed (terraform 1.x: "Invalid value for variable").
    r"Invalid value for variable"
)

# What terraform and tofu say when an extra plan argument is wrong.
_PLAN_ARGUMENT_ERRORS = re.compile(
    r"flag provided but not defined|Invalid target address|Invalid replace address|"
    r"Too many command line arguments|Invalid value for -|invalid value .* for flag"
)


@dataclass(frozen=True)
class TerraformSettings:
    """How to run terraform; the binary defaults to TERRAFORM_BIN, then `terraform` on PATH."""

    binary: str = field(default_factory=lambda: os.environ.get("TERRAFORM_BIN") or "terraform")
    timeout: float = 600.0
    workspace: str | None = None
    var_files: tuple[Path, ...] = ()
    variables: tuple[str, ...] = ()
    plan_arguments: tuple[str, ...] = ()
    init: bool = False
    deadline: Deadline | None = None
    interrupt_grace: float = INTERRUPT_GRACE_SECONDS

    def __post_init__(self) -> None:
        # A --var's value is on terraform's command line: a --debug traceback must not show it.
        for assignment in self.variables:
            remember_secret(assignment.partition("=")[2] or assignment)
        for argument in self.plan_arguments:
            if argument.startswith(("-var=", "--var=")):
                assignment = argument.split("=", 1)[1]
                remember_secret(assignment.partition("=")[2] or assignment)

    @property
    def tool(self) -> str:
        """What messages call the binary: `tofu` for OpenTofu, else `terraform`."""
        return "tofu" if "tofu" in Path(self.binary).name.lower() else "terraform"

    def seconds_for_a_command(self) -> float:
        """--terraform-timeout, or less when the run's deadline is nearer."""
        if self.deadline is None:
            return self.timeout
        return max(0.0, min(self.timeout, self.deadline.remaining()))


@dataclass(frozen=True)
class PlanRun:
    """What `terraform plan -detailed-exitcode` said, translated, and in which workspace."""

    has_changes: bool
    plan_json: dict[str, Any]
    workspace: str


# Plan arguments drift-gate sets itself: a user's copy would change what it reads or how.
_CONTROLLED_PLAN_ARGUMENTS = ("-out", "-detailed-exitcode", "-input", "-no-color", "-json")


def checked_plan_arguments(arguments: Sequence[str]) -> tuple[str, ...]:
    """--plan-arg values: options only (`-target=...`, `-refresh=false`, `-lock-timeout=60s`),
    never one drift-gate sets itself (exit 2 naming it)."""
    for argument in arguments:
        name = argument.split("=", 1)[0]
        if not argument.startswith("-"):
            # NAME=VALUE given without -var= : the value is not repeated.
            shown = f"{name}=..." if "=" in argument else argument
            raise InvalidInputError(
                f"--plan-arg {shown!r} is not an option; give plan options such as "
                "-target=ADDRESS or -refresh=false, one per --plan-arg"
            )
        if name in _CONTROLLED_PLAN_ARGUMENTS:
            raise InvalidInputError(
                f"--plan-arg {argument!r}: drift-gate sets {name} itself; leave it out"
            )
    return tuple(arguments)


def chosen_workspace(flag: str | None, environment: Mapping[str, str]) -> str | None:
    """The workspace to plan: --workspace or TF_WORKSPACE, as terraform itself reads them.

    Both set and different is a usage error: terraform would plan TF_WORKSPACE's.
    """
    variable = environment.get("TF_WORKSPACE") or None
    if flag and variable and flag != variable:
        raise InvalidInputError(
            f"--workspace {flag} and TF_WORKSPACE={variable} name different workspaces; "
            "give one of them"
        )
    return flag or variable


class TerraformError(CouldNotVerifyError):
    """terraform failed, timed out or is missing: the plan link could not be verified."""


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
        remember_given_values(self.settings, os.environ)
        if self.settings.init:
            self._run(["init", "-input=false", "-no-color"], "init")
        workspace = self._workspace()
        with tempfile.TemporaryDirectory(prefix="drift-gate-plan-") as scratch:
            plan_file = Path(scratch) / "tfplan"
            code = self._run(self._plan_arguments(plan_file), "plan", ok_codes=(0, 2))
            return PlanRun(code == 2, self.show_json(plan_file), workspace)

    def _workspace(self) -> str:
        """The workspace the plan runs in: the chosen one (checked to exist), else the one
        selected in the directory, read as terraform reads it (TF_DATA_DIR/environment)."""
        if self.settings.workspace:
            self._check_workspace(self.settings.workspace)
            return self.settings.workspace
        data_dir = self.directory / os.environ.get("TF_DATA_DIR", ".terraform")
        try:
            selected = read_bytes(data_dir / "environment", WORKSPACE_FILE).decode("utf-8").strip()
        except (InvalidInputError, UnicodeDecodeError):
            selected = ""
        return selected or "default"

    def show_json(self, plan_file: Path) -> dict[str, Any]:
        """`terraform show -json PLAN`, parsed. It holds sensitive values: kept in memory only."""
        completed = self._completed(
            ["show", "-json", "-no-color", str(plan_file.resolve())], "show"
        )
        try:
            with cyclic_gc_paused():  # a large plan: see drift_gate/gcpause.py
                document = json.loads(completed.stdout)
        except json.JSONDecodeError as error:
            raise TerraformError(
                f"{self.settings.tool} show -json printed no JSON ({error.msg})"
            ) from None  # the error holds the whole output: a plan's values
        if not isinstance(document, dict):
            raise TerraformError(
                f"{self.settings.tool} show -json printed JSON that is not an object"
            )
        return document

    def _check_workspace(self, workspace: str) -> None:
        # With TF_WORKSPACE naming a workspace that does not exist, terraform plans an empty
        # state: every resource "would be created". A typo deserves a clear error instead.
        listing = self._completed(["workspace", "list"], "workspace list", use_workspace=False)
        names = [line.strip().lstrip("* ").strip() for line in listing.stdout.splitlines()]
        if workspace not in names:
            known = ", ".join(name for name in names if name)
            raise InvalidInputError(
                f"{self.settings.tool} workspace {workspace!r} does not exist in {self.directory}; "
                f"it has: {known}"
            )

    def _plan_arguments(self, plan_file: Path) -> list[str]:
        arguments = ["plan", "-detailed-exitcode", "-input=false", "-no-color", f"-out={plan_file}"]
        arguments += [f"-var-file={path.resolve()}" for path in self.settings.var_files]
        for assignment in self.settings.variables:
            arguments += ["-var", assignment]
        return arguments + list(self.settings.plan_arguments)

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
                f"{self.settings.tool} binary not found: {self.settings.binary!r}; install "
                f"{'OpenTofu' if self.settings.tool == 'tofu' else 'terraform'} or set "
                "--terraform-bin / TERRAFORM_BIN"
            )
        completed = self._execute([binary, *arguments], step, use_workspace=use_workspace)
        if completed.returncode not in ok_codes:
            raise self._failure(step, completed)
        return completed

    def _execute(
        self, command: list[str], step: str, *, use_workspace: bool = True
    ) -> subprocess.CompletedProcess[str]:
        environment = {**os.environ, "TF_IN_AUTOMATION": "1", "TF_INPUT": "0"}
        # settings.workspace already holds TF_WORKSPACE when that chose it (chosen_workspace);
        # only `workspace list/show` run without it, to see the directory's own selection.
        environment.pop("TF_WORKSPACE", None)
        if self.settings.workspace and use_workspace:
            environment["TF_WORKSPACE"] = self.settings.workspace
        seconds = self.settings.seconds_for_a_command()
        tool = self.settings.tool
        if seconds <= 0:
            raise TerraformError(
                f"the run's deadline passed before {tool} {step}; raise --deadline"
            )
        # Its own process group, so a timeout stops terraform and the providers it started.
        try:
            process = subprocess.Popen(  # noqa: S603 - the binary is resolved, arguments a list
                command,
                cwd=self.directory,
                env=environment,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                start_new_session=True,
            )
        except OSError as error:
            # Not chained: the exception holds nothing the message lacks, and the command
            # line (with each -var NAME=VALUE) must not reach a --debug traceback.
            raise TerraformError(
                f"{tool} {step} could not be started: {error.strerror or type(error).__name__}"
            ) from None
        try:
            stdout, stderr = process.communicate(timeout=seconds)
        except subprocess.TimeoutExpired:
            self._stop(process)
            raise TerraformError(
                f"{tool} {step} did not finish in {seconds:g}s and was stopped; a state lock "
                f"may remain: if {tool} reports one on the next run, release it with "
                f"`{tool} force-unlock LOCK_ID` once no other run holds it; raise "
                "--terraform-timeout or --deadline if the plan is just slow"
            ) from None  # TimeoutExpired's text is the command line, -var values included
        return subprocess.CompletedProcess(command, process.returncode, stdout, stderr)

    def _stop(self, process: subprocess.Popen[str]) -> None:
        """SIGINT first (terraform then releases its lock), SIGKILL after a grace period."""
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.communicate(timeout=self.settings.interrupt_grace)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()

    def _failure(self, step: str, completed: subprocess.CompletedProcess[str]) -> DriftGateError:
        """A variable terraform refuses is the user's input (exit 2); anything else exit 3."""
        message = self._failure_message(step, completed)
        from_environment = any(name.startswith("TF_VAR_") for name in os.environ)
        given = self.settings.variables or self.settings.var_files or from_environment
        # A diagnostic located in a --var-file (a syntax error in it) is the user's input too.
        in_var_file = any(
            f"on {path.resolve()} line " in completed.stderr for path in self.settings.var_files
        )
        if step == "plan" and given and (_VARIABLE_ERRORS.search(completed.stderr) or in_var_file):
            where = " and TF_VAR_* variables" if from_environment else ""
            return InvalidInputError(f"{message}; check --var and --var-file{where}")
        if (
            step == "plan"
            and self.settings.plan_arguments
            and _PLAN_ARGUMENT_ERRORS.search(completed.stderr)
        ):
            return InvalidInputError(f"{message}; check --plan-arg")
        return TerraformError(message)

    def _failure_message(self, step: str, completed: subprocess.CompletedProcess[str]) -> str:
        tail = stderr_tail(completed.stderr) or "no error output"
        hint = ""
        tool = self.settings.tool
        if step != "init" and re.search(r"\b(terraform|tofu) init\b", completed.stderr):
            hint = f"; not initialised: run {tool} init there or pass --terraform-init"
        code = completed.returncode
        return f"{tool} {step} failed (exit {code}) in {self.directory}: {tail}{hint}"


def show_plan_file(
    plan_file: Path, directory: Path | None, settings: TerraformSettings
) -> dict[str, Any]:
    """`terraform show -json` of a binary plan file (run in its initialised directory)."""
    if not plan_file.is_file():
        raise InvalidInputError(f"{plan_file}: no such plan file")
    return Terraform(directory or plan_file.resolve().parent, settings).show_json(plan_file)
