"""The two short cuts of a sweep: envelope changes without re-recording the LP, and
scenarios reported from the LP alone.

**Envelope amounts only.** The envelope family links each envelope row's bound and each
carry-forward limit to its cell of *Envelopes* (``rhs_from`` / ``upper_from`` of
:meth:`~fundopt.formulation.builder.LpBuilder.row`): the amount times a number, and
nothing else in the LP reads envelope amounts but the money scale. So a scenario whose
overrides only change envelope amounts (:class:`~fundopt.ScaleEnvelope`,
:class:`~fundopt.SetEnvelope`) changes those bounds alone, worked out here in NumPy the
way the family works them out, with no new record of the LP. It is taken only when the
amounts are finite and not negative and the money scale stays; anything else goes the
usual way. ``tests/test_sweep.py`` holds the LP it loads equal, number for number, to a
fresh build of the scenario's problem, and the rule words to the fresh plan's.

**The LP alone** (``sweep(..., whole_pounds=False)``): a scenario's objective, binding
rules and shadow prices straight from HiGHS's solution of priority tier 1 (the policy; the
later tiers, which only choose among its best plans, are not solved), with no whole-pound
rounding, verification or allocation tables, for a fast first look at many scenarios;
solve the ones that matter with :func:`fundopt.solve` for their verified plans.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from fundopt.formulation.builder import Cell, Family, LpBuilder, Row
from fundopt.formulation.constraints.envelopes import envelope_words
from fundopt.formulation.index import scale_for
from fundopt.plan.tables import RowKinds, prices_and_binding
from fundopt.problem import FundingProblem
from fundopt.problem.scenarios import ScaleEnvelope, Scenario, SetEnvelope
from fundopt.problem.validation import MAX_MONEY
from fundopt.solver.highs import HighsModel
from fundopt.solver.tiers import Snapshot
from fundopt.whatif.cell_links import CellLinks, ScenarioLp
from fundopt.whatif.lp_arrays import ColumnArrays, with_row_bounds

QUICK_OVERRIDES = (ScaleEnvelope, SetEnvelope)
BINDING_COLUMNS = ["family", "rule", "description", "shadow_price"]
PRICE_COLUMNS = ["family", "rule", "value"]


class EnvelopeLinks(CellLinks):
    """Where the base LP uses envelope amounts: the rows and carry limits the envelope
    family linked to a cell of *Envelopes* (``rhs_from`` / ``upper_from``)."""

    table, column, overrides = "envelopes", "amount", QUICK_OVERRIDES

    def __init__(self, problem: FundingProblem, base: LpBuilder, arrays: ColumnArrays,
                 col_of_var: np.ndarray) -> None:
        super().__init__(problem, base, arrays, col_of_var)
        env = problem.envelopes
        self.streams = env["stream"].to_numpy(dtype=object)
        self.years = env["year"].to_numpy(dtype=object)
        self.amounts = pd.to_numeric(env["amount"]).to_numpy(dtype=float)
        self.must = env["must_spend"].fillna(False).astype(bool).to_numpy()
        position = {int(label): i for i, label in enumerate(env.index)}

        def links(cells: dict[int, Cell]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
            mine = [(k, position[pos], factor) for k, (table, pos, column, factor)
                    in sorted(cells.items()) if (table, column) == ("envelopes", "amount")]
            return (np.array([k for k, _, _ in mine], dtype=np.int64),
                    np.array([i for _, i, _ in mine], dtype=np.int64),
                    np.array([f for _, _, f in mine], dtype=float))

        self.rows, self.row_cell, self.row_factor = links(base.rhs_from)
        self.aux, self.aux_cell, self.aux_factor = links(base.upper_from)
        envelope_rows = [i for i, r in enumerate(base.rows) if r.info.family is Family.ENVELOPE]
        self.usable = len(env) > 0 and sorted(self.rows.tolist()) == envelope_rows

    def scenario_lp(self, scenario: Scenario) -> ScenarioLp | None:
        """The scenario's problem (:meth:`~fundopt.FundingProblem.with_envelope_amounts`,
        what validation gives), record and arrays: new bounds only."""
        amounts = self.amounts_for(scenario)
        if amounts is None:
            return None
        problem = self.problem.with_envelope_amounts(amounts.tolist())
        if problem is None:  # an amount validation refuses: the usual way says why
            return None
        return problem, self.record(amounts, problem), self.bounds(amounts)

    def amounts_for(self, scenario: Scenario) -> np.ndarray | None:
        """The scenario's envelope amounts (rows of *Envelopes*), or None to go the usual
        way (an override that matches nothing, an amount that is not a finite number >= 0,
        or a new money scale: the usual way says what is wrong, or rebuilds)."""
        amounts = self.amounts
        for override in scenario.overrides:
            assert isinstance(override, QUICK_OVERRIDES)
            new = override.amounts(self.streams, self.years, amounts)
            if new is None:
                return None
            amounts = new
        # an amount validation refuses (implausibly large too) goes the usual way, which says
        # why naming the cell, even with whole_pounds=False
        if not (np.isfinite(amounts).all() and (amounts >= 0).all()
                and (amounts <= MAX_MONEY).all()):
            return None
        largest = float(amounts.max()) if len(amounts) else 0.0
        if scale_for(max(largest, self.base.index.largest_other_amount)) != self.base.scale:
            return None
        return amounts

    def record(self, amounts: np.ndarray, problem: FundingProblem) -> LpBuilder:
        """The base record with these envelope amounts: the linked rows' bounds and words
        and the carry limits, worked out as the envelope family does (``factor * amount``,
        then divided by the scale); every variable and coefficient is the base's, its index
        reads the scenario's ``problem``."""
        index = self.base.index.with_problem(problem)
        rows: dict[int, Row] = {}
        pounds = self.row_factor * amounts[self.row_cell]
        for i, cell, rhs in zip(self.rows.tolist(), self.row_cell.tolist(), pounds.tolist(),
                                strict=True):
            row = self.base.rows[i]
            if rhs != row.rhs:
                words = envelope_words(self.streams[cell], self.years[cell], rhs,
                                       bool(self.must[cell]))
                rows[i] = replace(row, rhs=rhs, info=replace(row.info, description=words))
        aux = dict(zip(self.aux.tolist(), self._limits(amounts).tolist(), strict=True))
        return self.base.with_rows(index, rows, aux)

    def _limits(self, amounts: np.ndarray) -> np.ndarray:
        return self.aux_factor * amounts[self.aux_cell] / self.base.scale

    def bounds(self, amounts: np.ndarray) -> ColumnArrays:
        """The base's arrays with these envelope amounts' row bounds and column limits."""
        a = self.arrays
        rhs = self.row_factor * amounts[self.row_cell] / self.base.scale
        row_lower, row_upper = with_row_bounds(a.row_lower, a.row_upper, self.rows, rhs)
        col_upper = a.col_upper.copy()
        cols = self.col_of_var[self.base.n_alloc + self.aux]
        kept = cols >= 0
        col_upper[cols[kept]] = self._limits(amounts)[kept]
        return replace(a, row_lower=row_lower, row_upper=row_upper, col_upper=col_upper)


def lp_results(hm: HighsModel, solution: Snapshot, kinds: RowKinds | None = None
               ) -> tuple[float, int, pd.DataFrame, pd.DataFrame]:
    """(objective £, iterations, binding rules, non-zero shadow prices) of ``hm``'s
    ``solution``, as :func:`fundopt.plan.tables.assemble_plan` works them out, without the
    whole-pound plan."""
    dual, value = solution.row_dual, solution.row_value
    rows = hm.builder.rows
    kinds = kinds or RowKinds(rows)
    price, bound = prices_and_binding(kinds, dual, value, hm.row_lower, hm.row_upper)
    binding = np.flatnonzero(bound)
    user = kinds.user
    priced = np.flatnonzero(user & (price != 0))
    words = [rows[i].info.description for i in binding.tolist()]
    return (
        solution.objective * hm.builder.scale,
        solution.iterations,
        pd.DataFrame({"family": kinds.family[binding], "rule": kinds.rule[binding],
                      "description": words, "shadow_price": price[binding]},
                     columns=BINDING_COLUMNS),
        pd.DataFrame({"family": kinds.family[priced], "rule": kinds.rule[priced],
                      "value": price[priced]}, columns=PRICE_COLUMNS),
    )
