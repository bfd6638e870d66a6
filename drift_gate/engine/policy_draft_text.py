"""A draft as the text of a policy file: YAML, with comments saying where each name came
from and what could not be drafted.

Every scalar that comes from outside (a name, a path, an ARN, a reason) is written plain only
when YAML reads it back as that same text, and double-quoted with escapes otherwise; a
comment is one line with its control characters escaped. The text is read back before it is
returned and must be the document drafted: no name can become a key, a second entry or a
comment by what it holds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from drift_gate.engine.policy_draft import (
    Draft,
    DraftContainer,
    DraftEnvironment,
    DraftService,
)
from drift_gate.yamlfile import parse_yaml

PLACEHOLDER = "REPLACE-ME"
# Matches the schema's region pattern, so the draft validates, and is no region AWS has, so a
# live check of it cannot pass: it can only be replaced.
PLACEHOLDER_REGION = "xx-replaceme-1"
_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_./@-]*")


def scalar(text: str) -> str:
    """`text` as a YAML scalar that reads back as exactly `text`."""
    if _PLAIN.fullmatch(text) and yaml.safe_load(text) == text:
        return text
    return '"' + "".join(_escaped(character, quote=True) for character in text) + '"'


def comment(text: str) -> str:
    """`text` as one line of a comment: control and line-breaking characters escaped."""
    return "".join(_escaped(character, quote=False) for character in text)


def _escaped(character: str, *, quote: bool) -> str:
    if quote and character in '"\\':
        return "\\" + character
    code = ord(character)
    if 0x20 <= code < 0x7F or (code > 0xA0 and character.isprintable()):
        return character
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


@dataclass
class _Writer:
    lines: list[str] = field(default_factory=list)

    def line(self, depth: int, text: str, note: str | None = None) -> None:
        suffix = f"  # {comment(note)}" if note else ""
        self.lines.append("  " * depth + text + suffix)

    def notes(self, depth: int, notes: tuple[str, ...] | list[str]) -> None:
        for note in notes:
            self.line(depth, f"# {comment(note)}")


def policy_text(draft: Draft) -> str:
    """The whole file; AssertionError (a bug: exit 3, nothing written) if it does not read
    back as drafted."""
    out = _Writer()
    out.notes(0, _header(draft))
    out.lines.append("")
    out.line(0, "version: 1")
    out.line(0, "environments:")
    environments = {}
    for environment in draft.environments:
        if environment.drafted:
            environments[environment.name] = _environment(out, environment)
        else:
            out.notes(1, [f"nothing drafted from {environment.source}:"])
            for service in environment.services:
                _service(out, service, set(), depth=1)
    text = "\n".join(out.lines) + "\n"
    # Read back as every command reads a policy: the document drafted, whatever names held.
    read = parse_yaml(text, "the drafted policy")
    if read.data != {"version": 1, "environments": environments} or read.duplicate_keys:
        raise AssertionError("the drafted policy does not read back as drafted")
    return text


def _environment(out: _Writer, environment: DraftEnvironment) -> dict[str, Any]:
    out.line(1, f"{scalar(environment.name)}:", f"drafted from {environment.source}")
    region = environment.region or PLACEHOLDER_REGION
    region_note = (
        None
        if environment.region
        else f"{PLACEHOLDER}: the source does not say the region; set it (or give init --region)"
    )
    out.line(2, f"region: {scalar(region)}", region_note)
    entry: dict[str, Any] = {"region": region}
    if environment.account:
        out.line(2, f"account: {scalar(environment.account)}")
        entry["account"] = environment.account
    out.line(2, "services:")
    services: list[dict[str, Any]] = []
    listed: set[tuple[str, str]] = set()
    for service in environment.services:
        written = _service(out, service, listed)
        if written is not None:
            services.append(written)
    entry["services"] = services
    return entry


def _header(draft: Draft) -> list[str]:
    return [
        "drift-gate policy drafted by `drift-gate init` from:",
        *(f"  {source}" for source in draft.sources),
        "Names only: no value of any variable or secret is in this file.",
        "Each container lists the names it receives today, secrets as secrets. Review it: keep",
        "what each service must receive, and replace every REPLACE-ME.",
        "Reference: docs/policy.md. Then: drift-gate validate-policy, and drift-gate check.",
    ]


def _service(
    out: _Writer, service: DraftService, listed: set[tuple[str, str]], depth: int = 3
) -> dict[str, Any] | None:
    cluster = service.cluster or PLACEHOLDER
    key = (cluster, service.service or "")
    if not service.draftable or key in listed:
        why = "listed already" if service.draftable else "not drafted"
        named = f" ({service.service})" if service.service else ""
        out.notes(depth, [f"{why}: {service.origin}{named}"])
        out.notes(depth, [f"  {note}" for note in service.why_notes])
        return None
    assert service.service is not None  # noqa: S101 - draftable
    listed.add(key)
    out.notes(3, [service.origin, *service.notes])
    cluster_note = (
        None if service.cluster else f"{PLACEHOLDER}: the source does not say the cluster"
    )
    out.line(3, f"- cluster: {scalar(cluster)}", cluster_note)
    service_note = (
        f"{PLACEHOLDER} if the ECS service is named otherwise: the source names none"
        if service.guessed_service
        else None
    )
    out.line(4, f"service: {scalar(service.service)}", service_note)
    out.line(4, "containers:")
    containers = {c.name: _container(out, c) for c in service.containers if c.left_out is None}
    out.notes(5, [left for c in service.containers if (left := c.left_out)])
    return {"cluster": cluster, "service": service.service, "containers": containers}


def _container(out: _Writer, container: DraftContainer) -> dict[str, Any]:
    entry: dict[str, Any] = {}
    if not container.secrets and not container.environment:
        out.line(5, f"{scalar(container.name)}: {{}}", "receives no variable today")
    else:
        out.line(5, f"{scalar(container.name)}:")
    for key, names in (("secrets", container.secrets), ("environment", container.environment)):
        if names:
            out.line(6, f"{key}:")
            entry[key] = [name.name for name in names]
        for name in names:
            out.line(7, f"- {scalar(name.name)}", name.origin)
    if container.unresolved:
        out.notes(
            6, ["notes (never required: a name only a deploy knows, or how a name was drafted):"]
        )
        out.notes(6, [f"  {note}" for note in container.unresolved])
    return entry
