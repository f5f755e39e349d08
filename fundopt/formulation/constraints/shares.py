r"""Strand and threat shares, e.g. prevent at least 6% of SOC funding in a year.

For a target with numerator activities :math:`A^{num}_k` (matching its strand and threat,
within its scope) and denominator activities :math:`A^{den}_k` (all activities in scope:
the SOC threats, or everything):

.. math::

    \sum_{a \in A^{num}_k} Y_{a,t} \ge m_k \sum_{a \in A^{den}_k} Y_{a,t}, \qquad
    \sum_{a \in A^{num}_k} Y_{a,t} \le M_k \sum_{a \in A^{den}_k} Y_{a,t}

with :math:`Y_{a,t} = \sum_{r,s} x_{r,a,s,t}`. Reads sheet *Share targets* (strand, threat,
scope, year, min_share :math:`m`, max_share :math:`M`, penalty); a trajectory is one row
per year.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fundopt._support import percent
from fundopt.formulation.builder import CellTerms, Family, LpBuilder, RowInfo, Sense
from fundopt.formulation.terms import Terms
from fundopt.problem.schema import ShareScope
from fundopt.problem.validation import rows


def add_share_targets(b: LpBuilder) -> None:
    idx = b.index
    if not len(idx.problem.share_targets):
        return
    for pos, g in rows(idx.problem.share_targets):
        soc = g["scope"] == ShareScope.SOC.value
        den = idx.column_mask("year", [g["year"]]) & idx.column_mask(
            "activity", idx.activities_where(soc=soc))
        num = den & idx.column_mask(
            "activity", idx.activities_where(g["threat"], g["strand"], soc=soc))
        num_cols = np.flatnonzero(num)
        other_cols = np.flatnonzero(den & ~num)
        what = " ".join(str(v) for v in (g["strand"], g["threat"]) if v is not None) or "all"
        of = "SOC funding" if g["scope"] == ShareScope.SOC.value else "all funding"
        key = f"{g['strand'] or '*'},{g['threat'] or '*'},{g['scope']},{g['year']}"
        src = (("share_targets", pos),)
        for bound, sense, word in (
            ("min_share", Sense.GE, "at least"),
            ("max_share", Sense.LE, "at most"),
        ):
            if g[bound] is None:
                continue
            m = float(g[bound])
            share = _Share(num_cols, other_cols, f"Share target: {what} gets {word} ",
                           f" of {of} in {g['year']}")
            b.row(
                share.terms(m),
                sense,
                0.0,
                RowInfo(
                    Family.SHARE_TARGET,
                    f"share_{bound[:3]}[{key}]",
                    share.words(m),
                    year=str(g["year"]),
                    sources=src,
                ),
                penalty=g["penalty"],
                cell_terms=CellTerms("share_targets", int(pos), bound, share.terms,
                                     share.words),
            )


@dataclass(frozen=True)
class _Share:
    """A share row's terms and words for its share ``m``: (1 - m) on the numerator's
    allocations, -m on the rest of the denominator's."""

    num: np.ndarray
    other: np.ndarray
    before: str  # the words before the share, and after it
    after: str

    def terms(self, m: float) -> Terms:
        return Terms.of(self.num, 1 - m) + Terms.of(self.other, -m)

    def words(self, m: float) -> str:
        return f"{self.before}{percent(m)}{self.after}"
