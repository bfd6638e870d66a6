"""Where commands print: click's echo (it copes with the terminal's encoding), one place."""

from __future__ import annotations

import os

import click


def echo(text: str, *, err: bool = False, nl: bool = True) -> None:
    """Standard output carries reports as rendered (each format escapes for itself);
    standard error carries messages, whose names come from AWS and files: escaped for a
    terminal and a CI log (no control sequence, no workflow command)."""
    from drift_gate.report.terminal_text import safe_lines

    click.echo(safe_lines(text) if err else text, err=err, nl=nl)


def echo_workflow_command(text: str) -> None:
    """A GitHub workflow command built by report/github.py (its own escaping), as it is."""
    click.echo(text, err=True)


def use_color(*, is_terminal: bool) -> bool:
    """Colour on a terminal; NO_COLOR (non-empty, https://no-color.org) turns it off, and
    FORCE_COLOR (non-empty, not "0"; https://force-color.org) on where no terminal is seen,
    as CI logs that render colour ask. NO_COLOR wins over FORCE_COLOR."""
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR", "") not in ("", "0"):
        return True
    return is_terminal


def warn(line: str) -> None:
    """A warning (a policy's deprecated form), one line on standard error."""
    echo(f"drift-gate: warning: {line}", err=True)
