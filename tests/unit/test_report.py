"""Report rendering: JSON against the shipped schema, the schema in sync with the model, console text."""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from xml.etree import ElementTree

import cmarkgfm  # type: ignore[import-untyped]
import jsonschema
import pytest
from cmarkgfm.cmark import Options  # type: ignore[import-untyped]
from hypothesis import given, settings
from hypothesis import strategies as st

from drift_gate.model import Report
from drift_gate.report import RenderOptions, reporters
from drift_gate.report import markdown_text as md
from drift_gate.report.json_report import report_json_schema, shipped_report_schema
from drift_gate.report.markdown_text import one_line
from tests.conftest import REPO
from tests.reports import sample_report


def test_json_report_validates_against_the_shipped_schema() -> None:
    for report in (sample_report(), sample_report(clean=True)):
        document = json.loads(reporters()["json"].render(report, RenderOptions()))
        jsonschema.Draft202012Validator(shipped_report_schema()).validate(document)
        assert Report.model_validate(document) == report  # lossless round trip


def test_shipped_report_schema_is_the_one_the_model_generates() -> None:
    # If this fails, regenerate the file: python -m drift_gate.report.json_report
    assert shipped_report_schema() == json.loads(json.dumps(report_json_schema()))


def test_findings_are_sorted_worst_first_and_counted() -> None:
    report = sample_report()
    assert [f.rule_id for f in report.findings] == ["DG101", "DG502", "DG203", "DG105", "DG107"]
    assert report.stats.findings_by_severity == {"error": 2, "warning": 2, "info": 1}
    assert report.stats.waived == 1
    assert (report.verdict.value, report.exit_code) == ("drift", 1)


def test_console_clean_report_and_colour() -> None:
    clean = reporters()["console"].render(sample_report(clean=True), RenderOptions())
    assert clean.splitlines()[0] == "PASS: 1 service(s) run what is declared"
    coloured = reporters()["console"].render(sample_report(), RenderOptions(color=True))
    assert coloured.startswith("\x1b[31mDRIFT\x1b[0m: ")


def test_report_schema_is_published_in_the_package() -> None:
    assert (REPO / "drift_gate" / "schemas" / "report.schema.json").is_file()


def test_one_apply_ignores_drops_ignored_rules_but_never_could_not_verify() -> None:
    from drift_gate.checks.findings import ServiceContext
    from drift_gate.engine.outcome import apply_ignores
    from drift_gate.model import Target

    context = ServiceContext(Target(environment="dev", cluster="c", service="api"))
    findings = [context.finding("DG107", "extra"), context.finding("DG901", "denied")]
    kept = apply_ignores(findings, {"DG107", "DG901"})
    assert [f.rule_id for f in kept] == ["DG901"]


# --- Names from outside, in every format ---------------------------------------------------
# Every name drift-gate shows comes from AWS or from a file; none may become markup. The
# Markdown is rendered with cmark-gfm (GitHub's own renderer, raw HTML let through so that
# any would show), then read back as HTML.

HOSTILE_PIECES = (
    "@octocat",
    "![x](http://evil.example/i.png)",
    "[click](https://evil.example/a)",
    "<img src=x onerror=alert(1)>",
    "<script>alert(1)</script>",
    "`` ` ``x```",
    "a|b",
    "line\nbreak\r\n| x | y |",
    "# heading",
    "<!-- drift-gate:run -->",
    "-->",
    "*em* _em_ **b** ~~s~~",
    "https://evil.example",
    "www.evil.example",
    "x@evil.example",
    "&#64;octocat &amp;",
    "\x1b[31m\x07",
    "$x$",
    "#12",
    "1. list",
    "- item",
    "> quote",
    "\\",
    "a\u2028b",
    "[^1]",
    "    indented",
    "===",
    # Invisible: a right-to-left override with a terminal hyperlink and a workflow command,
    # zero-width characters (`api` and `a<U+200B>pi` look alike), the other bidi controls.
    "CANARY_NAME\u202e\x1b]8;;http://x\x07::error::x",
    "a\u200bpi\u200c\u200d\u2060\ufeff",
    "\u202a\u202b\u202c\u202d\u2066\u2067\u2068\u2069\u200e\u200f\u061c\x9b",
)
HOSTILE = " ".join(HOSTILE_PIECES)
MENTION = re.compile(r"(?<![\w`])@[A-Za-z0-9]")
REFERENCE = re.compile(r"#[0-9]")
MARKDOWN_TAGS = {
    "h2", "h3", "p", "ul", "li", "table", "thead", "tbody", "tr", "th", "td",
    "code", "strong", "sub", "blockquote", "br",
}  # fmt: skip


