"""`check --offline --cfn-template FILE [--service NAME]`: a CloudFormation template's
containers against the policy, before deploy, as task-definition files are checked.

Each name the policy (and its dotenv files) declares for a container must be in that
container of the template's task definition (DG101-DG104, DG107, DG207), no credential may
sit in a plain variable (DG105/DG106), a task with secrets must name an execution role
(DG307). What the template knows only at deploy time is never a pass: a required name not
read where an entry is unresolved is DG903 (sources/cfn_intrinsics.py says what resolves).
No AWS client.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

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
from drift_gate.sources.cfn_template import (
    EXPRESS,
    EXPRESS_CONTAINER,
    Template,
    TemplateService,
    TemplateTaskDefinition,
    read_parameters,
    read_template,
)

if TYPE_CHECKING:
    from drift_gate.engine.entry import OfflineRequest

PolicyService = tuple[EnvironmentPolicy, ServicePolicy]


@dataclass(frozen=True)
class TemplatePair:
    """A task definition of a template, and the policy service it is checked against."""

    template: Template
    service: TemplateService | None
    task: TemplateTaskDefinition
    environment: EnvironmentPolicy
    policy_service: ServicePolicy

    def words(self) -> str:
        service = self.service
        via = f"service {service.logical_id} -> " if service and service.kind != EXPRESS else ""
        return f"{self.template.source} ({via}{self.task.logical_id})"


def check_templates(
    policy: Policy,
    environment: str | None,
    files: Sequence[Path],
    services: Sequence[str],
    fail_on: FailOn,
    express_container: str = EXPRESS_CONTAINER,
    parameters: Path | None = None,
    stack: str | None = None,
    clock: Callable[[], datetime] = utc_now,
) -> Report:
    """Each template's task definitions against the policy services they are for."""
    started = clock()
    given = read_parameters(parameters) if parameters else None
    pseudo = {"AWS::StackName": stack} if stack else None
    templates = [read_template(path, express_container, pseudo, given) for path in files]
    declared = [
        (env, service)
        for env in select_environments(policy, environment)
        for service in env.services
    ]
    pairs = pair_templates(templates, declared, services)
    results = [_check_pair(pair, _checked(pair, express_container)) for pair in pairs]
    waived = apply_waivers(results, policy, started.date())
    report = build_report(
        waived, fail_on, started, clock(), policy.source, {}, _sources(pairs, express_container)
    )
    return report.model_copy(update={"offline": True})


def _sources(pairs: Sequence[TemplatePair], express_container: str) -> str:
    """What was checked (the report's `plan`): each template and what was paired."""
    return "CloudFormation: " + "; ".join(_checked(pair, express_container) for pair in pairs)


def _checked(pair: TemplatePair, express_container: str) -> str:
    """A pair in words, with the Express container's name used and the parts not known
    before deploy (the service's `running` line shows it)."""
    parts = [pair.words()]
    if pair.task.kind == EXPRESS:
        parts.append(f"Express Mode's primary container named {express_container}")
    unresolved = [f"{at} ({words})" for c in pair.task.containers for at, words in c.unresolved]
    if unresolved:
        more = f" and {len(unresolved) - 3} more" if len(unresolved) > 3 else ""
        parts.append("unresolved until deploy: " + ", ".join(unresolved[:3]) + more)
    return "; ".join(parts)


