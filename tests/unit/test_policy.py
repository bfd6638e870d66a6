"""Policy files: the schema, every error at once with file/line/path, and what a policy means."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from drift_gate.errors import InvalidInputError
from drift_gate.policy import find_problems, load_policy
from drift_gate.yamlfile import load_yaml_file, parse_yaml
from tests.conftest import REPO, Cli

ISSUE_EXAMPLE = """\
version: 1
environments:
  development:
    region: us-east-1
    services:
      - cluster: hokusai-development
        service: hokusai-api-development
        containers:
          api:
            secrets: [DATABASE_HOST, MLFLOW_SERVER_URL, HUGGINGFACE_API_KEY]
            environment: [LOG_LEVEL]
"""


def test_the_issue_example_is_valid_and_means_what_it_says(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(ISSUE_EXAMPLE)
    policy = load_policy(path)
    [environment] = policy.environments
    assert (environment.name, environment.region) == ("development", "us-east-1")
    [service] = environment.services
    assert (service.cluster, service.service) == ("hokusai-development", "hokusai-api-development")
    [container] = service.containers
    assert container.name == "api"
    assert [s.name for s in container.secrets] == [
        "DATABASE_HOST",
        "MLFLOW_SERVER_URL",
        "HUGGINGFACE_API_KEY",
    ]
    assert all(s.value_from is None for s in container.secrets)
    assert {s.where for s in container.secrets} == {f"{path}:10"}
    assert [(v.name, v.where) for v in container.environment] == [("LOG_LEVEL", f"{path}:11")]


def test_pinned_value_from_and_ignore(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(
        ISSUE_EXAMPLE.replace(
            "secrets: [DATABASE_HOST, MLFLOW_SERVER_URL, HUGGINGFACE_API_KEY]",
            "secrets:\n              - DATABASE_HOST\n              - name: HUGGINGFACE_API_KEY\n"
            "                value_from: arn:aws:secretsmanager:us-east-1:1:secret:hf-AbCdEf",
        )
        + "        ignore: [DG107]\n"
    )
    [service] = load_policy(path).environments[0].services
    hf = service.containers[0].secrets[1]
    assert (hf.name, hf.value_from, hf.where) == (
        "HUGGINGFACE_API_KEY",
        "arn:aws:secretsmanager:us-east-1:1:secret:hf-AbCdEf",
        f"{path}:12",
    )
    assert service.ignore == {"DG107"}


BROKEN = """\
version: 1
environments:
  development:
    region: US-EAST-1
    services:
      - cluster: hokusai-development
        servce: hokusai-api-development
        containers:
          api:
            secrets: [DATABASE_HOST, "HAS SPACE"]
            environment: LOG_LEVEL
        ignore: [DG901]
