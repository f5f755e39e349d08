"""The table sheets of the results workbook, as declarations (see
:mod:`fundopt.io.sheet_spec`), in workbook order after the Summary.

A sheet whose table the Plan does not have (yet), or whose table is empty, is left out:
*Bands* appears when the plan was solved with bands, *Winners and losers* when the
problem's Baselines say which stream paid each baseline, *Sources* when the input workbook
has that sheet, *Changes* when the plan is a re-plan (``plan.changes``); ``plan.tiers``
gets its sheet the day the Plan carries it. The columns of ``plan.reasons``,
``plan.sensitivity`` and ``plan.bands`` are explain's
(:data:`~fundopt.explain.reasons.REASON_COLUMNS`,
:data:`~fundopt.explain.ranging.SENSITIVITY_COLUMNS`,
:data:`~fundopt.explain.bands.BAND_COLUMNS`), shown by their display names with money in
the workbook's unit. docs/results.md says what each sheet is.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import pandas as pd

from fundopt.explain.bands import BAND_COLUMNS
from fundopt.explain.ranging import SENSITIVITY_COLUMNS
from fundopt.explain.reasons import REASON_COLUMNS, ReasonCode
from fundopt.io import report_tables as rt
from fundopt.io import winners
from fundopt.io.replan_sheets import CHANGES_SPEC, SETTLEMENT_SPEC
from fundopt.io.sheet_spec import Col, Format, SheetSpec, attribute
from fundopt.io.xlsx import BAD_FILL, HIGHLIGHT_FILL
from fundopt.plan import Plan

M, P, PRICE = Format.MONEY, Format.PERCENT, Format.PRICE
LONG_TABLE_PRINT_ROWS = 100
#: Reasons' and Sensitivity's rows are three lines tall (a sentence each): their first 50
#: print (the numbers rules set; the most valuable rules).
THREE_LINE_PRINT_ROWS = 50

RECIPIENT = (Col("recipient", "Recipient"), Col("name", "Name"),
             Col("kind", "Kind", in_words=True))
RULE = (Col("family", "Family"), Col("description", "Rule in words", wrap=True, in_words=True),
        Col("year", "Year"), Col("recipient", "Recipient"), Col("stream", "Stream"))

_YELLOW = HIGHLIGHT_FILL.fgColor.rgb[-6:]
_RED = BAD_FILL.fgColor.rgb[-6:]


def _sorted_by_price(column: str, name: str) -> Any:
    def get(plan: Plan) -> pd.DataFrame | None:
        table = getattr(plan, name, None)
        if not isinstance(table, pd.DataFrame) or column not in table.columns:
            return table
        return table.sort_values(column, key=lambda s: -s.abs(), kind="stable")

    return get


def _checks(plan: Plan) -> pd.DataFrame:
    c = plan.checks
    return c.sort_values("passed", kind="stable") if "passed" in c.columns else c


def _failed_checks(plan: Plan, frame: pd.DataFrame) -> list[tuple[int, str, str]]:
    if "passed" not in frame.columns:
        return []
    return [(i, "passed", _RED) for i, ok in enumerate(frame["passed"]) if not bool(ok)]


def _limits(part: str) -> Any:
    def marks(plan: Plan, frame: pd.DataFrame) -> list[tuple[int, str, str]]:
        return [(i, c, _YELLOW) for i, c in rt.limit_cells(plan, frame, part)]

    return marks


def _winners(plan: Plan) -> pd.DataFrame | None:
    table = getattr(plan, "against_todays_method", None)
    return winners.winners_table(table) if isinstance(table, pd.DataFrame) else None


#: Reasons that are no rule of the recipient's own: the policy, or a choice.
POLICY_REASONS = (ReasonCode.NEEDS_TARGET, ReasonCode.VOLATILITY, ReasonCode.VALUE_OF_MONEY,
                  ReasonCode.CHOICE, ReasonCode.POLICY_OR_CHOICE)


def _reasons(plan: Plan) -> pd.DataFrame | None:
    """``plan.reasons``, the numbers a rule sets first, with each reason code in words
    (``value_of_money`` -> ``value of money``), so the sheet's filter lists words."""
    table = getattr(plan, "reasons", None)
    if not isinstance(table, pd.DataFrame) or "reason" not in table.columns:
        return table if isinstance(table, pd.DataFrame) else None
    # the numbers a rule of the recipient's own sets come first: the many the policy sets
    # (or that are a choice) read alike, and would fill the printed pages
    policy = table["reason"].isin([c.value for c in POLICY_REASONS])
    out = pd.concat([table.loc[~policy], table.loc[policy]], ignore_index=True)
    return out.assign(reason=out["reason"].map(lambda c: str(c).replace("_", " ")))


#: Ranging's columns that may be unlimited (an infinite range): shown as words, not blank.
_RANGES = ("allowable_increase", "allowable_decrease")
UNLIMITED = "unlimited"


