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


# --- Policy input: a validation message names a path, a line and what was expected ----------

CANARY_POLICY = "canary-policy-value-7d3e"
SAFE_POLICY = """\
version: 1
environments:
  dev:
    region: us-east-1
    services:
      - cluster: c
        service: api
        containers:
          api:
            secrets: [HF_TOKEN]
"""
SMOKE = "        smoke:\n          - url: https://api.example.com/\n"
HEADER = SMOKE + "            headers: {X-API-Key: %s}\n"


def _policy(old: str, new: str, extra: str = "") -> str:
    text = SAFE_POLICY.replace(old, new) if old else SAFE_POLICY
    return text + extra.replace("%s", CANARY_POLICY)


C = CANARY_POLICY
# Each planted where it is wrong, or beside what is wrong, for each way a policy can fail:
# every schema keyword the schema uses, the checks beyond it, and YAML that does not parse.
BROKEN_POLICIES = {
    # The case: `services:` one level too shallow holds the smoke header.
    "type, a mis-indented subtree": SAFE_POLICY.replace("    services:", "  services:").replace(
        "\n      ", "\n    "
    )
    + HEADER.replace("        ", "      ").replace("%s", C),
    "type, text for a list": _policy("secrets: [HF_TOKEN]", f"secrets: {C}"),
    "type, a header value list": _policy("", "", SMOKE + "            headers: {X: [%s]}\n"),
    "const": _policy("version: 1", f"version: {C}"),
    "enum": _policy("    services:", f"    secret_checks: {C}\n    services:"),
    "enum, method": _policy("", "", SMOKE + "            method: %s\n"),
    "required, smoke without url": _policy("", "", "        smoke:\n          - {json: %s}\n"),
    "required, service": _policy("        service: api\n", "", HEADER),
    "additionalProperties": _policy("", "", f"        colour: {C}\n"),
    "additionalProperties beside a header": _policy("", "", HEADER + "            colour: 1\n"),
    "pattern, region": _policy("region: us-east-1", f"region: {C}"),
    "pattern, anchored": _policy("region: us-east-1", f'region: "us-east-1\\n{C}"'),
    "pattern, ignore": _policy("", "", f"        ignore: [{C}]\n"),
    "pattern, ignore DG9": _policy("", "", f"        ignore: [DG9-{C}]\n"),
    "pattern, url": _policy("", "", f"        smoke:\n          - url: {C}\n"),
    "pattern, header env": _policy("", "", SMOKE + "            headers: {X: {env: %s}}\n"),
    "pattern, a value typed as a key": _policy(
        "", "", SMOKE + "            headers: {X-API-Key:%s}\n"
    ),
    "maxLength": _policy("cluster: c", f"cluster: {C * 20}"),
    "minLength": _policy("", "", f"        logs: {{group: {C}, forbid: ['']}}\n"),
    "minItems": _policy("", "", f"        logs: {{group: {C}, forbid: []}}\n"),
    "maxItems": _policy("", "", SMOKE + "".join(f"          - url: https://{C}/\n" * 50)),
    "uniqueItems": _policy("secrets: [HF_TOKEN]", f"environment: [{C}, {C}]"),
    "minimum and maximum": _policy("", "", HEADER + "            timeout: 999\n"),
    "exclusiveMinimum": _policy("", "", HEADER + "            timeout: 0\n"),
    "oneOf, a secret entry": _policy("secrets: [HF_TOKEN]", f"secrets: [{{name: {C}, x: 1}}]"),
    "minProperties": _policy("", "", f"        match: {{}}\n        logs: {{group: {C}}}\n"),
    "a name declared twice": _policy("secrets: [HF_TOKEN]", f"secrets: [{C}, {C}]"),
    "a service listed twice": _policy("cluster: c", f"cluster: {C}")
    + SAFE_POLICY.split("services:\n")[1].replace("cluster: c", f"cluster: {C}"),
    "plain http": _policy("", "", f"        smoke:\n          - url: http://{C}.example/\n"),
    "a log window": _policy("", "", "        logs: {group: g, forbid: [x], since: 99999999999d}\n"),
    "a duplicate key": _policy("region: us-east-1", f"region: {C}\n    region: {C}"),
    "waiver, unknown rule": _policy(
        "", "", f"waivers:\n  - {{rule: DG299, reason: {C}, expires: '2026-01-01'}}\n"
    ),
    "waiver, no date": _policy(
        "", "", f"waivers:\n  - {{rule: DG201, reason: {C}, expires: '2026-02-30'}}\n"
    ),
    "waiver, far": _policy(
        "", "", f"waivers:\n  - {{rule: DG201, reason: {C}, expires: '9999-01-01'}}\n"
    ),
    "waiver, DG9": _policy("", "", f"waivers:\n  - {{rule: DG901, reason: {C}, expires: x}}\n"),
    "a date tag": _policy("", "", HEADER + "            json: !!timestamp 2026-01-01\n"),
    "a binary tag": _policy("", "", SMOKE + "            json: !!binary %s\n"),
    "a NaN": _policy("", "", HEADER + "            timeout: .nan\n"),
    "a key that is a number": _policy("", "", SMOKE + "            headers: {1: %s}\n"),
    "YAML: a quoted scalar's escape": _policy("region: us-east-1", f'region: "{C}\\q"'),
    "YAML: an undefined alias": _policy("region: us-east-1", f"region: *{C}"),
    "YAML: a custom tag": _policy("region: us-east-1", f"region: !{C} x"),
    "YAML: a broken line": _policy("region: us-east-1", f"region: [{C}"),
    "YAML: mapping in a scalar": _policy("region: us-east-1", f"region: {C}: x: y"),
    "YAML: a tab": _policy("region: us-east-1", f"region:\n\t{C}"),
}


