"""drift-gate's own cache directory, for what is slow to recompute and safe to reuse.

`$DRIFT_GATE_CACHE_DIR`, else `$XDG_CACHE_HOME/drift-gate`, else `~/.cache/drift-gate`;
created readable by the user only. `DRIFT_GATE_NO_CACHE=1` turns every cache off. Entries are
named by a hash of everything their content depends on, so one is never stale: a change of
input, of drift-gate or of a library gives another name.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def cache_root() -> Path | None:
    """The cache's base directory, or None when caching is off or there is no safe place."""
    if os.environ.get("DRIFT_GATE_NO_CACHE"):
        return None
    if os.environ.get("DRIFT_GATE_CACHE_DIR"):
        base = Path(os.environ["DRIFT_GATE_CACHE_DIR"])
    elif os.environ.get("XDG_CACHE_HOME"):
        base = Path(os.environ["XDG_CACHE_HOME"]) / "drift-gate"
    else:
        try:
            home = Path.home()
        except (RuntimeError, KeyError):  # no HOME and no user entry (a container's --user)
            return None
        base = home / ".cache" / "drift-gate"
    # A relative place ("~" when the home cannot be known) would put the cache in the
    # repository being checked: no cache then.
    return base if base.is_absolute() else None


def write_entry(directory: Path, name: str, text: str) -> None:
    """Write one entry atomically in a private directory; any failure leaves the cache as it was."""
    with contextlib.suppress(OSError):
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        handle, temporary = tempfile.mkstemp(dir=directory, suffix=".tmp")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as file:
                file.write(text)
            os.replace(temporary, directory / name)
        finally:
            with contextlib.suppress(OSError):
                os.unlink(temporary)


def prune(directory: Path, keep: int) -> None:
    """Remove the oldest entries beyond `keep` (by modification time)."""
    with contextlib.suppress(OSError):
        entries = [path for path in directory.iterdir() if not path.name.endswith(".tmp")]
        if len(entries) <= keep:
            return
        by_age = sorted(entries, key=lambda path: path.stat().st_mtime)
        for old in by_age[: len(entries) - keep]:
            with contextlib.suppress(OSError):
                old.unlink()
