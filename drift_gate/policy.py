"""Policy files: YAML -> JSON Schema (every error, with file, line and path) -> pydantic Policy."""

from __future__ import annotations

import hashlib
import json
import re
import urllib.parse
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from fnmatch import fnmatchcase
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import Field

from drift_gate.errors import InvalidInputError
from drift_gate.model.base import Frozen
from drift_gate.model.declared import (
    MAX_LOG_WINDOW,
    ContainerPolicy,
    DeclaredSecret,
    DeclaredVariable,
    DeepChecks,
    EnvironmentPolicy,
    LogPolicy,
    RoleChecks,
    SecretChecks,
    SelectorPolicy,
    ServicePolicy,
    ServiceSelector,
    SmokeHeader,
    SmokeRequest,
)
from drift_gate.model.report import Finding
from drift_gate.schema_words import (
    allowed_and_unexpected,
    expected,
    shown_path,
    unexpected_key_words,
)
from drift_gate.yamlfile import JsonPath, YamlDocument, load_yaml_file

# The declared model lives in drift_gate/model/declared.py; re-exported for the importers.
__all__ = [
    "MAX_LOG_WINDOW",
    "ContainerPolicy",
    "DeclaredSecret",
    "DeclaredVariable",
    "DeepChecks",
    "EnvironmentPolicy",
    "LogPolicy",
    "Policy",
    "PolicyProblem",
    "RoleChecks",
    "SecretChecks",
    "SelectorPolicy",
    "ServicePolicy",
    "ServiceSelector",
    "SmokeHeader",
    "SmokeRequest",
    "WaiverLimits",
    "WaiverPolicy",
    "build_valid_policy",
    "find_problems",
    "known_valid",
    "load_policy",
    "policy_from_document",
    "policy_schema",
    "remember_valid",
    "select_environments",
]

if TYPE_CHECKING:  # jsonschema is imported only when a policy is not already known valid
    from jsonschema.exceptions import ValidationError


class WaiverPolicy(Frozen):
    """A finding accepted until a date: which rule and where (globs), why, who, until when."""

    rule: str
    environment: str = "*"
    account: str = "*"
    cluster: str = "*"
    service: str = "*"
    container: str = "*"
    name: str = "*"
    reason: str
    owner: str | None = None
    expires: date
    where: str | None = None

    def matches(self, finding: Finding) -> bool:
        """Whether this waiver covers the finding (never a DG9xx: those cannot be waived)."""
        if finding.rule_id != self.rule or finding.is_unverified:
            return False
        target = finding.target
        return all(
            fnmatchcase(value or "", pattern)
            for value, pattern in (
                (target.environment, self.environment),
                (target.account, self.account),
                (target.cluster, self.cluster),
                (target.service, self.service),
                (target.container, self.container),
                (target.variable, self.name),
            )
        )

    def words(self) -> str:
        """`DG201 on production/prod/batch-*`, for messages."""
        place = "/".join(
            part
            for part in (
                self.environment,
                self.account,
                self.cluster,
                self.service,
                self.container,
                self.name,
            )
            if part != "*"
        )
        return f"{self.rule} on {place or 'every target'}"


class WaiverLimits(Frozen):
    max_days: int = 90
    warn_days: int = 14


class Policy(Frozen):
    """A whole policy file, validated."""

    source: str
    version: int
    environments: tuple[EnvironmentPolicy, ...]
    waivers: tuple[WaiverPolicy, ...] = ()
    waiver_limits: WaiverLimits = WaiverLimits()
    deprecations: tuple[str, ...] = Field(
        default=(), description="file:line: what is deprecated and what to write instead"
    )

    @property
    def services(self) -> tuple[tuple[EnvironmentPolicy, ServicePolicy], ...]:
        return tuple((env, service) for env in self.environments for service in env.services)


def is_loopback(host: str) -> bool:
    """This machine: where plain http cannot be read on the way (an address parsed, never a
    prefix of text: drift_gate/http_client.py)."""
    from drift_gate.http_client import is_loopback as parsed

    return parsed(host)


@dataclass(frozen=True)
class PolicyProblem:
    """One reason a policy file is invalid, located by file, line and JSON path."""

    source: str
    line: int
    path: JsonPath
    message: str

    def __str__(self) -> str:
        return f"{self.source}:{self.line}: {shown_path(self.path)}: {self.message}"


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


def find_problems(document: YamlDocument) -> list[PolicyProblem]:
    """Every schema and consistency problem in a parsed policy, in file order."""
    problems = [
        PolicyProblem(document.path, line, path, "duplicate key; each key may appear once")
        for path, line in document.duplicate_keys
    ]
    if not problems and known_valid(document):
        # Validated before, unchanged since (by content, drift-gate and schema): only the
        # checks that depend on today's date or on the file system run again.
        problems = _waiver_problems(document, date.today()) + _dotenv_problems(document)
        return sorted(problems, key=lambda problem: (problem.line, str(problem.path)))
    problems.extend(_schema_problems(document))
    problems.extend(_shape_problems(document))
    if not problems:
        problems.extend(_consistency_problems(document))
    if not problems:
        remember_valid(document)
        problems.extend(_waiver_problems(document, date.today()))
        problems.extend(_dotenv_problems(document))
    return sorted(problems, key=lambda problem: (problem.line, str(problem.path)))