@dataclass
class Rendered:
    """What GitHub would show: tags, comments, text outside code, code spans, table rows."""

    tags: list[tuple[str, list[tuple[str, str | None]]]] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)
    prose: list[str] = field(default_factory=list)
    code: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    everything: list[str] = field(default_factory=list)  # all text, in order


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found = Rendered()
        self.open: list[str] = []
        self.cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.tags.append((tag, attrs))
        self.open.append(tag)
        if tag == "tr":
            self.found.rows.append([])
        if tag in ("td", "th"):
            self.cell = []

    def handle_endtag(self, tag: str) -> None:
        if self.open and self.open[-1] == tag:
            self.open.pop()
        if tag in ("td", "th") and self.cell is not None:
            self.found.rows[-1].append("".join(self.cell))
            self.cell = None

    def handle_data(self, data: str) -> None:
        self.found.everything.append(data)
        if self.cell is not None:
            self.cell.append(data)
        if "code" in self.open:
            self.found.code.append(data)
        else:
            self.found.prose.append(data)

    def handle_comment(self, data: str) -> None:
        self.found.comments.append(data)


def github_shows(markdown: str) -> Rendered:
    html = cmarkgfm.github_flavored_markdown_to_html(markdown, options=Options.CMARK_OPT_UNSAFE)
    reader = _Reader()
    reader.feed(html)
    reader.close()
    return reader.found


def shown(value: str) -> str:
    """A name as it should read once rendered: on one line, the zero-width spaces drift-gate
    adds after `@` and `#` aside (a name's own are shown as `\\u200b`)."""
    return re.sub(r" +", " ", one_line(re.sub("(?<=[@#])\u200b", "", value))).strip(" ")


def assert_visible(text: str) -> None:
    """No invisible character (a bidi control, a zero-width space) but the zero-width spaces
    drift-gate adds itself after `@`, `#` and `:` (a mention, a reference, a workflow
    command); the hostile names' own are shown as escapes."""
    assert "\\u202e" in text or "\\\\u202e" in text
    left = re.sub("(?<=[@#:])\u200b", "", text)
    assert not [c for c in left if unicodedata.category(c) == "Cf"], left


def assert_inert(found: Rendered, comments: tuple[str, ...] = ()) -> None:
    assert {tag for tag, _ in found.tags} <= MARKDOWN_TAGS, found.tags
    assert all(not attrs for tag, attrs in found.tags if tag not in {"td", "th"}), found.tags
    assert tuple(found.comments) == comments
    for data in found.prose:
        assert not MENTION.search(data), data
        assert not REFERENCE.search(data), data


# Where a name stands in drift-gate's Markdown, and what is left of the frame once rendered.
FRAMES = {
    "{}": "{}",
    "- {}": "{}",
    "### {}": "{}",
    "| a |\n|---|\n| {} |": "a {}",
    "x {}": "x {}",
    "- **{}**: y": "{}: y",
}


@pytest.mark.parametrize("piece", HOSTILE_PIECES)
@pytest.mark.parametrize("frame", FRAMES)
def test_text_shows_any_name_as_itself(piece: str, frame: str) -> None:
    # Bold needs no space inside its stars: drift-gate strips the names it makes bold.
    name = one_line(piece).strip() if "**" in frame else piece
    found = github_shows(frame.format(md.text(name)))
    assert_inert(found)
    assert not found.code
    assert shown("".join(found.prose)) == shown(FRAMES[frame].format(shown(piece)))
    if frame.startswith("|"):
        assert [len(row) for row in found.rows] == [1, 1]


