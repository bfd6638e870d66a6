"""`file:line` as every finding and document shows it."""

from __future__ import annotations

from pathlib import Path


def shown(path: Path, line: int, base: Path | None = None) -> str:
    """`file:line`, relative to `base` (the working directory) when the file is under it."""
    resolved, here = path.resolve(), (base or Path.cwd()).resolve()
    return f"{resolved.relative_to(here) if resolved.is_relative_to(here) else path}:{line}"
