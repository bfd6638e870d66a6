"""`drift-gate scan` against moto in server mode, over HTTP: discovery, policies, accounts.

moto lists every service in one ListServices page whatever maxResults says, so paging is
tested with a fake client in tests/unit/test_discovery.py; AssumeRole always succeeds in
moto (no trust policies), so the refused role is a Stubber in test_a_role_that_cannot_be_
assumed_is_could_not_verify_and_the_others_are_scanned.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from drift_gate import _moto_compat
from drift_gate.engine.scan import ScanOptions, run_scan
from drift_gate.model import Report
from drift_gate.sources.accounts import AccountSpec, RoleSettings, open_account
from drift_gate.sources.aws import AwsClients, AwsSettings
from tests.conftest import Cli, MotoServer
from tests.roles import execution_role

pytestmark = pytest.mark.e2e

DEFAULT_ACCOUNT = "123456789012"
OTHER_ACCOUNT = "111111111111"


@dataclass
class Fleet:
    """Services on moto: some healthy, some whose Secrets Manager secret does not exist."""

    endpoint: str
    account: str = DEFAULT_ACCOUNT
    credentials: dict[str, str] = field(default_factory=dict)

    def client(self, service: str, region: str) -> Any:
        return boto3.client(
            service, region_name=region, endpoint_url=self.endpoint, **self.credentials
        )

    def service(
        self,
        cluster: str,
        name: str,
        *,
        region: str = "us-east-1",
        secret_exists: bool = True,
        tags: dict[str, str] | None = None,
        environment: dict[str, str] | None = None,
    ) -> None:
        ecs = self.client("ecs", region)
        ecs.create_cluster(clusterName=cluster)
        secrets = self.client("secretsmanager", region)
        if secret_exists:
            arn = secrets.create_secret(Name=f"{name}/key", SecretString="x")["ARN"]
        else:
            arn = f"arn:aws:secretsmanager:{region}:{self.account}:secret:{name}/gone-AbCdEf"
        task = ecs.register_task_definition(
            family=name,
            executionRoleArn=execution_role(self.client("iam", region)),
            containerDefinitions=[
                {
                    "name": "app",
                    "image": "app",
                    "memory": 128,
                    "secrets": [{"name": "API_KEY", "valueFrom": arn}],
                    "environment": [
                        {"name": key, "value": value} for key, value in (environment or {}).items()
                    ],
                }
            ],
        )["taskDefinition"]["taskDefinitionArn"]
        ecs.create_service(
            cluster=cluster,
            serviceName=name,
            taskDefinition=task,
            desiredCount=1,
            tags=[{"key": key, "value": value} for key, value in (tags or {}).items()],
        )
        _moto_compat.settle(cluster, name, region, account_id=self.account)


def fleet(moto_server: MotoServer) -> Fleet:
    return Fleet(moto_server.endpoint)


def other_account(moto_server: MotoServer) -> Fleet:
    """A second account: moto keeps one per assumed role's account id."""
    sts = boto3.client("sts", region_name="us-east-1", endpoint_url=moto_server.endpoint)
    answer = sts.assume_role(
        RoleArn=f"arn:aws:iam::{OTHER_ACCOUNT}:role/drift-gate", RoleSessionName="setup"
    )["Credentials"]
    credentials = {
        "aws_access_key_id": answer["AccessKeyId"],
        "aws_secret_access_key": answer["SecretAccessKey"],
        "aws_session_token": answer["SessionToken"],
    }
    return Fleet(moto_server.endpoint, OTHER_ACCOUNT, credentials)


def scan_json(
    cli: Cli, tmp_path: Path, *arguments: str, extra_env: dict[str, str] | None = None
) -> tuple[int, dict[str, Any], str]:
    path = tmp_path / "scan.json"
    result = cli.run(
        "scan", *arguments, "--format", "json", "--output", str(path), extra_env=extra_env
    )
    return result.exit_code, json.loads(path.read_text(encoding="utf-8")), result.stderr


def services_of(report: dict[str, Any]) -> set[tuple[str | None, str, str, str]]:
    return {(s["account"], s["region"], s["cluster"], s["service"]) for s in report["services"]}


