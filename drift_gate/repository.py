"""The repository a file drift-gate was given belongs to: where files it names may be read.

A policy's `dotenv:` paths and Terraform's `file()` name files by path; both are read only
inside the git work tree holding where they start (else that directory itself), symlinks
resolved, so a path cannot reach the runner's other files (`../../../../etc/os-release`).
"""

from __future__ import annotations

from pathlib import Path


def repository_root(directory: Path) -> Path:
    """The git work tree holding `directory`, else `directory` itself: file() stays inside."""
    resolved = directory.resolve()
    for candidate in (resolved, *resolved.parents):
        if (candidate / ".git").exists():
            return candidate
    return resolved


def inside(path: Path, repository: Path) -> Path | None:
    """`path` with its symlinks resolved, when it is inside `repository`; else None."""
    try:
        resolved = path.resolve()
    except (OSError, RuntimeError, ValueError):  # a symlink loop, a NUL in the path
        return None
    return resolved if resolved.is_relative_to(repository) else None