@pytest.mark.parametrize("piece", [*HOSTILE_PIECES, HOSTILE, "`", "``", " ` ", "a`b``c"])
@pytest.mark.parametrize("in_table", [False, True])
def test_a_code_span_holds_any_number_of_backticks(piece: str, in_table: bool) -> None:
    span = md.code(piece, in_table=in_table)
    found = github_shows(f"| a |\n|---|\n| {span} |" if in_table else f"- {span}")
    assert_inert(found)
    assert "".join(found.code) == one_line(piece)
    assert "".join(found.prose).split() in ([], ["a"])  # the table's head only


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.text(st.characters(exclude_categories=["Cs"]), max_size=40))
def test_text_and_code_hold_any_string(value: str) -> None:
    found = github_shows(
        f"| a | b |\n|---|---|\n| {md.text(value)} | {md.code(value, in_table=True)} |"
    )
    assert_inert(found)
    assert len(found.rows) == 2
    assert shown(found.rows[1][0]) == shown(value)
    assert "".join(found.code) == one_line(value)


def test_rich_keeps_drift_gates_own_code_spans_and_escapes_the_names_in_them() -> None:
    name = HOSTILE.replace("`", "")
    found = github_shows(md.rich(f"Run `aws ssm put-parameter --name {name}` or fix {name}"))
    assert_inert(found)
    assert found.code == [f"aws ssm put-parameter --name {one_line(name)}"]
    for message in (f"Run `x {HOSTILE}` now", "a `b ` c ` d", "`", HOSTILE):
        assert_inert(github_shows(md.rich(message)))


def hostile_report() -> Report:
    """A drifting report whose every name from outside is HOSTILE (a finding, a waived one,
    a could-not-verify one, a link not checked, a smoke request, a scan note)."""
    from datetime import date

    from drift_gate.checks.findings import ServiceContext
    from drift_gate.engine.outcome import ServiceResult, build_report
    from drift_gate.model import (
        CheckedService,
        FailOn,
        LinkResult,
        LinkState,
        ScannedScope,
        SmokeResult,
        Target,
        Waived,
    )
    from tests.reports import T0, T1

    service = CheckedService(
        environment=f"env {HOSTILE}",
        account="123456789012",
        region="us-east-1",
        cluster=f"cluster {HOSTILE}",
        service=f"svc {HOSTILE}",
        verified=True,
        deployed_task_definition=f"td {HOSTILE}",
        latest_task_definition=f"latest {HOSTILE}",
        containers=(f"box {HOSTILE}",),
        links=(
            LinkResult(link="application log clean", state=LinkState.NOT_CHECKED, reason=HOSTILE),
        ),
        smoke=(SmokeResult(request=f"GET {HOSTILE}", status=500, outcome=LinkState.FAILED),),
    )
    target = Target(
        environment=service.environment,
        account=service.account,
        region=service.region,
        cluster=service.cluster,
        service=service.service,
    )
    context = ServiceContext(target, service.deployed_task_definition)
    named = {"container": f"box {HOSTILE}", "variable": f"VAR {HOSTILE}"}
    waiver = Waived(reason=HOSTILE, owner=HOSTILE, expires=date(2026, 12, 31), days_left=3)
    findings = (
        context.finding("DG101", f"missing {HOSTILE}", where=f"{HOSTILE}:3", **named),
        context.finding("DG105", f"name {HOSTILE}", **named).model_copy(update={"waiver": waiver}),
        context.finding("DG401", f"log {HOSTILE}", remediation=f"Run `fix {HOSTILE}` {HOSTILE}"),
        context.finding("DG901", f"could not {HOSTILE}"),
    )
    report = build_report([ServiceResult(service, findings)], FailOn.ERROR, T0, T1, "p.yaml", {})
    scope = ScannedScope(account=None, account_source=HOSTILE, region="us-east-1", notes=(HOSTILE,))
    return report.model_copy(update={"scanned": (scope,), "workspace": HOSTILE})


