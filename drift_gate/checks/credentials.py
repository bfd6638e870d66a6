"""DG105-DG106: credentials in plain environment variables, by name and by value format."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from drift_gate.checks.findings import ServiceContext
from drift_gate.credentials import looks_like_credential_name
from drift_gate.model import ContainerVars, Finding


def check_credentials(
    context: ServiceContext,
    containers: Sequence[ContainerVars],
    declared_plain: Mapping[str, frozenset[str]],
) -> list[Finding]:
    """Plain variables in any container that look like credentials.

    `declared_plain` maps a container to the names the policy declares as plain variables:
    declaring a name under `environment` says it is not a credential, so its name is trusted
    (its value format is still checked: a real token is never acceptable in clear text).
    """
    findings: list[Finding] = []
    for container in containers:
        trusted = declared_plain.get(container.name, frozenset())
        for variable in container.environment:
            if variable.value_token_format is not None:
                findings.append(
                    token_in_plain_variable(
                        context,
                        container.name,
                        variable.name,
                        variable.value_token_format,
                    )
                )
            elif looks_like_credential_name(variable.name) and variable.name not in trusted:
                findings.append(
                    context.finding(
                        "DG105",
                        f"plain environment variable {variable.name} of container {container.name} "
                        "has a credential-like name",
                        container=container.name,
                        variable=variable.name,
                    )
                )
    return findings


def token_in_plain_variable(
    context: ServiceContext,
    container: str,
    name: str,
    token_format: str,
    *,
    source: str = "",
    where: str | None = None,
) -> Finding:
    """DG106, for every path (live, offline): a credential's format, never its value.

    `source` says where the value sits when it is not the running container ("in Terraform").
    """
    place = f" {source}" if source else ""
    message = (
        f"plain environment variable {name} of container {container}{place} holds a value in "
        f"{token_format} format (value not shown)"
    )
    return context.finding("DG106", message, container=container, variable=name, where=where)
