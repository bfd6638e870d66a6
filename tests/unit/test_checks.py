"""Each rule with a case that fires and a case that does not, over plain models (no AWS)."""

from __future__ import annotations

import re

import pytest

from drift_gate.checks.credentials import check_credentials
from drift_gate.checks.deployment import check_revision, check_rollout
from drift_gate.checks.findings import ServiceContext
from drift_gate.checks.variables import check_container
from drift_gate.credentials import looks_like_credential_name, token_format
from drift_gate.model import (
    ContainerVars,
    DeclaredContainer,
    Deployment,
    LiveEnvVar,
    LiveSecret,
    ServiceState,
    Target,
    TaskDefinitionSpec,
)
from drift_gate.policy import ContainerPolicy, DeclaredSecret, DeclaredVariable
from drift_gate.rules import RULES

TD = "arn:aws:ecs:us-east-1:123456789012:task-definition/api"
HF_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:hf-AbCdEf"
CONTEXT = ServiceContext(
    Target(environment="dev", region="us-east-1", cluster="c", service="s"),
    deployed_task_definition=f"{TD}:1",
    latest_task_definition=f"{TD}:2",
)


def declared(
    secrets: list[DeclaredSecret] | None = None, environment: list[str] | None = None
) -> DeclaredContainer:
    """A policy container, as the one declared model the checks compare (policy.declared())."""
    return ContainerPolicy(
        name="api",
        secrets=tuple(secrets or []),
        environment=tuple(
            DeclaredVariable(name=n, where=f"policy.yaml:{20 + i}")
            for i, n in enumerate(environment or [])
        ),
    ).declared()


def running(
    secrets: dict[str, str] | None = None, environment: list[str] | None = None
) -> ContainerVars:
    return ContainerVars(
        name="api",
        secrets=tuple(LiveSecret(name=k, value_from=v) for k, v in (secrets or {}).items()),
        environment=tuple(LiveEnvVar(name=n) for n in environment or []),
    )


def rule_ids(findings: list) -> list[str]:  # type: ignore[type-arg]
    return sorted(f.rule_id for f in findings)


HF = DeclaredSecret(name="HUGGINGFACE_API_KEY", where="policy.yaml:13")


# DG101 secret-missing
def test_dg101_declared_secret_missing_from_running_container() -> None:
    findings = check_container(CONTEXT, declared([HF]), running({"DATABASE_HOST": "x"}))
    assert rule_ids(findings) == ["DG101", "DG107"]
    missing = next(f for f in findings if f.rule_id == "DG101")
    assert missing.target.variable == "HUGGINGFACE_API_KEY"
    assert missing.declared_in == "policy.yaml:13"
    assert missing.severity.value == "error"


def test_dg101_secret_present_passes_and_order_is_noise() -> None:
    policy = declared([DeclaredSecret(name="B"), DeclaredSecret(name="A")])
    assert check_container(CONTEXT, policy, running({"A": "arn-a", "B": "arn-b"})) == []


def test_dg101_points_at_the_undeployed_latest_revision_when_it_has_the_secret() -> None:
    latest = running({"HUGGINGFACE_API_KEY": HF_ARN})
    [finding] = check_container(CONTEXT, declared([HF]), running(), latest)
    assert "the latest registered revision has it" in finding.message
    assert "--task-definition api --force-new-deployment" in finding.remediation


# DG102 env-var-missing
def test_dg102_declared_env_var_missing() -> None:
    findings = check_container(CONTEXT, declared(environment=["LOG_LEVEL"]), running())
    assert rule_ids(findings) == ["DG102"]
    assert findings[0].declared_in == "policy.yaml:20"


def test_dg102_env_var_present_passes() -> None:
    assert (
        check_container(
            CONTEXT, declared(environment=["LOG_LEVEL"]), running(environment=["LOG_LEVEL"])
        )
        == []
    )


# DG103 secret-as-plain-env
def test_dg103_declared_secret_set_as_plain_environment_variable() -> None:
    findings = check_container(
        CONTEXT, declared([HF]), running(environment=["HUGGINGFACE_API_KEY"])
    )
    assert rule_ids(findings) == ["DG103"]


def test_dg103_secret_delivered_as_secret_passes() -> None:
    assert check_container(CONTEXT, declared([HF]), running({"HUGGINGFACE_API_KEY": HF_ARN})) == []


# DG104 secret-source-mismatch
def test_dg104_value_from_differs_from_pinned() -> None:
    pinned = DeclaredSecret(name="HUGGINGFACE_API_KEY", value_from=HF_ARN)
    other = HF_ARN.replace("hf-AbCdEf", "hf-staging-XyZ123")
    findings = check_container(CONTEXT, declared([pinned]), running({"HUGGINGFACE_API_KEY": other}))
    assert rule_ids(findings) == ["DG104"]
    assert other in findings[0].message
    assert HF_ARN in findings[0].message


def test_dg104_value_from_matches_pin_passes() -> None:
    pinned = DeclaredSecret(name="HUGGINGFACE_API_KEY", value_from=HF_ARN)
    assert (
        check_container(CONTEXT, declared([pinned]), running({"HUGGINGFACE_API_KEY": HF_ARN})) == []
    )


