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


@dataclass(frozen=True)
class RequiredName:
    name: str
    file: Path
    line: int


def required_names(path: Path) -> tuple[RequiredName, ...]:
    """Every variable the dotenv file sets, in order; a line that is not NAME=value is an error."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise InvalidInputError(
            f"{path}: cannot read dotenv file ({error.strerror or error})"
        ) from error
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
