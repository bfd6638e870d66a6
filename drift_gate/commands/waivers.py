"""`drift-gate waivers`: each waiver of a policy, with the days it has left."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from drift_gate.commands._console import echo
from drift_gate.errors import ExitCode


def run(policy_path: Path, within: int | None, today: date | None = None) -> int:
    """One line per waiver, soonest first; exit 1 when one has expired (it fails the gate)."""
    from drift_gate.policy import load_policy

    policy = load_policy(policy_path)
    today = today or date.today()
    warn_days = policy.waiver_limits.warn_days if within is None else within
    if not policy.waivers:
        echo(f"{policy_path}: no waivers")
        return int(ExitCode.PASS)
    expired = 0
    for waiver in sorted(policy.waivers, key=lambda w: (w.expires, w.where or "")):
        left = (waiver.expires - today).days
        if left < 0:
            state, expired = f"EXPIRED {-left} day(s) ago", expired + 1
        elif left <= warn_days:
            state = f"expires soon: {left} day(s) left"
        else:
            state = f"{left} day(s) left"
        owner = f" · owner {waiver.owner}" if waiver.owner else ""
        echo(f"{waiver.expires}  {state:<28} {waiver.words()}{owner} · {waiver.where}")
        echo(f"            reason: {waiver.reason}")
    if expired:
        echo(f"drift-gate: {expired} waiver(s) expired: the gate fails on them (DG701)", err=True)
        return int(ExitCode.DRIFT)
    return int(ExitCode.PASS)
