r"""Floors and caps on a recipient's allocation in a year.

.. math::

    X_{r,t} \ge F^{\pounds}_{r,t}, \quad X_{r,t} \ge \phi_{r,t} B_r, \quad
    X_{r,t} \le C^{\pounds}_{r,t}, \quad X_{r,t} \le \gamma_{r,t} B_r

each bound that is set a check of its own, in funded years only. Reads sheet *Floors and
caps* (floor_amount, floor_ratio :math:`\phi`, cap_amount, cap_ratio :math:`\gamma`,
penalty) and *Baselines* (:math:`B_r`); a row with a blank year applies to every year
without a row of its own.
"""

from __future__ import annotations

from fundopt.plan.verify.checks import Checks, F
from fundopt.plan.verify.facts import PlanFacts, by_recipient_year


def check_limits(ck: Checks, f: PlanFacts) -> None:
    for (r, t), lim in by_recipient_year(f.problem.limits, f.horizon).items():
        if not f.funded(r, t):
            continue
        soft = lim["penalty"] is not None
        # f.baseline[r] is read for every limit, set or not: see check_cliff_edges
        for col, fam, sense, scale in (
            ("floor_amount", "floor", ">=", None),
            ("floor_ratio", "floor", ">=", f.baseline[r]),
            ("cap_amount", "cap", "<=", None),
            ("cap_ratio", "cap", "<=", f.baseline[r]),
        ):
            if lim[col] is not None:
                rhs = F(lim[col]) * (scale if scale is not None else 1)
                ck.add(
                    fam,
                    f"{fam}_{col.split('_')[1]}[{r},{t}]",
                    f.by_ry[(r, t)],
                    sense,
                    rhs,
                    year=t,
                    recipient=r,
                    soft=soft,
                    detail=f"{fam} of {r} in {t}",
                )
