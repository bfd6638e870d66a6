"""Names, never values: planted canary values must appear in no output, log or report file."""

from __future__ import annotations

from pathlib import Path

import pytest

from drift_gate import _moto_compat
from drift_gate.demo import CLUSTER, REGION, SERVICE, IncidentAccount
from drift_gate.report import FORMAT_NAMES
from tests.conftest import REPO, Cli, MotoServer, closed_port

POLICY = str(REPO / "policies" / "example.yaml")

CANARY_ENV = "canary-env-value-5e1f0c"
CANARY_TOKEN = "hf_CanaryTokenValue7Q2xW9mLp3RtY8vK4nB6"
CANARY_SECRETS = {
    "DATABASE_HOST": "canary-secret-db-91ab",
    "MLFLOW_SERVER_URL": "canary-secret-mlflow-44cd",
    "HUGGINGFACE_API_KEY": "hf_CanarySecretValue0Z9yX8wV7uT6sR5qP4",
}
CANARIES = [CANARY_ENV, CANARY_TOKEN, "CanaryTokenValue", *CANARY_SECRETS.values(), "canary-secret"]


@pytest.fixture
def planted(moto_server: MotoServer) -> MotoServer:
    """The incident account with canary values everywhere a value can live."""
    account = IncidentAccount.create(moto_server.client, CANARY_SECRETS)
    _moto_compat.settle(CLUSTER, SERVICE, REGION)
    # A revision with drift of every kind, each carrying a canary value:
    # the declared secret as a plain variable (DG103), a live token (DG106),
    # a credential-like name (DG105) and undeclared variables (DG107).
    revision = account.register_revision(
        ["DATABASE_HOST", "MLFLOW_SERVER_URL"],
        {
            "LOG_LEVEL": CANARY_ENV,
            "HUGGINGFACE_API_KEY": CANARY_SECRETS["HUGGINGFACE_API_KEY"],
            "HF_LEGACY": CANARY_TOKEN,
            "SESSION_SECRET": CANARY_ENV,
        },
    )
    account.redeploy(revision)
    return moto_server


def assert_no_canary(where: str, text: str) -> None:
    for canary in CANARIES:
        assert canary not in text, f"a planted value leaked into {where}"


@pytest.mark.parametrize("fmt", FORMAT_NAMES)
def test_no_value_in_any_format_on_stdout_or_stderr(
    planted: MotoServer, cli_on_moto: Cli, fmt: str
) -> None:
    result = cli_on_moto.run("check", "--policy", POLICY, "--format", fmt)
    assert result.exit_code == 1
    # The drift the canaries sit in really was found (else the test would prove nothing);
    # annotations leave info findings (DG107) to the summary.
    expected = (
        ("DG103", "DG105", "DG106") if fmt == "github" else ("DG103", "DG105", "DG106", "DG107")
    )
    for rule_id in expected:
        assert rule_id in result.stdout
    assert_no_canary(f"{fmt} stdout", result.stdout)
    assert_no_canary(f"{fmt} stderr", result.stderr)


def test_no_value_in_report_files_or_debug_output(
    planted: MotoServer, cli_on_moto: Cli, tmp_path: Path
) -> None:
    args = ["--debug", "check", "--policy", POLICY, "--fail-on", "warning"]
    for fmt in FORMAT_NAMES:
        args += ["--format", fmt, "--output", str(tmp_path / f"report.{fmt}")]
    result = cli_on_moto.run(*args)
    assert result.exit_code == 1
    assert_no_canary("stdout", result.stdout)
    assert_no_canary("stderr", result.stderr)
    for fmt in FORMAT_NAMES:
        text = (tmp_path / f"report.{fmt}").read_text()
        assert "DG106" in text
        assert_no_canary(f"the {fmt} report file", text)


def test_no_value_when_verification_fails(planted: MotoServer, cli: Cli) -> None:
    result = cli.run(
        "--debug",
        "check",
        "--policy",
        POLICY,
        "--max-attempts",
        "1",
        "--timeout",
        "1",
        extra_env={"AWS_ENDPOINT_URL": f"http://127.0.0.1:{closed_port()}"},
    )
    assert result.exit_code == 3
    assert_no_canary("stdout", result.stdout)
    assert_no_canary("stderr", result.stderr)
