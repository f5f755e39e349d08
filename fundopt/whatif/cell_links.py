"""Scenarios that change other income, a share target or a cliff-edge fall rate, without a
new record of the LP.

As for envelope amounts (:mod:`fundopt.whatif.in_place`), the families that read these
cells said how: a row whose right-hand side other income makes carries an
:class:`~fundopt.formulation.builder.IncomeRhs` (cliff-edge and rise limits, local-priority
and national ring-fence rows, volatility rows), and a share target's row registers its
coefficients and words as made from its share
(:class:`~fundopt.formulation.builder.CellUse`).
So a scenario whose overrides only change other income amounts
(:class:`~fundopt.ScaleIncome`) or least shares of existing targets
(:class:`~fundopt.SetShareTarget`) has its problem made from the one changed column
(:meth:`~fundopt.FundingProblem.with_cells`, what validation would give) and its LP from
the base's record: those rows' bounds, or coefficients, and words worked out again by the
family's own functions, bit for bit. A cliff-edge fall rate (:class:`~fundopt.SetCliffEdge`
on existing rows) reaches more: the fall limits' coefficients, right-hand sides and words,
and every line and stream limit with a blank fall rate (the limits on a change within it,
the rows capping it, hard fall rules); the two families register those numbers as
``CellUse`` blocks too, worked out from the rate by the functions they build with.
Anything else (a new target, a new cliff-edge row, a share or rate of 0 or 100%, income
that appears or goes where the words say whether there is any, a new money scale, a value
validation refuses) goes the usual way. ``tests/test_cell_links.py`` holds the LP equal,
number for number, to a fresh record of the scenario's problem, and the plan to
:func:`fundopt.solve`'s.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import scipy.sparse as sp

from fundopt.errors import InputError
from fundopt.formulation.builder import LpBuilder, Place, Row
from fundopt.problem import FundingProblem
from fundopt.problem.scenarios import (
    Draft,
    RemoveContribution,
    ScaleIncome,
    Scenario,
    SetCliffEdge,
    SetShareTarget,
)
from fundopt.whatif.lp_arrays import ColumnArrays, with_row_bounds

ScenarioLp = tuple[FundingProblem, LpBuilder, ColumnArrays]


class CellLinks:
    """The base LP's rows that one column of one table makes, and how to change them:
    :meth:`scenario_lp` gives a scenario's problem, record and arrays (HiGHS's column
    order, ``arrays`` the base's), or None to go the usual way."""

    table = ""
    column = ""
    overrides: tuple[type, ...] = ()

    def __init__(self, problem: FundingProblem, base: LpBuilder, arrays: ColumnArrays,
                 col_of_var: np.ndarray) -> None:
        self.problem, self.base, self.arrays, self.col_of_var = problem, base, arrays, col_of_var
        self.usable = True
        self._keys: np.ndarray | None = None

    def entries(self, rows: np.ndarray, variables: np.ndarray) -> np.ndarray | None:
        """Where the entries (row, variable) are in the base's column-wise matrix, or None
        if one is not there (a coefficient of 0 is no entry: another shape)."""
        m = self.arrays.matrix
        if self._keys is None:  # per entry, column x rows + row: in order
            cols = np.repeat(np.arange(m.shape[1], dtype=np.int64), np.diff(m.indptr))
            self._keys = cols * m.shape[0] + m.indices
        cols = self.col_of_var[variables]
        wanted = cols * m.shape[0] + rows
        where = np.searchsorted(self._keys, wanted)
        found = (cols >= 0) & (where < len(self._keys))
        found[found] = self._keys[where[found]] == wanted[found]
        return where if found.all() else None

    def applies_to(self, scenario: Scenario) -> bool:
        return self.usable and bool(scenario.overrides) and all(
            isinstance(o, self.overrides) for o in scenario.overrides)

    def edited(self, scenario: Scenario) -> FundingProblem | None:
        """The scenario's problem if its overrides change only this column (no row added
        or removed, no setting), made without validating every table again; else None."""
        p = self.problem
        tables = p.tables()
        draft = Draft(dict(tables), p.settings)  # each override copies a table it changes
        try:
            for override in scenario.overrides:
                override.edit(draft)
        except (InputError, ValueError):
            return None  # the usual way says what is wrong
        before = tables[self.table]
        after = draft.tables[self.table]
        changed = [n for n, t in draft.tables.items() if t is not tables[n]]
        if (draft.settings is not p.settings or changed not in ([], [self.table])
                or not after.index.equals(before.index)
                or list(after.columns) != list(before.columns)
                or any(not after[c].equals(before[c]) for c in after.columns
                       if c != self.column)):
            return None
        return p.with_cells(self.table, self.column, after[self.column].tolist())

    def scenario_lp(self, scenario: Scenario) -> ScenarioLp | None:
        raise NotImplementedError


