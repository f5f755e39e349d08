r"""PCC local priorities: a PCC keeps at least a share of its whole budget for its local
priorities, which bounds what it may pay its regional unit or give to national priorities.

For every recipient :math:`r` with a row on sheet *Local shares* (whatever its kind; in
practice a force, whose PCC sets the shares), in every year :math:`t` it is funded:

- its whole budget :math:`W_{r,t} = X_{r,t} + I_{r,t}` (allocation plus other income, i.e.
  grant plus precept for a force);
- what its PCC pays out, :math:`P_{r,t} = \sum_{s: \mathrm{paid\_by}(s) = r}
  \sum_{r',a} x_{r',a,s,t}` (streams on sheet *Streams* with ``paid_by`` = :math:`r`, such
  as the PCC's contribution to its regional unit), and :math:`P^{soc}_{r,t}`, the part of it
  on serious and organised crime activities;
- what it does not keep for its local priorities :math:`L_r` (sheet *Local priorities*):
  :math:`O_{r,t} = \sum_{a \notin L_r} Y_{r,a,t} + P_{r,t}`;
- what goes to national priorities :math:`N_r = A^{soc} \setminus L_r`:
  :math:`G_{r,t} = \sum_{a \in N_r} Y_{r,a,t} + P^{soc}_{r,t}`.

.. math::

    W_{r,t} - O_{r,t} \ge \lambda_{r,t} W_{r,t}, \qquad
    W_{r,t} - O_{r,t} \ge \Lambda_{r,t}, \qquad
    G_{r,t} \le \nu_{r,t} W_{r,t}

The first is the issue's rule: the least share the PCC keeps for local priorities bounds
what it can give its regional unit, :math:`O_{r,t} \le (1-\lambda) W_{r,t}`. With no other
income and no streams paid by :math:`r` these are the allocation-only shares
:math:`\sum_{a \in L_r} Y \ge \lambda X`, :math:`\sum_{a \in L_r} Y \ge \Lambda`,
:math:`\sum_{a \in N_r} Y \le \nu X`. Reads *Local shares* (min_local_share
:math:`\lambda`, min_local_amount :math:`\Lambda`, max_national_share :math:`\nu`,
penalty), *Local priorities*, *Streams* (paid_by) and *Other income*. Money in £.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from fundopt._support import money, percent
from fundopt.formulation.builder import Family, IncomeRhs, LpBuilder, RowInfo, Sense
from fundopt.formulation.constraints.selection import rows_by_recipient_year
from fundopt.problem.validation import is_blank, rows

_NONE = np.zeros(0, dtype=np.int64)


def paid_by(problem: object) -> dict[str, list[str]]:
    """Recipient -> the streams its PCC pays (column ``paid_by`` of *Streams*)."""
    out: dict[str, list[str]] = defaultdict(list)
    streams = problem.streams  # type: ignore[attr-defined]
    if "paid_by" not in streams.columns:
        return out
    for _, s in rows(streams):
        if not is_blank(s["paid_by"]):
            out[str(s["paid_by"])].append(str(s["stream"]))
    return out


def add_local_priorities(b: LpBuilder) -> None:
    idx = b.index
    p = idx.problem
    local: dict[str, set[str]] = defaultdict(set)
    for _, lp in rows(p.local_priorities):
        local[str(lp["recipient"])].add(str(lp["activity"]))
    payers = paid_by(p)
    codes = idx.codes
    act_code = codes.code["activity"]
    soc = np.array([idx.is_soc(a) for a in codes.names["activity"]], dtype=bool)
    for (r, t), (pos, row) in sorted(rows_by_recipient_year(p.local_shares, idx.horizon).items()):
        if t not in idx.funded_years(r):
            continue
        own = idx.columns_of_recipient_year.get((r, t), _NONE)
        is_local = np.array([a in local[r] for a in codes.names["activity"]], dtype=bool)
        out_own = own[~is_local[act_code[own]]]
        national_own = own[~is_local[act_code[own]] & soc[act_code[own]]]
        paid = np.concatenate([idx.columns_of_stream_year.get((s, t), _NONE)
                               for s in payers.get(r, ())] or [_NONE])
        paid_soc = paid[soc[act_code[paid]]]
        income = float(idx.income.get((r, t), 0.0))
        words = _Words(r, t, income, (("local_shares", pos),))
        keys = ((r, t),)
        if row["min_local_share"] is not None:
            s = float(row["min_local_share"])
            # (1-s) X - (not local own) - paid >= -(1-s) I
            rhs = IncomeRhs(_less_share, (1 - s,), keys, words=True)
            b.row(b.total(r, t, 1 - s) + b.alloc_terms(out_own, -1.0)
                  + b.alloc_terms(paid, -1.0),
                  Sense.GE, rhs.pounds(idx.income),
                  words.info(Family.LOCAL_SHARE, "local_share",
                             f"at least {percent(s)} of {words.budget} stays on its "
                             "PCC's local priorities"),
                  penalty=row["penalty"], rhs_income=rhs)
        if row["min_local_amount"] is not None:
            amount = float(row["min_local_amount"])
            rhs = IncomeRhs(_less_income, (amount,), keys, words=True)
            b.row(b.total(r, t) + b.alloc_terms(out_own, -1.0) + b.alloc_terms(paid, -1.0),
                  Sense.GE, rhs.pounds(idx.income),
                  words.info(Family.LOCAL_SHARE, "local_amount",
                             f"at least {money(amount)} of {words.budget} stays on its "
                             "PCC's local priorities"),
                  penalty=row["penalty"], rhs_income=rhs)
        if row["max_national_share"] is not None:
            s = float(row["max_national_share"])
            # national own + paid soc - s X <= s I
            rhs = IncomeRhs(_share, (s,), keys, words=True)
            b.row(b.alloc_terms(national_own) + b.alloc_terms(paid_soc) + b.total(r, t, -s),
                  Sense.LE, rhs.pounds(idx.income),
                  words.info(Family.NATIONAL_SHARE, "national_share",
                             f"at most {percent(s)} of {words.budget} goes to national "
                             "priorities"),
                  penalty=row["penalty"], rhs_income=rhs)


def _less_share(keep: float, income: float) -> float:
    return -keep * income


def _less_income(amount: float, income: float) -> float:
    return amount - income


def _share(share: float, income: float) -> float:
    return share * income


class _Words:
    """The row names and descriptions of one recipient-year."""

    def __init__(self, r: str, t: str, income: float,
                 sources: tuple[tuple[str, int], ...]) -> None:
        self.r, self.t, self.sources = r, t, sources
        self.budget = (f"{r}'s whole budget (allocation plus other income)" if income
                       else f"{r}'s allocation")

    def info(self, family: Family, name: str, what: str) -> RowInfo:
        label = "National ring-fence" if family is Family.NATIONAL_SHARE else "Local priorities"
        return RowInfo(family, f"{name}[{self.r},{self.t}]", f"{label}: {what} in {self.t}",
                       year=self.t, recipient=self.r, sources=self.sources)
