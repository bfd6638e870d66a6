"""Shared fixtures: an isolated AWS environment, moto in server mode, the installed CLI."""

from __future__ import annotations

import atexit
import contextlib
import io
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

from drift_gate import _moto_compat
from tests.netguard import sitecustomize as netguard

REPO = Path(__file__).resolve().parent.parent
REGION = "us-east-1"
# Workers a CPU for the whole suite (measured on 2 cores: see pytest_xdist_auto_num_workers).
WORKERS_PER_CPU = 2

# moto has no IAM policy simulator; the execution-role link asks it. This answers from the
# role's own policies, in this process: in-process moto and the ThreadedMotoServer alike.
_moto_compat.enable_policy_simulator()
# Nor ECS's service revisions, which the lifecycle hook reads: emulated the same way.
_moto_compat.enable_service_revisions()
# And the service deployments paused at a PAUSE hook, which await-hook reads and continues.
_moto_compat.enable_service_deployments()

# The HCL tree cache (drift_gate/sources/hcl/tree_cache.py) of this test run: its own, thrown
# away at the end; processes the tests start inherit it. Tests never touch the user's ~/.cache.
_TREE_CACHE = tempfile.mkdtemp(prefix="drift-gate-test-cache-")
os.environ["DRIFT_GATE_CACHE_DIR"] = _TREE_CACHE
atexit.register(shutil.rmtree, _TREE_CACHE, ignore_errors=True)
# Loaded as `sitecustomize` by every Python process a test starts with fake_aws_environment.
NETGUARD_DIR = Path(netguard.__file__).resolve().parent


def fake_aws_environment(tmp_path: Path) -> dict[str, str]:
    """Credentials that are obviously fake, and no user profile, config file or endpoint."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AWS_", "GITHUB_")) and key not in ("NO_COLOR", "FORCE_COLOR", "CI")
    }
    env.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION=REGION,
        # Never ask the EC2 instance metadata service for credentials: no network but loopback.
        AWS_EC2_METADATA_DISABLED="true",
        AWS_CONFIG_FILE=str(tmp_path / "no-aws-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "no-aws-credentials"),
        # No network but loopback in the CLIs tests start, as in the test process itself.
        PYTHONPATH=os.pathsep.join(
            part for part in (str(NETGUARD_DIR), env.get("PYTHONPATH", "")) if part
        ),
    )
    return env


@pytest.fixture(autouse=True)
def isolated_aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test may reach a real AWS account or read the developer's AWS configuration."""
    for key in list(os.environ):
        if key.startswith(("AWS_", "GITHUB_")):
            monkeypatch.delenv(key)
    for key, value in fake_aws_environment(tmp_path).items():
        if key.startswith("AWS_"):
            monkeypatch.setenv(key, value)


@dataclass
class MotoServer:
    """moto in server mode on 127.0.0.1: drift-gate speaks real HTTP to it."""

    endpoint: str

    def reset(self) -> None:
        # The endpoint is the loopback http:// URL this fixture built itself.
        request = urllib.request.Request(f"{self.endpoint}/moto-api/reset", method="POST")  # noqa: S310
        with urllib.request.urlopen(request, timeout=10):  # noqa: S310
            pass

    def client(self, service: str) -> Any:
        return boto3.client(service, region_name=REGION, endpoint_url=self.endpoint)


@pytest.fixture(scope="session")
def moto_server_session() -> Iterator[MotoServer]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield MotoServer(f"http://{host}:{port}")
    finally:
        server.stop()


@pytest.fixture
def moto_server(moto_server_session: MotoServer) -> MotoServer:
    """A moto server with a fresh, empty account for each test."""
    moto_server_session.reset()
    return moto_server_session


@pytest.hookimpl(optionalhook=True)  # pytest-xdist's hook: without it, never called
def pytest_xdist_auto_num_workers(config: pytest.Config) -> int | None:
    """`-n auto` (pyproject's addopts): the whole suite on WORKERS_PER_CPU workers a CPU, as
    many tests mostly wait (a read timeout, a rollout, a drip, a subprocess) and another worker
    runs meanwhile; a run of named files or tests stays in this one process, with no worker
    start-up (`-n 0` for the whole suite in one; PYTEST_XDIST_AUTO_NUM_WORKERS=N sets N)."""
    if os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS"):
        return None  # xdist's own reading of it
    if any(".py" in arg or "::" in arg for arg in config.args):
        return 0
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return WORKERS_PER_CPU * (cpus or 1)


