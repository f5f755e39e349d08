"""Sweeps: the in-place model is the rebuilt model; results do not depend on how they run."""

from __future__ import annotations

import sys
from typing import Any

import numpy as np
import pandas as pd
import pytest
from builders import M, tiny, values
from test_scenarios import _withdrawal_problem
from whatif_problems import regional_problem

import fundopt as fo
from fundopt.plan.solve import build
from fundopt.whatif.sweep import Method, SweepEngine

IN_PLACE = [
    fo.ScaleEnvelope("soc", None, 1.1),
    fo.SetEnvelope("core", "2027-28", 800 * M),
    fo.SetCliffEdge(None, 0.02),
    fo.SetCliffEdge("rocu", 0.08),
    fo.SetCliffEdge("f2", 0.01),  # a row of its own: the default's rows get new numbers
    fo.SetShareTarget("prevent", None, "soc", "2027-28", 0.08),
    fo.RemoveContribution("f0", "rocu", 0.72),
    fo.ScaleIncome("f3", None, 0.9),
    fo.SetSetting("need_penalty", 0.1),
    fo.SetSetting("terminal_fall_share", 0.8),
]
REBUILT = [
    fo.AddCommitment("f1", "drugs_prevent", "2026-27", "2027-28", 2 * M),
    fo.SetShareTarget("protect", "fraud", "all", "2026-27", 0.02),
]


@pytest.fixture(scope="module")
def problem() -> fo.FundingProblem:
    return regional_problem()


@pytest.fixture(scope="module")
def engine(problem: fo.FundingProblem) -> SweepEngine:
    e = SweepEngine(problem)
    assert e.in_place, e.in_place_reason
    return e


def _lp(h: object) -> dict[str, np.ndarray]:
    lp = h.getLp()  # type: ignore[attr-defined]
    a = lp.a_matrix_
    dense = np.zeros((lp.num_row_, lp.num_col_))
    start = np.asarray(a.start_)
    for j in range(lp.num_col_):
        for k in range(start[j], start[j + 1]):
            dense[a.index_[k], j] = a.value_[k]
    return {"cost": np.asarray(lp.col_cost_), "col_lower": np.asarray(lp.col_lower_),
            "col_upper": np.asarray(lp.col_upper_), "row_lower": np.asarray(lp.row_lower_),
            "row_upper": np.asarray(lp.row_upper_), "matrix": dense}


@pytest.fixture
def loaded(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, np.ndarray]]:
    """The LP each whole-pound in-place scenario hands HiGHS, as it is loaded."""
    engine_module = sys.modules["fundopt.whatif.engine"]
    real = engine_module.loaded_afresh
    seen: list[dict[str, np.ndarray]] = []

    def spy(model: Any) -> Any:
        fresh = real(model)
        seen.append(_lp(fresh.highs))
        return fresh

    monkeypatch.setattr(engine_module, "loaded_afresh", spy)
    return seen


@pytest.mark.parametrize("override", IN_PLACE, ids=lambda o: o.describe())
def test_in_place_model_equals_the_rebuilt_one(problem: fo.FundingProblem, engine: SweepEngine,
                                               override: fo.Override,
                                               loaded: list[dict[str, np.ndarray]]) -> None:
    scenario = fo.Scenario("s", (override,))
    outcome = engine.solve(scenario)
    assert outcome.method is Method.IN_PLACE
    assert outcome.status is fo.ScenarioStatus.OPTIMAL
    changed = scenario.apply(problem)
    rebuilt = build(changed)
    # the LP worked out in place is the rebuilt LP, number for number
    (mine,), theirs = loaded, _lp(rebuilt.highs)
    for key in theirs:
        np.testing.assert_array_equal(mine[key], theirs[key], err_msg=key)
    # and, its tiers solved as fo.solve does (tier 1 from scratch), the plan is the one a
    # cold solve finds, to the pound (tier 1 warm-started from the base's basis could end
    # on another of its optimal plans, and the stability tier's LP is read from it)
    cold = fo.solve(changed)
    assert outcome.objective == cold.objective
    pd.testing.assert_frame_equal(outcome.allocations, cold.allocations.reset_index(drop=True))


