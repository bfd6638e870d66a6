"""Where users run drift-gate: the GitHub Action, the container image, the pre-push hook,
the workflow files in docs/, and the least-privilege IAM policy."""

from __future__ import annotations

import itertools
import json
import os
import re
import shlex
import shutil
import stat
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import boto3
import botocore.exceptions
import jsonschema
import pytest
import yaml

from drift_gate import _moto_compat
from drift_gate.demo import CLUSTER, REGION, SECRET_NAMES, SERVICE, IncidentAccount
from tests.conftest import REPO, Cli, MotoServer, fake_aws_environment, tool_beside_python

ACTION = yaml.safe_load((REPO / "action.yml").read_text())
WORKFLOWS = sorted((REPO / "docs" / "workflows").glob("*.yml"))  # what users copy
OWN_WORKFLOWS = sorted((REPO / ".github" / "workflows").glob("*.yml"))  # ci and release
SHA_PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


def vendored_schema(name: str) -> dict[str, Any]:
    text = (
        resources.files("check_jsonschema")
        .joinpath(f"builtin_schemas/vendor/{name}")
        .read_text("utf-8")
    )
    loaded: dict[str, Any] = json.loads(text)
    return loaded


# --- action.yml -------------------------------------------------------------------------


def test_action_metadata_is_valid() -> None:
    jsonschema.Draft7Validator(vendored_schema("github-actions.json")).validate(ACTION)
    assert ACTION["runs"]["using"] == "composite"


def all_run_scripts(document: Any) -> Iterator[str]:
    if isinstance(document, dict):
        for key, value in document.items():
            if key == "run" and isinstance(value, str):
                yield value
            else:
                yield from all_run_scripts(value)
    elif isinstance(document, list):
        for item in document:
            yield from all_run_scripts(item)


def test_no_expression_inside_a_run_line_of_the_action() -> None:
    scripts = list(all_run_scripts(ACTION))
    assert scripts  # the action does run scripts
    for script in scripts:
        assert "${{" not in script, f"an expression is interpolated into a shell line: {script!r}"


def test_no_input_interpolated_into_a_run_line_of_any_workflow() -> None:
    for workflow in WORKFLOWS + OWN_WORKFLOWS:
        for script in all_run_scripts(yaml.safe_load(workflow.read_text())):
            assert "inputs." not in " ".join(EXPRESSION.findall(script)), workflow.name


def test_every_input_is_used_and_documented() -> None:
    steps_text = json.dumps(ACTION["runs"]["steps"])
    docs = (REPO / "docs" / "action.md").read_text()
    for name, spec in ACTION["inputs"].items():
        assert f"inputs.{name}" in steps_text, f"input {name} is never used"
        assert spec.get("description"), f"input {name} has no description"
        assert f"| `{name}` |" in docs, f"input {name} is not in docs/action.md"
    for name in ACTION["outputs"]:
        assert f"| `{name}` |" in docs, f"output {name} is not in docs/action.md"


def test_the_action_pins_what_it_uses_and_installs() -> None:
    for step in ACTION["runs"]["steps"]:
        if "uses" in step:
            assert SHA_PINNED.match(step["uses"]), step["uses"]
    pins = [
        line
        for line in (REPO / "action" / "requirements.txt").read_text().splitlines()
        if line and not line.startswith("#")
    ]
    assert pins
    assert all(re.fullmatch(r"[A-Za-z0-9_.-]+==[^\s=]+", pin) for pin in pins)
    names = {re.split(r"==", pin)[0].lower().replace("_", "-") for pin in pins}
    assert {
        "boto3",
        "click",
        "pydantic",
        "pyyaml",
        "jsonschema",
        "python-hcl2",
        "python-dotenv",
    } <= names


# A composite action runner, enough for this action: `${{ }}` in env, working-directory and
# with; `if:` with always(), ==, != and &&; step outputs through $GITHUB_OUTPUT.


def evaluate(expression: str, context: dict[str, Any]) -> str:
    value: Any = context
    for part in expression.split("."):
        value = value.get(part, "") if isinstance(value, dict) else ""
    return str(value)


def interpolate(text: str, context: dict[str, Any]) -> str:
    return EXPRESSION.sub(lambda match: evaluate(match.group(1), context), text)


def condition(expression: str, context: dict[str, Any], failed: bool) -> bool:
    results = []
    for term in (t.strip() for t in expression.split("&&")):
        if term in ("always()", "success()"):
            results.append(True)
            continue
        match = re.fullmatch(r"([\w.-]+)\s*(==|!=)\s*'([^']*)'", term)
        assert match, f"the test runner does not understand {term!r}"
        equal = evaluate(match[1], context) == match[3]
        results.append(equal if match[2] == "==" else not equal)
    return all(results) and ("always()" in expression or not failed)


def step_outputs(text: str) -> dict[str, str]:
    """$GITHUB_OUTPUT as the runner reads it: NAME=VALUE lines, and NAME<<DELIMITER ...
    DELIMITER for a value of several lines (or one that must not end a line)."""
    outputs: dict[str, str] = {}
    lines = iter(text.splitlines())
    for line in lines:
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            taken: list[str] = []
            for item in lines:
                if item == delimiter:
                    break
                taken.append(item)
            outputs[name] = "\n".join(taken)
        elif "=" in line:
            name, value = line.split("=", 1)
            outputs[name] = value
    return outputs


def run_action(
    inputs: dict[str, str], environment: dict[str, str], cwd: Path
) -> tuple[int, dict[str, Any]]:
    context: dict[str, Any] = {
        "inputs": {
            name: inputs.get(name, spec.get("default", ""))
            for name, spec in ACTION["inputs"].items()
        },
        "github": {"action_path": str(REPO), "token": environment.get("GITHUB_TOKEN", "")},
        "runner": {"os": environment.get("RUNNER_OS", "Linux")},
        "steps": {},
    }
    exit_code, failed = 0, False
    for index, step in enumerate(ACTION["runs"]["steps"]):
        # A step without `if:` runs only while every earlier step succeeded (success()).
        if not condition(step.get("if", "success()"), context, failed):
            continue
        if "uses" in step:
            context.setdefault("used", []).append(
                {k: interpolate(str(v), context) for k, v in step["with"].items()}
            )
            continue
        output = cwd / f"output-{index}"
        output.write_text("")
        env = {
            **environment,
            **{k: interpolate(str(v), context) for k, v in step.get("env", {}).items()},
        }
        env.update(GITHUB_OUTPUT=str(output), GITHUB_ACTION_PATH=str(REPO))
        # What earlier steps added to GITHUB_PATH comes first on PATH, as on a runner.
        added = Path(environment["GITHUB_PATH"]).read_text().split()
        env["PATH"] = os.pathsep.join([*reversed(added), env["PATH"]])
        workdir = cwd / interpolate(step.get("working-directory", "."), context)
        completed = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
            env=env,
            cwd=workdir,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        context.setdefault("logs", []).append(completed.stdout + completed.stderr)
        outputs = step_outputs(output.read_text())
        context["steps"][step.get("id", str(index))] = {"outputs": outputs}
        if completed.returncode:
            exit_code, failed = completed.returncode, True
    context["outputs"] = {
        name: interpolate(spec["value"], context) for name, spec in ACTION["outputs"].items()
    }
    return exit_code, context


