"""The policy's JSON Schema (drift_gate/schemas/policy.schema.json) and its errors as problems:
every error with file, line and path, an unknown key with the known key it is close to.

This module decides validity: the validity cache (validity.py) is keyed on its bytes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from drift_gate.policy.models import PolicyProblem
from drift_gate.schema_words import allowed_and_unexpected, expected, unexpected_key_words
from drift_gate.yamlfile import JsonPath, YamlDocument

if TYPE_CHECKING:  # jsonschema is imported only when a policy is not already known valid
    from jsonschema.exceptions import ValidationError


@cache
def policy_schema() -> dict[str, Any]:
    """The policy JSON Schema shipped in the package."""
    text = resources.files("drift_gate").joinpath("schemas/policy.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def _whole_string_pattern(
    validator: Any, pattern: str, instance: Any, schema: dict[str, Any]
) -> Iterator[ValidationError]:
    """`pattern` as ECMA-262 reads it: `$` is the end of the string, not before a final newline.

    Python's re (which jsonschema uses) lets `^[a-z]+$` match "abc\\n", so a region or name
    ending in a newline would pass the schema and fail later in AWS.
    """
    if not isinstance(instance, str):
        return
    anchored = (
        pattern[:-1] + r"\Z" if pattern.endswith("$") and not pattern.endswith("\\$") else pattern
    )
    if re.search(anchored, instance) is None:
        from jsonschema.exceptions import ValidationError

        yield ValidationError(f"does not match {pattern!r}")  # never the instance


@cache
def _validator_class() -> Any:
    import jsonschema

    return jsonschema.validators.extend(  # type: ignore[no-untyped-call]
        jsonschema.Draft202012Validator, {"pattern": _whole_string_pattern}
    )


@cache
def _validator() -> Any:
    """The policy schema's validator, its `$ref`s written out in place.

    A fleet's policy has thousands of services; resolving `#/$defs/service` and the refs
    below it once per entry was about 40% of validating 10,000 of them
    (benchmarks/policy_load.py). The schema has no recursive ref, so inlining ends.
    """
    schema = policy_schema()
    return _validator_class()(_inline_refs(schema, schema.get("$defs", {})))


def _inline_refs(node: Any, definitions: dict[str, Any]) -> Any:
    if isinstance(node, list):
        return [_inline_refs(item, definitions) for item in node]
    if not isinstance(node, dict):
        return node
    inlined = {
        key: value if key in ("enum", "const") else _inline_refs(value, definitions)
        for key, value in node.items()
        if key not in ("$defs", "$ref")
    }
    reference = node.get("$ref")
    if isinstance(reference, str) and reference.startswith("#/$defs/"):
        target = definitions[reference.removeprefix("#/$defs/")]
        return {**_inline_refs(target, definitions), **inlined}
    if reference is not None:
        inlined["$ref"] = reference
    return inlined


def schema_problems(document: YamlDocument) -> list[PolicyProblem]:
    """The schema's problems; an unknown key at its own line, with the known key it is close
    to. A required key whose misspelling is that unknown key is not also said missing."""
    problems: list[PolicyProblem] = []
    meant: set[tuple[JsonPath, str]] = set()
    missing: list[tuple[ValidationError, PolicyProblem]] = []
    for error in _validator().iter_errors(document.data):
        if error.validator == "additionalProperties":
            for problem, suggestion in _unknown_key_problems(document, error):
                problems.append(problem)
                if suggestion:
                    meant.add((tuple(error.absolute_path), suggestion))
        elif error.validator == "required":
            missing.append((error, _schema_problem(document, error)))
        else:
            problems.append(_schema_problem(document, error))
    for error, problem in missing:
        have = error.instance if isinstance(error.instance, dict) else {}
        required = error.validator_value if isinstance(error.validator_value, list) else []
        absent = [key for key in required if key not in have]
        if not all((tuple(error.absolute_path), key) in meant for key in absent):
            problems.append(problem)
    return problems


def _unknown_key_problems(
    document: YamlDocument, error: ValidationError
) -> list[tuple[PolicyProblem, str | None]]:
    import difflib

    allowed, unexpected = allowed_and_unexpected(error)
    found: list[tuple[PolicyProblem, str | None]] = []
    for key in unexpected:
        path: JsonPath = (*error.absolute_path, key)
        close = difflib.get_close_matches(str(key), allowed, n=1, cutoff=0.75)
        meant = close[0] if close else None
        message = unexpected_key_words([key], allowed, meant=meant)
        found.append((PolicyProblem(document.path, document.line_of(path), path, message), meant))
    return found


def _schema_problem(document: YamlDocument, error: ValidationError) -> PolicyProblem:
    # oneOf/anyOf errors say "is not valid under any of the given schemas"; the best
    # sub-error says what is actually wrong. "is not of type" comes from the branch the
    # value was plainly not meant for, so a sub-error of the branch of its type is better.
    specific = error
    if error.context:
        same_type = [sub for sub in error.context if sub.validator != "type"]
        from jsonschema.exceptions import best_match

        specific = best_match(same_type or error.context) or error
    path: JsonPath = tuple(specific.absolute_path)
    if specific.validator == "const" and path == ("version",):
        message = _version_message(specific.instance)
    elif specific.validator == "pattern" and len(path) >= 2 and path[-2] == "ignore":
        message = ignore_message(specific.instance)
    else:
        message = expected(specific)
    if "propertyNames" in specific.schema_path:
        message = f"a key here: {message}"
    return PolicyProblem(document.path, document.line_of(path), path, message)


def _version_message(version: object) -> str:
    if isinstance(version, str) and version.strip() == "1":
        return "version must be the integer 1, not text: write `version: 1`"
    return "unsupported policy version; this drift-gate reads version 1 (`version: 1`)"


def ignore_message(rule_id: object) -> str:
    from drift_gate.rules import RULES_BY_ID

    if isinstance(rule_id, str) and rule_id.upper().startswith("DG9"):
        return (
            "DG9xx cannot be ignored: it means drift-gate could not verify a link, "
            "and it fails closed"
        )
    known = ", ".join(sorted(r for r in RULES_BY_ID if not r.startswith("DG9")))
    return f"not a rule id that can be ignored; known: {known}"