class IncomeLinks(CellLinks):
    """Other income amounts: the right-hand sides of the rows income makes."""

    table, column, overrides = "other_income", "amount", (ScaleIncome, RemoveContribution)

    def __init__(self, problem: FundingProblem, base: LpBuilder, arrays: ColumnArrays,
                 col_of_var: np.ndarray) -> None:
        super().__init__(problem, base, arrays, col_of_var)
        self.rows_of: dict[tuple[str, str], list[int]] = {}
        for i, rhs in sorted(base.rhs_income.items()):
            for key in rhs.keys:
                self.rows_of.setdefault(key, []).append(i)
        # a row income makes that was left out (it held with no terms) or is kept with no
        # terms (no allocation can meet it) could come or go with the income
        self.usable = not base.income_row_left_out and not set(base.unmeetable) & set(
            base.rhs_income)

    def scenario_lp(self, scenario: Scenario) -> ScenarioLp | None:
        problem = self.edited(scenario)
        if problem is None:
            return None
        b = self.base
        index = b.index.with_problem(problem, self.table)
        if index.money_scale != b.scale:
            return None
        old, new = b.index.income, index.income
        moved = sorted({k for k in old.keys() | new.keys()
                        if old.get(k, 0.0) != new.get(k, 0.0)})
        rows: dict[int, Row] = {}
        for i in sorted({i for k in moved for i in self.rows_of.get(k, ())}):
            recipe, row = b.rhs_income[i], b.rows[i]
            if recipe.words and any(bool(old.get(k, 0.0)) != bool(new.get(k, 0.0))
                                    for k in recipe.keys):
                return None  # its words say whether there is other income
            rhs = recipe.pounds(new)
            if rhs != row.rhs:
                rows[i] = replace(row, rhs=rhs)
        at = np.fromiter(rows, dtype=np.int64, count=len(rows))
        bound = np.array([rows[i].rhs for i in rows], dtype=float) / b.scale
        lower, upper = with_row_bounds(self.arrays.row_lower, self.arrays.row_upper, at, bound)
        return (problem, b.with_rows(index, rows, {}),
                replace(self.arrays, row_lower=lower, row_upper=upper))


class UseLinks(CellLinks):
    """A column of shares or rates whose numbers the families registered as made from its
    cells (:class:`~fundopt.formulation.builder.CellUse`)."""

    def __init__(self, problem: FundingProblem, base: LpBuilder, arrays: ColumnArrays,
                 col_of_var: np.ndarray) -> None:
        super().__init__(problem, base, arrays, col_of_var)
        self.uses = [u for u in base.cell_uses if (u.table, u.column) == (self.table,
                                                                          self.column)]
        self.usable = bool(self.uses)
        self._where: dict[int, np.ndarray | None] = {}  # per coefficient use, its entries

    def scenario_lp(self, scenario: Scenario) -> ScenarioLp | None:
        problem = self.edited(scenario)
        if problem is None:
            return None
        before = getattr(self.problem, self.table)[self.column]
        labels = before.index.to_numpy(dtype=np.int64)
        old = before.to_numpy(dtype=float)
        new = getattr(problem, self.table)[self.column].to_numpy(dtype=float)
        moved = (old != new) & ~(np.isnan(old) & np.isnan(new))  # a blank stays blank
        # a value of 0 or 100%, old or new, is another shape (no cap on a change within a
        # limit of 0, no fall rule at 100%, no coefficient where a share leaves nothing),
        # and so is none (a share target's bound set or taken away: its row comes or goes)
        if not ((old[moved] > 0) & (old[moved] < 1) & (new[moved] > 0) & (new[moved] < 1)).all():
            return None
        b, a = self.base, self.arrays
        order = np.argsort(labels)
        rhs: dict[int, float] = {}
        words: dict[int, str] = {}
        aux: dict[int, float] = {}
        bounds: list[tuple[np.ndarray, np.ndarray]] = []
        data = col_upper = None
        for k, use in enumerate(self.uses):
            mask = np.isin(use.positions, labels[moved])
            if not mask.any():
                continue
            cells = new[order][np.searchsorted(labels[order], use.positions)]
            at = use.at[mask]
            value = np.asarray(use.value(cells), dtype=float)[mask]
            if use.place is Place.COEFFICIENT:
                assert use.var is not None
                if k not in self._where:
                    self._where[k] = self.entries(use.at, use.var)
                where = self._where[k]
                if where is None:
                    return None
                data = a.matrix.data.copy() if data is None else data
                data[where[mask]] = value
            elif use.place is Place.RHS:
                rhs.update(zip(at.tolist(), value.tolist(), strict=True))
                bounds.append((at, value / b.scale))
            else:
                col_upper = a.col_upper.copy() if col_upper is None else col_upper
                cols = self.col_of_var[at]
                kept = cols >= 0
                col_upper[cols[kept]] = value[kept] / b.scale
                aux.update(zip((at - b.n_alloc).tolist(), (value / b.scale).tolist(),
                               strict=True))
            if use.words is not None:
                said = use.words(cells)
                words.update((int(use.at[j]), said[j]) for j in np.flatnonzero(mask).tolist())
        rows: dict[int, Row] = {}
        for i in rhs.keys() | words.keys():
            row = b.rows[i]
            info = row.info if i not in words else replace(row.info, description=words[i])
            rows[i] = replace(row, rhs=rhs.get(i, row.rhs), info=info)
        lower, upper = a.row_lower, a.row_upper
        if bounds:
            lower, upper = with_row_bounds(lower, upper, np.concatenate([r for r, _ in bounds]),
                                           np.concatenate([v for _, v in bounds]))
        matrix = a.matrix if data is None else sp.csc_array(
            (data, a.matrix.indices, a.matrix.indptr), shape=a.matrix.shape)
        arrays = replace(a, row_lower=lower, row_upper=upper, matrix=matrix,
                         col_upper=a.col_upper if col_upper is None else col_upper)
        index = b.index.with_problem(problem, self.table)
        # as for shares, the record keeps the base's coefficients (and income recipes):
        # the scenario's are in its arrays, which are what HiGHS is given
        return problem, b.with_rows(index, rows, aux), arrays


class ShareLinks(UseLinks):
    """Least shares of existing share targets: their rows' coefficients and words."""

    table, column, overrides = "share_targets", "min_share", (SetShareTarget,)


class CliffEdgeLinks(UseLinks):
    """Cliff-edge fall rates: the fall limits' coefficients, right-hand sides and words,
    and, for lines and streams with a blank fall rate, the limits on their change within
    it (bounds, the rows capping it, hard fall rules)."""

    table, column, overrides = "cliff_edges", "max_fall_rate", (SetCliffEdge,)
