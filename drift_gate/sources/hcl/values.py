"""Evaluated values, what stays unresolved, and the bounds of one evaluation run."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from drift_gate.input_files import FILE_FUNCTION

# Re-exported for modules.py: one definition of the repository, shared with policy dotenv paths.
from drift_gate.repository import repository_root as repository_root  # noqa: PLC0414

# Bounds on what the offline reader does with a user's Terraform: real configurations stay
# far below each, and a hostile or runaway one (count = 100000, locals that double 20 times,
# a module that sources itself, file("/dev/zero")) ends in Unresolved, reported as DG903,
# or a one-line error, in well under a second instead of hanging.
MAX_FILE_FUNCTION_BYTES = FILE_FUNCTION.limit  # 1 MiB, read by drift_gate/input_files.py
MAX_INSTANCES = 1000  # count / for_each instances expanded per resource
MAX_ITEMS = 10_000  # elements in one evaluated collection
MAX_STEPS = 500_000  # expressions evaluated in one run
MAX_DEPTH = 150  # nested expressions (each is a few Python frames: stays under the recursion limit)
MAX_MODULES = 200  # module instances loaded in one run
MAX_MODULE_DEPTH = 10
MAX_SECONDS = 20.0


@dataclass
class Budget:
    """What one run may spend evaluating; shared by every scope of the run."""

    repository: Path  # file() reads only below this
    steps: int = 0
    depth: int = 0
    modules: int = 0
    started: float = field(default_factory=time.monotonic)

    def exhausted(self) -> str | None:
        """Why evaluation must stop here, or None."""
        if self.steps > MAX_STEPS:
            return f"more than {MAX_STEPS:,} expressions to evaluate"
        if self.depth > MAX_DEPTH:
            return f"expressions nested deeper than {MAX_DEPTH}"
        if self.steps % 1024 == 0 and time.monotonic() - self.started > MAX_SECONDS:
            self.steps = MAX_STEPS + 1  # stays exhausted without asking the clock again
            return f"more than {MAX_SECONDS:g} s of evaluation"
        return None


@dataclass(frozen=True)
class Unresolved:
    """A value only Terraform can know; `reason` says which expression."""

    reason: str
    file: Path
    line: int


@dataclass(frozen=True)
class Value:
    """An evaluated value and where it was written. `value` nests Values in lists and dicts."""

    value: Any
    file: Path
    line: int


Result = Value | Unresolved


@dataclass(frozen=True)
class JsonText:
    """A JSON document written as text (heredoc, file()): decoded only when it is needed."""

    text: str
    file: Path
    first_line: int

    def __repr__(self) -> str:
        # The text may hold values (a file of container definitions): never in a message.
        return f"JsonText(file={self.file}, first_line={self.first_line})"


def scalar_text(result: Result | None) -> str | None:
    """A name or reference as Terraform would turn it into a string; None for a list, an
    object or a document (never shown: its text could hold values)."""
    if isinstance(result, Value) and isinstance(result.value, str | int | float | bool):
        value = result.value
        return str(value).lower() if isinstance(value, bool) else str(value)
    return None


def from_json_text(text: str, file: Path, first_line: int) -> Result:
    """Decode JSON; each string gets the line it first appears on in the text."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        return Unresolved(
            f"JSON that does not parse ({error.msg})", file, first_line + error.lineno - 1
        )
    except (RecursionError, ValueError):
        return Unresolved("JSON nested too deeply or with too long a number", file, first_line)
    lines = text.splitlines()

    def wrap(value: Any, near: int) -> Value:
        if isinstance(value, dict):
            return Value({k: wrap(v, near) for k, v in value.items()}, file, near)
        if isinstance(value, list):
            return Value([wrap(v, near) for v in value], file, near)
        if isinstance(value, str):
            quoted = json.dumps(value)
            found = next((i for i, line in enumerate(lines) if quoted in line), None)
            return Value(value, file, first_line + found if found is not None else near)
        return Value(value, file, near)

    return wrap(document, first_line)


def plain(result: Result) -> Any:
    """A Value with its lines dropped (Unresolved stays), for comparisons and JSON text."""
    if isinstance(result, Unresolved):
        return result
    value = result.value
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value
