"""CloudWatch metrics after a run, so an alarm can watch the nightly scan.

Per service: Findings by Severity (Environment, Service, Severity dimensions). For the whole
run: Findings by Severity, CouldNotVerify and ServicesChecked. Zeros are published too, so
an alarm sees "no drift" as data and a missing scan as missing data.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from drift_gate.model import Report, Severity
from drift_gate.sources.answers import AcknowledgedAnswer, read_answer

PER_CALL = 150  # well under PutMetricData's 1,000 values a request


def metric_data(report: Report) -> list[dict[str, Any]]:
    """The values to publish for a report."""
    data: list[dict[str, Any]] = []
    per_service: Counter[tuple[str, str, Severity]] = Counter(
        (f.target.environment, f.target.service or f.target.resource or "", f.severity)
        for f in report.findings
    )
    services = {(s.environment, s.service) for s in report.services}
    for environment, service in sorted(services):
        for severity in Severity:
            data.append(
                _datum(
                    "Findings",
                    per_service[(environment, service, severity)],
                    Environment=environment,
                    Service=service,
                    Severity=severity.value,
                )
            )
    for severity in Severity:
        data.append(
            _datum("Findings", report.stats.findings_by_severity[severity], Severity=severity.value)
        )
    data.append(_datum("CouldNotVerify", sum(1 for f in report.findings if f.is_unverified)))
    data.append(_datum("ServicesChecked", len(report.services)))
    return data


def _datum(name: str, value: int, **dimensions: str) -> dict[str, Any]:
    return {
        "MetricName": name,
        "Dimensions": [{"Name": key, "Value": value} for key, value in dimensions.items()],
        "Value": float(value),
        "Unit": "Count",
    }


def publish(report: Report, namespace: str, client: Any) -> int:
    """PutMetricData in batches; the number of values sent."""
    data = metric_data(report)
    for start in range(0, len(data), PER_CALL):
        answer = client.put_metric_data(
            Namespace=namespace, MetricData=data[start : start + PER_CALL]
        )
        # The success answer has no body: AWS's request id is the only sign it was received.
        read_answer(AcknowledgedAnswer, answer, "cloudwatch:PutMetricData")
    return len(data)
