"""May a task execution role read a secret? Asked of IAM's policy simulator, never tried.

iam:SimulatePrincipalPolicy evaluates the role's identity policies (inline and attached),
its permissions boundary and the organization's SCPs for an action on a resource; nothing
is read or decrypted. One call per (role, action, context) for up to 50 resources (the
per-call limit is not documented; 50 keeps each answer small), every page, each question
asked once per run. kms:DescribeKey (metadata) turns a key alias into the key's ARN,
since IAM authorises kms:Decrypt on the key, not the alias.

Not seen by the simulator: the secret's resource policy and the KMS key policy (a grant
made only there reads as an implicit deny), session policies. docs/links.md says so.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Literal

import botocore.exceptions

from drift_gate.sources.answers import DescribeKeyAnswer, SimulationAnswer, read_answer
from drift_gate.sources.aws import (
    AWS_FAILURES,
    REPORT_ANSWER,
    AwsClients,
    chunks,
    classify_failure,
    error_code,
    pages,
)

RESOURCES_PER_CALL = 50
READ_SECRET = "secretsmanager:GetSecretValue"  # noqa: S105 - an IAM action's name
READ_PARAMETERS = "ssm:GetParameters"
DECRYPT = "kms:Decrypt"

Verdict = Literal["allowed", "explicitDeny", "implicitDeny", "undecided", "no-role", "unverified"]


@dataclass(frozen=True)
class AccessQuestion:
    """May `role` do `action` on `resource` (with kms:ViaService `via` for kms:Decrypt)?"""

    role: str
    action: str
    resource: str
    via: str | None = None


@dataclass(frozen=True)
class AccessAnswer:
    verdict: Verdict
    detail: str = ""  # undecided: the context keys; unverified: why
    fix: str | None = None


@dataclass
class RoleSimulator:
    """Asks the simulator once per question for a whole run, and remembers the answers."""

    clients: AwsClients
    workers: int = 8
    _answers: dict[AccessQuestion, AccessAnswer] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(
        self, questions: Iterable[AccessQuestion], region: str
    ) -> dict[AccessQuestion, AccessAnswer]:
        """Each question's answer; `region` picks IAM's endpoint (and so its partition)."""
        wanted = list(dict.fromkeys(questions))
        with self._lock:
            todo = [q for q in wanted if q not in self._answers]
        groups: dict[tuple[str, str, str | None], list[str]] = {}
        for question in todo:
            key = (question.role, question.action, question.via)
            groups.setdefault(key, []).append(question.resource)
        batches = [
            (key, batch)
            for key, resources in groups.items()
            for batch in chunks(resources, RESOURCES_PER_CALL)
        ]
        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            answered = list(pool.map(lambda job: self._simulate(job[0], job[1], region), batches))
        with self._lock:
            for ((role, action, via), _), results in zip(batches, answered, strict=True):
                for resource, answer in results.items():
                    self._answers[AccessQuestion(role, action, resource, via)] = answer
            return {q: self._answers[q] for q in wanted}

    def _simulate(
        self, key: tuple[str, str, str | None], resources: Sequence[str], region: str
    ) -> dict[str, AccessAnswer]:
        role, action, via = key
        arguments: dict[str, Any] = {
            "PolicySourceArn": role,
            "ActionNames": [action],
            "ResourceArns": list(resources),
        }
        if via is not None:
            arguments["ContextEntries"] = [
                {
                    "ContextKeyName": "kms:ViaService",
                    "ContextKeyValues": [via],
                    "ContextKeyType": "string",
                }
            ]
        client = self.clients.client("iam", region)
        try:
            answered = [
                page
                for page in pages(
                    client.simulate_principal_policy,
                    arguments,
                    SimulationAnswer,
                    "iam:SimulatePrincipalPolicy",
                    token=("Marker", "next_marker"),
                )
            ]
        except botocore.exceptions.ClientError as error:
            if error_code(error) == "NoSuchEntity":
                return dict.fromkeys(resources, AccessAnswer("no-role"))
            return _unverified(resources, error)
        except AWS_FAILURES as error:
            return _unverified(resources, error)
        return _verdicts(action, resources, answered)


def _unverified(resources: Sequence[str], error: Exception) -> dict[str, AccessAnswer]:
    failure = classify_failure(error, "iam:SimulatePrincipalPolicy")
    return dict.fromkeys(resources, AccessAnswer("unverified", failure.reason, failure.fix))


def _verdicts(
    action: str, resources: Sequence[str], answered: Sequence[SimulationAnswer]
) -> dict[str, AccessAnswer]:
    """Each resource's decision, from per-resource results (IAM's answer since 2025) or from
    one result per resource (before); a resource the answer does not decide is unverified."""
    decided: dict[str, AccessAnswer] = {}
    wanted = set(resources)
    for page in answered:
        for result in page.EvaluationResults:
            if result.EvalActionName.lower() != action.lower():
                continue
            for item in result.ResourceSpecificResults:
                missing = item.MissingContextValues or result.MissingContextValues
                _keep_worst(
                    decided, item.EvalResourceName, _decision(item.EvalResourceDecision, missing)
                )
            if result.ResourceSpecificResults:
                continue
            if result.EvalResourceName in wanted:
                _keep_worst(
                    decided,
                    result.EvalResourceName,
                    _decision(result.EvalDecision, result.MissingContextValues),
                )
            elif (
                result.EvalResourceName in (None, "*")
                and result.EvalDecision == "allowed"
                and not result.MissingContextValues
            ):
                # The aggregate is the most restrictive decision: allowed means for all. A
                # result about some other resource says nothing about these.
                for resource in resources:
                    decided.setdefault(resource, AccessAnswer("allowed"))
    not_answered = AccessAnswer(
        "unverified",
        "iam:SimulatePrincipalPolicy answered without a decision for it",
        "Run again; if it persists, check for a proxy or emulator in the way (AWS_ENDPOINT_URL).",
    )
    return {resource: decided.get(resource, not_answered) for resource in resources}


_SEVERITY = {"allowed": 0, "undecided": 1, "implicitDeny": 2, "explicitDeny": 3}


def _keep_worst(decided: dict[str, AccessAnswer], resource: str, answer: AccessAnswer) -> None:
    """Two decisions for one resource (an answer that contradicts itself): the stricter."""
    known = decided.get(resource)
    if known is None or _SEVERITY[answer.verdict] > _SEVERITY[known.verdict]:
        decided[resource] = answer


def _decision(decision: str, missing: Sequence[str]) -> AccessAnswer:
    if missing:
        # A condition on a key the simulator was not given: neither verdict can be trusted.
        return AccessAnswer("undecided", ", ".join(sorted(set(missing))))
    if decision == "allowed":
        return AccessAnswer("allowed")
    return AccessAnswer("explicitDeny" if decision == "explicitDeny" else "implicitDeny")


# --- KMS keys ------------------------------------------------------------------------------

_KEY_ARN = re.compile(r"^arn:[^:\s]+:kms:[^:\s]+:[0-9]{12}:key/\S+$")
_KEY_ID = re.compile(r"^(mrk-)?[0-9a-fA-F-]{32,36}$")
AWS_MANAGED = "aws-managed"


@dataclass(frozen=True)
class KeyAnswer:
    """A customer-managed key's ARN; `AWS_MANAGED` (no kms:Decrypt needed); or why unknown."""

    arn: str | None
    detail: str = ""
    fix: str | None = None


