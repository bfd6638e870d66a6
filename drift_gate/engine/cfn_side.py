"""`check --cfn-template FILE`: a CloudFormation template as a declared side of the live
check (drift_gate/declared_sides.py). Each service of the template, matched to a running
service, must run containers that receive every name the template gives them.

Matching: by the cluster and service names the template itself gives (resolved where the
template knows them), or, with `--stack NAME`, by the stack's physical ids
(cloudformation:DescribeStackResources, sources/cfn_stack.py; this module is of the engine because
it builds findings through checks/). The report's header says
which. A service that cannot be matched is a finding (DG901), never left out.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from drift_gate.checks.cloudformation import (
    no_template_service,
    unmatched_template_service,
    unresolved_template_entry,
)
from drift_gate.checks.findings import ServiceContext
from drift_gate.errors import InvalidInputError
from drift_gate.model import (
    ContainerPolicy,
    Declared,
    DeclaredScope,
    DeclaredSecret,
    DeclaredVariable,
    EnvironmentPolicy,
    Finding,
    ServicePolicy,
    Target,
)
from drift_gate.references import UNRENDERED
from drift_gate.sources.aws import AwsClients
from drift_gate.sources.cfn_template import (
    EXPRESS,
    EXPRESS_CONTAINER,
    Template,
    TemplateContainer,
    TemplateService,
    TemplateTaskDefinition,
    read_parameters,
    read_template,
)

ENVIRONMENT = "cloudformation"


@dataclass(frozen=True)
class TemplateSource:
    """A template's services, declared for the live check."""

    path: Path
    stack: str | None = None
    express_container: str = EXPRESS_CONTAINER
    cfn_parameters: str | None = None  # a parameters file (--cfn-parameters)
    # Filled by declared(), read by the label after it: what the report's `plan` says beyond
    # the matching (the Express container's name used, the parts unresolved until deploy).
    # A list, so the frozen source can note it.
    notes: list[str] = field(default_factory=list, compare=False)

    @property
    def label(self) -> str:
        """The template, and how its services are matched to running ones (read after
        declared(): the report's `plan`)."""
        how = f"by stack {self.stack}'s physical ids" if self.stack else "by the names it gives"
        notes = "".join(f"; {note}" for note in self.notes)
        return f"{self.path} (CloudFormation; services matched {how}{notes})"

    def declared(self, scope: DeclaredScope) -> Declared:
        region = (
            scope.region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
        )
        if not region:
            raise InvalidInputError(
                f"{self.path}: cannot tell the AWS region of the services it declares; "
                "pass --region"
            )
        pseudo = {"AWS::Region": region, **({"AWS::StackName": self.stack} if self.stack else {})}
        given = read_parameters(Path(self.cfn_parameters)) if self.cfn_parameters else None
        template = read_template(self.path, self.express_container, pseudo, given)
        self.notes[:] = _notes(template, self.express_container)
        names: dict[str, tuple[str, str]] = {}
        if self.stack:
            from drift_gate.sources.cfn_stack import stack_services

            clients = scope.clients if isinstance(scope.clients, AwsClients) else None
            names = stack_services(self.stack, region, clients)
        services: list[ServicePolicy] = []
        findings: list[Finding] = []
        for service in template.services:
            declared, found = self._service(template, service, region, names)
            services += [declared] if declared else []
            findings += found
        if not template.services:
            context = ServiceContext(Target(environment=ENVIRONMENT, region=region))
            findings.append(no_template_service(context, template.source))
        environment = EnvironmentPolicy(name=ENVIRONMENT, region=region, services=tuple(services))
        return Declared((environment,) if services else (), tuple(findings))

    def _service(
        self,
        template: Template,
        service: TemplateService,
        region: str,
        physical: dict[str, tuple[str, str]],
    ) -> tuple[ServicePolicy | None, list[Finding]]:
        """The policy of one template service and a finding for each entry whose names are
        known only at deploy (never a pass), or the finding saying why it is not checked."""
        context = ServiceContext(
            Target(environment=ENVIRONMENT, region=region, resource=service.logical_id)
        )
        task = template.task_definitions.get(service.task_definition or "")
        if service.logical_id in physical:
            cluster, name = physical[service.logical_id]
        elif self.stack:
            why = f"stack {self.stack} has no physical id for it"
            return None, [
                unmatched_template_service(
                    context, service.logical_id, template.source, why, service.at
                )
            ]
        else:
            cluster, name = service.cluster_name or "", service.service_name or ""
        why = _why_not(service, task, cluster, name)
        if why:
            return None, [
                unmatched_template_service(
                    context, service.logical_id, template.source, why, service.at
                )
            ]
        assert task is not None  # noqa: S101 - _why_not said so
        containers = tuple(_container_policy(c) for c in task.containers if c.name is not None)
        unresolved = [
            unresolved_template_entry(context, c.name or "", template.source, at, words)
            for c in task.containers
            for at, words in c.unresolved_names
        ]
        policy = ServicePolicy(
            cluster=cluster, service=name, containers=containers, where=service.at
        )
        return policy, unresolved


def _why_not(
    service: TemplateService, task: TemplateTaskDefinition | None, cluster: str, name: str
) -> str:
    if task is None:
        return (
            f"its task definition is not one of this template's ({service.task_definition_words})"
        )
    if not name:
        return "its ServiceName is generated by CloudFormation or known only at deploy time"
    if not cluster:
        return "its Cluster is known only at deploy time"
    unnamed = [c.at for c in task.containers if c.name is None]
    if unnamed:
        return f"the container at {unnamed[0]} has a name known only at deploy time"
    return ""


def _container_policy(container: TemplateContainer) -> ContainerPolicy:
    names = container.names
    secrets = tuple(
        DeclaredSecret(
            name=s.name,
            value_from=None if s.value_from in (UNRENDERED, "") else s.value_from,
            where=container.secret_at.get(s.name, container.at),
        )
        for s in names.secrets
    )
    environment = tuple(
        DeclaredVariable(name=v.name, where=container.plain_at.get(v.name, container.at))
        for v in names.environment
        if v.name not in names.secret_names
    )
    return ContainerPolicy(name=container.name or "", secrets=secrets, environment=environment)


def _notes(template: Template, express_container: str) -> list[str]:
    """The Express container's name used, and the parts unresolved until deploy (a few)."""
    notes = []
    if any(service.kind == EXPRESS for service in template.services):
        notes.append(f"Express Mode's primary container named {express_container}")
    unresolved = [
        f"{at} ({words})"
        for task in template.task_definitions.values()
        for container in task.containers
        for at, words in container.unresolved
    ]
    if unresolved:
        more = f" and {len(unresolved) - 3} more" if len(unresolved) > 3 else ""
        notes.append("unresolved until deploy: " + ", ".join(unresolved[:3]) + more)
    return notes
