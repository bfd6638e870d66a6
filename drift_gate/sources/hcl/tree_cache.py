"""A cache of .tf syntax trees, addressed by content: what python-hcl2 parsed once is not parsed
again (loading its grammar alone takes about 95 ms of every offline check).

An entry's name is a hash of the file's text and of the parser (lark's version and
python-hcl2's grammar, post-lexer and version files), so an entry can only ever be the tree
this parser makes of this text: there is nothing to invalidate. Everything else the offline
check reads (module directories, `file()`, the policy) is read afresh on every run.

Entries are JSON (never pickle), in `$DRIFT_GATE_CACHE_DIR`, else `$XDG_CACHE_HOME/drift-gate`,
else `~/.cache/drift-gate`, in a directory only the user can read. `DRIFT_GATE_NO_CACHE=1`
turns it off. An entry that cannot be read or written is simply a miss.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from drift_gate.cache import cache_root, prune, write_entry
from drift_gate.sources.hcl.syntax import POSITIONS, Meta, Token, Tree

FORMAT = b"drift-gate-hcl-tree-1"
MAX_ENTRIES = 2000  # a few MB; the oldest go first


def cache_directory() -> Path | None:
    """Where trees are kept, or None when caching is off."""
    root = cache_root()
    return root / "hcl-trees" if root is not None else None


@lru_cache(maxsize=1)
def _parser_fingerprint() -> bytes:
    """lark's version and python-hcl2's grammar, post-lexer and version, read without importing
    python-hcl2 (its import is part of what a hit saves)."""
    digest = hashlib.sha256(FORMAT)
    parts = (
        ("lark", ("__init__.py",)),
        ("hcl2", ("hcl2.lark", "postlexer.py", "version.py", "parser.py")),
    )
    for package_name, files in parts:
        spec = importlib.util.find_spec(package_name)
        if spec is None or spec.origin is None:
            return b""
        package = Path(spec.origin).parent
        for name in files:
            try:
                digest.update(f"{package_name}/{name}".encode() + b"\0")
                digest.update((package / name).read_bytes())
            except OSError:
                return b""  # an unknown layout: no key, no cache
    return digest.digest()


def entry_name(text: str) -> str | None:
    fingerprint = _parser_fingerprint()
    if not fingerprint:
        return None
    return hashlib.sha256(fingerprint + text.encode("utf-8")).hexdigest()


def load(text: str) -> Tree | None:
    """The cached tree of this text, or None."""
    directory, name = cache_directory(), entry_name(text)
    if directory is None or name is None:
        return None
    try:
        encoded = json.loads((directory / f"{name}.json").read_text(encoding="utf-8"))
        tree = _decode(encoded)
    except (OSError, ValueError, TypeError, KeyError, IndexError, RecursionError):
        return None
    return tree if isinstance(tree, Tree) else None


def store(text: str, tree: Tree) -> None:
    """Keep the tree of this text; any failure leaves the cache as it was."""
    directory, name = cache_directory(), entry_name(text)
    if directory is None or name is None:
        return
    try:
        encoded = json.dumps(_encode(tree), separators=(",", ":"))
    except (RecursionError, ValueError):
        return
    write_entry(directory, f"{name}.json", encoded)
    prune(directory, MAX_ENTRIES)


def _encode(node: Tree | Token) -> list[Any]:
    if isinstance(node, Token):
        return ["t", node.type, str(node), *(getattr(node, field) for field in POSITIONS)]
    meta = None if node.meta.empty else [getattr(node.meta, field) for field in POSITIONS]
    return ["n", node.data, meta, [_encode(child) for child in node.children]]


def _decode(encoded: list[Any]) -> Tree | Token:
    if encoded[0] == "t":
        if not (isinstance(encoded[1], str) and isinstance(encoded[2], str)):
            raise TypeError("not a token")
        return Token(encoded[1], encoded[2], **dict(zip(POSITIONS, encoded[3:], strict=True)))
    if encoded[0] != "n" or not isinstance(encoded[1], str):
        raise TypeError("not a tree")
    meta = Meta()
    if encoded[2] is not None:
        for field, value in zip(POSITIONS, encoded[2], strict=True):
            setattr(meta, field, value)
        meta.empty = False
    return Tree(encoded[1], [_decode(child) for child in encoded[3]], meta)
