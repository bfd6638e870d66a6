"""Output formats: one module per format behind one interface (report/base.py), by name.

FORMATS is the one map from a format's name to its reporter; it feeds `--format`'s
choices without importing any reporter, so `--help` starts without pydantic. Adding a
format touches its module, this map and its golden file.
"""

from __future__ import annotations

from importlib import import_module

from drift_gate.report.base import RenderOptions, Reporter

__all__ = ["FORMATS", "FORMAT_NAMES", "RenderOptions", "Reporter", "reporter", "reporters"]

# name -> "module:class", in the order --help lists them.
FORMATS: dict[str, str] = {
    "console": "drift_gate.report.console:ConsoleReporter",
    "json": "drift_gate.report.json_report:JsonReporter",
    "markdown": "drift_gate.report.markdown:MarkdownReporter",
    "github": "drift_gate.report.github:GithubReporter",
    "sarif": "drift_gate.report.sarif:SarifReporter",
    "junit": "drift_gate.report.junit:JunitReporter",
    "html": "drift_gate.report.html:HtmlReporter",
}
FORMAT_NAMES: tuple[str, ...] = tuple(FORMATS)


def reporter(name: str) -> Reporter:
    """The reporter of one format, imported when first asked for."""
    module, _, cls = FORMATS[name].partition(":")
    made: Reporter = getattr(import_module(module), cls)()
    return made


def reporters() -> dict[str, Reporter]:
    """Every format by name."""
    return {name: reporter(name) for name in FORMATS}
