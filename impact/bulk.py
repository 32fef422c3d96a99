"""Building many long-lived objects at once, without the cyclic garbage collector.

    with no_cycle_collection():
        components = [Component(name, kind) for name, kind in rows]

Each container allocated counts towards a collection, and a collection of the older
generations walks every object already built: loading a 100k-component model or building
its name index spent about half of its time in such collections, which free nothing
there (the objects built are kept). Reference counting still frees everything as usual;
the collector runs again at the end of the block.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def no_cycle_collection() -> Iterator[None]:
    """Pause the cyclic collector for the block (it stays off if it was off already)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
