"""Loading a Terraform root and its local modules, with their scopes and instances."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from drift_gate.errors import InvalidInputError
from drift_gate.sources.hcl.declarations import TerraformDeclarations
from drift_gate.sources.hcl.ecs import cluster_name, services, task_definitions
from drift_gate.sources.hcl.evaluate import CONTAINER_MODULES, Scope, evaluate
from drift_gate.sources.hcl.tree import Block, parse_file
from drift_gate.sources.hcl.values import (
    MAX_INSTANCES,
    MAX_MODULE_DEPTH,
    MAX_MODULES,
    Budget,
    Result,
    Unresolved,
    Value,
    repository_root,
    scalar_text,
)


def _instance_key(key: Any) -> str:
    return f"[{key}]" if isinstance(key, int) else f'["{key}"]'


@dataclass
class Module:
    """One module directory: its blocks, and the scope its expressions are evaluated in."""

    directory: Path
    address: str
    blocks: list[Block]
    scope: Scope

    @classmethod
    def load(
        cls,
        directory: Path,
        address: str,
        inputs: Mapping[str, Result],
        root: Path,
        budget: Budget,
    ) -> Module:
        # Every .tf file resolves inside the repository (a symlink out of it is exit 2).
        blocks = [
            block
            for path in sorted(directory.glob("*.tf"))
            for block in parse_file(path, budget.repository)
        ]
        scope = Scope(directory, root, budget=budget)
        for block in blocks:
            if block.kind == "module" and len(block.labels) == 1:
                scope.module_calls[block.labels[0]] = block
            if block.kind == "locals":
                for name, expression in block.attributes().items():
                    scope.locals[name] = expression
                    scope.local_files[name] = block.file
        for block in blocks:
            if block.kind == "variable" and block.labels:
                name = block.labels[0]
                default = block.attributes().get("default")
                scope.variables[name] = inputs.get(name) or (
                    evaluate(default, scope, block.file) if default else None
                )
        return cls(directory, address, blocks, scope)

    def prefix(self, local: str) -> str:
        return f"{self.address}.{local}" if self.address else local


def load_declarations(root: Path) -> TerraformDeclarations:
    """Every aws_ecs_task_definition and aws_ecs_service under `root`, local modules included."""
    if not root.is_dir():
        raise InvalidInputError(f"{root}: not a directory; give --terraform-dir a Terraform folder")
    declarations = TerraformDeclarations()
    budget = Budget(repository_root(root))
    _load_module(Module.load(root, "", {}, root, budget), declarations, (root.resolve(),))
    return declarations


def _load_module(
    module: Module, declarations: TerraformDeclarations, ancestors: tuple[Path, ...]
) -> None:
    for block in module.blocks:
        if block.kind == "resource" and block.labels[:1] == ["aws_ecs_task_definition"]:
            instances = _instances(module, block)
            declarations.task_definitions.extend(task_definitions(block, instances, module.prefix))
        elif block.kind == "resource" and block.labels[:1] == ["aws_ecs_service"]:
            declarations.services.extend(services(block, _instances(module, block), module.prefix))
        elif block.kind == "resource" and block.labels[:1] == ["aws_ecs_cluster"]:
            _cluster(module, block, declarations)
        elif block.kind == "provider" and block.labels == ["aws"] and not module.address:
            region = block.attributes().get("region")
            known = scalar_text(evaluate(region, module.scope, block.file)) if region else None
            if known is not None:
                declarations.provider_regions.append(known)
        elif block.kind == "module" and len(block.labels) == 1:
            _load_child(module, block, declarations, ancestors)


def _cluster(module: Module, block: Block, declarations: TerraformDeclarations) -> None:
    """A single aws_ecs_cluster's name (one with count or for_each is several: not kept)."""
    name = cluster_name(block, module.scope)
    several = {"count", "for_each"} & set(block.attributes())
    if name is not None and len(block.labels) == 2 and not several:
        declarations.clusters[module.prefix(f"aws_ecs_cluster.{block.labels[1]}")] = name


