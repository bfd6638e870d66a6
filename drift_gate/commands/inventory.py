"""`drift-gate inventory`: every variable per service and container, as Markdown."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from drift_gate.commands._console import echo
from drift_gate.commands.outputs import write_file
from drift_gate.errors import ExitCode

if TYPE_CHECKING:
    from drift_gate.sources.hcl import TerraformDeclarations


@dataclass(frozen=True)
class InventoryArguments:
    """What `drift-gate inventory` was given, as click parsed it."""

    terraform_dir: Path = Path(".")
    policy: Path | None = None
    no_policy: bool = False
    output: Path | None = None
    check_only: bool = False  # compare with `output` instead of writing it
    cfn_templates: tuple[Path, ...] = ()


def run(given: InventoryArguments) -> int:
    """Write (or, with check_only, compare) ENVIRONMENT_VARIABLES.md; the exit code."""
    from drift_gate.commands._policy_path import optional_policy
    from drift_gate.errors import InvalidInputError
    from drift_gate.inventory import inventory_markdown
    from drift_gate.policy import load_policy

    if given.no_policy and given.policy is not None:
        raise InvalidInputError("give --policy or --no-policy, not both")
    path = None if given.no_policy else optional_policy(given.policy)
    request = InventoryRequest(
        given.terraform_dir, path, given.output, given.check_only, given.cfn_templates
    )
    loaded = load_policy(path) if path else None
    base = given.output.parent if given.output else Path.cwd()
    text = inventory_markdown(_terraform(given), loaded, base, given.cfn_templates)
    if given.cfn_templates:
        from drift_gate.commands.cfn_inventory import templates_markdown

        text += templates_markdown(given.cfn_templates, loaded, base)
    if request.check_only and request.output is not None:
        return _up_to_date(request.output, text, _command(request))
    if request.output is None:
        echo(text, nl=False)
    else:
        write_file(request.output, text)
    return ExitCode.PASS


@dataclass(frozen=True)
class InventoryRequest:
    terraform_dir: Path
    policy: Path | None
    output: Path | None
    check_only: bool
    cfn_templates: tuple[Path, ...] = ()


def _terraform(given: InventoryArguments) -> TerraformDeclarations | None:
    """The Terraform sources; with templates only, and no .tf file here, none (None)."""
    from drift_gate.sources.hcl import load_declarations

    if given.cfn_templates and not any(given.terraform_dir.glob("*.tf")):
        return None
    return load_declarations(given.terraform_dir)


def _command(request: InventoryRequest) -> str:
    command = f"drift-gate inventory --terraform-dir {request.terraform_dir}"
    command += f" --policy {request.policy}" if request.policy else ""
    command += "".join(f" --cfn-template {path}" for path in request.cfn_templates)
    return f"{command} --output {request.output}"


def _up_to_date(output: Path, text: str, regenerate: str) -> int:
    current = output.read_text(encoding="utf-8") if output.exists() else None
    if current == text:
        echo(f"{output}: up to date")
        return ExitCode.PASS
    state = "is out of date" if current is not None else "does not exist"
    echo(f"drift-gate: {output} {state}; regenerate it: {regenerate}", err=True)
    return ExitCode.DRIFT