"""


def test_every_schema_error_is_reported_at_once_with_line_and_path() -> None:
    problems = [str(p) for p in find_problems(parse_yaml(BROKEN, "p.yaml"))]
    assert problems == [
        "p.yaml:4: environments/development/region: expected text matching ^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]+$",
        "p.yaml:6: environments/development/services/0: 'service' is a required property "
        "(or use `match` to select services)",
        "p.yaml:7: environments/development/services/0/servce: unexpected key servce; did you "
        "mean service? allowed here: cluster, service, match, containers, ignore, logs, smoke "
        "(docs/policy.md)",
        "p.yaml:10: environments/development/services/0/containers/api/secrets/1: expected text matching ^[^=\\s]+$",
        "p.yaml:11: environments/development/services/0/containers/api/environment: expected a list, found text",
        "p.yaml:12: environments/development/services/0/ignore/0: DG9xx cannot be ignored: it means drift-gate could not verify a link, and it fails closed",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            ISSUE_EXAMPLE.replace("version: 1", "version: 2"),
            "p.yaml:1: version: unsupported policy version; this drift-gate reads version 1 "
            "(`version: 1`)",
        ),
        (
            ISSUE_EXAMPLE.replace("environment: [LOG_LEVEL]", "environment: [HUGGINGFACE_API_KEY]"),
            "p.yaml:11: environments/development/services/0/containers/api/environment/0: "
            "this name is declared in both secrets and environment (line 10); declare it once",
        ),
        (
            ISSUE_EXAMPLE.replace("region: us-east-1", "region: us-east-1\n    region: eu-west-1"),
            "p.yaml:5: environments/development/region: duplicate key; each key may appear once",
        ),
        (
            ISSUE_EXAMPLE + ISSUE_EXAMPLE.split("services:\n")[1],
            "p.yaml:12: environments/development/services/1: this cluster and service are listed "
            "already (line 6)",
        ),
    ],
)
def test_consistency_problems(text: str, expected: str) -> None:
    assert [str(p) for p in find_problems(parse_yaml(text, "p.yaml"))] == [expected]


def test_yaml_syntax_error_names_file_line_and_column() -> None:
    with pytest.raises(
        InvalidInputError, match=r"^p\.yaml:4:1: invalid YAML: (did not find )?expected ',' or '\]'"
    ):
        parse_yaml("version: 1\nenvironments:\n  dev: [a\n", "p.yaml")


def test_load_policy_raises_the_first_problem_and_counts_the_rest(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(BROKEN)
    with pytest.raises(
        InvalidInputError,
        match=r"invalid policy: .*p\.yaml:4: .*\(and 5 more; run `drift-gate validate-policy",
    ):
        load_policy(path)


def test_validate_policy_cli_reports_every_file_and_exits_2(cli: Cli, tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text(ISSUE_EXAMPLE)
    bad = tmp_path / "bad.yaml"
    bad.write_text(BROKEN)
    missing = tmp_path / "missing.yaml"

    result = cli.run("validate-policy", str(good), str(bad), str(missing))

    assert result.exit_code == 2
    assert result.stdout == f"{good}: valid\n"
    errors = result.stderr.splitlines()
    assert len([line for line in errors if line.startswith(f"{bad}:")]) == 6
    assert f"{missing}: cannot read file (No such file or directory)" in errors
    assert errors[-1] == "drift-gate: 2 of 3 policy file(s) invalid"
    assert "Traceback" not in result.stderr


def test_validate_policy_cli_passes_valid_files(cli: Cli, tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text(ISSUE_EXAMPLE)
    result = cli.run("validate-policy", str(good))
    assert (result.exit_code, result.stdout, result.stderr) == (0, f"{good}: valid\n", "")


def shipped_policies() -> list[tuple[str, str]]:
    """Every policy file in policies/ and every `version: 1` YAML block in docs/*.md."""
    found = [
        (str(p.relative_to(REPO)), p.read_text())
        for p in sorted((REPO / "policies").glob("*.yaml"))
    ]
    for doc in sorted((REPO / "docs").glob("**/*.md")):
        for index, block in enumerate(re.findall(r"```yaml\n(.*?)```", doc.read_text(), re.S)):
            if block.startswith("version: 1"):
                found.append((f"{doc.relative_to(REPO)}#{index}", block))
    return found


@pytest.mark.parametrize(("name", "text"), shipped_policies())
def test_every_shipped_policy_validates(name: str, text: str) -> None:
    assert [str(p) for p in find_problems(parse_yaml(text, name))] == []


def test_shipped_policies_include_the_docs() -> None:
    names = [name for name, _ in shipped_policies()]
    assert "policies/example.yaml" in names
    assert any(name.startswith("docs/policy.md#") for name in names)


def test_example_policy_is_the_demo_policy() -> None:
    shipped = (REPO / "drift_gate" / "demo_policy.yaml").read_text()
    assert (REPO / "policies" / "example.yaml").read_text() == shipped


def test_unreadable_and_non_utf8_files(tmp_path: Path) -> None:
    latin = tmp_path / "latin.yaml"
    latin.write_bytes(b"version: 1 # caf\xe9\n")
    with pytest.raises(InvalidInputError, match="not UTF-8 text"):
        load_yaml_file(latin)


# --- Hostile and mistyped policies: one line each, exit 2, never a crash or a hang ---------

VALID_SERVICE = """\
version: 1
environments:
  dev:
    region: {region}
    services:
      - cluster: c
        service: api
        containers:
          api:
            secrets: [HF_TOKEN]
{extra}"""


def policy_text(region: str = "us-east-1", extra: str = "") -> str:
    return VALID_SERVICE.format(region=region, extra=extra)


def problems_of(text: str) -> list[str]:
    return [str(problem) for problem in find_problems(parse_yaml(text, "p.yaml"))]


