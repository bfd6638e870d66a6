"""ECS container definitions (from the ECS API or a Terraform plan) reduced to names.

The value of each environment variable is looked at once, for its credential format, and
dropped here: nothing downstream can leak what it never receives.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterable

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


def visible(text: str) -> bool:
    """Has at least one character that shows."""
    return any(_visible(character) for character in text)


def has_invisible(text: str) -> bool:
    """Holds a control or format character (a zero-width space, a byte order mark, a
    bidirectional mark) or white space other than a plain space: not a name AWS gives."""
    return any(
        unicodedata.category(character) in ("Cc", "Cf")
        or (character.isspace() and character != " ")
        for character in text
    )


def reference(value_from: str) -> str:
    """A valueFrom as read: "" for one without a visible character (DG108): only white
    space, or a zero-width space or byte order mark that a copy and paste left in."""
    return "" if not visible(value_from) else value_from


def is_empty_reference(value_from: str) -> bool:
    """A reference that names nothing (DG108), whatever the file or the answer holds."""
    return reference_problem(value_from) is not None


def reference_problem(value_from: str) -> str | None:
    """Why a valueFrom names no secret, or None when it names one (or is a placeholder).

    ECS reads a valueFrom as written, never trimmed: no visible character; a character that
    shows nothing before or after it; an ARN whose parameter or secret name is empty or
    invisible; a Secrets Manager json-key, version-stage or version-id that is there but
    shows nothing.
    """
    if value_from == UNRENDERED:
        return None
    shown = [index for index, character in enumerate(value_from) if _visible(character)]
    if not shown:
        return "empty"
    core = value_from[shown[0] : shown[-1] + 1]
    named = _name_problem(value_from if value_from.startswith("arn:") else core)
    if named is None and len(value_from) != shown[-1] + 1 - shown[0]:
        return "white space or an invisible character before or after it"
    return named


def _name_problem(value_from: str) -> str | None:
    if not value_from.startswith("arn:"):
        # An SSM parameter name (`NAME` or `/PATH/NAME`).
        return None if visible(value_from.replace("/", "")) else "no parameter name"
    parts = value_from.split(":")
    service = parts[2] if len(parts) > 2 else ""
    resource = parts[5:]
    if service == "ssm":
        name = ":".join(resource).removeprefix("parameter")
        return None if visible(name.replace("/", "")) else "no parameter name"
    if service == "secretsmanager":
        if len(resource) < 2 or resource[0] != "secret" or not visible(resource[1]):
            return "no secret name"
        parts_named = ("json-key", "version-stage", "version-id")
        for part, words in zip(resource[2:], parts_named, strict=False):
            if part and not visible(part):
                return f"a {words} that shows nothing"
        return None
    return None if resource and visible(":".join(resource)) else "no resource name"


def reference_words(value_from: str) -> str:
    """How a message says what is wrong with a reference that names nothing."""
    problem = reference_problem(value_from)
    if problem in (None, "empty"):
        return "an empty valueFrom"
    return f"a valueFrom that names nothing ({problem})"


def repeated_name(names: Iterable[str]) -> tuple[int, int] | None:
    """(first, second) index of the first container name given twice, or None. Two
    containers of one name are not a task definition ECS registers: which one would run is
    not to be guessed (the first of a name once passed on secrets only the first had)."""
    seen: dict[str, int] = {}
    for index, name in enumerate(names):
        if name in seen:
            return seen[name], index
        seen[name] = index
    return None


class RepeatedContainerError(ValueError):
    """container_definitions names a container twice; `where` is the JSON path, no name."""

    def __init__(self, first: int, second: int) -> None:
        self.where = f"[{second}].name: the name of [{first}] again; container names are unique"
        super().__init__(f"container_definitions{self.where}")


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
        containers = tuple(container_vars(item) for item in _CONTAINERS.validate_json(text))
    except ValidationError:
        pass
    else:
        return _unique(containers)
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
    return _unique(tuple(container_vars(item) for item in definitions.containers))


def _unique(containers: tuple[ContainerVars, ...]) -> tuple[ContainerVars, ...]:
    repeated = repeated_name(container.name for container in containers)
    if repeated is not None:
        raise RepeatedContainerError(*repeated)
    return containers


class _ContainerList(Answer):
    containers: tuple[ContainerDefinition, ...]


_CONTAINERS: TypeAdapter[tuple[ContainerDefinition, ...]] = TypeAdapter(
    tuple[ContainerDefinition, ...]
)
