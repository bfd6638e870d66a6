"""The options several commands share, declared once; click's reading of --format/--output;
choices parsed into their enums; and `builds`, which turns a command's options into its
arguments dataclass.

Kept apart from cli.py so that cli.py reads as the list of commands (each command's own
options are in cli_option_sets.py); click is imported only by these modules and
commands/_console.py.
"""

from __future__ import annotations

import enum
import functools
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click

from drift_gate.chain import LinkMode, SkippableLink
from drift_gate.commands.outputs import CONSOLE, OutputTarget
from drift_gate.deadline import DEFAULT_DEADLINE_SECONDS
from drift_gate.declared_sides import DeclaredSide
from drift_gate.model.levels import FailOn
from drift_gate.report import FORMAT_NAMES

R = TypeVar("R")


class FiniteRange(click.FloatRange):
    """A number of seconds in a range. click's FloatRange lets `nan` through (it compares
    false with both bounds), and a NaN deadline or timeout would switch every bound off."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        number = super().convert(value, param, ctx)
        if isinstance(number, float) and not math.isfinite(number):
            self.fail(f"{value!r} is not a number of seconds", param, ctx)
        return number


class EnumChoice(click.Choice):  # type: ignore[type-arg]
    """One of an enum's values, parsed into its member: the enum is the one list of the
    choices (--help shows its values, as click.Choice does)."""

    def __init__(self, choices_of: type[enum.Enum]) -> None:
        super().__init__([str(member.value) for member in choices_of])
        self.enum = choices_of

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        return self.enum(super().convert(value, param, ctx))


def github_deadline_option(default: float, what: str) -> Decorator:
    """--deadline of a command that talks to GitHub's API (github-issues, github-comment)."""
    return click.option(
        "--deadline",
        type=FiniteRange(1, 86400),
        default=default,
        show_default=True,
        help=f"Seconds {what} may take in all (each GitHub request at most 30 s of it); "
        "then exit 3.",
    )


def pair_formats(order: Sequence[click.Parameter], opts: dict[str, Any]) -> list[OutputTarget]:
    """Pair each --output with the --format before it, in command-line order.

    `order` and `opts` come from click's own parser, so every spelling click accepts
    (`-fjson`, `--format=json`, `-o/path`) is paired exactly as click read it.
    """
    formats = iter(opts.get("formats") or ())
    outputs = iter(opts.get("outputs") or ())
    pairs: list[OutputTarget] = []
    for parameter in order:
        if parameter.name == "formats":
            pairs.append(OutputTarget(str(next(formats)), None))
        elif parameter.name == "outputs":
            if not pairs or pairs[-1].path is not None:
                raise click.UsageError("each --output must follow the --format it writes")
            pairs[-1] = OutputTarget(pairs[-1].format, Path(next(outputs)))
    return pairs


