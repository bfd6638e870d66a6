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
                    context.finding(
                        "DG106",
                        f"plain environment variable {variable.name} of container {container.name} "
                        f"holds a value in {variable.value_token_format} format (value not shown)",
                        container=container.name,
                        variable=variable.name,
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
