"""What a recipient can rely on, in words: how much of the plan is confirmed, how far the
next re-plan may move the rest, and what a re-plan changed against the plan before it.

For the Summary sheet and the command line; the numbers are the Plan's
(``plan.certainty``, ``plan.changes``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from fundopt._support import money
from fundopt.reports.summary import KIND_WORDS, years_words

if TYPE_CHECKING:
    from fundopt.plan import Plan

#: A change below this many pounds is none (a whole-pound plan's penny of slack).
_NONE = 1.0


def certainty_by_kind(plan: Plan) -> pd.DataFrame:
    """Per kind of recipient, then all: confirmed and indicative money over the horizon,
    the confirmed share, and the most the next re-plan may move (``may_move``)."""
    c = plan.certainty
    by = c.groupby("kind", sort=False)[["confirmed", "indicative", "may_move"]].sum()
    order = [k for k in KIND_WORDS if k in by.index] + sorted(set(by.index) - set(KIND_WORDS))
    by = by.reindex(order)
    by.loc["all"] = by.sum()
    total = by["confirmed"] + by["indicative"]
    by["confirmed_share"] = by["confirmed"] / total.where(total > 0)
    return by.rename_axis("kind").reset_index()


def certainty_sentence(plan: Plan) -> str:
    """How much of the plan is a promise, in one sentence."""
    row = certainty_by_kind(plan).iloc[-1]
    years = years_words(plan.problem.horizon)
    confirmed, indicative = float(row["confirmed"]), float(row["indicative"])
    if not indicative:
        return (f"All {money(confirmed)} planned for {years} is confirmed: a promise the next "
                "re-plan holds.")
    return (f"Of the {money(confirmed + indicative)} planned for {years}, {money(confirmed)} "
            f"({row['confirmed_share']:.0%}) is confirmed: a promise the next re-plan holds. "
            f"The other {money(indicative)} is indicative: the next re-plan may move it by "
            f"at most {money(float(row['may_move']))} in all (each figure within its "
            "tolerance).")


def change_lines(plan: Plan) -> list[str]:
    """A re-plan against the previous plan (nothing when the plan is not a re-plan): the
    confirmed figures held or broken, the indicative figures moved and the largest move,
    and the figures new to this plan."""
    c = plan.changes
    if not len(c):
        return []
    known = c.dropna(subset=["previous"])
    confirmed = known.loc[known["previous_status"] == "confirmed"]
    indicative = known.loc[known["previous_status"] == "indicative"]
    broken = int((confirmed["change"].abs() >= _NONE).sum())
    moved = indicative.loc[indicative["change"].abs() >= _NONE]
    held = (f"{len(confirmed) - broken:,} of {len(confirmed):,} confirmed figures held"
            + (f", {broken:,} broken (see Breaches)" if broken else ""))
    out = [f"changes    against the previous plan: {held}"]
    if len(moved):
        top = moved.iloc[int(moved["change"].abs().to_numpy().argmax())]
        beyond = int((moved["reason"] == "tolerance").sum())
        out.append(
            f"           {len(moved):,} of {len(indicative):,} indicative figures moved, the "
            f"largest {top['name']}'s {top['year']} by {_signed(float(top['change']))} "
            f"({float(top['change_rate']):+.1%}); {beyond:,} as far as the tolerance allows")
    else:
        out.append(f"           none of {len(indicative):,} indicative figures moved")
    new = int(c["previous"].isna().sum())
    if new:
        out.append(f"           {new:,} figures new to this plan (see the Changes sheet)")
    return out


def _signed(pounds: float) -> str:
    return ("+" if pounds > 0 else "-") + money(abs(pounds))


__all__ = ["certainty_by_kind", "certainty_sentence", "change_lines"]
