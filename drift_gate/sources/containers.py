"""ECS container definitions (from the ECS API or a Terraform plan) reduced to names.

The value of each environment variable is looked at once, for its credential format, and
dropped here: nothing downstream can leak what it never receives.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from pydantic import TypeAdapter, ValidationError

from drift_gate.credentials import token_format
from drift_gate.model import ContainerVars, LiveEnvVar, LiveSecret

# Moved to drift_gate/references.py (the checks use them, and checks do not import sources);
# named here too for the readers of container definitions.
from drift_gate.references import (
    UNRENDERED,
    has_invisible,
    is_empty_reference,
    reference,
    reference_problem,
    reference_words,
    visible,
)
from drift_gate.sources.answers import Answer, ContainerDefinition
from drift_gate.validation import validate_or_none

__all__ = [
    "UNRENDERED",
    "has_invisible",
    "is_empty_reference",
    "reference",
    "reference_problem",
    "reference_words",
    "visible",
]


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
