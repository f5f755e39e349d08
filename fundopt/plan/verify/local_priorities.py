r"""PCC local priorities: a PCC keeps at least a share of its whole budget for its local
priorities, which bounds what it pays its regional unit; national priorities may take
only so much.

For every recipient :math:`r` with a row on sheet *Local shares*, with whole budget
:math:`W = X + I` (allocation plus other income), :math:`P` what its PCC pays out through
streams with ``paid_by`` = :math:`r` (:math:`P^{soc}` of it on SOC activities),
:math:`O = \sum_{a \notin L_r} Y + P` and :math:`G = \sum_{a \in N_r} Y + P^{soc}`:

.. math::

    W - O \ge \lambda W, \qquad W - O \ge \Lambda, \qquad G \le \nu W

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

#: (allocation, not kept local, national) of a recipient in a year, payments out included
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
        alloc, away, nat = sums.get((r, t), nothing)
        total = alloc + f.income[(r, t)]  # the whole budget
        loc = total - away
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
    """Each (recipient, year)'s allocation, the money it does not keep for its local
    priorities and the money on national priorities (what its PCC pays out included)."""
    a = f.a
    local: dict[str, set[str]] = defaultdict(set)
    for _, lp in rows(f.problem.local_priorities):
        local[str(lp["recipient"])].add(str(lp["activity"]))
    pairs = {(r, act) for r, acts in local.items() for act in acts}
    is_local = np.array(
        [(r, act) in pairs for r, act in zip(a["recipient"], a["activity"], strict=True)],
        dtype=bool,
    )
    is_soc = f.row_threat != "local_policing"
    payer = _payers(f)
    paid_by = a["stream"].map(payer).to_numpy(dtype=object)
    is_paid = np.array([p is not None and p == p for p in paid_by], dtype=bool)
    amount = a["amount"].to_numpy()
    zero: Any = np.zeros(1, dtype=amount.dtype) if amount.dtype.kind == "i" else Fraction(0)
    own = pd.DataFrame({"recipient": a["recipient"], "year": a["year"], "total": amount,
                        "away": np.where(~is_local, amount, zero),
                        "national": np.where(~is_local & is_soc, amount, zero)})
    out = pd.DataFrame({"recipient": paid_by[is_paid], "year": a["year"].to_numpy()[is_paid],
                        "total": np.where(is_paid, zero, zero)[is_paid],  # not its own
                        "away": amount[is_paid],
                        "national": np.where(is_soc, amount, zero)[is_paid]})
    parts = pd.concat([own, out], ignore_index=True)
    grouped = parts.groupby(["recipient", "year"], sort=False).sum() if len(parts) else parts
    return {
        (str(r), str(t)): (F(_plain(total)), F(_plain(away)), F(_plain(nat)))
        for (r, t), total, away, nat in zip(
            grouped.index, grouped["total"], grouped["away"], grouped["national"], strict=True
        )
    }


def _payers(f: PlanFacts) -> dict[str, str]:
    """Stream -> the recipient whose PCC pays it (column ``paid_by`` of *Streams*)."""
    s = f.problem.streams
    if "paid_by" not in s.columns:
        return {}
    return {str(k): str(v) for k, v in zip(s["stream"], s["paid_by"], strict=True)
            if v is not None and v == v}


def _plain(v: Any) -> Any:
    return int(v) if isinstance(v, np.integer) else v
