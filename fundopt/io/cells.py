"""Turn one Excel cell value into the value a table column needs, or say what is wrong.

Nothing is guessed: text where a number belongs is an error whose hint depends on what
the text looks like (``£1.2m``, ``1,234``, ``(5)``, ``n/a``, ``5%``). Money is converted
from the template's unit to pounds through :class:`~decimal.Decimal` and rounded to the
penny, so 0.07 £m is exactly £70,000.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from fundopt.problem.schema import ColumnKind, MoneyUnit

NUMERIC_KINDS = frozenset({ColumnKind.MONEY, ColumnKind.SHARE, ColumnKind.RATIO,
                           ColumnKind.RATE, ColumnKind.NUMBER, ColumnKind.PENALTY,
                           ColumnKind.INT})
MAX_MONEY_POUNDS = 1e13  # as fundopt.problem.validation.MAX_MONEY: beyond this, a unit mistake

_NA = {"n/a", "na", "#n/a", "-", "–", "—", "none", "nil", "tbc", "tbd", "?", "null", "nan",
       "x", "inf", "-inf", "infinity"}
_CURRENCY = re.compile(r"[£$€]|\d\s*(k|m|mn|bn|b|million|thousand|billion)\s*$", re.IGNORECASE)
_ACCOUNTING = re.compile(r"^\(\s*[\d.,\s]+\)$|^[−‒–—]\s*\d|^\d[\d.,\s]*-$")
_PERCENT = re.compile(r"^[-+]?\d[\d.,\s]*%$")
_GROUPED = r"[\d\s,\u00a0\u202f]*"
#: 9,5 or 1.234,5: a comma followed by one, two or four or more digits is a decimal comma
#: (a thousands separator is followed by exactly three)
_DECIMAL_COMMA = re.compile(r"^[-+]?\d{1,3}(\.\d{3})*,\d{1,2}$|^[-+]?\d+,(\d{1,2}|\d{4,})$")
_TEXT_NUMBER = re.compile(rf"^[-+]?{_GROUPED}\d{_GROUPED}(\.\d*)?([eE][-+]?\d+)?$")


@dataclass(frozen=True)
class CellProblem:
    message: str
    found: str
    hint: str
    code: str


def _with_point(text: str) -> str:
    return text.replace(".", "").replace(",", ".")


def _blank_text(v: Any) -> bool:
    return isinstance(v, str) and v.strip() == ""


def to_pounds(value: float, unit: MoneyUnit) -> float:
    """Pounds, to the penny, of ``value`` in ``unit`` (exact for what Excel stores)."""
    pounds = Decimal(repr(float(value))) * unit.pounds
    return float(pounds.quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN))


def _text_problem(text: str, kind: ColumnKind, unit: MoneyUnit) -> CellProblem:
    s = text.strip()
    found = repr(text)
    number_word = "an amount" if kind is ColumnKind.MONEY else "a number"
    where = f"amounts are in {unit.value} (set by money_unit on Settings)"
    if s.lower() in _NA:
        blank = "leave it blank if it does not apply, or " if kind is not ColumnKind.MONEY else ""
        return CellProblem(f"expected {number_word}, not text", found,
                           f"{blank}type a number (0 for none)", "FO-V04")
    if _PERCENT.match(s):
        if kind is ColumnKind.SHARE:
            return CellProblem("expected a percentage, not text", found,
                               f"type {s.replace(' ', '')} as a number (not text); Excel stores "
                               "it as a fraction", "FO-V08")
        return CellProblem(f"expected {number_word}, not a percentage typed as text", found,
                           "this column is not a percentage; type the number only", "FO-V08")
    if _CURRENCY.search(s):
        digits = re.sub(r"[^\d.]", "", s) or "1.2"
        hint = (f"type the number only (e.g. {digits}); {where}" if kind is ColumnKind.MONEY
                else "type the number only, without a currency sign or unit")
        return CellProblem(f"expected {number_word}, not text with a unit", found, hint, "FO-V06")
    if _ACCOUNTING.match(s):
        return CellProblem(f"expected {number_word}, not a negative written as text", found,
                           "amounts cannot be negative; type the number without brackets or "
                           "signs" if kind is not ColumnKind.NUMBER
                           else "type it as a number with a leading minus, e.g. -5", "FO-V07")
    if _DECIMAL_COMMA.match(s):
        return CellProblem(f"expected {number_word}, not text with a decimal comma", found,
                           f"type it with a decimal point (e.g. {_with_point(s)}) as a number",
                           "FO-V05")
    if _TEXT_NUMBER.match(s):
        plain = re.sub(r"[\s,\u00a0\u202f]", "", s)
        return CellProblem(f"expected {number_word}, not a number stored as text", found,
                           f"retype it as a number without commas or spaces (e.g. {plain})",
                           "FO-V05")
    return CellProblem(f"expected {number_word}, not text", found, "type a number", "FO-V05")


def parse_value(value: Any, kind: ColumnKind, unit: MoneyUnit) -> tuple[Any, CellProblem | None]:
    """The column value of a cell (money in pounds), or a problem. ``None`` means blank."""
    if value is None or _blank_text(value):
        return None, None
    if isinstance(value, (dt.datetime, dt.date, dt.time, dt.timedelta)):
        shown = value.isoformat() if not isinstance(value, dt.timedelta) else str(value)
        if kind is ColumnKind.YEAR:
            return None, CellProblem("expected a fiscal year like 2026-27, not a date", shown,
                                     "format the cell as Text and type the year again", "FO-V10")
        return None, CellProblem("expected a value, not a date", shown,
                                 "type the value itself; check the cell's number format", "FO-V10")
    if kind not in NUMERIC_KINDS:
        return value, None
    if isinstance(value, bool):
        return None, CellProblem("expected a number, not TRUE/FALSE", str(value).upper(),
                                 "type a number", "FO-V09")
    if isinstance(value, str):
        return None, _text_problem(value, kind, unit)
    if not isinstance(value, (int, float)):
        return None, CellProblem("expected a number", repr(value), "type a number", "FO-V05")
    x = float(value)
    if not math.isfinite(x):
        return None, CellProblem("not a finite number", repr(value), "type a number", "FO-V05")
    if kind is ColumnKind.MONEY:
        if x < 0:
            return None, CellProblem(f"must not be negative (in {unit.value})", f"{value:g}",
                                     "money is never negative; type the amount as a positive "
                                     "number", "FO-V16")
        # compared as a float first: Decimal cannot quantize 1e20 £m to the penny
        if x * float(unit.pounds) > MAX_MONEY_POUNDS:
            return None, CellProblem(f"implausibly large (in {unit.value})", f"{value:,.0f}",
                                     f"amounts are in {unit.value}: did you type pounds? check "
                                     "money_unit on Settings", "FO-V17")
        return to_pounds(x, unit), None
    return x, None