@pytest.mark.parametrize("override", IN_PLACE[:3], ids=lambda o: o.describe())
def test_the_lp_alone_changes_the_loaded_model_in_place(problem: fo.FundingProblem,
                                                        override: fo.Override) -> None:
    # the LP-alone sweep changes the base's HiGHS model itself and warm-starts from the
    # base's basis: the model it holds is the rebuilt one
    engine = SweepEngine(problem, whole_pounds=False)
    scenario = fo.Scenario("s", (override,))
    outcome = engine.solve(scenario)
    assert (outcome.method, outcome.status) == (Method.IN_PLACE, fo.ScenarioStatus.OPTIMAL)
    rebuilt = build(scenario.apply(problem))
    mine, theirs = _lp(engine.base_hm.highs), _lp(rebuilt.highs)  # type: ignore[union-attr]
    for key in theirs:
        np.testing.assert_array_equal(mine[key], theirs[key], err_msg=key)


@pytest.mark.parametrize("override", REBUILT, ids=lambda o: o.describe())
def test_a_change_of_shape_is_rebuilt(problem: fo.FundingProblem, engine: SweepEngine,
                                      override: fo.Override) -> None:
    scenario = fo.Scenario("s", (override,))
    outcome = engine.solve(scenario)
    assert outcome.method is Method.REBUILT
    cold = fo.solve(scenario.apply(problem))
    assert outcome.objective == cold.objective
    pd.testing.assert_frame_equal(outcome.allocations, cold.allocations.reset_index(drop=True))


def test_a_change_of_money_unit_is_rebuilt() -> None:
    # the model counts money in units of a power of ten that fits the largest amount
    # (at most £1m); £10m as the largest amount changes it, so the LP is built afresh
    problem = tiny(value_tranches=values(a=2.0, b=1.0))
    engine = SweepEngine(problem)
    small = fo.Scenario("small", (fo.SetEnvelope("core", "2026-27", 10 * M),))
    outcome = engine.solve(small)
    assert outcome.method is Method.REBUILT
    assert outcome.allocations["amount"].tolist() == [10_000_000]
    bigger = engine.solve(fo.Scenario("bigger", (fo.SetEnvelope("core", "2026-27", 150 * M),)))
    assert bigger.method is Method.IN_PLACE
    assert bigger.allocations["amount"].tolist() == [150_000_000]


def test_order_of_scenarios_does_not_matter(problem: fo.FundingProblem) -> None:
    scenarios = [fo.Scenario(o.describe(), (o,)) for o in IN_PLACE[:5]]
    forward = fo.sweep(problem, scenarios, progress=False)
    backward = fo.sweep(problem, scenarios[::-1], progress=False)
    for s in scenarios:
        a = forward.allocations.loc[forward.allocations["scenario"] == s.name]
        b = backward.allocations.loc[backward.allocations["scenario"] == s.name]
        pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True))


def test_the_base_again_after_other_scenarios(problem: fo.FundingProblem) -> None:
    engine = SweepEngine(problem)
    for o in IN_PLACE[:4]:
        engine.solve(fo.Scenario(o.describe(), (o,)))
    again = engine.solve(fo.Scenario("again"))  # no overrides: every change is undone
    assert again.method is Method.IN_PLACE
    assert again.objective == engine.base.objective
    pd.testing.assert_frame_equal(again.allocations, engine.base.allocations)
    mine, fresh = _lp(engine.base_hm.highs), _lp(build(problem).highs)  # type: ignore[union-attr]
    for key in fresh:
        np.testing.assert_array_equal(mine[key], fresh[key], err_msg=key)


def _many(problem: fo.FundingProblem) -> list[fo.Scenario]:
    out = [fo.Scenario(f"soc x{f:.2f}", (fo.ScaleEnvelope("soc", None, f),))
           for f in (0.9, 0.95, 1.05, 1.1)]
    out += [fo.Scenario(o.describe(), (o,)) for o in IN_PLACE[2:6] + REBUILT[:1]]
    out.append(fo.Scenario("too little", (fo.SetEnvelope("soc", "2026-27", 1 * M),)))
    out.append(fo.Scenario("unknown stream", (fo.ScaleEnvelope("nope", None, 2.0),)))
    return out


def _plans(result: fo.SweepResult) -> tuple[pd.DataFrame, pd.DataFrame]:
    cols = ["scenario", "status", "method", "objective"]
    return result.summary[cols], result.allocations


