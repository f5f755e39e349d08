r"""Hard line and stream limits: a line or stream may rise (or fall) at most so fast.

A *line* of recipient :math:`r` is an activity :math:`a` with
:math:`Y_{r,a,t} = \sum_s x_{r,a,s,t}`; a *stream* is :math:`s` with
:math:`Y_{r,s,t} = \sum_a x_{r,a,s,t}`. An item has allocation columns in every year
:math:`r` is funded when some *Eligibility* row lets a stream fund it. For every item with
a **hard** limit :math:`(\rho^-, \rho^+)` and every funded year :math:`t` whose previous
year :math:`r` existed in, with :math:`P` the item's amount in :math:`t-1` (in the first
horizon year its *Baselines* amount when every baseline row of :math:`r` names an item of
that level, 0 for an item none names; no rule when the baseline names no such level):

.. math::

    Y_t \le (1 + \rho^+) P, \qquad Y_t \ge (1 - \rho^-) P
    \ \text{(unless } \rho^- = 100\% \text{ or } P \text{ is the constant } 0)

The limit of an item: the row of its level naming the recipient and the item, else the
item alone, else the recipient alone, else the blank-blank row; no row, no hard limit. A
blank fall rate is the recipient's cliff-edge fall rate (its row, else the default row),
else 5%; a blank rise rate 10%. Soft limits shape the stability tier, not the rules, and
are not checked here. Reads sheets *Line and stream limits*, *Eligibility*, *Baselines*,
*Cliff-edge limits*, *Recipients*.
"""

from __future__ import annotations

from collections import defaultdict
from fractions import Fraction
from typing import Any

from fundopt.plan.verify.allocations import eligible
from fundopt.plan.verify.checks import Checks, F
from fundopt.plan.verify.facts import PlanFacts
from fundopt.problem.validation import rows, year_start

_ITEM = {"line": "activity", "stream": "stream"}
_RISE, _FALL = Fraction(1, 10), Fraction(1, 20)  # the defaults: 10% rise, 5% fall


def check_line_limits(ck: Checks, f: PlanFacts) -> None:
    table = [(pos, r) for pos, r in rows(f.problem.line_limits) if r["hard"]]
    if not table:
        return
    for level in ("line", "stream"):
        if any(r["level"] == level for _, r in table):
            _check_level(ck, f, level)


def _check_level(ck: Checks, f: PlanFacts, level: str) -> None:
    item = _ITEM[level]
    limits = {(r["recipient"] or "", r[item] or ""): r
              for _, r in rows(f.problem.line_limits) if r["level"] == level}
    amounts: dict[tuple[str, str, str], Fraction] = defaultdict(Fraction)
    for (xr, xa, xs, xt), v in f.x.items():
        amounts[(xr, xa if level == "line" else xs, xt)] += v
    base = _baseline_items(f, item)
    fall_default = _fall_defaults(f)
    for r in sorted(f.recs):
        years = [t for t in f.horizon if f.funded(r, t)]
        for k in _items(f, r, level):
            lim = _limit(limits, r, k)
            if lim is None or not lim["hard"]:
                continue
            fall = fall_default.get(r, fall_default.get("", _FALL)) \
                if lim["max_fall_rate"] is None else F(lim["max_fall_rate"])
            rise = _RISE if lim["max_rise_rate"] is None else F(lim["max_rise_rate"])
            for t in years:
                before = _previous(f, base, amounts, r, k, t)
                if before is None:
                    continue
                prev, p, constant = before
                got = amounts[(r, k, t)]
                name = f"{r},{k},{t}"
                what = f"{r}'s '{k}'" if level == "line" else f"{r}'s stream '{k}'"
                ck.add(f"{level}_limit", f"{level}_rise[{name}]", got, "<=", (1 + rise) * p,
                       year=t, recipient=r,
                       detail=f"{what} rises at most {float(rise):.4%} from {prev} to {t}")
                if fall < 1 and not (constant and p == 0):
                    ck.add(f"{level}_limit", f"{level}_fall[{name}]", got, ">=",
                           (1 - fall) * p, year=t, recipient=r,
                           detail=f"{what} falls at most {float(fall):.4%} from {prev} to {t}")


def _items(f: PlanFacts, r: str, level: str) -> list[str]:
    """The lines (activities) or streams some eligibility row lets ``r`` have."""
    table = rows(f.problem.eligibility)
    streams = sorted({str(e["stream"]) for _, e in table})
    found = {(a, s) for a in f.threat for s in streams if eligible(f, table, r, a, s)}
    return sorted({a if level == "line" else s for a, s in found})


def _limit(limits: dict[tuple[str, str], Any], r: str, k: str) -> Any:
    for key in ((r, k), ("", k), (r, ""), ("", "")):
        if key in limits:
            return limits[key]
    return None


def _fall_defaults(f: PlanFacts) -> dict[str, Fraction]:
    """recipient (or '' for the default row) -> its cliff-edge fall rate."""
    return {("" if c["recipient"] is None else str(c["recipient"])): F(c["max_fall_rate"])
            for _, c in rows(f.problem.cliff_edges)}


def _baseline_items(f: PlanFacts, item: str) -> dict[str, dict[str, Fraction]]:
    """recipient -> item -> baseline amount, for recipients whose every baseline row names
    an item of this level."""
    out: dict[str, dict[str, Fraction]] = {}
    every: dict[str, bool] = {}
    for _, b in rows(f.problem.baselines):
        r = str(b["recipient"])
        every[r] = every.get(r, True) and b[item] is not None
        if b[item] is not None:
            mine = out.setdefault(r, defaultdict(Fraction))
            mine[str(b[item])] += F(b["amount"])
    return {r: items for r, items in out.items() if every[r]}


def _previous(f: PlanFacts, base: dict[str, dict[str, Fraction]],
              amounts: dict[tuple[str, str, str], Fraction], r: str, k: str, t: str
              ) -> tuple[str, Fraction, bool] | None:
    """(the previous year, the item's amount then, whether it is a constant), or None when
    the item has no previous amount to change from."""
    years = (f.base_year, *f.horizon)
    prev = years[years.index(t) - 1]
    if prev == f.base_year:
        first = f.recs[r]["first_year"]
        existed = not first or year_start(first) <= year_start(prev)
        if not existed or r not in base:
            return None
        return prev, base[r].get(k, Fraction(0)), True
    if not f.funded(r, prev):
        return None
    return prev, amounts[(r, k, prev)], False
