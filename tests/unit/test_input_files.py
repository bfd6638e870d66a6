"""Every reader of a user's file is bounded (drift_gate/input_files.py): a FIFO, a device, a
directory or a file over the cap is exit 2 in one line naming the file, never a hang, an
"internal error" or the runner's memory; a .tf file or a found policy that resolves outside
the repository is not read.

A pull request can commit a symlink (to /dev/zero, out of the repository), and anything that
ran before drift-gate can leave a FIFO where a file is expected."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from drift_gate import input_files
from drift_gate.input_files import InputFileError, InputKind, read_bytes
from tests.conftest import REPO, Cli, fake_aws_environment

EXAMPLE = REPO / "examples" / "hokusai"
POLICY = EXAMPLE / "drift-gate.yaml"


def _repository(tmp_path: Path) -> Path:
    repository = tmp_path / "repo"
    (repository / ".git").mkdir(parents=True)
    (repository / "infra").mkdir()
    return repository


def _report(tmp_path: Path) -> Path:
    """A real report, as `check --offline --format json` writes it."""
    path = tmp_path / "good-report.json"
    cli = Cli(fake_aws_environment(tmp_path), tmp_path)
    result = cli.run(
        "check", "--offline", "--policy", str(POLICY), "--terraform-dir", str(EXAMPLE / "infra"),
        "--format", "json", "--output", str(path),
    )  # fmt: skip
    assert result.exit_code in (0, 1), result.stderr
    return path


# Each reader: where the bad file goes in the repository, the kind (its cap), and the command
# line (arguments, extra environment) that reads it.
Reader = Callable[[Path, Path], tuple[list[str], dict[str, str]]]
READERS: dict[str, tuple[str, InputKind, Reader]] = {
    "policy given": (
        "policy.yaml",
        input_files.POLICY,
        lambda bad, _: (["validate-policy", str(bad)], {}),
    ),
    "policy found": (
        "drift-gate.yaml",
        input_files.POLICY,
        lambda _, __: (["validate-policy"], {}),
    ),
    ".tf file": (
        "infra/main.tf",
        input_files.TF_FILE,
        lambda bad, _: (
            ["check", "--offline", "--policy", str(POLICY), "--terraform-dir", str(bad.parent)],
            {},
        ),
    ),
    "task-definition file": (
        "task-definition.json",
        input_files.TASK_DEFINITION_FILE,
        lambda bad, _: (
            [
                "check",
                "--offline",
                "--policy",
                str(POLICY),
                "--task-definition",
                str(bad),
                "--service",
                "hokusai-api-development",
            ],
            {},
        ),
    ),
    "CloudFormation template": (
        "template.yaml",
        input_files.CFN_TEMPLATE,
        lambda bad, _: (
            ["check", "--offline", "--policy", str(POLICY), "--cfn-template", str(bad)],
            {},
        ),
    ),
    "CloudFormation parameters": (
        "params.json",
        input_files.CFN_TEMPLATE,
        lambda bad, _: (
            [
                "check",
                "--offline",
                "--policy",
                str(POLICY),
                "--cfn-template",
                str(REPO / "tests" / "fixtures" / "cfn" / "copilot.yml"),
                "--cfn-parameters",
                str(bad),
            ],
            {},
        ),
    ),
    "plan JSON": (
        "plan.json",
        input_files.PLAN_JSON,
        lambda bad, _: (["check", "--plan-json", str(bad)], {}),
    ),
    "report of merge": (
        "report.json",
        input_files.REPORT,
        lambda bad, _: (["merge", str(bad)], {}),
    ),
    "report of github-issues": (
        "report.json",
        input_files.REPORT,
        lambda bad, _: (
            ["github-issues", "--report", str(bad), "--repo", "o/r"],
            {"GITHUB_TOKEN": "not-a-token"},
        ),
    ),
    "report of github-comment": (
        "report.json",
        input_files.REPORT,
        lambda bad, _: (["github-comment", "--report", str(bad), "--pull-request", "1"], {}),
    ),
    "GITHUB_EVENT_PATH": (
        "event.json",
        input_files.EVENT,
        lambda bad, good: (
            ["github-comment", "--report", str(good)],
            {"GITHUB_EVENT_PATH": str(bad)},
        ),
    ),
}


def _place(
    tmp_path: Path, reader: str, make: Callable[[Path], None]
) -> tuple[Cli, list[str], dict[str, str], Path]:
    repository = _repository(tmp_path)
    relative, _, arguments = READERS[reader]
    bad = repository / relative
    make(bad)
    good = _report(tmp_path) if reader == "GITHUB_EVENT_PATH" else bad
    args, env = arguments(bad, good)
    return Cli(fake_aws_environment(tmp_path), repository), args, env, bad


# Lines that are not the error: the policy found, named; validate-policy's count.
_NOT_THE_ERROR = re.compile(r"drift-gate: (policy: |1 of 1 policy file\(s\) invalid)")
# A reader confined to the repository says a symlink out of it first (/dev/zero is out).
CONFINED = ("policy found", ".tf file")


def _one_line_exit_2(code: int, stderr: str, bad: Path, words: str) -> None:
    assert code == 2, stderr
    lines = [line for line in stderr.splitlines() if not _NOT_THE_ERROR.match(line)]
    assert len(lines) == 1, stderr
    assert str(bad) in lines[0] or bad.name in lines[0], stderr
    assert words in lines[0], stderr
    assert "internal error" not in stderr


@pytest.mark.parametrize("reader", sorted(READERS))
def test_a_fifo_returns_promptly_with_exit_2(tmp_path: Path, reader: str) -> None:
    """A FIFO without a writer: opening it to read would block for ever, reading it too."""
    cli, args, env, bad = _place(tmp_path, reader, os.mkfifo)
    completed = subprocess.run(
        [sys.executable, "-m", "drift_gate", *args],
        env={**cli.env, **env},
        cwd=cli.cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    output = completed.stdout + completed.stderr
    _one_line_exit_2(completed.returncode, output, bad, "not a regular file (a FIFO)")


@pytest.mark.parametrize("reader", sorted(READERS))
def test_a_symlink_to_dev_zero_is_exit_2(tmp_path: Path, reader: str) -> None:
    """/dev/zero never ends: a character device, refused before a byte is read."""
    cli, args, env, bad = _place(tmp_path, reader, lambda path: path.symlink_to("/dev/zero"))
    result = cli.run(*args, extra_env=env)
    words = "resolves outside the repository" if reader in CONFINED else "(a device)"
    _one_line_exit_2(result.exit_code, result.stdout + result.stderr, bad, words)


@pytest.mark.parametrize("reader", sorted(READERS))
def test_a_directory_is_exit_2(tmp_path: Path, reader: str) -> None:
    def directory(path: Path) -> None:
        path.mkdir()
        (path / "x.tf").write_text("")  # a .tf directory inside the root is still not a file

    cli, args, env, bad = _place(tmp_path, reader, directory)
    result = cli.run(*args, extra_env=env)
    _one_line_exit_2(
        result.exit_code, result.stdout + result.stderr, bad, "not a regular file (a directory)"
    )


@pytest.mark.parametrize("reader", sorted(READERS))
def test_a_file_over_the_cap_is_exit_2_naming_the_cap(tmp_path: Path, reader: str) -> None:
    """One byte over the real cap, as a sparse file: nothing of it is read (fstat says)."""
    kind = READERS[reader][1]

    def sparse(path: Path) -> None:
        with path.open("wb") as handle:
            handle.truncate(kind.limit + 1)

    cli, args, env, bad = _place(tmp_path, reader, sparse)
    result = cli.run(*args, extra_env=env)
    words = f"larger than {input_files.size_words(kind.limit)}"
    _one_line_exit_2(result.exit_code, result.stdout + result.stderr, bad, words)


def test_the_caps_are_the_documented_ones() -> None:
    caps = {
        name: input_files.size_words(kind.limit)
        for name, kind in vars(input_files).items()
        if isinstance(kind, InputKind)
    }
    assert caps == {
        "POLICY": "32 MiB",
        "TF_FILE": "1 MiB",
        "TASK_DEFINITION_FILE": "64 MiB",
        "CFN_TEMPLATE": "16 MiB",
        "PLAN_JSON": "1 GiB",
        "MODULE_MANIFEST": "16 MiB",
        "REPORT": "256 MiB",
        "EVENT": "25 MiB",
        "DOTENV": "1 MiB",
        "FILE_FUNCTION": "1 MiB",
        "VAR_FILE": "1 MiB",
        "WORKSPACE_FILE": "64 KiB",
    }
    reliability = (REPO / "docs" / "reliability.md").read_text(encoding="utf-8")
    for words in caps.values():
        assert words in reliability


def test_a_file_that_grows_past_the_cap_while_read_is_refused(tmp_path: Path) -> None:
    """At most cap + 1 bytes are read whatever fstat said: a small cap shows it."""
    path = tmp_path / "small.txt"
    path.write_bytes(b"x" * 10)
    kind = InputKind("a test file", 10)
    assert read_bytes(path, kind) == b"x" * 10
    path.write_bytes(b"x" * 11)
    with pytest.raises(InputFileError, match="larger than 10 bytes, the most drift-gate reads"):
        read_bytes(path, kind)


def test_a_tf_file_linked_out_of_the_repository_is_exit_2(cli: Cli, tmp_path: Path) -> None:
    repository = _repository(tmp_path)
    outside = tmp_path / "outside.tf"
    outside.write_text('locals { a = "b" }\n')
    link = repository / "infra" / "main.tf"
    link.symlink_to(outside)
    result = cli.run(
        "check", "--offline", "--policy", str(POLICY), "--terraform-dir", str(link.parent)
    )
    _one_line_exit_2(result.exit_code, result.stderr, link, "resolves outside the repository")


def test_a_local_module_out_of_the_repository_is_not_read(cli: Cli, tmp_path: Path) -> None:
    repository = _repository(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    os.mkfifo(elsewhere / "main.tf")  # read, it would hang
    (repository / "infra" / "main.tf").write_text('module "m" {\n  source = "../../elsewhere"\n}\n')
    report = tmp_path / "out.json"
    result = cli.run(
        "check", "--offline", "--policy", str(POLICY), "--terraform-dir",
        str(repository / "infra"), "--format", "json", "--output", str(report),
    )  # fmt: skip
    assert "internal error" not in result.stderr
    assert "is outside the repository" in report.read_text(encoding="utf-8")


def test_a_found_policy_linked_out_of_the_repository_is_exit_2(tmp_path: Path) -> None:
    repository = _repository(tmp_path)
    outside = tmp_path / "outside.yaml"
    outside.write_text(POLICY.read_text(encoding="utf-8"))
    (repository / "drift-gate.yaml").symlink_to(outside)
    result = Cli(fake_aws_environment(tmp_path), repository).run("validate-policy")
    _one_line_exit_2(
        result.exit_code, result.stderr, Path("drift-gate.yaml"), "resolves outside the repository"
    )
    given = Cli(fake_aws_environment(tmp_path), repository).run("validate-policy", str(outside))
    assert given.exit_code == 0, given.stderr  # --policy (or a path given) is read anywhere


def test_a_plan_or_report_given_explicitly_is_read_wherever_it_is(cli: Cli, tmp_path: Path) -> None:
    """--plan-json and --report name a file the user chose (a temporary directory, a previous
    job's download): no repository confines them; a symlink to a regular file is read."""
    report = _report(tmp_path)
    elsewhere = tmp_path / "downloads"
    elsewhere.mkdir()
    link = elsewhere / "linked.json"
    link.symlink_to(report)
    result = cli.run("merge", str(link), "--format", "json")
    assert result.exit_code in (0, 1), result.stderr
    assert json.loads(result.stdout)["verdict"]
