"""`drift-gate inventory`: every variable per service and container, as Markdown."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from drift_gate.commands._console import echo
from drift_gate.commands.outputs import write_file
from drift_gate.errors import ExitCode


@dataclass(frozen=True)
class InventoryRequest:
    terraform_dir: Path
    policy: Path | None
    output: Path | None
    check_only: bool  # compare with `output` instead of writing it


def run(request: InventoryRequest) -> int:
    """Write (or, with check_only, compare) ENVIRONMENT_VARIABLES.md; the exit code."""
    from drift_gate.inventory import inventory_markdown
    from drift_gate.policy import load_policy
    from drift_gate.sources.hcl import load_declarations

    loaded = load_policy(request.policy) if request.policy else None
    base = request.output.parent if request.output else Path.cwd()
    text = inventory_markdown(load_declarations(request.terraform_dir), loaded, base)
    if request.check_only and request.output is not None:
        return _up_to_date(request.output, text, _command(request))
    if request.output is None:
        echo(text, nl=False)
    else:
        write_file(request.output, text)
    return ExitCode.PASS


def _command(request: InventoryRequest) -> str:
    command = f"drift-gate inventory --terraform-dir {request.terraform_dir}"
    command += f" --policy {request.policy}" if request.policy else ""
    return f"{command} --output {request.output}"


def _up_to_date(output: Path, text: str, regenerate: str) -> int:
    current = output.read_text(encoding="utf-8") if output.exists() else None
    if current == text:
        echo(f"{output}: up to date")
        return ExitCode.PASS
    state = "is out of date" if current is not None else "does not exist"
    echo(f"drift-gate: {output} {state}; regenerate it: {regenerate}", err=True)
    return ExitCode.DRIFT
