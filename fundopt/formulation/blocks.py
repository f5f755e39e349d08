"""Many rows of one kind as arrays, for :meth:`LpBuilder.rows_block`.

A row family that adds one row per line and year (stability's change, limit and mix rows)
describes each row as *segments*: the columns of one group of allocation columns (a
line-year, say) with one coefficient, or single auxiliary variables. :class:`Groups` holds
the groups (runs of the allocation columns sorted by some of their keys);
:func:`assemble` lays the segments out row by row, in the order given, as the compressed
rows ``rows_block`` takes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from fundopt.formulation.index import Codes

Segment = tuple[np.ndarray, np.ndarray, np.ndarray]  # (row of each entry, variable, coefficient)


@dataclass(frozen=True)
class Groups:
    """The allocation columns in runs of equal values of some keys (e.g. recipient,
    activity, year): ``order[starts[g]:starts[g] + sizes[g]]`` are group ``g``'s columns,
    groups in key order; ``code[key][g]`` is the group's value of each key."""

    order: np.ndarray
    starts: np.ndarray
    sizes: np.ndarray
    code: dict[str, np.ndarray]

    @staticmethod
    def of(codes: Codes, *keys: str) -> Groups:
        order, starts = codes.runs(*keys)
        sizes = np.diff(np.append(starts, len(order))).astype(np.int64)
        first = order[starts]
        return Groups(order, starts, sizes, {k: codes.code[k][first] for k in keys})

    def __len__(self) -> int:
        return len(self.starts)

    def members(self, groups: np.ndarray, rows: np.ndarray, coef: np.ndarray | float
                ) -> Segment:
        """The columns of ``groups`` (one per row, in ``rows``), each with the row's
        coefficient ``coef`` (a number, or one per row)."""
        lens = self.sizes[groups]
        total = int(lens.sum())
        ends = np.cumsum(lens)
        where = np.repeat(self.starts[groups] - (ends - lens), lens) + np.arange(total)
        coefs = np.repeat(np.broadcast_to(np.asarray(coef, dtype=float), lens.shape), lens)
        return np.repeat(rows, lens), self.order[where], coefs


def single(rows: np.ndarray, variables: np.ndarray, coef: np.ndarray | float) -> Segment:
    """One variable per row (an auxiliary one), each with its coefficient."""
    return rows, variables, np.broadcast_to(np.asarray(coef, dtype=float), rows.shape).copy()


def assemble(n_rows: int, segments: Sequence[Segment]) -> tuple[np.ndarray, np.ndarray,
                                                                  np.ndarray]:
    """(ptr, variables, coefficients) of ``n_rows`` rows: each row's entries in the order
    of the segments, then of each segment's own entries."""
    rows = np.concatenate([s[0] for s in segments])
    order = np.argsort(rows, kind="stable")
    ptr = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=n_rows))])
    cols = np.concatenate([s[1] for s in segments])[order]
    vals = np.concatenate([s[2] for s in segments])[order]
    return ptr.astype(np.int64), cols.astype(np.int64), vals
