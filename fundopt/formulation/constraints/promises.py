r"""A re-plan's promises: the previous plan's confirmed figures held, its indicative figures
kept within their tolerance, and cuts against it given notice.

For each row :math:`k` of sheet *Previous plan* (recipient :math:`r`, year :math:`t` of the
horizon, amount :math:`P_k`, tolerance :math:`\tau_k`, blank = 5%):

.. math::

    X_{r,t} = P_k \quad \text{(confirmed)}, \qquad
    \lceil (1-\tau_k) P_k \rceil \le X_{r,t} \le \lfloor (1+\tau_k) P_k \rfloor
    \quad \text{(indicative)},

and, for an indicative figure in one of the first :math:`N_r` years of the horizon
(sheet *Notice periods*: the recipient's row, else the blank-recipient default; cut limit
:math:`c_r`, notice :math:`N_r` years), :math:`X_{r,t} \ge \lceil (1-c_r) P_k \rceil`.
Limits are whole pounds (worked out exactly, with the binary value of each rate), as
:math:`P_k` is: many recipients held at fractional limits that add up to a whole envelope
could not all be met in whole pounds. Each row is hard
unless its sheet row has a penalty. With setting ``replan_change_penalty``
:math:`\psi > 0`, each indicative figure also has an accounting row
:math:`X_{r,t} - P_k = \delta^+_k - \delta^-_k` whose deviations cost :math:`\psi` per pound
in the objective, so an indicative figure moves only as far as it is worth. Money in
pounds; :math:`X_{r,t}` is the recipient's whole allocation in the year.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

from fundopt._support import money, percent
from fundopt.formulation.builder import Family, LpBuilder, RowInfo, Sense
from fundopt.problem.schema import DEFAULT_TOLERANCE_SHARE, YearStatus
from fundopt.problem.validation import rows


def notice_rows(table: Any) -> dict[str, tuple[int, dict[str, Any]]]:
    """recipient -> (position, row) of sheet *Notice periods*; key '' holds the default."""
    return {("" if r["recipient"] is None else str(r["recipient"])): (pos, r)
            for pos, r in rows(table)}


def tolerance_of(row: dict[str, Any]) -> float:
    """An indicative figure's tolerance (a share of the figure)."""
    share = row["tolerance_share"]
    return DEFAULT_TOLERANCE_SHARE if share is None else float(share)


def lowest(amount: float, share: float) -> float:
    """``amount`` less ``share`` of it, rounded up to the pound (exactly)."""
    return float(math.ceil((1 - Fraction(share)) * Fraction(amount)))


def highest(amount: float, share: float) -> float:
    """``amount`` plus ``share`` of it, rounded down to the pound (exactly)."""
    return float(math.floor((1 + Fraction(share)) * Fraction(amount)))


def add_promises(b: LpBuilder) -> None:
    idx = b.index
    p = idx.problem
    notice = notice_rows(p.notice_periods)
    psi = float(p.settings.replan_change_penalty)
    for pos, row in rows(p.previous_plan):
        r, t, amount = str(row["recipient"]), str(row["year"]), float(row["amount"])
        if t not in idx.horizon:
            continue  # validation refuses it; a problem built around it keeps it out
        source = (("previous_plan", pos),)
        if row["status"] != YearStatus.INDICATIVE.value:
            b.row(b.total(r, t), Sense.EQ, amount, RowInfo(
                Family.PROMISE, f"promise[{r},{t}]",
                f"Confirmed: {r} gets {money(amount)} in {t}, as the previous plan confirmed",
                year=t, recipient=r, sources=source), penalty=row["penalty"])
            continue
        _add_tolerance(b, r, t, amount, tolerance_of(row), source, row["penalty"])
        npos, limit = notice.get(r) or notice.get("") or (None, None)
        if limit is not None and idx.horizon.index(t) < int(limit["notice_years"]):
            cut = float(limit["max_cut_rate"])
            b.row(b.total(r, t), Sense.GE, lowest(amount, cut), RowInfo(
                Family.NOTICE, f"notice[{r},{t}]",
                f"Notice: {r}'s allocation in {t} falls at most {percent(cut)} below the "
                f"previous plan's {money(amount)} (a larger cut needs "
                f"{int(limit['notice_years'])} years' notice)",
                year=t, recipient=r, sources=(*source, ("notice_periods", int(npos or 0)))),
                penalty=limit["penalty"])
        if psi > 0:
            b.row(b.total(r, t), Sense.EQ, amount, RowInfo(
                Family.ACCOUNTING, f"indicative_change[{r},{t}]",
                f"Change of {r}'s allocation in {t} from the previous plan's indicative "
                f"{money(amount)}", year=t, recipient=r, sources=source), penalty=psi)


def _add_tolerance(b: LpBuilder, r: str, t: str, amount: float, share: float,
                   source: tuple[tuple[str, int], ...], penalty: float | None) -> None:
    for how, sense, limit in (("low", Sense.GE, lowest(amount, share)),
                              ("high", Sense.LE, highest(amount, share))):
        word = "at least" if sense is Sense.GE else "at most"
        b.row(b.total(r, t), sense, limit, RowInfo(
            Family.TOLERANCE, f"tolerance_{how}[{r},{t}]",
            f"Tolerance: {r} gets {word} {money(limit)} in {t} (the previous plan's indicative "
            f"{money(amount)}, {'-' if sense is Sense.GE else '+'}{percent(share)})",
            year=t, recipient=r, sources=source), penalty=penalty)