class PairedOutputCommand(click.Command):
    """Records the order of --format/--output, which click keeps only while parsing."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        opts, _, order = self.make_parser(ctx).parse_args(args=list(args))
        ctx.meta["drift_gate.outputs"] = pair_formats(order, opts)
        return super().parse_args(ctx, args)


Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]


def metrics_namespace(
    _context: click.Context, _parameter: click.Parameter, value: str | None
) -> str | None:
    """A CloudWatch namespace as PutMetricData accepts it, refused before any AWS call:
    1 to 255 printable ASCII characters, not starting with ':' nor with the reserved 'AWS/'."""
    if value is None:
        return None
    if not 1 <= len(value) <= 255 or not all(" " <= char <= "~" for char in value):
        raise click.BadParameter(
            "a CloudWatch namespace is 1 to 255 printable ASCII characters, such as DriftGate"
        )
    if value.startswith((":", "AWS/")):
        raise click.BadParameter(
            "namespaces starting with 'AWS/' are reserved for AWS services, and one may not "
            "start with ':'; use your own, such as DriftGate"
        )
    return value


def external_id(
    _context: click.Context, _parameter: click.Parameter, value: str | None
) -> str | None:
    """An external id as STS accepts it; never echoed (it may be treated as a secret)."""
    from drift_gate.sources.accounts import EXTERNAL_ID

    if value is not None and not EXTERNAL_ID.match(value):
        raise click.BadParameter("an external id is 2 to 1224 characters of A-Z a-z 0-9 +=,.@:/-")
    return value


def session_name(_context: click.Context, _parameter: click.Parameter, value: str) -> str:
    from drift_gate.sources.accounts import SESSION_NAME

    if not SESSION_NAME.match(value):
        raise click.BadParameter("a session name is 2 to 64 characters of A-Z a-z 0-9 _+=,.@-")
    return value


def duration(
    _context: click.Context, _parameter: click.Parameter, value: str | None
) -> float | None:
    """`90s`, `10m`, `1h` or a number of seconds -> seconds; at most a day."""
    if value is None:
        return None
    units = {"s": 1, "m": 60, "h": 3600}
    number, unit = (value[:-1], value[-1]) if value and value[-1] in units else (value, "s")
    try:
        seconds = float(number) * units[unit]
    except ValueError:
        raise click.BadParameter("give a duration such as 90s, 10m or 1h") from None
    if not 0 < seconds <= 86400:
        raise click.BadParameter("give a duration from 1s to 24h")
    return seconds


def option(*names: str, **settings: Any) -> Decorator:
    return click.option(*names, **settings)


# Shared by every command that writes a report (check, merge).
FORMAT_OPTION = option(
    "--format",
    "-f",
    "formats",
    multiple=True,
    type=click.Choice(FORMAT_NAMES),
    help="Output format; repeat for several. Default: console.",
)
SARIF_CATEGORY_OPTION = option(
    "--sarif-category",
    metavar="CATEGORY",
    help="SARIF code scanning category (runs[].automationDetails.id); name one for each "
    "upload when a job uploads several. Default: none, so the upload's own (workflow, job, "
    "matrix) applies.",
)
OUTPUT_OPTION = option(
    "--output",
    "-o",
    "outputs",
    multiple=True,
    type=click.Path(path_type=Path),
    help="File for the --format before it; without one the format goes to stdout.",
)

# Where a policy is found without --policy: docs/policy.md#where-a-policy-is-found.
FOUND_POLICY = (
    "drift-gate.yaml, then .drift-gate.yaml (.yml too), in the working directory, then at "
    "the repository root"
)
POLICY_HELP = f"The policy file. Default: {FOUND_POLICY}."
NO_POLICY_OPTION = option(
    "--no-policy",
    is_flag=True,
    help="Read no policy, even where one would be found.",
)
QUIET_OPTION = option(
    "--quiet",
    "-q",
    is_flag=True,
    help="No progress on standard error (scan's progress line, the --wait lines); errors, "
    "warnings and the verdict stay.",
)


def skip_link_option(default: str) -> Decorator:
    """--skip-link, for `check` and `scan`: the link is shown as not checked, and not asked."""
    return option(
        "--skip-link",
        "skipped_links",
        multiple=True,
        type=EnumChoice(SkippableLink),
        help=f"Do not check this link (shown as not checked); repeatable. Default: {default}.",
    )


SECRET_CHECKS_OPTION = option(
    "--secret-checks",
    type=EnumChoice(LinkMode),
    default=None,
    help="Secret store checks: an unverifiable secret exits 3 (required), warns "
    "(best-effort), or no checks (off). Default: as the policy says, else required.",
)
FAIL_ON_OPTION = option(
    "--fail-on",
    type=EnumChoice(FailOn),
    default="error",
    show_default=True,
    help="Lowest severity that fails the run. Could-not-verify always exits 3.",
)
MAX_ATTEMPTS_OPTION = option(
    "--max-attempts",
    type=click.IntRange(1, 20),
    default=5,
    show_default=True,
    help="Attempts per AWS call before it counts as unverified (botocore's standard retry "
    "mode; adaptive in scans).",
)
TIMEOUT_OPTION = option(
    "--timeout",
    type=FiniteRange(0.1, 300),
    default=20.0,
    show_default=True,
    help="Seconds to wait for each AWS response.",
)
DEADLINE_OPTION = option(
    "--deadline",
    type=FiniteRange(1, 86400),
    default=DEFAULT_DEADLINE_SECONDS,
    show_default=True,
    help="Seconds the whole run may take (terraform and AWS); what is left unchecked then exits 3.",
)


def wait_option(what: str, then: str) -> Decorator:
    """--wait, for `check` and `scan`."""
    return option(
        "--wait",
        "wait",
        metavar="DURATION",
        callback=duration,
        help=f"First wait (at most DURATION: 90s, 10m, 1h) until {what} has settled, failed "
        f"or been rolled back; then {then}. Not settled in time: exit 3.",
    )


SINCE_OPTION = option(
    "--since",
    "tasks_since",
    metavar="DURATION",
    callback=duration,
    help="Judge the tasks stopped in the last DURATION (90s, 10m, 1h) of the PRIMARY "
    "deployment; default: every one since it started. (A log window is the policy's "
    "`logs: since:`.)",
)


def with_options(options: Sequence[Decorator]) -> Decorator:
    """Apply `options` in the order given (as --help lists them)."""

    def decorate(command: Callable[..., Any]) -> Callable[..., Any]:
        for option in reversed(options):
            command = option(command)
        return command

    return decorate


DECLARED_FILES = "drift_gate.declared_files"
DECLARED_SETTINGS = "drift_gate.declared_settings"


def declared_side_options(sides: Sequence[DeclaredSide]) -> tuple[Decorator, ...]:
    """An option for each registered declared side (drift_gate/declared_sides.py), repeatable;
    the files given, in command-line order, reach the command as its `declared_files`."""

    def collect(side: DeclaredSide) -> Callable[[click.Context, click.Parameter, Any], None]:
        def remember(ctx: click.Context, _parameter: click.Parameter, paths: Any) -> None:
            found = ctx.meta.setdefault(DECLARED_FILES, [])
            found.extend((side.name, path) for path in paths or ())

        return remember

    def setting(ctx: click.Context, parameter: click.Parameter, value: Any) -> None:
        found = ctx.meta.setdefault(DECLARED_SETTINGS, {})
        if value is not None and parameter.name:
            found[parameter.name] = value

    files = tuple(
        option(
            side.option,
            side.parameter,
            multiple=True,
            type=click.Path(path_type=Path),
            metavar=side.metavar,
            help=side.help,
            expose_value=False,
            callback=collect(side),
        )
        for side in sides
    )
    settings = tuple(
        option(
            each.option,
            each.parameter,
            metavar=each.metavar,
            help=each.help,
            expose_value=False,
            callback=setting,
        )
        for side in sides
        for each in side.settings
    )
    return files + settings


def builds(arguments: Callable[..., R]) -> Callable[[Callable[[R], int]], Callable[..., int]]:
    """The command receives one `arguments` (a dataclass whose fields are named as the
    command's option parameters), built by click from the options it parsed: each value is
    already its type (a path, a number, an enum member). --format/--output, paired in
    command-line order, become its `outputs`."""

    def decorate(command: Callable[[R], int]) -> Callable[..., int]:
        @functools.wraps(command)
        def build(**given: Any) -> int:
            if "formats" in given:
                del given["formats"]
                paired = click.get_current_context().meta["drift_gate.outputs"]
                given["outputs"] = tuple(paired or CONSOLE)
            meta = click.get_current_context().meta
            if meta.get(DECLARED_FILES) is not None:
                given["declared_files"] = tuple(meta[DECLARED_FILES])
            if meta.get(DECLARED_SETTINGS) is not None:
                given["declared_settings"] = tuple(sorted(meta[DECLARED_SETTINGS].items()))
            return command(arguments(**given))

        return build

    return decorate


# `demo --serve [PORT]`: kept here, beside the shared options, to keep cli_option_sets.py short.
DEMO_SERVE_OPTION = option(
    "--serve",
    "serve_port",
    type=click.IntRange(0, 65535),
    is_flag=False,
    flag_value=0,
    default=None,
    metavar="[PORT]",
    help="Keep the emulated account running on 127.0.0.1:PORT (any free port if none) in the "
    "incident's state, and print what to export: try check and its fix by hand.",
)
