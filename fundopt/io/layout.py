"""The layout of a fundopt input workbook, derived from :data:`fundopt.problem.schema.TABLES`.

The schema is the single source: each :class:`~fundopt.problem.schema.TableSpec` is one sheet
(named ``TableSpec.sheet``) whose **row 1** holds the headers in schema order, starting in
column A; data starts in **row 2** and ends at the first blank row. A header is the column
name, followed by its unit in brackets where it has one:

- money columns: ``amount (£m)``, in the unit set by ``money_unit`` on the Settings sheet;
- share columns: ``max_fall_rate (%)``, stored as fractions (5% is 0.05), shown as percentages;
- every other column: the bare name, e.g. ``recipient``.

The ``Settings`` sheet has headers ``setting | value | notes`` in row 1 and one setting per
row below: ``template_version`` and the fields of :class:`fundopt.problem.Settings`.
The reader accepts exactly what the writer writes (see docs/template.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from fundopt.problem.schema import TABLES, TABLES_BY_NAME, Column, ColumnKind, MoneyUnit, TableSpec

TEMPLATE_VERSION = "1"
HEADER_ROW = 1
FIRST_DATA_ROW = 2
SETTINGS_SHEET = "Settings"
INSTRUCTIONS_SHEET = "Instructions"
SETTINGS_HEADERS = ("setting", "value", "notes")

MONEY_FORMATS: dict[MoneyUnit, str] = {
    MoneyUnit.POUNDS: "#,##0",
    MoneyUnit.THOUSANDS: "#,##0.0",
    MoneyUnit.MILLIONS: "#,##0.000",
}
SHARE_FORMAT = "0.0%"
TEXT_FORMAT = "@"

_HEADER_RE = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:\(\s*([^()]*?)\s*\))?\s*$")


class SettingKind(StrEnum):
    TEXT = "text"
    UNIT = "unit"  # one of MoneyUnit
    NUMBER = "number"  # >= 0
    SHARE = "share"  # in [0, 1], shown as a percentage
    SECONDS = "seconds"  # > 0, blank for none


@dataclass(frozen=True)
class SettingSpec:
    key: str
    kind: SettingKind
    doc: str
    required: bool = True


# One row per field of fundopt.problem.Settings (a test checks they match), in this order.
SETTINGS: tuple[SettingSpec, ...] = (
    SettingSpec("name", SettingKind.TEXT, "A title for the reports"),
    SettingSpec("money_unit", SettingKind.UNIT,
                "Unit of every money column: £, £k or £m (headers must say the same unit)"),
    SettingSpec("need_penalty", SettingKind.NUMBER,
                "Value lost per pound an allocation is away from its needs-based target"),
    SettingSpec("volatility_penalty", SettingKind.NUMBER,
                "Value lost per pound of year-to-year change in a recipient's total funding"),
    SettingSpec("terminal_fall_share", SettingKind.SHARE,
                "In the last year, the share of its cliff-edge limit a recipient may fall by"),
    SettingSpec("time_limit_seconds", SettingKind.SECONDS,
                "HiGHS time limit in seconds; blank for none", required=False),
    SettingSpec("replan_change_penalty", SettingKind.NUMBER,
                "In a re-plan, value lost per pound an indicative figure of the previous plan "
                "moves", required=False),
    SettingSpec("line_step_rate", SettingKind.SHARE,
                "A line's change past this share of last year's amount counts double in the "
                "stability tier, so growth or a cut spreads over a recipient's lines; blank "
                "or 0 for none", required=False),
)
SETTINGS_BY_KEY: dict[str, SettingSpec] = {s.key: s for s in SETTINGS}
VERSION_KEY = "template_version"


def unit_of(column: Column, money_unit: MoneyUnit) -> str:
    """The unit shown in a column's header ('' for none)."""
    if column.kind is ColumnKind.MONEY:
        return money_unit.value
    if column.kind is ColumnKind.SHARE:
        return "%"
    return ""


def header_text(column: Column, money_unit: MoneyUnit) -> str:
    unit = unit_of(column, money_unit)
    return f"{column.name} ({unit})" if unit else column.name


