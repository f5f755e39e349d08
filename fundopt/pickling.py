"""Pickling for frozen dataclasses that hold read-only mappings.

``MappingProxyType`` cannot be pickled, so a Plan or a Diagnosis would fail to cross a
process pool, a Dask worker or a ``joblib`` cache. Such a class pickles as its fields (the
mappings as plain dicts) and is made again by its own constructor, which wraps them again.
"""

from __future__ import annotations

from dataclasses import fields
from types import MappingProxyType
from typing import Any


def reduce_frozen(obj: Any) -> tuple[Any, tuple[type, dict[str, Any]]]:
    """What ``__reduce__`` returns for ``obj``, a dataclass instance."""
    values = {}
    for f in fields(obj):
        value = getattr(obj, f.name)
        values[f.name] = dict(value) if isinstance(value, MappingProxyType) else value
    return _make, (type(obj), values)


def _make(cls: type, values: dict[str, Any]) -> Any:
    return cls(**values)