@dataclass
class KeyResolver:
    """The ARN of the KMS key a secret names (by id, ARN or alias), aliases asked once."""

    clients: AwsClients
    _aliases: dict[tuple[str, str], KeyAnswer] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def key_arn(self, key: str, region: str, account: str, partition: str) -> KeyAnswer:
        if not key:
            return KeyAnswer(
                None, "the secret store did not say which KMS key encrypts it", REPORT_ANSWER
            )
        if key.startswith("alias/aws/") or ":alias/aws/" in key:
            return KeyAnswer(AWS_MANAGED)
        if _KEY_ARN.match(key):
            return KeyAnswer(key)
        if _KEY_ID.match(key):
            return KeyAnswer(f"arn:{partition}:kms:{region}:{account}:key/{key}")
        with self._lock:
            known = self._aliases.get((region, key))
        if known is None:
            known = self._describe(key, region)
            with self._lock:
                self._aliases[(region, key)] = known
        return known

    def _describe(self, alias: str, region: str) -> KeyAnswer:
        try:
            raw = self.clients.client("kms", region).describe_key(KeyId=alias)
            metadata = read_answer(DescribeKeyAnswer, raw, "kms:DescribeKey").KeyMetadata
        except AWS_FAILURES as error:
            failure = classify_failure(error, "kms:DescribeKey")
            return KeyAnswer(None, failure.reason, failure.fix)
        return KeyAnswer(AWS_MANAGED if metadata.KeyManager == "AWS" else metadata.Arn)
