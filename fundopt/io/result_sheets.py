"""The table sheets of the results workbook, as declarations (see
:mod:`fundopt.io.sheet_spec`), in workbook order after the Summary.

A sheet whose table the Plan does not have (yet), or whose table is empty, is left out:
``plan.tiers``, ``plan.bands``, ``plan.reasons``, ``plan.sensitivity``,
``plan.against_todays_method`` and ``plan.changes`` get their sheets the day the Plan
carries them. docs/results.md says what each sheet is.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from fundopt.io import report_tables as rt
from fundopt.io.sheet_spec import Col, Format, SheetSpec, attribute
from fundopt.io.xlsx import BAD_FILL, HIGHLIGHT_FILL
from fundopt.plan import Plan

M, P, PRICE = Format.MONEY, Format.PERCENT, Format.PRICE
LONG_TABLE_PRINT_ROWS = 100

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


SHEETS: tuple[SheetSpec, ...] = (
    SheetSpec("Winners and losers", attribute("against_todays_method"),
              "Each recipient's allocation per year in this plan and under today's method "
              "(the needs formula damped by a floor), and the difference (positive: a "
              "winner).",
              (*RECIPIENT, Col("year", "Year"), Col("year_status", "Year status"),
               Col("optimised", "This plan", M),
               Col("todays_method", "Today's method", M),
               Col("difference", "Difference", Format.CHANGE),
               Col("difference_rate", "Difference", Format.CHANGE_RATE)), freeze_columns=2),
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
    SheetSpec("Stream use", attribute("stream_use"),
              "How much of each stream's envelope the plan spends each year, and what is "
              "carried forward.",
              (Col("stream", "Stream"), Col("year", "Year"), Col("envelope", "Envelope", M),
               Col("carry_in", "Carried in", M), Col("spent", "Spent", M),
               Col("carry_out", "Carried out", M), Col("unspent", "Unspent", M))),
    SheetSpec("Tiers", attribute("tiers"),
              "What was optimised, tier by tier: each tier is optimised in turn, keeping the "
              "tiers before it at their best.", freeze_columns=1),
    SheetSpec("Bands", attribute("bands"),
              "The least and the most each recipient could get in each year without making "
              "the plan any worse.", (*RECIPIENT, Col("year", "Year"),
                                      Col("least", "Least", M), Col("most", "Most", M)),
              freeze_columns=2),
    SheetSpec("Reasons", attribute("reasons"),
              "The rule that sets each recipient's allocation in each year.",
              (*RECIPIENT, Col("year", "Year"), Col("reason", "Reason", wrap=True, in_words=True)),
              freeze_columns=2),
    SheetSpec("Sensitivity", attribute("sensitivity"),
              "How far each rule's limit and each value per pound could move before the plan's "
              "shape changes (ranging).", freeze_columns=2, print_rows=LONG_TABLE_PRINT_ROWS),
    SheetSpec("Changes", attribute("changes"),
              "What the re-plan changed against the plan it started from.", freeze_columns=2),
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
)


__all__ = ["SHEETS"]
