"""What of terraform's stderr drift-gate may show: its diagnostics' summaries and
locations, never a detail, a source line or a block of values (see sources/terraform.py)."""

from __future__ import annotations

import re

from drift_gate.scrub import scrub

STDERR_TAIL_LINES = 12

# What of terraform's stderr is shown: each diagnostic's summary (`Error: Invalid value for
# variable`) and location (`on main.tf line 1, in resource "x" "y":`). Never its detail (a
# validation rule's error_message may interpolate the value; "Invalid -var option" quotes the
# whole NAME=VALUE), its source line (a .tfvars line is a value) or its `├────` block
# (`var.db_password is "..."`): terraform masks sensitive values only.
_SUMMARY = re.compile(r"(Error|Warning): (\S.*)")
_LOCATION = re.compile(r"on (\S.*) line \d+(, in [^\n]*)?:")
# Go's flag package names the unknown option, never a value: terraform's words for --plan-arg.
_FLAG_ERROR = re.compile(r"flag provided but not defined: -{1,2}[A-Za-z0-9_-]{1,64}")
_QUOTED = re.compile(r'"[^"\n]*"')
_SHOWN_LINE_LENGTH = 200


def stderr_tail(stderr: str, lines: int = STDERR_TAIL_LINES) -> str:
    """What of terraform's stderr may be shown, joined for a one-line message.

    The error diagnostics' summaries and locations (the warnings' when there is no error),
    each once, at most `lines` of them; values drift-gate knows it was given (drift_gate.scrub)
    hidden. Output that has no diagnostic (a crash, another program) keeps its last lines with
    quoted text hidden and without lines that look like terraform's value blocks.
    """
    kept = diagnostics_summary(stderr) or _unstructured_tail(stderr)
    unique = list(dict.fromkeys(_bounded(scrub(line)) for line in kept))
    more = len(unique) - lines
    shown = unique[:lines] + ([f"({more} more)"] if more > 0 else [])
    return " | ".join(shown)


def diagnostics_summary(stderr: str) -> list[str]:
    """Summary and location lines of terraform's diagnostics: errors, else warnings.

    A summary is `Error: ...` or `Warning: ...` alone between blank lines (or the ends), as
    terraform prints it; the location is the line after the blank that follows it.
    """
    lines = [raw.strip(" \t│╷╵") for raw in stderr.splitlines()]
    found: dict[str, list[str]] = {"Error": [], "Warning": []}
    for index, line in enumerate(lines):
        summary = _SUMMARY.fullmatch(line)
        alone = (index == 0 or not lines[index - 1]) and (
            index + 1 == len(lines) or not lines[index + 1]
        )
        if not summary or not alone:
            continue
        kept = found[summary.group(1)]
        kept.append(line)
        following = lines[index + 2 : index + 3]
        if following and _LOCATION.fullmatch(following[0]):
            kept.append(following[0])
        # The rest of the diagnostic (detail, source, values) is never kept, but for the
        # name of an option terraform does not know.
        for rest in lines[index + 2 :]:
            if _SUMMARY.fullmatch(rest):
                break
            if _FLAG_ERROR.fullmatch(rest):
                kept.append(rest)
    return found["Error"] or found["Warning"]


def _unstructured_tail(stderr: str, lines: int = 3) -> list[str]:
    kept: list[str] = []
    for raw in stderr.splitlines():
        line = raw.strip(" \t│╷╵")
        if not line or line.startswith("├") or raw.lstrip().startswith("│"):
            continue
        if re.match(r"\d+: ", line):  # a source line
            continue
        kept.append(_QUOTED.sub('"..."', line))
    return kept[-lines:]


def _bounded(line: str) -> str:
    if len(line) <= _SHOWN_LINE_LENGTH:
        return line
    return line[: _SHOWN_LINE_LENGTH - 3] + "..."
