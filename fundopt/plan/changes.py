"""A plan as a settlement, and a re-plan against the plan it started from.

- :func:`settlement_table`: what the plan promises, per recipient and year: its
  allocation, confirmed (a promise the next re-plan holds) or indicative (a planning
  figure it keeps within a tolerance). It is what the next re-plan reads.
- :func:`changes_table`: per recipient and year, the previous plan's figure, the new one,
  the change and its reason (docs/formulation.md, "Re-planning").

Pure pandas on a solved plan; no solver.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from fundopt._support import money, percent
from fundopt.explain.reasons import ReasonCode
from fundopt.formulation.constraints.promises import highest, lowest
from fundopt.problem.schema import DEFAULT_TOLERANCE_SHARE, YearStatus
from fundopt.problem.validation import rows, year_start

if TYPE_CHECKING:
    from fundopt.plan.plan import Plan
    from fundopt.problem import FundingProblem

SETTLEMENT_COLUMNS = ["recipient", "name", "kind", "year", "status", "allocation",
                      "tolerance_share", "at_least", "at_most"]
CHANGE_COLUMNS = ["recipient", "name", "kind", "year", "previous_status", "previous", "new",
                  "change", "change_rate", "tolerance_share", "reason", "words"]
CERTAINTY_COLUMNS = ["recipient", "name", "kind", "confirmed", "indicative", "confirmed_share",
                     "may_move", "largest_change", "largest_change_rate", "largest_change_year"]
#: A change below this many pounds is none (whole-pound plans; a penny of rounding slack)
UNCHANGED_POUNDS = 1.0
INDICATIVE = YearStatus.INDICATIVE.value


class ChangeReason(StrEnum):
    """Why a recipient's figure for a year moved from the previous plan (or did not)."""

    CONFIRMED = "confirmed"  # confirmed in the previous plan: held (or broken, if relaxed)
    UNCHANGED = "unchanged"  # an indicative figure kept
    TOLERANCE = "tolerance"  # moved as far as its tolerance allows
    NOTICE = "notice"  # cut as far as its notice period allows
    NEW_RULE = "new_rule"  # a rule of its own sets the new figure
    NEW_ENVELOPE = "new_envelope"  # the envelopes and the policy moved it, no rule of its own
    NEW_FIGURE = "new_figure"  # no figure in the previous plan (a new year or recipient)


def funded_years(problem: FundingProblem) -> dict[str, tuple[str, ...]]:
    """recipient -> the horizon years it may be funded in."""
    out = {}
    for _, r in rows(problem.recipients):
        first = year_start(str(r["first_year"])) if r["first_year"] else -1
        last = year_start(str(r["last_year"])) if r["last_year"] else 10_000
        out[str(r["recipient"])] = tuple(y for y in problem.horizon
                                         if first <= year_start(y) <= last)
    return out


def year_tolerances(problem: FundingProblem) -> dict[str, float | None]:
    """horizon year -> its tolerance if indicative (blank = 5%), None if confirmed."""
    out: dict[str, float | None] = {}
    for _, y in rows(problem.years):
        if y["baseline"]:
            continue
        tolerance = y["tolerance_share"]
        out[str(y["year"])] = None if y["status"] != INDICATIVE else (
            DEFAULT_TOLERANCE_SHARE if tolerance is None else float(tolerance))
    return out


def settlement_table(plan: Plan) -> pd.DataFrame:
    """Per recipient and funded horizon year (columns :data:`SETTLEMENT_COLUMNS`): the
    allocation, the year's status and, for an indicative year, its tolerance and the least
    and most the next re-plan may give (a confirmed figure's least and most are itself)."""
    p = plan.problem
    got = plan.allocations.groupby(["recipient", "year"])["amount"].sum().to_dict()
    tolerance = year_tolerances(p)
    names = p.recipients.set_index("recipient")
    out = []
    for r, years in sorted(funded_years(p).items()):
        for t in years:
            amount = int(got.get((r, t), 0))
            share = tolerance[t]
            out.append((r, names.at[r, "name"], names.at[r, "kind"], t,
                        YearStatus.CONFIRMED.value if share is None else INDICATIVE, amount,
                        np.nan if share is None else share,
                        lowest(amount, share or 0.0), highest(amount, share or 0.0)))
    return pd.DataFrame(out, columns=SETTLEMENT_COLUMNS)


def changes_table(plan: Plan) -> pd.DataFrame:
    """Per recipient and year of a re-plan (columns :data:`CHANGE_COLUMNS`): the previous
    plan's figure, the new one, the change and why; empty when the plan is not a re-plan
    (its problem has no *Previous plan* rows)."""
    p = plan.problem
    previous = p.previous_plan
    if not len(previous):
        return pd.DataFrame(columns=CHANGE_COLUMNS)
    new = settlement_table(plan).set_index(["recipient", "year"])
    why = _Why(plan)
    seen = set()
    out = []
    for _, row in rows(previous):
        r, t = str(row["recipient"]), str(row["year"])
        seen.add((r, t))
        before = float(row["amount"])
        after = float(new["allocation"].get((r, t), 0))
        share = None if row["status"] != INDICATIVE else (
            DEFAULT_TOLERANCE_SHARE if row["tolerance_share"] is None
            else float(row["tolerance_share"]))
        reason, words = why.reason(r, t, str(row["status"]), before, after, share)
        out.append((r, t, str(row["status"]), before, after, share, reason, words))
    for r, t, amount in zip(new.index.get_level_values(0), new.index.get_level_values(1),
                            new["allocation"], strict=True):
        if (r, t) not in seen:
            out.append((r, t, "", np.nan, float(amount), None,
                        ChangeReason.NEW_FIGURE,
                        "No figure in the previous plan: a year or recipient new to this plan"))
    table = pd.DataFrame(out, columns=["recipient", "year", "previous_status", "previous",
                                       "new", "tolerance_share", "reason", "words"])
    names = p.recipients.set_index("recipient")
    table["name"] = table["recipient"].map(names["name"])
    table["kind"] = table["recipient"].map(names["kind"])
    table["change"] = table["new"] - table["previous"]
    table["change_rate"] = table["change"] / table["previous"].where(table["previous"] != 0)
    table["tolerance_share"] = table["tolerance_share"].astype(float)
    table["reason"] = table["reason"].map(lambda c: c.value)
    order = table["year"].map(year_start)
    table = table.assign(_order=order).sort_values(["recipient", "_order"], kind="stable")
    return table[CHANGE_COLUMNS].reset_index(drop=True)


