"""How each link of a service's chain ended: passed, failed, not checked, could not verify.

A link is passed only when it ran and found nothing blocking. A link that did not run
(secret checks off, no logs declared, an earlier link broken) is NOT_CHECKED with the
reason; one that ran but could not be verified is COULD_NOT_VERIFY. Which rules break a
link is the rules' own `link` field (rules.py). Every report format shows these states;
none draws an unchecked link as ok.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from drift_gate.chain import SERVICE_CHAIN, Link
from drift_gate.model import Finding, LinkResult, LinkState, Severity
from drift_gate.rules import rule_ids

# Rules that mean "ran, but could not verify" though they are warnings by choice.
_UNVERIFIED_WARNINGS = frozenset({"DG306", "DG310"})


def chain_results(
    findings: Sequence[Finding],
    *,
    not_checked: Mapping[Link, str],
    unverified: Mapping[Link, str],
) -> tuple[LinkResult, ...]:
    """Each link's state, in chain order. `not_checked`/`unverified` map links to why."""
    results: list[LinkResult] = []
    stop: str | None = None  # once a link breaks the chain, later links cannot hold
    for link in SERVICE_CHAIN:
        if stop is not None:
            results.append(LinkResult(link=link.words, state=LinkState.NOT_CHECKED, reason=stop))
            continue
        result = _one(link, findings, not_checked, unverified)
        results.append(result)
        if link is Link.SERVICE_EXISTS and result.state is not LinkState.PASSED:
            stop = (
                "the service could not be read"
                if result.state is LinkState.COULD_NOT_VERIFY
                else "the service does not exist"
            )
        elif link is Link.DEPLOYED and result.state is LinkState.COULD_NOT_VERIFY:
            stop = "the task definition it runs could not be read"
    return tuple(results)


_BEST_EFFORT = {
    Link.SECRET_STORES: "secret_checks is best-effort and a secret could not be checked",
    Link.EXECUTION_ROLE: "the execution-role check is best-effort and an access was not decided",
}


def _one(
    link: Link,
    findings: Sequence[Finding],
    not_checked: Mapping[Link, str],
    unverified: Mapping[Link, str],
) -> LinkResult:
    if link in unverified:
        return LinkResult(
            link=link.words, state=LinkState.COULD_NOT_VERIFY, reason=unverified[link]
        )
    if link in not_checked:
        return LinkResult(link=link.words, state=LinkState.NOT_CHECKED, reason=not_checked[link])
    hits = [f for f in findings if f.rule_id in rule_ids(link)]
    if any(f.rule_id in _UNVERIFIED_WARNINGS for f in hits):
        return LinkResult(
            link=link.words,
            state=LinkState.COULD_NOT_VERIFY,
            reason=_BEST_EFFORT[link],
        )
    if any(f.severity in (Severity.ERROR, Severity.WARNING) for f in hits):
        return LinkResult(link=link.words, state=LinkState.FAILED)
    return LinkResult(link=link.words, state=LinkState.PASSED)
