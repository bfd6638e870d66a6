"""JUnit XML: one testsuite per environment, one testcase per checked link.

Each service has a testcase for its service-level links (exists, latest revision deployed,
rollout) and one per declared container; the Terraform plan is a suite of its own.
Blocking findings are <failure>s, could-not-verify findings <error>s, the rest go to
<system-out> so a passing run stays green in CI.
"""

from __future__ import annotations

from collections import OrderedDict
from xml.etree import ElementTree as ET

from drift_gate.model import Finding, LinkState, Report, SmokeResult
from drift_gate.report.base import RenderOptions, Reporter
from drift_gate.report.common import groups, unchecked_lines, waiver_text, where_text


class JunitReporter(Reporter):
    name = "junit"
    description = "JUnit XML (one testsuite per environment, one testcase per checked link)"

    def render(self, report: Report, options: RenderOptions) -> str:
        suites: OrderedDict[str, list[ET.Element]] = OrderedDict()
        for group in groups(report):
            if group.service is None:
                cases = _plan_cases(group.findings, report)
                suites.setdefault("terraform plan", []).extend(cases)
                continue
            service = group.service
            classname = f"{service.environment}.{service.cluster}.{service.service}"
            service_level = [f for f in group.findings if f.target.container is None]
            cases = [_case(classname, "service", service_level, report)]
            for container in service.containers:
                in_container = [f for f in group.findings if f.target.container == container]
                cases.append(_case(classname, f"container {container}", in_container, report))
            others = sorted(
                {f.target.container for f in group.findings if f.target.container}
                - set(service.containers)
            )
            for container in others:  # credentials found in containers the policy does not declare
                in_container = [f for f in group.findings if f.target.container == container]
                cases.append(_case(classname, f"container {container}", in_container, report))
            cases.extend(_smoke_case(classname, result) for result in service.smoke)
            if service.verified:  # an unverified service already has its error case
                cases.extend(_skipped(classname, line) for line in unchecked_lines(service))
            suites.setdefault(service.environment, []).extend(cases)
        root = ET.Element("testsuites", name="drift-gate")
        for name, cases in suites.items():
            root.append(_suite(name, cases, report))
        suites_written = root.findall("testsuite")
        _set_counts(
            root,
            tests=sum(int(suite.get("tests", "0")) for suite in suites_written),
            failures=sum(int(suite.get("failures", "0")) for suite in suites_written),
            errors=sum(int(suite.get("errors", "0")) for suite in suites_written),
            skipped=sum(int(suite.get("skipped", "0")) for suite in suites_written),
        )
        ET.indent(root)
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            + ET.tostring(root, encoding="unicode")
            + "\n"
        )


def _plan_cases(findings: tuple[Finding, ...], report: Report) -> list[ET.Element]:
    by_resource: OrderedDict[str, list[Finding]] = OrderedDict()
    for finding in findings:
        by_resource.setdefault(finding.target.resource or "plan", []).append(finding)
    if not by_resource:
        return [_case("terraform", "plan", [], report)]
    return [_case("terraform", resource, items, report) for resource, items in by_resource.items()]


def _case(classname: str, name: str, findings: list[Finding], report: Report) -> ET.Element:
    case = ET.Element("testcase", classname=classname, name=name, time="0")
    unverified = [f for f in findings if f.is_unverified]
    waived = [f for f in findings if f.waiver is not None and not f.is_unverified]
    blocking = [
        f
        for f in findings
        if not f.is_unverified and f.waiver is None and report.fail_on.blocks(f.severity)
    ]
    other = [f for f in findings if f not in unverified and f not in blocking]
    if waived and not unverified and not blocking:
        # Accepted drift: skipped, with the waiver's terms, never a pass nor a failure.
        ET.SubElement(case, "skipped", message=f"{_summary(waived)} [{waiver_text(waived[0])}]")
    if unverified:
        element = ET.SubElement(
            case, "error", type=unverified[0].rule_id, message=_summary(unverified)
        )
        element.text = _details(unverified)
    elif blocking:
        element = ET.SubElement(
            case, "failure", type=blocking[0].rule_id, message=_summary(blocking)
        )
        element.text = _details(blocking)
    if other:
        ET.SubElement(case, "system-out").text = _details(other)
    return case


def _smoke_case(classname: str, result: SmokeResult) -> ET.Element:
    """One smoke request: passed, a failure, or an error when there was no answer."""
    case = ET.Element("testcase", classname=classname, name=f"smoke {result.request}", time="0")
    status = str(result.status) if result.status is not None else "no answer"
    if result.outcome is LinkState.FAILED:
        ET.SubElement(case, "failure", type="smoke", message=f"answered {status}")
    elif result.outcome is LinkState.COULD_NOT_VERIFY:
        ET.SubElement(case, "error", type="DG901", message="no answer")
    return case


def _skipped(classname: str, line: str) -> ET.Element:
    """A link that did not run: a skipped case, never a passed one."""
    name, _, why = line.partition(": ")
    case = ET.Element("testcase", classname=classname, name=f"link {name}", time="0")
    ET.SubElement(case, "skipped", message=why)
    return case


def _summary(findings: list[Finding]) -> str:
    first = findings[0]
    more = f" (+{len(findings) - 1} more)" if len(findings) > 1 else ""
    return f"{first.rule_id} {first.rule_name}: {first.message}{more}"


def _details(findings: list[Finding]) -> str:
    lines = []
    for finding in findings:
        where = where_text(finding)
        lines.append(
            f"[{finding.severity.value}] {finding.rule_id} {finding.rule_name} {where}".rstrip()
        )
        lines.append(f"  {finding.message}")
        if finding.declared_in:
            lines.append(f"  declared at {finding.declared_in}")
        if finding.waiver is not None:
            lines.append(f"  {waiver_text(finding)}")
        else:
            lines.append(f"  fix: {finding.remediation}")
    return "\n".join(lines)


def _suite(name: str, cases: list[ET.Element], report: Report) -> ET.Element:
    suite = ET.Element(
        "testsuite", name=name, timestamp=report.started_at.isoformat(), hostname="drift-gate"
    )
    suite.extend(cases)
    _set_counts(
        suite,
        tests=len(cases),
        failures=sum(1 for case in cases if case.find("failure") is not None),
        errors=sum(1 for case in cases if case.find("error") is not None),
        skipped=sum(1 for case in cases if case.find("skipped") is not None),
    )
    return suite


def _set_counts(
    element: ET.Element, *, tests: int, failures: int, errors: int, skipped: int = 0
) -> None:
    for attribute, value in (
        ("tests", tests),
        ("failures", failures),
        ("errors", errors),
        ("skipped", skipped),
    ):
        element.set(attribute, str(value))
    element.set("time", "0")
