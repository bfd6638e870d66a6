"""Where commands print: click's echo (it copes with the terminal's encoding), one place."""

from __future__ import annotations

import os

import click


def echo(text: str, *, err: bool = False, nl: bool = True) -> None:
    click.echo(text, err=err, nl=nl)


def use_color(*, is_terminal: bool) -> bool:
    """Colour on a terminal; NO_COLOR (non-empty, https://no-color.org) turns it off, and
    FORCE_COLOR (non-empty, not "0"; https://force-color.org) on where no terminal is seen,
    as CI logs that render colour ask. NO_COLOR wins over FORCE_COLOR."""
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR", "") not in ("", "0"):
        return True
    return is_terminal


def warn_deprecated(lines: tuple[str, ...]) -> None:
    """A policy's deprecated forms, one warning line each, on standard error."""
    for line in lines:
        echo(f"drift-gate: warning: {line}", err=True)