def test_an_alias_bomb_is_refused_quickly() -> None:
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
        f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
        f"*{chr(97 + i)}, *{chr(97 + i)}]\n"
        for i in range(9)
    )
    assert len(bomb) < 1000  # ten billion values once expanded
    with pytest.raises(InvalidInputError, match="aliases expand to more than 100,000 values"):
        parse_yaml(bomb, "p.yaml")


def fleet_policy(services: int) -> str:
    """An honest policy of a big fleet: no alias, one container and three names a service."""
    entries = "".join(
        f"      - cluster: fleet-{index % 40}\n        service: service-{index}\n"
        "        containers:\n          app:\n"
        "            secrets: [DATABASE_URL, API_KEY]\n            environment: [LOG_LEVEL]\n"
        for index in range(services)
    )
    return f"version: 1\nenvironments:\n  prod:\n    region: us-east-1\n    services:\n{entries}"


def test_a_fleet_of_10000_services_without_an_alias_loads(tmp_path: Path) -> None:
    """The alias bound is on what aliases add: a big policy as written is not refused
    (its timing is in benchmarks/policy_load.py, never asserted here)."""
    path = tmp_path / "p.yaml"
    path.write_text(fleet_policy(10_000))
    [environment] = load_policy(path).environments
    assert len(environment.services) == 10_000
    last = environment.services[-1]
    assert (last.service, last.where) == ("service-9999", f"{path}:{5 + 6 * 9_999 + 1}")


def test_what_aliases_add_is_counted_through_nested_aliases() -> None:
    nine = "x: &x [1, 2, 3, 4, 5, 6, 7, 8, 9]\n"
    # Each alias adds the list again (ten values): 9,000 of them add 90,000.
    assert len(parse_yaml(nine + "".join(f"k{i}: *x\n" for i in range(9_000)), "p").data) == 9_001
    with pytest.raises(InvalidInputError, match=r"^p:1: YAML aliases expand to more than 100,000"):
        parse_yaml(nine + "".join(f"k{i}: *x\n" for i in range(10_001)), "p")
    # An alias of a list of aliases adds everything below it: 10 x 10 x 10 x 11 values for
    # `d` (within the bound), ten times that for a list of ten `*d` (beyond it).
    levels = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{b}: &{b} [{', '.join([f'*{a}'] * 10)}]\n" for a, b in zip("abc", "bcd", strict=True)
    )
    assert parse_yaml(levels, "p").data["d"][9][9][9] == ["x"] * 10
    with pytest.raises(InvalidInputError, match="aliases expand to more than 100,000 values"):
        parse_yaml(levels + f"e: [{', '.join(['*d'] * 10)}]\n", "p")


def test_an_alias_of_itself_is_refused_not_followed() -> None:
    for text in ("a: &a [*a]\n", "a: &a {b: *a}\n"):
        with pytest.raises(InvalidInputError, match="nested deeper than 32 levels"):
            parse_yaml(text, "p")


