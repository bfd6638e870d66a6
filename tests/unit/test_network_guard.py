"""Tests can never reach the network beyond loopback: not in-process, not in the CLIs they start."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import fake_aws_environment


def test_a_public_address_is_refused_in_process() -> None:
    with socket.socket() as client, pytest.raises(OSError, match="network blocked in tests"):
        client.connect(("192.0.2.1", 443))
    with pytest.raises(socket.gaierror, match="network blocked"):
        socket.getaddrinfo("ecs.us-east-1.amazonaws.com", 443)


def test_loopback_still_works() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        with socket.create_connection(server.getsockname(), timeout=1):
            pass


def test_processes_started_with_the_test_environment_are_blocked_too(tmp_path: Path) -> None:
    probe = "import socket; socket.getaddrinfo('sts.amazonaws.com', 443)"
    completed = subprocess.run(
        [sys.executable, "-c", probe],
        env=fake_aws_environment(tmp_path),
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode != 0
    assert "network blocked in tests" in completed.stderr
