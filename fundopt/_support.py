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


def money_apart(*amounts: float) -> list[str]:
    """Each amount as :func:`money` writes it, or, where that would write two amounts that
    differ by a pound or more the same ("from £1.02bn to £1.02bn"), all of them in one
    unit with as many decimals as tell them apart (£1.020bn, £1.021bn)."""
    pounds = [round(a) for a in amounts]

    def apart(words: list[str]) -> bool:
        return all(words[i] != words[j] for i in range(len(words)) for j in range(i)
                   if pounds[i] != pounds[j])

    plain = [money(a) for a in amounts]
    if apart(plain):
        return plain
    big = max(abs(a) for a in amounts)
    unit, suffix = next(((u, x) for u, x in ((1e9, "bn"), (1e6, "m"), (1e3, "k"))
                         if big >= u), (1.0, ""))
    for decimals in range(1, 10):
        out = [f"{'-' if a < 0 else ''}£{abs(a) / unit:,.{decimals}f}{suffix}"
               for a in amounts]
        if apart(out):
            return out
    return [f"{'-' if a < 0 else ''}£{abs(a):,.0f}" for a in amounts]


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


#: glibc's ``mallopt`` parameter for the size from which a block gets its own mapping
#: (``M_MMAP_THRESHOLD`` in ``malloc.h``), and the size fundopt pins it at: 128 KiB,
#: glibc's own starting value.
_M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD_BYTES = 128 * 1024

_pinned = False


def return_large_blocks_promptly() -> bool:
    """Have each large block of memory (128 KiB or more) given back to the system as soon
    as it is freed, for the rest of the process. True if the setting is in force.

    glibc, the C library of most Linux systems, raises the size from which a block gets
    its own mapping each time such a block is freed (up to 32 MiB), and keeps what it freed
    below that size for reuse instead of handing it back: HiGHS's interior point and
    simplex each free hundreds of megabytes between tiers, and the next stage's blocks were
    laid out beside that memory, not in it. Pinned at glibc's starting value, a
    400-recipient problem peaked at 1,938 MiB instead of 2,115, in about the same time
    (``benchmarks/README.md``). It is one setting for the whole process and cannot be
    undone, and blocks mapped and unmapped cost page faults, so :func:`fundopt.solve` asks
    for it only for large LPs (:data:`fundopt.plan.solve.PROMPT_RETURN_FROM_COLUMNS`).
    Elsewhere (macOS, Windows, musl) and where the user has set ``MALLOC_MMAP_THRESHOLD_``
    themselves, it does nothing and returns False.
    """
    global _pinned
    import os
    import sys

    if _pinned:
        return True
    if not sys.platform.startswith("linux") or "MALLOC_MMAP_THRESHOLD_" in os.environ:
        return False
    try:
        if not os.confstr("CS_GNU_LIBC_VERSION"):  # "glibc 2.36", None elsewhere
            return False
    except (ValueError, OSError):
        return False
    import ctypes

    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    _pinned = mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES) == 1
    return _pinned
