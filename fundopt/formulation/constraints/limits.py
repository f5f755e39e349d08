r"""Floors and caps on a recipient's allocation in a year.

.. math::

    X_{r,t} = \sum_{a,s} x_{r,a,s,t}, \qquad
    X_{r,t} \ge \max(F^{\pounds}_{r,t},\ \phi_{r,t} B_r), \qquad
    X_{r,t} \le \min(C^{\pounds}_{r,t},\ \gamma_{r,t} B_r)

each bound a separate row (so each has its own shadow price). Reads sheet *Floors and caps*
(floor_amount, floor_ratio :math:`\phi`, cap_amount, cap_ratio :math:`\gamma`, penalty);
:math:`B_r` is the recipient's baseline (sheet *Baselines*). A row with a blank year applies
to every funded year without a row of its own.
"""

from __future__ import annotations

from fundopt._support import money
from fundopt.formulation.builder import Family, LpBuilder, RowInfo, Sense
from fundopt.formulation.constraints.selection import rows_by_recipient_year


def add_limits(b: LpBuilder) -> None:
    idx = b.index
    chosen = rows_by_recipient_year(idx.problem.limits, idx.horizon)
    for (r, t), (pos, row) in sorted(chosen.items()):
        if t not in idx.funded_years(r):
            continue
        base = idx.baseline.get(r, 0.0)
        penalty = row["penalty"]
        bounds = []
        if row["floor_amount"] is not None:
            bounds.append((Family.FLOOR, "amount", Sense.GE, float(row["floor_amount"])))
        if row["floor_ratio"] is not None:
            bounds.append((Family.FLOOR, "ratio", Sense.GE, float(row["floor_ratio"]) * base))
        if row["cap_amount"] is not None:
            bounds.append((Family.CAP, "amount", Sense.LE, float(row["cap_amount"])))
        if row["cap_ratio"] is not None:
            bounds.append((Family.CAP, "ratio", Sense.LE, float(row["cap_ratio"]) * base))
        for family, how, sense, amount in bounds:
            word = "at least" if sense is Sense.GE else "at most"
            b.row(
                b.total(r, t),
                sense,
                amount,
                RowInfo(
                    family,
                    f"{family.value}_{how}[{r},{t}]",
                    f"{family.value.capitalize()}: {r} gets {word} {money(amount)} in {t}",
                    year=t,
                    recipient=r,
                    sources=(("limits", pos),),
                ),
                penalty=penalty,
            )