def _dotenv_problems(document: YamlDocument) -> list[PolicyProblem]:
    """dotenv paths that leave the repository holding the policy (`..`, an absolute path,
    a symlink out of it): refused as Terraform's file() is, before anything reads them."""
    from drift_gate.repository import inside, repository_root

    problems: list[PolicyProblem] = []
    base = Path(document.path).parent
    repository: Path | None = None
    for env_name, environment in document.data["environments"].items():
        for index, service in enumerate(environment["services"]):
            for name, container in service["containers"].items():
                for number, relative in enumerate((container or {}).get("dotenv") or ()):
                    repository = repository or repository_root(base)
                    if inside(base / relative, repository) is not None:
                        continue
                    service_path = ("environments", env_name, "services", index)
                    path: JsonPath = (*service_path, "containers", name, "dotenv", number)
                    message = (
                        f"outside the repository ({repository}); a dotenv file is read only "
                        "inside the repository holding the policy, as Terraform's file() is"
                    )
                    problems.append(
                        PolicyProblem(document.path, document.line_of(path), path, message)
                    )
    return problems


def _validity_key(document: YamlDocument) -> str | None:
    """A name for "this content passed the schema and consistency checks of this drift-gate"."""
    from drift_gate._version import __version__
    from drift_gate.rules import RULES_BY_ID

    try:
        content = json.dumps(document.data, sort_keys=True, separators=(",", ":"))
        code = Path(__file__).read_bytes()
    except (TypeError, ValueError, OSError):  # keys YAML allows and JSON does not: no cache
        return None
    digest = hashlib.sha256(b"drift-gate-valid-policy-1\0" + __version__.encode())
    for part in (
        code,
        json.dumps(policy_schema(), sort_keys=True).encode(),
        " ".join(RULES_BY_ID).encode(),
        content.encode(),
    ):
        digest.update(len(part).to_bytes(8, "big") + part)
    return digest.hexdigest()


def _validity_entry(document: YamlDocument) -> Path | None:
    from drift_gate.cache import cache_root

    root, key = cache_root(), _validity_key(document)
    return root / "valid-policies" / key if root is not None and key is not None else None


def known_valid(document: YamlDocument) -> bool:
    entry = _validity_entry(document)
    return entry is not None and entry.is_file()


def remember_valid(document: YamlDocument) -> None:
    from drift_gate.cache import prune, write_entry

    entry = _validity_entry(document)
    if entry is not None:
        write_entry(entry.parent, entry.name, "valid\n")
        prune(entry.parent, 2000)


def _schema_problems(document: YamlDocument) -> list[PolicyProblem]:
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
        message = _ignore_message(specific.instance)
    else:
        message = expected(specific)
    if "propertyNames" in specific.schema_path:
        message = f"a key here: {message}"
    return PolicyProblem(document.path, document.line_of(path), path, message)


def _version_message(version: object) -> str:
    if isinstance(version, str) and version.strip() == "1":
        return "version must be the integer 1, not text: write `version: 1`"
    return "unsupported policy version; this drift-gate reads version 1 (`version: 1`)"


def _ignore_message(rule_id: object) -> str:
    from drift_gate.rules import RULES_BY_ID

    if isinstance(rule_id, str) and rule_id.upper().startswith("DG9"):
        return (
            "DG9xx cannot be ignored: it means drift-gate could not verify a link, "
            "and it fails closed"
        )
    known = ", ".join(sorted(r for r in RULES_BY_ID if not r.startswith("DG9")))
    return f"not a rule id that can be ignored; known: {known}"


def _consistency_problems(document: YamlDocument) -> list[PolicyProblem]:
    """What the schema cannot say: names declared twice, services listed twice."""
    problems: list[PolicyProblem] = []
    for env_name, environment in document.data["environments"].items():
        first_line: dict[tuple[str, str], int] = {}
        for index, service in enumerate(environment["services"]):
            service_path: JsonPath = ("environments", env_name, "services", index)
            key = (service.get("cluster", ""), service.get("service") or repr(service["match"]))
            line = document.line_of(service_path)
            if key in first_line and "match" not in service:
                # The names are the file's values: the line of the first listing says which.
                message = f"this cluster and service are listed already (line {first_line[key]})"
                problems.append(PolicyProblem(document.path, line, service_path, message))
            first_line.setdefault(key, line)
            for container_name, container in service["containers"].items():
                container_path = (*service_path, "containers", container_name)
                problems.extend(_container_name_problems(document, container_path, container))
            problems.extend(_service_problems(document, service_path, service))
    return problems


