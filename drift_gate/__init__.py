"""drift-gate: fail the pipeline when what runs on ECS is not what was declared.

The library surface is `check`, `check_offline` and `scan` (drift_gate/api.py), the `Report`
they return (drift_gate/model/), the choices they take (`FailOn`, `LinkMode`,
`SkippableLink`) and the exit codes (drift_gate/errors.py). Every other module
is internal and may change between releases.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from drift_gate._version import __version__

__all__ = [
    "ExitCode",
    "FailOn",
    "Finding",
    "LinkMode",
    "Report",
    "SkippableLink",
    "__version__",
    "check",
    "check_offline",
    "scan",
]

if TYPE_CHECKING:
    from drift_gate.api import check, check_offline, scan
    from drift_gate.chain import LinkMode, SkippableLink
    from drift_gate.errors import ExitCode
    from drift_gate.model import Finding, Report
    from drift_gate.model.levels import FailOn

# Imported when first used, so that `import drift_gate` (and the CLI's --help) stays light.
_LAZY = {
    "check": "drift_gate.api",
    "check_offline": "drift_gate.api",
    "scan": "drift_gate.api",
    "FailOn": "drift_gate.model.levels",
    "LinkMode": "drift_gate.chain",
    "SkippableLink": "drift_gate.chain",
    "ExitCode": "drift_gate.errors",
    "Finding": "drift_gate.model",
    "Report": "drift_gate.model",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from importlib import import_module

        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'drift_gate' has no attribute {name!r}")
