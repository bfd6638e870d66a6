"""The smoke requests: does the application answer as declared (DG411-DG412)? Sent last,
and only to a service known to run what is declared."""

from __future__ import annotations

import ssl
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from drift_gate.checks.smoke import (
    check_answer,
    request_context,
    request_unverified,
    runs_what_is_declared,
)
from drift_gate.deadline import Deadline
from drift_gate.engine.service_run import LinkOutcome, ServiceRun, outcome_of
from drift_gate.model import Finding, LinkState, SmokeResult
from drift_gate.policy import SmokeRequest
from drift_gate.sources.smoke import SmokeAnswer, SmokeUnreachable, send, shown_url

NO_SMOKE = "no smoke requests declared"


def check_smoke_requests(
    runs: Sequence[ServiceRun],
    tls: ssl.SSLContext,
    workers: int = 8,
    deadline: Deadline | None = None,
) -> list[LinkOutcome]:
    """Each declared request, concurrently (bounded), for the services that run what is
    declared; the others' link says why it was not checked. Each request is its own result,
    told apart by where it is declared: two requests to the same URL are two results."""
    eligible = {
        index: run
        for index, run in enumerate(runs)
        if run.service.smoke and runs_what_is_declared(run.findings)
    }
    jobs = [
        (index, _declared(request, number))
        for index, run in eligible.items()
        for number, request in enumerate(run.service.smoke, start=1)
    ]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        answers = list(pool.map(lambda job: send(job[1], tls, deadline), jobs))
    found: dict[int, list[Finding]] = {index: [] for index in eligible}
    for (index, request), answer in zip(jobs, answers, strict=True):
        findings = _smoke_findings(runs[index], request, answer)
        found[index].extend(findings)
        runs[index].smoke.append(_smoke_result(request, answer, findings))
    outcomes = []
    for index, run in enumerate(runs):
        if not run.service.smoke:
            outcomes.append(LinkOutcome(not_checked=NO_SMOKE))
        elif index not in eligible:
            outcomes.append(
                LinkOutcome(not_checked="the service drifted: it does not run what is declared")
            )
        else:
            outcomes.append(outcome_of(found[index]))
    return outcomes


def _declared(request: SmokeRequest, number: int) -> SmokeRequest:
    """The request with where it is declared: its file:line, or its place in the list when
    it was built without a file (the library): the key of its findings and result."""
    if request.where:
        return request
    return request.model_copy(update={"where": f"smoke request {number}"})


def _smoke_result(
    request: SmokeRequest, answer: SmokeAnswer | SmokeUnreachable, findings: list[Finding]
) -> SmokeResult:
    if isinstance(answer, SmokeUnreachable):
        outcome = LinkState.COULD_NOT_VERIFY
    else:
        outcome = LinkState.FAILED if findings else LinkState.PASSED
    return SmokeResult(
        request=f"{request.method} {shown_url(request.url)}",
        status=answer.status if isinstance(answer, SmokeAnswer) else None,
        outcome=outcome,
        declared_in=request.where,
    )


def _smoke_findings(
    run: ServiceRun, request: SmokeRequest, answer: SmokeAnswer | SmokeUnreachable
) -> list[Finding]:
    asked = f"{request.method} {shown_url(request.url)}"
    context = request_context(run.context(), asked)
    if isinstance(answer, SmokeUnreachable):
        return [request_unverified(context, request, asked, answer.reason, answer.cause)]
    return check_answer(context, request, asked, answer.status, answer.found)