def pair_templates(
    templates: Sequence[Template], declared: Sequence[PolicyService], wanted: Sequence[str]
) -> list[TemplatePair]:
    """--service [FILE:]NAME[=POLICY_SERVICE] (a logical id or ServiceName of a template's
    service or task definition; FILE: the --cfn-template it is in; POLICY_SERVICE: the
    policy service it is, when not NAME) for each pair, every template named by one;
    without it, the one task definition of the templates and the one service of the policy,
    else each template service paired with the one policy service of its ServiceName.
    A bare name in several templates, a template no --service names, a template service
    with no or several policy services: exit 2, never left unchecked."""
    if wanted:
        pairs = [_pair_named(templates, declared, name) for name in wanted]
        _every_template_named(templates, pairs)
        return pairs
    tasks = [(t, task) for t in templates for task in t.task_definitions.values()]
    if len(tasks) == 1 and len(declared) == 1:
        template, only = tasks[0]
        runs = next((s for s in template.services if s.task_definition == only.logical_id), None)
        return [TemplatePair(template, runs, only, *declared[0])]
    pairs = []
    for template in templates:
        for service in template.services:
            task = template.task_definitions.get(service.task_definition or "")
            if task is not None:
                match = _policy_services(service, declared)
                pairs.append(TemplatePair(template, service, task, *match))
    if pairs:
        _every_template_named(templates, pairs)
        return pairs
    raise InvalidInputError(
        f"cannot tell which of the templates' services to check against which policy service "
        f"(the templates have: {_choices(templates)}): give --service for each"
    )


def _policy_services(service: TemplateService, declared: Sequence[PolicyService]) -> PolicyService:
    """The one policy service a template service is (by its ServiceName); exit 2 otherwise."""
    ask = "give --service LOGICAL_ID (or FILE:LOGICAL_ID) for each service to check"
    if service.service_name is None:
        raise InvalidInputError(
            f"{service.at}: template service {service.logical_id} has no ServiceName "
            f"(CloudFormation names it at deploy), so no policy service is known to be it: {ask}"
        )
    match = [d for d in declared if d[1].service == service.service_name]
    if len(match) == 1:
        return match[0]
    if not match:
        raise InvalidInputError(
            f"{service.at}: template service {service.logical_id} (ServiceName "
            f"{service.service_name}) is no service of the policy: declare it, or {ask}"
        )
    environments = ", ".join(sorted({d[0].name for d in match}))
    raise InvalidInputError(
        f"{service.at}: template service {service.logical_id} (ServiceName "
        f"{service.service_name}) is a service of several policy environments "
        f"({environments}): give --environment ENV"
    )


def _every_template_named(templates: Sequence[Template], pairs: Sequence[TemplatePair]) -> None:
    """Each --cfn-template is checked: a template no pair is of (no --service names it, or
    none of its services is a policy service) is exit 2, never left unread."""
    named = {id(pair.template) for pair in pairs}
    left = next((t for t in templates if id(t) not in named), None)
    if left is not None:
        raise InvalidInputError(
            f"--cfn-template {left.source}: no service of it is checked (it has: "
            f"{_choices([left])}); give --service {left.source}:NAME for each service to "
            "check, or leave the template out"
        )


def _scope(templates: Sequence[Template], name: str) -> tuple[Sequence[Template], str]:
    """FILE:NAME -> the template given as FILE, and NAME; a bare NAME -> every template.
    (No logical id or ECS service name holds a ':' or a '='.)"""
    if ":" not in name:
        return templates, name
    file, bare = name.rsplit(":", 1)
    found = [t for t in templates if t.source == file or Path(t.source) == Path(file)]
    if not found or not bare:
        given = ", ".join(t.source for t in templates)
        raise InvalidInputError(
            f"--service {name}: {file} is none of the --cfn-template files ({given}); "
            "give --service FILE:NAME with FILE as given to --cfn-template"
        )
    return found[:1], bare


