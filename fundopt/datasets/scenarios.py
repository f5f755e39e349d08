"""The what-if scenarios shipped on the reference model's *Scenarios* sheet.

They are the stories of the notebooks in ``notebooks/``: cliff-edge limits and the end of
the transformation fund (02), a PCC withdrawing 72% of its contribution to its regional
unit (03), the core grant up and down (04) and a higher prevent share in the last year
(05). Ids are taken from the problem, so the scenarios follow the data if it changes.
"""

from __future__ import annotations

from fundopt.problem import FundingProblem
from fundopt.problem.scenarios import (
    RemoveContribution,
    ScaleEnvelope,
    Scenario,
    SetCliffEdge,
    SetEnvelope,
    SetShareTarget,
)

CORE_STREAM = "core_police_grant"
TRANSFORMATION_STREAM = "transformation_fund"
WITHDRAWN_SHARE = 0.72  # the PAC: up to 72% of ROCU funding comes from PCCs


LONDON_UNIT = "london_regional_unit"


def largest_contribution(problem: FundingProblem) -> tuple[str, str]:
    """(contributor, unit) of the largest PCC contribution to a ROCU in the first horizon
    year. London's unit is left out: the Metropolitan Police pays nearly all of it, so it
    is not a unit several PCCs share."""
    income = problem.other_income
    first = problem.horizon[0]
    paid = income.loc[income["contributor"].notna() & (income["year"] == first)
                      & (income["recipient"] != LONDON_UNIT)]
    if not len(paid):
        raise ValueError("no PCC contributions in the first horizon year")
    top = paid.sort_values(["amount", "contributor"], ascending=[False, True]).iloc[0]
    return str(top["contributor"]), str(top["recipient"])


def reference_scenarios(problem: FundingProblem) -> tuple[Scenario, ...]:
    """The notebooks' scenarios for ``problem`` (the England and Wales reference model)."""
    horizon = problem.horizon
    env = problem.envelopes
    tf = env.loc[env["stream"] == TRANSFORMATION_STREAM].set_index("year")["amount"]
    last_funded = max((y for y in horizon if float(tf.get(y, 0.0)) > 0), default=horizon[0])
    after = [y for y in horizon if y > last_funded]
    kept = float(tf.get(last_funded, 0.0))
    contributor, unit = largest_contribution(problem)
    last = horizon[-1]
    least, most = _prevent(problem, last)
    # three points more, but below the most allowed (a share pinned exactly may not be
    # reachable in whole pounds)
    prevent = round(min(least + 0.03, most - 0.01) if most is not None else least + 0.03, 4)
    return (
        Scenario("cliff edge 2%", (SetCliffEdge(None, 0.02),)),
        Scenario("cliff edge 10%", (SetCliffEdge(None, 0.10),)),
        Scenario("transformation fund kept", tuple(
            SetEnvelope(TRANSFORMATION_STREAM, y, kept) for y in after)),
        Scenario(f"{contributor} withdraws 72% from {unit}",
                 (RemoveContribution(contributor, unit, WITHDRAWN_SHARE),)),
        Scenario("core grant -2%", (ScaleEnvelope(CORE_STREAM, None, 0.98),)),
        Scenario("core grant +2%", (ScaleEnvelope(CORE_STREAM, None, 1.02),)),
        Scenario(f"prevent {prevent:.0%} in {last}",
                 (SetShareTarget("prevent", None, "soc", last, prevent),)),
    )


def _prevent(problem: FundingProblem, year: str) -> tuple[float, float | None]:
    """Prevent's (least, most) share of SOC funding in ``year``; 0 and None where unset."""
    t = problem.share_targets
    row = t.loc[(t["strand"] == "prevent") & t["threat"].isna() & (t["scope"] == "soc")
                & (t["year"] == year)]
    if not len(row):
        return 0.0, None
    least, most = row.iloc[0]["min_share"], row.iloc[0]["max_share"]
    return (0.0 if least is None else float(least)), (None if most is None else float(most))


__all__ = ["largest_contribution", "reference_scenarios"]