@pytest.fixture
def runner(tmp_path: Path, moto_server: MotoServer) -> dict[str, str]:
    for name in ("summary.md", "output", "env", "path"):
        (tmp_path / name).write_text("")
    (tmp_path / "runner-temp").mkdir()
    return {
        **fake_aws_environment(tmp_path),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",  # install: false
        "AWS_ENDPOINT_URL": moto_server.endpoint,
        "GITHUB_ACTIONS": "true",
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
        "GITHUB_ENV": str(tmp_path / "env"),
        "GITHUB_PATH": str(tmp_path / "path"),
        "GITHUB_WORKSPACE": str(tmp_path),
        "RUNNER_TEMP": str(tmp_path / "runner-temp"),
    }


ACTION_INPUTS = {
    "policy": str(REPO / "policies" / "example.yaml"),
    "install": "false",
    "formats": "json, sarif markdown",
    "sarif-upload": "true",
}


@pytest.mark.e2e
def test_action_in_a_simulated_runner_fails_on_drift(
    runner: dict[str, str], moto_server: MotoServer, tmp_path: Path
) -> None:
    IncidentAccount.create(moto_server.client)
    _moto_compat.settle(CLUSTER, SERVICE, REGION)

    exit_code, context = run_action(ACTION_INPUTS, runner, tmp_path)

    assert exit_code == 1
    outputs = context["outputs"]
    assert (outputs["verdict"], outputs["exit-code"], outputs["errors"]) == ("drift", "1", "1")
    assert outputs["sarif-report"] == str(
        tmp_path / "runner-temp" / "drift-gate" / "drift-gate.sarif"
    )
    assert json.loads(Path(outputs["json-report"]).read_text())["findings"][0]["rule_id"] == "DG101"
    assert "DG101 secret-missing" in (tmp_path / "summary.md").read_text()
    log = "".join(context["logs"])
    assert re.search(
        r"^::error file=.*example\.yaml,line=13,title=DG101 secret-missing%3A api/HUGGINGFACE_API_KEY::",
        log,
        re.M,
    )
    # The SARIF upload step still runs after the failure, with the report drift-gate wrote;
    # no sarif-category, so no automationDetails: upload-sarif's default category applies.
    assert context["used"] == [{"sarif_file": outputs["sarif-report"]}]
    sarif = json.loads(Path(outputs["sarif-report"]).read_text())
    assert "automationDetails" not in sarif["runs"][0]


@pytest.mark.e2e
def test_the_action_category_input_reaches_automation_details(
    runner: dict[str, str], moto_server: MotoServer, tmp_path: Path
) -> None:
    IncidentAccount.create(moto_server.client)
    _moto_compat.settle(CLUSTER, SERVICE, REGION)
    inputs = {**ACTION_INPUTS, "sarif-category": "drift-gate/staging"}
    _, context = run_action(inputs, runner, tmp_path)
    sarif = json.loads(Path(context["outputs"]["sarif-report"]).read_text())
    assert sarif["runs"][0]["automationDetails"]["id"] == "drift-gate/staging/"


@pytest.mark.e2e
def test_action_in_a_simulated_runner_passes_when_clean(
    runner: dict[str, str], moto_server: MotoServer, tmp_path: Path
) -> None:
    account = IncidentAccount.create(moto_server.client)
    _moto_compat.settle(CLUSTER, SERVICE, REGION)
    account.redeploy(account.register_revision(list(SECRET_NAMES)))

    exit_code, context = run_action(
        {**ACTION_INPUTS, "sarif-upload": "false", "formats": "html"}, runner, tmp_path
    )

    assert exit_code == 0
    assert (context["outputs"]["verdict"], context["outputs"]["errors"]) == ("pass", "0")
    assert (
        Path(context["outputs"]["html-report"]).read_text().count('<h1 id="verdict">PASS</h1>') == 1
    )
    assert "✅ drift-gate: PASS" in (tmp_path / "summary.md").read_text()
    assert "used" not in context  # no SARIF upload was asked for


def test_action_refuses_an_unknown_format(runner: dict[str, str], tmp_path: Path) -> None:
    exit_code, context = run_action({**ACTION_INPUTS, "formats": "json pdf"}, runner, tmp_path)
    assert exit_code == 2
    assert "input formats: unknown format 'pdf'" in "".join(context["logs"])


def fake_python(tmp_path: Path, version: str | None = None) -> Path:
    """A `python3` that records its arguments and makes a venv of fakes, so no package is
    downloaded; `-c` (the version check) runs in the real interpreter, or says `version`."""
    bin_dir = tmp_path / "fake-bin"
    bin_dir.mkdir()
    log = tmp_path / "calls.log"
    answer = (
        f'if [ "$1" = "-c" ]; then case "$2" in *exit*) exit 1;; *) echo {version}; exit 0;; esac; fi'
        if version
        else f'if [ "$1" = "-c" ]; then exec {shlex.quote(sys.executable)} "$@"; fi'
    )
    # prepare.sh computes the cache key with a script on standard input: the real interpreter.
    answer += f'\nif [ "$1" = "-" ]; then exec {shlex.quote(sys.executable)} "$@"; fi'
    script = f"""#!/usr/bin/env bash
{answer}
echo "$0 $*" >> {shlex.quote(str(log))}
if [ "$1 $2" = "-m venv" ]; then
  mkdir -p "$3/bin"
  cp "$0" "$3/bin/python"
  printf '#!/usr/bin/env bash\\necho "drift-gate $*" >> {shlex.quote(str(log))}\\n' > "$3/bin/drift-gate"
  chmod +x "$3/bin/drift-gate"
fi
"""
    python = bin_dir / "python3"
    python.write_text(script)
    python.chmod(python.stat().st_mode | stat.S_IEXEC)
    return bin_dir


