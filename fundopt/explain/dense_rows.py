"""Rows that share a long run of columns, rewritten through one total column each.

The need penalty gives every recipient of a kind a row over *all* that kind's allocations
in a year (its distance from its needs-based share): 43 forces x 5 years of rows over some
2,000 columns each, 70% of the reference LP's 712,000 nonzeros. HiGHS's fixed cost of a
re-solve grows with the nonzeros, and bands re-solve the LP hundreds of times, so the LP
they solve gets, for each set of such rows, a column ``T`` with the row
``sum(x over the shared columns) - T = 0``, and each row's entries on the shared columns
become its most common coefficient times ``T`` plus what is left (its own columns). The
same LP, exactly (``T`` is determined); the reference LP falls to 192,000 nonzeros.

Generic: any rows of at least :data:`LONG` entries whose long columns (those in two or more
long rows) are the same set are rewritten; nothing here knows which family they are.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

#: A row with this many entries or more is long enough to be worth a total column.
LONG = 200


@dataclass(frozen=True)
class SharedTotals:
    """The rewritten matrix: the old rows, then one row per total column (``== 0``); the
    old columns, then the total columns (free). ``members[k]`` are the old columns that
    total column ``k`` adds up."""

    matrix: sp.csr_array
    members: tuple[np.ndarray, ...]

    @property
    def added(self) -> int:
        return len(self.members)


def share_long_rows(A: sp.csr_array) -> SharedTotals:
    """``A`` with its long rows rewritten through total columns (unchanged if none)."""
    A = sp.csr_array(A)
    A.sum_duplicates()
    n_rows, n_cols = A.shape
    lengths = np.diff(A.indptr)
    long_rows = np.flatnonzero(lengths >= LONG)
    if len(long_rows) < 2:
        return SharedTotals(A, ())
    in_long = np.repeat(lengths >= LONG, lengths)
    count = np.bincount(A.indices[in_long], minlength=n_cols)
    shared = in_long & (count[A.indices] >= 2)
    groups: dict[bytes, list[int]] = {}
    for i in long_rows.tolist():
        lo, hi = A.indptr[i], A.indptr[i + 1]
        columns = A.indices[lo:hi][shared[lo:hi]]
        if len(columns) >= LONG:
            groups.setdefault(np.sort(columns).astype(np.int64).tobytes(), []).append(i)
    sets = [(np.frombuffer(key, dtype=np.int64), rows) for key, rows in groups.items()
            if len(rows) >= 2]
    if not sets:
        return SharedTotals(A, ())
    data, keep = A.data.copy(), np.ones(A.nnz, dtype=bool)
    t_rows, t_cols, t_vals = [], [], []
    for k, (columns, rows) in enumerate(sets):
        member = np.zeros(n_cols, dtype=bool)
        member[columns] = True
        for i in rows:
            at = np.arange(A.indptr[i], A.indptr[i + 1])
            at = at[member[A.indices[at]]]
            values, counts = np.unique(data[at], return_counts=True)
            common = float(values[np.argmax(counts)])  # most frequent: ties to the smallest
            data[at] -= common
            keep[at[data[at] == 0.0]] = False
            t_rows.append(i)
            t_cols.append(n_cols + k)
            t_vals.append(common)
    row_of = np.repeat(np.arange(n_rows), lengths)
    parts_r = [row_of[keep], np.asarray(t_rows)]
    parts_c = [A.indices[keep].astype(np.int64), np.asarray(t_cols)]
    parts_v = [data[keep], np.asarray(t_vals)]
    for k, (columns, _) in enumerate(sets):
        parts_r.append(np.full(len(columns) + 1, n_rows + k))
        parts_c.append(np.append(columns, n_cols + k))
        parts_v.append(np.append(np.ones(len(columns)), -1.0))
    shape = (n_rows + len(sets), n_cols + len(sets))
    matrix = sp.csr_array((np.concatenate(parts_v),
                           (np.concatenate(parts_r), np.concatenate(parts_c))), shape=shape)
    return SharedTotals(matrix, tuple(columns for columns, _ in sets))
