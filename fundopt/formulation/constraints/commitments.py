r"""Commitments: amounts promised to a recipient's activity for several years.

.. math::

    \sum_{s \in S_k} x_{r_k,a_k,s,t} \ge M_k \qquad \forall t \in [t^{first}_k, t^{last}_k]

where :math:`S_k` is the commitment's stream, or every stream if it names none. Reads sheet
*Commitments* (recipient, activity, stream, first_year, last_year, amount per year, penalty).
"""

from __future__ import annotations

from fundopt._support import money
from fundopt.formulation.builder import Family, LpBuilder, RowInfo, Sense
from fundopt.problem.validation import rows, year_start


def add_commitments(b: LpBuilder) -> None:
    idx = b.index
    for pos, c in rows(idx.problem.commitments):
        r, a, s = str(c["recipient"]), str(c["activity"]), c["stream"]
        lo, hi = year_start(str(c["first_year"])), year_start(str(c["last_year"]))
        amount = float(c["amount"])
        for t in idx.horizon:
            if not lo <= year_start(t) <= hi:
                continue
            cols = [
                col
                for col in idx.by_line_year.get((r, a, t), ())
                if s is None or idx.stream_of[col] == s
            ]
            via = f" from stream '{s}'" if s else ""
            b.row(
                b.alloc_terms(cols),
                Sense.GE,
                amount,
                RowInfo(
                    Family.COMMITMENT,
                    f"commitment[{r},{a},{s or '*'},{t}]",
                    f"Commitment: {r} gets at least {money(amount)} for '{a}'{via} in {t}",
                    year=t,
                    recipient=r,
                    stream=s or "",
                    sources=(("commitments", pos),),
                ),
                penalty=c["penalty"],
            )
