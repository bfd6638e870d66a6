"""One comparison for every candidate: the running task definition, a task-definition file and
a container of the Terraform sources differ from what is declared in the same ways, reported
under each path's rule ids (checks/variables.py's CandidateRules), never by a second copy of
the logic."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from drift_gate.checks.findings import ServiceContext
from drift_gate.checks.variables import (
    LIVE_RULES,
    TERRAFORM_RULES,
    Candidate,
    CandidateRules,
    check_container,
)
from drift_gate.model import (
    ContainerVars,
    DeclaredContainer,
    DeclaredName,
    LiveEnvVar,
    LiveSecret,
    Target,
)
from tests.conftest import Cli

CONTEXT = ServiceContext(Target(environment="dev", region="us-east-1", cluster="c", service="s"))
DECLARED = DeclaredContainer(
    name="api",
    names=(
        DeclaredName(name="MISSING_KEY", secret=True, where=("policy.yaml:3",)),
        DeclaredName(name="PLAIN_KEY", secret=True, where=("policy.yaml:4",)),
        DeclaredName(name="LOG_LEVEL", secret=False, where=("policy.yaml:5",)),
    ),
)
CANDIDATE = ContainerVars(
    name="api",
    secrets=(LiveSecret(name="EMPTY", value_from=""),),
    environment=(LiveEnvVar(name="PLAIN_KEY"), LiveEnvVar(name="EXTRA")),
)


@pytest.mark.parametrize("rules", [LIVE_RULES, TERRAFORM_RULES], ids=["live", "terraform"])
def test_every_difference_is_found_once_under_the_paths_rule_ids(rules: CandidateRules) -> None:
    candidate = Candidate(words="the candidate", at="main.tf:12", rules=rules)
    found = {
        (f.rule_id, f.target.variable)
        for f in check_container(CONTEXT, DECLARED, CANDIDATE, candidate=candidate)
    }
    assert found == {
        (rules.missing_secret, "MISSING_KEY"),
        (rules.secret_as_plain, "PLAIN_KEY"),
        (rules.missing_variable, "LOG_LEVEL"),
        (rules.not_declared, "EMPTY"),
        (rules.not_declared, "EXTRA"),
        ("DG108", "EMPTY"),  # a reference that names nothing: the same rule on every path
    }


def test_a_name_not_read_beside_an_unreadable_entry_is_not_verified() -> None:
    candidate = Candidate(
        words="aws_ecs_task_definition.api",
        at="main.tf:12",
        unreadable="main.tf:30",
        rules=TERRAFORM_RULES,
    )
    findings = check_container(CONTEXT, DECLARED, CANDIDATE, candidate=candidate)
    by_variable = {f.target.variable: f for f in findings}
    assert by_variable["MISSING_KEY"].rule_id == "DG903"
    assert by_variable["MISSING_KEY"].declared_in == "main.tf:30"


def offline_report(cli: Cli, tmp_path: Path, edit: dict[str, str]) -> dict:  # type: ignore[type-arg]
    import shutil

    from tests.conftest import REPO

    repo = tmp_path / "hokusai"
    shutil.copytree(REPO / "examples" / "hokusai", repo)
    main_tf = repo / "infra" / "main.tf"
    text = main_tf.read_text()
    for old, new in edit.items():
        assert old in text
        text = text.replace(old, new)
    main_tf.write_text(text)
    cli.run(
        "check",
        "--offline",
        "--policy",
        str(repo / "drift-gate.yaml"),
        "--terraform-dir",
        str(repo / "infra"),
        "--format",
        "json",
        "--output",
        str(tmp_path / "report.json"),
    )
    report: dict = json.loads((tmp_path / "report.json").read_text())  # type: ignore[type-arg]
    return report


def test_a_secret_also_given_as_plain_in_terraform_points_at_the_plain_entry(
    cli: Cli, tmp_path: Path
) -> None:
    """A name in both `secrets` and `environment`: the value in clear text is what to fix
    (DG602, as DG103 live; before the one comparison the sources passed it), and each finding
    points at the entry it is about, not at the first entry of the name."""
    token = "hf_" + "a" * 34
    report = offline_report(
        cli,
        tmp_path,
        {
            '{ name = "PORT", value = "8000" },': (
                '{ name = "PORT", value = "8000" },\n'
                f'        {{ name = "HUGGINGFACE_API_KEY", value = "{token}" }},'
            )
        },
    )
    by_rule = {f["rule_id"]: f for f in report["findings"]}
    assert by_rule["DG602"]["declared_in"].endswith("infra/main.tf:33")
    assert by_rule["DG106"]["declared_in"].endswith("infra/main.tf:33")
    assert token not in json.dumps(report)


def test_the_words_of_a_name_nobody_declares_on_each_path(cli: Cli, tmp_path: Path) -> None:
    """DG107 live and DG603 offline: one message, in each candidate's words."""
    live = check_container(
        CONTEXT,
        DeclaredContainer(name="api"),
        ContainerVars(name="api", environment=(LiveEnvVar(name="PORT"),)),
    )
    assert [f.message for f in live] == [
        "container api of the running task definition has PORT, which the policy does not declare"
    ]
    report = offline_report(cli, tmp_path, {})
    [unrequired] = [f for f in report["findings"] if f["rule_id"] == "DG603"]
    assert unrequired["message"] == (
        "container api of aws_ecs_task_definition.api (hokusai/infra/main.tf:12) has PORT, "
        "which neither the policy nor a dotenv file requires"
    )
    assert unrequired["declared_in"] == "hokusai/infra/main.tf:32"


def test_a_terraform_secret_with_an_empty_value_from_is_found_offline(
    cli: Cli, tmp_path: Path
) -> None:
    """DG108 on the sources too: the offline check compares with the live check's function."""
    empty_value_from = {'valueFrom = "${local.secret_prefix}/${lower(name)}"': 'valueFrom = ""'}
    report = offline_report(cli, tmp_path, empty_value_from)
    empty = [f for f in report["findings"] if f["rule_id"] == "DG108"]
    assert report["exit_code"] == 1
    assert {f["target"]["variable"] for f in empty} >= {"HUGGINGFACE_API_KEY"}
    # Where the name is written (the local list of secret names), as for every finding here.
    assert {f["declared_in"] for f in empty} == {"hokusai/infra/main.tf:9"}