def test_a_few_aliases_are_still_fine() -> None:
    document = parse_yaml("a: &a [1, 2]\nb: *a\nc: *a\n", "p.yaml")
    assert document.data == {"a": [1, 2], "b": [1, 2], "c": [1, 2]}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[" * 600 + "]" * 600, "nested deeper than 32 levels"),
        ("version: " + "9" * 5000 + "\n", "a number in the YAML is too long"),
    ],
)
def test_deep_nesting_and_huge_numbers(text: str, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        parse_yaml(text, "p.yaml")


def test_a_value_ending_in_a_newline_does_not_match_an_anchored_pattern() -> None:
    assert problems_of(policy_text(region='"us-east-1\\n"')) == [
        "p.yaml:4: environments/dev/region: expected text matching "
        "^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]+$"
    ]


def test_version_as_a_string_says_it_must_be_the_integer() -> None:
    text = policy_text().replace("version: 1", 'version: "1"')
    assert problems_of(text) == [
        "p.yaml:1: version: version must be the integer 1, not text: write `version: 1`"
    ]


def test_unknown_rule_ids_in_ignore_are_listed_with_the_known_ones() -> None:
    [problem] = problems_of(policy_text(extra="        ignore: [DG199]\n"))
    assert problem.startswith(
        "p.yaml:11: environments/dev/services/0/ignore/0: not a rule id that can be "
        "ignored; known: DG101, DG102"
    )
    assert "DG901" not in problem


@pytest.mark.parametrize("since", ["99999999999999999999d", "4000d", "1000000000d"])
def test_a_log_window_beyond_any_date_is_refused_before_the_check(since: str) -> None:
    extra = f"        logs:\n          group: /ecs/api\n          forbid: [x]\n          since: {since}\n"
    [problem] = problems_of(policy_text(extra=extra))
    assert problem == (
        "p.yaml:14: environments/dev/services/0/logs/since: since is longer than "
        "CloudWatch Logs keeps events (10 years)"
    )


def test_the_least_privilege_iam_policy_scopes_logs_and_metrics(tmp_path: Path) -> None:
    from drift_gate.iam import least_privilege

    path = tmp_path / "p.yaml"
    path.write_text(
        policy_text(
            region="cn-north-1",
            extra="        logs:\n          group: /ecs/api\n          forbid: [x]\n",
        )
    )
    document = least_privilege(load_policy(path), "DriftGate/Prod")
    by_sid = {statement["Sid"]: statement for statement in document["Statement"]}
    assert by_sid["DriftGateApplicationLogs"]["Resource"] == [
        "arn:aws-cn:logs:cn-north-1:*:log-group:/ecs/api",
        "arn:aws-cn:logs:cn-north-1:*:log-group:/ecs/api:*",
    ]
    assert by_sid["DriftGateNightlyMetrics"]["Condition"] == {
        "StringEquals": {"cloudwatch:namespace": "DriftGate/Prod"}
    }
    # The simulator only on roles, in the policy's partition.
    assert by_sid["DriftGateAskWhatExecutionRolesMayRead"]["Resource"] == [
        "arn:aws-cn:iam::*:role/*"
    ]
    no_logs = tmp_path / "q.yaml"
    no_logs.write_text(policy_text())
    assert {s["Sid"] for s in least_privilege(load_policy(no_logs))["Statement"]} == {
        "DriftGateReadEcs",
        "DriftGateImageMetadata",
        "DriftGateSecretMetadataOnly",
        "DriftGateAskWhatExecutionRolesMayRead",
        "DriftGateKeyMetadata",
    }
    # The execution-role link off everywhere: neither iam: nor kms: is asked for.
    role_off = tmp_path / "r.yaml"
    role_off.write_text(
        policy_text().replace("    services:", "    checks: {execution_role: off}\n    services:")
    )
    assert {s["Sid"] for s in least_privilege(load_policy(role_off))["Statement"]} == {
        "DriftGateReadEcs",
        "DriftGateImageMetadata",
        "DriftGateSecretMetadataOnly",
    }


def test_libyaml_reads_policies_as_the_python_loader_does(monkeypatch: pytest.MonkeyPatch) -> None:
    """The C loader is used when PyYAML has it; data and line numbers are the same."""
    import yaml

    from drift_gate import yamlfile

    if yaml.__with_libyaml__:
        assert issubclass(yamlfile._Loader, yaml.CSafeLoader)
    for path in [
        *sorted((REPO / "policies").glob("*.yaml")),
        REPO / "examples" / "hokusai" / "drift-gate.yaml",
    ]:
        text = path.read_text()
        fast = yamlfile.parse_yaml(text, str(path))
        monkeypatch.setattr(yamlfile, "_Loader", yamlfile.without_timestamps(yaml.SafeLoader))
        slow = yamlfile.parse_yaml(text, str(path))
        monkeypatch.undo()
        assert (fast.data, fast.lines) == (slow.data, slow.lines), path


SELECTING = """\
version: 1
environments:
  ml:
    region: us-east-1
    account: "123456789012"
    services:
      - match: {service: "hokusai-*", tags: {team: ml}}
        containers:
          api:
            secrets: [HUGGINGFACE_API_KEY]
"""


def test_match_entries_are_read_and_need_the_list_permissions(tmp_path: Path) -> None:
    from drift_gate.iam import least_privilege

    path = tmp_path / "p.yaml"
    path.write_text(SELECTING)
    policy = load_policy(path)
    (environment,) = policy.environments
    assert environment.account == "123456789012"
    assert environment.services == ()
    (selector,) = environment.selectors
    assert selector.match.matches("any", "hokusai-api", [("team", "ml"), ("x", "y")])
    assert not selector.match.matches("any", "hokusai-api", [("team", "web")])
    assert not selector.match.matches("any", "other-api", [("team", "ml")])
    assert selector.where == f"{path}:7"
    assert selector.for_service("prod", "hokusai-api").service == "hokusai-api"
    actions = least_privilege(policy)["Statement"][0]["Action"]
    assert {"ecs:ListClusters", "ecs:ListServices"} <= set(actions)


def test_a_misspelled_key_is_told_at_its_own_line_with_the_key_it_is_close_to() -> None:
    text = (
        "version: 1\nenvironments:\n  e:\n    region: us-east-1\n    services:\n"
        "      - cluster: c\n        service: s\n        containres:\n          api: {}\n"
        "        smoke:\n          - url: https://x.example/\n            expcet: [200]\n"
        "            zzz: 1\n"
    )
    problems = [str(problem) for problem in find_problems(parse_yaml(text, "p.yaml"))]
    assert problems == [
        "p.yaml:8: e/services/0/containres: unexpected key containres; did you mean containers? "
        "allowed here: cluster, service, match, containers, ignore, logs, smoke (docs/policy.md)".replace(
            "e/", "environments/e/"
        ),
        "p.yaml:12: environments/e/services/0/smoke/0/expcet: unexpected key expcet; did you mean "
        "expect? allowed here: url, method, headers, json, expect, forbid, timeout, retries, "
        "allow_http (docs/policy.md)",
        "p.yaml:13: environments/e/services/0/smoke/0/zzz: unexpected key zzz; allowed here: "
        "url, method, headers, json, expect, forbid, timeout, retries, allow_http (docs/policy.md)",
    ]  # and no "missing required key: containers": the misspelling is that key


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("{cluster: c, containers: {a: {}}}", "'service' is a required property (or use `match`"),
        ("{containers: {a: {}}}", "give `cluster` and `service` (one service), or `match`"),
        (
            "{match: {service: x}, cluster: c, containers: {a: {}}}",
            "give `match` or `cluster` and `service`, not both",
        ),
        ("{match: {}, containers: {a: {}}}", "match: expected at least 1 key(s)"),
        ("{match: {colour: red}, containers: {a: {}}}", "match/colour: unexpected key colour;"),
    ],
)
def test_an_entry_names_one_service_or_selects(entry: str, message: str) -> None:
    text = (
        f"version: 1\nenvironments:\n  e:\n    region: us-east-1\n    services:\n      - {entry}\n"
    )
    problems = [str(problem) for problem in find_problems(parse_yaml(text, "p.yaml"))]
    assert any(message in problem for problem in problems), problems


