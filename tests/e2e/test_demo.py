"""`drift-gate demo`: the incident's six acts, with no credentials and no network beyond
127.0.0.1 (the stand-in application)."""

from __future__ import annotations

from drift_gate.demo import SECRET_NAMES
from tests.conftest import Cli


def test_demo_runs_six_acts_without_credentials(cli: Cli) -> None:
    env = {k: v for k, v in cli.env.items() if not k.startswith("AWS_")}
    # A user's endpoint or profile must not leak into the emulated account.
    env.update(AWS_ENDPOINT_URL="http://127.0.0.1:9", AWS_PROFILE="does-not-exist")

    result = Cli(env, cli.cwd).run("demo")

    assert result.exit_code == 0, result.stderr
    acts = result.stdout.split("=== Act ")
    assert [act[:3] for act in acts[1:]] == ["(a)", "(b)", "(c)", "(d)", "(e)", "(f)"]
    assert "DG101 secret-missing  api/HUGGINGFACE_API_KEY" in acts[1]
    assert "exit code 1 (expected 1)" in acts[1]
    assert '500 {"error": "HuggingFace token not configured"}' in acts[1]
    assert "DG201 registered-not-deployed" in acts[2]
    assert "exit code 1 (expected 1)" in acts[2]
    assert "PASS: 1 service(s) run what is declared" in acts[3]
    assert "exit code 0 (expected 0)" in acts[3]
    assert "exit code 0 (expected 0)" in acts[4]  # the smoke requests answered as declared
    assert '200 {"label": "positive"' in acts[4]
    assert "DG308 execution-role-cannot-read-secret  api/HUGGINGFACE_API_KEY" in acts[5]
    assert (
        "role/hokusai-api-development-execution may not secretsmanager:GetSecretValue" in (acts[5])
    )
    assert "exit code 1 (expected 1)" in acts[5]
    stopped, through = acts[6].split("\n\n$ aws ecs update-service")[:2]
    # The revision without the key: FAILED at PRE_SCALE_UP, no task of it, rolled back.
    assert "0 task(s) of hokusai-api-development:3 running" in stopped
    assert '"hookStatus": "FAILED"' in stopped
    assert '"DG101 api HUGGINGFACE_API_KEY"' in stopped
    assert "ECS rolls the deployment back: PRIMARY hokusai-api-development:2 (COMPLETED" in stopped
    assert "exit code 1 (expected 1)" in stopped
    # The fixed revision: SUCCEEDED, the deployment completes on it.
    assert '"hookStatus": "SUCCEEDED"' in through
    assert (
        "ECS goes on with the deployment: PRIMARY hokusai-api-development:4 (COMPLETED" in through
    )
    assert "exit code 0 (expected 0)" in through
    assert result.stdout.rstrip().endswith("let the fixed one through, as it should.")
    for name in SECRET_NAMES:  # the demo's secret values never show
        assert f"demo-{name.lower()}" not in result.stdout