def test_names_from_outside_stay_text_in_every_markdown_output(tmp_path: Path) -> None:
    from drift_gate.publish.comment import comment_body
    from drift_gate.publish.github import append_step_summary
    from drift_gate.publish.issues import marker, run_body, service_body, service_verdicts
    from drift_gate.report.common import where_text

    report = hostile_report()
    summary = tmp_path / "summary.md"
    append_step_summary(report, summary, RenderOptions(report_paths={"json": HOSTILE}))
    tiny = reporters()["markdown"].render(
        report, RenderOptions(max_bytes=700, report_paths={"json": HOSTILE})
    )
    (verdict,) = service_verdicts(report)
    key = marker(verdict.service)
    unverified = [f for f in report.findings if f.is_unverified]
    for markdown, comments, message in (
        (reporters()["markdown"].render(report, RenderOptions()), (), "missing"),
        (summary.read_text(), (), "missing"),
        (tiny, (), "drift-gate"),
        (service_body(key, verdict, report, None), (key[4:-3],), "missing"),
        (run_body(unverified, None), (" drift-gate:run ",), "could not"),
        (comment_body(report, None, None), (" drift-gate:pull-request-comment ",), "missing"),
    ):
        assert_visible(markdown)
        found = github_shows(markdown)
        assert_inert(found, comments)
        # Backticks in a message may start a code span; everything else reads as it was.
        everything = shown("".join(found.everything).replace("`", ""))
        assert shown(f"{message} {HOSTILE}".replace("`", "")) in everything or markdown is tiny
    rendered = github_shows(reporters()["markdown"].render(report, RenderOptions()))
    first = next(f for f in report.findings if f.target.variable and f.waiver is None)
    assert one_line(where_text(first)) in rendered.code  # a code span, whole
    assert {len(row) for row in rendered.rows} <= {6}  # every table has its six columns
    assert all(row[3].strip() for row in rendered.rows)  # and no cell is pushed out


def test_an_issue_marker_cannot_be_ended_or_forged_by_a_name() -> None:
    from drift_gate.publish.issues import MARKER_PREFIX, marker
    from tests.reports import checked

    plain = marker(checked("hokusai-api-development"))
    assert plain == f"{MARKER_PREFIX}service dev/-/us-east-1/c/hokusai-api-development -->"
    forged = marker(checked(f"x -->\n{MARKER_PREFIX}service dev/-/us-east-1/c/api -->"))
    assert forged.count("-->") == 1
    assert "\n" not in forged
    assert forged.endswith(" -->")


def test_issue_titles_are_one_line_without_mentions_or_code() -> None:
    assert md.issue_title("drift-gate: @octocat `x`\nsvc #12 drifts") == (
        "drift-gate: @\u200boctocat 'x' svc #\u200b12 drifts"
    )
    assert len(md.issue_title("x" * 1000)) == 256
    assert_visible(md.issue_title(" ".join(HOSTILE_PIECES[-3:])))
    assert md.issue_title("a\u200bpi \u202eexe") == "a\\u200bpi \\u202eexe"


