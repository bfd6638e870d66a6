"""drift_gate.model is a package of one module per side; every public name is still
importable from the package, and the outcome enums come without pydantic."""

from __future__ import annotations

import subprocess
import sys

from drift_gate import model


def test_every_public_name_is_exported_from_the_module_that_defines_it() -> None:
    from importlib import import_module

    assert sorted(model.__all__) == sorted(model._DEFINED_IN)
    for name, module in model._DEFINED_IN.items():
        defined = getattr(import_module(f"drift_gate.model.{module}"), name)
        assert getattr(model, name) is defined, name


def test_an_unknown_name_is_an_attribute_error() -> None:
    import pytest

    with pytest.raises(AttributeError, match="no attribute 'Nothing'"):
        _ = model.Nothing  # type: ignore[attr-defined]


def test_the_outcome_enums_import_without_pydantic() -> None:
    probe = (
        "import sys\n"
        "from drift_gate.model import FailOn, LinkState, Severity, Verdict\n"
        "print('pydantic' in sys.modules)\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert completed.stdout.strip() == "False"


def test_the_declared_model_is_the_policys() -> None:
    from drift_gate import policy
    from drift_gate.model import declared

    for name in ("ServicePolicy", "ContainerPolicy", "EnvironmentPolicy", "SmokeRequest"):
        assert getattr(policy, name) is getattr(declared, name)