def run_prepare(
    tmp_path: Path, bin_dir: Path, **extra: str
) -> tuple[subprocess.CompletedProcess[str], dict[str, str]]:
    """action/prepare.sh as the runner starts it, with a fake python3 first on PATH; its
    step outputs."""
    output = tmp_path / "prepare-output"
    output.write_text("")
    env = {
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "GITHUB_ACTION_PATH": str(REPO),
        "RUNNER_TEMP": str(tmp_path),
        "GITHUB_OUTPUT": str(output),
        **extra,
    }
    completed = subprocess.run(
        ["bash", str(REPO / "action" / "prepare.sh")],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    outputs = dict(line.split("=", 1) for line in output.read_text().splitlines())
    return completed, outputs


def run_install(tmp_path: Path, bin_dir: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    """action/prepare.sh then action/install.sh, as the action runs them (the cache step
    between them restores nothing here)."""
    prepared, outputs = run_prepare(tmp_path, bin_dir, **extra)
    if prepared.returncode:
        return prepared
    env = {
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "GITHUB_ACTION_PATH": str(REPO),
        "RUNNER_TEMP": str(tmp_path),
        "GITHUB_PATH": str(tmp_path / "p"),
        "DG_VENV": outputs["venv"],
        "DG_CACHE_KEY": outputs["cache-key"],
        **extra,
    }
    return subprocess.run(
        ["bash", str(REPO / "action" / "install.sh")],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize(
    ("version", "installed"), [("", str(REPO)), ("0.1.0", "drift-gate==0.1.0")]
)
def test_install_script_pins_dependencies_and_installs_the_actions_own_ref(
    tmp_path: Path, version: str, installed: str
) -> None:
    bin_dir = fake_python(tmp_path)
    github_path = tmp_path / "github-path"
    completed = run_install(
        tmp_path, bin_dir, GITHUB_PATH=str(github_path), DRIFT_GATE_VERSION=version
    )
    assert completed.returncode == 0, completed.stderr
    calls = (tmp_path / "calls.log").read_text().splitlines()
    venv = tmp_path / "drift-gate-venv"
    assert calls[0].endswith(f"python3 -m venv {venv}")
    assert f"-r {REPO}/action/requirements.txt" in calls[1]
    assert calls[2].endswith(f"--no-deps {installed}")
    assert calls[3] == "drift-gate --version"
    # Only drift-gate on PATH, never the venv's python or pip.
    only = tmp_path / "drift-gate-bin"
    assert github_path.read_text() == f"{only}\n"
    assert [entry.name for entry in only.iterdir()] == ["drift-gate"]
    assert (only / "drift-gate").resolve() == (venv / "bin" / "drift-gate").resolve()


def test_a_venv_restored_under_the_same_key_is_used_without_installing(tmp_path: Path) -> None:
    bin_dir = fake_python(tmp_path)
    first = run_install(tmp_path, bin_dir)
    assert first.returncode == 0, first.stderr
    calls = tmp_path / "calls.log"
    calls.write_text("")
    second = run_install(tmp_path, bin_dir)
    assert second.returncode == 0, second.stderr
    assert "drift-gate: using the cached venv (drift-gate-venv-1-" in second.stdout
    assert calls.read_text().splitlines() == ["drift-gate --version"] * 2  # no venv, no pip


def test_a_venv_under_another_key_or_broken_is_installed_again(tmp_path: Path) -> None:
    bin_dir = fake_python(tmp_path)
    assert run_install(tmp_path, bin_dir).returncode == 0
    venv = tmp_path / "drift-gate-venv"
    (venv / ".drift-gate-cache-key").write_text("drift-gate-venv-1-stale\n")
    calls = tmp_path / "calls.log"
    calls.write_text("")
    assert run_install(tmp_path, bin_dir).returncode == 0
    assert calls.read_text().splitlines()[0].endswith(f"python3 -m venv {venv}")
    (venv / "bin" / "drift-gate").unlink()  # a partial restore
    calls.write_text("")
    assert run_install(tmp_path, bin_dir).returncode == 0
    assert calls.read_text().splitlines()[0].endswith(f"python3 -m venv {venv}")


def test_the_cache_key_follows_the_requirements_the_sources_and_the_version(
    tmp_path: Path,
) -> None:
    action = tmp_path / "action-copy"
    for part in ("action", "drift_gate"):
        shutil.copytree(REPO / part, action / part, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "pyproject.toml", action / "pyproject.toml")
    bin_dir = fake_python(tmp_path)

    def key(**extra: str) -> str:
        completed, outputs = run_prepare(tmp_path, bin_dir, GITHUB_ACTION_PATH=str(action), **extra)
        assert completed.returncode == 0, completed.stdout + completed.stderr
        return outputs["cache-key"]

    python = "{}.{}".format(*sys.version_info[:2])
    first = key()
    assert re.fullmatch(rf"drift-gate-venv-1-Linux-\w+-py{python}-[0-9a-f]{{32}}", first)
    assert key() == first
    (action / "drift_gate" / "cli.py").write_text("# changed\n", encoding="utf-8")
    changed_source = key()
    assert changed_source != first
    assert key(DRIFT_GATE_VERSION="0.1.0") != changed_source
    # An installed release does not depend on the action's own sources, only on its pins.
    released = key(DRIFT_GATE_VERSION="0.1.0")
    (action / "drift_gate" / "cli.py").write_text("# changed again\n", encoding="utf-8")
    assert key(DRIFT_GATE_VERSION="0.1.0") == released
    (action / "action" / "requirements.txt").write_text("boto3==1.0\n", encoding="utf-8")
    assert key(DRIFT_GATE_VERSION="0.1.0") != released


@pytest.mark.parametrize("runner_os", ["Windows", "macOS"])
def test_the_action_refuses_a_runner_it_does_not_support_at_once(
    runner: dict[str, str], tmp_path: Path, runner_os: str
) -> None:
    exit_code, context = run_action(
        {**ACTION_INPUTS, "install": "true"}, {**runner, "RUNNER_OS": runner_os}, tmp_path
    )
    assert exit_code == 2
    log = "".join(context["logs"])
    assert (
        "::error title=drift-gate::the drift-gate action runs on Linux runners (ubuntu-*, or a "
        f"self-hosted Linux runner); this runner is {runner_os}." in log
    )
    assert len(context["logs"]) == 1  # nothing else ran
    assert "used" not in context


def test_the_action_caches_its_venv_under_the_prepared_key(
    runner: dict[str, str], tmp_path: Path
) -> None:
    bin_dir = fake_python(tmp_path)
    environment = {**runner, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    exit_code, context = run_action(
        {**ACTION_INPUTS, "install": "true", "sarif-upload": "false"}, environment, tmp_path
    )
    assert exit_code == 0, "".join(context["logs"])
    prepared = context["steps"]["prepare"]["outputs"]
    assert context["used"] == [{"path": prepared["venv"], "key": prepared["cache-key"]}]
    assert prepared["venv"] == str(tmp_path / "runner-temp" / "drift-gate-venv")
    cached = ACTION_INPUTS | {"install": "true", "cache": "false", "sarif-upload": "false"}
    _, uncached = run_action(cached, environment, tmp_path)
    assert "used" not in uncached


def test_install_script_says_which_pythons_it_needs(tmp_path: Path) -> None:
    completed = run_install(tmp_path, fake_python(tmp_path, version="3.9"))
    assert completed.returncode == 2
    assert "the runner's python3 is 3.9; drift-gate needs Python 3.10 to 3.14" in completed.stdout
    assert not (tmp_path / "calls.log").exists()  # no venv, no pip


def test_install_script_refuses_a_version_that_is_not_one(tmp_path: Path) -> None:
    bin_dir = fake_python(tmp_path)
    version = "1.0 --index-url=https://example.invalid"
    completed = run_install(tmp_path, bin_dir, DRIFT_GATE_VERSION=version)
    assert completed.returncode == 2
    assert "is not a version such as 0.1.0" in completed.stdout
    assert not (tmp_path / "calls.log").exists()  # nothing was installed


# --- Dockerfile -------------------------------------------------------------------------


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    joined = re.sub(r"\\\n", " ", (REPO / "Dockerfile").read_text())
    result = []
    for line in joined.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            keyword, _, rest = stripped.partition(" ")
            result.append((keyword.upper(), rest.strip()))
    return result


def test_dockerfile_runs_as_a_non_root_user_with_drift_gate_as_entrypoint() -> None:
    instructions = dockerfile_instructions()
    final_stage = instructions[max(i for i, (k, _) in enumerate(instructions) if k == "FROM") :]
    users = [args for keyword, args in final_stage if keyword == "USER"]
    assert users
    assert users[-1].split(":")[0] not in ("root", "0")
    assert ("ENTRYPOINT", '["drift-gate"]') in final_stage
    labels = " ".join(args for keyword, args in final_stage if keyword == "LABEL")
    for key in ("title", "description", "version", "licenses", "source"):
        assert f"org.opencontainers.image.{key}=" in labels


def test_dockerfile_keeps_no_layer_of_wheels_and_builds_with_the_license() -> None:
    instructions = dockerfile_instructions()
    final_stage = instructions[max(i for i, (k, _) in enumerate(instructions) if k == "FROM") :]
    # A COPY of the wheels followed by rm would keep them in the COPY's layer.
    assert not [args for keyword, args in final_stage if keyword == "COPY" and "wheels" in args]
    install = next(a for k, a in final_stage if k == "RUN" and "pip install" in a)
    assert install.startswith("--mount=type=bind,from=build,source=/wheels,target=/wheels ")
    # pyproject's license-files: the wheel cannot be built without LICENSE in the context.
    copies = [args for keyword, args in instructions if keyword == "COPY"]
    assert any("LICENSE" in args.split() for args in copies)
    assert "LICENSE" not in (REPO / ".dockerignore").read_text().splitlines()


def test_dockerfile_pins_and_verifies_terraform() -> None:
    instructions = dockerfile_instructions()
    arguments = dict(
        args.split("=", 1) for keyword, args in instructions if keyword == "ARG" and "=" in args
    )
    assert re.fullmatch(r"\d+\.\d+\.\d+", arguments["TERRAFORM_VERSION"])
    assert re.fullmatch(r"[0-9a-f]{64}", arguments["TERRAFORM_SHA256_AMD64"])
    assert re.fullmatch(r"[0-9a-f]{64}", arguments["TERRAFORM_SHA256_ARM64"])
    download = next(
        args
        for keyword, args in instructions
        if keyword == "RUN" and "releases.hashicorp.com" in args
    )
    # The checksum is verified before the archive is unpacked.
    assert download.index("sha256sum -c") < download.index("unzip")


def dockerfile_stage(name: str) -> list[tuple[str, str]]:
    """The instructions of one named stage (`FROM ... AS name`) up to the next FROM."""
    instructions = dockerfile_instructions()
    start = next(
        i
        for i, (keyword, args) in enumerate(instructions)
        if keyword == "FROM" and args.split()[-1] == name
    )
    following = [i for i, (k, _) in enumerate(instructions) if k == "FROM" and i > start]
    return instructions[start : following[0] if following else None]


def test_dockerfile_lambda_target_runs_the_hook_handler_from_the_task_root() -> None:
    """`docker build --target lambda`: AWS's Lambda base image, pinned by tag, the pins and
    drift-gate installed where Lambda imports from, and the hook's handler as CMD. A plain
    build still ends with the CLI's image (the test above reads the last stage)."""
    instructions = dockerfile_instructions()
    arguments = dict(
        args.split("=", 1) for keyword, args in instructions if keyword == "ARG" and "=" in args
    )
    assert re.fullmatch(r"public\.ecr\.aws/lambda/python:3\.1[23][\w.]*", arguments["LAMBDA_IMAGE"])
    stage = dockerfile_stage("lambda")
    assert stage[0] == ("FROM", "${LAMBDA_IMAGE} AS lambda")
    assert stage[-1] == ("CMD", '["drift_gate.aws_lambda.handler"]')
    (install,) = [args for keyword, args in stage if keyword == "RUN"]
    assert '--target "${LAMBDA_TASK_ROOT}" -r /tmp/requirements.txt' in install
    assert "--only-binary=:all:" in install  # the base image's Python's wheels, nothing built
    assert "--no-deps --no-index --find-links /wheels" in install
    assert "--mount=type=bind,from=build,source=/wheels,target=/wheels" in install
    assert not [args for keyword, args in stage if keyword == "COPY" and "wheels" in args]
    final = instructions[max(i for i, (k, _) in enumerate(instructions) if k == "FROM") :]
    assert ("ENTRYPOINT", '["drift-gate"]') in final


def test_dockerfile_is_hadolint_clean() -> None:
    """hadolint as users run it; every ignore in the Dockerfile carries its reason above it."""
    hadolint = tool_beside_python("hadolint")
    completed = subprocess.run(
        [str(hadolint), "--no-color", str(REPO / "Dockerfile")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    lines = (REPO / "Dockerfile").read_text().splitlines()
    for number, line in enumerate(lines):
        if "hadolint ignore=" not in line:
            continue
        comment_above = []
        for above in reversed(lines[:number]):
            if not above.startswith("#"):
                break
            comment_above.append(above)
        for rule in line.split("=", 1)[1].split(","):
            assert any(f"{rule.strip()} (" in text for text in comment_above), (
                f"Dockerfile:{number + 1} ignores {rule.strip()} without saying why just above"
            )


def test_dockerfile_caches_pip_downloads_with_buildkit() -> None:
    text = (REPO / "Dockerfile").read_text()
    assert text.startswith("# syntax=docker/dockerfile:1")
    assert "--mount=type=cache,target=/root/.cache/pip" in text


def test_dockerfile_holds_no_secret_in_env_or_arg() -> None:
    secretish = re.compile(r"(SECRET|TOKEN|PASSWORD|ACCESS_KEY|API_KEY|PRIVATE)", re.IGNORECASE)
    for keyword, args in dockerfile_instructions():
        if keyword in ("ENV", "ARG"):
            assert not secretish.search(args), f"{keyword} {args}"


# --- Workflows in docs/ ---------------------------------------------------------------


@pytest.mark.parametrize("workflow", WORKFLOWS + OWN_WORKFLOWS, ids=lambda path: path.name)
def test_workflow_is_valid_pinned_and_uses_only_real_inputs(workflow: Path) -> None:
    document = yaml.safe_load(workflow.read_text())
    document["on"] = document.pop(True)  # PyYAML reads YAML 1.1, where `on` is a boolean
    jsonschema.Draft7Validator(vendored_schema("github-workflows.json")).validate(document)
    assert document["permissions"] == {}  # nothing at the top; each job asks for its own
    for name, job in document["jobs"].items():
        assert "permissions" in job, f"job {name} has no job-level permissions"
        for step in job.get("steps", []):
            uses = step.get("uses")
            if uses is None:
                continue
            if uses.startswith("drift-gate/drift-gate@") or uses == "./":
                assert set(step.get("with", {})) <= set(ACTION["inputs"]), f"{name}: unknown inputs"
            else:
                assert SHA_PINNED.match(uses), (
                    f"{workflow.name}: {uses} is not pinned by commit SHA"
                )


def test_the_release_workflow_builds_checks_publishes_and_moves_the_major_tag() -> None:
    """The parts of a release users rely on; the build itself (.ci/build-dist) runs in .ci/run."""
    release = yaml.safe_load((REPO / ".github" / "workflows" / "release.yml").read_text())
    jobs = release["jobs"]
    assert release[True]["push"]["tags"] == ["v[0-9]+.[0-9]+.[0-9]+"]
    build_runs = " ".join(all_run_scripts(jobs["build"]))
    assert 'bash .ci/build-dist "$TAG"' in build_runs  # twine check, fresh-venv install, demo
    # The image is built and run on every release, before anything is published; it needs
    # no registry token (pushing is a separate, documented step).
    image = jobs["image"]
    image_runs = " ".join(all_run_scripts(image))
    assert "docker build --pull" in image_runs
    assert "--version" in image_runs
    assert image["permissions"] == {"contents": "read"}
    publish = jobs["pypi"]
    assert publish["needs"] == ["build", "image"]
    assert publish["environment"]["name"] == "pypi"
    assert publish["permissions"] == {"id-token": "write"}  # trusted publishing, no token
    assert any(
        step.get("uses", "").startswith("pypa/gh-action-pypi-publish@") for step in publish["steps"]
    )
    assert not any("password" in step.get("with", {}) for step in publish["steps"])
    github_release = jobs["github-release"]
    assert github_release["needs"] == "pypi"
    scripts = " ".join(all_run_scripts(github_release))
    assert "gh release create" in scripts
    assert 'major="${TAG%%.*}"' in scripts


def test_build_dist_checks_builds_installs_and_runs_the_demo() -> None:
    script = (REPO / ".ci" / "build-dist").read_text()
    for step in ("-m build", 'twine" check --strict', '"${wheels[0]}[demo]"', 'drift-gate" demo'):
        assert step in script, step
    assert "bash .ci/build-dist" in (REPO / ".ci" / "run").read_text()


def test_the_workflows_cover_merge_nightly_and_fan_out() -> None:
    assert [w.name for w in WORKFLOWS] == ["fan-out.yml", "merge-gate.yml", "nightly-scan.yml"]
    nightly = (REPO / "docs" / "workflows" / "nightly-scan.yml").read_text()
    assert "drift-gate scan --region" in nightly
    assert (
        'drift-gate github-issues --report drift-gate.json --repo "$GITHUB_REPOSITORY"' in nightly
    )
    assert "group: drift-gate-nightly-scan" in nightly  # one run at a time: no duplicate issue
    assert "gh issue" not in nightly  # the issue logic lives in drift-gate, where it is tested
    merge = (REPO / "docs" / "workflows" / "merge-gate.yml").read_text()
    assert "terraform_wrapper: false" in merge
    fan_out = (REPO / "docs" / "workflows" / "fan-out.yml").read_text()
    assert "drift-gate scan --role-arn" in fan_out
    assert "drift-gate merge" in fan_out
    assert "drift-gate github-issues --report merged.json" in fan_out


# --- The pre-push hook, through the real pre-commit --------------------------------------


def git(repo: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", *args], cwd=repo, env=env, capture_output=True, text=True, timeout=180, check=False
    )


def test_manifest_is_valid_for_pre_commit() -> None:
    from pre_commit.clientlib import load_manifest

    hooks = {hook["id"]: hook for hook in load_manifest(str(REPO / ".pre-commit-hooks.yaml"))}
    assert hooks["drift-gate-pre-push"]["stages"] == ["pre-push"]
    assert hooks["drift-gate-pre-push"]["entry"] == "drift-gate pre-push"
    assert hooks["drift-gate-policy"]["entry"] == "drift-gate validate-policy"


@pytest.mark.e2e
def test_pre_push_hook_blocks_an_invalid_policy_and_passes_a_valid_one(tmp_path: Path) -> None:
    # The hook definitions are the manifest's own, run as `language: system` against the
    # drift-gate of this environment: installing `language: python` hooks would download.
    manifest = {
        hook["id"]: hook for hook in yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    }
    hook = {
        **manifest["drift-gate-pre-push"],
        "language": "system",
        "args": ["--policy", "drift-gate.yaml", "--terraform-dir", "infra"],
    }
    hook.pop("minimum_pre_commit_version")
    remote, work = tmp_path / "remote.git", tmp_path / "work"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "GIT_"))}
    env.update(
        HOME=str(tmp_path),
        PRE_COMMIT_HOME=str(tmp_path / "cache"),
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        AWS_CONFIG_FILE=str(tmp_path / "none"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"),
    )
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True, env=env)
    subprocess.run(["cp", "-r", str(REPO / "examples" / "hokusai"), str(work)], check=True)
    (work / ".pre-commit-config.yaml").write_text(
        yaml.safe_dump({"repos": [{"repo": "local", "hooks": [hook]}]})
    )
    for args in (
        ("init", "-q", "-b", "main"),
        ("config", "user.email", "t@example.com"),
        ("config", "user.name", "t"),
        ("remote", "add", "origin", str(remote)),
        ("add", "-A"),
        ("commit", "-qm", "valid policy"),
    ):
        assert git(work, *args, env=env).returncode == 0
    installed = subprocess.run(
        [str(Path(sys.executable).parent / "pre-commit"), "install", "--hook-type", "pre-push"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert installed.returncode == 0, installed.stderr

    valid = git(work, "push", "-q", "origin", "main", env=env)
    assert valid.returncode == 0, valid.stdout + valid.stderr
    assert "the live check is not run before a push" in valid.stdout + valid.stderr

    policy = work / "drift-gate.yaml"
    policy.write_text(policy.read_text().replace("region: us-east-1", "region: Mars-1"))
    git(work, "commit", "-qam", "broken policy", env=env)
    blocked = git(work, "push", "-q", "origin", "main", env=env)
    assert blocked.returncode != 0
    assert (
        "drift-gate.yaml:5: environments/development/region: expected text matching"
        in blocked.stdout + blocked.stderr
    )
    assert (
        git(remote, "log", "--oneline", "main", env=env).stdout.count("\n") == 1
    )  # only the valid commit


# --- The least-privilege IAM policy, under moto's IAM enforcement --------------------------


def reset_auth(moto_server: MotoServer, count: str) -> None:
    request = urllib.request.Request(  # noqa: S310 - the loopback endpoint
        f"{moto_server.endpoint}/moto-api/reset-auth",
        data=count.encode(),
        method="POST",
        headers={"Content-Type": "text/plain"},  # a form body would be parsed away
    )
    with urllib.request.urlopen(request, timeout=10):  # noqa: S310 - the loopback endpoint
        pass


@pytest.fixture
def enforced(moto_server: MotoServer) -> Iterator[MotoServer]:
    yield moto_server
    reset_auth(moto_server, "inf")  # the session's server goes back to accepting everything


@pytest.mark.e2e
@pytest.mark.parametrize("source", ["docs/iam-policy.json", "drift-gate iam-policy"])
def test_iam_policy_allows_a_full_check_and_denies_reading_values(
    enforced: MotoServer, cli_on_moto: Cli, tmp_path: Path, source: str
) -> None:
    account = IncidentAccount.create(enforced.client)
    _moto_compat.settle(CLUSTER, SERVICE, REGION)
    # An ECR image, so that the images link is exercised under the policy too.
    enforced.client("ecr").create_repository(repositoryName="hokusai/api")
    manifest = (
        '{"schemaVersion": 2, "mediaType": '
        '"application/vnd.docker.distribution.manifest.v2+json", "layers": []}'
    )
    enforced.client("ecr").put_image(
        repositoryName="hokusai/api", imageManifest=manifest, imageTag="v7"
    )
    image = f"123456789012.dkr.ecr.{REGION}.amazonaws.com/hokusai/api:v7"
    # A secret under a customer-managed key named by alias: the execution-role link resolves
    # it (kms:DescribeKey) and asks the simulator about kms:Decrypt, under the policy too.
    kms = enforced.client("kms")
    key_arn = kms.create_key()["KeyMetadata"]["Arn"]
    kms.create_alias(AliasName="alias/hokusai", TargetKeyId=key_arn)
    enforced.client("secretsmanager").update_secret(
        SecretId=account.secret_arns["HUGGINGFACE_API_KEY"], KmsKeyId="alias/hokusai"
    )
    account.allow_secrets(list(account.secret_arns.values()), keys=(key_arn,))
    account.redeploy(account.register_revision(list(SECRET_NAMES), image=image))
    # moto authorises CloudWatch Logs calls against the resource "*" (it computes no log-group
    # ARN), so a statement scoped to log groups cannot pass there: the generated policy is
    # tested on a policy without logs, its log-group scoping in tests/unit/test_policy.py.
    logs = '        logs:\n          group: /ecs/api\n          forbid: ["token not configured"]\n'
    policy = tmp_path / "policy.yaml"
    with_logs = source == "docs/iam-policy.json"
    policy.write_text(
        (REPO / "policies" / "example.yaml").read_text() + (logs if with_logs else "")
    )
    if with_logs:
        document = (REPO / "docs" / "iam-policy.json").read_text()
    else:  # least privilege for this policy
        generated = cli_on_moto.run("iam-policy", "--policy", str(policy))
        assert generated.exit_code == 0, generated.stderr
        document = generated.stdout
        assert "logs:FilterLogEvents" not in document
    # moto authorises every IAM call against the resource "*" (it computes no role ARN), so
    # the statement scoped to roles (arn:aws:iam::*:role/*, right for IAM) cannot match
    # there: that one Resource is widened for moto, and only it.
    scoped = json.loads(document)
    (simulator,) = [s for s in scoped["Statement"] if "iam:SimulatePrincipalPolicy" in s["Action"]]
    assert simulator["Resource"] in ("arn:aws:iam::*:role/*", ["arn:aws:iam::*:role/*"])
    simulator["Resource"] = "*"
    document = json.dumps(scoped)
    iam = enforced.client("iam")
    iam.create_user(UserName="drift-gate")
    policy_arn = iam.create_policy(PolicyName="drift-gate-read-only", PolicyDocument=document)[
        "Policy"
    ]["Arn"]
    iam.attach_user_policy(UserName="drift-gate", PolicyArn=policy_arn)
    key = iam.create_access_key(UserName="drift-gate")["AccessKey"]
    credentials = {
        "AWS_ACCESS_KEY_ID": key["AccessKeyId"],
        "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"],
    }
    reset_auth(enforced, "0")  # from here on, every request is authorised against IAM

    result = cli_on_moto.run(
        "check",
        "--policy",
        str(policy),
        "--format",
        "json",
        "--output",
        "r.json",
        extra_env=credentials,
    )
    report = json.loads((tmp_path / "r.json").read_text())
    # Every link was verified with exactly the policy's permissions (the log group does not exist).
    expected = ["DG402"] if with_logs else []
    messages = [f["message"] for f in report["findings"]]
    assert [f["rule_id"] for f in report["findings"]] == expected, (messages, result.stderr)
    assert report["exit_code"] == (1 if with_logs else 0)
    assert set(report["stats"]["aws_calls"]) == {
        "ecs:DescribeServices",
        "ecs:DescribeTaskDefinition",
        "ecs:ListTaskDefinitions",
        "ecs:ListTasks",
        "ecr:DescribeImages",
        "iam:SimulatePrincipalPolicy",
        "kms:DescribeKey",
        "secretsmanager:DescribeSecret",
    } | ({"logs:FilterLogEvents"} if with_logs else set())
    role_link = next(
        link
        for link in report["services"][0]["links"]
        if link["link"] == "the execution role can read each secret"
    )
    assert role_link["state"] == "passed"

    secrets = boto3.client(
        "secretsmanager",
        region_name=REGION,
        endpoint_url=enforced.endpoint,
        aws_access_key_id=key["AccessKeyId"],
        aws_secret_access_key=key["SecretAccessKey"],
    )
    with pytest.raises(botocore.exceptions.ClientError) as denied:
        secrets.get_secret_value(SecretId=account.secret_arns["HUGGINGFACE_API_KEY"])
    assert denied.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    secrets.describe_secret(
        SecretId=account.secret_arns["HUGGINGFACE_API_KEY"]
    )  # metadata is allowed


# Every Python the project claims (pyproject's requires-python and classifiers).
CLAIMED_PYTHONS = ("3.10", "3.11", "3.12", "3.13", "3.14")


def test_the_claimed_pythons_are_the_ones_pyproject_states() -> None:
    pyproject = (REPO / "pyproject.toml").read_text()
    assert 'requires-python = ">=3.10"' in pyproject
    for version in CLAIMED_PYTHONS:
        assert f'"Programming Language :: Python :: {version}"' in pyproject


@pytest.mark.e2e
@pytest.mark.parametrize("machine", ["x86_64", "aarch64"])  # ubuntu-* and ubuntu-*-arm runners
@pytest.mark.parametrize("version", CLAIMED_PYTHONS)
def test_the_action_pins_resolve_with_wheels_for_every_claimed_python(
    version: str, machine: str, tmp_path: Path
) -> None:
    """pip's own resolution, as the action's install step does it on a runner of that Python
    (from the package index, wheels only: a runner may have no compiler)."""
    completed = subprocess.run(
        [
            sys.executable, "-m", "pip", "download", "--quiet",
            "--only-binary=:all:", "--python-version", version,
            "--implementation", "cp", "--abi", f"cp{version.replace('.', '')}",
            "--platform", f"manylinux2014_{machine}", "--platform", f"manylinux_2_17_{machine}",
            "--platform", f"manylinux_2_28_{machine}", "--platform", "any",
            "--dest", str(tmp_path), "--requirement", str(REPO / "action" / "requirements.txt"),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr[-2000:]


def test_every_output_drift_gate_writes_is_declared_by_the_action() -> None:
    import yaml

    from drift_gate.publish.github import step_outputs
    from tests.reports import sample_report

    declared = set(yaml.safe_load((REPO / "action.yml").read_text())["outputs"])
    # The formats the action can write (action/run.sh), each with its report path output.
    paths = {fmt: f"/r.{fmt}" for fmt in ("json", "sarif", "markdown", "junit", "html")}
    assert set(step_outputs(sample_report(), paths)) <= declared


def test_the_build_context_leaves_out_state_secrets_and_local_environments() -> None:
    ignored = (REPO / ".dockerignore").read_text().splitlines()
    for pattern in (".git", ".venv", "*.tfstate", ".env", ".terraform"):
        assert pattern in ignored
    # What the Dockerfile copies stays in the context.
    for needed in ("pyproject.toml", "README.md", "drift_gate", "action"):
        assert needed not in ignored


def test_the_action_and_the_workflows_are_zizmor_clean() -> None:
    """zizmor, offline, as users audit their workflows; zizmor.yml allows only the reference
    to drift-gate's own action by tag (it can be pinned to a commit once a release exists)."""
    zizmor = tool_beside_python("zizmor")
    workflows = [str(path) for path in WORKFLOWS + OWN_WORKFLOWS]
    completed = subprocess.run(
        [
            str(zizmor),
            "--offline",
            "--config",
            str(REPO / "zizmor.yml"),
            str(REPO / "action.yml"),
            *workflows,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout[-4000:]
    assert "No findings to report" in completed.stdout


def test_the_hooks_work_without_arguments_and_see_policies_in_their_usual_places() -> None:
    import re as regex

    import yaml

    hooks = {
        hook["id"]: hook for hook in yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    }
    # No default args: the policy is found as every command finds it (drift-gate.yaml, then
    # .drift-gate.yaml, at the repository root where pre-commit runs hooks), and args a user
    # gives (--terraform-dir, --live) no longer drop a default --policy.
    assert "args" not in hooks["drift-gate-pre-push"]
    files = regex.compile(hooks["drift-gate-policy"]["files"])
    for path in (
        "drift-gate.yaml",
        ".drift-gate.yml",
        "infra/drift-gate.prod.yaml",
        "drift-gate/prod.yaml",
    ):
        assert files.search(path), path
    # By name only: another tool's policies (Kyverno, OPA) under policies/ are not ours.
    for path in (
        "docker-compose.yaml",
        "policies/readme.md",
        "policies/prod.yaml",
        ".github/workflows/ci.yml",
    ):
        assert not files.search(path), path


@pytest.mark.e2e
def test_pre_commit_try_repo_installs_the_pre_push_hook_as_python_and_runs_it(
    tmp_path: Path,
) -> None:
    """As a user tries the hook: pre-commit builds a python environment from this repository
    (pip, from the package index) and runs the hook with its default arguments."""
    project = tmp_path / "project"
    project.mkdir()
    shutil.copy(REPO / "examples" / "hokusai" / "drift-gate.yaml", project / "drift-gate.yaml")
    git = ["git", "-c", "user.email=t@example.com", "-c", "user.name=t"]
    subprocess.run(["git", "init", "-q"], cwd=project, check=True)
    subprocess.run([*git, "add", "."], cwd=project, check=True)
    subprocess.run([*git, "commit", "-qm", "policy"], cwd=project, check=True)
    env = {
        key: value for key, value in os.environ.items() if not key.startswith(("AWS_", "GITHUB_"))
    }
    env.update(PRE_COMMIT_HOME=str(tmp_path / "pre-commit-home"), AWS_EC2_METADATA_DISABLED="true")
    env.update(
        AWS_CONFIG_FILE=str(tmp_path / "none"), AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none")
    )
    completed = subprocess.run(
        [
            str(Path(sys.executable).parent / "pre-commit"), "try-repo", str(REPO),
            "drift-gate-pre-push", "--hook-stage", "pre-push", "--all-files",
        ],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-2000:]
    assert "drift-gate.yaml: valid" in completed.stdout
    assert "the live check is not run before a push" in completed.stdout
    assert "skipped the Terraform sources check: no .tf files in ./, infra/, terraform/" in (
        completed.stdout
    )


def test_the_terraform_inputs_reach_the_command_line(
    runner: dict[str, str], tmp_path: Path
) -> None:
    """Each Terraform input becomes the CLI option of the same name (a stand-in drift-gate
    records its arguments; the options themselves are tested against real terraform)."""
    fake_bin = tmp_path / "fake-drift-gate"
    fake_bin.mkdir()
    recorded = tmp_path / "argv"
    script = fake_bin / "drift-gate"
    script.write_text(f'#!/usr/bin/env bash\nprintf "%s\\n" "$@" > {shlex.quote(str(recorded))}\n')
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    inputs = {
        "install": "false",
        "terraform-dir": "infra",
        "plan-file": "infra/tfplan",
        "workspace": "staging",
        "var-files": "staging.tfvars\ncommon.tfvars",
        "terraform-init": "true",
        "terraform-bin": "tofu",
        "plan-args": "-target=module.api\n  -var=name=a b\n",
        "formats": "json",
    }
    environment = {**runner, "PATH": f"{fake_bin}{os.pathsep}{runner['PATH']}"}
    exit_code, _ = run_action(inputs, environment, tmp_path)
    assert exit_code == 0
    argv = recorded.read_text().splitlines()
    pairs = list(itertools.pairwise(argv))
    for expected in (
        ("--terraform-dir", "infra"),
        ("--plan-file", "infra/tfplan"),
        ("--workspace", "staging"),
        ("--var-file", "staging.tfvars"),
        ("--var-file", "common.tfvars"),
        ("--terraform-bin", "tofu"),
    ):
        assert expected in pairs
    assert "--terraform-init" in argv
    assert "--plan-arg=-target=module.api" in argv
    assert "--plan-arg=-var=name=a b" in argv


def recording_drift_gate(tmp_path: Path) -> tuple[Path, Path]:
    """A stand-in drift-gate that writes each argument it got, NUL-separated."""
    fake_bin = tmp_path / "fake-drift-gate"
    fake_bin.mkdir()
    recorded = tmp_path / "argv"
    script = fake_bin / "drift-gate"
    script.write_text(f'#!/usr/bin/env bash\nprintf "%s\\0" "$@" > {shlex.quote(str(recorded))}\n')
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return fake_bin, recorded


def test_the_args_input_reaches_drift_gate_word_by_word_and_is_never_evaluated(
    runner: dict[str, str], tmp_path: Path
) -> None:
    fake_bin, recorded = recording_drift_gate(tmp_path)
    planted = tmp_path / "evaluated"
    inputs = {
        "install": "false",
        "formats": "json",
        "args": (
            "--wait 10m --region eu-west-1 --since=15m --skip-link 'execution-role'\n"
            f'--policy "a b.yaml" $(touch {planted}) `touch {planted}` $HOME *'
        ),
    }
    environment = {**runner, "PATH": f"{fake_bin}{os.pathsep}{runner['PATH']}"}
    exit_code, _ = run_action(inputs, environment, tmp_path)
    assert exit_code == 0
    argv = recorded.read_text().split("\0")[:-1]
    words = ["--wait", "10m", "--region", "eu-west-1", "--since=15m", "--skip-link"]
    assert argv[argv.index("--wait") :][: len(words) + 1] == [*words, "execution-role"]
    assert ("--policy", "a b.yaml") in list(itertools.pairwise(argv))
    assert {"$(touch", f"{planted})", "`touch", f"{planted}`", "$HOME", "*"} <= set(argv)
    assert not planted.exists()


def test_an_args_input_that_cannot_be_split_is_exit_2_in_one_line(
    runner: dict[str, str], tmp_path: Path
) -> None:
    fake_bin, recorded = recording_drift_gate(tmp_path)
    environment = {**runner, "PATH": f"{fake_bin}{os.pathsep}{runner['PATH']}"}
    exit_code, context = run_action(
        {"install": "false", "args": "--since '15m"}, environment, tmp_path
    )
    assert exit_code == 2
    assert "::error title=drift-gate::input args: No closing quotation" in "".join(context["logs"])
    assert not recorded.exists()


def test_an_input_in_an_error_line_cannot_issue_a_workflow_command(
    runner: dict[str, str], tmp_path: Path
) -> None:
    """The formats input in `::error`: % escaped as GitHub's toolkit escapes it, so `%0A`
    stays text and never becomes a line of its own (`::warning::...`)."""
    fake_bin, recorded = recording_drift_gate(tmp_path)
    environment = {**runner, "PATH": f"{fake_bin}{os.pathsep}{runner['PATH']}"}
    exit_code, context = run_action(
        {"install": "false", "formats": "json pdf%0A::warning::owned"}, environment, tmp_path
    )
    assert exit_code == 2
    assert context["outputs"]["exit-code"] == "2"
    log = "".join(context["logs"])
    assert "unknown format 'pdf%250A::warning::owned'" in log
    assert not recorded.exists()


def test_the_version_input_is_not_echoed_into_a_workflow_command(tmp_path: Path) -> None:
    completed = run_install(
        tmp_path, fake_python(tmp_path), DRIFT_GATE_VERSION="1%0A::warning::owned"
    )
    assert completed.returncode == 2
    assert "is not a version such as 0.1.0" in completed.stdout
    assert "owned" not in completed.stdout


def test_formats_and_var_files_are_never_glob_expanded(
    runner: dict[str, str], tmp_path: Path
) -> None:
    fake_bin, recorded = recording_drift_gate(tmp_path)
    (tmp_path / "a.tfvars").write_text("")
    (tmp_path / "b.tfvars").write_text("")
    environment = {**runner, "PATH": f"{fake_bin}{os.pathsep}{runner['PATH']}"}
    inputs = {"install": "false", "formats": "json", "var-files": "*.tfvars\nc.tfvars"}
    exit_code, _ = run_action(inputs, environment, tmp_path)
    assert exit_code == 0
    argv = recorded.read_text().split("\0")[:-1]
    files = [b for a, b in itertools.pairwise(argv) if a == "--var-file"]
    assert files == ["*.tfvars", "c.tfvars"]

    exit_code, context = run_action({"install": "false", "formats": "*"}, environment, tmp_path)
    assert exit_code == 2
    assert "unknown format '*'" in "".join(context["logs"])


def test_the_plan_role_template_writes_only_the_lock_and_its_placeholders_are_documented() -> None:
    document = json.loads((REPO / "docs" / "iam-plan-role.json").read_text())
    writes = {"s3:PutObject", "s3:DeleteObject", "dynamodb:PutItem", "dynamodb:DeleteItem"}
    for statement in document["Statement"]:
        actions = set(statement["Action"])
        resources = statement["Resource"]
        resources = resources if isinstance(resources, list) else [resources]
        if actions & {"s3:PutObject", "s3:DeleteObject"}:
            assert all(resource.endswith(".tflock") for resource in resources), statement["Sid"]
        assert actions <= writes | {
            "s3:GetObject", "s3:ListBucket", "dynamodb:GetItem", "kms:Decrypt"
        }, statement["Sid"]  # fmt: skip
        assert "*" not in resources
    docs = (REPO / "docs" / "secrets-and-logs.md").read_text()
    text = json.dumps(document) + (REPO / "docs" / "iam-trust-github-oidc.json").read_text()
    placeholders = set(re.findall(r"\b[A-Z][A-Z_]{4,}\b", text)) - {"OWNER", "REPOSITORY"}
    assert {"STATE_BUCKET", "LOCK_TABLE", "SUBJECT"} <= placeholders
    assert "repo:OWNER/REPOSITORY:SUBJECT" in text
    assert "`OWNER/REPOSITORY`" in docs
    for placeholder in placeholders:
        assert f"`{placeholder}`" in docs, f"{placeholder} is not explained in the docs"


@pytest.mark.parametrize("job", ["plan-half", "gate"])
def test_the_merge_gate_plans_with_the_plan_role_and_checks_with_the_check_role(job: str) -> None:
    workflow = yaml.safe_load((REPO / "docs" / "workflows" / "merge-gate.yml").read_text())
    steps = workflow["jobs"][job]["steps"]
    order = []
    for step in steps:
        role = step.get("with", {}).get("role-to-assume", "")
        if role:
            order.append(role.rsplit("/", 1)[1])
        elif "terraform" in step.get("run", "") and " plan " in step["run"]:
            order.append("terraform plan")
        elif step.get("uses", "").startswith("drift-gate/drift-gate@"):
            if step["with"].get("offline") == "true":
                continue  # no AWS, no plan: the names declared before merge
            order.append("drift-gate")
            assert step["with"]["plan-file"] == "${{ runner.temp }}/tfplan"
    assert order == ["drift-gate-plan", "terraform plan", "drift-gate-read-only", "drift-gate"]
    plan = next(step["run"] for step in steps if " plan " in step.get("run", ""))
    assert "terraform -chdir=infra init -input=false" in plan  # a plan needs an initialised root
