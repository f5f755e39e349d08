"""The next spending round's problem from this round's plan: one year on.

A rolling settlement plans the same horizon length each year: the plan's first year has
happened (its allocation becomes the baseline), and a new year is planned at the end. The
rules carry over as they are; the new year's envelopes and other income are the last
year's grown by a rate, and its year-specific rules (floors, shares, requirements, share
targets) the last year's. Everything it makes up is said in its docstring, and is what a
finance team would then edit for the new settlement before re-planning.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from fundopt.errors import UsageError, expect
from fundopt.plan.plan import Plan
from fundopt.problem import FundingProblem
from fundopt.problem.schema import YearStatus
from fundopt.problem.validation import year_start

#: Tables whose rows are for one year (column ``year``; blank = every year in some).
_YEAR_ROWS = ("limits", "local_shares", "requirements", "share_targets")


def next_year(label: str) -> str:
    """The fiscal year after ``label``: 2030-31 -> 2031-32."""
    start = year_start(label) + 1
    return f"{start}-{(start + 1) % 100:02d}"


def roll_forward(plan: Plan, *, growth_rate: float = 0.0) -> FundingProblem:
    """The problem of the next spending round, one year on from ``plan``'s:

    - the plan's first year becomes the baseline year, its allocation (per recipient,
      activity and stream) the baselines; the old baseline year's other income is dropped;
    - a new last year is planned, indicative (with the last indicative year's tolerance):
      its envelopes and other income are the last year's times ``1 + growth_rate`` (to the
      pound), and its year-specific rows of *Floors and caps*, *Local shares*, *National
      requirements* and *Share targets* the last year's;
    - floors and caps stated as a multiple of the baseline become pounds of the old
      baseline (to the pound), so the rules the plan's promises were made under stay the
      same rules (rebase them by editing *Floors and caps*);
    - the other years keep their status; rows for the first year are dropped and
      commitments start from the new first year; a recipient first funded in the first
      year now has a baseline (its first year is cleared);
    - the *Previous plan* is cleared: re-plan with ``fo.replan(plan, next_problem)``.

    Refused (:class:`~fundopt.UsageError`) for a recipient whose last funded year is the
    plan's first (it ends: take it out of the problem first) or a plan whose horizon is one
    year. Then change what the new settlement changes (``problem.replace(envelopes=...)``)
    and re-plan."""
    expect(plan, Plan, "roll_forward's plan", "pass the plan fo.solve or fo.replan returned")
    p = plan.problem
    horizon = p.horizon
    if len(horizon) < 2:
        raise UsageError("roll_forward needs a horizon of two years or more (the first "
                         "becomes the baseline)")
    first, last, new = horizon[0], horizon[-1], next_year(horizon[-1])
    ending = sorted(str(r) for r, y in zip(p.recipients["recipient"], p.recipients["last_year"],
                                           strict=True) if y == first)
    if ending:
        raise UsageError(f"{', '.join(ending)} last funded in {first}: take "
                         f"{'it' if len(ending) == 1 else 'them'} out of the problem before "
                         "rolling it forward")
    grow = 1.0 + float(growth_rate)
    recipients = p.recipients.copy()
    recipients["first_year"] = [None if y == first else y for y in recipients["first_year"]]
    changes: dict[str, Any] = {
        "years": _years(p, first, new),
        "recipients": recipients,
        "baselines": _baselines(plan, first),
        "envelopes": _grown(p.envelopes, first, last, new, grow, drop=(first,)),
        "other_income": _grown(p.other_income, first, last, new, grow,
                               drop=(p.baseline_year,)),
        "commitments": _commitments(p.commitments, first),
        "previous_plan": p.previous_plan.iloc[0:0],
    }
    for name in _YEAR_ROWS:
        changes[name] = _copied(getattr(p, name), first, last, new)
    changes["limits"] = _in_pounds(changes["limits"], p)
    return p.replace(**changes)


def _years(p: FundingProblem, first: str, new: str) -> pd.DataFrame:
    years = p.years.loc[p.years["year"] != p.baseline_year].copy()
    years["baseline"] = years["year"] == first
    years.loc[years["baseline"], ["status", "tolerance_share"]] = None
    indicative = years.loc[years["status"] == YearStatus.INDICATIVE.value, "tolerance_share"]
    tolerance = indicative.iloc[-1] if len(indicative) else None
    return _append(years, [{"year": new, "baseline": False,
                            "status": YearStatus.INDICATIVE.value,
                            "tolerance_share": tolerance}], p.years)


def _baselines(plan: Plan, first: str) -> pd.DataFrame:
    year = plan.allocations.loc[plan.allocations["year"] == first]
    a = year.groupby(["recipient", "activity", "stream"], as_index=False)["amount"].sum()
    return pd.DataFrame({"recipient": a["recipient"], "activity": a["activity"],
                         "amount": a["amount"].astype(float), "stream": a["stream"]},
                        columns=list(plan.problem.baselines.columns)).astype(object)


def _grown(table: pd.DataFrame, first: str, last: str, new: str, grow: float, *,
           drop: tuple[str, ...]) -> pd.DataFrame:
    """``table`` without the rows of years ``drop``, and the rows of ``last`` again for
    ``new`` with their amounts grown (to the pound)."""
    added = table.loc[table["year"] == last].copy()
    added["year"] = new
    added["amount"] = [float(np.floor(float(v) * grow + 0.5)) for v in added["amount"]]
    return _append(table.loc[~table["year"].isin(drop)], added.to_dict("records"), table)


def _copied(table: pd.DataFrame, first: str, last: str, new: str) -> pd.DataFrame:
    """``table`` without its rows for ``first`` and with its rows for ``last`` again for
    ``new`` (rows with a blank year cover the new year already)."""
    added = table.loc[table["year"] == last].copy()
    added["year"] = new
    return _append(table.loc[table["year"] != first], added.to_dict("records"), table)


def _in_pounds(limits: pd.DataFrame, p: FundingProblem) -> pd.DataFrame:
    """Floors and caps stated as a multiple of the baseline, in pounds of the old
    baseline: the same rules as before (a floor of "its 2026-27 cash" stays that), where
    the new baseline would move them under figures already confirmed."""
    base = p.baselines.groupby("recipient")["amount"].sum()
    out = limits.copy()
    for ratio, amount in (("floor_ratio", "floor_amount"), ("cap_ratio", "cap_amount")):
        for label, row in out.loc[out[ratio].notna()].iterrows():
            pounds = float(np.floor(float(row[ratio]) * float(base.get(row["recipient"], 0.0))
                                    + 0.5))
            if row[amount] is not None and not pd.isna(row[amount]):
                keep = max if ratio == "floor_ratio" else min
                pounds = keep(pounds, float(row[amount]))
            out.at[label, amount] = pounds
            out.at[label, ratio] = None
    return out


def _commitments(table: pd.DataFrame, first: str) -> pd.DataFrame:
    out = table.loc[table["last_year"] != first].copy()
    out["first_year"] = [next_year(first) if y == first else y for y in out["first_year"]]
    return out


def _append(table: pd.DataFrame, records: list[dict[Any, Any]], whole: pd.DataFrame
            ) -> pd.DataFrame:
    """``table`` with ``records`` after it, labelled past every label of ``whole`` (the
    table it was cut from), so no added row is taken for a row of the input workbook."""
    if not records:
        return table
    start = max(int(max(whole.index, default=-1)) + 1, len(whole))
    added = pd.DataFrame(records, columns=table.columns,
                         index=range(start, start + len(records))).astype(object)
    return pd.concat([table.astype(object), added])
