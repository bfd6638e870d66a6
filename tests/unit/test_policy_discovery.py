"""A policy found without --policy (issue 23): the order, --policy winning, the line on
standard error, none found, and every command that reads a policy."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from drift_gate.commands._policy_path import POLICY_NAMES, find_policy
from drift_gate.repository import Discovered, discover, repository_root
from tests.conftest import REPO, Cli, MotoServer

EXAMPLE = REPO / "policies" / "example.yaml"
HOKUSAI = REPO / "examples" / "hokusai"
NAMES = ", ".join(POLICY_NAMES)


def repository(tmp_path: Path) -> Path:
    """A git work tree (as repository.py sees one: a directory holding .git) with a/b/."""
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    (root / "a" / "b").mkdir(parents=True)
    return root


def valid(path: Path) -> Path:
    shutil.copy(EXAMPLE, path)
    return path


def invalid(path: Path) -> Path:
    """A policy that says which file was read, if it is read: exit 2 naming it."""
    path.write_text("version: 1\nenvironments: {}\n", encoding="utf-8")
    return path


def at(cli: Cli, directory: Path) -> Cli:
    return Cli(cli.env, directory, cli.installed)


@pytest.mark.parametrize("present", [POLICY_NAMES[index:] for index in range(len(POLICY_NAMES))])
def test_the_names_in_order_drift_gate_yaml_first(tmp_path: Path, present: tuple[str, ...]) -> None:
    for name in present:
        valid(tmp_path / name)
    found = find_policy(tmp_path)
    assert found is not None
    assert (found.path, found.where) == (Path(present[0]), "the working directory")


def test_the_working_directory_beats_the_repository_root(tmp_path: Path) -> None:
    root = repository(tmp_path)
    valid(root / "drift-gate.yaml")
    valid(root / "a" / "b" / ".drift-gate.yml")
    found = find_policy(root / "a" / "b")
    assert found is not None
    assert (found.path, found.shown()) == (Path(".drift-gate.yml"), "./.drift-gate.yml")
    at_root = find_policy(root / "a")
    assert at_root is not None
    assert (at_root.shown(), at_root.where) == ("../drift-gate.yaml", "the repository root")


def test_check_names_the_policy_found_and_reads_it(cli: Cli, tmp_path: Path) -> None:
    root = repository(tmp_path)
    invalid(root / "drift-gate.yaml")
    invalid(root / ".drift-gate.yaml")
    result = at(cli, root).run("check")
    assert result.exit_code == 2
    assert result.stderr == (
        "drift-gate: policy: ./drift-gate.yaml (found in the working directory)\n"
        "drift-gate: note: also found ./.drift-gate.yaml, not read\n"
        "drift-gate: error: invalid policy: drift-gate.yaml:2: environments: expected at least "
        "1 key(s)\n"
    )


def test_from_a_subdirectory_the_policy_at_the_repository_root(cli: Cli, tmp_path: Path) -> None:
    root = repository(tmp_path)
    invalid(root / ".drift-gate.yaml")
    result = at(cli, root / "a" / "b").run("check")
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "drift-gate: policy: ../../.drift-gate.yaml (found in the repository root)",
        "drift-gate: error: invalid policy: ../../.drift-gate.yaml:2: environments: expected at "
        "least 1 key(s)",
    ]


def test_policy_given_wins_and_nothing_is_looked_for(cli: Cli, tmp_path: Path) -> None:
    root = repository(tmp_path)
    valid(root / "drift-gate.yaml")
    mine = invalid(tmp_path / "mine.yaml")
    result = at(cli, root).run("check", "--policy", str(mine))
    assert result.exit_code == 2
    assert result.stderr == (
        f"drift-gate: error: invalid policy: {mine}:2: environments: expected at least 1 key(s)\n"
    )


def test_none_found_is_exit_2_naming_where_it_looked(cli: Cli, tmp_path: Path) -> None:
    root = repository(tmp_path)
    here = root / "a"
    result = at(cli, here).run("check")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == (
        f"drift-gate: error: no policy: none of {NAMES} in the working directory ({here}) nor "
        f"the repository root ({root}); give --policy FILE, or a plan (--plan-json, "
        "--plan-file, --terraform-dir)\n"
    )


def test_none_found_outside_a_repository(cli: Cli, tmp_path: Path) -> None:
    result = cli.run("waivers")
    assert result.exit_code == 2
    assert result.stderr == (
        f"drift-gate: error: no policy: none of {NAMES} in the working directory ({tmp_path}), "
        "not inside a git repository; give --policy FILE\n"
    )
    offline = cli.run("check", "--offline")
    assert offline.exit_code == 2
    assert "drift-gate: error: no policy: none of" in offline.stderr


def test_a_policy_name_that_is_not_a_file_is_chosen_and_refused(cli: Cli, tmp_path: Path) -> None:
    """Never a fall-through to another policy: the first name that exists is the policy."""
    (tmp_path / "drift-gate.yaml").mkdir()
    valid(tmp_path / ".drift-gate.yaml")
    result = cli.run("validate-policy")
    assert result.exit_code == 2
    assert result.stderr.startswith(
        "drift-gate: policy: ./drift-gate.yaml (found in the working directory)\n"
    )


def test_validate_policy_without_files_validates_the_one_found(cli: Cli, tmp_path: Path) -> None:
    valid(tmp_path / ".drift-gate.yaml")
    result = cli.run("validate-policy")
    assert (result.exit_code, result.stdout) == (0, ".drift-gate.yaml: valid\n")
    assert result.stderr == (
        "drift-gate: policy: ./.drift-gate.yaml (found in the working directory)\n"
    )
    (tmp_path / "elsewhere").mkdir()
    missing = at(cli, tmp_path / "elsewhere").run("validate-policy")
    assert missing.exit_code == 2
    assert missing.stderr.endswith("; name the policy files to validate\n")


@pytest.mark.parametrize("command", [["waivers"], ["iam-policy"]])
def test_waivers_and_iam_policy_find_it(cli: Cli, tmp_path: Path, command: list[str]) -> None:
    valid(tmp_path / "drift-gate.yaml")
    result = cli.run(*command)
    assert result.exit_code == 0
    assert result.stderr.startswith(
        "drift-gate: policy: ./drift-gate.yaml (found in the working directory)\n"
    )


def hokusai(tmp_path: Path) -> Path:
    """The example repository (drift-gate.yaml, .env.example, infra/) as a git work tree."""
    root = tmp_path / "hokusai"
    shutil.copytree(HOKUSAI, root)
    (root / ".git").mkdir()
    return root


def test_check_offline_and_pre_push_find_it(cli: Cli, tmp_path: Path) -> None:
    root = hokusai(tmp_path)
    offline = at(cli, root / "infra").run("check", "--offline")
    assert offline.exit_code == 0, offline.stderr
    assert offline.stderr.startswith(
        "drift-gate: policy: ../drift-gate.yaml (found in the repository root)\n"
    )
    pre_push = at(cli, root).run("pre-push")
    assert pre_push.exit_code == 0, pre_push.stderr
    assert "drift-gate: policy: ./drift-gate.yaml (found in the working directory)" in (
        pre_push.stderr
    )


def test_inventory_uses_the_policy_found_unless_no_policy(cli: Cli, tmp_path: Path) -> None:
    root = hokusai(tmp_path)
    here = at(cli, root)
    found = here.run(
        "inventory", "--terraform-dir", "infra", "--output", "ENVIRONMENT_VARIABLES.md", "--check"
    )
    assert (found.exit_code, found.stdout) == (0, "ENVIRONMENT_VARIABLES.md: up to date\n")
    assert (
        found.stderr == "drift-gate: policy: ./drift-gate.yaml (found in the working directory)\n"
    )
    without = here.run(
        "inventory",
        *("--terraform-dir", "infra", "--no-policy"),
        *("--output", "ENVIRONMENT_VARIABLES.md", "--check"),
    )
    assert without.exit_code == 1  # the committed file was generated with the policy
    assert "drift-gate: policy:" not in without.stderr
    both = here.run("inventory", "--policy", "drift-gate.yaml", "--no-policy")
    assert both.exit_code == 2
    assert "give --policy or --no-policy, not both" in both.stderr


def test_scan_reads_the_policy_found_unless_no_policy(
    cli_on_moto: Cli, moto_server: MotoServer, tmp_path: Path
) -> None:
    invalid(tmp_path / "drift-gate.yml")
    found = cli_on_moto.run("scan", "--region", "us-east-1", "--quiet")
    assert found.exit_code == 2
    assert found.stderr.splitlines()[0] == (
        "drift-gate: policy: ./drift-gate.yml (found in the working directory)"
    )
    assert "invalid policy: drift-gate.yml:2" in found.stderr
    without = cli_on_moto.run("scan", "--region", "us-east-1", "--quiet", "--no-policy")
    assert without.exit_code == 0, without.stderr  # an empty account
    assert "drift-gate: policy:" not in without.stderr


# --- Which .git counts (CVE-2022-24765's pattern) and policies shadowed -----------------------

SOMEONE_ELSE = 12345


def planted(tmp_path: Path) -> tuple[Path, Path]:
    """A shared directory whose `.git` (empty) and drift-gate.yaml someone else planted,
    and a project below it without a `.git` of its own."""
    shared = tmp_path / "shared"
    (shared / ".git").mkdir(parents=True)
    invalid(shared / "drift-gate.yaml")
    os.chown(shared / ".git", SOMEONE_ELSE, SOMEONE_ELSE)
    project = shared / "home" / "proj"
    project.mkdir(parents=True)
    return shared, project


def test_a_git_directory_someone_else_owns_plants_no_policy(cli: Cli, tmp_path: Path) -> None:
    shared, project = planted(tmp_path)
    result = at(cli, project).run("check")
    assert result.exit_code == 2
    assert result.stderr == (
        f"drift-gate: error: no policy: none of {NAMES} in the working directory ({project}), "
        f"ignored {shared / '.git'}: not owned by you; give --policy FILE, or a plan "
        "(--plan-json, --plan-file, --terraform-dir)\n"
    )
    invalid(project / ".drift-gate.yml")
    own = at(cli, project).run("validate-policy")
    assert own.exit_code == 2
    assert own.stderr.splitlines()[0] == (
        "drift-gate: policy: ./.drift-gate.yml (found in the working directory; "
        f"ignored {shared / '.git'}: not owned by you)"
    )
    assert ".drift-gate.yml:2: environments" in own.stderr


def test_dotenv_and_file_stay_in_the_working_directory_under_someone_elses_git(
    tmp_path: Path,
) -> None:
    shared, project = planted(tmp_path)
    assert repository_root(project) == project
    assert discover(project) == Discovered(None, shared / ".git")
    os.chown(shared / ".git", os.geteuid(), os.getegid())
    assert repository_root(project) == shared


def test_a_git_file_of_a_worktree_or_submodule_still_counts(tmp_path: Path) -> None:
    root = tmp_path / "worktree"
    (root / "a").mkdir(parents=True)
    (root / ".git").write_text("gitdir: /elsewhere/.git/worktrees/w\n", encoding="utf-8")
    assert repository_root(root / "a") == root
    os.chown(root / ".git", SOMEONE_ELSE, SOMEONE_ELSE)
    assert discover(root / "a") == Discovered(None, root / ".git")


def test_gits_safe_directory_trusts_a_git_someone_else_owns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shared, project = planted(tmp_path)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    assert repository_root(project) == project
    (home / ".gitconfig").write_text(f"[safe]\n\tdirectory = {shared}\n", encoding="utf-8")
    assert repository_root(project) == shared
    (home / ".gitconfig").write_text(
        f"[safe]\n\tdirectory = {shared}\n\tdirectory =\n", encoding="utf-8"
    )  # an empty value resets the list, as in git
    assert repository_root(project) == project


def test_the_walk_stops_at_home_a_mount_point_and_a_ceiling(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = repository(tmp_path)
    here = root / "a" / "b"
    assert repository_root(here) == root
    monkeypatch.setenv("HOME", str(root / "a"))
    assert repository_root(here) == here  # nothing above ~ is read from inside it
    monkeypatch.setenv("HOME", str(tmp_path / "elsewhere"))
    assert repository_root(here) == root
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", f"/nowhere{os.pathsep}{root}")
    assert repository_root(here) == here
    monkeypatch.delenv("GIT_CEILING_DIRECTORIES")
    from drift_gate import repository as module

    device = module._device
    monkeypatch.setattr(module, "_device", lambda path: 0 if path == root else device(path))
    assert repository_root(here) == here  # root is on another file system


def test_a_root_policy_shadowed_by_the_working_directorys_is_named(
    cli: Cli, tmp_path: Path
) -> None:
    root = repository(tmp_path)
    valid(root / "drift-gate.yaml")
    valid(root / "a" / "b" / ".drift-gate.yml")
    valid(root / "a" / "b" / "drift-gate.yml")
    result = at(cli, root / "a" / "b").run("waivers")
    assert result.exit_code == 0, result.stderr
    assert result.stderr.splitlines()[:2] == [
        "drift-gate: policy: ./drift-gate.yml (found in the working directory)",
        "drift-gate: note: also found ./.drift-gate.yml, ../../drift-gate.yaml, not read",
    ]
    alone = at(cli, root).run("waivers")
    assert alone.stderr.splitlines()[0] == (
        "drift-gate: policy: ./drift-gate.yaml (found in the working directory)"
    )
    assert "note: also found" not in alone.stderr
