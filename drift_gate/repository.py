"""The repository a file drift-gate was given belongs to: where files it names may be read.

A policy's `dotenv:` paths and Terraform's `file()` name files by path; both are read only
inside the git work tree holding where they start (else that directory itself), symlinks
resolved, so a path cannot reach the runner's other files (`../../../../etc/os-release`).

Which `.git` counts, as git decides since CVE-2022-24765 (docs/policy.md#where-a-policy-is-found):
the nearest `.git` (a directory, or the file of a worktree or submodule) in the directory or
above it, when the user running drift-gate owns it (its own uid; root too only its own, as
git does without safe.directory), or when git's own `safe.directory` (system or global
configuration, `*` or the work tree's path, `PATH/*` a prefix) names it. A `.git` owned by
someone else ends the walk: it is not used and nothing above it is looked at, so an empty
`/tmp/.git` planted on a shared runner cannot make `/tmp` the repository. The walk also
stops where the file system changes (a mount point, as git without
GIT_DISCOVERY_ACROSS_FILESYSTEM), at the home directory when it starts inside it (nothing
above `~` is read), and before a directory of GIT_CEILING_DIRECTORIES.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Discovered:
    """Where the walk up from a directory ended: the work tree found (None: none that
    counts), and a `.git` that was found but not used because someone else owns it."""

    root: Path | None
    ignored: Path | None = None


def repository_root(directory: Path) -> Path:
    """The git work tree holding `directory`, else `directory` itself: file() stays inside."""
    resolved = directory.resolve()
    return discover(resolved).root or resolved


def discover(directory: Path) -> Discovered:
    """The nearest `.git` above `directory` (itself included) that counts, see the module."""
    resolved = directory.resolve()
    device = _device(resolved)
    home = _home()
    ceilings = _ceilings()
    for candidate in (resolved, *resolved.parents):
        if candidate != resolved:
            if candidate in ceilings or _device(candidate) != device:
                break
            if (
                home is not None
                and resolved.is_relative_to(home)
                and not candidate.is_relative_to(home)
            ):
                break
        dot_git = candidate / ".git"
        try:
            owner = os.lstat(dot_git).st_uid
        except OSError:
            continue
        if owner == os.geteuid() or _safe_directory(candidate):
            return Discovered(candidate)
        return Discovered(None, dot_git)
    return Discovered(None)


def _device(path: Path) -> int | None:
    try:
        return os.stat(path).st_dev
    except OSError:
        return None


def _home() -> Path | None:
    try:
        return Path.home().resolve()
    except (OSError, RuntimeError, KeyError):
        return None


def _ceilings() -> set[Path]:
    """GIT_CEILING_DIRECTORIES: absolute paths, separated by the path separator."""
    value = os.environ.get("GIT_CEILING_DIRECTORIES", "")
    return {Path(part).resolve() for part in value.split(os.pathsep) if os.path.isabs(part)}


def _safe_directory(work_tree: Path) -> bool:
    """Whether git's safe.directory (system and global configuration only, as git reads it)
    names `work_tree`: `*`, its path, or `PATH/*` for a path above it. Asked only for a
    `.git` the user does not own; no git installed is no."""
    try:
        listed = subprocess.run(
            ["git", "config", "--includes", "--get-all", "safe.directory"],  # noqa: S607
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
            cwd="/",
            env={**os.environ, "GIT_DIR": "/nonexistent", "GIT_CONFIG_PARAMETERS": ""},
        ).stdout.splitlines()
    except (OSError, subprocess.SubprocessError):
        return False
    entries: list[str] = []
    for line in listed:
        entries = [*entries, line.strip()] if line.strip() else []  # empty: git's reset
    for entry in entries:
        if entry == "*":
            return True
        if entry.endswith("/*"):
            if work_tree.is_relative_to(Path(entry[:-2]).expanduser()):
                return True
        elif Path(entry).expanduser() == work_tree:
            return True
    return False


def inside(path: Path, repository: Path) -> Path | None:
    """`path` with its symlinks resolved, when it is inside `repository`; else None."""
    try:
        resolved = path.resolve()
    except (OSError, RuntimeError, ValueError):  # a symlink loop, a NUL in the path
        return None
    return resolved if resolved.is_relative_to(repository) else None
