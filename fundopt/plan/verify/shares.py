r"""Strand and threat shares, e.g. prevent at least 6% of SOC funding in a year.

For a target with numerator activities :math:`A^{num}_k` (matching its strand and threat,
within its scope) and denominator activities :math:`A^{den}_k` (all activities in scope:
the SOC threats, or everything):

.. math::

    \sum_{a \in A^{num}_k} Y_{a,t} \ge m_k \sum_{a \in A^{den}_k} Y_{a,t}, \qquad
    \sum_{a \in A^{num}_k} Y_{a,t} \le M_k \sum_{a \in A^{den}_k} Y_{a,t}

with :math:`Y_{a,t} = \sum_{r,s} x_{r,a,s,t}`. Reads sheet *Share targets* (strand, threat,
scope, year, min_share :math:`m`, max_share :math:`M`, penalty).
"""

from __future__ import annotations

from fundopt.plan.verify.checks import Checks, F
from fundopt.plan.verify.facts import PlanFacts, exact_sum
from fundopt.problem.validation import rows


def check_share_targets(ck: Checks, f: PlanFacts) -> None:
    for _, g in rows(f.problem.share_targets):
        den_mask = f.row_year == g["year"]
        if g["scope"] == "soc":
            den_mask &= f.row_threat != "local_policing"
        num_mask = den_mask.copy()
        if g["strand"] is not None:
            num_mask &= f.row_strand == g["strand"]
        if g["threat"] is not None:
            num_mask &= f.row_threat == g["threat"]
        den, num = exact_sum(f.a, den_mask), exact_sum(f.a, num_mask)
        tkey = f"{g['strand'] or '*'},{g['threat'] or '*'},{g['scope']},{g['year']}"
        for col, sense in (("min_share", ">="), ("max_share", "<=")):
            if g[col] is not None:
                ck.add(
                    "share_target",
                    f"share_{col[:3]}[{tkey}]",
                    num,
                    sense,
                    F(g[col]) * den,
                    year=str(g["year"]),
                    soft=g["penalty"] is not None,
                    detail=f"share target {tkey}",
                )
