"""Values drift-gate was given as secrets, kept only to be scrubbed from what it prints.

A smoke request's header values and the GitHub token are registered when they are read;
`--debug` tracebacks go through `scrub` before they are printed, since an exception's text
(http.client's "Invalid header value b'...'") may quote one. A value is also scrubbed as
Python writes it inside a repr (escaped) and line by line, as a traceback may split it.
"""

from __future__ import annotations

import sys
import threading
import traceback
from typing import TextIO

HIDDEN = "[hidden]"
# Shorter values would hide ordinary words of a traceback; they are too short to be a key.
MIN_LENGTH = 4

_values: set[str] = set()
_lock = threading.Lock()


def remember_secret(value: str) -> None:
    """Scrub `value` from every traceback printed after this."""
    forms = {value, repr(value)[1:-1], ascii(value)[1:-1]}
    for encoding in ("utf-8", "latin-1"):
        forms.add(repr(value.encode(encoding, "backslashreplace"))[2:-1])
    forms.update(value.splitlines())
    with _lock:
        _values.update(form for form in forms if len(form.strip()) >= MIN_LENGTH)


def scrub(text: str) -> str:
    """`text` with every remembered value replaced, the longest first."""
    with _lock:
        values = sorted(_values, key=len, reverse=True)
    for value in values:
        text = text.replace(value, HIDDEN)
    return text


def print_traceback(stream: TextIO | None = None) -> None:
    """The current exception's traceback (as `traceback.print_exc`), scrubbed."""
    (stream or sys.stderr).write(scrub(traceback.format_exc()))