# Test files whose tests must all run on one worker, and why.
ONE_WORKER_FILES = {
    "tests/e2e/test_packaging.py": "pip builds the wheel in the source tree (build/, *.egg-info)",
}


@pytest.hookimpl(optionalhook=True)  # pytest-xdist's hook
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """xdist's load scheduling, but each of ONE_WORKER_FILES on one worker. (Its xdist_group
    mark with --dist loadgroup is silently ignored under pytest 9.2: pytest-xdist#1386.)"""
    if config.getvalue("dist") != "load":
        return None
    from xdist.scheduler import LoadScopeScheduling  # type: ignore[import-untyped]

    class OneWorkerFilesScheduling(LoadScopeScheduling):  # type: ignore[misc]
        def _split_scope(self, nodeid: str) -> str:
            path = nodeid.split("::", 1)[0]
            return path if path in ONE_WORKER_FILES else nodeid

    return OneWorkerFilesScheduling(config, log)


def tool_beside_python(name: str, extra: str = "ci") -> Path:
    """A linter installed with an extra the test command leaves out (a large download): the
    test skips without it, and fails under CI=true, where .ci/run installs the extra."""
    tool = Path(sys.executable).parent / name
    if not tool.exists():
        message = f"{name} is not installed: pip install -e '.[{extra}]' (.ci/run does)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return tool


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def drift_gate_executable() -> str:
    """The `drift-gate` console script of the environment running the tests."""
    beside_python = Path(sys.executable).parent / "drift-gate"
    found = str(beside_python) if beside_python.exists() else shutil.which("drift-gate")
    assert found, "drift-gate is not installed in this environment: pip install -e '.[test]'"
    return found


@dataclass
class CliRun:
    exit_code: int
    stdout: str
    stderr: str


@dataclass
class Cli:
    """Runs the CLI as a user or a CI job would: its arguments, environment and directory.

    In-process by default (`main(argv)` with the environment, working directory and both
    streams swapped for the call): fast, and measured by coverage. `installed=True` runs
    the installed console script as a subprocess instead, for the end-to-end tests where
    the real process is the point (the incident, terraform, the action, the hooks).
    """

    env: dict[str, str]
    cwd: Path
    installed: bool = False

    def run(self, *args: str, extra_env: dict[str, str] | None = None) -> CliRun:
        env = {**self.env, **(extra_env or {})}
        if self.installed:
            completed = subprocess.run(
                [drift_gate_executable(), *args],
                env=env,
                cwd=self.cwd,
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
            return CliRun(completed.returncode, completed.stdout, completed.stderr)
        return _in_process(list(args), env, self.cwd)


def _in_process(args: list[str], env: dict[str, str], cwd: Path) -> CliRun:
    from drift_gate.cli import main

    saved_env, saved_cwd = dict(os.environ), Path.cwd()
    out, err = io.StringIO(), io.StringIO()
    os.environ.clear()
    os.environ.update(env)
    os.chdir(cwd)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(args)
    finally:
        os.chdir(saved_cwd)
        os.environ.clear()
        os.environ.update(saved_env)
    return CliRun(int(code), out.getvalue(), err.getvalue())


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    """The CLI with fake credentials and no endpoint: it can reach no AWS at all."""
    return Cli(fake_aws_environment(tmp_path), tmp_path)


@pytest.fixture
def cli_on_moto(cli: Cli, moto_server: MotoServer) -> Cli:
    """The CLI pointed at the moto server through the standard AWS_ENDPOINT_URL variable."""
    return Cli({**cli.env, "AWS_ENDPOINT_URL": moto_server.endpoint}, cli.cwd, cli.installed)


def installed_cli(tmp_path: Path) -> Cli:
    """The installed console script, as a subprocess. An end-to-end module overrides `cli`
    with it: `cli = pytest.fixture(name="cli")(installed_cli)`."""
    return Cli(fake_aws_environment(tmp_path), tmp_path, installed=True)
