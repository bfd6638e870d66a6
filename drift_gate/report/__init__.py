"""Output formats: one module per format behind one interface, looked up by name.

A reporter renders a Report to text and nothing else: it never prints, never exits, and
never sees a value, because the Report holds none.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field

from drift_gate.model import Report


@dataclass(frozen=True)
class RenderOptions:
    """Presentation choices the CLI makes; reporters never read the environment themselves."""

    color: bool = False
    # Where this run writes each format, so one format can point at another (the full report).
    report_paths: dict[str, str] = field(default_factory=dict)
    # Byte budget for formats with a size limit (GitHub's step summary: 1 MiB per step).
    max_bytes: int | None = None
    # Paths in findings are made relative to this (GITHUB_WORKSPACE) for annotations and SARIF.
    workspace: str | None = None


class Reporter(ABC):
    """Turns a Report into the text of one format."""

    name: str
    description: str

    @abstractmethod
    def render(self, report: Report, options: RenderOptions) -> str:
        """The whole output, ending with a newline."""


def reporters() -> dict[str, Reporter]:
    """Every format by name. Imported here, lazily, so the CLI starts fast."""
    from drift_gate.report.console import ConsoleReporter
    from drift_gate.report.github import GithubReporter
    from drift_gate.report.html import HtmlReporter
    from drift_gate.report.json_report import JsonReporter
    from drift_gate.report.junit import JunitReporter
    from drift_gate.report.markdown import MarkdownReporter
    from drift_gate.report.sarif import SarifReporter

    every = (
        ConsoleReporter(),
        JsonReporter(),
        MarkdownReporter(),
        GithubReporter(),
        SarifReporter(),
        JunitReporter(),
        HtmlReporter(),
    )
    return {reporter.name: reporter for reporter in every}


FORMAT_NAMES: tuple[str, ...] = ("console", "json", "markdown", "github", "sarif", "junit", "html")
