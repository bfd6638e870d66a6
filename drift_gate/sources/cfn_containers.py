"""A container definition in CloudFormation's form (PascalCase, intrinsics) -> the ECS API's,
for both readers: the template reader and the task-definition file reader. Intrinsics are
resolved by sources/cfn_intrinsics.py, the one handling of them.

A plain value that is a secret or names one is marked with its format (DG106 then says so):
a Secrets Manager secret's ARN or a Ref to a secret of the template (the container receives
the ARN, not the secret), a `{{resolve:secretsmanager:...}}` dynamic reference or a NoEcho
parameter (CloudFormation writes the value into the task definition in clear text).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from drift_gate.model import ContainerVars
from drift_gate.sources.cfn_intrinsics import (
    NO_CONTEXT,
    NO_VALUE,
    PLACEHOLDER,
    DeclaredHere,
    Resolved,
    TemplateContext,
    Unresolved,
    choose,
    condition,
    intrinsic_name,
    references,
    resolve,
    text_or_none,
    words,
)


@dataclass(frozen=True)
class CfnContainer:
    """One `ContainerDefinitions` entry as the ECS API would have it (camelCase, every value
    text), with its name resolved or not and each part that is not known before deploy."""

    definition: dict[str, Any]
    name: Resolved
    # (path inside the container, e.g. ("Environment", 2), words): entries whose name may be
    # any (so a required name not found there is not verified), or whose file names unknown.
    unresolved: tuple[tuple[tuple[str | int, ...], str], ...] = ()
    declared_here: tuple[str, ...] = ()  # secrets read from a resource of this template
    # plain variables whose value is a secret's reference or a secret dynamic reference:
    # name -> the format, said in DG106 (the value itself is never kept)
    plain_secrets: Mapping[str, str] = field(default_factory=dict)

    def names(self, names: ContainerVars) -> ContainerVars:
        """`names` (read from `definition`) with the plain secrets' formats marked."""
        if not self.plain_secrets:
            return names
        environment = tuple(
            v.model_copy(update={"value_token_format": self.plain_secrets[v.name]})
            if v.name in self.plain_secrets and v.value_token_format is None
            else v
            for v in names.environment
        )
        return names.model_copy(update={"environment": environment})


# A plain value that is a secret, or names one: the container gets the ARN (not the secret),
# or CloudFormation writes the secret's value into the task definition in clear text.
_SECRET_ARN = re.compile(r"^arn:aws[a-z-]*:secretsmanager:[^:\s]*:[^:\s]*:secret:\S+$")
_SECRET_DYNAMIC = re.compile(r"\{\{resolve:(secretsmanager|ssm-secure):")
ARN_IN_PLAIN = "a Secrets Manager secret ARN (the container receives the ARN, not the secret)"
DYNAMIC_IN_PLAIN = (
    "a {{resolve:secretsmanager}} dynamic reference (CloudFormation writes the secret's value "
    "into the task definition)"
)


NO_ECHO_IN_PLAIN = (
    "a NoEcho parameter's value (CloudFormation writes it into the task definition in clear text)"
)


def plain_secret_format(raw: Any, value: Resolved, context: TemplateContext) -> str | None:
    """The format of a plain value that is a secret or names one, else None."""
    if any(_SECRET_DYNAMIC.search(text) for text in _texts(raw)):
        return DYNAMIC_IN_PLAIN
    if context.secret_parameters and references(raw) & context.secret_parameters:
        return NO_ECHO_IN_PLAIN
    if isinstance(value, DeclaredHere) and value.kind == "AWS::SecretsManager::Secret":
        return ARN_IN_PLAIN
    if isinstance(value, str) and _SECRET_ARN.match(value):
        return ARN_IN_PLAIN
    return None


def _texts(raw: Any, depth: int = 0) -> list[str]:
    """Every literal text inside a value, intrinsics included (`Fn::Sub`'s template, each
    part of an `Fn::Join`), and each `Fn::Join`'s text with its unknown parts masked: a
    `{{resolve:...}}` written through an intrinsic is found as a literal one is."""
    if isinstance(raw, str):
        return [raw]
    if depth > MAX_TEXT_DEPTH:
        return []
    values = raw.values() if isinstance(raw, dict) else raw if isinstance(raw, list) else ()
    found = [text for value in values for text in _texts(value, depth + 1)]
    join = raw.get("Fn::Join") if isinstance(raw, dict) else None
    if isinstance(join, list) and len(join) == 2 and isinstance(join[1], list):
        separator = join[0] if isinstance(join[0], str) else ""
        found.append(separator.join(p if isinstance(p, str) else "\0" for p in join[1]))
    return found


