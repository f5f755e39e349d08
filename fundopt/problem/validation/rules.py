"""The rule sheets: each family's rows agree with themselves and with the tables they rely on.

One function per sheet, run in the order of :data:`fundopt.problem.schema.TABLES`.
"""

from __future__ import annotations

import itertools
from typing import Any

import pandas as pd

from fundopt.errors import Severity
from fundopt.problem.validation.cells import year_start
from fundopt.problem.validation.issues import Checker
from fundopt.problem.validation.tables import rows

_LIMIT_COLUMNS = ("floor_amount", "floor_ratio", "cap_amount", "cap_ratio")


def check_rules(ck: Checker, t: dict[str, pd.DataFrame]) -> None:
    _check_need_weights(ck, t["recipients"])
    _check_must_spend_in_whole_pounds(ck, t["envelopes"])
    _check_eligibility(ck, t)
    _check_baselines(ck, t["baselines"])
    _check_baselines_in_baseline_year(ck, t)
    _check_limits(ck, t)
    _check_commitments(ck, t["commitments"])
    _check_cliff_edges(ck, t["cliff_edges"])
    _check_local_shares(ck, t)
    _check_share_targets(ck, t["share_targets"])
    _check_value_tranches(ck, t["value_tranches"])
    _check_line_limits(ck, t["line_limits"])
    _check_priorities(ck, t["priorities"])


#: A need share below this is under the solver's precision (HiGHS drops matrix entries
#: below 1e-9): a weight that small beside its kind's total is a typing or unit mistake.
LEAST_NEED_SHARE = 1e-7


def _check_need_weights(ck: Checker, recipients: pd.DataFrame) -> None:
    # a target share of weight / sum of weights means nothing for a negative weight
    totals: dict[Any, float] = {}
    for pos, row in rows(recipients):
        weight = row["need_weight"]
        if weight is not None and weight < 0:
            ck.add("recipients", int(pos), "need_weight", "'need_weight' must not be negative",
                   found=weight, code="FO-V16",
                   hint="a need weight is a share of need: 0 or more (blank: no need target)")
        elif weight is not None:
            totals[row["kind"]] = totals.get(row["kind"], 0.0) + float(weight)
    for pos, row in rows(recipients):
        weight, total = row["need_weight"], totals.get(row["kind"], 0.0)
        if weight is not None and 0 < weight < LEAST_NEED_SHARE * total:
            ck.add("recipients", int(pos), "need_weight",
                   f"'need_weight' is too small beside the other {row['kind']} weights "
                   f"(a share of {weight / total:.2g} of their total)", found=weight,
                   code="FO-V17",
                   hint="weights are relative: check the unit (all in £, or all in £m), or "
                        "leave it blank for no need target")


def _check_must_spend_in_whole_pounds(ck: Checker, envelopes: pd.DataFrame) -> None:
    """A plan is in whole pounds, so an envelope that must be spent exactly has to be a whole
    number of pounds, or no plan can spend it (found here, not as a rounding failure)."""
    for pos, row in rows(envelopes):
        amount = row["amount"]
        if row["must_spend"] and amount is not None and round(amount, 2) != round(amount):
            ck.add(
                "envelopes", int(pos), "amount",
                f"a must-spend envelope of £{amount:,.2f} is not a whole number of pounds, so "
                "no plan in whole pounds can spend it exactly",
                found=amount, code="FO-V34",
                hint="round it to whole pounds, or clear must_spend",
            )


def _check_baselines_in_baseline_year(ck: Checker, t: dict[str, pd.DataFrame]) -> None:
    """A baseline is funding in the baseline year: a recipient first funded in a horizon
    year did not exist then (its first cliff edge and its glide path would start from
    money it never had)."""
    first = {r: fy for r, fy in zip(t["recipients"]["recipient"], t["recipients"]["first_year"],
                                    strict=True) if r is not None and fy}
    for pos, row in rows(t["baselines"]):
        r = row["recipient"]
        if r in first:
            ck.add(
                "baselines", int(pos), "recipient",
                f"'{r}' has a baseline (funding in the baseline year) but its first funded "
                f"year is {first[r]}, so it did not exist in the baseline year",
                found=r, code="FO-V32",
                hint="leave its first_year blank on Recipients if it was funded before the "
                     "horizon, or delete this baseline row",
            )


