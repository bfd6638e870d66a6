"""ECS container definitions (from the ECS API or a Terraform plan) reduced to names.

The value of each environment variable is looked at once, for its credential format, and
dropped here: nothing downstream can leak what it never receives.
"""

from __future__ import annotations

import json
from typing import Any

from drift_gate.credentials import token_format
from drift_gate.model import ContainerVars, LiveEnvVar, LiveSecret


def container_vars(raw: dict[str, Any]) -> ContainerVars:
    """One containerDefinitions entry -> names, valueFrom references and token formats."""
    environment = tuple(
        LiveEnvVar(name=item["name"], value_token_format=token_format(str(item.get("value") or "")))
        for item in raw.get("environment") or []
        if item.get("name")
    )
    secrets = tuple(
        LiveSecret(name=item["name"], value_from=str(item.get("valueFrom") or ""))
        for item in raw.get("secrets") or []
        if item.get("name")
    )
    files = tuple(str(item.get("value") or "") for item in raw.get("environmentFiles") or [])
    return ContainerVars(
        name=str(raw.get("name") or ""),
        secrets=secrets,
        environment=environment,
        environment_files=files,
    )


def containers_from_json(text: str) -> tuple[ContainerVars, ...]:
    """Terraform's container_definitions: a JSON string holding the list of containers.

    Raises ValueError (never echoing the text, which holds values) when it is not that.
    """
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(
            f"container_definitions is not JSON ({error.msg} at position {error.pos})"
        ) from None
    if not isinstance(document, list) or not all(isinstance(item, dict) for item in document):
        raise ValueError("container_definitions is not a JSON list of objects")
    return tuple(container_vars(item) for item in document)