def parse_header(text: str) -> tuple[str, str] | None:
    """(name, unit) of a header such as ``amount (£m)``; ``None`` if it is not one."""
    m = _HEADER_RE.match(text)
    if not m:
        return None
    return m.group(1), m.group(2) or ""


def column_letter(index: int) -> str:
    """Excel column letter of a 1-based column index (1 -> A, 27 -> AA)."""
    letters = ""
    while index > 0:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def number_format(column: Column, money_unit: MoneyUnit) -> str | None:
    if column.kind is ColumnKind.MONEY:
        return MONEY_FORMATS[money_unit]
    if column.kind is ColumnKind.SHARE:
        return SHARE_FORMAT
    if column.kind is ColumnKind.YEAR:
        return TEXT_FORMAT  # so Excel never turns 2026-27 into a date
    return None


def choices_of(column: Column) -> tuple[str, ...]:
    """Allowed values offered in a drop-down (ENUM and BOOL columns), else ()."""
    if column.kind is ColumnKind.ENUM:
        return column.choices
    if column.kind is ColumnKind.BOOL:
        return ("TRUE", "FALSE")
    return ()


YEARS_TABLE = "years"


def id_list_name(table: str) -> str:
    """The workbook name of the list of a table's ids (``fundopt_recipients``)."""
    return f"fundopt_{table}"


def list_source(spec: TableSpec, column: Column) -> tuple[str, str, str] | None:
    """(formula, what it offers, error shown for anything else) of a column's drop-down, or
    None for a free column."""
    choices = choices_of(column)
    if choices:
        return ('"' + ",".join(choices) + '"', "one of " + ", ".join(choices),
                "Pick a value from the list")
    if column.kind is ColumnKind.REF and column.ref in TABLES_BY_NAME:
        sheet = TABLES_BY_NAME[column.ref].sheet
        return (id_list_name(column.ref), f"an id from the {sheet} sheet",
                f"Pick an id from the {sheet} sheet (add it there first if it is new)")
    if column.kind is ColumnKind.YEAR and spec.name != YEARS_TABLE:
        return (id_list_name(YEARS_TABLE), "a year from the Years sheet",
                "Pick a year from the Years sheet (add it there first if it is new)")
    return None


def describe(column: Column, money_unit: MoneyUnit) -> str:
    """One line for a header comment and the template reference."""
    sheet = next((t.sheet for t in TABLES if t.name == column.ref), column.ref)
    parts = [_KIND_TEXT[column.kind].format(unit=money_unit.value, ref=sheet)]
    if column.choices:
        parts.append("one of: " + ", ".join(column.choices))
    parts.append("required" if column.required else "optional")
    if column.doc:
        parts.append(column.doc)
    return "; ".join(parts)


_KIND_TEXT: dict[ColumnKind, str] = {
    ColumnKind.ID: "text id, unique in this sheet",
    ColumnKind.REF: "an id from the {ref} sheet",
    ColumnKind.TEXT: "text",
    ColumnKind.ENUM: "a value from the drop-down",
    ColumnKind.YEAR: "fiscal year like 2026-27 (text)",
    ColumnKind.MONEY: "amount in {unit}, not negative",
    ColumnKind.SHARE: "percentage from 0% to 100%",
    ColumnKind.RATIO: "multiplier, not negative (e.g. 1.02)",
    ColumnKind.RATE: "rate of change, from 0 to below 1 (0.02 or 2% = +2%)",
    ColumnKind.NUMBER: "number",
    ColumnKind.PENALTY: "value lost per pound of breach, not negative; blank = a hard rule",
    ColumnKind.BOOL: "TRUE or FALSE",
    ColumnKind.INT: "whole number from 1",
}


def table_sheets() -> tuple[tuple[TableSpec, str], ...]:
    """(table spec, sheet name) pairs in template order."""
    return tuple((spec, spec.sheet) for spec in TABLES)


def required_sheets() -> tuple[str, ...]:
    return (SETTINGS_SHEET, *(spec.sheet for spec in TABLES))
