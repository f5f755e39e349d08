"""What a solve works out beside the plan: reasons, ranging and bands (docs/formulation.md,
"Bands", "Reasons", "Ranging").

Two calls: :meth:`FirstSolve.read` right after tier 1's solve, before any later priority
tier or rounding's re-solves move the LP (HiGHS ranges the basis it has; tier 1's duals
are the shadow prices: they describe the policy, not the tie-break), with
:meth:`FirstSolve.with_bands` after the last policy tier (bands range over its optimal
face, :func:`fundopt.explain.face.policy_face`), which starts the bands on threads of
their own while the later tiers, rounding and the check go on
(:class:`fundopt.explain.bands.BandWork`); :func:`fundopt.plan.solve.solve_with_explanations`
makes both. Then :func:`add_explanations` once the whole-pound plan is assembled, which
waits for the bands. Neither touches the loaded LP, so the plan is the same with or
without them. ``solve`` asks for reasons and ranging (and bands if told); a sweep's
scenarios get none.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from fundopt.explain.bands import BandOptions, BandWork, empty_bands
from fundopt.explain.face import LpPoint, policy_face
from fundopt.explain.ranging import empty_sensitivity, ranging_table, read_ranging
from fundopt.explain.reasons import AtPlan, Bands, empty_reasons, funded_columns, reasons_table
from fundopt.plan.plan import Plan
from fundopt.plan.tables import RowKinds, prices_and_binding

if TYPE_CHECKING:
    from fundopt.solver.highs import HighsModel


@dataclass(frozen=True)
class Explanations:
    """What to work out beside the plan: reasons and ranging (cheap: a look at the binding
    rules, one call to HiGHS on the optimal basis) and bands (two warm re-solves per
    recipient-year: asked for)."""

    reasons: bool = True
    ranging: bool = True
    bands: BandOptions | None = None

    @property
    def any(self) -> bool:
        return self.reasons or self.ranging or self.bands is not None

    @classmethod
    def of(cls, bands: bool | BandOptions | None) -> Explanations:
        """``solve``'s ``bands`` argument: True for the default :class:`BandOptions`."""
        if bands is True:
            return cls(bands=BandOptions())
        return cls(bands=bands or None)


#: None: what a sweep's scenarios get (each would add to every scenario, about 10% on
#: the reference model); solve the scenario that matters for its reasons and ranging.
NONE = Explanations(reasons=False, ranging=False)


@dataclass(frozen=True)
class FirstSolve:
    """The LP's optimum, basis and ranging, read before rounding touches the LP."""

    explanations: Explanations
    point: LpPoint | None
    ranging: tuple[np.ndarray, ...] | None
    seconds: float
    #: tier 1's LP as HiGHS held it (rows first needed by a later tier free), which the
    #: point, shadow prices and ranging describe
    model: HighsModel | None = None
    #: the bands, being worked out on the last policy tier's face (None: not asked for)
    bands: BandWork | None = None

    @classmethod
    def read(cls, hm: HighsModel, explanations: Explanations) -> FirstSolve:
        t0 = time.perf_counter()
        if not explanations.any:
            return cls(explanations, None, None, 0.0)
        bands = explanations.bands is not None
        point = LpPoint.read(hm.highs, basis=explanations.ranging or bands, columns=bands)
        ranging = read_ranging(hm.highs) if explanations.ranging else None
        return cls(explanations, point, ranging, time.perf_counter() - t0, hm)

    def with_bands(self, model: HighsModel) -> FirstSolve:
        """This, with the bands started on the face of ``model`` (the last policy tier's
        LP, just solved: tier 1's is the one :meth:`read` read)."""
        options = self.explanations.bands
        if options is None:
            return self
        point = self.point if model is self.model and self.point is not None \
            else LpPoint.read(model.highs)
        work = BandWork(model, policy_face(model, point, options.give_pounds), options)
        return replace(self, bands=work)

    def cancel(self) -> None:
        """Stop the bands (the solve did not get as far as using them)."""
        if self.bands is not None:
            self.bands.cancel()


def add_explanations(plan: Plan, hm: HighsModel, first: FirstSolve) -> Plan:
    """The plan with its reasons, sensitivity and bands as asked, and the analyst's own
    rules it keeps; their times in ``plan.solver.times``."""
    point, options = first.point, first.explanations
    if point is None:
        return replace(plan, own_rules=hm.builder.own_rules)
    hm = first.model or hm  # tier 1's LP: what the point describes
    times = dict(plan.solver.times)
    t0 = time.perf_counter()
    kinds = RowKinds(hm.builder.rows)
    price, binding = prices_and_binding(kinds, point.row_dual, point.row_value, hm.row_lower,
                                        hm.row_upper)
    sensitivity = empty_sensitivity()
    if first.ranging is not None:
        sensitivity = ranging_table(plan.problem, hm, point, first.ranging, price, binding)
        times["ranging"] = first.seconds + time.perf_counter() - t0
    totals = plan.allocations.groupby(["recipient", "year"], as_index=False)["amount"].sum()
    allocated: dict[tuple[str, ...], int] = {
        (str(r), str(t)): int(v)
        for r, t, v in totals.itertuples(index=False, name=None)}
    bands, banded = empty_bands(), None
    if options.bands is not None and first.bands is not None:
        t1 = time.perf_counter()  # what is left of the bands' work by now
        with_lines = dict(allocated)
        with_lines.update({(str(r), str(a), str(s), str(t)): int(v) for r, a, s, t, v in
                           plan.allocations.itertuples(index=False, name=None)})
        run = first.bands.result(with_lines)
        bands = run.table
        times["bands_work"] = run.seconds  # on their threads, from start to finish
        totals_only = bands[bands["activity"] == ""]
        banded = Bands({(r, t): (lo, hi) for r, t, lo, hi in totals_only[
            ["recipient", "year", "least", "most"]].itertuples(index=False, name=None)},
            options.bands.set_by_rules_below, options.bands.give_pounds)
        times["bands"] = time.perf_counter() - t1  # what the solve waited for them
    reasons = empty_reasons()
    if options.reasons:
        t2 = time.perf_counter()
        # the rules that bind and the allocations funded in the plan returned (as in
        # plan.binding and plan.allocations), not at tier 1's point: the later tiers may
        # choose another of the equally good plans
        at_plan = AtPlan(kinds.named(plan.binding["rule"]),
                         funded_columns(hm.builder.index, plan.allocations))
        reasons = reasons_table(plan.problem, hm, point.col_value, at_plan, price, allocated,
                                banded)
        times["reasons"] = time.perf_counter() - t2
    return replace(plan, reasons=reasons, sensitivity=sensitivity, bands=bands,
                   own_rules=hm.builder.own_rules, solver=replace(plan.solver, times=times))
