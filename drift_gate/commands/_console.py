"""Where commands print: click's echo (it copes with the terminal's encoding), one place."""

from __future__ import annotations

import os

import click


def echo(text: str, *, err: bool = False, nl: bool = True) -> None:
    click.echo(text, err=err, nl=nl)


def use_color(*, is_terminal: bool) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org)."""
    return is_terminal and "NO_COLOR" not in os.environ


def warn_deprecated(lines: tuple[str, ...]) -> None:
    """A policy's deprecated forms, one warning line each, on standard error."""
    for line in lines:
        echo(f"drift-gate: warning: {line}", err=True)
