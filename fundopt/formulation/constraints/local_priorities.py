r"""PCC local priorities: a force's own priorities keep their share; national priorities
may ring-fence only so much.

For force :math:`r` with local-priority activities :math:`L_r` (sheet *Local priorities*) and
national-priority activities :math:`N_r` (the SOC-threat activities not in :math:`L_r`):

.. math::

    \sum_{a \in L_r,s} x_{r,a,s,t} \ge \lambda_{r,t} X_{r,t}, \qquad
    \sum_{a \in L_r,s} x_{r,a,s,t} \ge \Lambda_{r,t}, \qquad
    \sum_{a \in N_r,s} x_{r,a,s,t} \le \nu_{r,t} X_{r,t}

Reads sheet *Local shares* (min_local_share :math:`\lambda`, min_local_amount
:math:`\Lambda`, max_national_share :math:`\nu`, penalty). Shares are of the force's
allocation. PCC contributions to a regional unit are that unit's other income (sheet
*Other income*, with the contributor named), so a PCC pulling its contribution is a data
change that the cliff-edge rule then protects the unit against.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from fundopt._support import money, percent
from fundopt.formulation.builder import Family, LpBuilder, RowInfo, Sense
from fundopt.formulation.constraints.selection import rows_by_recipient_year
from fundopt.problem.validation import rows


def add_local_priorities(b: LpBuilder) -> None:
    idx = b.index
    p = idx.problem
    local: dict[str, set[str]] = defaultdict(set)
    for _, lp in rows(p.local_priorities):
        local[str(lp["recipient"])].add(str(lp["activity"]))
    codes = idx.codes
    act_code = codes.code["activity"]
    soc = np.array([idx.is_soc(a) for a in codes.names["activity"]], dtype=bool)
    for (r, t), (pos, row) in sorted(rows_by_recipient_year(p.local_shares, idx.horizon).items()):
        if t not in idx.funded_years(r):
            continue
        cols = idx.columns_of_recipient_year.get((r, t), np.zeros(0, dtype=np.int64))
        acts = act_code[cols]
        is_local = np.array([a in local[r] for a in codes.names["activity"]], dtype=bool)[acts]
        is_national = ~is_local & soc[acts]
        in_local, not_local = cols[is_local], cols[~is_local]
        national, not_national = cols[is_national], cols[~is_national]
        src = (("local_shares", pos),)
        if row["min_local_share"] is not None:
            s = float(row["min_local_share"])
            b.row(
                b.alloc_terms(in_local, 1 - s) + b.alloc_terms(not_local, -s),
                Sense.GE,
                0.0,
                RowInfo(
                    Family.LOCAL_SHARE,
                    f"local_share[{r},{t}]",
                    f"Local priorities: at least {percent(s)} of {r}'s allocation goes to "
                    f"its PCC's local priorities in {t}",
                    year=t,
                    recipient=r,
                    sources=src,
                ),
                penalty=row["penalty"],
            )
        if row["min_local_amount"] is not None:
            amt = float(row["min_local_amount"])
            b.row(
                b.alloc_terms(in_local),
                Sense.GE,
                amt,
                RowInfo(
                    Family.LOCAL_SHARE,
                    f"local_amount[{r},{t}]",
                    f"Local priorities: at least {money(amt)} of {r}'s allocation goes to "
                    f"its PCC's local priorities in {t}",
                    year=t,
                    recipient=r,
                    sources=src,
                ),
                penalty=row["penalty"],
            )
        if row["max_national_share"] is not None:
            s = float(row["max_national_share"])
            b.row(
                b.alloc_terms(national, 1 - s) + b.alloc_terms(not_national, -s),
                Sense.LE,
                0.0,
                RowInfo(
                    Family.NATIONAL_SHARE,
                    f"national_share[{r},{t}]",
                    f"National ring-fence: at most {percent(s)} of {r}'s allocation goes to "
                    f"national priorities in {t}",
                    year=t,
                    recipient=r,
                    sources=src,
                ),
                penalty=row["penalty"],
            )
