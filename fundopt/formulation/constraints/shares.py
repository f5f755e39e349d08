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

import numpy as np

from fundopt._support import percent
from fundopt.formulation.builder import Family, LpBuilder, RowInfo, Sense
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
            b.row(
                b.alloc_terms(num_cols, 1 - m) + b.alloc_terms(other_cols, -m),
                sense,
                0.0,
                RowInfo(
                    Family.SHARE_TARGET,
                    f"share_{bound[:3]}[{key}]",
                    f"Share target: {what} gets {word} {percent(m)} of {of} in {g['year']}",
                    year=str(g["year"]),
                    sources=src,
                ),
                penalty=g["penalty"],
            )
