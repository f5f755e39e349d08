r"""Commitments: amounts promised to a recipient's activity for several years.

.. math::

    \sum_{s \in S_k} x_{r_k,a_k,s,t} \ge M_k \qquad \forall t \in [t^{first}_k, t^{last}_k]

where :math:`S_k` is the commitment's stream, or every stream if it names none. Reads sheet
*Commitments* (recipient, activity, stream, first_year, last_year, amount per year, penalty).
"""

from __future__ import annotations

from collections import defaultdict
from fractions import Fraction

from fundopt.plan.verify.checks import Checks, F
from fundopt.plan.verify.facts import PlanFacts
from fundopt.problem.validation import rows, year_start


def check_commitments(ck: Checks, f: PlanFacts) -> None:
    by_line: dict[tuple[str, str, str], list[tuple[str, Fraction]]] = defaultdict(list)
    for (xr, xa, xs, xt), v in f.x.items():
        by_line[(xr, xa, xt)].append((xs, v))
    for _, c in rows(f.problem.commitments):
        cr, ca, cs = str(c["recipient"]), str(c["activity"]), c["stream"]
        for t in f.horizon:
            if year_start(c["first_year"]) <= year_start(t) <= year_start(c["last_year"]):
                got = sum(
                    (v for xs, v in by_line[(cr, ca, t)] if cs is None or xs == cs), Fraction(0)
                )
                ck.add(
                    "commitment",
                    f"commitment[{cr},{ca},{cs or '*'},{t}]",
                    got,
                    ">=",
                    F(c["amount"]),
                    year=t,
                    recipient=cr,
                    soft=c["penalty"] is not None,
                    detail=f"commitment to {cr}'s '{ca}' in {t}",
                )
