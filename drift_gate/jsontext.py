"""JSON files as users' tools write them: UTF-8 with or without a BOM, or UTF-16 with a BOM."""

from __future__ import annotations

import codecs


def decode_json_bytes(data: bytes) -> str:
    """The text of a JSON file, whatever wrote it: UTF-8 (with or without a BOM) or UTF-16 with
    a BOM (Windows PowerShell 5.1's `>` writes that). Raises UnicodeDecodeError otherwise."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16")
    return data.decode("utf-8-sig")