def _check_eligibility(ck: Checker, t: dict[str, pd.DataFrame]) -> None:
    kinds = dict(zip(t["recipients"]["recipient"], t["recipients"]["kind"], strict=True))
    for pos, row in rows(t["eligibility"]):
        if (
            row["recipient"]
            and row["recipient_kind"]
            and kinds.get(row["recipient"]) not in (None, row["recipient_kind"])
        ):
            ck.add(
                "eligibility",
                int(pos),
                "recipient_kind",
                f"'{row['recipient']}' is a {kinds[row['recipient']]}, "
                f"not a {row['recipient_kind']}",
                code="FO-V25",
            )


def _check_baselines(ck: Checker, base: pd.DataFrame) -> None:
    # rows of one recipient at different levels would count the same money twice
    for r, grp in base.groupby("recipient", dropna=True):
        for column, what in (("activity", "per-activity"), ("stream", "per-stream")):
            if grp[column].isna().any() and grp[column].notna().any():
                row = int(grp.index[grp[column].isna()][0])
                ck.add(
                    "baselines",
                    row,
                    column,
                    f"'{r}' has both rows with a blank {column} and {what} baselines",
                    code="FO-V26",
                    hint=f"give every row of '{r}' a {column}, or none",
                )


def _check_limits(ck: Checker, t: dict[str, pd.DataFrame]) -> None:
    based = set(t["baselines"]["recipient"].dropna())
    for pos, row in rows(t["limits"]):
        if (row["floor_ratio"] is not None or row["cap_ratio"] is not None) and row[
            "recipient"
        ] not in based:
            ck.add(
                "limits",
                int(pos),
                "floor_ratio" if row["floor_ratio"] is not None else "cap_ratio",
                f"a ratio to baseline needs a baseline for '{row['recipient']}'",
                code="FO-V27",
                hint="add its baseline or give the limit as an amount",
            )
        for lo, hi in (("floor_amount", "cap_amount"), ("floor_ratio", "cap_ratio")):
            if row[lo] is not None and row[hi] is not None and row[lo] > row[hi]:
                ck.add("limits", int(pos), hi, f"{hi} is below {lo}", found=row[hi], code="FO-V28")
        if all(row[c] is None for c in _LIMIT_COLUMNS):
            ck.add(
                "limits",
                int(pos),
                "floor_amount",
                "row sets no floor and no cap",
                code="FO-V21",
                severity=Severity.WARNING,
            )


def _check_commitments(ck: Checker, commitments: pd.DataFrame) -> None:
    for pos, row in rows(commitments):
        fy, ly = row["first_year"], row["last_year"]
        if fy and ly and year_start(fy) > year_start(ly):
            ck.add(
                "commitments",
                int(pos),
                "last_year",
                "last year is before the first year",
                found=ly,
                code="FO-V23",
            )


def _check_cliff_edges(ck: Checker, cliff_edges: pd.DataFrame) -> None:
    if int(cliff_edges["recipient"].isna().sum()) > 1:
        ck.add(
            "cliff_edges",
            None,
            "recipient",
            "more than one default (blank recipient) row",
            code="FO-V20",
        )


def _check_local_shares(ck: Checker, t: dict[str, pd.DataFrame]) -> None:
    lp = set(t["local_priorities"]["recipient"].dropna())
    for pos, row in rows(t["local_shares"]):
        if (row["min_local_share"] is not None or row["min_local_amount"] is not None) and (
            row["recipient"] not in lp
        ):
            ck.add(
                "local_shares",
                int(pos),
                "recipient",
                f"'{row['recipient']}' has a local share but no local-priority activities",
                code="FO-V29",
                hint="list its local priorities on the Local priorities sheet",
            )


