"""`drift-gate inventory --cfn-template FILE`: a template's services and containers, in the
inventory's Markdown: every name a container receives, secret or plain, the line declaring
it, what its valueFrom reads (a reference, or a secret this template declares), whether the
policy requires it, and what the template knows only at deploy time. Never a value.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from urllib.parse import quote

from drift_gate.policy import Policy
from drift_gate.references import UNRENDERED
from drift_gate.report.markdown_text import code, rich, text
from drift_gate.sources.cfn_template import (
    Template,
    TemplateContainer,
    TemplateTaskDefinition,
    read_template,
)


def templates_markdown(paths: Sequence[Path], policy: Policy | None, base: Path) -> str:
    """A section per task definition of each template (the service running it named)."""
    parts = []
    for path in paths:
        template = read_template(path)
        parts.append(f"\n## CloudFormation template {code(_relative(path, base))}\n")
        for task in template.task_definitions.values():
            parts.append(_section(template, task, policy, base))
        if not template.task_definitions:
            parts.append("\nNo AWS::ECS::TaskDefinition or Express service was found.\n")
        for logical_id, at in template.nested_stacks:
            parts.append(
                f"\nNested stack {code(logical_id)} ({_link(at, base)}): not followed; "
                "give its template with another --cfn-template.\n"
            )
    return "".join(parts)


def _section(
    template: Template, task: TemplateTaskDefinition, policy: Policy | None, base: Path
) -> str:
    service = next((s for s in template.services if s.task_definition == task.logical_id), None)
    named = service.service_name if service else None
    title = f"service {named}" if named else f"task definition {task.logical_id}"
    cluster = f" (cluster {service.cluster_name})" if service and service.cluster_name else ""
    lines = [f"\n### {text(title + cluster)}\n\n"]
    lines.append(f"{code(task.kind)} {code(task.logical_id)}, declared at {_link(task.at, base)}")
    lines.append(f"; run by service {code(service.logical_id)}.\n" if service else ".\n")
    for container in task.containers:
        name = container.name or f"? ({container.name_words})"
        lines.append(f"\n#### Container {code(name)}\n\n")
        lines.append(
            "| variable | kind | declared at | valueFrom | policy |\n|---|---|---|---|---|\n"
        )
        wanted = _wanted(policy, named, container.name)
        lines.extend(_rows(container, wanted, base))
    return "".join(lines)


def _wanted(policy: Policy | None, service: str | None, container: str | None) -> dict[str, str]:
    if policy is None or service is None:
        return {}
    for _, declared in policy.services:
        if declared.service == service:
            for wanted in declared.containers:
                if wanted.name == container:
                    return {s.name: "secret" for s in wanted.secrets} | {
                        v.name: "plain" for v in wanted.environment
                    }
    return {}


def _rows(container: TemplateContainer, wanted: dict[str, str], base: Path) -> Iterator[str]:
    here = set(container.declared_here)
    for secret in sorted(container.names.secrets, key=lambda s: s.name):
        reads = "declared in this template" if secret.name in here else secret.value_from
        reads = "known at deploy" if reads == UNRENDERED else reads
        at = _link(container.secret_at.get(secret.name, container.at), base)
        policy = wanted.get(secret.name, "no")
        name, reference = code(secret.name, in_table=True), code(reads, in_table=True)
        yield f"| {name} | secret | {at} | {reference} | {policy} |\n"
    for variable in sorted(container.names.environment, key=lambda v: v.name):
        at = _link(container.plain_at.get(variable.name, container.at), base)
        policy = wanted.get(variable.name, "no")
        yield f"| {code(variable.name, in_table=True)} | plain | {at} |  | {policy} |\n"
    for at, words in container.unresolved:
        yield f"| ? | unresolved | {_link(at, base)} | {rich(words, in_table=True)} |  |\n"


def _relative(path: Path, base: Path) -> str:
    return Path(os.path.relpath(path.resolve(), base.resolve())).as_posix()


def _link(at: str, base: Path) -> str:
    """`file:line` as a link relative to the output file (as the Terraform sections)."""
    file, _, line = at.rpartition(":")
    if not line.isdigit():
        return text(_relative(Path(at), base))
    relative = _relative(Path(file), base)
    return f"[{text(f'{relative}:{line}')}]({quote(relative, safe='/')}#L{line})"