MAX_TEXT_DEPTH = 20


def cfn_container(item: dict[str, Any], context: TemplateContext = NO_CONTEXT) -> CfnContainer:
    """A CloudFormation container definition (PascalCase, intrinsics) -> the API's shape."""
    name = resolve(item.get("Name"), context) if "Name" in item else Unresolved("no Name")
    definition: dict[str, Any] = {"name": text_or_none(name) or "${cloudformation}"}
    unresolved: list[tuple[tuple[str | int, ...], str]] = []
    here: list[str] = []
    plain: dict[str, str] = {}
    image = resolve(item["Image"], context) if "Image" in item else None
    if isinstance(image, str):
        definition["image"] = image
    for key, api_key, value_key in (
        ("Environment", "environment", "Value"),
        ("Secrets", "secrets", "ValueFrom"),
    ):
        entries = choose(item.get(key), context)
        if entries is None or entries is NO_VALUE:
            continue
        options = _list_options(item.get(key), context) if isinstance(entries, Unresolved) else None
        if options is not None:  # Fn::If on an unknown condition: what every branch declares
            noted = here if key == "Secrets" else plain
            definition[api_key] = _common(key, options, value_key, context, unresolved, noted)
            continue
        if not isinstance(entries, list):
            what = entries if isinstance(entries, Unresolved) else resolve(entries, context)
            unresolved.append(((key,), words(what)))
            continue
        definition[api_key] = _entries(
            key, entries, value_key, context, unresolved, here if key == "Secrets" else plain
        )
    files = choose(item.get("EnvironmentFiles"), context)
    if files is NO_VALUE:
        files = None
    if isinstance(files, list):
        definition["environmentFiles"] = _files(files, context, unresolved)
    elif files is not None:
        what = files if isinstance(files, Unresolved) else resolve(files, context)
        unresolved.append((("EnvironmentFiles",), words(what)))
    return CfnContainer(definition, name, tuple(unresolved), tuple(here), plain)


def _entries(
    key: str,
    entries: list[Any],
    value_key: str,
    context: TemplateContext,
    unresolved: list[tuple[tuple[str | int, ...], str]],
    noted: list[str] | dict[str, str],
) -> list[dict[str, Any]]:
    """Environment or Secrets entries with a known name; the others recorded as unresolved.
    `noted`: the secrets read from this template's resources (Secrets), or the plain
    variables holding a secret or its reference, with its format (Environment)."""
    kept = []
    for index, raw in enumerate(entries):
        entry = choose(raw, context)
        if entry is NO_VALUE:
            continue
        if isinstance(entry, Unresolved):
            entry = _same_name(raw, value_key, context) or entry
        if not isinstance(entry, dict) or intrinsic_name(entry) is not None:
            what = entry if isinstance(entry, Unresolved) else resolve(entry, context)
            unresolved.append(((key, index), words(what)))
            continue
        name = resolve(entry.get("Name"), context) if "Name" in entry else None
        if not isinstance(name, str):
            what = words(name) if name is not None else "no Name"
            unresolved.append(((key, index), what))
            continue
        value = resolve(entry.get(value_key, ""), context)
        if isinstance(noted, list) and isinstance(value, DeclaredHere):
            noted.append(name)
        found = plain_secret_format(entry.get(value_key), value, context)
        if isinstance(noted, dict) and found:
            noted[name] = found
        api_value = value if isinstance(value, str) else PLACEHOLDER
        kept.append({"name": name, "valueFrom" if value_key == "ValueFrom" else "value": api_value})
    return kept


Path = tuple[str | int, ...]


def entry_paths(
    value: Any, path: Path, context: TemplateContext, depth: int = 0
) -> list[tuple[Path, Any]]:
    """Each entry of an Environment or Secrets list at `path` with its own path, through the
    `Fn::If`s that choose the list or an entry (every branch of an unknown condition), so
    that each entry keeps its line."""
    return [
        found
        for item_path, item in _branches(value, path, context, depth)
        if isinstance(item, list)
        for index, entry in enumerate(item)
        for found in _branches(entry, (*item_path, index), context, depth)
    ]


def _branches(
    value: Any, path: Path, context: TemplateContext, depth: int
) -> list[tuple[Path, Any]]:
    argument = value["Fn::If"] if intrinsic_name(value) == "Fn::If" else None
    if not (isinstance(argument, list) and len(argument) == 3) or depth > MAX_OPTIONS:
        return [(path, value)]
    decided = condition(argument[0], context)
    chosen = (1 if decided else 2,) if decided is not None else (1, 2)
    return [
        found
        for branch in chosen
        for found in _branches(argument[branch], (*path, "Fn::If", branch), context, depth + 1)
    ]


