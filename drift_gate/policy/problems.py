"""Every problem of a parsed policy: the schema's (schema.py), then what the schema cannot
say (names declared twice, services listed twice, entries that are neither one service nor
a selection, plain http to another machine, windows longer than CloudWatch keeps), then
waivers and dotenv paths, which depend on today's date and the file system.

This module decides validity: the validity cache (validity.py) is keyed on its bytes.
"""

from __future__ import annotations

import urllib.parse
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from drift_gate.model.declared import LogPolicy
from drift_gate.policy.models import PolicyProblem, WaiverLimits
from drift_gate.policy.schema import ignore_message, schema_problems
from drift_gate.policy.validity import known_valid, remember_valid
from drift_gate.yamlfile import JsonPath, YamlDocument


def find_problems(document: YamlDocument) -> list[PolicyProblem]:
    """Every schema and consistency problem in a parsed policy, in file order."""
    problems = [
        PolicyProblem(document.path, line, path, "duplicate key; each key may appear once")
        for path, line in document.duplicate_keys
    ]
    if not problems and known_valid(document):
        # Validated before, unchanged since: same content, same drift-gate, same schema and
        # the same bytes of every module that decides validity (validity.py says which).
        # Only the checks that depend on today's date or on the file system run again.
        problems = _waiver_problems(document, date.today()) + _dotenv_problems(document)
        return sorted(problems, key=lambda problem: (problem.line, str(problem.path)))
    problems.extend(schema_problems(document))
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


def is_loopback(host: str) -> bool:
    """This machine: where plain http cannot be read on the way (an address parsed, never a
    prefix of text: drift_gate/http_client.py)."""
    from drift_gate.http_client import is_loopback as parsed

    return parsed(host)


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
            problems.append(PolicyProblem(document.path, line, path, ignore_message(rule_id)))
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
