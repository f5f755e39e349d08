r"""PCC local priorities: a force's own priorities keep their share; national priorities
may ring-fence only so much.

For force :math:`r` with local-priority activities :math:`L_r` (sheet *Local priorities*) and
national-priority activities :math:`N_r` (the SOC-threat activities not in :math:`L_r`):

.. math::

    \sum_{a \in L_r,s} x_{r,a,s,t} \ge \lambda_{r,t} X_{r,t}, \qquad
    \sum_{a \in L_r,s} x_{r,a,s,t} \ge \Lambda_{r,t}, \qquad
    \sum_{a \in N_r,s} x_{r,a,s,t} \le \nu_{r,t} X_{r,t}

Reads sheet *Local shares* (min_local_share :math:`\lambda`, min_local_amount
:math:`\Lambda`, max_national_share :math:`\nu`, penalty), in funded years only.
"""

from __future__ import annotations

from collections import defaultdict
from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd

from fundopt.plan.verify.checks import Checks, F
from fundopt.plan.verify.facts import PlanFacts, by_recipient_year
from fundopt.problem.validation import rows

#: (total, local, national) allocation of a recipient in a year
Sums = tuple[Fraction, Fraction, Fraction]


def check_local_priorities(ck: Checks, f: PlanFacts) -> None:
    chosen = by_recipient_year(f.problem.local_shares, f.horizon)
    if not chosen:
        return
    sums = _local_sums(f)
    nothing = (Fraction(0), Fraction(0), Fraction(0))
    for (r, t), row in chosen.items():
        if not f.funded(r, t):
            continue
        total, loc, nat = sums.get((r, t), nothing)
        soft = row["penalty"] is not None
        if row["min_local_share"] is not None:
            ck.add(
                "local_share",
                f"local_share[{r},{t}]",
                loc,
                ">=",
                F(row["min_local_share"]) * total,
                year=t,
                recipient=r,
                soft=soft,
                detail=f"{r}'s local-priority share in {t}",
            )
        if row["min_local_amount"] is not None:
            ck.add(
                "local_share",
                f"local_amount[{r},{t}]",
                loc,
                ">=",
                F(row["min_local_amount"]),
                year=t,
                recipient=r,
                soft=soft,
                detail=f"{r}'s local-priority amount in {t}",
            )
        if row["max_national_share"] is not None:
            ck.add(
                "national_share",
                f"national_share[{r},{t}]",
                nat,
                "<=",
                F(row["max_national_share"]) * total,
                year=t,
                recipient=r,
                soft=soft,
                detail=f"{r}'s national ring-fence in {t}",
            )


def _local_sums(f: PlanFacts) -> dict[tuple[str, str], Sums]:
    """Each (recipient, year)'s total, local-priority and national-priority allocation."""
    a = f.a
    local: dict[str, set[str]] = defaultdict(set)
    for _, lp in rows(f.problem.local_priorities):
        local[str(lp["recipient"])].add(str(lp["activity"]))
    pairs = {(r, act) for r, acts in local.items() for act in acts}
    is_local = np.array(
        [(r, act) in pairs for r, act in zip(a["recipient"], a["activity"], strict=True)],
        dtype=bool,
    )
    is_nat = ~is_local & (f.row_threat != "local_policing")
    amount = a["amount"].to_numpy()
    zero: Any = np.zeros(1, dtype=amount.dtype) if amount.dtype.kind == "i" else Fraction(0)
    parts = pd.DataFrame(
        {
            "recipient": a["recipient"],
            "year": a["year"],
            "total": amount,
            "local": np.where(is_local, amount, zero),
            "national": np.where(is_nat, amount, zero),
        }
    )
    grouped = parts.groupby(["recipient", "year"], sort=False).sum() if len(parts) else parts
    return {
        (r, t): (F(_plain(total)), F(_plain(loc)), F(_plain(nat)))
        for (r, t), total, loc, nat in zip(
            grouped.index, grouped["total"], grouped["local"], grouped["national"], strict=True
        )
    }


def _plain(v: Any) -> Any:
    return int(v) if isinstance(v, np.integer) else v
