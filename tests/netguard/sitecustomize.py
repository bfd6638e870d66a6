"""Block every network address but loopback, in the test process and in the CLIs it starts.

pytest imports this through conftest.py; subprocesses get it as `sitecustomize` through
PYTHONPATH (see conftest.fake_aws_environment), so an installed `drift-gate` started by a
test can never reach AWS or anything else either. A blocked attempt raises OSError, which
boto treats as an unreachable endpoint, so the code under test sees an ordinary network
failure and the test fails on its assertions if it expected a connection.
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Any

_LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})


class NetworkBlockedError(OSError):
    """A test tried to reach an address that is not loopback."""


def _is_loopback(host: object) -> bool:
    if not isinstance(host, str):
        return False
    if host in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


def _guarded_connect(original: Any) -> Any:
    def connect(self: socket.socket, address: Any) -> Any:
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address[0]):
            raise NetworkBlockedError(f"network blocked in tests: {address[0]}")
        return original(self, address)

    return connect


def _guarded_getaddrinfo(original: Any) -> Any:
    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host is not None and not _is_loopback(
            host.decode() if isinstance(host, bytes) else host
        ):
            raise socket.gaierror(socket.EAI_NONAME, f"network blocked in tests: {host}")
        return original(host, *args, **kwargs)

    return getaddrinfo


def install() -> None:
    """Patch socket once; loopback still works (moto in server mode, the fault proxy)."""
    if getattr(socket, "_drift_gate_network_blocked", False):
        return
    socket.socket.connect = _guarded_connect(socket.socket.connect)  # type: ignore[method-assign]
    socket.socket.connect_ex = _guarded_connect(socket.socket.connect_ex)  # type: ignore[method-assign]
    socket.getaddrinfo = _guarded_getaddrinfo(socket.getaddrinfo)
    socket._drift_gate_network_blocked = True  # type: ignore[attr-defined]


install()