def _stream_use(plan: Plan) -> pd.DataFrame:
    """``plan.stream_use``, the streams with the most money first (the many small ones,
    such as each PCC's contribution to its regional unit, after them)."""
    use = plan.stream_use
    if not len(use) or "envelope" not in use.columns:
        return use
    size = use.groupby("stream")["envelope"].transform("sum")
    order = use.assign(_size=size).sort_values(["_size", "stream", "year"],
                                               ascending=[False, True, True], kind="stable")
    return order.drop(columns="_size")


def _sensitivity(plan: Plan) -> pd.DataFrame | None:
    """``plan.sensitivity``, the largest shadow prices first, an unlimited range in words."""
    table = _sorted_by_price("shadow_price", "sensitivity")(plan)
    if not isinstance(table, pd.DataFrame):
        return None
    out = table.copy()
    for column in _RANGES:
        if column in out.columns:
            out[column] = [UNLIMITED if isinstance(v, float) and math.isinf(v) else v
                           for v in out[column]]
    return out


def explained(columns: Mapping[str, str], formats: Mapping[str, Format],
              words: tuple[str, ...] = ()) -> tuple[Col, ...]:
    """The columns of one of explain's tables by their display names (``columns``: its
    ``*_COLUMNS``), money in the workbook's unit (``Limit (£)`` -> ``Limit (£m)``), text
    that mentions ids (``words``) wrapped and in names; the rule's id last (it is for
    looking a rule up, and too wide to print)."""
    order = [c for c in columns if c != "rule"] + (["rule"] if "rule" in columns else [])
    return tuple(Col(c, columns[c].removesuffix(" (£)"), formats.get(c, Format.TEXT),
                     wrap=c in words, in_words=c in words) for c in order)


