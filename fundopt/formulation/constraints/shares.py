r"""Strand and threat shares, e.g. prevent at least 6% of SOC funding in a year.

For a target with numerator activities :math:`A^{num}_k` (matching its strand and threat,
within its scope) and denominator activities :math:`A^{den}_k` (all activities in scope:
the SOC threats, or everything):

.. math::

    \sum_{a \in A^{num}_k} Y_{a,t} \ge m_k \sum_{a \in A^{den}_k} Y_{a,t}, \qquad
    \sum_{a \in A^{num}_k} Y_{a,t} \le M_k \sum_{a \in A^{den}_k} Y_{a,t}

with :math:`Y_{a,t} = \sum_{r,s} x_{r,a,s,t}`. Reads sheet *Share targets* (strand, threat,
scope, year, min_share :math:`m`, max_share :math:`M`, penalty); a trajectory is one row
per year.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fundopt._support import percent
from fundopt.formulation.builder import CellUse, Family, LpBuilder, Place, RowInfo, Sense
from fundopt.formulation.terms import Terms
from fundopt.problem.schema import ShareScope
from fundopt.problem.validation import rows


def add_share_targets(b: LpBuilder) -> None:
    idx = b.index
    if not len(idx.problem.share_targets):
        return
    for pos, g in rows(idx.problem.share_targets):
        soc = g["scope"] == ShareScope.SOC.value
        den = idx.column_mask("year", [g["year"]]) & idx.column_mask(
            "activity", idx.activities_where(soc=soc))
        num = den & idx.column_mask(
            "activity", idx.activities_where(g["threat"], g["strand"], soc=soc))
        num_cols = np.flatnonzero(num)
        other_cols = np.flatnonzero(den & ~num)
        what = " ".join(str(v) for v in (g["strand"], g["threat"]) if v is not None) or "all"
        of = "SOC funding" if g["scope"] == ShareScope.SOC.value else "all funding"
        key = f"{g['strand'] or '*'},{g['threat'] or '*'},{g['scope']},{g['year']}"
        src = (("share_targets", pos),)
        for bound, sense, word in (
            ("min_share", Sense.GE, "at least"),
            ("max_share", Sense.LE, "at most"),
        ):
            if g[bound] is None:
                continue
            m = float(g[bound])
            share = _Share(num_cols, other_cols, f"Share target: {what} gets {word} ",
                           f" of {of} in {g['year']}")
            made = len(b.rows)
            b.row(
                Terms(share.vars, share.coefficients(np.full(len(share.vars), m))),
                sense,
                0.0,
                RowInfo(
                    Family.SHARE_TARGET,
                    f"share_{bound[:3]}[{key}]",
                    share.words(np.array([m]))[0],
                    year=str(g["year"]),
                    sources=src,
                ),
                penalty=g["penalty"],
            )
            if len(b.rows) > made:  # its numbers as its share makes them (see CellUse)
                n = len(share.vars)
                b.cell_uses += [
                    CellUse("share_targets", bound, Place.COEFFICIENT, np.full(n, pos),
                            np.full(n, made), share.coefficients, var=share.vars),
                    # its right-hand side, 0 whatever the share, and its words
                    CellUse("share_targets", bound, Place.RHS, np.array([pos]),
                            np.array([made]), np.zeros_like, words=share.words)]


@dataclass(frozen=True)
class _Share:
    """A share row's coefficients and words as its share makes them: 1 - m on the
    numerator's allocations, -m on the rest of the denominator's."""

    num: np.ndarray
    other: np.ndarray
    before: str  # the words before the share, and after it
    after: str

    @property
    def vars(self) -> np.ndarray:
        return np.concatenate([self.num, self.other])

    def coefficients(self, m: np.ndarray) -> np.ndarray:
        """Per variable of :attr:`vars`, its coefficient at share ``m`` (one per variable)."""
        return np.where(np.arange(len(m)) < len(self.num), 1 - m, -m)

    def words(self, m: np.ndarray) -> list[str]:
        return [f"{self.before}{percent(v)}{self.after}" for v in m.tolist()]
