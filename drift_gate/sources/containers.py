"""ECS container definitions (from the ECS API or a Terraform plan) reduced to names.

The value of each environment variable is looked at once, for its credential format, and
dropped here: nothing downstream can leak what it never receives.
"""

from __future__ import annotations

import json
import unicodedata

from pydantic import TypeAdapter, ValidationError

from drift_gate.credentials import token_format
from drift_gate.model import ContainerVars, LiveEnvVar, LiveSecret
from drift_gate.sources.answers import Answer, ContainerDefinition
from drift_gate.validation import validate_or_none

# What a template placeholder's valueFrom is read as (a task-definition file before it is
# rendered): known at deploy time, never compared with a pinned one, and not empty.
UNRENDERED = "(a template placeholder)"


# Characters that show nothing: control and format characters (a zero-width space U+200B, a
# byte order mark U+FEFF, bidirectional marks, tag characters), surrogates, private-use and
# unassigned code points, separators, and combining marks with nothing to combine with.
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zs", "Zl", "Zp", "Mn", "Me"})
# Letters and symbols that render blank (Unicode's default-ignorable fillers, the blank
# Braille pattern).
_BLANK = frozenset("\u115f\u1160\u17b4\u17b5\u3164\uffa0\u2800")


def _visible(character: str) -> bool:
    return not (
        character.isspace()
        or character in _BLANK
        or unicodedata.category(character) in _INVISIBLE_CATEGORIES
    )


def reference(value_from: str) -> str:
    """A valueFrom as read: "" for one without a visible character (DG108): only white
    space, or a zero-width space or byte order mark that a copy and paste left in."""
    return "" if is_empty_reference(value_from) else value_from


def is_empty_reference(value_from: str) -> bool:
    """No visible character: it names no secret, whatever the file or the answer holds."""
    return not any(_visible(character) for character in value_from)


def container_vars(raw: ContainerDefinition) -> ContainerVars:
    """One validated containerDefinitions entry -> names, valueFrom references, token formats."""
    environment = tuple(
        LiveEnvVar(
            name=item.name,
            value_token_format=token_format("" if item.value is None else str(item.value)),
        )
        for item in raw.environment or ()
        if item.name
    )
    secrets = tuple(
        LiveSecret(name=item.name, value_from=reference(item.valueFrom))
        for item in raw.secrets or ()
        if item.name
    )
    files = tuple(item.value for item in raw.environmentFiles or ())
    return ContainerVars(
        name=raw.name,
        image=raw.image,
        secrets=secrets,
        environment=environment,
        environment_files=files,
    )


def containers_from_json(text: str) -> tuple[ContainerVars, ...]:
    """Terraform's container_definitions: a JSON string holding the list of containers.

    Raises ValueError naming the JSON path of the first problem (never echoing the text,
    which holds values) when it is not that.
    """
    try:
        # One pass in pydantic's own JSON reader when the text is what it should be (a large
        # plan holds thousands of these); any problem is worded by the path below.
        return tuple(container_vars(item) for item in _CONTAINERS.validate_json(text))
    except ValidationError:
        pass
    try:
        document = json.loads(text)
    except (RecursionError, ValueError) as error:
        detail = (
            f" ({error.msg} at position {error.pos})"
            if isinstance(error, json.JSONDecodeError)
            else ""
        )
        raise ValueError(f"container_definitions is not JSON{detail}") from None
    definitions, problem = validate_or_none(_ContainerList, {"containers": document})
    if definitions is None:
        where = (problem or "").removeprefix("containers")
        raise ValueError(
            f"container_definitions is not a JSON list of containers: {where or problem}"
        )
    return tuple(container_vars(item) for item in definitions.containers)


class _ContainerList(Answer):
    containers: tuple[ContainerDefinition, ...]


_CONTAINERS: TypeAdapter[tuple[ContainerDefinition, ...]] = TypeAdapter(
    tuple[ContainerDefinition, ...]
)
