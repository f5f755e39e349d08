r"""A re-plan's promises, against the previous plan (sheet *Previous plan*).

.. math::

    X_{r,t} = P_k \ \text{(confirmed)}, \qquad
    \lceil (1-\tau_k) P_k \rceil \le X_{r,t} \le \lfloor (1+\tau_k) P_k \rfloor
    \ \text{(indicative, } \tau_k \text{ blank = 5\%)},

and, for an indicative figure in the first :math:`N_r` years of the horizon,
:math:`X_{r,t} \ge \lceil (1-c_r) P_k \rceil` (sheet *Notice periods*: the recipient's row, else the
blank-recipient one). Written again from docs/formulation.md, not from the LP code.
"""

from __future__ import annotations

import math
from fractions import Fraction

from fundopt.plan.verify.checks import Checks, F
from fundopt.plan.verify.facts import PlanFacts
from fundopt.problem.validation import rows

_DEFAULT_TOLERANCE = Fraction(5, 100)


def check_promises(ck: Checks, f: PlanFacts) -> None:
    p = f.problem
    notice = {("" if n["recipient"] is None else str(n["recipient"])): n
              for _, n in rows(p.notice_periods)}
    for _, row in rows(p.previous_plan):
        r, t = str(row["recipient"]), str(row["year"])
        if t not in f.horizon:
            continue
        got, amount, soft = f.by_ry[(r, t)], F(row["amount"]), row["penalty"] is not None
        if row["status"] != "indicative":
            ck.add("promise", f"promise[{r},{t}]", got, "==", amount, year=t, recipient=r,
                   soft=soft, detail=f"{r}'s confirmed allocation in {t}")
            continue
        share = _DEFAULT_TOLERANCE if row["tolerance_share"] is None \
            else F(row["tolerance_share"])
        ck.add("tolerance", f"tolerance_low[{r},{t}]", got, ">=",
               F(math.ceil((1 - share) * amount)),
               year=t, recipient=r, soft=soft,
               detail=f"{r}'s allocation in {t} within its tolerance (at least)")
        ck.add("tolerance", f"tolerance_high[{r},{t}]", got, "<=",
               F(math.floor((1 + share) * amount)),
               year=t, recipient=r, soft=soft,
               detail=f"{r}'s allocation in {t} within its tolerance (at most)")
        limit = notice.get(r) or notice.get("")
        if limit is not None and f.horizon.index(t) < int(limit["notice_years"]):
            ck.add("notice", f"notice[{r},{t}]", got, ">=",
                   F(math.ceil((1 - F(limit["max_cut_rate"])) * amount)), year=t, recipient=r,
                   soft=limit["penalty"] is not None,
                   detail=f"notice of a cut to {r}'s allocation in {t}")