def test_a_policy_validated_once_is_not_validated_again_until_it_changes(tmp_path: Path) -> None:
    """The second load of an unchanged policy does not even import jsonschema (~60 ms)."""
    import subprocess
    import sys

    path = tmp_path / "p.yaml"
    path.write_text(SELECTING)
    env = {**os.environ, "DRIFT_GATE_CACHE_DIR": str(tmp_path / "cache")}
    probe = (
        "import sys; from pathlib import Path; from drift_gate.policy import load_policy; "
        f"load_policy(Path({str(path)!r})); print('jsonschema' in sys.modules)"
    )

    def imports_jsonschema() -> str:
        return subprocess.run(
            [sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True
        ).stdout.strip()

    assert imports_jsonschema() == "True"  # first time: validated, remembered
    assert imports_jsonschema() == "False"  # known valid
    assert list((tmp_path / "cache" / "valid-policies").iterdir())
    path.write_text(SELECTING.replace("hokusai-*", "hokusai-?*"))
    assert imports_jsonschema() == "True"  # changed: validated again
    path.write_text(SELECTING.replace("region: us-east-1", "region: US"))
    with pytest.raises(InvalidInputError, match="expected text matching"):
        load_policy(path)  # a problem is never remembered as valid


def test_a_value_outside_a_list_of_choices_is_named_in_yaml_words(tmp_path: Path) -> None:
    text = policy_text().replace(
        "    services:", "    checks: {execution_role: maybe}\n    services:"
    )
    (problem,) = problems_of(text)
    assert problem == (
        "p.yaml:5: environments/dev/checks/execution_role: expected one of: "
        "required, best-effort, off, true, false"
    )


# --- Only JSON types: YAML tags that make anything else stop at the loader ---------------

SMOKE_REQUEST = "        smoke:\n          - url: https://api.example.com/\n"


@pytest.mark.parametrize(
    ("extra", "where", "message"),
    [
        (SMOKE_REQUEST + "            json: !!binary AAAA\n", ":13: ", "!!binary"),
        (SMOKE_REQUEST + "            json: !!timestamp 2026-01-01\n", ":13: ", "!!timestamp"),
        (SMOKE_REQUEST + "            json: !!set {a, b}\n", ":13: ", "!!set"),
        (SMOKE_REQUEST + "            json: !!omap [{a: 1}]\n", ":13: ", "!!omap"),
        (SMOKE_REQUEST + "            json: !!python/tuple [1]\n", ":13: ", "!!python/..."),
        (SMOKE_REQUEST + "            json: !!python/name:os.system x\n", ":13: ", "!!python/"),
        (SMOKE_REQUEST + "            json: !custom x\n", ":13: ", "a custom YAML tag"),
        (SMOKE_REQUEST + "            json: {1: x}\n", ":13: ", "a key is an integer"),
        (SMOKE_REQUEST + "            json: {true: x}\n", ":13: ", "a key is true/false"),
        (SMOKE_REQUEST + "            json: {? [a]: b}\n", ":13: ", "a key is a list"),
        (SMOKE_REQUEST + "            json: {? {a: 1}: b}\n", ":13: ", "a key is a map"),
        (SMOKE_REQUEST + "            json: {a: .nan}\n", ":13: ", "not a finite number"),
        (SMOKE_REQUEST + "            timeout: .inf\n", ":13: ", "not a finite number"),
        (SMOKE_REQUEST + "            json: 1.0e+999\n", ":13: ", "not a finite number"),
        (SMOKE_REQUEST + "            allow_http: !!bool maybe\n", ":13: ", "tagged !!bool"),
        (SMOKE_REQUEST + "            retries: !!int many\n", ":13: ", "tagged !!int"),
    ],
)
def test_a_value_json_has_no_type_for_is_refused_with_its_path_and_line(
    cli: Cli, tmp_path: Path, extra: str, where: str, message: str
) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(policy_text(extra=extra))
    with pytest.raises(InvalidInputError, match=re.escape(message)) as raised:
        load_yaml_file(path)
    assert f"{path}{where}environments/dev/services/0/smoke/0" in str(raised.value)
    for args in (
        ["validate-policy", str(path)],
        ["check", "--policy", str(path)],
        ["waivers", "--policy", str(path)],
    ):
        result = cli.run(*args)
        assert result.exit_code == 2, (args, result.stderr)
        assert f"{path}:13: environments/dev/services/0/smoke/0" in result.stderr
        assert "internal error" not in result.stderr


def test_a_waiver_date_written_as_a_yaml_timestamp_is_a_policy_problem(
    cli: Cli, tmp_path: Path
) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(
        policy_text()
        + "waivers:\n  - rule: DG201\n    reason: redeployed on Mondays\n"
        + "    expires: !!timestamp 2026-12-31\n"
    )
    result = cli.run("waivers", "--policy", str(path))
    assert result.exit_code == 2
    assert f"{path}:14: waivers/0/expires: the YAML tag !!timestamp" in result.stderr


def test_merge_keys_and_explicit_json_tags_still_load() -> None:
    document = parse_yaml(
        "base: &b {x: 1}\nall:\n  <<: *b\n  y: !!float 2\n  z: !!str 3\n  n: !!null ''\n", "p"
    )
    assert document.data["all"] == {"x": 1, "y": 2.0, "z": "3", "n": None}


# --- dotenv paths stay in the repository holding the policy, as Terraform's file() does ----

OUTSIDE_NAME = "OUTSIDE_ONLY_NAME_4b1c"


@pytest.fixture
def repository(tmp_path: Path) -> Path:
    """A git work tree (a `.git` is all file() looks for) with an empty Terraform root, and
    beside it, outside, a dotenv file whose name must never be read."""
    (tmp_path / "outside.env").write_text(f"{OUTSIDE_NAME}=x\n")
    repo = tmp_path / "work" / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "infra").mkdir()
    (repo / "infra" / "main.tf").write_text("terraform {}\n")
    (repo / "app").mkdir()
    (repo / "app" / ".env.example").write_text("INSIDE_NAME=\n")
    return repo


