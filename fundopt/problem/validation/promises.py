"""A re-plan's tables: the previous plan's statuses and tolerances, and the years'.

A tolerance belongs to an indicative figure: a confirmed figure is held exactly, so a
tolerance beside one would be ignored, and is refused rather than silently dropped.
"""

from __future__ import annotations

import pandas as pd

from fundopt.problem.schema import YearStatus
from fundopt.problem.validation.issues import Checker

CONFIRMED, INDICATIVE = YearStatus.CONFIRMED.value, YearStatus.INDICATIVE.value


def check_promises(ck: Checker, t: dict[str, pd.DataFrame]) -> None:
    """Blank statuses of the previous plan read as confirmed; its figures in whole pounds
    (``FO-V41``); a tolerance only on an indicative year or figure (``FO-V40``)."""
    years = t["years"]
    for pos, (status, base, tolerance) in enumerate(zip(
            years["status"], years["baseline"], years["tolerance_share"], strict=True)):
        if tolerance is not None and (base or status != INDICATIVE):
            what = "the baseline year" if base else "a confirmed year"
            ck.add("years", pos, "tolerance_share",
                   f"a tolerance is for indicative years, and this is {what}", found=tolerance,
                   code="FO-V40",
                   hint="clear it (a confirmed year's figures are promises, held exactly), "
                   "or mark the year indicative")
    previous = t["previous_plan"]
    status = [CONFIRMED if s is None else str(s) for s in previous["status"]]
    previous["status"] = pd.Series(status, index=previous.index, dtype=object)
    for pos, amount in enumerate(previous["amount"]):
        if amount is not None and round(amount, 2) != round(amount):
            ck.add("previous_plan", pos, "amount",
                   f"£{amount:,.2f} is not a whole number of pounds, as a plan's figures are: "
                   "a confirmed figure in pence could never be kept exactly", found=amount,
                   code="FO-V41", hint="give the previous plan's figure to the pound")
    for pos, (s, tolerance) in enumerate(zip(status, previous["tolerance_share"], strict=True)):
        if tolerance is not None and s != INDICATIVE:
            ck.add("previous_plan", pos, "tolerance_share",
                   "a tolerance is for indicative figures, and this one is confirmed",
                   found=tolerance, code="FO-V40",
                   hint="clear it (a confirmed figure is held exactly), or mark it indicative")