def failing(report: dict[str, Any]) -> set[tuple[str, str | None, str | None]]:
    return {
        (f["rule_id"], f["target"]["cluster"], f["target"]["service"])
        for f in report["findings"]
        if f["severity"] == "error"
    }


def test_scan_finds_every_service_and_fails_exactly_on_the_missing_secrets(
    cli_on_moto: Cli, moto_server: MotoServer, tmp_path: Path
) -> None:
    account = fleet(moto_server)
    for index in range(12):  # two DescribeServices batches in one cluster
        account.service("web", f"web-{index:02d}", secret_exists=index != 7)
    account.service("ml", "ml-api", secret_exists=False)
    account.service("ml", "ml-worker")

    exit_code, report, _ = scan_json(cli_on_moto, tmp_path, "--region", "us-east-1", "--quiet")

    assert exit_code == 1
    assert len(report["services"]) == 14
    assert ("123456789012", "us-east-1", "web", "web-11") in services_of(report)
    assert failing(report) == {("DG301", "web", "web-07"), ("DG301", "ml", "ml-api")}
    assert report["scanned"] == [
        {
            "account": DEFAULT_ACCOUNT,
            "account_source": "the default credentials",
            "region": "us-east-1",
            "clusters": 2,
            "services": 14,
            "verified": True,
            "notes": [],
        }
    ]
    calls = report["stats"]["aws_calls"]
    # The minimum: 1 ListClusters, 1 ListServices per cluster, ceil(12/10) + 1
    # DescribeServices, a task definition and a family look-up per service, a DescribeSecret
    # per distinct secret.
    assert calls == {
        "ecs:ListClusters": 1,
        "ecs:ListServices": 2,
        "ecs:DescribeServices": 3,
        "ecs:DescribeTaskDefinition": 14,
        "ecs:ListTaskDefinitions": 14,
        "secretsmanager:DescribeSecret": 14,
    }


def test_a_healthy_account_passes(
    cli_on_moto: Cli, moto_server: MotoServer, tmp_path: Path
) -> None:
    account = fleet(moto_server)
    account.service("web", "web-a")
    account.service("web", "web-b")

    exit_code, report, _ = scan_json(cli_on_moto, tmp_path, "--region", "us-east-1")

    assert exit_code == 0
    assert report["verdict"] == "pass"
    assert len(report["services"]) == 2


def test_the_invariants_without_a_policy(
    cli_on_moto: Cli, moto_server: MotoServer, tmp_path: Path
) -> None:
    account = fleet(moto_server)
    account.service("web", "stale")
    ecs = account.client("ecs", "us-east-1")
    ecs.register_task_definition(
        family="stale", containerDefinitions=[{"name": "app", "image": "app", "memory": 128}]
    )
    account.service("web", "leaky", environment={"DB_PASSWORD": "not-a-real-one"})

    exit_code, report, _ = scan_json(cli_on_moto, tmp_path, "--region", "us-east-1")

    assert exit_code == 1
    assert {(f["rule_id"], f["target"]["service"]) for f in report["findings"]} >= {
        ("DG201", "stale"),  # registered, not deployed
        ("DG105", "leaky"),  # a credential-like name in a plain variable
    }
    assert "not-a-real-one" not in json.dumps(report)


def east_and_west(moto_server: MotoServer) -> None:
    """A healthy service in us-east-1, one with a missing secret in eu-west-1."""
    account = fleet(moto_server)
    account.service("web", "east", region="us-east-1")
    account.service("web", "west", region="eu-west-1", secret_exists=False)


def test_several_regions_in_one_report(
    cli_on_moto: Cli, moto_server: MotoServer, tmp_path: Path
) -> None:
    east_and_west(moto_server)

    exit_code, report, _ = scan_json(
        cli_on_moto, tmp_path, "--region", "us-east-1", "--region", "eu-west-1"
    )

    assert exit_code == 1
    assert services_of(report) == {
        (DEFAULT_ACCOUNT, "us-east-1", "web", "east"),
        (DEFAULT_ACCOUNT, "eu-west-1", "web", "west"),
    }
    (finding,) = [f for f in report["findings"] if f["rule_id"] == "DG301"]
    assert finding["target"]["region"] == "eu-west-1"
    assert finding["target"]["account"] == DEFAULT_ACCOUNT


