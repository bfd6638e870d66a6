"""Secret stores, application logs and metrics: the links after the running task definition."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from drift_gate import _moto_compat
from drift_gate.demo import CLUSTER, REGION, SECRET_NAMES, SERVICE, IncidentAccount
from drift_gate.engine.gate import run_check
from drift_gate.engine.service_checks import CheckOptions
from drift_gate.model import Report
from drift_gate.policy import load_policy
from drift_gate.publish import metrics
from drift_gate.references import parse_value_from
from drift_gate.sources.aws import AwsClients
from drift_gate.sources.secrets import SecretStores
from tests.conftest import REPO, Cli, MotoServer
from tests.roles import execution_role

# Operations that return a secret or parameter value, or decrypt one.
VALUE_READING = {
    "GetSecretValue",
    "BatchGetSecretValue",
    "GetParameter",
    "GetParameters",
    "GetParametersByPath",
    "Decrypt",
}


@pytest.fixture
def aws() -> Iterator[None]:
    with mock_aws():
        yield


def client(service: str, region: str = REGION) -> Any:
    return boto3.client(service, region_name=region)


def service_with_secrets(
    secrets: dict[str, str], environment: dict[str, str] | None = None
) -> None:
    ecs = client("ecs")
    ecs.create_cluster(clusterName="c")
    arn = ecs.register_task_definition(
        family="api",
        executionRoleArn=execution_role(client("iam")),
        containerDefinitions=[
            {
                "name": "api",
                "image": "app",
                "memory": 128,
                "secrets": [{"name": k, "valueFrom": v} for k, v in secrets.items()],
                "environment": [{"name": k, "value": v} for k, v in (environment or {}).items()],
            }
        ],
    )["taskDefinition"]["taskDefinitionArn"]
    ecs.create_service(cluster="c", serviceName="api", taskDefinition=arn, desiredCount=1)
    _moto_compat.settle("c", "api", REGION)


def policy_file(
    tmp_path: Path, names: list[str], extra: str = "", environment_extra: str = ""
) -> Path:
    path = tmp_path / "policy.yaml"
    path.write_text(
        "version: 1\nenvironments:\n  dev:\n    region: us-east-1\n"
        + environment_extra
        + "    services:\n      - cluster: c\n        service: api\n        containers:\n          api:\n"
        + f"            secrets: [{', '.join(names)}]\n"
        + extra
    )
    return path


def check(
    tmp_path: Path, names: list[str], clients: AwsClients | None = None, **policy: str
) -> Report:
    return run_check(
        load_policy(policy_file(tmp_path, names, **policy)), CheckOptions(), clients or AwsClients()
    )


def rules(report: Report) -> list[tuple[str, str | None]]:
    return sorted((f.rule_id, f.target.variable) for f in report.findings)


def test_existing_secrets_in_both_stores_pass(aws: None, tmp_path: Path) -> None:
    secret = client("secretsmanager").create_secret(
        Name="app/db", SecretString='{"password": "x"}'
    )["ARN"]
    client("ssm").put_parameter(Name="/app/token", Value="x", Type="SecureString")
    client("ssm").put_parameter(Name="plain", Value="x", Type="String")
    service_with_secrets(
        {
            "DB": f"{secret}:password::",  # a json-key suffix: the secret id is the first 7 fields
            "TOKEN": "arn:aws:ssm:us-east-1:123456789012:parameter/app/token",
            "PLAIN": "plain",  # a bare name: an SSM parameter in the task's region
        }
    )
    clients = AwsClients()
    report = check(tmp_path, ["DB", "TOKEN", "PLAIN"], clients)
    assert (report.exit_code, report.findings) == (0, ())
    assert clients.calls["secretsmanager:DescribeSecret"] == 1
    assert clients.calls["ssm:DescribeParameters"] == 1  # both names in one call


def test_deleted_secret_is_not_found(aws: None, tmp_path: Path) -> None:
    sm = client("secretsmanager")
    secret = sm.create_secret(Name="app/hf", SecretString="x")["ARN"]
    sm.delete_secret(SecretId=secret, ForceDeleteWithoutRecovery=True)
    service_with_secrets({"HF": secret})
    report = check(tmp_path, ["HF"])
    assert rules(report) == [("DG301", "HF")]
    assert f"reads {secret}: the secret does not exist" in report.findings[0].message
    assert (
        "aws secretsmanager create-secret --name app/hf --region us-east-1"
        in report.findings[0].remediation
    )


def test_secret_scheduled_for_deletion(aws: None, tmp_path: Path) -> None:
    sm = client("secretsmanager")
    secret = sm.create_secret(Name="app/hf", SecretString="x")["ARN"]
    sm.delete_secret(SecretId=secret, RecoveryWindowInDays=7)
    service_with_secrets({"HF": secret})
    [finding] = check(tmp_path, ["HF"]).findings
    assert finding.rule_id == "DG302"
    assert "scheduled for deletion on" in finding.message
    assert (
        f"aws secretsmanager restore-secret --secret-id {secret} --region us-east-1"
        in finding.remediation
    )


def test_secret_without_a_current_version(aws: None, tmp_path: Path) -> None:
    secret = client("secretsmanager").create_secret(Name="app/empty")["ARN"]
    service_with_secrets({"HF": secret})
    [finding] = check(tmp_path, ["HF"]).findings
    assert (finding.rule_id, finding.message.endswith("has no version staged AWSCURRENT")) == (
        "DG303",
        True,
    )


def test_missing_ssm_parameter(aws: None, tmp_path: Path) -> None:
    service_with_secrets({"TOKEN": "/app/missing"})
    [finding] = check(tmp_path, ["TOKEN"]).findings
    assert finding.rule_id == "DG305"
    assert (
        "aws ssm put-parameter --name /app/missing --type SecureString --value '<value>'"
        in finding.remediation
    )


def test_secret_in_another_region_warns(aws: None, tmp_path: Path) -> None:
    secret = client("secretsmanager", "us-west-2").create_secret(Name="app/hf", SecretString="x")[
        "ARN"
    ]
    service_with_secrets({"HF": secret})
    report = check(tmp_path, ["HF"])
    assert rules(report) == [("DG304", "HF")]
    assert "lives in region us-west-2, not the task's" in report.findings[0].message
    assert report.exit_code == 0  # a warning


def test_pinned_reference_is_checked_too(aws: None, tmp_path: Path) -> None:
    service_with_secrets({})
    pinned = "secrets:\n              - name: HF\n                value_from: /app/pinned\n"
    path = tmp_path / "p.yaml"
    path.write_text(policy_file(tmp_path, ["X"]).read_text().replace("secrets: [X]\n", pinned))
    report = run_check(load_policy(path), CheckOptions(), AwsClients())
    assert rules(report) == [("DG101", "HF"), ("DG305", "HF")]


def test_120_ssm_references_take_3_calls(aws: None, tmp_path: Path) -> None:
    ssm = client("ssm")
    names = [f"S{i:03d}" for i in range(120)]
    for name in names:
        ssm.put_parameter(Name=f"/app/{name}", Value="x", Type="SecureString")
    service_with_secrets({name: f"/app/{name}" for name in names})
    session = boto3.session.Session(region_name=REGION)
    calls: list[dict[str, Any]] = []
    session.events.register(
        "before-parameter-build.ssm.DescribeParameters", lambda params, **_: calls.append(params)
    )
    report = check(tmp_path, names, AwsClients(session=session))
    assert report.findings == ()
    # Three batches (50 + 50 + 20 names); moto pages each batch by 10, and every page is read.
    batches = [call["ParameterFilters"][0]["Values"] for call in calls if "NextToken" not in call]
    # Asked concurrently: the order the batches leave in is not fixed.
    assert sorted(len(batch) for batch in batches) == [20, 50, 50]
    assert sorted(name for batch in batches for name in batch) == [f"/app/{name}" for name in names]


def test_batches_of_50_and_a_parameter_found_on_the_second_page() -> None:
    clients = AwsClients()
    ssm = clients.client("ssm", REGION)
    names = [f"/p/{i}" for i in range(51)]
    with Stubber(ssm) as stubber:
        first = {
            "ParameterFilters": [{"Key": "Name", "Option": "Equals", "Values": names[:50]}],
            "MaxResults": 50,
        }
        # A page may be empty and still carry a token.
        stubber.add_response("describe_parameters", {"Parameters": [], "NextToken": "t1"}, first)
        stubber.add_response(
            "describe_parameters", {"Parameters": [{"Name": "/p/7"}]}, {**first, "NextToken": "t1"}
        )
        second = {
            "ParameterFilters": [{"Key": "Name", "Option": "Equals", "Values": names[50:]}],
            "MaxResults": 50,
        }
        stubber.add_response("describe_parameters", {"Parameters": [{"Name": "/p/50"}]}, second)
        # One worker: the Stubber answers in order, and the two batches would otherwise race.
        stores = SecretStores(clients, workers=1)
        statuses = stores.check([parse_value_from(n) for n in names], REGION)
        stubber.assert_no_pending_responses()
    found = sorted(key[2] for key, status in statuses.items() if status.status == "ok")
    assert found == ["/p/50", "/p/7"]
    assert sum(1 for status in statuses.values() if status.status == "missing") == 49


def deny(operation: str, code: str = "AccessDeniedException") -> Any:
    session = boto3.session.Session(region_name=REGION)

    def respond(**_: Any) -> Any:
        raise boto3.exceptions.botocore.exceptions.ClientError(
            {
                "Error": {"Code": code, "Message": "denied"},
                "ResponseMetadata": {"HTTPStatusCode": 400},
            },
            operation,
        )

    session.events.register(f"before-call.secretsmanager.{operation}", respond)
    return session


@pytest.mark.parametrize("code", ["AccessDeniedException", "403"])
def test_access_denied_on_describe_secret_exits_3_not_missing(
    aws: None, tmp_path: Path, code: str
) -> None:
    secret = client("secretsmanager").create_secret(Name="app/hf", SecretString="x")["ARN"]
    service_with_secrets({"HF": secret})
    report = check(tmp_path, ["HF"], AwsClients(session=deny("DescribeSecret", code)))
    assert (report.exit_code, rules(report)) == (3, [("DG901", "HF")])
    assert "access denied to secretsmanager:DescribeSecret" in report.findings[0].message


def test_best_effort_secret_checks_warn_instead(aws: None, tmp_path: Path) -> None:
    secret = client("secretsmanager").create_secret(Name="app/hf", SecretString="x")["ARN"]
    service_with_secrets({"HF": secret})
    clients = AwsClients(session=deny("DescribeSecret"))
    report = check(tmp_path, ["HF"], clients, environment_extra="    secret_checks: best-effort\n")
    assert (report.exit_code, rules(report)) == (0, [("DG306", "HF")])
    off = check(
        tmp_path,
        ["HF"],
        AwsClients(session=deny("DescribeSecret")),
        environment_extra="    secret_checks: off\n",
    )
    assert off.findings == ()


def test_no_value_reading_call_on_any_client_during_a_full_check(aws: None, tmp_path: Path) -> None:
    secret = client("secretsmanager").create_secret(Name="app/hf", SecretString="hf_" + "v" * 34)[
        "ARN"
    ]
    client("ssm").put_parameter(Name="/app/db", Value="postgres://user:pw@db", Type="String")
    client("logs").create_log_group(logGroupName="/ecs/api")
    service_with_secrets(
        {"HF": secret, "DB": "/app/db", "MISSING": "/app/none"}, {"LOG_LEVEL": "info"}
    )
    session = boto3.session.Session(region_name=REGION)
    called: list[str] = []
    session.events.register("before-call", lambda model, **_: called.append(model.name))
    logs = '        logs:\n          group: /ecs/api\n          forbid: ["token not configured"]\n'

    report = check(tmp_path, ["HF", "DB", "MISSING"], AwsClients(session=session), extra=logs)

    # The check really ran every link (LOG_LEVEL is simply not in this policy).
    assert rules(report) == [("DG107", "LOG_LEVEL"), ("DG305", "MISSING")]
    assert {
        "DescribeServices",
        "DescribeTaskDefinition",
        "DescribeSecret",
        "DescribeParameters",
        "FilterLogEvents",
    } <= set(called)
    assert not VALUE_READING & set(called)


def test_no_value_reading_call_anywhere_in_the_source() -> None:
    pattern = re.compile(
        r"get_secret_value|batch_get_secret_value|get_parameters?\b|get_parameters_by_path|\.decrypt\(|WithDecryption"
    )
    offenders = [
        f"{path.relative_to(REPO)}:{number}"
        for path in sorted((REPO / "drift_gate").rglob("*.py"))
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if pattern.search(line) and not line.lstrip().startswith("#")
    ]
    # The one value drift-gate reads: its OWN GitHub token, from the one secret the event
    # function is configured with (docs/deploy-hook.md), never an application's secret.
    assert offenders == ["drift_gate/sources/github_token_secret.py:45"]


# --- Application logs ---------------------------------------------------------------------


def log_events(
    group: str, *moments: datetime, message: str = "ERROR HuggingFace token not configured"
) -> None:
    logs = client("logs")
    if not logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"]:
        logs.create_log_group(logGroupName=group)
        logs.create_log_stream(logGroupName=group, logStreamName="api/1")
    events = [{"timestamp": int(m.timestamp() * 1000), "message": message} for m in sorted(moments)]
    logs.put_log_events(logGroupName=group, logStreamName="api/1", logEvents=events)


LOGS = '        logs:\n          group: /ecs/api\n          forbid: ["HuggingFace token not configured", "ResourceInitializationError"]\n'


def test_forbidden_pattern_in_the_window_is_counted_without_copying_lines(
    aws: None, tmp_path: Path
) -> None:
    service_with_secrets({})
    now = datetime.now(timezone.utc)
    log_events(
        "/ecs/api",
        now + timedelta(seconds=1),
        now + timedelta(seconds=2),
        now + timedelta(seconds=3),
    )
    report = run_check(
        load_policy(policy_file(tmp_path, [], extra=LOGS)),
        CheckOptions(),
        AwsClients(),
        clock=lambda: now + timedelta(minutes=1),
    )
    [finding] = report.findings
    assert finding.rule_id == "DG401"
    assert re.fullmatch(
        r"'HuggingFace token not configured' appears 3 time\(s\) in /ecs/api since the PRIMARY deployment "
        r"started \(.+Z\) \(first .+Z, last .+Z\)",
        finding.message,
    )
    assert "ERROR" not in finding.model_dump_json()  # the line itself is never copied


def test_pattern_absent_or_only_before_the_deployment_is_no_finding(
    aws: None, tmp_path: Path
) -> None:
    before = datetime.now(timezone.utc) - timedelta(minutes=30)
    log_events("/ecs/api", before, before + timedelta(minutes=1))
    service_with_secrets({})  # deployed after those lines
    log_events("/ecs/api", datetime.now(timezone.utc) + timedelta(seconds=1), message="all good")
    report = run_check(
        load_policy(policy_file(tmp_path, [], extra=LOGS)),
        CheckOptions(),
        AwsClients(),
        clock=lambda: datetime.now(timezone.utc) + timedelta(minutes=1),
    )
    assert report.findings == ()
    # The same lines do count with a window that reaches back before the deployment.
    window = LOGS + "          since: 2h\n"
    wider = run_check(
        load_policy(policy_file(tmp_path, [], extra=window)), CheckOptions(), AwsClients()
    )
    assert [f.rule_id for f in wider.findings] == ["DG401"]
    assert "appears 2 time(s) in /ecs/api in the last 2h" in wider.findings[0].message


def test_missing_log_group(aws: None, tmp_path: Path) -> None:
    service_with_secrets({})
    report = run_check(
        load_policy(policy_file(tmp_path, [], extra=LOGS)), CheckOptions(), AwsClients()
    )
    assert [(f.rule_id, f.message) for f in report.findings] == [
        ("DG402", "log group /ecs/api does not exist in us-east-1")
    ]


# --- Metrics ------------------------------------------------------------------------------


def test_metrics_are_published_with_names_dimensions_and_values(aws: None, tmp_path: Path) -> None:
    service_with_secrets({"TOKEN": "/app/missing"})
    report = check(tmp_path, ["TOKEN", "GONE"])  # DG305 + DG101: two errors
    cloudwatch = client("cloudwatch")
    sent_data: list[dict[str, Any]] = []
    cloudwatch.meta.events.register(
        "before-parameter-build.cloudwatch.PutMetricData",
        lambda params, **_: sent_data.extend(params["MetricData"]),
    )

    sent = metrics.publish(report, "DriftGate/Test", cloudwatch)

    assert (
        sent == 3 + 3 + 2
    )  # per service x severity, per severity, CouldNotVerify, ServicesChecked
    as_sent = {
        (d["MetricName"], tuple((x["Name"], x["Value"]) for x in d["Dimensions"])): d["Value"]
        for d in sent_data
    }
    assert as_sent == {
        ("Findings", (("Environment", "dev"), ("Service", "api"), ("Severity", "error"))): 2.0,
        ("Findings", (("Environment", "dev"), ("Service", "api"), ("Severity", "warning"))): 0.0,
        ("Findings", (("Environment", "dev"), ("Service", "api"), ("Severity", "info"))): 0.0,
        ("Findings", (("Severity", "error"),)): 2.0,
        ("Findings", (("Severity", "warning"),)): 0.0,
        ("Findings", (("Severity", "info"),)): 0.0,
        ("CouldNotVerify", ()): 0.0,
        ("ServicesChecked", ()): 1.0,
    }
    listed = cloudwatch.list_metrics(Namespace="DriftGate/Test")["Metrics"]
    names = {
        (m["MetricName"], tuple(sorted((d["Name"], d["Value"]) for d in m["Dimensions"])))
        for m in listed
    }
    assert (
        "Findings",
        (("Environment", "dev"), ("Service", "api"), ("Severity", "error")),
    ) in names
    assert ("CouldNotVerify", ()) in names

    def value(name: str, **dimensions: str) -> float:
        statistics = cloudwatch.get_metric_statistics(
            Namespace="DriftGate/Test",
            MetricName=name,
            Dimensions=[{"Name": k, "Value": v} for k, v in dimensions.items()],
            StartTime=datetime.now(timezone.utc) - timedelta(hours=1),
            EndTime=datetime.now(timezone.utc) + timedelta(hours=1),
            Period=3600,
            Statistics=["Sum"],
        )["Datapoints"]
        return float(sum(point["Sum"] for point in statistics))

    # moto stored them (its statistics match dimension supersets, CloudWatch matches exactly).
    assert value("Findings", Environment="dev", Service="api", Severity="error") == 2.0
    assert value("ServicesChecked") == 1.0


# --- The incident, last stage (end to end) ------------------------------------------------


@pytest.mark.e2e
def test_incident_deleting_the_key_after_the_fix_fails_again(
    moto_server: MotoServer, cli_on_moto: Cli, tmp_path: Path
) -> None:
    account = IncidentAccount.create(moto_server.client)
    _moto_compat.settle(CLUSTER, SERVICE, REGION)
    account.redeploy(account.register_revision(list(SECRET_NAMES)))
    policy = str(REPO / "policies" / "example.yaml")
    passing = cli_on_moto.run("check", "--policy", policy)
    assert passing.exit_code == 0, passing.stdout

    hf_arn = account.secret_arns["HUGGINGFACE_API_KEY"]
    moto_server.client("secretsmanager").delete_secret(
        SecretId=hf_arn, ForceDeleteWithoutRecovery=True
    )
    result = cli_on_moto.run(
        "check",
        "--policy",
        policy,
        "--format",
        "json",
        "--output",
        "r.json",
        "--publish-metrics",
        "DriftGate/Incident",
    )

    assert result.exit_code == 1
    [finding] = json.loads((tmp_path / "r.json").read_text())["findings"]
    assert (finding["rule_id"], finding["target"]["variable"]) == ("DG301", "HUGGINGFACE_API_KEY")
    assert hf_arn in finding["message"]
    assert "published 8 metric value(s) to DriftGate/Incident in us-east-1" in result.stderr


def test_secret_in_another_account_warns_and_ssm_names_are_parsed_from_arns() -> None:
    from drift_gate.checks.findings import ServiceContext
    from drift_gate.checks.secrets import SecretUsage, check_secret_usages
    from drift_gate.model import Target
    from drift_gate.references import SecretStatus, store_key

    other = "arn:aws:secretsmanager:us-east-1:999999999999:secret:shared/hf-AbCdEf:token::"
    same = "arn:aws:ssm:us-east-1:123456789012:parameter/app/db"
    usages = [SecretUsage("api", "HF", other), SecretUsage("api", "DB", same)]
    statuses = {
        store_key(parse_value_from(u.value_from), REGION): SecretStatus("ok") for u in usages
    }
    assert set(statuses) == {
        (
            "secretsmanager",
            REGION,
            "arn:aws:secretsmanager:us-east-1:999999999999:secret:shared/hf-AbCdEf",
        ),
        ("ssm", REGION, "/app/db"),
    }
    context = ServiceContext(Target(environment="dev", region=REGION, cluster="c", service="api"))
    [finding] = check_secret_usages(context, usages, statuses, "123456789012", best_effort=False)
    assert (finding.rule_id, finding.target.variable) == ("DG304", "HF")
    assert "lives in account 999999999999, not the task's" in finding.message


@pytest.mark.parametrize(
    ("namespace", "said"),
    [
        ("AWS/ECS", "reserved for AWS services"),
        (":DriftGate", "may not start with ':'"),
        ("x" * 256, "1 to 255 printable ASCII characters"),
        ("Drift\tGate", "1 to 255 printable ASCII characters"),
        ("", "1 to 255 printable ASCII characters"),
    ],
)
@pytest.mark.parametrize("command", ["check", "iam-policy"])
def test_a_namespace_cloudwatch_would_refuse_is_exit_2_before_any_call(
    cli: Cli, namespace: str, said: str, command: str
) -> None:
    policy = str(REPO / "policies" / "example.yaml")
    result = cli.run(command, "--policy", policy, "--publish-metrics", namespace)
    assert result.exit_code == 2
    assert said in result.stderr
    assert "Traceback" not in result.stderr


def test_metrics_denied_by_the_roles_namespace_condition_say_how_to_fix_it(
    aws: None, tmp_path: Path
) -> None:
    from drift_gate.commands.check import publish_metrics
    from drift_gate.errors import CouldNotVerifyError

    service_with_secrets({"TOKEN": "/app/token"})
    report = check(tmp_path, ["TOKEN"])
    cloudwatch = boto3.client("cloudwatch", region_name=REGION)
    stubber = Stubber(cloudwatch)
    stubber.add_client_error(
        "put_metric_data", service_error_code="AccessDenied", http_status_code=403
    )

    class Clients:
        def client(self, service: str, region: str) -> object:
            assert (service, region) == ("cloudwatch", REGION)
            return cloudwatch

    with stubber, pytest.raises(CouldNotVerifyError) as raised:
        publish_metrics(report, "Other", Clients(), None, REGION)  # type: ignore[arg-type]
    message = str(raised.value)
    assert message.startswith("the report was written, but metrics were not: access denied")
    assert "only in another namespace than Other" in message
    assert "`drift-gate iam-policy --publish-metrics Other`" in message
