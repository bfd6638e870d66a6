"""The chain of links drift-gate verifies for each service, and how each one ended.

A link is passed only when it ran and found nothing blocking. A link that did not run
(secret checks off, no logs declared, an earlier link broken) is NOT_CHECKED with the
reason; one that ran but could not be verified is COULD_NOT_VERIFY. Every report format
shows these states; none draws an unchecked link as ok.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from drift_gate.model import Finding, LinkResult, LinkState, Severity


@dataclass(frozen=True)
class Link:
    """One link of a service's chain and the rules that break it."""

    key: str
    name: str
    rule_ids: frozenset[str]


SERVICE_EXISTS = "service"
DEPLOYED = "deployed"
ROLLOUT = "rollout"
CONTAINERS = "containers"
CREDENTIALS = "credentials"
SECRET_STORES = "secret-stores"  # noqa: S105 - a link name
APPLICATION_LOG = "application-log"

SERVICE_CHAIN = (
    Link(SERVICE_EXISTS, "service exists", frozenset({"DG205", "DG206"})),
    Link(DEPLOYED, "latest revision deployed", frozenset({"DG201"})),
    Link(ROLLOUT, "rollout settled", frozenset({"DG202", "DG203", "DG204"})),
    Link(
        CONTAINERS,
        "containers get declared names",
        frozenset({"DG101", "DG102", "DG103", "DG104", "DG207"}),
    ),
    Link(CREDENTIALS, "no credentials in plain env", frozenset({"DG105", "DG106"})),
    Link(
        SECRET_STORES,
        "secrets exist",
        frozenset({"DG301", "DG302", "DG303", "DG304", "DG305", "DG306"}),
    ),
    Link(APPLICATION_LOG, "application log clean", frozenset({"DG401", "DG402"})),
)
# Rules that mean "ran, but could not verify" though they are warnings by choice.
_UNVERIFIED_WARNINGS = frozenset({"DG306"})


def chain_results(
    findings: Sequence[Finding],
    *,
    not_checked: Mapping[str, str],
    unverified: Mapping[str, str],
) -> tuple[LinkResult, ...]:
    """Each link's state, in chain order. `not_checked`/`unverified` map link keys to why."""
    results: list[LinkResult] = []
    stop: str | None = None  # once a link breaks the chain, later links cannot hold
    for link in SERVICE_CHAIN:
        if stop is not None:
            results.append(LinkResult(link=link.name, state=LinkState.NOT_CHECKED, reason=stop))
            continue
        result = _one(link, findings, not_checked, unverified)
        results.append(result)
        if link.key == SERVICE_EXISTS and result.state is not LinkState.PASSED:
            stop = (
                "the service could not be read"
                if result.state is LinkState.COULD_NOT_VERIFY
                else "the service does not exist"
            )
        elif link.key == DEPLOYED and result.state is LinkState.COULD_NOT_VERIFY:
            stop = "the task definition it runs could not be read"
    return tuple(results)


def _one(
    link: Link,
    findings: Sequence[Finding],
    not_checked: Mapping[str, str],
    unverified: Mapping[str, str],
) -> LinkResult:
    if link.key in unverified:
        return LinkResult(
            link=link.name, state=LinkState.COULD_NOT_VERIFY, reason=unverified[link.key]
        )
    if link.key in not_checked:
        return LinkResult(link=link.name, state=LinkState.NOT_CHECKED, reason=not_checked[link.key])
    hits = [f for f in findings if f.rule_id in link.rule_ids]
    if any(f.rule_id in _UNVERIFIED_WARNINGS for f in hits):
        return LinkResult(
            link=link.name,
            state=LinkState.COULD_NOT_VERIFY,
            reason="secret_checks is best-effort and a secret could not be checked",
        )
    if any(f.severity in (Severity.ERROR, Severity.WARNING) for f in hits):
        return LinkResult(link=link.name, state=LinkState.FAILED)
    return LinkResult(link=link.name, state=LinkState.PASSED)
