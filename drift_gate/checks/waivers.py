"""DG701-DG703: is each waiver of the policy current? One past its date is an error (what it
accepted counts again), one that matched nothing is stale, one expiring soon is a warning."""

from __future__ import annotations

from datetime import date

from drift_gate.checks.findings import ServiceContext
from drift_gate.model import Finding, Target
from drift_gate.policy import WaiverPolicy

WAIVERS_TARGET = Target(environment="policy")


def check_waiver(waiver: WaiverPolicy, today: date, warn_days: int, used: bool) -> Finding | None:
    """The waiver's own finding, if any; `used`: it matched a finding of this run."""
    context = ServiceContext(WAIVERS_TARGET)
    owner = f", owner {waiver.owner}" if waiver.owner else ""
    if waiver.expires < today:
        message = (
            f"the waiver for {waiver.words()} expired on {waiver.expires}{owner} "
            f"(reason: {waiver.reason}): what it accepted counts again"
        )
        return context.finding("DG701", message, where=waiver.where)
    if not used:
        message = (
            f"the waiver for {waiver.words()} matched no finding{owner}: remove it if the "
            "drift is fixed"
        )
        return context.finding("DG702", message, where=waiver.where)
    days_left = (waiver.expires - today).days
    if days_left <= warn_days:
        message = (
            f"the waiver for {waiver.words()} expires on {waiver.expires} ({days_left} day(s) "
            f"left{owner}); then the finding fails the gate again"
        )
        return context.finding("DG703", message, where=waiver.where)
    return None
