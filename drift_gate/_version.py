"""The version string, importable without the package's API (pyproject.toml states it too)."""

__version__ = "0.1.0"