def test_accounts_by_role_each_named_on_every_target(
    cli_on_moto: Cli, moto_server: MotoServer, tmp_path: Path
) -> None:
    fleet(moto_server).service("web", "home")
    other_account(moto_server).service("web", "away", secret_exists=False)

    exit_code, report, stderr = scan_json(
        cli_on_moto,
        tmp_path,
        "--region",
        "us-east-1",
        "--profile",
        "default",
        "--role-arn",
        f"arn:aws:iam::{OTHER_ACCOUNT}:role/drift-gate-read-only",
        "--external-id",
        "nightly-scan-1",
        extra_env={"AWS_SHARED_CREDENTIALS_FILE": str(credentials_file(tmp_path))},
    )

    assert exit_code == 1, stderr
    assert services_of(report) == {
        (DEFAULT_ACCOUNT, "us-east-1", "web", "home"),
        (OTHER_ACCOUNT, "us-east-1", "web", "away"),
    }
    assert failing(report) == {("DG301", "web", "away")}
    assert {f["target"]["account"] for f in report["findings"]} == {OTHER_ACCOUNT}
    assert report["stats"]["aws_calls"]["sts:AssumeRole"] == 1
    assert "nightly-scan-1" not in json.dumps(report) + stderr


def credentials_file(tmp_path: Path) -> Path:
    path = tmp_path / "credentials"
    path.write_text("[default]\naws_access_key_id = testing\naws_secret_access_key = testing\n")
    return path


def test_a_role_that_cannot_be_assumed_is_could_not_verify_and_the_others_are_scanned(
    moto_server: MotoServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server.endpoint)
    fleet(moto_server).service("web", "home")
    base = AwsClients(AwsSettings(max_attempts=1))
    sts = base.client("sts", "us-east-1")
    refused = f"arn:aws:iam::{OTHER_ACCOUNT}:role/not-trusted"
    with Stubber(sts) as stub:
        stub.add_client_error(
            "assume_role",
            service_error_code="AccessDenied",
            service_message="not authorized to perform: sts:AssumeRole",
            http_status_code=403,
        )
        accounts = [
            open_account(spec, base.settings, None, base, "us-east-1", RoleSettings())
            for spec in (AccountSpec(), AccountSpec(role_arn=refused))
        ]
    report = run_scan(accounts, None, ScanOptions(regions=("us-east-1",)))

    assert report.exit_code == 3
    assert [s.service for s in report.services] == ["home"]
    (finding,) = report.findings
    assert finding.rule_id == "DG901"
    assert finding.target.account == OTHER_ACCOUNT
    assert finding.message == (
        f"could not verify: account {OTHER_ACCOUNT} in us-east-1: cannot assume {refused}: "
        "access denied to sts:AssumeRole"
    )
    assert "trust policy" in finding.remediation
    assert [scope.verified for scope in report.scanned] == [True, False]


def test_an_unknown_region_is_could_not_verify_for_that_region_only(
    moto_server: MotoServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server.endpoint)
    fleet(moto_server).service("web", "home")
    accounts = [
        open_account(AccountSpec(), AwsSettings(), None, AwsClients(), "us-east-1", RoleSettings())
    ]
    options = ScanOptions(
        regions=("us-east-1", "xx-nowhere-9"),
        region_problems={"xx-nowhere-9": "xx-nowhere-9 is not an ECS region this botocore knows"},
    )

    report = run_scan(accounts, None, options)

    assert report.exit_code == 3
    assert [s.service for s in report.services] == ["home"]
    (finding,) = report.findings
    assert finding.target.region == "xx-nowhere-9"
    assert "not an ECS region" in finding.message


