"""Builders for AWS-shaped `terraform show -json` documents, following the documented format.

Providers cannot be downloaded here, so plans with aws_ecs_* resources are built from the
format documentation (internals/json-format): container_definitions is a JSON string
inside the JSON, unknown values are absent from `after` and marked in `after_unknown`,
sensitive values stay in `after` and are only marked in `after_sensitive`.
"""

from __future__ import annotations

import json
from typing import Any

ACCOUNT = "123456789012"
REGION = "us-east-1"


def secret_arn(name: str) -> str:
    return f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:hokusai/development/{name.lower()}-AbCdEf"


def container(
    name: str = "api",
    secrets: dict[str, str] | None = None,
    environment: dict[str, str] | None = None,
) -> dict[str, Any]:
    """One container definition as the AWS provider normalises it (camelCase keys)."""
    return {
        "name": name,
        "image": "hokusai/api:latest",
        "essential": True,
        "secrets": [{"name": k, "valueFrom": v} for k, v in (secrets or {}).items()],
        "environment": [{"name": k, "value": v} for k, v in (environment or {}).items()],
    }


def task_definition_values(family: str, containers: list[dict[str, Any]] | None) -> dict[str, Any]:
    values: dict[str, Any] = {
        "family": family,
        "cpu": "256",
        "memory": "512",
        "network_mode": "awsvpc",
        "execution_role_arn": f"arn:aws:iam::{ACCOUNT}:role/hokusai-api-execution",
    }
    if containers is not None:
        values["container_definitions"] = json.dumps(containers)
    return values


def change(
    address: str,
    kind: str,
    actions: list[str],
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    *,
    after_unknown: dict[str, Any] | None = None,
    after_sensitive: dict[str, Any] | bool | None = None,
) -> dict[str, Any]:
    module, _, _ = address.rpartition(f"{kind}.")
    entry: dict[str, Any] = {
        "address": address,
        "mode": "managed",
        "type": kind,
        "name": address.rsplit(".", 1)[-1].split("[", maxsplit=1)[0],
        "provider_name": "registry.terraform.io/hashicorp/aws",
        "change": {
            "actions": actions,
            "before": before,
            "after": after,
            "after_unknown": after_unknown or {},
            "before_sensitive": {},
            "after_sensitive": after_sensitive if after_sensitive is not None else {},
        },
    }
    if module:
        entry["module_address"] = module.rstrip(".")
    if "[" in address.rsplit(".", 1)[-1]:
        entry["index"] = json.loads(address.rsplit("[", 1)[1].rstrip("]"))
    if actions in (["delete", "create"], ["create", "delete"]):
        entry["action_reason"] = "replace_because_cannot_update"
    return entry


def without_address(entry: dict[str, Any]) -> dict[str, Any]:
    """A change as Terraform 1.0.x writes resource_drift: no `address`, only its parts."""
    return {key: value for key, value in entry.items() if key != "address"}


def deferred(entry: dict[str, Any], reason: str = "resource_config_unknown") -> dict[str, Any]:
    """A deferred_changes entry (format 1.2, `complete: false`): the reason and the change."""
    return {"reason": reason, "resource_change": entry}


def planned_resource(address: str, kind: str, values: dict[str, Any]) -> dict[str, Any]:
    return {
        "address": address,
        "mode": "managed",
        "type": kind,
        "name": address.rsplit(".", 1)[-1].split("[", maxsplit=1)[0],
        "provider_name": "registry.terraform.io/hashicorp/aws",
        "schema_version": 1,
        "values": values,
        "sensitive_values": {},
    }


def planned_from_change(entry: dict[str, Any]) -> dict[str, Any]:
    """The planned_values resource Terraform writes for a change: its `after` without the
    values after_unknown marks (left out, as unknown values are), none for a `forget`."""
    inner = entry["change"]
    unknown = inner.get("after_unknown")
    after = inner.get("after")
    resource = planned_resource(entry["address"], entry["type"], {})
    resource["mode"] = entry.get("mode", "managed")
    if after is None:
        del resource["values"]
    elif isinstance(unknown, dict):
        resource["values"] = {k: v for k, v in after.items() if unknown.get(k) is not True}
    elif unknown is not True:
        resource["values"] = dict(after)
    return resource


def service_config(name: str = "api", task_definition: str = "api") -> dict[str, Any]:
    """configuration.root_module.resources entry for `task_definition = aws_ecs_task_definition.X.arn`."""
    return {
        "address": f"aws_ecs_service.{name}",
        "mode": "managed",
        "type": "aws_ecs_service",
        "name": name,
        "provider_config_key": "aws",
        "expressions": {
            "task_definition": {
                "references": [
                    f"aws_ecs_task_definition.{task_definition}.arn",
                    f"aws_ecs_task_definition.{task_definition}",
                ]
            }
        },
    }


