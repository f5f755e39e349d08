r"""National requirements (the Strategic Policing Requirement): least funding per threat.

.. math::

    \sum_{r \in R_k} \sum_{a:\ \theta(a) = \theta_k} \sum_s x_{r,a,s,t_k} \ge Q_k

where :math:`R_k` is every recipient, or those in the row's region. Reads sheet
*National requirements* (threat, year, region, amount, penalty).
"""

from __future__ import annotations

import numpy as np

from fundopt._support import money
from fundopt.formulation.builder import Family, LpBuilder, RowInfo, Sense
from fundopt.problem.validation import rows


def add_requirements(b: LpBuilder) -> None:
    idx = b.index
    if not len(idx.problem.requirements):
        return
    for pos, q in rows(idx.problem.requirements):
        mask = idx.column_mask("year", [q["year"]]) & idx.column_mask(
            "activity", idx.activities_where(q["threat"]))
        where = "nationally"
        if q["region"] is not None:
            mask &= idx.column_mask("recipient", idx.recipients_in_region[str(q["region"])])
            where = f"in region {q['region']}"
        amount = float(q["amount"])
        cols = np.flatnonzero(mask)
        b.row(
            b.alloc_terms(cols),
            Sense.GE,
            amount,
            RowInfo(
                Family.REQUIREMENT,
                f"requirement[{q['threat']},{q['region'] or '*'},{q['year']}]",
                f"National requirement: at least {money(amount)} on {q['threat']} {where} "
                f"in {q['year']}",
                year=str(q["year"]),
                sources=(("requirements", pos),),
            ),
            penalty=q["penalty"],
        )
