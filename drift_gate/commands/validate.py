"""`drift-gate validate-policy`: every problem of every policy file, with file and line."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from drift_gate.commands._console import echo, warn
from drift_gate.errors import ExitCode, InvalidInputError


def run(files: Sequence[Path]) -> int:
    """Print every problem of every file; exit 2 if any is invalid."""
    from drift_gate.policy import build_valid_policy, find_problems
    from drift_gate.yamlfile import YamlDocument, load_yaml_file

    invalid = 0
    for path in files:
        document: YamlDocument | None = None
        try:
            document = load_yaml_file(path)
            problems = [str(p) for p in find_problems(document)]
        except InvalidInputError as error:
            problems = [str(error)]
        for problem in problems:
            echo(problem, err=True)
        invalid += bool(problems)
        if document is not None and not problems:
            # The document read once: a fleet's policy is not parsed a second time.
            for line in build_valid_policy(document).deprecations:
                warn(line)
            echo(f"{path}: valid")
    if invalid:
        echo(f"drift-gate: {invalid} of {len(files)} policy file(s) invalid", err=True)
        return ExitCode.INVALID_INPUT
    return ExitCode.PASS
