"""The values drift-gate passes to terraform, registered with drift_gate.scrub so that no
message quotes one: --var, TF_VAR_*, -var in TF_CLI_ARGS, a var file's strings."""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Mapping
from pathlib import Path
from typing import Protocol

from drift_gate.errors import InvalidInputError
from drift_gate.input_files import VAR_FILE, read_bytes
from drift_gate.scrub import remember_secret


class GivenVarFiles(Protocol):
    """What is read of sources/terraform.TerraformSettings here (a protocol: that module
    imports this one, and the package has no import circle, not even for types)."""

    @property
    def var_files(self) -> tuple[Path, ...]: ...


def remember_given_values(settings: GivenVarFiles, environment: Mapping[str, str]) -> None:
    """Register every value drift-gate passes to terraform with drift_gate.scrub: --var and
    --plan-arg=-var= values (done by TerraformSettings), TF_VAR_* values of the environment,
    -var in TF_CLI_ARGS and TF_CLI_ARGS_plan, and the strings of each --var-file (read if it
    is a file of at most 1 MiB)."""
    for name, value in environment.items():
        if name.startswith("TF_VAR_"):
            remember_secret(value)
        elif name in ("TF_CLI_ARGS", "TF_CLI_ARGS_plan"):
            for assignment in _cli_arg_variables(value):
                remember_secret(assignment.partition("=")[2] or assignment)
    for path in settings.var_files:
        for value in _var_file_values(path):
            remember_secret(value)


def _cli_arg_variables(arguments: str) -> list[str]:
    """The NAME=VALUE of each -var in TF_CLI_ARGS (terraform splits it as a shell would)."""
    try:
        words = shlex.split(arguments)
    except ValueError:
        words = arguments.split()
    found: list[str] = []
    for index, word in enumerate(words):
        if word.lstrip("-") == "var" and index + 1 < len(words):
            found.append(words[index + 1])
        elif word.startswith(("-var=", "--var=")):
            found.append(word.split("=", 1)[1])
    return found


# A .tfvars string (numbers and booleans are left: they would hide a traceback's line numbers).
_TFVARS_STRING = re.compile(r'"((?:[^"\\\n]|\\.)*)"')


def _var_file_values(path: Path) -> list[str]:
    try:
        text = read_bytes(path, VAR_FILE).decode("utf-8-sig")
    except (InvalidInputError, UnicodeDecodeError):
        return []  # terraform will say so; nothing of it can be quoted by drift-gate
    if path.name.endswith(".json"):
        try:
            return list(_strings(json.loads(text)))
        except (json.JSONDecodeError, RecursionError):
            pass
    return [value for value in _TFVARS_STRING.findall(text) if value]


def _strings(node: object) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [text for value in node.values() for text in _strings(value)]
    if isinstance(node, list):
        return [text for value in node for text in _strings(value)]
    return []
