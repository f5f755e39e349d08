"""The optimality certificate: from the LP's own matrix and HiGHS's duals, fundopt proves
the plan's LP optimal (docs/formulation.md, "Optimality certificate"); an answer that fails
it (a warm start's wrong "optimal", a stale bound) is re-solved cold, and recorded."""

from __future__ import annotations

import sys
from dataclasses import replace

import highspy
import numpy as np
import pytest
from builders import M, tiny, values
from whatif_problems import regional_problem

import fundopt as fo
from fundopt.plan.solve import build
from fundopt.solver import certificate as cert
from fundopt.solver.run import run
from fundopt.solver.tiers import solve_tiers


def half_pound_problem() -> fo.FundingProblem:
    """One year, £100,000,000.50 of core grant; a pound to force a is worth 2, to b 1."""
    return tiny(envelopes=[100 * M + 0.5], value_tranches=values(a=2.0, b=1.0))


def test_a_hand_worked_plan_is_certified_with_its_bound_and_rounding_cost() -> None:
    problem = half_pound_problem()
    # tier 1, the policy: by hand, every pound to a, worth 2: the LP's optimum and the dual
    # bound (the envelope's dual, 2, times its £100,000,000.50) are both £200,000,001
    tiers = solve_tiers(build(problem))
    assert tiers is not None and len(tiers.certificates) == 2
    c = tiers.certificates[0]
    assert c.passed and not c.resolved_cold and c.lp.startswith("priority tier 1 of 2")
    assert c.objective == pytest.approx(200_000_001.0, abs=1e-3)
    assert c.dual_bound == pytest.approx(200_000_001.0, abs=1e-3)
    assert abs(c.duality_gap) < 0.01 and c.primal_infeasibility < 0.01
    assert c.dual_infeasibility < 1e-9 and c.complementarity < 0.01
    # the plan's certificate is the last tier's (stability, tier 1 within its give): the
    # LP whose answer the plan is
    plan = fo.solve(problem)
    last = plan.certificate
    assert last is not None and last.passed and not last.resolved_cold
    assert last.lp.startswith("priority tier 2 of 2 (line and stream stability score")
    assert abs(last.duality_gap) < 0.01 and np.isfinite(last.rounding_cost)
    assert plan.tiers["certified"].all()
    # whole pounds: a gets £100,000,000 (the half pound cannot be given), worth £200m: tier
    # 1 gives up £1 of value for whole pounds
    assert plan.allocations["amount"].tolist() == [100_000_000]
    assert plan.tiers.loc[0, "achieved"] == pytest.approx(200_000_000.0, abs=1e-3)
    assert plan.tiers.loc[0, "give_used"] == pytest.approx(1.0, abs=1e-3)
    assert "whole pounds cost £" in last.summary()


def test_the_certificate_is_a_row_of_the_checks_table() -> None:
    plan = fo.solve(half_pound_problem())
    row = plan.checks.iloc[-1]
    assert (row["family"], row["rule"], bool(row["passed"])) == ("optimality", "certificate",
                                                                 True)
    assert "optimality certificate passed" in row["detail"]
    assert plan.passed and plan.solver.resolved_cold is False


def test_every_sweep_scenario_carries_a_passed_certificate() -> None:
    problem = regional_problem()
    scenarios = [fo.Scenario("soc +10%", (fo.ScaleEnvelope("soc", None, 1.1),)),
                 fo.Scenario("cliff 2%", (fo.SetCliffEdge(None, 0.02),))]
    for whole_pounds in (True, False):
        s = fo.sweep(problem, scenarios, progress=False, whole_pounds=whole_pounds).summary
        assert s["certified"].all() and not s["resolved_cold"].any()
        assert (s["duality_gap"].abs() < 1.0).all()


def wrong_basis_point(problem: fo.FundingProblem) -> cert.LpPoint:
    """What HiGHS holds when a warm start goes wrong (HiGHS issue 3194): the basic solution
    of a basis that is not optimal, here the all-slack start, read before any iteration."""
    hm = build(problem)
    h = hm.highs
    h.setOptionValue("simplex_iteration_limit", 0)
    h.setOptionValue("presolve", "off")
    h.run()
    return cert.read_point(hm)


