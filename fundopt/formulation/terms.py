"""A row's terms as two arrays: variable numbers and their coefficients.

Constraint families build rows from whole groups of allocation columns (a recipient's
funding in a year is hundreds of columns at scale); as arrays, a group costs one NumPy
operation instead of one Python tuple per column. ``+`` joins terms in order, with other
``Terms`` or with a list of ``(variable, coefficient)`` pairs; :meth:`Terms.join` joins
many at once. Order is kept: a row's coefficients are summed in the order given.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

Term = tuple[int, float]  # (variable number, coefficient)


@dataclass(frozen=True, eq=False)
class Terms:
    vars: np.ndarray  # int64 variable numbers
    coefs: np.ndarray  # float64 coefficients

    @staticmethod
    def of(columns: Iterable[int] | np.ndarray, coef: float = 1.0) -> Terms:
        """Every one of ``columns`` with coefficient ``coef``."""
        cols = np.asarray(columns if isinstance(columns, np.ndarray) else list(columns),
                          dtype=np.int64)
        return Terms(cols, np.full(len(cols), float(coef)))

    @staticmethod
    def pairs(terms: Sequence[Term]) -> Terms:
        if not terms:
            return EMPTY
        return Terms(np.fromiter((v for v, _ in terms), dtype=np.int64, count=len(terms)),
                     np.fromiter((c for _, c in terms), dtype=float, count=len(terms)))

    @staticmethod
    def join(parts: Iterable[Terms | Sequence[Term]]) -> Terms:
        got = [p if isinstance(p, Terms) else Terms.pairs(p) for p in parts]
        if not got:
            return EMPTY
        return Terms(np.concatenate([p.vars for p in got]),
                     np.concatenate([p.coefs for p in got]))

    def __add__(self, other: Terms | Sequence[Term]) -> Terms:
        return Terms.join((self, other))

    def __radd__(self, other: Sequence[Term]) -> Terms:
        return Terms.join((other, self))

    def __len__(self) -> int:
        return len(self.vars)

    def __iter__(self) -> Iterator[Term]:
        return iter(zip(self.vars.tolist(), self.coefs.tolist(), strict=True))


EMPTY = Terms(np.zeros(0, dtype=np.int64), np.zeros(0))
