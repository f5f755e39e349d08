r"""National requirements (the Strategic Policing Requirement): least funding per threat.

.. math::

    \sum_{r \in R_k} \sum_{a:\ \theta(a) = \theta_k} \sum_s x_{r,a,s,t_k} \ge Q_k

where :math:`R_k` is every recipient, or those in the row's region. Reads sheet
*National requirements* (threat, year, region, amount, penalty).
"""

from __future__ import annotations

import numpy as np

from fundopt.plan.verify.checks import Checks, F
from fundopt.plan.verify.facts import PlanFacts, exact_sum
from fundopt.problem.validation import rows


def check_requirements(ck: Checks, f: PlanFacts) -> None:
    for _, q in rows(f.problem.requirements):
        mask = (f.row_year == q["year"]) & (f.row_threat == q["threat"])
        if q["region"] is not None:
            members = [r for r, rec in f.recs.items() if rec["region"] == q["region"]]
            mask &= np.isin(f.row_recipient, members)
        ck.add(
            "requirement",
            f"requirement[{q['threat']},{q['region'] or '*'},{q['year']}]",
            exact_sum(f.a, mask),
            ">=",
            F(q["amount"]),
            year=str(q["year"]),
            soft=q["penalty"] is not None,
            detail=f"national requirement for {q['threat']} in {q['year']}",
        )
