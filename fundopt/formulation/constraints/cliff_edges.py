r"""Cliff-edge smoothing: total funding may not fall (or rise) too fast.

Total funding is allocation plus other income, :math:`F_{r,t} = X_{r,t} + I_{r,t}`, with
:math:`X_{r,t_0} = B_r` in the baseline year :math:`t_0`. For every funded year whose
previous year the recipient also existed in:

.. math::

    F_{r,t} \ge (1 - d_{r,t}) F_{r,t-1}, \qquad
    F_{r,t} \le (1 + u_r) F_{r,t-1} \ \text{(if a rise limit is set)}

with :math:`d_{r,t} = d_r` except in the last year of a horizon of two or more years, where
:math:`d_{r,T} = \tau d_r` (setting ``terminal_fall_share`` :math:`\tau`, default 0.5), so the
final year, which nothing after it constrains, cannot become the place cuts are dumped.

A recipient with a baseline above zero whose last funded year :math:`L` falls inside the
horizon closes on a glide path instead of the fall and rise limits (always a hard rule,
whatever the penalty of its cliff-edge row): with :math:`m` funded horizon years and step
:math:`g = \lceil B_r/(m+1) \rceil` (whole pounds), its allocation falls by at most
:math:`g` a year and ends at most :math:`g` in year :math:`L`, so no single step
(including the last, to zero) exceeds :math:`g`:

.. math::

    X_{r,t_k} \ge X_{r,t_{k-1}} - g \ (k = 1..m,\ X_{r,t_0} = B_r), \qquad X_{r,L} \le g

Reads sheet *Cliff-edge limits* (recipient or blank for the default, max_fall_rate
:math:`d_r`, max_rise_rate :math:`u_r`, penalty), *Baselines*, *Other income*, *Recipients*.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np

from fundopt._support import money, percent
from fundopt.formulation.builder import (
    CellUse,
    Family,
    IncomeRhs,
    LpBuilder,
    Place,
    RowInfo,
    Sense,
)
from fundopt.problem.validation import rows


def cliff_edge_limits(table: Any) -> dict[str, tuple[int, dict[str, Any]]]:
    """recipient -> (position, row); key '' holds the default row."""
    return {
        ("" if r["recipient"] is None else str(r["recipient"])): (pos, r) for pos, r in rows(table)
    }


def add_cliff_edges(b: LpBuilder) -> None:
    idx = b.index
    p = idx.problem
    limits = cliff_edge_limits(p.cliff_edges)
    if not limits:
        return
    last = idx.horizon[-1]
    tau = p.settings.terminal_fall_share if len(idx.horizon) >= 2 else 1.0
    falls = _Falls()
    for r in sorted(idx.recipient_rows):
        pos, lim = limits.get(r) or limits.get("") or (None, None)
        if lim is None:
            continue
        rec = idx.recipient_rows[r]
        funded = idx.funded_years(r)
        closing = bool(rec["last_year"]) and funded and funded[-1] != last
        # a baseline of £0 (or none) has nothing to glide down from: fall limits as usual
        # (validation refuses a baseline for a recipient not funded in the baseline year)
        if closing and idx.baseline.get(r, 0.0) > 0:
            _add_glide_path(b, r, funded, int(pos or 0))
            continue
        for t in funded:
            prev = idx.previous(t)
            if not idx.exists_in(r, prev):
                continue
            _add_step(b, r, t, prev, lim, int(pos or 0), tau if t == last else 1.0, falls)
    falls.register(b)


Number = TypeVar("Number", float, np.ndarray)


def _keep(rate: Number, factor: Number) -> Number:
    """The share of last year's total funding a fall limit keeps: 1 - rate x factor."""
    return 1 - rate * factor


def _fall_words(r: str, t: str, prev: str, rate: float, factor: float) -> str:
    note = " (final-year limit)" if factor != 1.0 else ""
    return (f"Cliff edge: {r}'s total funding may fall at most {percent(rate * factor)} "
            f"from {prev} to {t}{note}")


@dataclass
class _Falls:
    """The fall limits' rows, as their fall rates make them (see CellUse): per row, its
    cell, factor, words and right-hand side's arguments; per entry of a previous year's
    column, its row."""

    rows: list[int] = field(default_factory=list)
    cells: list[int] = field(default_factory=list)
    factors: list[float] = field(default_factory=list)
    names: list[tuple[str, str, str]] = field(default_factory=list)
    rhs: list[tuple[float, float, float, float]] = field(default_factory=list)
    entries: list[tuple[int, int, np.ndarray, float]] = field(default_factory=list)

    def register(self, b: LpBuilder) -> None:
        if not self.rows:
            return
        rows, cells = np.array(self.rows, dtype=np.int64), np.array(self.cells, dtype=np.int64)
        factors, names, rhs = list(self.factors), list(self.names), list(self.rhs)

        def pounds(rates: np.ndarray) -> np.ndarray:
            return np.array([_step_rhs(_keep(d, f), *args) for d, f, args
                             in zip(rates.tolist(), factors, rhs, strict=True)])

        def words(rates: np.ndarray) -> list[str]:
            return [_fall_words(*n, d, f) for d, f, n in zip(rates.tolist(), factors, names,
                                                              strict=True)]

        column = ("cliff_edges", "max_fall_rate")
        b.cell_uses.append(CellUse(*column, Place.RHS, cells, rows, pounds, words=words))
        if self.entries:
            at = np.concatenate([np.full(len(v), i) for i, _, v, _ in self.entries])
            of = np.concatenate([np.full(len(v), c) for _, c, v, _ in self.entries])
            by = np.concatenate([np.full(len(v), f) for _, _, v, f in self.entries])
            var = np.concatenate([v for _, _, v, _ in self.entries])
            b.cell_uses.append(CellUse(*column, Place.COEFFICIENT, of, at,
                                       lambda rates: -_keep(rates, by), var=var))