@pytest.fixture(scope="module")
def serial(problem: fo.FundingProblem) -> fo.SweepResult:
    return fo.sweep(problem, _many(problem), progress=False)


def test_a_sweep_records_failures_and_goes_on(serial: fo.SweepResult) -> None:
    s = serial.summary.set_index("scenario")
    assert len(s) == 11
    assert s.loc["too little", "status"] == "infeasible"
    assert s.loc["too little", "message"]
    assert "envelope" in s.loc["too little", "diagnosis"]
    assert s.loc["unknown stream", "status"] == "invalid"
    assert "no envelope matches" in s.loc["unknown stream", "message"]
    assert (s.drop(["too little", "unknown stream"])["status"] == "optimal").all()
    # more money for the SOC stream is never worth less
    obj = s["objective"]
    assert obj["soc x0.90"] < obj["soc x0.95"] < obj["soc x1.05"] < obj["soc x1.10"]
    assert set(serial.allocations["scenario"]) == set(s.index) - {"too little", "unknown stream"}


def test_process_pool_gives_the_serial_results(problem: fo.FundingProblem,
                                               serial: fo.SweepResult) -> None:
    with fo.process_pool(2) as pool:
        parallel = fo.sweep(problem, _many(problem), executor=pool, progress=False, chunk_size=3)
    for a, b in zip(_plans(serial), _plans(parallel), strict=True):
        pd.testing.assert_frame_equal(a, b)


def test_dask_cluster_gives_the_serial_results(problem: fo.FundingProblem,
                                               serial: fo.SweepResult) -> None:
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        result = fo.sweep(problem, _many(problem), executor=client.get_executor(),
                          progress=False, chunk_size=4)
    for a, b in zip(_plans(serial), _plans(result), strict=True):
        pd.testing.assert_frame_equal(a, b)


def test_compare_states_what_moved() -> None:
    # worked in test_scenarios: withdrawing 72% moves £14.4m from a to b
    problem = _withdrawal_problem()
    withdraw = fo.Scenario("withdraw", (fo.RemoveContribution("a", "b", 0.72),))
    result = fo.compare(problem, [withdraw], keep_plans=True)
    s = result.summary.set_index("scenario")
    assert list(s.index) == ["base", "withdraw"]
    row = s.loc["withdraw"]
    assert row["method"] == "in place"
    assert (row["gained"], row["lost"], row["moved"]) == (14_400_000, 14_400_000, 28_800_000)
    assert (row["biggest_winner"], row["biggest_winner_change"]) == ("b", 14_400_000)
    assert (row["biggest_loser"], row["biggest_loser_change"]) == ("a", -14_400_000)
    assert row["total 2026-27"] == 120_000_000
    # value 2 per pound moved away from a, 1 per pound to b: £14.4m less value
    assert row["objective_change"] == pytest.approx(-14.4 * M, rel=1e-9)
    assert "cliff_edge[b,2026-27]" in row["main_binding"]
    # loosening b's rule by £1 moves £1 from b (worth 1) back to a (worth 2)
    assert result.shadow_price("cliff_edge[b,2026-27]")["withdraw"] == pytest.approx(1.0)
    changes = result.changes.loc[result.changes["scenario"] == "withdraw"].set_index("recipient")
    assert changes.loc["b", "change"] == 14_400_000
    assert set(result.allocations["scenario"]) == {"base", "withdraw"}
    assert result.plans["withdraw"].fingerprint != result.plans["base"].fingerprint
    assert result.plans["withdraw"].passed


def test_a_scenario_may_not_be_called_base() -> None:
    with pytest.raises(ValueError, match="base"):
        fo.compare(_withdrawal_problem(), [fo.Scenario("base")])