def test_unknown_region_names_come_from_botocore_endpoint_data(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from drift_gate.engine.scan_request import unknown_regions

    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    problems = unknown_regions(("us-east-1", "eu-west-1", "us-gov-west-1", "xx-nowhere-9"))
    assert list(problems) == ["xx-nowhere-9"]
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
    assert unknown_regions(("xx-nowhere-9",)) == {}


POLICY = """\
version: 1
environments:
  ml:
    region: us-east-1
    services:
      - match: {tags: {team: ml}}
        containers:
          app:
            secrets: [API_KEY, HF_TOKEN]
      - match: {service: "batch-*"}
        containers:
          app:
            secrets: [API_KEY]
      - match: {service: "retired-*"}
        containers:
          app:
            secrets: [API_KEY]
      - cluster: web
        service: web-b
        containers:
          app:
            secrets: [API_KEY]
      - cluster: web
        service: renamed
        containers:
          app:
            secrets: [API_KEY]
"""


def test_selectors_by_tag_and_glob_exact_entries_and_a_stale_selector(
    cli_on_moto: Cli, moto_server: MotoServer, tmp_path: Path
) -> None:
    account = fleet(moto_server)
    account.service("web", "web-a", tags={"team": "ml"})
    account.service("web", "web-b", tags={"team": "ml"})  # its exact entry wins
    account.service("jobs", "batch-nightly")
    account.service("jobs", "unmanaged")
    policy = tmp_path / "drift-gate.yaml"
    policy.write_text(POLICY)

    exit_code, report, _ = scan_json(
        cli_on_moto, tmp_path, "--region", "us-east-1", "--policy", str(policy)
    )

    assert exit_code == 1
    environments = {s["service"]: s["environment"] for s in report["services"]}
    assert environments == {
        "web-a": "ml",
        "web-b": "ml",
        "batch-nightly": "ml",
        "unmanaged": "us-east-1",
        "renamed": "ml",
    }
    by_rule = {(f["rule_id"], f["target"]["service"]) for f in report["findings"]}
    assert ("DG101", "web-a") in by_rule  # HF_TOKEN, declared by the tag selector
    assert ("DG101", "web-b") not in by_rule  # its exact entry declares API_KEY only
    assert ("DG206", "renamed") in by_rule
    (stale,) = [f for f in report["findings"] if f["rule_id"] == "DG208"]
    assert "retired-*" in stale["message"]
    assert stale["declared_in"] == f"{policy}:14"
    assert not [f for f in report["findings"] if f["target"]["service"] == "batch-nightly"]


def test_check_resolves_selectors_too(
    cli_on_moto: Cli, moto_server: MotoServer, tmp_path: Path
) -> None:
    account = fleet(moto_server)
    account.service("web", "web-a", tags={"team": "ml"})
    account.service("web", "web-b")
    policy = tmp_path / "drift-gate.yaml"
    policy.write_text(POLICY)
    path = tmp_path / "check.json"

    result = cli_on_moto.run(
        "check", "--policy", str(policy), "--format", "json", "--output", str(path)
    )

    report = json.loads(path.read_text())
    assert result.exit_code == 1
    assert {s["service"] for s in report["services"]} == {"web-a", "web-b", "renamed"}
    rules = {(f["rule_id"], f["target"]["service"]) for f in report["findings"]}
    assert ("DG101", "web-a") in rules
    assert sum(1 for f in report["findings"] if f["rule_id"] == "DG208") == 2  # batch-*, retired-*


def test_an_empty_account_and_an_empty_cluster_are_said_and_pass(
    cli_on_moto: Cli, moto_server: MotoServer, tmp_path: Path
) -> None:
    exit_code, report, _ = scan_json(cli_on_moto, tmp_path, "--region", "us-east-1")
    assert (exit_code, report["scanned"][0]["notes"]) == (0, ["no ECS clusters"])

    fleet(moto_server).client("ecs", "us-east-1").create_cluster(clusterName="empty")
    exit_code, report, _ = scan_json(cli_on_moto, tmp_path, "--region", "us-east-1")
    assert (exit_code, report["scanned"][0]["notes"]) == (0, ["cluster empty has no services"])


def test_a_declared_service_in_an_empty_account_is_never_a_pass(
    cli_on_moto: Cli, moto_server: MotoServer, tmp_path: Path
) -> None:
    policy = tmp_path / "drift-gate.yaml"
    policy.write_text(POLICY)
    exit_code, report, _ = scan_json(
        cli_on_moto, tmp_path, "--region", "us-east-1", "--policy", str(policy)
    )
    assert exit_code == 1
    rules = {
        (f["rule_id"], f["target"]["cluster"], f["target"]["service"]) for f in report["findings"]
    }
    assert ("DG205", "web", "web-b") in rules
    assert ("DG205", "web", "renamed") in rules


def test_a_draining_service_is_noted_not_checked(
    moto_server: MotoServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from moto.ecs.models import ecs_backends

    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server.endpoint)
    account = fleet(moto_server)
    account.service("web", "going")
    account.service("web", "staying")
    # ECS lists a deleted service while its tasks drain; moto drops it at once, so its
    # status is set as ECS would show it (the server runs in this process).
    ecs_backends[DEFAULT_ACCOUNT]["us-east-1"].services["web:going"].status = "DRAINING"
    accounts = [
        open_account(AccountSpec(), AwsSettings(), None, AwsClients(), "us-east-1", RoleSettings())
    ]

    report: Report = run_scan(accounts, None, ScanOptions(regions=("us-east-1",)))

    assert [s.service for s in report.services] == ["staying"]
    assert report.scanned[0].notes == ("service web/going is DRAINING: not checked",)
    assert report.exit_code == 0


def test_bad_scan_input_is_one_line_and_exit_2(cli_on_moto: Cli) -> None:
    for arguments, words in (
        (("--region", "US-EAST-1"), "is not an AWS region name"),
        (("--role-arn", "arn:aws:iam::12:role/x"), "is not an IAM role ARN"),
        (("--external-id", "x"), "an external id is 2 to 1224 characters"),
        (("--role-session-name", "a b"), "a session name is 2 to 64 characters"),
        (("--concurrency", "0"), "0 is not in the range"),
    ):
        result = cli_on_moto.run("scan", "--region", "us-east-1", *arguments)
        assert result.exit_code == 2, arguments
        assert words in result.stderr, (arguments, result.stderr)
        assert "internal error" not in result.stderr


def test_no_region_anywhere_is_a_usage_error(cli: Cli) -> None:
    env = {
        key: value
        for key, value in cli.env.items()
        if key not in ("AWS_DEFAULT_REGION", "AWS_REGION")
    }
    result = Cli(env, cli.cwd).run("scan")
    assert result.exit_code == 2
    assert "no region to scan: give --region" in result.stderr


class _OneClusterBroken:
    """A real (moto) ECS client whose ListServices answers `{}` for one cluster, as a broken
    proxy might: that cluster is could-not-verify, the others are scanned."""

    def __init__(self, client: Any, broken: str) -> None:
        self._client = client
        self._broken = broken

    def list_services(self, **arguments: Any) -> Any:
        if arguments["cluster"] == self._broken:
            return {}
        return self._client.list_services(**arguments)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


def test_a_cluster_that_cannot_be_listed_is_could_not_verify_and_the_rest_is_scanned(
    moto_server: MotoServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server.endpoint)
    account = fleet(moto_server)
    account.service("web", "fine")
    account.service("broken", "unseen")
    clients = AwsClients()
    clients._clients[("ecs", "us-east-1")] = _OneClusterBroken(
        clients.client("ecs", "us-east-1"), "broken"
    )
    accounts = [
        open_account(AccountSpec(), clients.settings, None, clients, "us-east-1", RoleSettings())
    ]

    report = run_scan(accounts, None, ScanOptions(regions=("us-east-1",)))

    assert report.exit_code == 3
    assert [s.service for s in report.services] == ["fine"]
    (finding,) = report.findings
    assert (finding.rule_id, finding.target.cluster) == ("DG901", "broken")
    assert "ecs:ListServices answered without what drift-gate reads" in finding.message
    assert report.scanned[0].verified is False


def test_the_documented_iam_policy_allows_a_whole_scan(
    moto_server: MotoServer, cli_on_moto: Cli, tmp_path: Path
) -> None:
    from tests.conftest import REPO
    from tests.e2e.test_distribution import reset_auth

    account = fleet(moto_server)
    account.service("web", "web-a", tags={"team": "ml"})
    account.service("web", "web-b", secret_exists=False)
    iam = moto_server.client("iam")
    iam.create_user(UserName="drift-gate")
    document = (REPO / "docs" / "iam-policy.json").read_text()
    arn = iam.create_policy(PolicyName="read-only", PolicyDocument=document)["Policy"]["Arn"]
    iam.attach_user_policy(UserName="drift-gate", PolicyArn=arn)
    key = iam.create_access_key(UserName="drift-gate")["AccessKey"]
    credentials = {
        "AWS_ACCESS_KEY_ID": key["AccessKeyId"],
        "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"],
    }
    policy = tmp_path / "drift-gate.yaml"
    policy.write_text(POLICY)
    reset_auth(moto_server, "0")  # every request is authorised against IAM from here on
    try:
        exit_code, report, stderr = scan_json(
            cli_on_moto,
            tmp_path,
            "--region",
            "us-east-1",
            "--policy",
            str(policy),
            extra_env=credentials,
        )
    finally:
        reset_auth(moto_server, "inf")

    assert exit_code == 1, stderr  # drift, not "could not verify": every call was allowed
    assert not [f for f in report["findings"] if f["rule_id"].startswith("DG9")]
    assert ("DG301", "web", "web-b") in failing(report)


