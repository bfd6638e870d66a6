"""A plan document before validation: its JSON text read, its format version checked, and
what drift-gate never reads left out (most of a large plan), keeping every position."""

from __future__ import annotations

import json
import re
from typing import Any, Literal

import pydantic_core

from drift_gate.addresses import is_data_address
from drift_gate.errors import InvalidInputError
from drift_gate.jsontext import decode_json_bytes
from drift_gate.model import UNCHANGED_ACTIONS
from drift_gate.sources.plan_raw import SERVICE, TASK_DEFINITION

# Keys only a plan has; `terraform show -json` without a plan file prints state instead
# (format_version, terraform_version, values) or, with no state, format_version alone.
PLAN_KEYS = frozenset(
    {"planned_values", "resource_changes", "configuration", "prior_state", "output_changes"}
)
MAKE_A_PLAN = "terraform plan -out=tfplan && terraform show -json tfplan > plan.json"


def load_json_bytes(data: bytes, source: str) -> Any:
    """A plan file's bytes -> Python. Plain UTF-8 (what terraform writes) is read by pydantic's
    JSON reader as it is, with no copy as text (45 ms and 100 MB less on a 100 MB plan); it
    refuses anything else (a BOM, UTF-16, a byte that is not UTF-8), which is then decoded and
    read as before, so every message is the same."""
    try:
        return pydantic_core.from_json(data, cache_strings=_CACHED_STRINGS)
    except ValueError:
        pass
    try:
        text = decode_json_bytes(data)
    except UnicodeDecodeError as error:
        raise InvalidInputError(
            f"{source}: not UTF-8 or UTF-16 text; give the output of "
            "`terraform show -json PLANFILE`"
        ) from error
    return load_json_text(text, source)


# Only the keys' strings are interned while reading: they repeat in every resource, whereas
# a plan's values mostly do not, and caching those too cost more than it saved (297 -> 181
# ms for a 100 MB plan with keys only).
_CACHED_STRINGS: Literal["keys"] = "keys"


def load_json_text(text: str, source: str) -> Any:
    """JSON text -> Python, with every way it can refuse a document turned into one line
    (exit 2). pydantic's JSON reader first (a quarter faster on a 100 MB plan); whatever it
    refuses is read again by the json module, whose words and line numbers the message uses."""
    try:
        return pydantic_core.from_json(text, cache_strings=_CACHED_STRINGS)
    except ValueError:
        pass
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise InvalidInputError(
            f"{source}: not a JSON plan (line {error.lineno}: {error.msg}); give the output of "
            "`terraform show -json PLANFILE`"
        ) from None
    except RecursionError:
        raise InvalidInputError(f"{source}: JSON nested too deeply to be a plan") from None
    except ValueError:  # an integer of more digits than Python converts
        raise InvalidInputError(
            f"{source}: a number in the JSON is too long to be a plan's"
        ) from None


READ_VALUES_OF = frozenset({TASK_DEFINITION, SERVICE})
# The values read of each, in planned_values: absent, each is unknown only when the
# resource's change marks it in after_unknown.
READ_BY_TYPE = {
    TASK_DEFINITION: ("family", "container_definitions", "execution_role_arn"),
    SERVICE: ("name", "cluster", "task_definition"),
}
READ_KEYS = frozenset(key for keys in READ_BY_TYPE.values() for key in keys)


def read_parts(document: dict[str, Any]) -> dict[str, Any]:
    """The document with the values drift-gate never reads left out, before validation: in a
    large plan nearly everything is other resources' attributes, which would be copied and
    checked for nothing. Anything of an unexpected shape is kept as it is, so validation
    still reports it with its path."""
    pruned = dict(document)
    changes = document.get("resource_changes")
    if isinstance(changes, list):
        pruned["resource_changes"] = [_change_read_parts(change) for change in changes]
    # Of drift and deferred changes only the address and the actions are read: drift's
    # values are not compared, and a deferred change's are not worked out yet.
    drift = document.get("resource_drift")
    if isinstance(drift, list):
        pruned["resource_drift"] = [_change_read_parts(change, keep=False) for change in drift]
    deferred = document.get("deferred_changes")
    if isinstance(deferred, list):
        pruned["deferred_changes"] = [_deferred_read_parts(entry) for entry in deferred]
    planned = document.get("planned_values")
    if isinstance(planned, dict) and isinstance(planned.get("root_module"), dict):
        pruned["planned_values"] = {
            **planned,
            "root_module": _module_read_parts(planned["root_module"]),
        }
    return pruned


def _change_read_parts(change: Any, *, keep: bool = True) -> Any:
    if not isinstance(change, dict) or not isinstance(change.get("change"), dict):
        return change
    inner = change["change"]
    actions = inner.get("actions")
    no_op = isinstance(actions, list) and all(
        isinstance(action, str) and action in UNCHANGED_ACTIONS for action in actions
    )
    # A type of the wrong shape is kept for validation to refuse (a dict is not hashable).
    kind = change.get("type")
    read = keep and isinstance(kind, str) and kind in READ_VALUES_OF and not _is_data(change)
    if read and change.get("type") == TASK_DEFINITION and not no_op:
        return change  # before/after are compared: kept whole
    if read and "after_unknown" in inner:
        # What is known only after apply: the only unknown values of planned_values.
        unknown = inner["after_unknown"]
        if isinstance(unknown, dict):
            unknown = {key: unknown[key] for key in READ_KEYS if key in unknown}
        return {**change, "change": {"actions": actions, "after_unknown": unknown}}
    return {**change, "change": {"actions": actions}}


def _is_data(entry: dict[str, Any]) -> bool:
    """A data source: by its mode, or, without one, by its address (`data.TYPE.NAME`)."""
    mode, address = entry.get("mode"), entry.get("address")
    if mode is None and isinstance(address, str):
        return is_data_address(address)
    return mode == "data"


def _deferred_read_parts(entry: Any) -> Any:
    if not isinstance(entry, dict) or "resource_change" not in entry:
        return entry
    return {**entry, "resource_change": _change_read_parts(entry["resource_change"], keep=False)}


def _module_read_parts(module: dict[str, Any]) -> dict[str, Any]:
    """A planned_values module with only its task definitions and services, managed ones
    (the others, data sources of those types too, are None, so the positions in messages
    stay those of the file)."""
    pruned = dict(module)
    pending = [pruned]
    while pending:  # a loop, not recursion: module depth is the user's input
        current = pending.pop()
        resources = current.get("resources")
        if isinstance(resources, list):
            current["resources"] = [
                None
                if isinstance(r, dict)
                and isinstance(r.get("type"), str)
                and (r["type"] not in READ_VALUES_OF or _is_data(r))
                else r
                for r in resources
            ]
        children = current.get("child_modules")
        if isinstance(children, list):
            current["child_modules"] = [dict(c) if isinstance(c, dict) else c for c in children]
            pending.extend(c for c in current["child_modules"] if isinstance(c, dict))
    return pruned


def check_version(version: str, source: str) -> None:
    match = re.fullmatch(r"(\d{1,4})\.(\d{1,4})", version)
    if not match:
        raise InvalidInputError(f"{source}: format_version {version[:20]!r} is not MAJOR.MINOR")
    major, minor = int(match[1]), int(match[2])
    if major >= 2 or (major, minor) < (0, 1):
        raise InvalidInputError(
            f"{source}: plan format_version {version} is not supported; drift-gate reads 0.1 up "
            "to, not including, 2.0 (upgrade drift-gate for newer Terraform)"
        )
