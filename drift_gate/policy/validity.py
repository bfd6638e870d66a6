"""The validity cache: a policy whose content passed the schema and consistency checks is
remembered (an empty file under the cache root, `valid-policies/KEY`), so the next run of an
unchanged policy skips the JSON Schema (jsonschema's import and validation are most of the
time of loading a large policy: benchmarks/policy_load.py).

The key names everything that decides validity, so that changing any of it forgets what was
remembered: the content of the policy, drift-gate's version, the rule ids, the JSON Schema,
and the bytes of every module whose code decides validity (VALIDITY_SOURCES). A module that
starts to decide validity (a new `*_problems` function, a model validator it calls) belongs
in VALIDITY_SOURCES: tests/unit/test_policy_validity.py fails when a policy module that
finds problems is missing from it. Checks that depend on today's date or the file system
(waivers, dotenv paths) are never cached: they run on every load.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path

from drift_gate.policy.schema import policy_schema
from drift_gate.yamlfile import YamlDocument

_PACKAGE = Path(__file__).resolve().parent.parent

# The modules whose code decides whether a policy is valid, relative to drift_gate/.
VALIDITY_SOURCES = (
    "policy/schema.py",  # the schema's errors, ECMA-262 patterns
    "policy/problems.py",  # what the schema cannot say
    "schema_words.py",  # which keys are unexpected where (the did-you-mean problems)
    "model/declared.py",  # LogPolicy.window_or_none: which `since` is a window
    "http_client.py",  # is_loopback: where plain http is allowed
)


def _validity_key(document: YamlDocument) -> str | None:
    """A name for "this content passed the schema and consistency checks of this drift-gate"
    (None: not cacheable, or a source of validity cannot be read)."""
    from drift_gate._version import __version__
    from drift_gate.rules import RULES_BY_ID

    try:
        content = json.dumps(document.data, sort_keys=True, separators=(",", ":"))
        code = [name.encode() + b"\0" + (_PACKAGE / name).read_bytes() for name in VALIDITY_SOURCES]
    except (TypeError, ValueError, OSError):  # keys YAML allows and JSON does not: no cache
        return None
    # The validator's version decides too: what a schema keyword or format accepts.
    library = _jsonschema_version()
    digest = hashlib.sha256(
        b"drift-gate-valid-policy-3\0" + __version__.encode() + b"\0" + library.encode()
    )
    for part in (
        *code,
        json.dumps(policy_schema(), sort_keys=True).encode(),
        " ".join(RULES_BY_ID).encode(),
        content.encode(),
    ):
        digest.update(len(part).to_bytes(8, "big") + part)
    return digest.hexdigest()


@cache
def _jsonschema_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("jsonschema")
    except PackageNotFoundError:
        return "unknown"


def _validity_entry(document: YamlDocument) -> Path | None:
    from drift_gate.cache import cache_root

    root, key = cache_root(), _validity_key(document)
    return root / "valid-policies" / key if root is not None and key is not None else None


def known_valid(document: YamlDocument) -> bool:
    entry = _validity_entry(document)
    try:
        return entry is not None and entry.is_file()
    except OSError:  # a cache root that cannot be searched (read-only, not ours): no cache
        return False


def remember_valid(document: YamlDocument) -> None:
    from drift_gate.cache import prune, write_entry

    entry = _validity_entry(document)
    if entry is not None:
        write_entry(entry.parent, entry.name, "valid\n")
        prune(entry.parent, 2000)