def test_scans_retry_adaptively_and_checks_in_standard_mode() -> None:
    from drift_gate.deadline import Deadline
    from drift_gate.engine.scan_request import ScanRequest, base_clients

    request = ScanRequest(regions=("us-east-1",), concurrency=16, max_attempts=4, timeout=7.0)
    config = base_clients(request, Deadline(60.0)).settings.botocore_config()
    assert config.retries == {"mode": "adaptive", "total_max_attempts": 4}
    assert config.max_pool_connections == 16  # one connection per worker
    assert AwsSettings().botocore_config().retries["mode"] == "standard"  # check's


def test_a_service_whose_task_definition_was_deregistered_is_said_to_be_so(
    cli_on_moto: Cli, moto_server: MotoServer, tmp_path: Path
) -> None:
    account = fleet(moto_server)
    account.service("web", "orphan")
    ecs = account.client("ecs", "us-east-1")
    ecs.deregister_task_definition(taskDefinition="orphan:1")

    exit_code, report, _ = scan_json(cli_on_moto, tmp_path, "--region", "us-east-1")

    assert exit_code == 1
    (finding,) = [f for f in report["findings"] if f["rule_id"] == "DG201"]
    assert "family orphan has no ACTIVE revision" in finding["message"]


def test_merged_slices_keep_every_account_and_region_they_read(
    cli_on_moto: Cli, moto_server: MotoServer, tmp_path: Path
) -> None:
    east_and_west(moto_server)
    east = tmp_path / "east.json"
    west = tmp_path / "west.json"
    for region, path in (("us-east-1", east), ("eu-west-1", west)):
        cli_on_moto.run("scan", "--region", region, "--format", "json", "--output", str(path))

    merged = tmp_path / "merged.json"
    result = cli_on_moto.run(
        "merge", str(east), str(west), "--format", "json", "--output", str(merged)
    )

    report = json.loads(merged.read_text())
    assert result.exit_code == 1
    assert [scope["region"] for scope in report["scanned"]] == ["us-east-1", "eu-west-1"]
    assert failing(report) == {("DG301", "web", "west")}


