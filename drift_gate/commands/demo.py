"""`drift-gate demo`: the incident, replayed against an emulated AWS account (moto)."""

from __future__ import annotations

import sys
from pathlib import Path

from drift_gate.commands._console import echo, use_color


def run() -> int:
    from drift_gate.demo import run_demo

    return run_demo(echo, color=use_color(is_terminal=sys.stdout.isatty()))


def serve(port: int) -> int:
    from drift_gate.demo_serve import serve as serve_account

    return serve_account(echo, port, Path.cwd())
