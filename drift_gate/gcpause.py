"""Pausing Python's cyclic garbage collector while a large document is read.

Reading a 100 MB plan builds millions of objects and no reference cycles; each automatic
collection would walk all of them again (measured: validation 0.56 s -> 0.17 s, the plan's
reading 1.47 s -> 0.60 s with the collector paused). Reference counting still frees every
object as usual; only the cycle detector waits, and runs again when the block ends.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """The block runs with the cyclic collector off; its previous state comes back after."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
