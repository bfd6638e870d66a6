"""Scan progress: drawn in place on a terminal (a pseudo-terminal here), absent when redirected."""

from __future__ import annotations

import os
import pty
import subprocess
from pathlib import Path

import pytest

from tests.conftest import REPO, MotoServer, drift_gate_executable, fake_aws_environment
from tests.e2e.test_scan import fleet

pytestmark = pytest.mark.e2e

pytest.importorskip("pty")


def test_progress_is_drawn_on_a_terminal_and_not_in_redirected_output(
    moto_server: MotoServer, tmp_path: Path
) -> None:
    account = fleet(moto_server)
    for index in range(3):
        account.service("web", f"web-{index}")
    env = {**fake_aws_environment(tmp_path), "AWS_ENDPOINT_URL": moto_server.endpoint}
    command = [drift_gate_executable(), "scan", "--region", "us-east-1"]

    controller, terminal = pty.openpty()
    with subprocess.Popen(
        command, env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=terminal, text=True
    ) as process:
        os.close(terminal)
        drawn = _read_all(controller)
        stdout = process.stdout.read() if process.stdout else ""
        assert process.wait(timeout=60) == 0
    os.close(controller)

    assert "\r\x1b[Kdrift-gate scan: " in drawn  # redrawn in place
    assert drawn.endswith("\r\x1b[K")  # the bar erased before the run ends
    assert "drift-gate scan:" not in stdout  # the report's stream never carries it
    assert stdout.startswith("PASS: 3 service(s) run what is declared")

    redirected = subprocess.run(
        command, env=env, cwd=REPO, capture_output=True, text=True, timeout=60, check=False
    )
    assert redirected.returncode == 0
    assert "drift-gate scan:" not in redirected.stderr + redirected.stdout  # under 10 s: no line
    assert "\r" not in redirected.stderr

    quiet_controller, quiet_terminal = pty.openpty()
    with subprocess.Popen(
        [*command, "--quiet"], env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=quiet_terminal
    ) as process:
        os.close(quiet_terminal)
        quiet = _read_all(quiet_controller)
        assert process.wait(timeout=60) == 0
    os.close(quiet_controller)
    assert "drift-gate scan:" not in quiet


def _read_all(fd: int) -> str:
    chunks = []
    while True:
        try:
            data = os.read(fd, 4096)
        except OSError:  # EIO: the other end closed
            break
        if not data:
            break
        chunks.append(data)
    return b"".join(chunks).decode("utf-8", "replace")


def test_plain_progress_lines_and_the_estimate() -> None:
    import io

    from drift_gate.commands.progress import ProgressDisplay, ProgressFigures, progress_line

    figures = ProgressFigures(
        clusters=20, services=1000, lookups_done=500, lookups_known=1500, aws_calls=520
    )
    assert progress_line(figures, 10.0) == (
        "drift-gate scan: 20 clusters, 1,000 services · lookups 500/1,500 · 520 AWS calls · 10 s"
        " · about 20 s left"
    )
    log = io.StringIO()
    display = ProgressDisplay.on(log)
    assert display.terminal is False
    display.show(figures)
    assert log.getvalue() == ""  # not at 0 s
    display.started -= 11
    display._last -= 11
    display.show(figures)
    assert log.getvalue().count("\n") == 1
    assert "\r" not in log.getvalue()
