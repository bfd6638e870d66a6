"""The interface every output format implements; imports no reporter (and no pydantic).

A reporter renders a Report to text and nothing else: it never prints, never exits, and
never sees a value, because the Report holds none.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from drift_gate.model import Report


@dataclass(frozen=True)
class RenderOptions:
    """Presentation choices the CLI makes; reporters never read the environment themselves."""

    color: bool = False
    # Where this run writes each format, so one format can point at another (the full report).
    report_paths: dict[str, str] = field(default_factory=dict)
    # Byte budget for formats with a size limit (GitHub's step summary: 1 MiB per step).
    max_bytes: int | None = None
    # The repository root (GITHUB_WORKSPACE, else the nearest directory holding .git): paths
    # in annotations and SARIF are relative to it.
    workspace: str | None = None
    # The directory relative paths in findings start from (the working directory).
    base: str | None = None
    # SARIF runs[].automationDetails.id category; None: no automationDetails (the upload's own).
    sarif_category: str | None = None


class Reporter(ABC):
    """Turns a Report into the text of one format."""

    name: str
    description: str

    @abstractmethod
    def render(self, report: Report, options: RenderOptions) -> str:
        """The whole output, ending with a newline."""
