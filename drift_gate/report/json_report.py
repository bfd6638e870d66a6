"""JSON: the Report as data, validating against drift_gate/schemas/report.schema.json."""

from __future__ import annotations

import json
from importlib import resources

from drift_gate.model import Report
from drift_gate.model.report_schema import report_json_schema, shipped_report_schema
from drift_gate.report.base import RenderOptions, Reporter

__all__ = ["JsonReporter", "report_json_schema", "shipped_report_schema"]


class JsonReporter(Reporter):
    name = "json"
    description = "the full report as JSON (schema: drift_gate/schemas/report.schema.json)"

    def render(self, report: Report, options: RenderOptions) -> str:
        return report.model_dump_json(indent=2) + "\n"


if __name__ == "__main__":
    # Regenerates the shipped schema: python -m drift_gate.report.json_report
    target = resources.files("drift_gate").joinpath("schemas/report.schema.json")
    with resources.as_file(target) as path:
        path.write_text(json.dumps(report_json_schema(), indent=2, sort_keys=True) + "\n", "utf-8")