def _pair_named(
    templates: Sequence[Template], declared: Sequence[PolicyService], option: str
) -> TemplatePair:
    file, colon, tail = option.rpartition(":")  # FILE may hold ':' and '=', NAME neither
    bare, _, policy_name = tail.partition("=")
    spec = file + colon + bare
    scope, name = _scope(templates, spec)
    holding = [t for t in scope if t.find(name) is not None]
    if len(holding) > 1:
        raise InvalidInputError(
            f"--service {name} is in several templates ({', '.join(t.source for t in holding)}): "
            f"give --service FILE:{name}, FILE the --cfn-template it is checked in"
        )
    service = next(
        (s for t in scope for s in t.services if name in (s.logical_id, s.service_name)), None
    )
    if not holding and service is not None:
        raise InvalidInputError(
            f"--service {option}: {service.at}: the service runs no task definition of the "
            f"templates ({service.task_definition_words or 'a task definition not given'}); "
            "give the template that declares it"
        )
    found = holding[0].find(name) if holding else None
    if found is None:
        raise InvalidInputError(
            f"--service {option} is no service or task definition of the templates "
            f"(they have: {_choices(scope)})"
        )
    service, task = found
    names = {
        name,
        service.logical_id if service else name,
        (service and service.service_name) or name,
    }
    if policy_name:
        names = {policy_name}
    match = [d for d in declared if d[1].service in names]
    if not match and len(declared) == 1 and not policy_name:
        match = list(declared)
    if len(match) != 1:
        shown = ", ".join(sorted({d[1].service for d in declared})) or "none"
        raise InvalidInputError(
            f"--service {option}: the policy declares {'no' if not match else 'several'} service "
            f"named so (it declares: {shown}); name the policy service as the template's "
            "ServiceName or logical id, or add --environment"
        )
    return TemplatePair(holding[0], service, task, *match[0])


def _choices(templates: Sequence[Template]) -> str:
    names = sorted(
        {s.logical_id for t in templates for s in t.services}
        | {d for t in templates for d in t.task_definitions}
    )
    shown = ", ".join(names[:10]) + (f" and {len(names) - 10} more" if len(names) > 10 else "")
    return shown or "no ECS service or task definition"


def _check_pair(pair: TemplatePair, checked_words: str) -> ServiceResult:
    target, checked = declared_service(pair.environment, pair.policy_service)
    context = ServiceContext(target, deployed_task_definition=pair.words())
    task, words = pair.task, f"CloudFormation template {pair.words()}"
    findings: list[Finding] = []
    unknown = next((c for c in task.containers if c.name is None), None)
    for declared in pair.policy_service.containers:
        found = task.container(declared.name)
        if found is None and unknown is not None:
            why = unknown.name_words
            findings.append(unidentified_container(context, declared.name, words, unknown.at, why))
            continue
        if found is None:
            present = ", ".join(c.name or "?" for c in task.containers)
            findings.append(no_container(context, declared.name, words, task.at, present=present))
            continue
        candidate = Candidate(
            words=f"{words}, {found.json_path}",
            at=found.at,
            secret_at=found.secret_at,
            plain_at=found.plain_at,
            unreadable=found.unresolved[0][0] if found.unresolved else None,
            undeclared_words="which neither the policy nor a dotenv file requires",
        )
        findings += check_container(
            context, requirements(declared), found.names, candidate=candidate
        )
    findings += _credentials(context, pair)
    secrets = [s.name for c in task.containers for s in c.names.secrets]
    if not secrets and any(c.has_secrets_key for c in task.containers):
        secrets = ["names unresolved until deploy"]
    if secrets and not task.has_execution_role:
        findings.append(no_execution_role(context, words, secrets, task.at))
    checked = checked.model_copy(update={"deployed_task_definition": checked_words})
    return ServiceResult(checked, apply_ignores(findings, pair.policy_service.ignore))


def _credentials(context: ServiceContext, pair: TemplatePair) -> list[Finding]:
    """Credentials in plain variables, each pointing at its entry in the template."""
    known = {c.name: c for c in pair.task.containers if c.name is not None}
    declared_plain = {
        c.name: frozenset(v.name for v in c.environment) for c in pair.policy_service.containers
    }
    return [
        finding.model_copy(
            update={
                "declared_in": known[finding.target.container or ""].plain_at.get(
                    finding.target.variable or ""
                )
                or pair.task.at
            }
        )
        for finding in check_credentials(context, [c.names for c in known.values()], declared_plain)
    ]


def check_offline(policy: Policy, request: OfflineRequest, files: Sequence[Path]) -> Report:
    """The side's offline entry (declared_sides.py): the request's templates and settings."""
    settings = dict(request.declared_settings)
    return check_templates(
        policy,
        request.environment,
        files,
        request.services,
        request.fail_on,
        settings.get("express_container") or EXPRESS_CONTAINER,
        Path(settings["cfn_parameters"]) if settings.get("cfn_parameters") else None,
        settings.get("stack"),
    )
