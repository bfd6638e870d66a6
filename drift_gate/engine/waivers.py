"""Waivers: findings a policy accepts until a date, still reported, never blocking.

A waiver that holds marks every finding it matches (reason, owner, days left). One past its
date marks nothing, so what it matched counts again, and is itself an error (DG701). One
that matched nothing is stale (DG702); one expiring within waiver_limits.warn_days is a
warning (DG703), so the nightly scan opens an issue before the gate starts failing.
DG9xx (could not verify) is never waived: the policy schema refuses it and matching skips it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from drift_gate.checks.waivers import check_waiver
from drift_gate.engine.outcome import ServiceResult
from drift_gate.model import Waived
from drift_gate.policy import Policy, WaiverPolicy


def apply_waivers(
    results: Sequence[ServiceResult], policy: Policy | None, today: date
) -> list[ServiceResult]:
    """The results with waived findings marked, and the waivers' own findings added."""
    if policy is None or not policy.waivers:
        return list(results)
    holding = [w for w in policy.waivers if w.expires >= today]
    used: set[int] = set()
    marked: list[ServiceResult] = []
    for result in results:
        findings = []
        for finding in result.findings:
            waiver = next((w for w in holding if w.matches(finding)), None)
            if waiver is not None:
                used.add(id(waiver))
                finding = finding.model_copy(update={"waiver": _waived(waiver, today)})  # noqa: PLW2901
            findings.append(finding)
        marked.append(ServiceResult(result.checked, tuple(findings)))
    warn_days = policy.waiver_limits.warn_days
    own = [check_waiver(w, today, warn_days, id(w) in used) for w in policy.waivers]
    marked.append(ServiceResult(None, tuple(f for f in own if f is not None)))
    return marked


def _waived(waiver: WaiverPolicy, today: date) -> Waived:
    return Waived(
        reason=waiver.reason,
        owner=waiver.owner,
        expires=waiver.expires,
        days_left=(waiver.expires - today).days,
        declared_in=waiver.where,
    )
