"""Do the secrets a container references exist? Metadata only, never a value.

Secrets Manager: DescribeSecret (metadata). SSM Parameter Store: DescribeParameters with a
Name filter, 50 names a call (the API's limit), every page (a page may be empty and still
carry a NextToken). Never GetSecretValue, BatchGetSecretValue, GetParameter(s),
GetParametersByPath or kms:Decrypt: GetParameter returns the plaintext of String
parameters even without decryption. One call per distinct secret, whatever uses it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import botocore.exceptions

from drift_gate.references import SecretReference, SecretStatus, StoreKey, store_key
from drift_gate.sources.answers import (
    DescribeParametersAnswer,
    DescribeSecretAnswer,
    ParameterAnswer,
    read_answer,
)
from drift_gate.sources.aws import (
    AWS_FAILURES,
    AwsClients,
    chunks,
    classify_failure,
    error_code,
    pages,
)

SSM_NAMES_PER_CALL = 50


@dataclass
class SecretStores:
    """Looks references up in Secrets Manager and SSM, once each, and remembers the answers."""

    clients: AwsClients
    workers: int = 8

    def __post_init__(self) -> None:
        self._answers: dict[StoreKey, SecretStatus] = {}

    def check(
        self, references: Iterable[SecretReference], task_region: str
    ) -> dict[StoreKey, SecretStatus]:
        """The status of each reference (keyed by store_key)."""
        wanted = {store_key(ref, task_region): ref for ref in references}
        todo = {key: ref for key, ref in wanted.items() if key not in self._answers}
        secrets = [(key, ref) for key, ref in todo.items() if ref.store == "secretsmanager"]
        by_region: dict[str, list[str]] = {}
        for (store, region, name), _ in todo.items():
            if store == "ssm":
                by_region.setdefault(region, []).append(name)
        batches = [
            (region, batch)
            for region, names in by_region.items()
            for batch in chunks(list(dict.fromkeys(names)), SSM_NAMES_PER_CALL)
        ]
        # Both stores at once, in one pool: the SSM batches do not wait for Secrets Manager.
        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            parameters = [pool.submit(self._describe_parameters, *batch) for batch in batches]
            for key, status in zip(
                (key for key, _ in secrets), pool.map(self._describe_secret, secrets), strict=True
            ):
                self._answers[key] = status
            for (region, _), future in zip(batches, parameters, strict=True):
                for name, status in future.result().items():
                    self._answers[("ssm", region, name)] = status
        return {key: self._answers[key] for key in wanted}

    def look_up_secret(self, key: StoreKey, reference: SecretReference) -> None:
        """One Secrets Manager secret now, remembered for `check` (a scan's pipeline)."""
        self._answers[key] = self._describe_secret((key, reference))

    def look_up_parameters(self, region: str, names: Sequence[str]) -> None:
        """One SSM batch (up to 50 names) now, remembered for `check`."""
        for name, status in self._describe_parameters(region, names).items():
            self._answers[("ssm", region, name)] = status

    def _describe_secret(self, item: tuple[StoreKey, SecretReference]) -> SecretStatus:
        (_, region, secret_id), reference = item
        client = self.clients.client("secretsmanager", region)
        try:
            metadata = client.describe_secret(SecretId=secret_id)
            answer = read_answer(DescribeSecretAnswer, metadata, "secretsmanager:DescribeSecret")
        except botocore.exceptions.ClientError as error:
            if error_code(error) == "ResourceNotFoundException":
                return SecretStatus("missing", "does not exist")
            return unverified(error, "secretsmanager:DescribeSecret")
        except AWS_FAILURES as error:
            return unverified(error, "secretsmanager:DescribeSecret")
        return secret_status(answer, reference)

    def _describe_parameters(self, region: str, batch: Sequence[str]) -> dict[str, SecretStatus]:
        """One DescribeParameters batch (up to 50 names), every page of it."""
        try:
            found = _existing_parameters(self.clients.client("ssm", region), list(batch))
        except AWS_FAILURES as error:
            return {name: unverified(error, "ssm:DescribeParameters") for name in batch}
        return {
            name: parameter_status(found[name])
            if name in found
            else SecretStatus("missing", "does not exist")
            for name in batch
        }


def unverified(error: Exception, operation: str) -> SecretStatus:
    """A store that could not answer: the cause, and the fix for that cause."""
    failure = classify_failure(error, operation)
    return SecretStatus("unverified", failure.reason, failure.fix)


def parameter_status(parameter: ParameterAnswer) -> SecretStatus:
    # SSM names the key of every SecureString (alias/aws/ssm by default): an answer without
    # the type, or a SecureString without its key, leaves the key unknown (""), not absent.
    if parameter.Type == "SecureString" or parameter.Type is None:
        return SecretStatus("ok", arn=parameter.ARN, kms_key=parameter.KeyId or "")
    return SecretStatus("ok", arn=parameter.ARN)


def _existing_parameters(client: Any, names: list[str]) -> dict[str, ParameterAnswer]:
    arguments: dict[str, Any] = {
        "ParameterFilters": [{"Key": "Name", "Option": "Equals", "Values": names}],
        "MaxResults": SSM_NAMES_PER_CALL,
    }
    return {
        item.Name: item
        for page in pages(
            client.describe_parameters,
            arguments,
            DescribeParametersAnswer,
            "ssm:DescribeParameters",
            token=("NextToken", "NextToken"),
        )
        for item in page.Parameters
    }


def secret_status(metadata: DescribeSecretAnswer, reference: SecretReference) -> SecretStatus:
    """What DescribeSecret's metadata says about a reference (the value is never asked for)."""
    if metadata.DeletedDate is not None:
        return SecretStatus(
            "scheduled-deletion", f"scheduled for deletion on {metadata.DeletedDate:%Y-%m-%d}"
        )
    stages = metadata.VersionIdsToStages or {}
    if reference.version_id and reference.version_id not in stages:
        return SecretStatus("version-missing", f"has no version {reference.version_id}")
    wanted = reference.version_stage or "AWSCURRENT"
    if not any(wanted in labels for labels in stages.values()):
        return SecretStatus("version-missing", f"has no version staged {wanted}")
    return SecretStatus("ok", arn=metadata.ARN, kms_key=metadata.KmsKeyId)
