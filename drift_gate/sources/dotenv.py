"""Names an application requires, from .env.example (or any dotenv file the policy names).

python-dotenv's own parser reads the file, so quoting, `export` and multi-line values follow
the format as the application sees it. Only names and line numbers are kept: an example
file may still hold a real value by mistake.
"""

from __future__ import annotations

from dataclasses import dataclass
from io import StringIO
from pathlib import Path

from dotenv.parser import parse_stream

from drift_gate.errors import InvalidInputError
from drift_gate.input_files import DOTENV, read_bytes


@dataclass(frozen=True)
class RequiredName:
    name: str
    file: Path
    line: int


# As Terraform's file() here: an example file is a few kilobytes; a device (/dev/zero), a
# FIFO or a huge file named by mistake must not be read without end (input_files.py).
MAX_DOTENV_BYTES = DOTENV.limit


def required_names(path: Path) -> tuple[RequiredName, ...]:
    """Every variable the dotenv file sets, in order; a line that is not NAME=value is an error.

    The policy has confined `path` to its repository (policy/problems.py, _dotenv_problems)."""
    try:
        text = read_bytes(path, DOTENV).decode("utf-8")
    except UnicodeDecodeError as error:
        raise InvalidInputError(f"{path}: not UTF-8 text") from error
    names: list[RequiredName] = []
    for binding in parse_stream(StringIO(text)):
        if binding.error:
            raise InvalidInputError(
                f"{path}:{binding.original.line}: not a NAME=value line; fix or comment it out"
            )
        if binding.key:
            names.append(RequiredName(binding.key, path, binding.original.line))
    return tuple(names)
