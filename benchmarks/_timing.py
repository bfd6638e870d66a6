"""Alternated timing of whole processes, shared by the benchmarks.

Each round runs every command once, in turn, so a slow spell of the machine hits all of
them alike; ratios are taken round by round and reported as a median and a spread.
"""

from __future__ import annotations

import logging
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Command:
    argv: list[str]
    expected_exit: int = 0
    env: dict[str, str] | None = None
    cwd: Path | None = None


def as_installed(env: dict[str, str] | None = None) -> dict[str, str]:
    """The environment a measured command runs in: bytecode written and read, as a package
    installed by pip has it (pip compiles at install). Without this, a shell that sets
    PYTHONDONTWRITEBYTECODE makes every run of drift-gate (an editable install here) compile
    its own modules again, a cost no user pays; the untimed first round writes the caches."""
    return {
        name: value
        for name, value in (os.environ if env is None else env).items()
        if name != "PYTHONDONTWRITEBYTECODE"
    }


def before_env(directory: str, env: dict[str, str] | None = None) -> dict[str, str]:
    """The environment that runs another checkout's drift_gate (--before DIR, where DIR holds
    `git archive COMMIT drift_gate | tar -x -C DIR`): measured in the same run, alternated."""
    return {**(os.environ if env is None else env), "PYTHONPATH": directory}


def run_once(command: Command) -> float:
    return run_timed(command)[0]


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_timed(command: Command) -> tuple[float, float]:
    """Wall seconds and the process's own CPU seconds (user + sys) of one run.

    The CPU time is the rise of RUSAGE_CHILDREN over the run: only this child is waited for
    in it, and a moto server in this process (a thread) is counted in RUSAGE_SELF, not here."""
    cpu_before = _children_cpu()
    started = time.perf_counter()
    completed = subprocess.run(
        command.argv,
        env=as_installed(command.env),
        cwd=command.cwd,
        capture_output=True,
        check=False,
    )
    elapsed = time.perf_counter() - started
    cpu = _children_cpu() - cpu_before
    if completed.returncode != command.expected_exit:
        sys.exit(
            f"{command.argv[:3]} exited {completed.returncode}, expected "
            f"{command.expected_exit}:\n{completed.stderr.decode(errors='replace')[-2000:]}"
        )
    return elapsed, cpu


def alternate(commands: dict[str, Command], runs: int) -> dict[str, list[float]]:
    """Seconds of each command per round, after one untimed round (warms the file cache)."""
    for command in commands.values():
        run_once(command)
    timings: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, command in commands.items():
            timings[name].append(run_once(command))
    return timings


def alternate_cpu(
    commands: dict[str, Command], runs: int
) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """As `alternate`, with each run's own CPU seconds too: (wall, cpu) by command."""
    for command in commands.values():
        run_once(command)
    wall: dict[str, list[float]] = {name: [] for name in commands}
    cpu: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, command in commands.items():
            elapsed, used = run_timed(command)
            wall[name].append(elapsed)
            cpu[name].append(used)
    return wall, cpu


def median_ms(seconds: list[float]) -> str:
    return f"{statistics.median(seconds) * 1000:.0f} ms"


def ratio(numerator: list[float], denominator: list[float], target: float | None = None) -> str:
    """`median M, spread A-B` of the per-round ratios (and the target when there is one)."""
    ratios = sorted(n / d for n, d in zip(numerator, denominator, strict=True))
    text = f"median {statistics.median(ratios):.2f}, spread {ratios[0]:.2f}-{ratios[-1]:.2f}"
    return text + (f" (target <= {target})" if target is not None else "")


# Runs the command from a small process and reports its wall time, max RSS and exit code:
# ru_maxrss of a child forked straight from this (large) benchmark process would count the
# memory of the benchmark itself.
LAUNCHER = """
import resource, subprocess, sys, time
started = time.perf_counter()
code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode
elapsed = time.perf_counter() - started
print(elapsed, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, code)
"""


def measure(command: list[str], env: dict[str, str], allowed: tuple[int, ...]) -> tuple[float, int]:
    """Wall seconds and max RSS (KiB) of one whole process."""
    completed = subprocess.run(
        [sys.executable, "-c", LAUNCHER, *command],
        env=as_installed(env),
        capture_output=True,
        text=True,
        check=True,
    )
    elapsed, rss, code = completed.stdout.split()
    if int(code) not in allowed:
        sys.exit(f"{command[0]} exited {code}, expected {allowed}:\n{completed.stderr[-2000:]}")
    return float(elapsed), int(rss)


def add_latency(seconds: float) -> None:
    """Delay every request the moto server answers (it serves each request on its own thread)."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    answer = DomainDispatcherApplication.__call__

    def delayed(self: Any, environ: Any, start_response: Any) -> Any:
        time.sleep(seconds)
        return answer(self, environ, start_response)

    DomainDispatcherApplication.__call__ = delayed  # type: ignore[method-assign]


@contextmanager
def moto_on_loopback(region: str) -> Iterator[tuple[str, dict[str, str]]]:
    """moto in server mode on 127.0.0.1, obviously fake credentials in this process (for its
    own set-up calls), and the environment the measured commands get: (endpoint, env)."""
    from moto.server import ThreadedMotoServer

    from drift_gate import _moto_compat

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # a log line per request skews timing
    _moto_compat.enable_policy_simulator()  # moto has none; the execution-role link asks it
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        fake = {
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_DEFAULT_REGION": region,
            "AWS_EC2_METADATA_DISABLED": "true",
        }
        os.environ.update(fake)
        yield endpoint, {**os.environ, **fake, "AWS_ENDPOINT_URL": endpoint}
    finally:
        server.stop()