def test_progress_without_tqdm_prints_plain_lines(monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setitem(sys.modules, "tqdm", None)  # as if it were not installed
    problem = _withdrawal_problem()
    fo.sweep(problem, [fo.Scenario(f"x{i}", (fo.ScaleEnvelope("core", None, 1 + i / 100),))
                       for i in range(3)], progress=True)
    err = capsys.readouterr().err
    assert "fundopt sweep: 3/3 scenarios" in err


def test_compare_command_writes_a_workbook(problem: fo.FundingProblem, tmp_path: Any,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    import openpyxl
    from test_scenarios import _workbook

    from fundopt.cli import main

    scenarios = (fo.Scenario("soc up", (fo.ScaleEnvelope("soc", None, 1.1),)),
                 fo.Scenario("too little", (fo.SetEnvelope("soc", "2026-27", 1 * M),)))
    source = _workbook(problem, tmp_path / "in.xlsx", scenarios)
    out = tmp_path / "out.xlsx"
    assert main(["compare", str(source), "-o", str(out)]) == 0
    said = capsys.readouterr().out
    assert "soc up: optimal; value +£" in said
    assert "too little: infeasible" in said
    wb = openpyxl.load_workbook(out, read_only=True)
    assert wb.sheetnames == ["Summary", "Totals", "Changes", "Binding rules", "Allocations",
                             "Why infeasible", "Scenarios"]
    rows = list(wb["Summary"].iter_rows(min_row=3, values_only=True))
    assert [r[0] for r in rows[1:]] == ["base", "soc up", "too little"]
    wb.close()
    # an existing output is kept unless --overwrite, and nothing else is left behind
    assert main(["compare", str(source), "-o", str(out)]) == int(fo.ExitCode.OUTPUT)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.xlsx", "out.xlsx"]


def test_compare_command_needs_scenarios(problem: fo.FundingProblem, tmp_path: Any) -> None:
    from fundopt.cli import main

    source = fo.write_problem(problem, tmp_path / "in.xlsx")
    assert main(["compare", str(source), "-o", str(tmp_path / "out.xlsx")]) == \
        int(fo.ExitCode.USAGE)
    assert not (tmp_path / "out.xlsx").exists()


# -- the short cuts: envelope amounts without a new record, and the LP alone ---------------
ENVELOPE_ONLY = [
    fo.Scenario("soc +10%", (fo.ScaleEnvelope("soc", None, 1.1),)),  # soc may carry forward
    fo.Scenario("core set", (fo.SetEnvelope("core", "2027-28", 800 * M),)),
    fo.Scenario("both", (fo.ScaleEnvelope("core", None, 0.97),
                         fo.SetEnvelope("soc", "2026-27", 30 * M))),
]


def test_envelope_changes_only_change_bounds_without_a_new_record(
        problem: fo.FundingProblem, monkeypatch: pytest.MonkeyPatch,
        loaded: list[dict[str, np.ndarray]]) -> None:
    engine = SweepEngine(problem)
    assert engine.links[0].usable  # the envelope links

    def no_record(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the whole LP was recorded again for an envelope change")

    monkeypatch.setattr(sys.modules["fundopt.whatif.engine"], "record", no_record)
    for scenario in ENVELOPE_ONLY:
        loaded.clear()
        outcome = engine.solve(scenario)
        assert (outcome.method, outcome.status) == (Method.IN_PLACE, fo.ScenarioStatus.OPTIMAL)
        changed = scenario.apply(problem)
        rebuilt = build(changed)
        (mine,), theirs = loaded, _lp(rebuilt.highs)
        for key in theirs:
            np.testing.assert_array_equal(mine[key], theirs[key], err_msg=key)
        # the rules' words (amounts in them) are the scenario's, not the base's
        cold = fo.solve(changed)
        assert outcome.objective == pytest.approx(cold.objective, rel=1e-9)
        words = set(cold.shadow_prices["description"])
        assert set(outcome.binding["description"]) <= words


def test_a_bad_envelope_change_goes_the_usual_way_and_is_invalid(engine: SweepEngine) -> None:
    negative = engine.solve(fo.Scenario("neg", (fo.SetEnvelope("core", "2027-28", -5.0),)))
    unknown = engine.solve(fo.Scenario("unknown", (fo.ScaleEnvelope("nope", None, 1.1),)))
    for outcome in (negative, unknown):
        assert outcome.status is fo.ScenarioStatus.INVALID
        assert outcome.method is Method.NOT_SOLVED
    assert "amount" in negative.message
    assert "no envelope matches" in unknown.message


def test_the_lp_alone_gives_the_same_objective_and_prices(problem: fo.FundingProblem) -> None:
    scenarios = [*ENVELOPE_ONLY, fo.Scenario("cliff", (fo.SetCliffEdge(None, 0.02),))]
    full = fo.sweep(problem, scenarios, progress=False)
    lean = fo.sweep(problem, scenarios, progress=False, whole_pounds=False)
    for a, b in zip(full.outcomes, lean.outcomes, strict=True):
        assert b.status is fo.ScenarioStatus.OPTIMAL and not b.whole_pounds
        assert b.objective == a.objective  # the plan reports the LP's optimum
        pd.testing.assert_frame_equal(b.shadow_prices, a.shadow_prices, check_dtype=False)
        # the LP alone is tier 1's: its binding rules are tier 1's optimum's (the returned
        # plan's are the last tier's, which may use tier 1's give), each with its price
        priced = b.binding[b.binding["shadow_price"] != 0]
        assert set(priced["rule"]) == set(b.shadow_prices["rule"])
        assert "not rounded or verified" in b.message
    assert lean.allocations.empty and lean.changes.empty
    total = f"total {problem.horizon[0]}"
    assert lean.summary[total].isna().all() and full.summary[total].notna().all()


@pytest.mark.parametrize("scenario", ENVELOPE_ONLY, ids=lambda s: s.name)
def test_new_envelope_amounts_are_what_validation_gives(problem: fo.FundingProblem,
                                                        scenario: fo.Scenario) -> None:
    validated = scenario.apply(problem)
    quick = problem.with_envelope_amounts(validated.envelopes["amount"].tolist())
    assert quick is not None
    for name, table in validated.tables().items():  # row for row (the index may differ:
        mine = getattr(quick, name)  # the quick one keeps naming the input's rows)
        assert list(mine.index) == list(getattr(problem, name).index)
        pd.testing.assert_frame_equal(mine.reset_index(drop=True),
                                      table.reset_index(drop=True), check_exact=True)
    assert [type(v) for v in quick.envelopes["amount"]] == \
        [type(v) for v in validated.envelopes["amount"]]
    assert quick.settings == validated.settings and quick.warnings == validated.warnings
    # the sweep's plan for it is checked against these amounts and matches a cold solve
    outcome = SweepEngine(problem, keep_plans=True).solve(scenario)
    assert outcome.status is fo.ScenarioStatus.OPTIMAL
    assert outcome.objective == pytest.approx(fo.solve(validated).objective, rel=1e-9)


@pytest.mark.parametrize("bad", [-1.0, float("inf"), float("nan"), 2e13])
def test_envelope_amounts_validation_would_refuse_are_refused(problem: fo.FundingProblem,
                                                               bad: float) -> None:
    amounts = problem.envelopes["amount"].tolist()
    amounts[1] = bad
    assert problem.with_envelope_amounts(amounts) is None
    assert problem.with_envelope_amounts(amounts[:-1]) is None  # one per row
    with pytest.raises(fo.InputError, match="amount"):
        problem.replace(envelopes=problem.envelopes.assign(amount=amounts))


def test_compare_command_can_report_the_lp_alone(problem: fo.FundingProblem, tmp_path: Any,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    import openpyxl
    from test_scenarios import _workbook

    from fundopt.cli import main
    from fundopt.reports.summary import money_change

    scenarios = (fo.Scenario("soc up", (fo.ScaleEnvelope("soc", None, 1.1),)),
                 fo.Scenario("cliff", (fo.SetCliffEdge(None, 0.02),)))
    source = _workbook(problem, tmp_path / "in.xlsx", scenarios)
    out = tmp_path / "out.xlsx"
    assert main(["compare", str(source), "-o", str(out), "--lp-only"]) == 0
    said = capsys.readouterr().out
    full = fo.compare(problem, scenarios)
    wb = openpyxl.load_workbook(out, read_only=True)
    rows = list(wb["Summary"].iter_rows(min_row=3, values_only=True))
    header = list(rows[0])
    message, value = header.index("Message"), header.index("Value on the base (£m)")
    for name, row in zip(("soc up", "cliff"), rows[2:], strict=True):
        # the same objective changes as whole-pound plans
        change = float(full.summary.set_index("scenario").loc[name, "objective_change"])
        assert f"{name}: optimal; value {money_change(change)} of value on the base" in said
        assert row[value] == pytest.approx(change / 1e6, abs=0.005 / 1e6)
    assert [r[0] for r in rows[1:]] == ["base", "soc up", "cliff"]
    assert all("not rounded or verified" in str(r[message]) for r in rows[2:])
    binding = list(wb["Binding rules"].iter_rows(min_row=3, values_only=True))
    assert {r[0] for r in binding[1:]} == {"base", "soc up", "cliff"}
    wb.close()
