"""Pause Python's cyclic garbage collector around the heavy stages.

Building and checking an LP of 100k variables makes millions of short-lived objects and
no reference cycles worth collecting; every collection of the oldest generation would
walk all the live ones, which cost up to 0.6 s a solve at that size. The collector's
previous state is always restored (nested pauses are fine); reference counting still
frees memory as usual.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused_gc() -> Iterator[None]:
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
