"""A JSON Schema problem in words: where (the JSON path) and what was expected, never the value.

jsonschema's own messages start with the instance's repr ("[{...}] is not of type 'object'"):
a mis-indented policy key would print its whole subtree (smoke header values included), and a
list of container definitions given as a report would print every environment value. The words
here are built from the schema (what was expected) and the instance's JSON type only. The
policy validator (policy/schema.py) and the report loader (engine/merge.py) both use them;
this module imports nothing of drift-gate, so any layer may.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError

# A key is part of a path, and a path is printed; a key that does not look like a name
# (spaces, colons, quotes) may be a value typed where a key was meant (`{Authorization:
# Bearer x}` without its space), so it is shown as [...], like map keys in pydantic paths.
_SHOWN_KEY = re.compile(r"[A-Za-z0-9_.@-]{1,128}")
# A path deeper than this is shown by its last parts: a message stays one short line.
_SHOWN_PARTS = 12


def shown_path(path: Sequence[str | int]) -> str:
    """`environments/dev/services/0`, with keys that do not look like names masked."""
    parts = [
        str(part) if isinstance(part, int) or _SHOWN_KEY.fullmatch(part) else "[...]"
        for part in path
    ]
    if len(parts) > _SHOWN_PARTS:
        parts = ["...", *parts[-_SHOWN_PARTS:]]
    return "/".join(parts) or "(document)"


_JSON_TYPE_WORDS = {
    "object": "a map",
    "array": "a list",
    "string": "text",
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
    "null": "null",
}


def json_type(instance: object) -> str:
    """The instance's JSON type in words (`a list`, `text`), never its value."""
    if isinstance(instance, bool):
        return "true or false"
    for kind, python in (("object", dict), ("array", list), ("string", str), ("integer", int)):
        if isinstance(instance, python):
            return _JSON_TYPE_WORDS[kind]
    return "a number" if isinstance(instance, float) else "null"


_BOUNDS = {
    "minLength": "at least {} character(s)",
    "maxLength": "at most {} characters",
    "minItems": "at least {} item(s)",
    "maxItems": "at most {} items",
    "minProperties": "at least {} key(s)",
    "maxProperties": "at most {} keys",
    "minimum": "a number of at least {}",
    "maximum": "a number of at most {}",
    "exclusiveMinimum": "a number above {}",
    "exclusiveMaximum": "a number below {}",
    "multipleOf": "a multiple of {}",
}


def expected(error: ValidationError, docs: str = "docs/policy.md") -> str:
    """What the schema expected where the error is, in words, without the value found.

    `docs` is the page that describes the format, named when the schema's rule has no words.
    """
    keyword, instance = error.validator, error.instance
    wanted: Any = error.validator_value
    if keyword == "type":
        kinds = [wanted] if isinstance(wanted, str) else list(wanted)
        words = " or ".join(_JSON_TYPE_WORDS.get(str(kind), str(kind)) for kind in kinds)
        return f"expected {words}, found {json_type(instance)}"
    if keyword in _BOUNDS:
        return f"expected {_BOUNDS[str(keyword)].format(wanted)}"
    if keyword == "required":
        have = instance if isinstance(instance, dict) else {}
        missing = ", ".join(shown_path((key,)) for key in wanted if key not in have)
        return f"missing required key: {missing}"
    if keyword == "additionalProperties":
        return unexpected_keys(error, docs)
    if keyword in ("enum", "const"):
        # In YAML's and JSON's words: jsonschema would print Python's (True, None).
        choices = wanted if keyword == "enum" else [wanted]
        return "expected one of: " + ", ".join(in_json_words(value) for value in choices)
    if keyword == "pattern":
        return f"expected text matching {wanted}"
    if keyword == "uniqueItems":
        return "an item is listed twice; list each once"
    if keyword in ("oneOf", "anyOf"):
        return f"matches none of the forms this key allows (see {docs})"
    return f"does not satisfy the schema's `{keyword}` (see {docs})"


def allowed_and_unexpected(error: ValidationError) -> tuple[list[str], list[Any]]:
    """Of an additionalProperties error: the keys the schema allows, and those found beyond."""
    schema = error.schema if isinstance(error.schema, dict) else {}
    allowed = [str(key) for key in schema.get("properties", {})]
    instance = error.instance if isinstance(error.instance, dict) else {}
    return allowed, [key for key in instance if key not in allowed]


def unexpected_key_words(
    keys: list[Any], allowed: list[str], docs: str = "docs/policy.md", meant: str | None = None
) -> str:
    """Keys the schema does not allow (masked unless they look like names), and the one
    allowed key they are close to, when there is one."""
    hint = f"did you mean {meant}? " if meant else ""
    unexpected = ", ".join(shown_path((key,)) for key in keys)
    return f"unexpected key {unexpected}; {hint}allowed here: {', '.join(allowed)} ({docs})"


def unexpected_keys(error: ValidationError, docs: str = "docs/policy.md") -> str:
    """The keys the schema does not allow here (masked unless they look like names)."""
    allowed, unexpected = allowed_and_unexpected(error)
    return unexpected_key_words(unexpected, allowed, docs)


def in_json_words(value: object) -> str:
    """A schema's constant as a policy or report writes it: true, false, null, 1, text."""
    if isinstance(value, bool) or value is None:
        return {True: "true", False: "false", None: "null"}[value]
    return str(value)


def bounded(words: str, length: int = 300) -> str:
    """`words` cut to `length` characters: a message about a hostile document stays short."""
    return words if len(words) <= length else words[: length - 3] + "..."
