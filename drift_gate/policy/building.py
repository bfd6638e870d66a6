"""A policy found valid -> the frozen models: the Policy and, in it, the declared model
(drift_gate/model/declared.py) with file:line of every declaration."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from drift_gate.errors import InvalidInputError
from drift_gate.model.declared import (
    ContainerPolicy,
    DeclaredSecret,
    DeclaredVariable,
    DeepChecks,
    EnvironmentPolicy,
    LogPolicy,
    RoleChecks,
    SelectorPolicy,
    ServicePolicy,
    ServiceSelector,
    SmokeHeader,
    SmokeRequest,
)
from drift_gate.policy.models import Policy, WaiverLimits, WaiverPolicy
from drift_gate.policy.problems import find_problems
from drift_gate.yamlfile import JsonPath, YamlDocument, load_yaml_file


def load_policy(path: Path) -> Policy:
    """Load and validate a policy file; any problem raises InvalidInputError (exit 2)."""
    return policy_from_document(load_yaml_file(path))


def policy_from_document(document: YamlDocument) -> Policy:
    """Validate a parsed policy and build the model; the first problem is raised (exit 2)."""
    problems = find_problems(document)
    if problems:
        more = f" (and {len(problems) - 1} more; run `drift-gate validate-policy {document.path}`)"
        raise InvalidInputError(f"invalid policy: {problems[0]}{more if len(problems) > 1 else ''}")
    return _build_policy(document)


def build_valid_policy(document: YamlDocument) -> Policy:
    """The model of a document find_problems found no problem in (not checked again)."""
    return _build_policy(document)


def _build_policy(document: YamlDocument) -> Policy:
    environments = []
    for env_name, environment in document.data["environments"].items():
        services: list[ServicePolicy] = []
        selectors: list[SelectorPolicy] = []
        for index, service in enumerate(environment["services"]):
            service_path: JsonPath = ("environments", env_name, "services", index)
            entry = SelectorPolicy(
                match=_selector(service.get("match") or {}),
                containers=tuple(
                    _build_container(
                        document, (*service_path, "containers", name), name, spec or {}
                    )
                    for name, spec in service["containers"].items()
                ),
                ignore=frozenset(service.get("ignore", [])),
                logs=LogPolicy(
                    group=service["logs"]["group"],
                    forbid=tuple(service["logs"]["forbid"]),
                    since=service["logs"].get("since", "deployment"),
                )
                if "logs" in service
                else None,
                smoke=tuple(_smoke(document, service_path, service.get("smoke") or ())),
                where=f"{document.path}:{document.line_of(service_path)}",
            )
            if "match" in service:
                selectors.append(entry)
            else:
                services.append(entry.for_service(service["cluster"], service["service"]))
        environments.append(
            EnvironmentPolicy(
                name=env_name,
                region=environment["region"],
                account=environment.get("account"),
                services=tuple(services),
                selectors=tuple(selectors),
                # YAML 1.1 reads a bare `off` as false.
                secret_checks=environment.get("secret_checks", "required") or "off",
                checks=_deep_checks(environment.get("checks") or {}),
            )
        )
    return Policy(
        source=document.path,
        version=document.data["version"],
        environments=tuple(environments),
        waivers=tuple(_build_waivers(document)),
        waiver_limits=WaiverLimits(**(document.data.get("waiver_limits") or {})),
        deprecations=tuple(_deprecations(document)),
    )


def _build_waivers(document: YamlDocument) -> Iterator[WaiverPolicy]:
    for index, waiver in enumerate(document.data.get("waivers") or ()):
        yield WaiverPolicy(
            rule=waiver["rule"],
            **(waiver.get("target") or {}),
            reason=waiver["reason"],
            owner=waiver.get("owner"),
            expires=date.fromisoformat(waiver["expires"]),
            where=f"{document.path}:{document.line_of(('waivers', index))}",
        )


def _deprecations(document: YamlDocument) -> Iterator[str]:
    for env_name, environment in document.data["environments"].items():
        for index, service in enumerate(environment["services"]):
            if "ignore" in service:
                path = ("environments", env_name, "services", index, "ignore")
                yield (
                    f"{document.path}:{document.line_of(path)}: `ignore` is deprecated and still "
                    "honoured; write a waiver with a reason and an expiry date instead "
                    "(docs/policy.md#waivers)"
                )


def _smoke(
    document: YamlDocument, service_path: JsonPath, requests: Sequence[dict[str, Any]]
) -> Iterator[SmokeRequest]:
    for index, request in enumerate(requests):
        headers = tuple(
            SmokeHeader(name=name, env=value["env"])
            if isinstance(value, dict)
            else SmokeHeader(name=name, value=value)
            for name, value in (request.get("headers") or {}).items()
        )
        yield SmokeRequest(
            url=request["url"],
            method=request.get("method", "GET"),
            headers=headers,
            json_body=json.dumps(request["json"]) if "json" in request else None,
            expect=tuple(request.get("expect", (200,))),
            forbid=tuple(request.get("forbid", ())),
            timeout=float(request.get("timeout", 10.0)),
            retries=int(request.get("retries", 0)),
            allow_http=bool(request.get("allow_http", False)),
            where=f"{document.path}:{document.line_of((*service_path, 'smoke', index))}",
        )


def _deep_checks(checks: dict[str, Any]) -> DeepChecks:
    return DeepChecks(
        images=checks.get("images"),
        running_tasks=checks.get("running_tasks"),
        execution_role=_role_mode(checks.get("execution_role")),
    )


def _role_mode(value: object) -> RoleChecks | None:
    # true/false as for the other links; YAML 1.1 reads a bare `off` as false.
    if value is True or value == "best-effort":
        return "best-effort"
    if value is False or value == "off":
        return "off"
    return "required" if value == "required" else None


def _selector(match: dict[str, Any]) -> ServiceSelector:
    return ServiceSelector(
        service=match.get("service"),
        cluster=match.get("cluster"),
        tags=tuple(sorted((match.get("tags") or {}).items())),
    )


def _build_container(
    document: YamlDocument, path: JsonPath, name: str, spec: dict[str, Any]
) -> ContainerPolicy:
    secrets = []
    for index, entry in enumerate(spec.get("secrets", [])):
        where = f"{document.path}:{document.line_of((*path, 'secrets', index))}"
        if isinstance(entry, str):
            secrets.append(DeclaredSecret(name=entry, where=where))
        else:
            secrets.append(
                DeclaredSecret(name=entry["name"], value_from=entry.get("value_from"), where=where)
            )
    environment = tuple(
        DeclaredVariable(
            name=variable,
            where=f"{document.path}:{document.line_of((*path, 'environment', index))}",
        )
        for index, variable in enumerate(spec.get("environment", []))
    )
    base = Path(document.path).parent
    # Resolved once, after _dotenv_problems confined them: what is read is what was checked.
    dotenv = tuple((base / relative).resolve() for relative in spec.get("dotenv", []))
    return ContainerPolicy(
        name=name, secrets=tuple(secrets), environment=environment, dotenv=dotenv
    )


def select_environments(policy: Policy, name: str | None) -> tuple[EnvironmentPolicy, ...]:
    """All environments, or the one named; an unknown name is a usage error."""
    if name is None:
        return policy.environments
    chosen = tuple(env for env in policy.environments if env.name == name)
    if not chosen:
        known = ", ".join(env.name for env in policy.environments)
        raise InvalidInputError(f"environment {name!r} is not in {policy.source}; it has: {known}")
    return chosen