def dotenv_policy(repo: Path, *paths: str) -> Path:
    path = repo / "policies" / "drift-gate.yaml"
    path.parent.mkdir(exist_ok=True)
    listed = ", ".join(f'"{p}"' for p in paths)
    path.write_text(policy_text(extra="").replace("secrets: [HF_TOKEN]", f"dotenv: [{listed}]"))
    return path


def test_a_dotenv_path_outside_the_repository_is_refused_with_its_key_and_line(
    cli: Cli, repository: Path
) -> None:
    (repository / "app" / "link.env").symlink_to(repository.parent.parent / "outside.env")
    infra = repository / "infra"
    for outside in (
        "../../../outside.env",  # `..` out of the repository
        str(repository.parent.parent / "outside.env"),  # an absolute path outside
        "../app/link.env",  # inside by name, a symlink out of it
        "../app/../../../outside.env",
    ):
        policy = dotenv_policy(repository, "../app/.env.example", outside)
        for args in (
            ["validate-policy", str(policy)],
            ["check", "--offline", "--policy", str(policy), "--terraform-dir", str(infra)],
        ):
            result = cli.run(*args)
            assert result.exit_code == 2, (outside, args, result.stderr)
            line = (
                f"{policy}:10: environments/dev/services/0/containers/api/dotenv/1: outside the "
                f"repository ({repository.resolve()}); a dotenv file is read only inside"
            )
            assert line in result.stderr, result.stderr
            assert OUTSIDE_NAME not in result.stdout + result.stderr