def test_names_from_outside_stay_text_in_html_junit_and_sarif() -> None:
    report = hostile_report()
    html = reporters()["html"].render(report, RenderOptions())
    reader = _Reader()
    reader.feed(html)
    allowed = {"html", "head", "meta", "title", "style", "body", "header", "h1", "p", "main"}
    allowed |= {"div", "strong", "label", "input", "select", "option", "span", "section", "h2"}
    allowed |= {"table", "thead", "tbody", "tr", "th", "td", "code", "ul", "li", "br", "footer"}
    allowed |= {"script"}
    tags = [tag for tag, _ in reader.found.tags]
    assert set(tags) <= allowed
    assert tags.count("script") == 1
    assert not [name for _, attrs in reader.found.tags for name, _ in attrs if name[:2] == "on"]
    assert not reader.found.comments
    assert_visible(html)
    assert not re.search("[\x00-\x09\x0b-\x1f\x7f-\x9f]", html)  # no ESC, no BEL
    assert "CANARY_NAME\\u202e\\x1b]8;;http://x\\x07::error::x" in html
    junit = ElementTree.fromstring(reporters()["junit"].render(report, RenderOptions()))  # noqa: S314
    assert junit.tag == "testsuites"  # well-formed XML, control characters included
    texts = " ".join(
        [
            *(e.text or "" for e in junit.iter()),
            *(v for e in junit.iter() for v in e.attrib.values()),
        ]
    )
    assert "\x1b" not in texts
    assert "\x07" not in texts
    assert_visible(texts)
    sarif = json.loads(reporters()["sarif"].render(report, RenderOptions()))
    for result in sarif["runs"][0]["results"]:
        assert_visible(result["message"]["text"])
        # SARIF's plain-text messages turn `[text](target)` into links (SARIF 2.1.0 §3.11.6).
        assert not re.search(r"(?<!\\)\[[^\]]*(?<!\\)\]\(", result["message"]["text"])
        assert "![x]" not in result["message"]["text"]


def test_names_from_terraform_stay_text_in_the_inventory(tmp_path: Path) -> None:
    from drift_gate.inventory import inventory_markdown
    from drift_gate.sources.hcl.declarations import (
        DeclaredService,
        DeclaredTaskDefinition,
        TerraformContainer,
        TerraformDeclarations,
        TerraformName,
    )
    from drift_gate.sources.hcl.values import Unresolved

    tf = tmp_path / f"main {HOSTILE.replace('/', '').replace(chr(0), '')[:40]}.tf"
    name = TerraformName(f"V {HOSTILE}", tf, 3, value_from=f"arn {HOSTILE}")
    odd = TerraformName("W", tf, 4, value_from_unresolved=Unresolved(f"why {HOSTILE}", tf, 4))
    container = TerraformContainer(
        f"box {HOSTILE}", (name, odd), (), (Unresolved(f"? {HOSTILE}", tf, 5),)
    )
    declarations = TerraformDeclarations(
        task_definitions=[
            DeclaredTaskDefinition(f"td.{HOSTILE}", f"fam {HOSTILE}", tf, 1, (container,))
        ],
        services=[
            DeclaredService("svc.a", f"svc {HOSTILE}", f"c {HOSTILE}", f"td.{HOSTILE}", tf, 2)
        ],
    )
    found = github_shows(inventory_markdown(declarations, None, tmp_path))
    assert {tag for tag, _ in found.tags} - {"a"} <= MARKDOWN_TAGS | {"h1"}
    # The only links are drift-gate's own, to a line of the file, percent-encoded.
    links = [dict(attrs)["href"] or "" for tag, attrs in found.tags if tag == "a"]
    assert links
    assert all(re.fullmatch(r"[A-Za-z0-9%._~/-]+#L[0-9]+", link) for link in links), links
    assert not found.comments
    assert not [data for data in found.prose if MENTION.search(data) or REFERENCE.search(data)]
    assert {len(row) for row in found.rows} == {6}
    assert one_line(f"V {HOSTILE}") in found.code


def test_an_issue_body_cut_to_githubs_limit_ends_on_a_whole_row() -> None:
    from drift_gate.publish.issues import BODY_LIMIT, marker, service_body, service_verdicts

    report = hostile_report()
    many = tuple(
        report.findings[0].model_copy(update={"message": f"{i} {HOSTILE}"}) for i in range(400)
    )
    report = report.model_copy(update={"findings": many})
    (verdict,) = service_verdicts(report)
    body = service_body(marker(verdict.service), verdict, report, None)
    assert len(body) <= BODY_LIMIT
    kept, _ = body.rsplit("\n\n_(cut", 1)  # drift-gate's own note, in emphasis
    assert kept.splitlines()[-1].endswith(" |")  # the last row whole: no escape split in two
    assert_inert(github_shows(kept), (marker(verdict.service)[4:-3],))
