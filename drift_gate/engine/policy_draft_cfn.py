"""`drift-gate init --cfn-template FILE`: the ECS services of a CloudFormation template
(hand-written, `cdk synth`, `copilot svc package`, Express Mode), drafted with the reader
the check uses (sources/cfn_template.py). What the template knows only at deploy time (a
name from `Fn::ImportValue`, a parameter without a default, a condition) is a note, never a
required name; a service whose name CloudFormation generates is drafted under its logical
id, marked to be replaced, and checked offline with `--service LOGICAL_ID`.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from drift_gate.engine.policy_draft import DraftContainer, DraftService, draft_container, with_token

if TYPE_CHECKING:
    from drift_gate.sources.cfn_template import Template, TemplateService, TemplateTaskDefinition


def cfn_template_services(path: Path, parameters: Path | None = None) -> list[DraftService]:
    """Every AWS::ECS::Service and ExpressGatewayService of the template, with the containers
    of the task definition it runs; a task definition no service of the template runs is
    drafted under its logical id; a nested stack is named, not followed. `parameters`: the
    values a deploy passes (--cfn-parameters), over the template's defaults."""
    from drift_gate.sources.cfn_template import read_parameters, read_template

    given = read_parameters(parameters) if parameters is not None else None
    template = read_template(path, parameters=given)
    drafted = [_service(template, service) for service in template.services]
    run = {service.task_definition for service in template.services}
    for logical_id, task in template.task_definitions.items():
        if logical_id not in run:
            containers, notes = _containers(task)
            note = "no service of the template runs it: the entry is named after its logical id"
            origin = f"{logical_id} at {task.at}"
            drafted.append(
                DraftService(
                    logical_id,
                    None,
                    origin,
                    containers,
                    (note, *notes),
                    guessed_service=True,
                    check_as=logical_id,
                )
            )
    for logical_id, at in template.nested_stacks:
        note = "a nested stack: not followed; give its template with another --cfn-template"
        drafted.append(DraftService(None, None, f"{logical_id} at {at}", (), (note,)))
    return drafted


def distinct_services(
    templates: list[tuple[Path, list[DraftService]]],
) -> list[tuple[Path, list[DraftService]]]:
    """Services named after their logical id in several templates (every Copilot template's
    service is `Service`) renamed FILE_STEM-LOGICAL_ID (letters, digits, '-' and '_', as ECS
    names go; -N after it when two files share a stem), each checked as
    `FILE:LOGICAL_ID=NEW_NAME`: two templates never draft, nor check against, one entry."""
    keys = Counter((s.cluster, s.service) for _, found in templates for s in found if s.draftable)
    renamed = []
    for index, (path, found) in enumerate(templates):
        services = []
        for service in found:
            name = re.sub(r"[^A-Za-z0-9_-]+", "-", f"{path.stem}-{service.service}")
            name += f"-{index + 1}" if (service.cluster, name) in keys else ""  # a/x.yaml, b/x.yaml
            clash = service.guessed_service and keys[(service.cluster, service.service)] > 1
            check_as = f"{service.check_as}={name}"
            if clash:
                keys[(service.cluster, name)] += 1
            services.append(replace(service, service=name, check_as=check_as) if clash else service)
        renamed.append((path, services))
    return renamed


def _service(template: Template, service: TemplateService) -> DraftService:
    name = service.service_name or service.logical_id
    origin = f"{service.logical_id} at {service.at}"
    task = template.task_definitions.get(service.task_definition or "")
    if task is None:
        why = service.task_definition_words or "not one of the template's"
        note = f"its task definition is not one of the template's ({why})"
        return DraftService(name, service.cluster_name, origin, (), (note,))
    named = (
        []
        if service.service_name
        else [
            "CloudFormation names this service at deploy: the entry is named after its logical id"
        ]
    )
    containers, notes = _containers(task)
    notes.append(f"task definition {task.logical_id} at {task.at}")
    return DraftService(
        name,
        service.cluster_name,
        origin,
        containers,
        (*named, *notes),
        guessed_service=service.service_name is None,
        check_as=service.logical_id,
    )


def _containers(task: TemplateTaskDefinition) -> tuple[tuple[DraftContainer, ...], list[str]]:
    containers = []
    notes = []
    for container in task.containers:
        if container.name is None:
            words = container.name_words
            notes.append(
                f"a container named only at deploy ({words}) at {container.at}: not drafted"
            )
            continue
        names = container.names
        containers.append(
            draft_container(
                container.name,
                [(s.name, container.secret_at.get(s.name, container.at)) for s in names.secrets],
                [
                    (
                        v.name,
                        with_token(
                            container.plain_at.get(v.name, container.at), v.value_token_format
                        ),
                    )
                    for v in names.environment
                ],
                (f"{at}: {words}" for at, words in container.unresolved),
            )
        )
    return tuple(containers), notes