def plan(
    format_version: str = "1.2",
    *,
    resource_changes: list[dict[str, Any]] | None = None,
    resources: list[dict[str, Any]] | None = None,
    child_modules: list[dict[str, Any]] | None = None,
    config_resources: list[dict[str, Any]] | None = None,
    module_calls: dict[str, Any] | None = None,
    output_changes: dict[str, Any] | None = None,
    resource_drift: list[dict[str, Any]] | None = None,
    region: str | None = REGION,
    **top_level: Any,
) -> dict[str, Any]:
    """A whole plan document of the given format version. Each change that keeps its
    resource and is not among `resources` or `child_modules` is written in planned_values
    too, as Terraform writes it (its `after` without the values after_unknown marks)."""
    given = {r["address"] for r in resources or ()} | {
        r["address"] for m in child_modules or () for r in m.get("resources", ())
    }
    implied = [
        planned_from_change(entry)
        for entry in resource_changes or ()
        if "address" in entry
        and entry["address"] not in given
        and entry["change"]["actions"] != ["delete"]
    ]
    root_module: dict[str, Any] = {"resources": [*(resources or []), *implied]}
    # Each root-module service's resource block, as terraform writes the configuration: a
    # service not among config_resources has one without a task_definition reference.
    configured = {r["address"] for r in config_resources or ()}
    config_resources = [
        *(config_resources or []),
        *(
            {**service_config(r["name"]), "expressions": {}}
            for r in root_module["resources"]
            if r["type"] == "aws_ecs_service"
            and r.get("mode", "managed") == "managed"
            and r["address"].split("[")[0] not in configured
            and not r["address"].startswith("module.")
        ),
    ]
    if child_modules:
        root_module["child_modules"] = child_modules
    configuration: dict[str, Any] = {
        "root_module": {"resources": config_resources or [], "module_calls": module_calls or {}}
    }
    if region:
        configuration["provider_config"] = {
            "aws": {
                "name": "aws",
                "full_name": "registry.terraform.io/hashicorp/aws",
                "expressions": {"region": {"constant_value": region}},
            }
        }
    document: dict[str, Any] = {
        "format_version": format_version,
        "terraform_version": {"0.1": "0.15.5", "1.0": "1.1.9", "1.2": "1.11.4"}.get(
            format_version, "1.11.4"
        ),
        "planned_values": {"root_module": root_module},
        "resource_changes": resource_changes or [],
        "configuration": configuration,
    }
    if output_changes is not None:
        document["output_changes"] = output_changes
    if resource_drift is not None and format_version != "0.1":
        document["resource_drift"] = resource_drift
    if format_version == "1.2":
        document.update(applyable=bool(resource_changes), complete=True, errored=False)
    document.update(top_level)
    return document


INCIDENT_FAMILY = "hokusai-api-development"
INCIDENT_BEFORE = container(
    secrets={
        "DATABASE_HOST": secret_arn("DATABASE_HOST"),
        "MLFLOW_SERVER_URL": secret_arn("MLFLOW_SERVER_URL"),
    },
    environment={"LOG_LEVEL": "info"},
)
INCIDENT_AFTER = container(
    secrets={
        "DATABASE_HOST": secret_arn("DATABASE_HOST"),
        "MLFLOW_SERVER_URL": secret_arn("MLFLOW_SERVER_URL"),
        "HUGGINGFACE_API_KEY": secret_arn("HUGGINGFACE_API_KEY"),
    },
    environment={"LOG_LEVEL": "info"},
)


def incident_plan(format_version: str = "1.2") -> dict[str, Any]:
    """The incident: HUGGINGFACE_API_KEY added to the task definition, merged, not applied."""
    td = "aws_ecs_task_definition.api"
    service = "aws_ecs_service.api"
    service_values = {"name": INCIDENT_FAMILY, "cluster": "hokusai-development", "desired_count": 2}
    return plan(
        format_version,
        resource_changes=[
            change(
                td,
                "aws_ecs_task_definition",
                ["delete", "create"],
                task_definition_values(INCIDENT_FAMILY, [INCIDENT_BEFORE]),
                task_definition_values(INCIDENT_FAMILY, [INCIDENT_AFTER]),
                after_unknown={"arn": True, "revision": True},
            ),
            change(
                service,
                "aws_ecs_service",
                ["update"],
                {
                    **service_values,
                    "task_definition": f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/{INCIDENT_FAMILY}:1",
                },
                service_values,
                after_unknown={"task_definition": True},
            ),
        ],
        resources=[
            planned_resource(
                td,
                "aws_ecs_task_definition",
                task_definition_values(INCIDENT_FAMILY, [INCIDENT_AFTER]),
            ),
            planned_resource(service, "aws_ecs_service", service_values),
        ],
        config_resources=[service_config()],
    )
