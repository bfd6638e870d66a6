"""Output formats: one module per format behind one interface, looked up by name.

A reporter renders a Report to text and nothing else: it never prints, never exits, and
never sees a value, because the Report holds none.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

from drift_gate.model import Report


@dataclass(frozen=True)
class RenderOptions:
    """Presentation choices the CLI makes (colour only on a terminal, NO_COLOR honoured)."""

    color: bool = False


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
    from drift_gate.report.json_report import JsonReporter

    return {reporter.name: reporter for reporter in (ConsoleReporter(), JsonReporter())}


FORMAT_NAMES: tuple[str, ...] = ("console", "json")