def _load_child(
    module: Module, block: Block, declarations: TerraformDeclarations, ancestors: tuple[Path, ...]
) -> None:
    attributes = block.attributes()
    name = module.prefix(f"module.{block.labels[0]}")
    source = (
        evaluate(attributes["source"], module.scope, block.file) if "source" in attributes else None
    )
    if isinstance(source, Value) and str(source.value) in CONTAINER_MODULES:
        return  # a container-definition module: its names are read from the call itself
    if not isinstance(source, Value) or not str(source.value).startswith(("./", "../")):
        shown = f"source {source.value}" if isinstance(source, Value) else "its source"
        _not_read(declarations, f"{name} ({shown} is not on disk)", block)
        return
    directory = (module.directory / str(source.value)).resolve()
    budget = module.scope.budget
    if not directory.is_relative_to(budget.repository):
        _not_read(
            declarations, f"{name} (its source {source.value} is outside the repository)", block
        )
        return
    if directory in ancestors:
        _not_read(declarations, f"{name} (its source {source.value} includes itself)", block)
        return
    if len(ancestors) > MAX_MODULE_DEPTH or budget.modules >= MAX_MODULES:
        _not_read(declarations, f"{name} (past {MAX_MODULES} modules or 10 levels)", block)
        return
    budget.modules += 1
    inputs = {
        name: evaluate(expression, module.scope, block.file)
        for name, expression in attributes.items()
        if name not in ("source", "version", "providers", "count", "for_each", "depends_on")
    }
    child = Module.load(directory, name, inputs, module.scope.root, budget)
    _load_module(child, declarations, (*ancestors, directory))


def _not_read(declarations: TerraformDeclarations, reason: str, block: Block) -> None:
    declarations.unresolved_modules.append(Unresolved(reason, block.file, block.line))


def _instances(module: Module, block: Block) -> list[tuple[str, Scope]]:
    """(address suffix, scope) for each instance: one, or one per for_each key or count index."""
    attributes = block.attributes()
    if "for_each" in attributes:
        keys = evaluate(attributes["for_each"], module.scope, block.file)
        return _for_each_instances(module.scope, block, keys)
    if "count" in attributes:
        count = evaluate(attributes["count"], module.scope, block.file)
        return _count_instances(module.scope, block, count)
    return [("", module.scope)]


def _for_each_instances(scope: Scope, block: Block, keys: Result) -> list[tuple[str, Scope]]:
    def at(value: Any) -> Value:
        return Value(value, block.file, block.line)

    if isinstance(keys, Value) and isinstance(keys.value, dict | list):
        if len(keys.value) > MAX_INSTANCES:
            reason = f"over {len(keys.value):,} keys (more than {MAX_INSTANCES})"
            return [
                ("[*]", scope.bind(each=Unresolved(f"for_each {reason}", block.file, block.line)))
            ]
        if isinstance(keys.value, dict):
            return [
                (_instance_key(k), scope.bind(each=at({"key": at(k), "value": v})))
                for k, v in keys.value.items()
            ]
        return [
            (_instance_key(v.value), scope.bind(each=at({"key": v, "value": v})))
            for v in keys.value
            if isinstance(v, Value)
        ]
    reason = keys.reason if isinstance(keys, Unresolved) else "not a literal collection"
    return [("[*]", scope.bind(each=Unresolved(f"for_each ({reason})", block.file, block.line)))]


def _count_instances(scope: Scope, block: Block, count: Result) -> list[tuple[str, Scope]]:
    if isinstance(count, Value) and isinstance(count.value, int):
        if count.value <= MAX_INSTANCES:
            return [
                (
                    f"[{i}]",
                    scope.bind(
                        count=Value(
                            {"index": Value(i, block.file, block.line)}, block.file, block.line
                        )
                    ),
                )
                for i in range(count.value)
            ]
        count = Unresolved(
            f"count = {count.value:,} (more than {MAX_INSTANCES} instances)", block.file, block.line
        )
    reason = count.reason if isinstance(count, Unresolved) else "count (not a literal)"
    return [("[*]", scope.bind(count=Unresolved(reason, block.file, block.line)))]