def _shape_problems(document: YamlDocument) -> list[PolicyProblem]:
    """Entries that name neither one service nor a selection (beside the schema's errors,
    which cannot say "this or that" in one line)."""
    problems: list[PolicyProblem] = []
    environments = document.data.get("environments") if isinstance(document.data, dict) else None
    for env_name, environment in (
        (environments or {}).items() if isinstance(environments, dict) else ()
    ):
        services = environment.get("services") if isinstance(environment, dict) else None
        for index, service in enumerate(services if isinstance(services, list) else ()):
            shape = _entry_shape_problem(service) if isinstance(service, dict) else None
            if shape is not None:
                path: JsonPath = ("environments", env_name, "services", index)
                problems.append(PolicyProblem(document.path, document.line_of(path), path, shape))
    return problems


def _waiver_problems(document: YamlDocument, today: date) -> list[PolicyProblem]:
    """Dates that are not dates, expiries beyond the horizon, rules that do not exist.

    An expiry in the past is not a problem of the file: it is an expired waiver, which the
    check reports as an error of its own (DG701) so the gate fails where it should.
    """
    from drift_gate.rules import RULES_BY_ID

    limits = document.data.get("waiver_limits") or {}
    max_days = limits.get("max_days", WaiverLimits().max_days)
    problems: list[PolicyProblem] = []
    for index, waiver in enumerate(document.data.get("waivers") or ()):
        path: JsonPath = ("waivers", index)
        if waiver["rule"] not in RULES_BY_ID:
            problems.append(
                PolicyProblem(
                    document.path,
                    document.line_of((*path, "rule")),
                    (*path, "rule"),
                    "not a rule id; `drift-gate rules` lists them",
                )
            )
        try:
            expires = date.fromisoformat(waiver["expires"])
        except ValueError:
            message = "expires is not a date that exists (YYYY-MM-DD)"
        else:
            horizon = today + timedelta(days=max_days)
            if expires <= horizon:
                continue
            message = (
                f"expires more than {max_days} days ahead (after {horizon}); "
                "choose an earlier date, or raise waiver_limits.max_days"
            )
        where = (*path, "expires")
        problems.append(PolicyProblem(document.path, document.line_of(where), where, message))
    return problems


def _entry_shape_problem(service: dict[str, Any]) -> str | None:
    """A service entry names one service (`cluster` and `service`) or selects (`match`)."""
    if "match" in service:
        if "service" in service or "cluster" in service:
            return (
                "give `match` or `cluster` and `service`, not both; to select within a "
                "cluster, write `match: {cluster: NAME, ...}`"
            )
        return None
    if "service" not in service or "cluster" not in service:
        missing = "service" if "cluster" in service else "cluster"
        if "service" not in service and "cluster" not in service:
            return "give `cluster` and `service` (one service), or `match` (services by glob/tags)"
        return f"'{missing}' is a required property (or use `match` to select services)"
    return None


def _service_problems(
    document: YamlDocument, service_path: JsonPath, service: dict[str, Any]
) -> list[PolicyProblem]:
    """Ignored rule ids that exist, and a log window that is a real duration."""
    from drift_gate.rules import RULES_BY_ID

    problems: list[PolicyProblem] = []
    for index, rule_id in enumerate(service.get("ignore", [])):
        if rule_id not in RULES_BY_ID:
            path = (*service_path, "ignore", index)
            line = document.line_of(path)
            problems.append(PolicyProblem(document.path, line, path, _ignore_message(rule_id)))
    for index, request in enumerate(service.get("smoke") or ()):
        if request["url"].startswith("http://") and not request.get("allow_http"):
            host = urllib.parse.urlsplit(request["url"]).hostname or ""
            if not is_loopback(host):
                path = (*service_path, "smoke", index, "url")
                message = (
                    "plain http:// is allowed only to this machine (127.0.0.1, localhost, ::1); "
                    "use https://, or add `allow_http: true` to this request"
                )
                problems.append(PolicyProblem(document.path, document.line_of(path), path, message))
    since = (service.get("logs") or {}).get("since", "deployment")
    if (
        since != "deployment"
        and LogPolicy(group="-", forbid=("-",), since=since).window_or_none() is None
    ):
        path = (*service_path, "logs", "since")
        message = "since is longer than CloudWatch Logs keeps events (10 years)"
        problems.append(PolicyProblem(document.path, document.line_of(path), path, message))
    return problems


def _container_name_problems(
    document: YamlDocument, container_path: JsonPath, container: dict[str, Any] | None
) -> list[PolicyProblem]:
    problems: list[PolicyProblem] = []
    seen: dict[str, tuple[str, int]] = {}
    for kind in ("secrets", "environment"):
        for index, entry in enumerate((container or {}).get(kind, [])):
            name = entry if isinstance(entry, str) else entry["name"]
            entry_path = (*container_path, kind, index)
            line = document.line_of(entry_path)
            if name in seen:
                first_kind, first_line = seen[name]
                where = "twice" if first_kind == kind else f"in both {first_kind} and {kind}"
                message = f"this name is declared {where} (line {first_line}); declare it once"
                problems.append(PolicyProblem(document.path, line, entry_path, message))
            seen.setdefault(name, (kind, line))
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