def test_a_cluster_named_on_the_command_line_and_found_nowhere_fails(
    cli_on_moto: Cli, moto_server: MotoServer, tmp_path: Path
) -> None:
    fleet(moto_server).service("web", "fine")

    exit_code, report, _ = scan_json(
        cli_on_moto, tmp_path, "--region", "us-east-1", "--cluster", "web", "--cluster", "wbe"
    )

    assert exit_code == 1
    (finding,) = report["findings"]
    assert (finding["rule_id"], finding["target"]["cluster"]) == ("DG205", "wbe")
    assert "does not exist in any account and region scanned (us-east-1)" in finding["message"]


def test_a_policy_environment_outside_the_scanned_regions_is_named(
    cli_on_moto: Cli, moto_server: MotoServer, tmp_path: Path
) -> None:
    policy = tmp_path / "drift-gate.yaml"
    policy.write_text(POLICY.replace("region: us-east-1", "region: eu-west-1"))
    exit_code, _, stderr = scan_json(
        cli_on_moto, tmp_path, "--region", "us-east-1", "--policy", str(policy)
    )
    assert exit_code == 0
    assert (
        "environment ml (eu-west-1) is not in the regions scanned (us-east-1); add --region "
        "eu-west-1 to check it"
    ) in stderr


def test_markdown_and_html_say_what_was_scanned(
    cli_on_moto: Cli, moto_server: MotoServer, tmp_path: Path
) -> None:
    fleet(moto_server).client("ecs", "us-east-1").create_cluster(clusterName="empty")
    markdown, html = tmp_path / "scan.md", tmp_path / "scan.html"
    result = cli_on_moto.run(
        "scan",
        "--region",
        "us-east-1",
        "--quiet",
        "--format",
        "markdown",
        "--output",
        str(markdown),
        "--format",
        "html",
        "--output",
        str(html),
    )
    assert result.exit_code == 0
    assert "### Scanned" in markdown.read_text()
    assert "- note: cluster empty has no services" in markdown.read_text()
    assert '<section class="card" id="scanned">' in html.read_text()
    assert "(the default credentials): 1 cluster(s), 0 service(s)" in html.read_text()


