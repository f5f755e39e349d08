"""Small helpers every stage may use: money in words, pausing the garbage collector,
and pickling frozen dataclasses that hold read-only mappings. No heavy imports."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import fields
from types import MappingProxyType
from typing import Any


def money(pounds: float) -> str:
    """£1.23bn, £12.4m, £350k or £75, as a finance analyst would write it."""
    sign = "-" if pounds < 0 else ""
    p = abs(pounds)
    if p >= 1e9:
        return f"{sign}£{p / 1e9:,.3g}bn" if p < 1e11 else f"{sign}£{p / 1e9:,.1f}bn"
    if p >= 1e6:
        return f"{sign}£{p / 1e6:,.1f}m"
    if p >= 1e4:
        return f"{sign}£{p / 1e3:,.0f}k"
    return f"{sign}£{p:,.0f}" if p == int(p) or p >= 100 else f"{sign}£{p:,.2f}"


def percent(share: float) -> str:
    return f"{share * 100:.4g}%"


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause Python's cyclic garbage collector around a heavy stage.

    Building and checking an LP of 100k variables makes millions of short-lived objects and
    no reference cycles worth collecting; every collection of the oldest generation would
    walk all the live ones, which cost up to 0.6 s a solve at that size. The collector's
    previous state is always restored (nested pauses are fine); reference counting still
    frees memory as usual.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def reduce_frozen(obj: Any) -> tuple[Any, tuple[type, dict[str, Any]]]:
    """What ``__reduce__`` returns for ``obj``, a frozen dataclass instance.

    ``MappingProxyType`` cannot be pickled, so a Plan or a Diagnosis would fail to cross a
    process pool, a Dask worker or a ``joblib`` cache. Such a class pickles as its fields
    (the mappings as plain dicts) and is made again by its own constructor, which wraps
    them again.
    """
    values = {}
    for f in fields(obj):
        value = getattr(obj, f.name)
        values[f.name] = dict(value) if isinstance(value, MappingProxyType) else value
    return _make, (type(obj), values)


def _make(cls: type, values: dict[str, Any]) -> Any:
    return cls(**values)
