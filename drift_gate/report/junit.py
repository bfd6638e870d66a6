"""JUnit XML: one testsuite per environment, one testcase per checked link.

Each service has a testcase for its service-level links (exists, latest revision deployed,
rollout) and one per declared container; the Terraform plan is a suite of its own.
Blocking findings are <failure>s, could-not-verify findings <error>s, the rest go to
<system-out> so a passing run stays green in CI.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from xml.etree import ElementTree as ET

from drift_gate.model import CheckedService, Finding, LinkState, Report, SmokeResult
from drift_gate.report.base import RenderOptions, Reporter
from drift_gate.report.common import groups, unchecked_lines, waiver_text, where_text
from drift_gate.report.terminal_text import FORMAT_CHARACTERS, visible

# XML 1.0 has no way to write most control characters, escaped or not: a name holding one
# (a log line's colour code) would make the whole file unreadable to every JUnit consumer.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_INVISIBLE = re.compile(f"[{FORMAT_CHARACTERS}]")


class JunitReporter(Reporter):
    name = "junit"
    description = "JUnit XML (one testsuite per environment, one testcase per checked link)"

    def render(self, report: Report, options: RenderOptions) -> str:
        suites: OrderedDict[str, list[ET.Element]] = OrderedDict()
        for group in groups(report):
            if group.service is None:
                cases = _plan_cases(group.findings, report)
                suites.setdefault("terraform plan", []).extend(cases)
            else:
                suites.setdefault(group.service.environment, []).extend(
                    _service_cases(group.service, group.findings, report)
                )
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
        _xml_safe(root)
        ET.indent(root)
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            + ET.tostring(root, encoding="unicode")
            + "\n"
        )


def _service_cases(
    service: CheckedService, findings: tuple[Finding, ...], report: Report
) -> list[ET.Element]:
    """The service-level case, one per container, then smoke requests and unchecked links."""
    classname = f"{service.environment}.{service.cluster}.{service.service}"
    # Indexed once: a service of thousands of containers and findings stays linear.
    by_container: dict[str | None, list[Finding]] = {}
    for finding in findings:
        by_container.setdefault(finding.target.container, []).append(finding)
    cases = [_case(classname, "service", by_container.get(None, []), report)]
    declared = set(service.containers)
    # Credentials found in containers the policy does not declare come after its own.
    others = sorted(name for name in by_container if name and name not in declared)
    for container in [*service.containers, *others]:
        found = by_container.get(container, [])
        cases.append(_case(classname, f"container {container}", found, report))
    cases.extend(_smoke_case(classname, result) for result in service.smoke)
    if service.verified:  # an unverified service already has its error case
        cases.extend(_skipped(classname, line) for line in unchecked_lines(service))
    return cases


def _xml_safe(root: ET.Element) -> None:
    """Each character XML cannot hold, in every text and attribute, as U+FFFD; invisible
    format characters (a right-to-left override, a zero-width space) as visible escapes."""
    for element in root.iter():
        if element.text:
            element.text = _shown(element.text)
        for name, value in element.attrib.items():
            element.set(name, _shown(value))


def _shown(value: str) -> str:
    return _INVISIBLE.sub(visible, _NOT_XML.sub("\ufffd", value))


def _plan_cases(findings: tuple[Finding, ...], report: Report) -> list[ET.Element]:
    by_resource: OrderedDict[str, list[Finding]] = OrderedDict()
    for finding in findings:
        by_resource.setdefault(finding.target.resource or "plan", []).append(finding)
    if not by_resource:
        return [_case("terraform", "plan", [], report)]
    return [_case("terraform", resource, items, report) for resource, items in by_resource.items()]


def _case(classname: str, name: str, findings: list[Finding], report: Report) -> ET.Element:
    case = ET.Element("testcase", classname=classname, name=name, time="0")
    unverified: list[Finding] = []
    blocking: list[Finding] = []
    other: list[Finding] = []  # waived and non-blocking findings: printed, not failing
    for f in findings:  # one pass: each finding lands in one list
        if f.is_unverified:
            unverified.append(f)
        elif f.waiver is None and report.fail_on.blocks(f.severity):
            blocking.append(f)
        else:
            other.append(f)
    waived = [f for f in other if f.waiver is not None]
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
    # Where it is declared is part of the name: two requests to one URL are two cases.
    where = f" ({result.declared_in})" if result.declared_in else ""
    name = f"smoke {result.request}{where}"
    case = ET.Element("testcase", classname=classname, name=name, time="0")
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
