"""How much a cut in the envelopes would move a plan's confirmed and indicative money.

For each horizon year, every envelope of that year (or of some streams) is cut by a share
and the plan is re-planned from itself (:func:`fundopt.replan`): its confirmed figures are
promises, its indicative ones keep to their tolerance, each priced at its *Negotiability*
penalty (``Promises.PRICED``), so where the cut cannot keep every promise the re-plan
breaks the cheapest. The table says how much confirmed money a cut of that size in that
year would take, and how much indicative money it would move. One re-plan per year:
about 2 s each on the reference model, so it is asked for, not part of every solve.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from fundopt.errors import UsageError, expect
from fundopt.plan import Plan
from fundopt.plan.replan import PreviousPlan, Promises, replan

CUT_COLUMNS = ["cut_year", "cut_year_status", "recipient", "name", "kind", "confirmed_moved",
               "indicative_moved", "promises_broken"]


def cut_effect(plan: Plan, cut_share: float = 0.02, *,
               streams: Sequence[str] | None = None) -> pd.DataFrame:
    """Per horizon year cut and recipient (columns :data:`CUT_COLUMNS`): the pounds of its
    confirmed and of its indicative figures a re-plan would move if every envelope of that
    year (of ``streams``, default every stream) were ``cut_share`` lower, and how many of its
    promises (confirmed figures, tolerances, notice) that re-plan breaks. Recipients nothing
    moves for are left out; a year whose cut moves nothing has no rows."""
    expect(plan, Plan, "cut_effect's plan", "pass the plan fo.solve or fo.replan returned")
    if not 0 < float(cut_share) < 1:
        raise UsageError(f"cut_share must be between 0 and 1 (0.02 for 2%), not {cut_share!r}")
    p = plan.problem.replace(previous_plan=plan.problem.previous_plan.iloc[0:0])
    known = set(p.streams["stream"])
    unknown = sorted(set(streams or ()) - known)
    if unknown:
        raise UsageError(f"cut_effect: unknown stream {', '.join(map(repr, unknown))}")
    figures = PreviousPlan.from_plan(plan)
    before = plan.settlement.set_index(["recipient", "year"])
    frames = []
    for year in p.horizon:
        env = p.envelopes.copy()
        cut = (env["year"] == year) & (env["stream"].isin(streams) if streams else True)
        env.loc[cut, "amount"] = [float(round(float(v) * (1 - cut_share)))
                                  for v in env.loc[cut, "amount"]]
        after = replan(figures, p.replace(envelopes=env), promises=Promises.PRICED,
                       on_infeasible="relax")
        frames.append(_moved(before, after, year, year in p.indicative_years))
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    return out.reindex(columns=CUT_COLUMNS)


def _moved(before: pd.DataFrame, after: Plan, year: str, indicative: bool) -> pd.DataFrame:
    new = after.settlement.set_index(["recipient", "year"])["allocation"]
    moved = (new - before["allocation"]).abs()
    confirmed = before["status"] == "confirmed"
    broken = after.breaches
    broken = broken.loc[broken["rule"].str.match(r"(promise|tolerance_\w+|notice)\[")] \
        if len(broken) else broken
    count = broken["rule"].str.extract(r"\[([^,\]]+),")[0].value_counts() if len(broken) \
        else pd.Series(dtype=int)
    table = pd.DataFrame({
        "confirmed_moved": moved.where(confirmed, 0.0).groupby(level=0).sum(),
        "indicative_moved": moved.where(~confirmed, 0.0).groupby(level=0).sum()})
    names = before.reset_index().drop_duplicates("recipient").set_index("recipient")
    table["promises_broken"] = count.reindex(table.index).fillna(0).astype(int)
    table = table.loc[(table["confirmed_moved"] >= 1) | (table["indicative_moved"] >= 1)
                      | (table["promises_broken"] > 0)]
    return table.rename_axis("recipient").reset_index().assign(
        cut_year=year, cut_year_status="indicative" if indicative else "confirmed",
        name=lambda t: t["recipient"].map(names["name"]),
        kind=lambda t: t["recipient"].map(names["kind"]))
