"""Priority tiers, hand-worked (docs/formulation.md, "Priority tiers"): each tier is
optimised in turn, the tiers before it held within their give; a minimised and a
maximised goal in one problem (HiGHS's own lexicographic mode minimises a maximised
objective: fundopt states every tier in its own sense and checks it here)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pytest
import scipy.sparse as sp
from builders import M, frame, tiny, values

import fundopt as fo
from fundopt.problem.funding_problem import Settings
from fundopt.solver import tiers


def need_then_value(give: float | None) -> fo.FundingProblem:
    """One year, £100m of core grant; a pound to a is worth 2, to b 1; equal need weights.
    Tier 1: need (pounds away from needs-based shares, minimised) with ``give``; tier 2:
    value (maximised); stability is added as tier 3."""
    recipients = frame(recipient=["a", "b"], name=["Force A", "Force B"],
                       kind=["force", "force"], region=["north", "south"],
                       need_weight=[1.0, 1.0])
    return tiny(recipients=recipients, value_tranches=values(a=2.0, b=1.0),
                settings=Settings(need_penalty=0.0, volatility_penalty=0.0),
                priorities=frame(tier=[1, 2], goal=["need", "value"], weight=[None, None],
                                 give=[give, None]))


def amounts(plan: fo.Plan) -> dict[str, int]:
    return dict(zip(plan.allocations["recipient"], plan.allocations["amount"], strict=True))


def test_a_minimised_tier_then_a_maximised_one() -> None:
    # by hand: tier 1's best is 0 pounds away from need (a and b get £50m each); with no
    # give, value (tier 2) cannot move a pound: 2 x 50m + 1 x 50m = £150m. Maximising
    # need instead (the sense trap) would give one force everything
    plan = fo.solve(need_then_value(0.0))
    assert amounts(plan) == {"a": 50 * M, "b": 50 * M}
    t = plan.tiers.set_index("tier")
    assert list(t.index) == [1, 2, 3]
    assert list(t["sense"]) == ["minimised", "maximised", "minimised"]
    assert t.loc[1, "optimum"] == pytest.approx(0.0, abs=1e-3)
    assert t.loc[2, "optimum"] == pytest.approx(150 * M, abs=1e-3)
    assert t.loc[2, "achieved"] == pytest.approx(150 * M, abs=1e-3)
    assert t["certified"].all()
    assert plan.objective == pytest.approx(0.0, abs=1e-3)  # tier 1's optimum, maximised form


def test_a_tier_gives_up_at_most_its_give() -> None:
    # tier 1 may give up £10m of need; the LP uses half of it (the rest is rounding's):
    # £5m away from need is a £2.5m move from b to a, worth £2.5m of value:
    # a £52.5m, b £47.5m, value 2 x 52.5m + 47.5m = £152.5m
    plan = fo.solve(need_then_value(10 * M))
    assert amounts(plan) == {"a": 52_500_000, "b": 47_500_000}
    t = plan.tiers.set_index("tier")
    assert t.loc[1, "give_allowed"] == 10 * M
    assert t.loc[1, "achieved"] <= t.loc[1, "optimum"] + t.loc[1, "give_allowed"]
    assert t.loc[1, "give_used"] == pytest.approx(5 * M, abs=1.0)
    assert t.loc[2, "achieved"] == pytest.approx(152_500_000, abs=1.0)


def test_the_default_tiers_are_the_blended_objective_then_stability() -> None:
    # no Priorities rows: tier 1 is value less the settings' penalties, tier 2 stability;
    # the plan's objective is tier 1's optimum, as before tiers existed
    p = tiny(value_tranches=values(a=2.0, b=1.0),
             settings=Settings(need_penalty=0.05, volatility_penalty=0.02),
             priorities=frame(tier=[], goal=[], weight=[], give=[]))
    plan = fo.solve(p)
    t = plan.tiers
    assert list(t["goals"]) == ["value, need x 0.05, volatility x 0.02", "stability"]
    assert plan.objective == pytest.approx(t.loc[0, "optimum"], rel=1e-12)
    # the default give: a millionth of the money (£100m): £100
    assert t.loc[0, "give_allowed"] == pytest.approx(100.0)
    assert t.loc[0, "achieved"] >= t.loc[0, "optimum"] - t.loc[0, "give_allowed"]
    # what was optimised, tier by tier, in the repr and the notebook's table
    assert "tiers: tier 1 max value, need x 0.05, volatility x 0.02; tier 2 min stability" \
        in repr(plan)
    html = plan._repr_html_()
    assert "Optimised tier by tier" in html and "line and stream stability score" in html


def test_the_face_holds_the_solution_it_was_read_from_though_highs_solves_to_a_tolerance(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # a re-plan with a's and b's £50m confirmed; need weights 1 and 1.00000002, so a's
    # needs-based share of the £100m is £49,999,999.50 and a is 50p over it in every plan:
    # in the need row Y_a - share x total = over - under, over is 0.5e-6 model units (of
    # £1m). HiGHS leaves such a distance at 0 when it is under its tolerance (1e-7 units:
    # 8p on a generated 10k problem's re-plan), the need penalty its reduced cost and the
    # need row's dual 0; tier 1's answer is made so here (50p, beyond the tolerance, so
    # that HiGHS surely finds the face held exactly empty). The face holds over and under
    # at 0, and held exactly it has no point: the stability tier fell back to the tier
    # row (a 10.6 s re-plan on that problem, 2.9 s on the face). Loosened only where
    # tier 1's answer lies beyond a bound (the need row, by 50p), the face holds that
    # answer, and the stability tier is solved on it
    recipients = frame(recipient=["a", "b"], name=["Force A", "Force B"],
                       kind=["force", "force"], region=["north", "south"],
                       need_weight=[1.0, 1.00000002])
    year = "2026-27"
    p = tiny(recipients=recipients, value_tranches=values(a=2.0, b=1.0),
             settings=Settings(need_penalty=0.05, volatility_penalty=0.0),
             priorities=frame(tier=[], goal=[], weight=[], give=[]),
             previous_plan=frame(recipient=["a", "b"], year=[year, year],
                                 amount=[50 * M, 50 * M], status=["confirmed"] * 2,
                                 tolerance_share=[None, None], penalty=[None, None]))
    kept, solve_next = tiers.Face.kept, tiers._solve_next

    def as_highs_may_leave_it(face: tiers.Face, model: Any, solution: tiers.Snapshot
                              ) -> tiers.Face:
        b = model.builder
        over, under = (int(model.col_of_aux[b.aux_meaning.index((kind, f"need[a,{year}]"))])
                       for kind in ("need_over", "need_under"))
        x, d = solution.col_value.copy(), solution.col_dual.copy()
        assert x[over] == pytest.approx(0.5e-6, rel=1e-3)  # the 50p, as worked out
        row = np.flatnonzero([r.info.rule == f"need[a,{year}]" for r in b.rows])[0]
        y, activity = solution.row_dual.copy(), solution.row_value.copy()
        activity -= sp.csc_array(model.matrix)[:, [over]].toarray()[:, 0] * x[over]
        x[over], d[over], d[under], y[row] = 0.0, -0.05, -0.05, 0.0
        return kept(face, model, replace(solution, col_value=x, col_dual=d, row_dual=y,
                                         row_value=activity))

    solved: list[tuple[bool, int]] = []  # each stability LP: solved, columns held

    def spy(model: Any, k: int, start: Any = None, free: Any = tiers.NO_ROWS) -> Any:
        try:
            out = solve_next(model, k, start, free)
        except fo.SolverError:
            solved.append((False, int(np.sum(model.col_lower == model.col_upper))))
            raise
        solved.append((True, int(np.sum(model.col_lower == model.col_upper))))
        return out

    monkeypatch.setattr(tiers.Face, "kept", as_highs_may_leave_it)
    monkeypatch.setattr(tiers, "_solve_next", spy)
    plan = fo.solve(p)
    held = solved[0][1]
    assert held > 0  # the face holds columns
    # held exactly it has no point, and the answer lies 50p off it (beyond FAR_OFF_FACE),
    # so it is not tried: the face with the need row loosened to tier 1's answer at once
    assert solved == [(True, held)]
    # tried anyway (as when the answer lies within FAR_OFF_FACE of it), it fails first
    solved.clear()
    monkeypatch.setattr(tiers, "FAR_OFF_FACE", 1.0)
    assert amounts(fo.solve(p)) == {"a": 50 * M, "b": 50 * M}
    assert solved == [(False, held), (True, held)]
    assert amounts(plan) == {"a": 50 * M, "b": 50 * M}
    assert plan.tiers["certified"].all()


def test_a_large_problems_later_tiers_by_interior_point_reach_the_same_optimum(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # from LATER_TIER_IPM_FROM_COLUMNS columns the stability tier is solved by interior
    # point with crossover (at 100k, 15 s against 110 s by dual simplex); here a small
    # problem takes that path: the same optima, a plan that keeps every rule, and the same
    # plan each time (the method is pinned by the LP's size)
    from test_line_limits import line_rise

    p = line_rise()
    simplex = fo.solve(p)
    monkeypatch.setattr(tiers, "LATER_TIER_IPM_FROM_COLUMNS", 0)
    assert tiers.later_tier_options(1) == {"solver": "ipx", "run_crossover": "on",
                                          "simplex_dual_edge_weight_strategy": 1}
    ipm = fo.solve(p)
    again = fo.solve(p)
    assert ipm.passed and fo.verify(p, ipm).empty
    assert ipm.tiers["optimum"].tolist() == pytest.approx(simplex.tiers["optimum"].tolist(),
                                                          rel=1e-9)
    assert ipm.allocations.equals(again.allocations)
    assert ipm.certificate.passed


def test_a_kept_tiers_row_is_left_to_its_face_unless_the_answer_misses_it(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # on a kept tier's optimal face its tier row is slack, so HiGHS gets it free (presolve
    # drops it: a 400-recipient problem's stability tier 158 s -> 105 s by interior point);
    # an answer that misses it is solved again with the row in place. Tier 1 of line_rise
    # is worth £292.4m, its default give a millionth of the £200m: £200, half of it the LP's
    from test_line_limits import line_rise

    from fundopt.formulation import build_model
    from fundopt.solver.highs import compile_to_highs

    p = line_rise().replace(priorities=frame(tier=[], goal=[], weight=[], give=[]))
    solve_next = tiers._solve_next
    freed: list[int] = []  # rows given HiGHS free, each LP of a later tier as it is tried

    def spy(model: Any, k: int, start: Any = None, free: Any = tiers.NO_ROWS) -> Any:
        freed.append(len(free))
        return solve_next(model, k, start, free)

    monkeypatch.setattr(tiers, "_solve_next", spy)
    plan = fo.solve(p)
    assert freed == [1]  # on the face, tier 1's row free, and the answer keeps it
    t = plan.tiers.set_index("tier")
    assert t.loc[1, "give_allowed"] == pytest.approx(200.0)
    assert t.loc[1, "achieved"] == pytest.approx(292.4 * M, abs=1.0)  # the face keeps it
    assert plan.passed and fo.verify(p, plan).empty

    # the same plan as with the row in place, to the pound
    monkeypatch.setattr(tiers, "_solve_next",
                        lambda model, k, start=None, free=None: solve_next(model, k, start))
    assert plan.allocations.equals(fo.solve(p).allocations)

    # HiGHS holds the row's bounds again once the answer is read (rounding re-solves on it)
    monkeypatch.setattr(tiers, "_solve_next", spy)
    hm = compile_to_highs(build_model(p, pyomo=False))
    solved = tiers.solve_tiers(hm)
    assert solved is not None
    row = len(hm.row_lower)
    _, _, lower, upper, _ = hm.highs.getRows(1, np.array([row], dtype=np.int32))
    assert (lower[0], upper[0]) == (solved.model.row_lower[row], np.inf)
    assert np.isfinite(lower[0])

    # a face that holds nothing (every reduced cost taken as a tie): stability trades
    # tier 1's value, the answer misses the row, and the LP is solved again with it in
    # place: tier 1 gives up the LP's half of its give, £100, and no more
    freed.clear()
    monkeypatch.setattr(tiers, "FACE_TOLERANCE", np.inf)
    traded = fo.solve(p)
    assert freed == [1, 0]
    t = traded.tiers.set_index("tier")
    assert t.loc[1, "achieved"] == pytest.approx(292.4 * M - 100.0, abs=1.0)
    assert traded.passed and fo.verify(p, traded).empty


def test_a_kept_tiers_row_is_put_back_where_the_lp_without_it_is_unbounded(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # a looser LP can be unbounded where the LP is not: then it is solved with the row
    from test_line_limits import line_rise

    p = line_rise().replace(priorities=frame(tier=[], goal=[], weight=[], give=[]))
    expected = fo.solve(p)
    run, solve_next = tiers.run, tiers._solve_next
    freed: list[int] = []

    def unbounded_when_free(model: Any) -> Any:
        if freed and freed[-1]:
            raise fo.UnboundedError("as if the free row had bounded it")
        return run(model)

    def spy(model: Any, k: int, start: Any = None, free: Any = tiers.NO_ROWS) -> Any:
        freed.append(len(free))
        return solve_next(model, k, start, free)

    monkeypatch.setattr(tiers, "run", unbounded_when_free)
    monkeypatch.setattr(tiers, "_solve_next", spy)
    plan = fo.solve(p)
    assert freed == [1, 0]
    assert plan.allocations.equals(expected.allocations)
    assert plan.passed and plan.tiers["certified"].all()
