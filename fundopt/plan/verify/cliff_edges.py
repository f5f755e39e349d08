r"""Cliff edges: total funding may not fall (or rise) too fast; a closing recipient glides.

Total funding is allocation plus other income, :math:`F_{r,t} = X_{r,t} + I_{r,t}`, with
:math:`X_{r,t_0} = B_r` in the baseline year. For every funded year whose previous year the
recipient also existed in:

.. math::

    F_{r,t} \ge (1 - d_{r,t}) F_{r,t-1}, \qquad
    F_{r,t} \le (1 + u_r) F_{r,t-1} \ \text{(if a rise limit is set)}

with :math:`d_{r,T} = \tau d_r` in the last year of a horizon of two or more years (setting
``terminal_fall_share``), else :math:`d_r`. A recipient with a baseline above zero whose
last funded year :math:`L` falls inside the horizon closes on a glide path instead, with
:math:`m` funded years and step :math:`g = \lceil B_r/(m+1) \rceil`:

.. math::

    X_{r,t_k} \ge X_{r,t_{k-1}} - g \ (k = 1..m), \qquad X_{r,L} \le g

Reads sheet *Cliff-edge limits* (recipient or blank for the default, max_fall_rate
:math:`d_r`, max_rise_rate :math:`u_r`, penalty), *Baselines*, *Other income*, *Recipients*.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

from fundopt.plan.verify.checks import Checks, F
from fundopt.plan.verify.facts import PlanFacts
from fundopt.problem.validation import rows, year_start


def check_cliff_edges(ck: Checks, f: PlanFacts) -> None:
    limits = {
        ("" if c["recipient"] is None else str(c["recipient"])): c
        for _, c in rows(f.problem.cliff_edges)
    }
    if not limits:
        return
    horizon = f.horizon
    tau = F(f.problem.settings.terminal_fall_share) if len(horizon) >= 2 else Fraction(1)
    for r in sorted(f.recs):
        lim = limits.get(r, limits.get(""))
        if lim is None:
            continue
        my_years = [t for t in horizon if f.funded(r, t)]
        closing = f.recs[r]["last_year"] and my_years and my_years[-1] != horizon[-1]
        # a baseline above zero: a recipient with none (f.baseline is a defaultdict, so a
        # floor or cap checked earlier may have added it with zero) or £0 has nothing to
        # glide down from, and keeps its fall limits
        if closing and f.baseline.get(r, 0) > 0:
            _check_glide_path(ck, f, r, my_years)
        else:
            _check_year_on_year(ck, f, r, lim, my_years, tau)


def _exists(f: PlanFacts, r: str, t: str) -> bool:
    """Whether ``r`` exists in year ``t``, the baseline year included."""
    if t == f.base_year:
        first = f.recs[r]["first_year"]
        return not first or year_start(first) <= year_start(t)
    return bool(f.funded(r, t))


def _check_glide_path(ck: Checks, f: PlanFacts, r: str, my_years: list[str]) -> None:
    # the step is a whole number of pounds (rounded up) so whole pounds can follow it
    step = Fraction(math.ceil(f.baseline[r] / (len(my_years) + 1)))
    prev = f.base_year
    for t in my_years:
        ck.add(
            "glide_path",
            f"glide_path[{r},{t}]",
            f.alloc(r, t),
            ">=",
            f.alloc(r, prev) - step,
            year=t,
            recipient=r,
            detail=f"{r}'s glide path to closure, {prev} to {t}",
        )
        prev = t
    ck.add(
        "glide_path",
        f"glide_path_end[{r}]",
        f.alloc(r, my_years[-1]),
        "<=",
        step,
        year=my_years[-1],
        recipient=r,
        detail=f"{r}'s last step to closure",
    )


def _check_year_on_year(
    ck: Checks, f: PlanFacts, r: str, lim: dict[str, Any], my_years: list[str], tau: Fraction
) -> None:
    """The fall (and rise) limits on ``r``'s total funding, year by year; ``tau`` scales the
    fall limit in the last year of the horizon."""
    horizon = f.horizon
    years = (f.base_year, *horizon)
    soft = lim["penalty"] is not None
    for t in my_years:
        prev = years[years.index(t) - 1]
        if not _exists(f, r, prev):
            continue
        total = f.alloc(r, t) + f.income[(r, t)]
        total_prev = f.alloc(r, prev) + f.income[(r, prev)]
        d = F(lim["max_fall_rate"]) * (tau if t == horizon[-1] else 1)
        ck.add(
            "cliff_edge",
            f"cliff_edge[{r},{t}]",
            total,
            ">=",
            (1 - d) * total_prev,
            year=t,
            recipient=r,
            soft=soft,
            detail=f"{r}'s total funding falls at most {float(d):.4%} from {prev} to {t}",
        )
        if lim["max_rise_rate"] is not None:
            u = F(lim["max_rise_rate"])
            ck.add(
                "rise_limit",
                f"rise_limit[{r},{t}]",
                total,
                "<=",
                (1 + u) * total_prev,
                year=t,
                recipient=r,
                soft=soft,
                detail=f"{r}'s total funding rises at most {float(u):.4%} from {prev} to {t}",
            )