class _ClustersAnswered:
    """A real (moto) ECS client whose ListClusters answer has `arns` instead of (or added to,
    with `keep`) what moto lists."""

    def __init__(self, client: Any, arns: list[str], *, keep: bool) -> None:
        self._client = client
        self._arns = arns
        self._keep = keep

    def list_clusters(self, **arguments: Any) -> Any:
        answer = dict(self._client.list_clusters(**arguments))
        answer["clusterArns"] = [*(answer["clusterArns"] if self._keep else []), *self._arns]
        return answer

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


def _answering_clusters(monkeypatch: pytest.MonkeyPatch, arns: list[str], *, keep: bool) -> None:
    from drift_gate.engine import scan_discovery as scan
    from drift_gate.sources.discovery import list_clusters

    monkeypatch.setattr(
        scan,
        "list_clusters",
        lambda client: list_clusters(_ClustersAnswered(client, arns, keep=keep)),
    )


def test_a_cluster_listed_then_not_found_is_could_not_verify_never_nothing_to_check(
    cli_on_moto: Cli, moto_server: MotoServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ListClusters names `ghost`; ListServices (moto's own) answers ClusterNotFoundException."""
    fleet(moto_server).service("web", "fine")
    _answering_clusters(
        monkeypatch, [f"arn:aws:ecs:us-east-1:{DEFAULT_ACCOUNT}:cluster/ghost"], keep=True
    )

    exit_code, report, stderr = scan_json(cli_on_moto, tmp_path, "--region", "us-east-1")

    assert exit_code == 3, stderr
    assert services_of(report) == {(DEFAULT_ACCOUNT, "us-east-1", "web", "fine")}
    (finding,) = report["findings"]
    assert (finding["rule_id"], finding["target"]["cluster"]) == ("DG901", "ghost")
    assert (
        "ecs:ListClusters named cluster ghost, then ecs:ListServices answered "
        in (finding["message"])
    )
    (scope,) = report["scanned"]
    assert scope["verified"] is False
    assert "cluster ghost was listed, then not found: not verified" in scope["notes"]
    assert "cluster ghost does not exist" not in scope["notes"]


def test_only_a_listed_cluster_not_found_is_could_not_verify_alone(
    cli_on_moto: Cli, moto_server: MotoServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The reviewer's case: the only cluster listed is not found. It was PASS, 0 services."""
    _answering_clusters(
        monkeypatch, [f"arn:aws:ecs:us-east-1:{DEFAULT_ACCOUNT}:cluster/ghost"], keep=False
    )

    exit_code, report, stderr = scan_json(cli_on_moto, tmp_path, "--region", "us-east-1")

    assert exit_code == 3, stderr
    assert report["verdict"] == "could-not-verify"
    assert report["scanned"][0]["verified"] is False


@pytest.mark.parametrize(
    "arn",
    [
        "",
        " ",
        "\u200b",
        "ghost",
        f"arn:aws:ecs:us-east-1:{DEFAULT_ACCOUNT}:cluster/",
        f"arn:aws:ecs:us-east-1:{DEFAULT_ACCOUNT}:service/web/fine",
    ],
)
def test_a_cluster_arn_that_names_no_cluster_is_could_not_verify_for_the_region(
    cli_on_moto: Cli,
    moto_server: MotoServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    arn: str,
) -> None:
    fleet(moto_server).service("web", "fine")
    _answering_clusters(monkeypatch, [arn], keep=True)

    exit_code, report, stderr = scan_json(cli_on_moto, tmp_path, "--region", "us-east-1")

    assert exit_code == 3, stderr
    (finding,) = report["findings"]
    assert finding["rule_id"] == "DG901"
    assert (
        "ecs:ListClusters answered without what drift-gate reads (clusterArns[1]: not a "
        in (finding["message"])
    )
    assert report["scanned"][0]["verified"] is False


def test_a_cluster_given_with_cluster_and_not_found_stays_dg205_exit_1(
    cli_on_moto: Cli, moto_server: MotoServer, tmp_path: Path
) -> None:
    """docs/scan.md: a --cluster that does not exist there is noted, and DG205 when no
    account and region has it; it is the user's name, not an answer about a listed one."""
    fleet(moto_server).service("web", "fine")

    exit_code, report, _ = scan_json(
        cli_on_moto, tmp_path, "--region", "us-east-1", "--cluster", "ghost"
    )

    assert exit_code == 1
    assert [f["rule_id"] for f in report["findings"]] == ["DG205"]
    assert report["scanned"][0]["notes"] == ["cluster ghost does not exist"]


def test_the_python_api_scans_as_the_command_does(
    cli_on_moto: Cli, moto_server: MotoServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """drift_gate.scan goes through the same engine entry as `drift-gate scan`."""
    import drift_gate

    account = fleet(moto_server)
    account.service("web", "web-a")
    account.service("web", "web-b", secret_exists=False)
    for key, value in cli_on_moto.env.items():
        if key.startswith("AWS_"):
            monkeypatch.setenv(key, value)

    report = drift_gate.scan(regions=["us-east-1"], fail_on=drift_gate.FailOn.ERROR)

    exit_code, from_cli, _ = scan_json(cli_on_moto, tmp_path, "--region", "us-east-1")
    assert (report.exit_code, exit_code) == (drift_gate.ExitCode.DRIFT, 1)
    assert report.verdict.value == from_cli["verdict"] == "drift"
    assert sorted(service.service for service in report.services) == ["web-a", "web-b"]


def test_check_with_selectors_names_every_cluster_it_could_not_list(
    cli_on_moto: Cli, moto_server: MotoServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A selector may have matched a service in any cluster that could not be listed: each
    such cluster is a DG901 of its own (it was the first one only)."""
    fleet(moto_server).service("web", "web-a", tags={"team": "ml"})
    ghosts = [f"arn:aws:ecs:us-east-1:{DEFAULT_ACCOUNT}:cluster/{name}" for name in ("g1", "g2")]
    _answering_clusters(monkeypatch, ghosts, keep=True)
    policy = tmp_path / "drift-gate.yaml"
    policy.write_text(POLICY)
    path = tmp_path / "check.json"

    result = cli_on_moto.run(
        "check", "--policy", str(policy), "--format", "json", "--output", str(path)
    )

    report = json.loads(path.read_text())
    assert result.exit_code == 3, result.stderr
    unlisted = sorted(f["target"]["cluster"] for f in report["findings"] if f["rule_id"] == "DG901")
    assert unlisted == ["g1", "g2"]
