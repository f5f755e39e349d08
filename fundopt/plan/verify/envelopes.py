r"""Envelopes: what each stream spends in a year, with carry-forward.

.. math::

    \sum_{r,a} x_{r,a,s,t} + c_{s,t} - c_{s,t-1} \le E_{s,t}
    \qquad (= \text{ if must-spend}),
    \qquad c_{s,t} \le \kappa_s E_{s,t} \ (0 \text{ out of the last year})

Reads sheets *Envelopes* (stream, year, amount, must_spend) and *Streams*
(carry_forward_share :math:`\kappa_s`), and the plan's carry-forwards :math:`c_{s,t}`.
"""

from __future__ import annotations

from collections import defaultdict
from fractions import Fraction

from fundopt.plan.verify.checks import Checks, F
from fundopt.plan.verify.facts import PlanFacts
from fundopt.problem.validation import rows


def check_envelopes(ck: Checks, f: PlanFacts) -> None:
    p, horizon = f.problem, f.horizon
    carry: defaultdict[tuple[str, str], Fraction] = defaultdict(Fraction)
    if f.carry_forward is not None:
        for _, c in rows(f.carry_forward):
            carry[(str(c["stream"]), str(c["year"]))] += F(c["amount"])
    share = {str(s["stream"]): F(s["carry_forward_share"] or 0) for _, s in rows(p.streams)}
    for _, e in rows(p.envelopes):
        s, t = str(e["stream"]), str(e["year"])
        prev = _previous(horizon, t)
        cin = carry[(s, prev)] if prev else Fraction(0)
        cout = carry[(s, t)]
        lhs = f.by_st[(s, t)] + cout - cin
        ck.add(
            "envelope",
            f"envelope[{s},{t}]",
            lhs,
            "==" if e["must_spend"] else "<=",
            F(e["amount"]),
            year=t,
            detail=f"stream '{s}' spends within its envelope in {t}",
        )
        ck.add(
            "carry",
            f"carry[{s},{t}]",
            cout,
            "<=",
            share[s] * F(e["amount"]) if t != horizon[-1] else Fraction(0),
            year=t,
            detail=f"carry-forward of '{s}' out of {t} within its allowed share",
        )


def _previous(horizon: tuple[str, ...], t: str) -> str:
    """The horizon year before ``t``; none (``""``) for the first."""
    i = horizon.index(t)
    return horizon[i - 1] if i > 0 else ""