def test_a_dotenv_path_inside_the_repository_is_read(cli: Cli, repository: Path) -> None:
    inside = str(repository / "app" / ".env.example")  # absolute, inside
    for path in ("../app/.env.example", inside, "../app/../app/.env.example"):
        policy = dotenv_policy(repository, path)
        assert cli.run("validate-policy", str(policy)).exit_code == 0
        [container] = load_policy(policy).environments[0].services[0].containers
        assert container.dotenv == ((repository / "app" / ".env.example").resolve(),)


def test_without_git_the_repository_is_the_policy_directory(tmp_path: Path) -> None:
    (tmp_path / "policies").mkdir()
    (tmp_path / ".env.example").write_text("A=\n")
    policy = dotenv_policy(tmp_path, "../.env.example")
    problems = [str(problem) for problem in find_problems(load_yaml_file(policy))]
    assert problems == [
        f"{policy}:10: environments/dev/services/0/containers/api/dotenv/0: outside the "
        f"repository ({(tmp_path / 'policies').resolve()}); a dotenv file is read only inside "
        "the repository holding the policy, as Terraform's file() is"
    ]


def test_a_policy_known_valid_is_confined_again(cli: Cli, repository: Path) -> None:
    """The known-valid cache is by content: a symlink changed since is still refused."""
    link = repository / "app" / "moving.env"
    link.symlink_to(repository / "app" / ".env.example")
    policy = dotenv_policy(repository, "../app/moving.env")
    assert cli.run("validate-policy", str(policy)).exit_code == 0
    link.unlink()
    link.symlink_to(repository.parent.parent / "outside.env")
    result = cli.run("validate-policy", str(policy))
    assert result.exit_code == 2
    assert "dotenv/0: outside the repository" in result.stderr


def test_a_dotenv_file_is_a_regular_file_of_at_most_1_mib(tmp_path: Path) -> None:
    from drift_gate.sources.dotenv import required_names

    big = tmp_path / "big.env"
    big.write_text("A=\n" * 400_000)
    fifo = tmp_path / "fifo.env"
    os.mkfifo(fifo)  # reading it would wait for a writer forever
    for path, message in ((big, "larger than 1 MiB"), (fifo, "not a regular file")):
        with pytest.raises(InvalidInputError, match=message):
            required_names(path)


def test_validate_policy_reads_a_valid_file_once(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fleet's policy takes a second to parse: validate-policy parses it once, not again
    to print its deprecations."""
    from drift_gate import yamlfile

    parsed: list[str] = []
    parse = yamlfile.parse_yaml

    def counting(text: str, source: str) -> yamlfile.YamlDocument:
        parsed.append(source)
        return parse(text, source)

    monkeypatch.setattr(yamlfile, "parse_yaml", counting)
    path = tmp_path / "p.yaml"
    path.write_text(policy_text(extra="        ignore: [DG107]\n"))
    result = cli.run("validate-policy", str(path))
    assert (result.exit_code, parsed) == (0, [str(path)])
    assert "`ignore` is deprecated" in result.stderr
