"""PCC local priorities on the PCC's whole budget: what it pays its regional unit is
bounded by the share it keeps for local priorities. Optima and shadow prices by hand."""

from __future__ import annotations

import pytest
from builders import M, amount, frame, price

import fundopt as fo


def _problem(**share: float | None) -> fo.FundingProblem:
    """Force f: £100m of core grant and £50m of precept in 2026-27 (whole budget £150m).
    Its PCC may pay up to £30m to unit u's drugs line (stream 'contrib', paid_by f).
    Every pound is worth 1; no need or volatility penalty."""
    return fo.FundingProblem(
        recipients=frame(recipient=["f", "u"], name=["Force F", "Unit U"],
                         kind=["force", "regional_unit"], region=["north", "north"]),
        years=frame(year=["2025-26", "2026-27"], baseline=[True, False]),
        activities=frame(activity=["lp", "drugs"], name=["Local policing", "Drugs: pursue"],
                         threat=["local_policing", "illegal_drugs"],
                         strand=[None, "pursue"]),
        streams=frame(stream=["core", "contrib"], name=["Core grant", "F's PCC to U"],
                      paid_by=[None, "f"]),
        envelopes=frame(stream=["core", "contrib"], year=["2026-27"] * 2,
                        amount=[100 * M, 30 * M]),
        eligibility=frame(stream=["core", "contrib"], recipient=["f", "u"],
                          activity=["lp", "drugs"]),
        other_income=frame(recipient=["f"], year=["2026-27"], source=["precept"],
                           amount=[50 * M]),
        local_priorities=frame(recipient=["f"], activity=["lp"]),
        local_shares=frame(recipient=["f"], **{k: [v] for k, v in share.items()}),
        settings=fo.Settings(need_penalty=0.0, volatility_penalty=0.0),
    )


def _solved(p: fo.FundingProblem) -> fo.Plan:
    plan = fo.solve(p)
    assert plan.status is fo.PlanStatus.OPTIMAL and plan.passed
    assert fo.verify(p, plan).empty
    return plan


def test_the_local_share_of_the_whole_budget_bounds_the_contribution():
    # W = 100 + 50 = 150; the PCC keeps 90% local, so it pays at most 10% of 150 = 15
    # (on the allocation alone it would be 10). Objective 100 + 15 = 115.
    plan = _solved(_problem(min_local_share=0.9))
    assert amount(plan, stream="contrib", recipient="u") == 15 * M
    assert amount(plan, recipient="f") == 100 * M
    assert plan.objective == pytest.approx(115 * M)
    # one pound of room on the share pays one more pound to the unit
    assert price(plan, "local_share[f,2026-27]") == pytest.approx(1.0)
    # one more pound of core grant: worth 1, and it lets the PCC pay 10p more
    assert price(plan, "envelope[core,2026-27]") == pytest.approx(1.1)
    assert price(plan, "envelope[contrib,2026-27]") == pytest.approx(0.0)


def test_a_least_local_amount_counts_the_precept():
    # W - P >= 140 with W = 150: P <= 10
    plan = _solved(_problem(min_local_amount=140 * M))
    assert amount(plan, stream="contrib") == 10 * M
    assert plan.objective == pytest.approx(110 * M)
    assert price(plan, "local_amount[f,2026-27]") == pytest.approx(1.0)


def test_payments_to_soc_lines_count_in_the_national_ring_fence():
    # G = P (the unit's drugs line is SOC) <= 5% of 150 = 7.5
    plan = _solved(_problem(max_national_share=0.05))
    assert amount(plan, stream="contrib") == 7_500_000
    assert plan.objective == pytest.approx(107.5 * M)
    assert price(plan, "national_share[f,2026-27]") == pytest.approx(1.0)


def test_a_loose_share_leaves_the_contribution_to_its_envelope():
    # 50% local leaves room for 75: the envelope of 30 binds instead
    plan = _solved(_problem(min_local_share=0.5))
    assert amount(plan, stream="contrib") == 30 * M
    assert price(plan, "envelope[contrib,2026-27]") == pytest.approx(1.0)
    assert "local_share[f,2026-27]" not in set(plan.binding["rule"])


def test_the_verifier_catches_a_contribution_beyond_the_share():
    p = _problem(min_local_share=0.9)
    plan = _solved(p)
    a = plan.allocations.copy()
    a.loc[a["stream"] == "contrib", "amount"] = 16 * M  # £1m too much
    broken = fo.verify(p, plan.__class__(**{**plan.__dict__, "allocations": a}))
    assert "local_share[f,2026-27]" in set(broken["rule"])