MAX_OPTIONS = 8  # branches of nested Fn::If looked at; past it, the value is unresolved


def options(value: Any, context: TemplateContext, depth: int = 0) -> list[Any] | None:
    """Every value an `Fn::If` may take (NO_VALUE for `AWS::NoValue`), following the branch
    a decided condition takes; None when there are more than MAX_OPTIONS or a bad shape."""
    if intrinsic_name(value) != "Fn::If":
        return [NO_VALUE if value == {"Ref": "AWS::NoValue"} else value]
    argument = value["Fn::If"]
    if not (isinstance(argument, list) and len(argument) == 3) or depth > MAX_OPTIONS:
        return None
    decided = condition(argument[0], context)
    branches = [argument[1 if decided else 2]] if decided is not None else argument[1:]
    found: list[Any] = []
    for branch in branches:
        more = options(branch, context, depth + 1)
        if more is None or len(found) + len(more) > MAX_OPTIONS:
            return None
        found += more
    return found


def _list_options(value: Any, context: TemplateContext) -> list[list[Any]] | None:
    """The lists an `Fn::If` chooses between (NO_VALUE: an empty list), or None."""
    found = options(value, context)
    if found is None or not all(isinstance(o, list) or o is NO_VALUE for o in found):
        return None
    return [o if isinstance(o, list) else [] for o in found]


def _same_name(raw: Any, value_key: str, context: TemplateContext) -> dict[str, Any] | None:
    """An entry `Fn::If` on an unknown condition whose every branch is an entry of the same
    name: that name is declared (its value known only when every branch gives the same)."""
    found = options(raw, context)
    if not found or not all(isinstance(o, dict) and "Name" in o for o in found):
        return None
    names = {text_or_none(resolve(o["Name"], context)) for o in found}
    if len(names) != 1 or None in names:
        return None
    values = {repr(resolve(o.get(value_key, ""), context)) for o in found}
    return found[0] if len(values) == 1 else {"Name": found[0]["Name"], value_key: raw}


def _common(
    key: str,
    lists: list[list[Any]],
    value_key: str,
    context: TemplateContext,
    unresolved: list[tuple[tuple[str | int, ...], str]],
    noted: list[str] | dict[str, str],
) -> list[dict[str, Any]]:
    """The entries of an Environment or Secrets list chosen by `Fn::If` on an unknown
    condition: a name every branch gives is declared; one only some give is unresolved."""
    read: list[list[dict[str, Any]]] = []
    for option in lists:
        inner: list[tuple[tuple[str | int, ...], str]] = []
        read.append(_entries(key, option, value_key, context, inner, noted))
        unresolved += [((key,), what) for _, what in inner]
    by_name = [{entry["name"]: entry for entry in option} for option in read]
    common = set(by_name[0]).intersection(*by_name[1:])
    if any(set(names) - common for names in by_name):
        unresolved.append(((key,), "Fn::If on an unknown condition: a name not in every branch"))
    api_key = "valueFrom" if value_key == "ValueFrom" else "value"
    kept = []
    for name in sorted(common):
        values = {names[name][api_key] for names in by_name}
        kept.append({"name": name, api_key: values.pop() if len(values) == 1 else PLACEHOLDER})
    if isinstance(noted, list):
        noted[:] = [name for name in noted if name in common]
    else:
        for name in set(noted) - common:
            del noted[name]
    return kept


def _files(
    files: list[Any], context: TemplateContext, unresolved: list[tuple[tuple[str | int, ...], str]]
) -> list[dict[str, str]]:
    """EnvironmentFiles entries: their S3 ARN when known. An entry that is itself an
    intrinsic (an `Fn::If` adding a file in one environment) may bring any name."""
    kept = []
    for index, raw in enumerate(files):
        entry = choose(raw, context)
        if entry is NO_VALUE:
            continue
        if isinstance(entry, Unresolved):
            unresolved.append((("EnvironmentFiles", index), words(entry)))
            continue
        value = (
            resolve(entry.get("Value"), context)
            if isinstance(entry, dict) and not intrinsic_name(entry)
            else resolve(entry, context)
        )
        if isinstance(value, str):
            kept.append({"value": value, "type": "s3"})
        else:
            unresolved.append((("EnvironmentFiles", index), words(value)))
    return kept