def _check_share_targets(ck: Checker, targets: pd.DataFrame) -> None:
    name = "share_targets"
    for pos, row in rows(targets):
        if (
            row["min_share"] is not None
            and row["max_share"] is not None
            and (row["min_share"] > row["max_share"])
        ):
            ck.add(name, int(pos), "max_share", "max_share is below min_share", code="FO-V28")
        if row["min_share"] is None and row["max_share"] is None:
            ck.add(
                name,
                int(pos),
                "min_share",
                "row sets no share",
                code="FO-V21",
                severity=Severity.WARNING,
            )


def _check_value_tranches(ck: Checker, vt: pd.DataFrame) -> None:
    for _key, grp in vt.groupby([vt["recipient"].fillna(""), vt["activity"].fillna("")]):
        _check_tranches_of_one_line(ck, grp.sort_values("tranche"))


def _check_tranches_of_one_line(ck: Checker, grp: pd.DataFrame) -> None:
    """One (recipient, activity) line's tranches, in tranche order: a concave value curve."""
    nums = [n for n in grp["tranche"] if n is not None]
    if nums != list(range(1, len(nums) + 1)):
        ck.add(
            "value_tranches",
            int(grp.index[0]),
            "tranche",
            "tranches must be numbered 1, 2, 3, ... without gaps",
            found=nums,
            code="FO-V30",
        )
    widths = list(grp["width"])
    for i, (pos, w) in enumerate(zip(grp.index, widths, strict=True)):
        if w is None and i < len(widths) - 1:
            ck.add(
                "value_tranches",
                int(pos),
                "width",
                "only the last tranche may be unlimited",
                code="FO-V30",
            )
    vals = [v for v in grp["value"] if v is not None]
    if any(b > a for a, b in itertools.pairwise(vals)):
        ck.add(
            "value_tranches",
            int(grp.index[0]),
            "value",
            "values must not rise from one tranche to the next (diminishing returns)",
            found=vals,
            code="FO-V30",
        )


def _check_line_limits(ck: Checker, limits: pd.DataFrame) -> None:
    # a line is a recipient's activity; a stream row names a stream: never the other
    for pos, row in rows(limits):
        wrong = "stream" if row["level"] == "line" else "activity"
        if row["level"] is not None and row[wrong] is not None:
            ck.add(
                "line_limits",
                int(pos),
                wrong,
                f"a {row['level']} limit names a{'n' if wrong == 'activity' else ''} {wrong}",
                found=row[wrong],
                code="FO-V36",
                hint=f"leave {wrong} blank on a {row['level']} row",
            )


def _check_priorities(ck: Checker, prio: pd.DataFrame) -> None:
    """Tiers numbered 1..n, positive weights, one give per tier, stability in the last."""
    name = "priorities"
    tiers = sorted({int(k) for k in prio["tier"] if k is not None})
    if tiers and tiers != list(range(1, len(tiers) + 1)):
        ck.add(name, int(prio.index[0]), "tier", "tiers must be numbered 1, 2, 3, ... "
               "without gaps", found=tiers, code="FO-V35")
    last = tiers[-1] if tiers else None
    gives: dict[int, float] = {}
    for pos, row in rows(prio):
        if row["weight"] is not None and row["weight"] <= 0:
            ck.add(name, int(pos), "weight", "a weight must be above 0 (leave the goal out "
                   "instead)", found=row["weight"], code="FO-V35")
        if row["goal"] == "stability" and row["tier"] is not None and row["tier"] != last:
            ck.add(name, int(pos), "tier", "stability breaks the last ties: it must be in "
                   "the last tier", found=row["tier"], code="FO-V35",
                   hint=f"put it in tier {last} or later")
        if row["tier"] is not None and row["give"] is not None:
            k = int(row["tier"])
            if k in gives and gives[k] != row["give"]:
                ck.add(name, int(pos), "give", f"tier {k} is given two different gives",
                       found=row["give"], code="FO-V35", hint="give it on one row only")
            gives.setdefault(k, row["give"])
    if len(prio) and "value" not in set(prio["goal"]):
        ck.add(name, None, "goal", "no tier has the goal 'value', so nothing rewards "
               "spending money: a plan may leave envelopes unspent", code="FO-V35",
               severity=Severity.WARNING, hint="add value to a tier, usually tier 1")
