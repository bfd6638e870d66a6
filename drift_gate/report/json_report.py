"""JSON: the Report as data, validating against drift_gate/schemas/report.schema.json."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from drift_gate.model import Report
from drift_gate.report.base import RenderOptions, Reporter


class JsonReporter(Reporter):
    name = "json"
    description = "the full report as JSON (schema: drift_gate/schemas/report.schema.json)"

    def render(self, report: Report, options: RenderOptions) -> str:
        return report.model_dump_json(indent=2) + "\n"


def report_json_schema() -> dict[str, Any]:
    """The JSON Schema of the report, derived from the model (the shipped file must equal it)."""
    schema = Report.model_json_schema(mode="serialization")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://drift-gate.dev/schemas/report.schema.json"
    return schema


@cache
def shipped_report_schema() -> dict[str, Any]:
    text = resources.files("drift_gate").joinpath("schemas/report.schema.json").read_text("utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


if __name__ == "__main__":
    # Regenerates the shipped schema: python -m drift_gate.report.json_report
    target = resources.files("drift_gate").joinpath("schemas/report.schema.json")
    with resources.as_file(target) as path:
        path.write_text(json.dumps(report_json_schema(), indent=2, sort_keys=True) + "\n", "utf-8")