def certainty_table(plan: Plan) -> pd.DataFrame:
    """Per recipient (columns :data:`CERTAINTY_COLUMNS`): its money over the horizon that
    is confirmed and indicative, the confirmed share, ``may_move`` (the most the next
    re-plan may move its indicative money within tolerance: the sum of tolerance times
    figure) and, for a re-plan, the largest change from the previous plan (pounds, rate
    and year; blank otherwise)."""
    s = plan.settlement
    confirmed = s["status"] == YearStatus.CONFIRMED.value
    out = pd.DataFrame({
        "recipient": s["recipient"], "name": s["name"], "kind": s["kind"],
        "confirmed": s["allocation"].where(confirmed, 0).astype(float),
        "indicative": s["allocation"].where(~confirmed, 0).astype(float),
        "may_move": (s["allocation"] * s["tolerance_share"].fillna(0.0)).astype(float),
    }).groupby(["recipient", "name", "kind"], as_index=False, sort=True).sum()
    total = out["confirmed"] + out["indicative"]
    out["confirmed_share"] = out["confirmed"] / total.where(total > 0)
    changes = plan.changes.dropna(subset=["previous"])
    if len(changes):
        biggest = changes.loc[changes["change"].abs().groupby(changes["recipient"]).idxmax()]
        biggest = biggest.set_index("recipient")
        out["largest_change"] = out["recipient"].map(biggest["change"])
        out["largest_change_rate"] = out["recipient"].map(biggest["change_rate"])
        out["largest_change_year"] = out["recipient"].map(biggest["year"])
    else:
        out["largest_change"] = out["largest_change_rate"] = np.nan
        out["largest_change_year"] = None
    return out[CERTAINTY_COLUMNS]


#: Reasons that are no rule of the recipient's own: the policy moved it, with the money.
_POLICY = {ReasonCode.NEEDS_TARGET.value, ReasonCode.VOLATILITY.value,
           ReasonCode.VALUE_OF_MONEY.value, ReasonCode.CHOICE.value,
           ReasonCode.POLICY_OR_CHOICE.value, ReasonCode.ENVELOPE.value,
           ReasonCode.TOLERANCE.value, ReasonCode.PROMISE.value, ReasonCode.NOTICE.value}


class _Why:
    """The reason for one recipient-year's change, from the rules the plan meets exactly
    and ``plan.reasons``."""

    def __init__(self, plan: Plan) -> None:
        self.binding = set(plan.binding["rule"]) if len(plan.binding) else set()
        broken = plan.breaches
        self.broken = set(broken["rule"]) if len(broken) else set()
        self.reasons = {(r, t): (code, words) for r, t, code, words in zip(
            plan.reasons.get("recipient", ()), plan.reasons.get("year", ()),
            plan.reasons.get("reason", ()), plan.reasons.get("words", ()), strict=True)}

    def reason(self, r: str, t: str, status: str, before: float, after: float,
               share: float | None) -> tuple[ChangeReason, str]:
        change = after - before
        if share is None:
            if abs(change) < UNCHANGED_POUNDS:
                return ChangeReason.CONFIRMED, "Confirmed in the previous plan: held"
            return (ChangeReason.CONFIRMED, f"Confirmed in the previous plan, but the rules "
                    f"could not all hold: broken by {money(abs(change))} (see Breaches)")
        if abs(change) < UNCHANGED_POUNDS:
            return ChangeReason.UNCHANGED, "Indicative in the previous plan: kept"
        edge = "low" if change < 0 else "high"
        if f"tolerance_{edge}[{r},{t}]" in self.binding | self.broken:
            way = "down" if change < 0 else "up"
            return (ChangeReason.TOLERANCE, f"Indicative in the previous plan: moved {way} "
                    f"as far as its tolerance ({percent(share)}) allows")
        if change < 0 and f"notice[{r},{t}]" in self.binding | self.broken:
            return (ChangeReason.NOTICE,
                    "Cut as far as its notice period allows; a deeper cut needs notice")
        code, words = self.reasons.get((r, t), ("", ""))
        if code and code not in _POLICY:
            return ChangeReason.NEW_RULE, f"A rule of its own sets it: {_lower(words)}"
        detail = f": {_lower(words)}" if words else ""
        return (ChangeReason.NEW_ENVELOPE,
                f"Moved with the new envelopes, within its tolerance{detail}")


def _lower(text: str) -> str:
    return text[:1].lower() + text[1:]
