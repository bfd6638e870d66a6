"""Policy files: YAML -> JSON Schema (every error, with file, line and path) -> pydantic Policy."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import jsonschema
from jsonschema.exceptions import ValidationError, best_match
from pydantic import Field

from drift_gate.errors import InvalidInputError
from drift_gate.model import Frozen
from drift_gate.yamlfile import JsonPath, YamlDocument, load_yaml_file


class DeclaredSecret(Frozen):
    """A secret name a container must receive, optionally with the valueFrom it must use."""

    name: str
    value_from: str | None = None
    where: str | None = Field(default=None, description="file:line of the declaration")


class DeclaredVariable(Frozen):
    """A plain environment variable name a container must receive."""

    name: str
    where: str | None = None


class ContainerPolicy(Frozen):
    name: str
    secrets: tuple[DeclaredSecret, ...] = ()
    environment: tuple[DeclaredVariable, ...] = ()
    dotenv: tuple[Path, ...] = Field(default=(), description="dotenv files whose names it requires")

    @property
    def declared_names(self) -> frozenset[str]:
        return frozenset(s.name for s in self.secrets) | {v.name for v in self.environment}


class LogPolicy(Frozen):
    """Phrases the service's application log must not show, and over which window."""

    group: str
    forbid: tuple[str, ...]
    since: str = "deployment"

    def window(self) -> timedelta | None:
        """The duration to look back, or None for "since the PRIMARY deployment started"."""
        if self.since == "deployment":
            return None
        unit = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}[self.since[-1]]
        return timedelta(**{unit: int(self.since[:-1])})


class ServicePolicy(Frozen):
    cluster: str
    service: str
    containers: tuple[ContainerPolicy, ...]
    ignore: frozenset[str] = frozenset()
    logs: LogPolicy | None = None
    where: str | None = None


SecretChecks = Literal["required", "best-effort", "off"]


class EnvironmentPolicy(Frozen):
    name: str
    region: str
    services: tuple[ServicePolicy, ...]
    secret_checks: SecretChecks = "required"  # noqa: S105 - a mode, not a password


class Policy(Frozen):
    """A whole policy file, validated."""

    source: str
    version: int
    environments: tuple[EnvironmentPolicy, ...]

    @property
    def services(self) -> tuple[tuple[EnvironmentPolicy, ServicePolicy], ...]:
        return tuple((env, service) for env in self.environments for service in env.services)


@dataclass(frozen=True)
class PolicyProblem:
    """One reason a policy file is invalid, located by file, line and JSON path."""

    source: str
    line: int
    path: JsonPath
    message: str

    def __str__(self) -> str:
        dotted = "/".join(str(part) for part in self.path) or "(document)"
        return f"{self.source}:{self.line}: {dotted}: {self.message}"


@cache
def policy_schema() -> dict[str, Any]:
    """The policy JSON Schema shipped in the package."""
    text = resources.files("drift_gate").joinpath("schemas/policy.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def find_problems(document: YamlDocument) -> list[PolicyProblem]:
    """Every schema and consistency problem in a parsed policy, in file order."""
    problems = [
        PolicyProblem(document.path, line, path, "duplicate key; each key may appear once")
        for path, line in document.duplicate_keys
    ]
    validator = jsonschema.Draft202012Validator(policy_schema())
    for error in validator.iter_errors(document.data):
        problems.append(_schema_problem(document, error))
    if not problems:
        problems.extend(_consistency_problems(document))
    return sorted(problems, key=lambda problem: (problem.line, str(problem.path)))


def _schema_problem(document: YamlDocument, error: ValidationError) -> PolicyProblem:
    # oneOf/anyOf errors say "is not valid under any of the given schemas"; the best
    # sub-error says what is actually wrong. "is not of type" comes from the branch the
    # value was plainly not meant for, so a sub-error of the branch of its type is better.
    specific = error
    if error.context:
        same_type = [sub for sub in error.context if sub.validator != "type"]
        specific = best_match(same_type or error.context) or error
    path: JsonPath = tuple(specific.absolute_path)
    if specific.validator == "const" and path == ("version",):
        message = (
            f"unsupported policy version {specific.instance!r}; this drift-gate reads version 1"
        )
    elif specific.validator == "additionalProperties":
        message = f"{specific.message}; see docs/policy.md for the allowed keys"
    else:
        message = specific.message
    return PolicyProblem(document.path, document.line_of(path), path, message)


def _consistency_problems(document: YamlDocument) -> list[PolicyProblem]:
    """What the schema cannot say: names declared twice, services listed twice."""
    problems: list[PolicyProblem] = []
    for env_name, environment in document.data["environments"].items():
        seen_services: set[tuple[str, str]] = set()
        for index, service in enumerate(environment["services"]):
            service_path: JsonPath = ("environments", env_name, "services", index)
            key = (service["cluster"], service["service"])
            if key in seen_services:
                problems.append(
                    PolicyProblem(
                        document.path,
                        document.line_of(service_path),
                        service_path,
                        f"service {key[1]} in cluster {key[0]} is listed twice",
                    )
                )
            seen_services.add(key)
            for container_name, container in service["containers"].items():
                container_path = (*service_path, "containers", container_name)
                problems.extend(_container_name_problems(document, container_path, container))
    return problems


def _container_name_problems(
    document: YamlDocument, container_path: JsonPath, container: dict[str, Any] | None
) -> list[PolicyProblem]:
    problems: list[PolicyProblem] = []
    seen: dict[str, str] = {}
    for kind in ("secrets", "environment"):
        for index, entry in enumerate((container or {}).get(kind, [])):
            name = entry if isinstance(entry, str) else entry["name"]
            entry_path = (*container_path, kind, index)
            if name in seen:
                where = "twice" if seen[name] == kind else f"in both {seen[name]} and {kind}"
                problems.append(
                    PolicyProblem(
                        document.path,
                        document.line_of(entry_path),
                        entry_path,
                        f"{name} is declared {where}; declare each name once",
                    )
                )
            seen.setdefault(name, kind)
    return problems


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


def _build_policy(document: YamlDocument) -> Policy:
    environments = []
    for env_name, environment in document.data["environments"].items():
        services = []
        for index, service in enumerate(environment["services"]):
            service_path: JsonPath = ("environments", env_name, "services", index)
            containers = tuple(
                _build_container(document, (*service_path, "containers", name), name, spec or {})
                for name, spec in service["containers"].items()
            )
            services.append(
                ServicePolicy(
                    cluster=service["cluster"],
                    service=service["service"],
                    containers=containers,
                    ignore=frozenset(service.get("ignore", [])),
                    logs=LogPolicy(
                        group=service["logs"]["group"],
                        forbid=tuple(service["logs"]["forbid"]),
                        since=service["logs"].get("since", "deployment"),
                    )
                    if "logs" in service
                    else None,
                    where=f"{document.path}:{document.line_of(service_path)}",
                )
            )
        environments.append(
            EnvironmentPolicy(
                name=env_name,
                region=environment["region"],
                services=tuple(services),
                # YAML 1.1 reads a bare `off` as false.
                secret_checks=environment.get("secret_checks", "required") or "off",
            )
        )
    return Policy(
        source=document.path, version=document.data["version"], environments=tuple(environments)
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
    dotenv = tuple(base / relative for relative in spec.get("dotenv", []))
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
