"""drift-gate: fail the pipeline when what runs on ECS is not what was declared."""

__version__ = "0.1.0"