# DG105 credential-like-env-name / DG106 credential-value-in-env
def test_dg105_credential_like_name_warns() -> None:
    containers = [ContainerVars(name="api", environment=(LiveEnvVar(name="STRIPE_API_KEY"),))]
    findings = check_credentials(CONTEXT, containers, {})
    assert rule_ids(findings) == ["DG105"]
    assert findings[0].severity.value == "warning"


def test_dg105_name_declared_as_plain_in_policy_is_trusted() -> None:
    containers = [ContainerVars(name="api", environment=(LiveEnvVar(name="TOKEN_URL"),))]
    assert check_credentials(CONTEXT, containers, {"api": frozenset({"TOKEN_URL"})}) == []


def test_dg106_value_in_known_token_format_is_an_error_even_when_declared_plain() -> None:
    variable = LiveEnvVar(name="HF_HOME_HINT", value_token_format="Hugging Face token")
    containers = [ContainerVars(name="sidecar", environment=(variable,))]
    findings = check_credentials(CONTEXT, containers, {"sidecar": frozenset({"HF_HOME_HINT"})})
    assert rule_ids(findings) == ["DG106"]
    assert "Hugging Face token format (value not shown)" in findings[0].message


def test_dg105_dg106_ordinary_variables_pass() -> None:
    containers = [ContainerVars(name="api", environment=(LiveEnvVar(name="LOG_LEVEL"),))]
    assert check_credentials(CONTEXT, containers, {}) == []


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("hf_" + "a1B2" * 9, "Hugging Face token"),
        ("AKIA" + "ABCDEFGHIJKLMNOP", "AWS access key id"),
        ("ghp_" + "x" * 36, "GitHub token"),
        ("-----BEGIN RSA PRIVATE KEY-----\nMII...", "private key"),
        ("info", None),
        ("https://huggingface.co/hf_models", None),
        ("hf_short", None),
    ],
)
def test_token_formats(value: str, expected: str | None) -> None:
    assert token_format(value) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("DB_PASSWORD", True),
        ("HF_TOKEN", True),
        ("OPENAI_APIKEY", True),
        ("LOG_LEVEL", False),
        ("PORT", False),
    ],
)
def test_credential_names(name: str, expected: bool) -> None:
    assert looks_like_credential_name(name) is expected


# DG107 undeclared-live-variable
def test_dg107_undeclared_live_variable_is_info() -> None:
    findings = check_container(
        CONTEXT, declared([HF]), running({"HUGGINGFACE_API_KEY": HF_ARN}, ["EXTRA"])
    )
    assert rule_ids(findings) == ["DG107"]
    assert findings[0].severity.value == "info"
    assert findings[0].target.variable == "EXTRA"


def test_dg107_everything_declared_passes() -> None:
    policy = declared([HF], ["EXTRA"])
    assert (
        check_container(CONTEXT, policy, running({"HUGGINGFACE_API_KEY": HF_ARN}, ["EXTRA"])) == []
    )


# DG201 registered-not-deployed
def spec(revision: int) -> TaskDefinitionSpec:
    return TaskDefinitionSpec(
        arn=f"{TD}:{revision}", family="api", revision=revision, status="ACTIVE", containers=()
    )


def test_dg201_older_revision_running() -> None:
    findings = check_revision(CONTEXT, spec(1), f"{TD}:2")
    assert rule_ids(findings) == ["DG201"]
    assert "registered but not deployed" in findings[0].message


def test_dg201_family_without_active_revision() -> None:
    [finding] = check_revision(CONTEXT, spec(3), None)
    assert "no ACTIVE revision" in finding.message


def test_dg201_latest_running_passes() -> None:
    assert check_revision(CONTEXT, spec(2), f"{TD}:2") == []


# DG202-DG204 rollout
def service(*deployments: Deployment, running_count: int = 2) -> ServiceState:
    return ServiceState(
        cluster="c",
        name="s",
        arn="arn:aws:ecs:us-east-1:123456789012:service/c/s",
        status="ACTIVE",
        deployment_controller="ECS",
        desired_count=2,
        running_count=running_count,
        deployments=deployments,
    )


def deployment(
    status: str = "PRIMARY", rollout: str = "COMPLETED", reason: str | None = None
) -> Deployment:
    return Deployment(
        id="ecs-svc/1",
        status=status,
        task_definition_arn=f"{TD}:2",
        rollout_state=rollout,
        rollout_state_reason=reason,
    )


def test_dg202_failed_rollout_with_reason() -> None:
    findings = check_rollout(
        CONTEXT, service(deployment(rollout="FAILED", reason="circuit breaker tripped"))
    )
    assert rule_ids(findings) == ["DG202"]
    assert "circuit breaker tripped" in findings[0].message


def test_dg203_rollout_in_progress() -> None:
    findings = check_rollout(
        CONTEXT, service(deployment(rollout="IN_PROGRESS"), deployment("ACTIVE"))
    )
    assert rule_ids(findings) == ["DG203"]


def test_dg204_running_below_desired() -> None:
    assert rule_ids(check_rollout(CONTEXT, service(deployment(), running_count=1))) == ["DG204"]


def test_dg202_dg203_dg204_settled_service_passes() -> None:
    assert check_rollout(CONTEXT, service(deployment())) == []


def test_every_rule_has_id_name_and_texts() -> None:
    ids = [rule.id for rule in RULES]
    assert len(ids) == len(set(ids))
    for rule in RULES:
        assert re.fullmatch(r"DG[1-9][0-9]{2}", rule.id)
        assert all((rule.name, rule.summary, rule.why, rule.remediation))