def _add_step(
    b: LpBuilder, r: str, t: str, prev: str, lim: dict[str, Any], pos: int, factor: float,
    falls: _Falls,
) -> None:
    idx = b.index
    keys = ((r, prev), (r, t))
    first = prev == idx.baseline_year
    base = idx.baseline.get(r, 0.0)
    sources = (("cliff_edges", pos),)
    rate = float(lim["max_fall_rate"])
    keep = _keep(rate, factor)
    # F_t - (1-d) F_prev >= 0, with the known parts moved to the right-hand side
    terms = b.total(r, t)
    fall = IncomeRhs(_step_rhs, (keep, base, float(first)), keys)
    previous = b.total(r, prev, -keep)
    if not first:
        terms += previous
    made = len(b.rows)
    b.row(
        terms,
        Sense.GE,
        fall.pounds(idx.income),
        RowInfo(
            Family.CLIFF_EDGE,
            f"cliff_edge[{r},{t}]",
            _fall_words(r, t, prev, rate, factor),
            year=t,
            recipient=r,
            sources=sources,
        ),
        penalty=lim["penalty"],
        rhs_income=fall,
    )
    if len(b.rows) > made:  # (a row with no terms that holds is left out)
        falls.rows.append(made)
        falls.cells.append(pos)
        falls.factors.append(factor)
        falls.names.append((r, t, prev))
        falls.rhs.append((base, float(first), idx.income.get(keys[0], 0.0),
                          idx.income.get(keys[1], 0.0)))
        if not first and len(previous.vars):
            falls.entries.append((made, pos, previous.vars, factor))
    if lim["max_rise_rate"] is not None:
        u = float(lim["max_rise_rate"])
        terms = b.total(r, t)
        rise = IncomeRhs(_step_rhs, (1 + u, base, float(first)), keys)
        if not first:
            terms += b.total(r, prev, -(1 + u))
        b.row(
            terms,
            Sense.LE,
            rise.pounds(idx.income),
            RowInfo(
                Family.RISE_LIMIT,
                f"rise_limit[{r},{t}]",
                f"Rise limit: {r}'s total funding may rise at most {percent(u)} from {prev} to {t}",
                year=t,
                recipient=r,
                sources=sources,
            ),
            penalty=lim["penalty"],
            rhs_income=rise,
        )


def _step_rhs(keep: float, base: float, first: float, income_prev: float,
              income_t: float) -> float:
    """The right-hand side of a step's limit, ``keep`` F_prev - F_t's known part:
    ``keep`` times the previous year's income (and baseline, from the baseline year) less
    this year's income."""
    rhs = keep * income_prev - income_t
    if first:
        rhs += keep * base
    return rhs


def _add_glide_path(b: LpBuilder, r: str, funded: tuple[str, ...], pos: int) -> None:
    idx = b.index
    base = idx.baseline[r]
    step = float(math.ceil(base / (len(funded) + 1)))  # whole pounds, so whole pounds can follow
    sources = (("cliff_edges", pos), ("recipients", _position(idx.problem.recipients, r)))
    prev = idx.baseline_year
    for t in funded:
        terms = b.total(r, t)
        rhs = -step
        if prev == idx.baseline_year:
            rhs += base
        else:
            terms += b.total(r, prev, -1.0)
        b.row(
            terms,
            Sense.GE,
            rhs,
            RowInfo(
                Family.GLIDE_PATH,
                f"glide_path[{r},{t}]",
                f"Glide path: {r} closes after {funded[-1]}; its allocation may fall at "
                f"most {money(step)} from {prev} to {t}",
                year=t,
                recipient=r,
                sources=sources,
            ),
        )
        prev = t
    b.row(
        b.total(r, funded[-1]),
        Sense.LE,
        step,
        RowInfo(
            Family.GLIDE_PATH,
            f"glide_path_end[{r}]",
            f"Glide path: {r}'s allocation in its last year {funded[-1]} is at most "
            f"{money(step)}, so the step to closure is no cliff",
            year=funded[-1],
            recipient=r,
            sources=sources,
        ),
    )


def _position(table: Any, recipient: str) -> int:
    return int(table.index[table["recipient"] == recipient][0])