def test_a_wrong_basis_fails_the_certificate_and_the_cold_solve_recovers(
        monkeypatch: pytest.MonkeyPatch) -> None:
    problem = regional_problem()
    truth = fo.solve(problem)
    wrong = wrong_basis_point(problem)
    hm = build(problem)
    run(hm)
    assert not cert.certify(hm, wrong).passed
    # HiGHS says "optimal" but hands back the wrong basis's point, once
    real = cert.read_point
    calls: list[int] = []

    def first_answer_wrong(model: object) -> cert.LpPoint:
        calls.append(1)
        return wrong if len(calls) == 1 else real(model)  # type: ignore[arg-type]

    monkeypatch.setattr(cert, "read_point", first_answer_wrong)
    plan = fo.solve(problem)
    assert len(calls) == 3  # tier 1 (wrong), tier 1 cold, tier 2
    assert plan.certificate is not None and plan.certificate.passed
    assert plan.certificate.resolved_cold and plan.solver.resolved_cold
    assert "re-solved cold" in plan.checks.iloc[-1]["detail"]
    assert plan.objective == pytest.approx(truth.objective, rel=1e-12)
    assert plan.fingerprint == truth.fingerprint


def test_a_wrong_last_tier_is_re_solved_cold_to_an_equally_good_plan(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The last tier's LP (the one whose answer is the plan) is certified too, and its cold
    re-solve (loaded afresh, solved from scratch where the tier started from tier 1's
    basis) reaches the same optimum of every tier: the same plan but for the ties HiGHS's
    tolerance leaves to the solver's path, pounds a line (docs/formulation.md, "Solving,
    determinism and tie-breaks")."""
    problem = fo.read_workbook("models/england_wales_soc.xlsx")
    truth = fo.solve(problem)
    real = cert.read_point
    calls: list[int] = []

    def last_answer_wrong(model: object) -> cert.LpPoint:
        calls.append(1)
        point = real(model)  # type: ignore[arg-type]
        return replace(point, col_value=point.col_value * 0.5) if len(calls) == 2 else point

    monkeypatch.setattr(cert, "read_point", last_answer_wrong)
    plan = fo.solve(problem)
    assert len(calls) == 3  # tier 1, tier 2 (wrong), tier 2 cold
    assert plan.certificate is not None and plan.certificate.passed
    assert plan.certificate.resolved_cold
    assert plan.passed and fo.verify(problem, plan).empty
    assert plan.tiers["optimum"].tolist() == pytest.approx(truth.tiers["optimum"].tolist(),
                                                           rel=1e-9)
    key = ["recipient", "activity", "stream", "year"]
    moved = plan.allocations.set_index(key)["amount"].sub(
        truth.allocations.set_index(key)["amount"], fill_value=0).abs()
    assert moved.max() <= 1 and moved.sum() <= 100  # £16 over 16 lines, 4 Dec 2026


def test_a_stale_bound_in_a_warm_sweep_is_caught_and_re_solved_cold(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """HiGHS issue 3294's path: a scenario changed in place by new row bounds, re-solved
    from the base's basis. Here the change never reaches HiGHS (the model keeps the base's
    stale envelope bounds), which the certificate, reading the scenario's own arrays,
    catches; the cold re-solve loads the scenario's LP afresh."""
    engine = sys.modules["fundopt.whatif.engine"]
    load_changes = engine.load_changes

    def stale_row_bounds(h: highspy.Highs, old: object, new: object) -> None:
        load_changes(h, old, type(new)(old.row_lower, old.row_upper,  # type: ignore[attr-defined]
                                       *(getattr(new, f) for f in ("col_lower", "col_upper",
                                                                   "cost", "matrix"))))

    monkeypatch.setattr(engine, "load_changes", stale_row_bounds)
    problem = regional_problem()
    cut = fo.Scenario("soc x0.8", (fo.ScaleEnvelope("soc", None, 0.8),))
    # (the LP-alone sweep: whole-pound scenarios load their LP afresh and solve it cold)
    row = fo.sweep(problem, [cut], progress=False,
                   whole_pounds=False).summary.set_index("scenario").loc[cut.name]
    assert row["method"] == "in place" and row["status"] == "optimal"
    assert bool(row["certified"]) and bool(row["resolved_cold"])
    truth = fo.solve(cut.apply(problem))
    assert float(row["objective"]) == pytest.approx(truth.objective, rel=1e-9)


def test_an_answer_that_fails_twice_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    problem = half_pound_problem()
    wrong = wrong_basis_point(problem)
    monkeypatch.setattr(cert, "read_point", lambda model: wrong)
    with pytest.raises(fo.SolverError) as caught:
        fo.solve(problem)
    assert caught.value.code == "FO-L14" and caught.value.exit_code == 5
    assert "optimality certificate failed" in str(caught.value)


def test_the_certificate_reads_fundopts_arrays_not_highs_report() -> None:
    """A bound HiGHS never saw (the model changed behind fundopt's back) shows as a miss."""
    hm = build(half_pound_problem())
    run(hm)
    point = cert.read_point(hm)
    assert cert.certify(hm, point).passed
    hm.row_upper[0] = hm.row_upper[0] - 1.0  # the envelope, one model unit less
    broken = cert.certify(hm, point)
    assert not broken.passed and "missed by £" in broken.detail
    assert broken.primal_infeasibility == pytest.approx(hm.builder.scale, rel=1e-6)


def test_the_reference_model_is_certified_cheaply() -> None:
    plan = fo.solve(fo.read_workbook("models/england_wales_soc.xlsx"))
    c = plan.certificate
    assert c is not None and c.passed
    assert abs(c.duality_gap) < 1.0  # in the last tier's measure, on about 5e10
    assert np.isfinite(c.whole_pound_objective) and c.rounding_cost >= 0
    # tier 1, the policy, was certified too; stability and whole pounds cost it under its
    # give, a millionth of the money (about £52,000 of value on £52bn)
    assert plan.tiers["certified"].all()
    give = plan.tiers.loc[0, "give_allowed"]
    assert 50_000 < give < 55_000
    assert 0 <= plan.tiers.loc[0, "give_used"] <= give


def test_the_whole_pound_objective_in_pieces_is_the_same(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # with every allocation fixed, the whole-pound objective's LP falls apart into
    # independent parts (a line's change, a recipient-year's mix); a large one is solved in
    # pieces, each a union of parts, and its optimum is the sum of theirs
    import scipy.sparse as sp

    p = regional_problem()
    whole = fo.solve(p).certificate
    assert whole is not None and np.isfinite(whole.whole_pound_objective)
    seen: list[int] = []
    pieces = cert._pieces

    def spy(matrix: sp.csc_array, columns: int) -> list[tuple[np.ndarray, np.ndarray]]:
        out = pieces(matrix, columns)
        # every row and column in exactly one piece; no entry links two pieces
        rows = np.concatenate([r for r, _ in out])
        cols = np.concatenate([c for _, c in out])
        assert sorted(rows.tolist()) == list(range(matrix.shape[0]))
        assert sorted(cols.tolist()) == list(range(matrix.shape[1]))
        col_piece = np.empty(matrix.shape[1], dtype=int)
        row_piece = np.empty(matrix.shape[0], dtype=int)
        for k, (r, c) in enumerate(out):
            row_piece[r], col_piece[c] = k, k
        coo = sp.coo_array(matrix)
        assert (row_piece[coo.row] == col_piece[coo.col]).all()
        seen.append(len(out))
        return out

    monkeypatch.setattr(cert, "_pieces", spy)
    monkeypatch.setattr(cert, "WHOLE_POUND_PIECE_COLUMNS", 50)
    cut = fo.solve(p).certificate
    assert cut is not None and seen and seen[-1] > 3
    assert cut.whole_pound_objective == pytest.approx(whole.whole_pound_objective, rel=1e-12)
    assert cut.rounding_cost == pytest.approx(whole.rounding_cost, abs=0.01)
