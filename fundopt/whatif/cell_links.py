"""Scenarios that change other income or a share target, without a new record of the LP.

As for envelope amounts (:mod:`fundopt.whatif.in_place`), the families that read these
cells said how: a row whose right-hand side other income makes carries an
:class:`~fundopt.formulation.builder.IncomeRhs` (cliff-edge and rise limits, local-priority
and national ring-fence rows, volatility rows), and a share target's row a
:class:`~fundopt.formulation.builder.CellTerms` (its coefficients and words from its share).
So a scenario whose overrides only change other income amounts
(:class:`~fundopt.ScaleIncome`) or least shares of existing targets
(:class:`~fundopt.SetShareTarget`) has its problem made from the one changed column
(:meth:`~fundopt.FundingProblem.with_cells`, what validation would give) and its LP from
the base's record: those rows' bounds, or coefficients, and words worked out again by the
family's own functions, bit for bit. Anything else (a new target, income that appears or
goes where the words say whether there is any, a new money scale, a value validation
refuses) goes the usual way. ``tests/test_cell_links.py`` holds the LP equal, number for
number, to a fresh record of the scenario's problem, and the plan to :func:`fundopt.solve`'s.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import scipy.sparse as sp

from fundopt.errors import InputError
from fundopt.formulation.builder import LpBuilder, Row
from fundopt.problem import FundingProblem
from fundopt.problem.scenarios import (
    Draft,
    RemoveContribution,
    ScaleIncome,
    Scenario,
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


class ShareLinks(CellLinks):
    """Least shares of existing share targets: their rows' coefficients and words."""

    table, column, overrides = "share_targets", "min_share", (SetShareTarget,)

    def __init__(self, problem: FundingProblem, base: LpBuilder, arrays: ColumnArrays,
                 col_of_var: np.ndarray) -> None:
        super().__init__(problem, base, arrays, col_of_var)
        self.rows = {link.position: i for i, link in base.cell_terms.items()
                     if (link.table, link.column) == (self.table, self.column)}
        self._places: sp.csr_array | None = None

    @property
    def places(self) -> sp.csr_array:
        """Per row, where each of its entries is in the column-wise matrix (plus 1)."""
        if self._places is None:
            m = self.arrays.matrix
            self._places = sp.csc_array((np.arange(1, m.nnz + 1, dtype=np.int64), m.indices,
                                         m.indptr), shape=m.shape).tocsr()
            self._places.sort_indices()
        return self._places

    def scenario_lp(self, scenario: Scenario) -> ScenarioLp | None:
        problem = self.edited(scenario)
        if problem is None:
            return None
        b, a = self.base, self.arrays
        before = getattr(self.problem, self.table)[self.column]
        after = getattr(problem, self.table)[self.column]
        rows: dict[int, Row] = {}
        data: np.ndarray | None = None
        for label, old, value in zip(before.index.tolist(), before.tolist(), after.tolist(),
                                     strict=True):
            if old == value:
                continue
            i = self.rows.get(int(label))
            if i is None or value is None:
                return None  # a share set where there was none, or none left: rows change
            link = b.cell_terms[i]
            terms = link.terms(value)
            cols = self.col_of_var[terms.vars]
            if not terms.coefs.all() or (cols < 0).any():
                return None  # a coefficient of 0 is no entry: another shape
            p = self.places
            lo, hi = p.indptr[i], p.indptr[i + 1]
            where = np.searchsorted(p.indices[lo:hi], cols)
            if (where >= hi - lo).any() or (p.indices[lo:hi][np.minimum(where, hi - lo - 1)]
                                            != cols).any():
                return None
            if data is None:
                data = a.matrix.data.copy()
            data[p.data[lo:hi][where] - 1] = terms.coefs
            rows[i] = replace(b.rows[i], info=replace(b.rows[i].info,
                                                      description=link.words(value)))
        index = b.index.with_problem(problem, self.table)
        matrix = a.matrix if data is None else sp.csc_array(
            (data, a.matrix.indices, a.matrix.indptr), shape=a.matrix.shape)
        # the record keeps the base's coefficients: the scenario's are in its arrays,
        # which are what HiGHS is given
        return problem, b.with_rows(index, rows, {}), replace(a, matrix=matrix)