SHEETS: tuple[SheetSpec, ...] = (
    SheetSpec(winners.SHEET, _winners, winners.WINNERS_DESCRIPTION, winners.WINNERS_COLUMNS,
              freeze_columns=2),
    CHANGES_SPEC,
    SETTLEMENT_SPEC,
    SheetSpec("Recipients by year", rt.recipients_by_year,
              "Each recipient's total funding (allocation plus other income) per year, baseline "
              "year first, and its change on the year before. Highlighted: a floor, cap or "
              "cliff-edge limit binds.",
              (*RECIPIENT, Col("total *", "Total {}", M), Col("change *", "Change {}",
                                                              Format.CHANGE_RATE)),
              freeze_columns=2, marks=_limits("total")),
    SheetSpec("Allocations", rt.allocations_table,
              "One row per recipient, activity, stream and year: the plan's allocation.",
              (Col("recipient", "Recipient"), Col("recipient_name", "Recipient name"),
               Col("kind", "Kind", in_words=True), Col("region", "Region"),
               Col("activity", "Activity"), Col("threat", "Threat", in_words=True),
               Col("strand", "Strand"), Col("stream", "Stream"),
               Col("year", "Year"), Col("amount", "Amount", M)),
              freeze_columns=2, print_rows=LONG_TABLE_PRINT_ROWS),
    SheetSpec("Headroom", rt.headroom_by_year,
              "How far each recipient's total funding could still fall, per year, before its "
              "cliff-edge limit binds. Highlighted: held at a floor, cap or cliff-edge limit.",
              (*RECIPIENT, Col("fall_limit_rate", "Most it may fall in a year", P),
               Col("headroom *", "Headroom {}", M)), freeze_columns=2, marks=_limits("headroom")),
    SheetSpec("Strands and threats", rt.strands_and_threats,
              "Funding per year by 4P strand and by threat.",
              (Col("group", "By"), Col("name", "Strand or threat"), Col("amount *", "{}", M)),
              freeze_columns=2, names=False),
    SheetSpec("Share targets", rt.share_targets,
              "Each strand's share target and the share the plan gives it.",
              (Col("strand", "Strand"), Col("threat", "Threat", in_words=True),
               Col("scope", "Of"),
               Col("year", "Year"), Col("min_share", "Least share", P),
               Col("max_share", "Most share", P), Col("funding", "Funding", M),
               Col("share", "Share", P), Col("met", "Met")), freeze_columns=2),
    SheetSpec("Requirements", rt.requirements,
              "Each national requirement per threat and the funding the plan gives it.",
              (Col("threat", "Threat", in_words=True), Col("year", "Year"), Col("region", "Region"),
               Col("required", "Required", M), Col("funded", "Funded", M), Col("met", "Met"))),
    SheetSpec("Stream use", _stream_use,
              "How much of each stream's envelope the plan spends each year, and what is "
              "carried forward; the largest streams first.",
              (Col("stream", "Stream"), Col("year", "Year"), Col("envelope", "Envelope", M),
               Col("carry_in", "Carried in", M), Col("spent", "Spent", M),
               Col("carry_out", "Carried out", M), Col("unspent", "Unspent", M)),
              print_rows=LONG_TABLE_PRINT_ROWS),
    SheetSpec("Tiers", attribute("tiers"),
              "What was optimised, tier by tier: each tier is optimised in turn among the "
              "plans the tiers before it find best (within a tier's give where sheet "
              "Priorities states one; whole pounds may cost each tier up to its give allowed, "
              "in its own measure); the last, stability, chooses the smoothest plan among "
              "the best ones.",
              (Col("tier", "Tier"), Col("goals", "Goals"), Col("measure", "Measure"),
               Col("sense", "Sense"), Col("optimum", "Best", M),
               Col("achieved", "This plan", M), Col("give_allowed", "Give allowed", M),
               Col("give_used", "Give used", M), Col("certified", "Proved best")),
              freeze_columns=1),
    SheetSpec("Bands", attribute("bands"),
              "The least and the most each recipient could get in each year among plans as "
              "good as this one. A narrow band (Set by the rules: TRUE) is a number the rules "
              "and the policy decide; a wide one is a choice among equally good plans.",
              explained(BAND_COLUMNS, {c: M for c in ("allocated", "least", "most", "width")}),
              freeze_columns=2, print_rows=LONG_TABLE_PRINT_ROWS),
    SheetSpec("Reasons", _reasons,
              "What set each recipient's allocation in each year: a rule of its own that "
              "binds (with the cell that states it), or the policy (the value of money, its "
              "needs target), or a choice among equally good plans (those two are told "
              "apart where bands are worked out: fundopt solve does so by default for a "
              "problem of at most 500 recipient-years, --bands for a larger one).",
              explained(REASON_COLUMNS, {"allocated": M}, words=("words",)),
              freeze_columns=2, print_rows=THREE_LINE_PRINT_ROWS, print_columns=8),
    SheetSpec("Sensitivity", _sensitivity,
              "For each envelope and each rule the plan meets exactly: its limit, its shadow "
              "price (£ of value per £1 more room), and how far the limit can move either "
              "way before that price changes (Excel Solver's allowable increase and "
              "decrease), with the plan's value (objective) there; the largest shadow prices "
              "first. An increase raises a floor and loosens a cap.",
              explained(SENSITIVITY_COLUMNS, {
                  "shadow_price": PRICE, **{c: M for c in (
                      "limit", "allowable_increase", "allowable_decrease",
                      "objective_at_increase", "objective_at_decrease")}},
                  words=("description",)),
              freeze_columns=2, print_rows=THREE_LINE_PRINT_ROWS, print_columns=9),
    SheetSpec("Binding rules", _sorted_by_price("shadow_price", "binding"),
              "The rules the plan meets exactly, the most valuable to loosen first. Shadow "
              "price: the value one more pound of room on the rule would add (£ of value per £).",
              (*RULE, Col("shadow_price", "Shadow price", PRICE), Col("rule", "Rule id")),
              freeze_columns=2,
              print_rows=LONG_TABLE_PRINT_ROWS),
    SheetSpec("Shadow prices", _sorted_by_price("value", "shadow_prices"),
              "Every rule's shadow price: the value one more pound of room on it would add "
              "(£ of value per £; zero when the rule holds nothing back), largest first.",
              (*RULE, Col("value", "Shadow price", PRICE), Col("rule", "Rule id")),
              freeze_columns=2,
              print_rows=LONG_TABLE_PRINT_ROWS),
    SheetSpec("Breaches", attribute("breaches"),
              "Promises the plan breaks, by how much, and where they are stated.",
              (Col("rule", "Rule id"), Col("description", "Rule in words", wrap=True,
                                           in_words=True),
               Col("amount", "Broken by", M), Col("penalty", "Penalty per £", PRICE),
               Col("family", "Family"), Col("year", "Year"), Col("recipient", "Recipient"),
               Col("stream", "Stream"), Col("where", "Stated at"),
               Col("suggestion", "What to change", wrap=True, in_words=True))),
    SheetSpec("Checks", _checks,
              "Every rule re-checked on the whole-pound plan, independently of the solver; "
              "failures first. Left side, right side and slack in {unit}.",
              (Col("family", "Family"), Col("detail", "Check", wrap=True, in_words=True),
               Col("year", "Year"), Col("recipient", "Recipient"), Col("lhs", "Left side", M),
               Col("sense", "Sense"), Col("rhs", "Right side", M), Col("slack", "Slack", M),
               Col("soft", "Negotiable"), Col("passed", "Passed"), Col("rule", "Rule id")),
              freeze_columns=2, print_rows=LONG_TABLE_PRINT_ROWS, marks=_failed_checks,
              heading=lambda plan: ("Master check", plan.passed)),
    SheetSpec(winners.SOURCES, winners.sources_table, winners.SOURCES_DESCRIPTION,
              winners.SOURCE_COLUMNS, freeze_columns=2, names=False,
              print_columns=winners.SOURCE_PRINT_COLUMNS,
              print_rows=winners.SOURCE_PRINT_ROWS),
)


__all__ = ["SHEETS", "explained"]
