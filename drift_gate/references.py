"""What a container's `valueFrom` points at: a Secrets Manager secret or an SSM parameter.

ECS accepts, for Secrets Manager, the secret's ARN optionally followed by
`:json-key:version-stage:version-id`; the secret id is the first seven colon-separated
fields. For SSM Parameter Store, the parameter's ARN or, in the task's own region, its name.
A valueFrom is a reference, not a secret: it may be shown.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Literal

# ECS accepts `family:revision` or the full ARN ending in it: an identifier, never a secret.
TASK_DEFINITION_ARN = (
    r"^(arn:[^:\s]+:ecs:[^:\s]*:[^:\s]*:task-definition/)?[A-Za-z0-9_-]{1,255}:[0-9]{1,9}$"
)

Store = Literal["secretsmanager", "ssm"]
Status = Literal["ok", "missing", "scheduled-deletion", "version-missing", "unverified"]
StoreKey = tuple[str, str, str]  # (store, region, key)


@dataclass(frozen=True)
class SecretReference:
    """A parsed valueFrom."""

    store: Store
    key: str  # the secret id (ARN without suffixes) or the parameter name
    region: str | None  # None: the task's own region
    account: str | None
    json_key: str | None = None
    version_stage: str | None = None
    version_id: str | None = None


def parse_value_from(value_from: str) -> SecretReference:
    """Classify and normalise a valueFrom; a bare name is an SSM parameter in the task's region."""
    parts = value_from.split(":")
    if value_from.startswith("arn:") and len(parts) >= 6 and parts[2] == "secretsmanager":
        suffix = [part or None for part in parts[7:10]] + [None] * 3
        return SecretReference(
            store="secretsmanager",
            key=":".join(parts[:7]),
            region=parts[3] or None,
            account=parts[4] or None,
            json_key=suffix[0],
            version_stage=suffix[1],
            version_id=suffix[2],
        )
    if value_from.startswith("arn:") and len(parts) >= 6 and parts[2] == "ssm":
        resource = ":".join(parts[5:])
        name = resource.removeprefix("parameter")
        # arn:...:parameter/a/b names "/a/b"; arn:...:parameter/plain names "plain".
        name = name if name.count("/") > 1 else name.lstrip("/")
        return SecretReference(
            store="ssm", key=name, region=parts[3] or None, account=parts[4] or None
        )
    return SecretReference(store="ssm", key=value_from, region=None, account=None)


@dataclass(frozen=True)
class SecretStatus:
    """What the store said about a reference: never its value."""

    status: Status
    detail: str = ""
    fix: str | None = None  # for "unverified": what to do, by the cause (see sources/aws.py)
    arn: str | None = None  # "ok": the secret's or parameter's ARN, as IAM policies name it
    # "ok": the KMS key (id, ARN or alias) if not the store's AWS managed default; "": the
    # answer did not say which.
    kms_key: str | None = None


def store_key(reference: SecretReference, task_region: str) -> StoreKey:
    """One key per distinct secret: references differing only in json-key share it."""
    return (reference.store, reference.region or task_region, reference.key)


def secret_name(reference: SecretReference) -> str:
    """The name a person would type: `app/db` for `arn:...:secret:app/db-AbCdEf`."""
    if reference.store == "ssm":
        return reference.key
    name = reference.key.split(":secret:", 1)[-1]
    stem, dash, suffix = name.rpartition("-")
    return stem if dash and len(suffix) == 6 else name


# --- A reference that names nothing (DG108), whichever path read it --------------------

# What a template placeholder's valueFrom is read as (a task-definition file before it is
# rendered): known at deploy time, never compared with a pinned one, and not empty.
UNRENDERED = "(a template placeholder)"


# Characters that show nothing: control and format characters (a zero-width space U+200B, a
# byte order mark U+FEFF, bidirectional marks, tag characters), surrogates, private-use and
# unassigned code points, separators, and combining marks with nothing to combine with.
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zs", "Zl", "Zp", "Mn", "Me"})
# Letters and symbols that render blank (Unicode's default-ignorable fillers, the blank
# Braille pattern).
_BLANK = frozenset("\u115f\u1160\u17b4\u17b5\u3164\uffa0\u2800")


def _visible(character: str) -> bool:
    return not (
        character.isspace()
        or character in _BLANK
        or unicodedata.category(character) in _INVISIBLE_CATEGORIES
    )


def visible(text: str) -> bool:
    """Has at least one character that shows."""
    return any(_visible(character) for character in text)


def has_invisible(text: str) -> bool:
    """Holds a control or format character (a zero-width space, a byte order mark, a
    bidirectional mark) or white space other than a plain space: not a name AWS gives."""
    return any(
        unicodedata.category(character) in ("Cc", "Cf")
        or (character.isspace() and character != " ")
        for character in text
    )


def reference(value_from: str) -> str:
    """A valueFrom as read: "" for one without a visible character (DG108): only white
    space, or a zero-width space or byte order mark that a copy and paste left in."""
    return "" if not visible(value_from) else value_from


def is_empty_reference(value_from: str) -> bool:
    """A reference that names nothing (DG108), whatever the file or the answer holds."""
    return reference_problem(value_from) is not None


def reference_problem(value_from: str) -> str | None:
    """Why a valueFrom names no secret, or None when it names one (or is a placeholder).

    ECS reads a valueFrom as written, never trimmed: no visible character; a character that
    shows nothing before or after it; an ARN whose parameter or secret name is empty or
    invisible; a Secrets Manager json-key, version-stage or version-id that is there but
    shows nothing.
    """
    if value_from == UNRENDERED:
        return None
    shown = [index for index, character in enumerate(value_from) if _visible(character)]
    if not shown:
        return "empty"
    core = value_from[shown[0] : shown[-1] + 1]
    named = _name_problem(value_from if value_from.startswith("arn:") else core)
    if named is None and len(value_from) != shown[-1] + 1 - shown[0]:
        return "white space or an invisible character before or after it"
    return named


def _name_problem(value_from: str) -> str | None:
    if not value_from.startswith("arn:"):
        # An SSM parameter name (`NAME` or `/PATH/NAME`).
        return None if visible(value_from.replace("/", "")) else "no parameter name"
    parts = value_from.split(":")
    service = parts[2] if len(parts) > 2 else ""
    resource = parts[5:]
    if service == "ssm":
        name = ":".join(resource).removeprefix("parameter")
        return None if visible(name.replace("/", "")) else "no parameter name"
    if service == "secretsmanager":
        if len(resource) < 2 or resource[0] != "secret" or not visible(resource[1]):
            return "no secret name"
        parts_named = ("json-key", "version-stage", "version-id")
        for part, words in zip(resource[2:], parts_named, strict=False):
            if part and not visible(part):
                return f"a {words} that shows nothing"
        return None
    return None if resource and visible(":".join(resource)) else "no resource name"


def reference_words(value_from: str) -> str:
    """How a message says what is wrong with a reference that names nothing."""
    problem = reference_problem(value_from)
    if problem in (None, "empty"):
        return "an empty valueFrom"
    return f"a valueFrom that names nothing ({problem})"
