"""The results workbook's sheets of a rolling settlement: *Settlement* (what the plan
promises, and what the next re-plan reads back: :mod:`fundopt.io.previous_plan`) and
*Changes* (a re-plan against the plan it started from)."""

from __future__ import annotations

from fundopt.io.sheet_spec import Col, Format, SheetSpec, attribute

M = Format.MONEY

SETTLEMENT = "Settlement"
#: The Settlement sheet's columns; the reader finds them by these titles.
SETTLEMENT_COLUMNS: tuple[Col, ...] = (
    Col("recipient", "Recipient"), Col("name", "Name"), Col("kind", "Kind", in_words=True),
    Col("year", "Year"), Col("status", "Status"), Col("allocation", "Allocation", M),
    Col("tolerance_share", "Tolerance", Format.PERCENT),
    Col("at_least", "At least", M), Col("at_most", "At most", M))

SETTLEMENT_SPEC = SheetSpec(
    SETTLEMENT, attribute("settlement"),
    "What this plan promises, per recipient and year: a confirmed allocation is held by the "
    "next re-plan; an indicative one is a planning figure the next re-plan keeps within its "
    "tolerance (at least and at most). fundopt replan reads this sheet: keep its columns.",
    SETTLEMENT_COLUMNS, freeze_columns=2)

CHANGES_SPEC = SheetSpec(
    "Changes", attribute("changes"),
    "What this re-plan changed against the plan it started from, per recipient and year: "
    "the previous figure (confirmed or indicative), the new one, the change and why "
    "(confirmed: held; tolerance: moved as far as its tolerance allows; notice: cut as far "
    "as its notice period allows; new rule: a rule of its own sets it; new envelope: moved "
    "with the money; new figure: none before).",
    (Col("recipient", "Recipient"), Col("name", "Name"), Col("kind", "Kind", in_words=True),
     Col("year", "Year"), Col("previous_status", "Previous status"),
     Col("previous", "Previous", M), Col("new", "New", M),
     Col("change", "Change", Format.CHANGE), Col("change_rate", "Change", Format.CHANGE_RATE),
     Col("tolerance_share", "Tolerance", Format.PERCENT),
     Col("reason", "Reason"), Col("words", "Why", wrap=True, in_words=True)),
    freeze_columns=2)

__all__ = ["CHANGES_SPEC", "SETTLEMENT", "SETTLEMENT_COLUMNS", "SETTLEMENT_SPEC"]
