"""What a container's `valueFrom` points at: a Secrets Manager secret or an SSM parameter.

ECS accepts, for Secrets Manager, the secret's ARN optionally followed by
`:json-key:version-stage:version-id`; the secret id is the first seven colon-separated
fields. For SSM Parameter Store, the parameter's ARN or, in the task's own region, its name.
A valueFrom is a reference, not a secret: it may be shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

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
