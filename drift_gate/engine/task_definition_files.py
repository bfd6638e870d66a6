"""`check --offline --task-definition FILE`: a rendered task definition against the policy.

Before the file is registered: each name the policy (and its dotenv files) declares for a
container must be in that container of the file, as a secret where declared so; a pinned
valueFrom must match (a template placeholder is not compared); no credential may sit in a
plain variable; a file with the task level must name an execution role when it has secrets.
The same rules as the live check (DG101-DG107, DG207, DG307), pointing at the file.
No AWS client, no terraform.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path

from drift_gate.checks.cloudformation import unidentified_container
from drift_gate.checks.credentials import check_credentials
from drift_gate.checks.execution_role import no_execution_role
from drift_gate.checks.findings import ServiceContext
from drift_gate.checks.variables import Candidate, check_container, no_container
from drift_gate.engine.offline import declared_service, requirements
from drift_gate.engine.outcome import ServiceResult, apply_ignores, build_report, utc_now
from drift_gate.engine.waivers import apply_waivers
from drift_gate.errors import InvalidInputError
from drift_gate.model import FailOn, Finding, Report
from drift_gate.policy import EnvironmentPolicy, Policy, ServicePolicy, select_environments
from drift_gate.sources.task_definition_file import TaskDefinitionFile, read_task_definition_file


def pair_files(
    policy: Policy, environment: str | None, files: Sequence[Path], services: Sequence[str]
) -> list[tuple[Path, EnvironmentPolicy, ServicePolicy]]:
    """Each file with the policy service it is for: --service in the same order, or the
    policy's only service. Anything else is a usage error naming the choices."""
    declared = [
        (env, service)
        for env in select_environments(policy, environment)
        for service in env.services
    ]
    if not services:
        if len(declared) != 1:
            names = ", ".join(sorted({service.service for _, service in declared})) or "none"
            raise InvalidInputError(
                f"the policy declares {len(declared)} services ({names}): give --service for "
                "each --task-definition, in the same order"
            )
        return [(path, *declared[0]) for path in files]
    if len(services) != len(files):
        raise InvalidInputError(
            f"{len(files)} --task-definition and {len(services)} --service given: give one "
            "--service per --task-definition, in the same order"
        )
    pairs = []
    for path, name in zip(files, services, strict=True):
        matching = [(env, service) for env, service in declared if service.service == name]
        if not matching:
            names = ", ".join(sorted({service.service for _, service in declared}))
            raise InvalidInputError(
                f"--service {name} is not in the policy (it declares: {names}); "
                "`match:` entries are resolved live only"
            )
        if len(matching) > 1:
            raise InvalidInputError(
                f"--service {name} is declared in several environments; add --environment"
            )
        pairs.append((path, *matching[0]))
    return pairs


def check_task_definition_files(
    policy: Policy,
    pairs: Sequence[tuple[Path, EnvironmentPolicy, ServicePolicy]],
    fail_on: FailOn,
    clock: Callable[[], datetime] = utc_now,
) -> Report:
    """Each file against its service's declarations; one report for all of them."""
    started = clock()
    results = [
        _check_file(read_task_definition_file(path), environment, service)
        for path, environment, service in pairs
    ]
    waived = apply_waivers(results, policy, started.date())
    sources = ", ".join(str(path) for path, _, _ in pairs)
    report = build_report(waived, fail_on, started, clock(), policy.source, {}, sources)
    return report.model_copy(update={"offline": True})


# A file may hold thousands of containers: a message names a few, and says how many more.
_NAMES_SHOWN = 10


def _some_names(names: list[str]) -> str:
    shown = ", ".join(names[:_NAMES_SHOWN])
    more = len(names) - _NAMES_SHOWN
    return f"{shown} and {more} more" if more > 0 else shown


def _check_file(
    file: TaskDefinitionFile, environment: EnvironmentPolicy, service: ServicePolicy
) -> ServiceResult:
    target, checked = declared_service(environment, service)
    context = ServiceContext(target, deployed_task_definition=file.source)
    findings: list[Finding] = []
    unknown = next((c for c in file.containers if not c.name_known), None)
    for declared in service.containers:
        found = file.container(declared.name)
        words = f"task definition file {file.source}"
        if found is None and unknown is not None:
            why = "known only at deploy time (a CloudFormation intrinsic)"
            findings.append(
                unidentified_container(context, declared.name, words, file.location(unknown), why)
            )
            continue
        if found is None:
            present = _some_names([c.names.name for c in file.containers])
            findings.append(
                no_container(context, declared.name, words, file.location(), present=present)
            )
            continue
        candidate = Candidate(
            words=f"task definition file {file.source} ({found.json_path})",
            at=file.location(found),
            undeclared_words="which neither the policy nor a dotenv file requires",
            unreadable=file.location(found) if found.unresolved else None,
        )
        findings += check_container(
            context, requirements(declared), found.names, candidate=candidate
        )
    declared_plain = {c.name: frozenset(v.name for v in c.environment) for c in service.containers}
    findings += [
        finding.model_copy(
            update={"declared_in": file.location(file.container(finding.target.container or ""))}
        )
        for finding in check_credentials(
            context, [c.names for c in file.containers if c.name_known], declared_plain
        )
    ]
    secrets = [s.name for c in file.containers for s in c.names.secrets]
    if secrets and file.has_execution_role is False:
        where = f"task definition file {file.source}"
        findings.append(no_execution_role(context, where, secrets, file.location()))
    checked = checked.model_copy(update={"deployed_task_definition": file.source})
    return ServiceResult(checked, apply_ignores(findings, service.ignore))
