"""`drift-gate demo --serve`: a new user tries the check by hand against the emulated account:
it fails, the fix it prints is run, and it passes (moto made to roll out as ECS does)."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from tests.conftest import drift_gate_executable, fake_aws_environment

pytestmark = pytest.mark.e2e


def read_until(process: subprocess.Popen[str], marker: str, seconds: float) -> list[str]:
    """Lines of the process's stdout up to the one holding `marker`; bounded in time."""
    lines: list[str] = []
    done = threading.Event()

    def reader() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line.rstrip("\n"))
            if marker in line:
                done.set()
                return

    threading.Thread(target=reader, daemon=True).start()
    assert done.wait(seconds), "\n".join(lines)
    return lines


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[list[str], dict[str, str], Path]]:
    env = fake_aws_environment(tmp_path)
    process = subprocess.Popen(
        [drift_gate_executable(), "demo", "--serve"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        lines = read_until(process, "stops it; nothing is kept", seconds=120)
        exports = {}
        for line in lines:
            export = re.fullmatch(r"\s*export (\w+)=(\S+)", line)
            if export:
                exports[export.group(1)] = export.group(2)
        yield lines, {**env, **exports}, tmp_path
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            code = process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
    assert code == 0, process.stderr.read() if process.stderr else ""


def check(env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [drift_gate_executable(), "check", "--policy", "drift-gate-demo.yaml"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_check_fails_the_printed_fix_is_run_and_the_check_passes(
    served: tuple[list[str], dict[str, str], Path],
) -> None:
    lines, env, cwd = served
    endpoint = env["AWS_ENDPOINT_URL"]
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", endpoint)
    assert {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION"} <= set(env)

    before = check(env, cwd)
    assert before.returncode == 1, before.stderr
    assert "DG201" in before.stdout
    assert "HUGGINGFACE_API_KEY" in before.stdout
    # The fix the report prints is the one the instructions show.
    fix = re.search(r"`(aws ecs update-service [^`]*?) --region us-east-1`", before.stdout)
    assert fix is not None
    shown = " ".join(" ".join(lines).replace("\\", " ").split())
    assert " ".join(fix.group(1).split()) in shown

    # What `aws ecs update-service ... --force-new-deployment` sends, through boto3.
    ecs = boto3.client(
        "ecs",
        region_name="us-east-1",
        endpoint_url=endpoint,
        aws_access_key_id="demo",
        aws_secret_access_key="demo",
    )
    ecs.update_service(
        cluster="hokusai-development",
        service="hokusai-api-development",
        taskDefinition="hokusai-api-development",
        forceNewDeployment=True,
    )
    deadline = time.monotonic() + 30
    after = check(env, cwd)
    while after.returncode != 0 and time.monotonic() < deadline:
        after = check(env, cwd)  # the rollout completes at once; this only bounds a slow machine
    assert after.returncode == 0, after.stdout + after.stderr
    assert after.stdout.startswith("PASS")


def run(env: dict[str, str], cwd: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [drift_gate_executable(), *arguments],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_saved_hook_and_event_payloads_answer_as_the_instructions_say(
    served: tuple[list[str], dict[str, str], Path],
) -> None:
    """The try-out of the deployment hook and the event re-check without AWS: the printed
    commands, on the payloads written beside the policy."""
    lines, env, cwd = served
    shown = "\n".join(lines)
    policy = cwd / "drift-gate-demo.yaml"
    hook = ("lifecycle-hook", "--event", str(cwd / "hook-event.json"), "--policy", str(policy))
    event = ("on-event", "--event", str(cwd / "task-event.json"), "--policy", str(policy))
    assert f"drift-gate {' '.join(hook)}" in shown
    assert f"drift-gate {' '.join(event)}" in shown

    stopped = run(env, cwd, *hook)
    assert stopped.returncode == 1, stopped.stderr
    answer = json.loads(stopped.stdout)
    assert answer["hookStatus"] == "FAILED"
    assert "DG101 api HUGGINGFACE_API_KEY" in answer["hookDetails"]["findings"]

    before = run(env, cwd, *event)
    assert before.returncode == 1, before.stdout + before.stderr

    boto3.client(
        "ecs",
        region_name="us-east-1",
        endpoint_url=env["AWS_ENDPOINT_URL"],
        aws_access_key_id="demo",
        aws_secret_access_key="demo",
    ).update_service(
        cluster="hokusai-development",
        service="hokusai-api-development",
        taskDefinition="hokusai-api-development",
        forceNewDeployment=True,
    )
    deadline = time.monotonic() + 30
    after = run(env, cwd, *event)
    while after.returncode != 0 and time.monotonic() < deadline:
        after = run(env, cwd, *event)  # the rollout completes at once; this bounds a slow machine
    assert after.returncode == 0, after.stdout + after.stderr


def test_a_port_in_use_is_one_line_exit_2(tmp_path: Path) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        completed = subprocess.run(
            [drift_gate_executable(), "demo", "--serve", str(port)],
            cwd=tmp_path,
            env={**os.environ, **fake_aws_environment(tmp_path)},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert completed.returncode == 2, completed.stderr
    assert f"demo --serve {port}: cannot listen on 127.0.0.1:{port}" in completed.stderr
    assert "Traceback" not in completed.stderr


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])
def test_ctrl_c_or_sigterm_stops_it_even_when_started_with_sigint_ignored(
    tmp_path: Path, stop: signal.Signals
) -> None:
    # A background job of a script starts with SIGINT ignored; a container stops with SIGTERM.
    process = subprocess.Popen(
        [drift_gate_executable(), "demo", "--serve"],
        cwd=tmp_path,
        env=fake_aws_environment(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),  # noqa: PLW1509
    )
    try:
        read_until(process, "stops it; nothing is kept", seconds=120)
        process.send_signal(stop)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.stdout is not None
    assert "drift-gate demo: stopped" in process.stdout.read()
