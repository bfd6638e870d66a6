"""How the command line ends: every outcome of a command as a documented exit code (cli.py
calls it), one line on standard error for an error, a scrubbed traceback with --debug."""

from __future__ import annotations

import click

from drift_gate.errors import DriftGateError, ExitCode
from drift_gate.gcpause import cyclic_gc_paused
from drift_gate.report.terminal_text import safe_lines
from drift_gate.scrub import print_traceback


def run_main(group: click.Group, args: list[str]) -> int:
    """The command line, --debug before or after the command name (click knows it on the
    group only), run with the cyclic collector paused: a command's imports build hundreds of
    thousands of objects and no garbage cycles, and the collector would walk them again and
    again (a fifth of an offline check). Reference counting frees everything anyway; `check`
    turns the collector back on for its long part (commands/check.py)."""
    end = args.index("--") if "--" in args else len(args)
    debug = "--debug" in args[:end]
    if debug:
        args = ["--debug", *(arg for arg in args[:end] if arg != "--debug"), *args[end:]]
    with cyclic_gc_paused():
        return run_group(group, args, debug)


def run_group(group: click.Group, args: list[str], debug: bool) -> int:
    """Run the command line and turn every outcome into a documented exit code."""
    try:
        result = group.main(args=args, prog_name="drift-gate", standalone_mode=False)
    except click.exceptions.Exit as done:
        return done.exit_code
    except click.ClickException as error:
        error.show()
        return ExitCode.INVALID_INPUT
    except (click.Abort, KeyboardInterrupt):
        click.echo("drift-gate: interrupted", err=True)
        return ExitCode.INTERRUPTED
    except DriftGateError as error:
        if debug:
            print_traceback()  # scrubbed of the secrets drift-gate was given
        # The message may name what a file or AWS said: escaped for the terminal and the log.
        click.echo(f"drift-gate: error: {safe_lines(str(error))}", err=True)
        return error.exit_code
    except Exception as error:  # noqa: BLE001 - a bug: fail closed, one line; --debug shows it
        if debug:
            print_traceback()  # scrubbed of the secrets drift-gate was given
        # Only the type: an arbitrary exception message might quote a value.
        click.echo(
            f"drift-gate: internal error ({type(error).__name__}); this is a bug, "
            "rerun with --debug and report it. Nothing was verified.",
            err=True,
        )
        return ExitCode.COULD_NOT_VERIFY
    return int(result) if isinstance(result, int) else ExitCode.PASS
