"""The England and Wales reference model: its data, its sources, its solve, and today's method."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

import fundopt as fo
from fundopt.datasets import england_wales as ew
from fundopt.datasets import england_wales_figures as fig
from fundopt.explain.todays_method import todays_method, winners_and_losers
from fundopt.io import read_workbook
from fundopt.problem import FundingProblem, Settings

SHIPPED = Path(__file__).resolve().parents[1] / "models" / "england_wales_soc.xlsx"


@pytest.fixture(scope="module")
def problem() -> FundingProblem:
    return ew.build_problem()


@pytest.fixture(scope="module")
def plan(problem: FundingProblem) -> fo.Plan:
    return fo.solve(problem)


def _of_kind(problem: FundingProblem, kind: str) -> pd.DataFrame:
    return problem.recipients.loc[problem.recipients["kind"] == kind]


# -- data ---------------------------------------------------------------------------------

def test_builds_and_validates_without_warnings(problem: FundingProblem) -> None:
    assert problem.warnings == ()
    assert problem.baseline_year == "2025-26"
    assert problem.horizon == ("2026-27", "2027-28", "2028-29", "2029-30", "2030-31")
    assert problem.settings.money_unit is fo.MoneyUnit.MILLIONS


def test_43_forces_ten_regional_units_and_the_membership_quirks(problem: FundingProblem) -> None:
    forces = _of_kind(problem, "force").set_index("recipient")
    units = _of_kind(problem, "regional_unit")
    assert len(forces) == 43
    assert len(units) == 10
    assert sorted(units["region"]) == sorted(set(forces["region"]))  # one unit per region
    assert forces.loc["north_wales", "region"] == "North West"  # not TARIAN
    assert forces.loc["kent", "region"] == "Eastern"  # not SEROCU
    sizes = forces["region"].value_counts()
    assert sizes["London"] == 2 and sizes["Eastern"] == 7 and sizes["North West"] == 6
    assert sizes["Southern Wales"] == 3 and sizes.min() >= 2
    assert len(_of_kind(problem, "national_programme")) == 6


def test_baseline_is_the_2025_26_grant_report_with_the_welsh_adjustment(
    problem: FundingProblem,
) -> None:
    published = fig.table("forces").set_index("recipient")["grant_2025_26_m"].astype(float)
    # 43 figures rounded to £0.1m: within 43 x £0.05m of the published total
    assert abs(published.sum() * 1e6 - fig.PGR_TOTAL_POUNDS) <= 43 * 0.05e6
    base = problem.baselines.set_index("recipient")["amount"]
    assert base["cumbria"] == 84.9e6
    welsh = ["dyfed_powys", "gwent", "north_wales", "south_wales"]
    assert base[welsh].sum() == pytest.approx(476.8e6, abs=4)
    assert base["south_wales"] / (135.1e6) == pytest.approx(476.8 / 288.7)
    assert base[list(published.index)].sum() == pytest.approx(9_517.6e6 + 476.8e6, abs=50)


def test_pcc_contributions_follow_the_emsou_rule(problem: FundingProblem) -> None:
    income = problem.other_income
    pcc = income.loc[(income["source"] == "PCC contribution") & (income["year"] == "2025-26")]
    forces = _of_kind(problem, "force").set_index("recipient")
    units = _of_kind(problem, "regional_unit").set_index("region")["recipient"]
    # every force pays its own region's unit, and only that one
    assert sorted(pcc["contributor"]) == sorted(forces.index)
    for f, unit in zip(pcc["contributor"], pcc["recipient"], strict=True):
        assert units[forces.loc[f, "region"]] == unit
    emsou = pcc.loc[pcc["recipient"] == "rocu_east_midlands"].set_index("contributor")["amount"]
    shares = emsou / emsou.sum()
    for force, share_2012 in fig.EMSOU_2012_SPLIT.items():
        assert shares[force] == pytest.approx(share_2012, abs=0.005)  # near-frozen since 2012


def test_envelopes_cover_floors_and_commitments(problem: FundingProblem) -> None:
    env = problem.envelopes.set_index(["stream", "year"])["amount"]
    floors = problem.baselines.set_index("recipient")["amount"][list(problem.limits["recipient"])]
    com = problem.commitments
    for year in problem.horizon:
        assert floors.sum() <= env[(ew.CORE, year)]
        for stream in (ew.ROCU, ew.NCA):
            live = com.loc[(com["stream"] == stream) & (com["first_year"] <= year)
                           & (com["last_year"] >= year), "amount"].sum()
            assert live <= env[(stream, year)]
    assert env[(ew.TRANSFORMATION, "2027-28")] > 0
    assert env[(ew.TRANSFORMATION, "2028-29")] == 0  # the cliff edge


def test_sources_cover_every_figure_category() -> None:
    src = ew.sources()
    assert set(src["category"]) == {c.value for c in fig.Category}
    assert set(src["status"]) <= {s.value for s in fig.Status}
    assert {"published", "derived", "estimated"} <= set(src["status"])
    items = set(src["item"])
    for name in fig.table("forces")["name"]:
        assert f"2025-26 police grant: {name}" in items
    for name in fig.table("regional_units")["name"]:
        assert f"2025-26 budget: {name}" in items
    for name in fig.table("national_programmes")["name"]:
        assert f"2025-26 baseline: {name}" in items
    cited = src.loc[src["source"] != fig.REFS["fundopt"][0]]
    assert cited["url"].str.startswith("http").all()


def test_shipped_workbook_matches_a_fresh_generation(problem: FundingProblem) -> None:
    shipped = read_workbook(SHIPPED)
    assert shipped.settings == problem.settings
    for name, fresh in problem.tables().items():
        pd.testing.assert_frame_equal(
            shipped.tables()[name].reset_index(drop=True), fresh.reset_index(drop=True),
            check_dtype=False, rtol=1e-12, obj=name)
    sheet = pd.read_excel(SHIPPED, sheet_name="Sources")
    fresh_sources = ew.sources()
    assert list(sheet["item"]) == list(fresh_sources["item"])
    assert list(sheet["value"]) == pytest.approx(list(fresh_sources["value"]))


# -- solve --------------------------------------------------------------------------------

def test_reference_model_solves_and_every_check_passes(plan: fo.Plan) -> None:
    assert plan.status is fo.PlanStatus.OPTIMAL
    assert len(plan.checks) > 0 and plan.passed
    assert plan.breaches.empty
    assert fo.verify(plan.problem, plan).empty
    # money is handed to HiGHS in £m: it must not find the model badly scaled
    assert plan.solver.log_warnings == (), plan.solver.log_warnings


def test_headline_figures(plan: fo.Plan) -> None:
    # 2026-11-24: first pinned
    assert plan.solver.variables == 20_183
    assert plan.solver.constraints == 4_128
    assert plan.objective == pytest.approx(54_551_735_397.48, rel=1e-9)
    by_year = plan.allocations.groupby("year")["amount"].sum().to_dict()
    pinned = {"2026-27": 10_433_655_200, "2027-28": 10_667_299_462, "2028-29": 10_882_403_392,
              "2029-30": 11_100_051_460, "2030-31": 11_322_052_484}
    assert by_year.keys() == pinned.keys()
    for year, amount in pinned.items():
        assert by_year[year] == pytest.approx(amount, abs=100)  # rounding leaves a few pounds


def test_plan_keeps_soc_within_the_4p_bands(problem: FundingProblem, plan: fo.Plan) -> None:
    a = plan.allocations.merge(problem.activities[["activity", "threat", "strand"]], on="activity")
    soc = a.loc[a["threat"] != "local_policing"]
    share = soc.groupby(["year", "strand"])["amount"].sum() / soc.groupby("year")["amount"].sum()
    for year, least in zip(problem.horizon, fig.PREVENT_PATH, strict=True):
        assert least - 1e-6 <= share[(year, "prevent")] <= least + fig.PREVENT_BAND + 1e-6
        assert fig.PURSUE_BAND[0] - 1e-6 <= share[(year, "pursue")] <= fig.PURSUE_BAND[1] + 1e-6
    spent = plan.allocations.loc[plan.allocations["stream"] == ew.TRANSFORMATION]
    assert set(spent["year"]) <= {"2026-27", "2027-28", "2028-29"}


def test_winners_and_losers_of_the_reference_plan(plan: fo.Plan) -> None:
    table = winners_and_losers(plan, ew.baseline_allocation())
    assert len(table) == 59 * 5
    per_year = table.groupby("year")[["optimised", "todays_method"]].sum()
    # both spend the same core, ROCU and NCA money; the transformation fund differs only
    # by unspent pounds
    gap = (per_year["optimised"] - per_year["todays_method"]).abs()
    assert (gap < 100).all()
    msptu = table.set_index(["recipient", "year"]).loc[("msptu", "2027-28")]
    assert msptu["optimised"] == 900_000  # the last step of its glide path to closure


# -- the LP reproduces today's method -----------------------------------------------------

STEP = 25**5  # a 4% change five years running stays in whole pounds on multiples of this


def _uniform_problem(growth: int) -> FundingProblem:
    """Forces only, one stream, local policing only, no optimiser rules, uniform change.

    ``growth`` is +1 (4% rises, floors given as amounts) or -1 (4% cuts, the cliff-edge
    rule at 4% makes them floors). The envelope is exactly the uniform change.
    """
    ref = ew.build_problem()
    forces = _of_kind(ref, "force").reset_index(drop=True)
    base = {r: round(a / STEP) * STEP
            for r, a in ref.baselines.set_index("recipient")["amount"][forces["recipient"]].items()}
    num = 25 + growth
    limits, envelopes = [], []
    for k, year in enumerate(ref.horizon, start=1):
        amounts = {r: b * num**k // 25**k for r, b in base.items()}
        envelopes.append({"stream": "core", "year": year, "amount": float(sum(amounts.values()))})
        if growth > 0:
            limits += [{"recipient": r, "year": year, "floor_amount": float(v)}
                       for r, v in amounts.items()]
    return FundingProblem(
        recipients=forces,
        years=ref.years,
        activities=ref.activities.loc[ref.activities["activity"] == "local_policing"],
        streams=pd.DataFrame({"stream": ["core"], "name": ["Core police grant"]}),
        envelopes=pd.DataFrame(envelopes),
        eligibility=pd.DataFrame({"stream": ["core"], "recipient_kind": ["force"]}),
        baselines=pd.DataFrame({"recipient": list(base), "amount": [float(v) for v in
                                                                   base.values()]}),
        limits=pd.DataFrame(limits, columns=["recipient", "year", "floor_amount"]),
        cliff_edges=pd.DataFrame({"recipient": [None], "max_fall_rate": [0.04]}),
        settings=Settings(need_penalty=0.0, volatility_penalty=0.0, terminal_fall_share=1.0),
    )


@pytest.mark.parametrize("growth", [1, -1], ids=["rises", "cuts"])
def test_lp_reproduces_todays_method_to_the_pound(growth: int) -> None:
    problem = _uniform_problem(growth)
    plan = fo.solve(problem)
    baseline = problem.baselines.assign(stream="core")[["recipient", "stream", "amount"]]
    method = todays_method(problem, baseline)
    assert (method.steps["scaling_factor"] == 0).all()  # the floor is the average change
    assert method.steps["floor_rate"].to_numpy() == pytest.approx(0.04 * growth)
    lp = plan.allocations.set_index(["recipient", "year"])["amount"].sort_index()
    today = method.allocations.set_index(["recipient", "year"])["amount"].sort_index()
    pd.testing.assert_series_equal(lp, today, check_dtype=False)
    table = winners_and_losers(plan, baseline)
    assert (table["difference"] == 0).all()


def test_script_entry_writes_a_readable_workbook(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "ew.xlsx"
    assert ew.main([str(out)]) == 0
    assert "wrote" in capsys.readouterr().out
    assert len(read_workbook(out).recipients) == 59
    assert ew.main([]) == 2
    assert "usage" in capsys.readouterr().err


def test_a_rule_that_holds_only_exactly_rounds_fast_and_the_same_everywhere():
    # a 12% prevent share exactly (least = most): only the integer repair can round it.
    # It takes the first whole-pound plan HiGHS finds, a deterministic stop (a time limit
    # would make the plan depend on the machine); two processes give the same plan
    import subprocess
    import sys
    import textwrap

    script = textwrap.dedent(f"""
        import fundopt as fo
        p = fo.read_workbook({str(SHIPPED)!r})
        s = fo.Scenario("prevent 12%", (fo.SetShareTarget("prevent", None, "soc",
                                                          p.horizon[-1], 0.12),))
        plan = fo.solve(s.apply(p))
        assert plan.passed, "checks"
        print(plan.solver.rounding, "|", plan.fingerprint, "|", plan.solver.times["round"] < 20)
    """)
    outs = {subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                           check=True, env={**os.environ, "PYTHONHASHSEED": seed}).stdout.strip()
            for seed in ("1", "2")}
    assert len(outs) == 1, outs
    method, _, fast = outs.pop().split(" | ")
    assert method == "integer repair of largest-remainder rounding" and fast == "True"
