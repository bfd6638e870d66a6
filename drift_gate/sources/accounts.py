"""The AWS accounts a scan reads: the default credentials, named profiles, or assumed roles.

Each account gets its own boto3 Session and AwsClients (one client per service and region,
built once). A role is assumed once, with STS AssumeRole from the default credentials; a
role that cannot be assumed makes that account "could not verify" and the others are still
scanned. The account id comes from the role ARN, or from the ARNs the account answers with,
so no call is spent on GetCallerIdentity.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import boto3
import botocore.exceptions

from drift_gate.deadline import Deadline
from drift_gate.errors import InvalidInputError
from drift_gate.sources.answers import Answer, read_answer
from drift_gate.sources.aws import (
    AWS_FAILURES,
    AwsClients,
    AwsSettings,
    Failure,
    classify_failure,
    configuration_error,
)

# arn:aws:iam::123456789012:role/path/name (partitions aws, aws-cn, aws-us-gov, ...)
ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::(?P<account>[0-9]{12}):role/[\w+=,.@/-]{1,512}$")
# STS: 2 to 64 characters of [\w+=,.@-]
SESSION_NAME = re.compile(r"^[\w+=,.@-]{2,64}$")
# STS: 2 to 1224 characters of [\w+=,.@:/-]
EXTERNAL_ID = re.compile(r"^[\w+=,.@:/-]{2,1224}$")
DEFAULT_SESSION_NAME = "drift-gate-scan"


@dataclass(frozen=True)
class AccountSpec:
    """How to reach one account: the default credentials, a profile, or a role to assume."""

    profile: str | None = None
    role_arn: str | None = None

    def words(self) -> str:
        """`profile prod`, `role arn:...`, or `the default credentials`, for messages."""
        if self.role_arn:
            return f"role {self.role_arn}"
        if self.profile:
            return f"profile {self.profile}"
        return "the default credentials"

    @property
    def known_account_id(self) -> str | None:
        """The account id when the spec names it (a role ARN does)."""
        match = ROLE_ARN.match(self.role_arn or "")
        return match.group("account") if match else None


def account_specs(profiles: tuple[str, ...], role_arns: tuple[str, ...]) -> list[AccountSpec]:
    """One spec per --profile and per --role-arn; none given: the default credentials."""
    for arn in role_arns:
        if not ROLE_ARN.match(arn):
            raise InvalidInputError(
                f"--role-arn {arn!r} is not an IAM role ARN; give one like "
                "arn:aws:iam::123456789012:role/drift-gate-read-only"
            )
    specs = [AccountSpec(profile=p) for p in dict.fromkeys(profiles)]
    specs += [AccountSpec(role_arn=a) for a in dict.fromkeys(role_arns)]
    return specs or [AccountSpec()]


class _Credentials(Answer):
    AccessKeyId: str
    SecretAccessKey: str
    SessionToken: str


class _AssumeRoleAnswer(Answer):
    Credentials: _Credentials


@dataclass
class Account:
    """One account as the scan reaches it: its clients, or why it cannot be reached."""

    spec: AccountSpec
    clients: AwsClients | None
    failure: Failure | None = None
    account_id: str | None = None

    def words(self) -> str:
        """`account 123456789012`, or how it was reached when its id is not known."""
        if self.account_id:
            return f"account {self.account_id}"
        return f"the account of {self.spec.words()}"


@dataclass(frozen=True)
class RoleSettings:
    """How roles are assumed: the session name (CloudTrail shows it) and an external id."""

    session_name: str = DEFAULT_SESSION_NAME
    external_id: str | None = None


def open_account(
    spec: AccountSpec,
    settings: AwsSettings,
    deadline: Deadline | None,
    base: AwsClients,
    sts_region: str,
    roles: RoleSettings,
) -> Account:
    """Clients for the account; a role that cannot be assumed is a failure, not an exception.

    A profile that is not configured is the user's mistake: AwsConfigurationError (exit 2).
    """
    if spec.role_arn is None and spec.profile is None:
        return Account(spec, base)
    if spec.profile is not None:
        try:
            session = boto3.session.Session(profile_name=spec.profile)
        except (botocore.exceptions.BotoCoreError, ValueError) as error:
            raise configuration_error(error, sts_region) from None
        return Account(spec, AwsClients(settings, session=session, deadline=deadline))
    return _assume(spec, settings, deadline, base, sts_region, roles)


def _assume(
    spec: AccountSpec,
    settings: AwsSettings,
    deadline: Deadline | None,
    base: AwsClients,
    sts_region: str,
    roles: RoleSettings,
) -> Account:
    arguments: dict[str, Any] = {"RoleArn": spec.role_arn, "RoleSessionName": roles.session_name}
    if roles.external_id:
        arguments["ExternalId"] = roles.external_id
    try:
        answer = read_answer(
            _AssumeRoleAnswer,
            base.client("sts", sts_region).assume_role(**arguments),
            "sts:AssumeRole",
        )
    except AWS_FAILURES as error:
        failure = classify_failure(error, "sts:AssumeRole")
        fix = (
            "Check the role's trust policy allows the identity drift-gate runs as (and the "
            "external id, if the trust policy requires one); "
            + failure.fix[0].lower()
            + failure.fix[1:]
        )
        return Account(
            spec,
            None,
            Failure(f"cannot assume {spec.role_arn}: {failure.reason}", fix),
            spec.known_account_id,
        )
    credentials = answer.Credentials
    session = boto3.session.Session(
        aws_access_key_id=credentials.AccessKeyId,
        aws_secret_access_key=credentials.SecretAccessKey,
        aws_session_token=credentials.SessionToken,
    )
    clients = AwsClients(settings, session=session, deadline=deadline)
    return Account(spec, clients, account_id=spec.known_account_id)
