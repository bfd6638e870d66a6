"""The report's JSON Schema: derived from the model, and the copy shipped in the package
(drift_gate/schemas/report.schema.json) that users and `merge` validate reports against.
In the model because it is the model's contract: `merge` (engine) reads reports with it,
and the JSON reporter writes what it describes."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from drift_gate.model.report import Report


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