@pytest.mark.parametrize("loader", ["libyaml", "python"])
@pytest.mark.parametrize("case", sorted(BROKEN_POLICIES))
def test_no_policy_value_in_any_validation_message(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: str, loader: str
) -> None:
    import yaml

    from drift_gate import yamlfile

    if loader == "python":  # PyYAML's own messages quote more than libyaml's
        monkeypatch.setattr(yamlfile, "_Loader", yamlfile.without_timestamps(yaml.SafeLoader))
    policy = tmp_path / "p.yaml"
    policy.write_text(BROKEN_POLICIES[case])
    for args in (
        ["validate-policy", str(policy)],
        ["check", "--policy", str(policy)],
        ["waivers", "--policy", str(policy)],
    ):
        result = cli.run(*args)
        assert result.exit_code == 2, (args, result.stdout, result.stderr)
        assert str(policy) in result.stderr  # the problem really was reported
        for stream in (result.stdout, result.stderr):
            assert CANARY_POLICY not in stream, (case, args, stream)
            assert "canary-policy" not in stream, (case, args, stream)


def test_no_input_value_in_a_pydantic_problem() -> None:
    """validation.first_problem, used for plans, answers and files: whichever error type
    pydantic raises, the line names the path and what was expected, never the input."""
    from typing import Annotated, Literal

    from pydantic import BaseModel, Field, ValidationError, field_validator

    from drift_gate.validation import first_problem

    class Cat(BaseModel):
        kind: Literal["cat"]

    class Dog(BaseModel):
        kind: Literal["dog"]

    class Echoing(BaseModel):
        name: str

        @field_validator("name")
        @classmethod
        def quote(cls, value: str) -> str:
            raise ValueError(f"got {value!r}, not a name")

    class Model(BaseModel):
        pet: Annotated[Cat | Dog, Field(discriminator="kind")] | None = None
        short: Annotated[str, Field(max_length=3)] = ""
        number: int = 0
        choice: Literal["a", "b"] = "a"
        echoing: Echoing | None = None
        labels: dict[str, int] = {}

    for data in (
        {"pet": {"kind": CANARY_POLICY}},
        {"short": CANARY_POLICY},
        {"number": CANARY_POLICY},
        {"choice": CANARY_POLICY},
        {"echoing": {"name": CANARY_POLICY}},
        {"labels": {CANARY_POLICY: CANARY_POLICY}},
    ):
        try:
            Model.model_validate(data)
        except ValidationError as error:
            problem = first_problem(error, Model)
        else:
            raise AssertionError(data)
        assert CANARY_POLICY not in problem, problem
        assert problem.split(":")[0] in {
            "pet",
            "short",
            "number",
            "choice",
            "echoing.name",
            "labels[...]",
        }
