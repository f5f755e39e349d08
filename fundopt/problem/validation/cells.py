"""One cell at a time: coerce a value to its column's kind, or say why it cannot be.

Text, ids, choices and fiscal years become stripped strings (a choice lower-cased, a year
typed as 2026 read as ``2026-27``); flags become booleans; numbers become floats (whole
numbers from 1 for an ``INT`` column) within the column's range. A cell that cannot be
read is reported and becomes blank, so the checks across tables still run on the rest.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

import pandas as pd

from fundopt.errors import Severity
from fundopt.problem.schema import Column, ColumnKind
from fundopt.problem.validation.issues import Checker

YEAR_RE = re.compile(r"^(\d{4})-(\d{2})$")
MAX_MONEY = 1e13  # £10 trillion: beyond this a figure is certainly a unit mistake

_TEXT_KINDS = (ColumnKind.ID, ColumnKind.REF, ColumnKind.TEXT, ColumnKind.ENUM, ColumnKind.YEAR)
_NEVER_NEGATIVE = (ColumnKind.MONEY, ColumnKind.RATIO, ColumnKind.RATE, ColumnKind.PENALTY,
                   ColumnKind.SHARE)

#: The largest plausible size of a number by its kind: beyond these a figure is a typing
#: or unit mistake, and would make the LP's coefficients so far apart that HiGHS refuses
#: it or overflows (a cap_ratio of 1e300, a need_weight of 1e12). Sizes, not signs.
MAX_RATIO = 1_000.0  # a floor or cap of 1,000 times the baseline
MAX_NUMBER = 1e9  # values per pound
MAX_PENALTY = 1e6  # value lost per pound of breach
_MOST: dict[ColumnKind, tuple[float, str]] = {
    ColumnKind.RATIO: (MAX_RATIO, "a multiple of the baseline is at most 1,000"),
    ColumnKind.NUMBER: (MAX_NUMBER, "a weight or value is at most 1,000,000,000 in size"),
    ColumnKind.PENALTY: (MAX_PENALTY, "a penalty is at most 1,000,000 per pound"),
}
#: Columns whose limit is not their kind's: a need weight is relative (only its share of
#: its kind's weights matters, see rules.py) and is often stated in pounds or people.
_MOST_BY_COLUMN: dict[str, tuple[float, str]] = {
    "need_weight": (MAX_MONEY, "a need weight is at most 10 trillion (pounds or people)"),
}

#: Reads one non-blank cell: (checker, table, position, column, value) -> value or None.
Converter = Callable[[Checker, str, int, Column, Any], Any]


def year_start(label: str) -> int:
    """2026 for '2026-27'."""
    return int(label[:4])


def is_blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    if value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, str) and value.strip() == ""


def valid_year(label: str) -> bool:
    m = YEAR_RE.match(label)
    return m is not None and (int(m.group(1)) + 1) % 100 == int(m.group(2))


def coerce_column(ck: Checker, table: str, col: Column, values: list[Any]) -> list[Any]:
    """The column's cells as their kind; a blank one stays None (an issue if required)."""
    convert = _converter(col.kind)
    out: list[Any] = []
    for pos, v in enumerate(values):
        if not is_blank(v):
            out.append(convert(ck, table, pos, col, v))
            continue
        if col.required:
            ck.add(table, pos, col.name, f"'{col.name}' is blank", code="FO-V21", hint="fill it in")
        out.append(None)
    return out


def _converter(kind: ColumnKind) -> Converter:
    if kind in _TEXT_KINDS:
        return _text_cell
    if kind is ColumnKind.BOOL:
        return _bool_cell
    return _number_cell


def _text_cell(ck: Checker, table: str, pos: int, col: Column, v: Any) -> str | None:
    # a whole number may arrive as a float (pandas makes a column with blanks float): 12.0 is "12"
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    if col.kind is ColumnKind.YEAR and isinstance(v, int) and 1900 < v < 2200:
        label = f"{v}-{(v + 1) % 100:02d}"
        ck.add(table, pos, col.name, f"the number {v} was read as the fiscal year {label}",
               found=v, code="FO-V13", severity=Severity.WARNING,
               hint=f"type {label} as text (format the cell as Text) to say so")
        v = label
    if not isinstance(v, (str, int)) or isinstance(v, bool):
        ck.add(table, pos, col.name, f"expected text in '{col.name}'", found=v, code="FO-V10")
        return None
    s = str(v).strip()
    if col.kind is ColumnKind.ENUM:
        s = s.lower()
        if s not in col.choices:
            ck.add(
                table,
                pos,
                col.name,
                f"'{col.name}' must be one of: {', '.join(col.choices)}",
                found=str(v),
                code="FO-V12",
                hint="pick a value from the list",
            )
            return None
    if col.kind is ColumnKind.YEAR and not valid_year(s):
        ck.add(
            table,
            pos,
            col.name,
            "expected a fiscal year like 2026-27",
            found=str(v),
            code="FO-V13",
        )
        return None
    return s


def _bool_cell(ck: Checker, table: str, pos: int, col: Column, v: Any) -> bool | None:
    if isinstance(v, bool):
        return v
    if isinstance(v, (int, float)) and v in (0, 1):
        return bool(v)
    if isinstance(v, str) and v.strip().lower() in ("true", "false", "yes", "no"):
        return v.strip().lower() in ("true", "yes")
    ck.add(table, pos, col.name, f"'{col.name}' must be TRUE or FALSE", found=v, code="FO-V14")
    return None


def _number_cell(ck: Checker, table: str, pos: int, col: Column, v: Any) -> float | int | None:
    # a flag is an int to Python, but TRUE typed for an amount is a mistake, not 1
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        ck.add(
            table,
            pos,
            col.name,
            f"expected a number in '{col.name}'",
            found=v,
            code="FO-V05",
            hint="type the number only",
        )
        return None
    x = float(v)
    if not math.isfinite(x):
        ck.add(
            table, pos, col.name, f"'{col.name}' must be a finite number", found=v, code="FO-V05"
        )
        return None
    if col.kind is ColumnKind.INT:
        if not x.is_integer() or x < 1:
            ck.add(
                table,
                pos,
                col.name,
                f"'{col.name}' must be a whole number from 1",
                found=v,
                code="FO-V15",
            )
            return None
        return int(x)
    return _in_range(ck, table, pos, col, v, x)


def _in_range(ck: Checker, table: str, pos: int, col: Column, v: Any, x: float) -> float | None:
    """``x`` (the cell ``v`` as a float) if its kind allows it, else None and an issue."""
    if col.kind in _NEVER_NEGATIVE and x < 0:
        ck.add(
            table,
            pos,
            col.name,
            f"'{col.name}' must not be negative",
            found=v,
            code="FO-V16",
            hint="money, shares and penalties are never negative",
        )
        return None
    if col.kind is ColumnKind.MONEY and x > MAX_MONEY:
        ck.add(
            table,
            pos,
            col.name,
            f"'{col.name}' is implausibly large",
            found=v,
            code="FO-V17",
            hint="check the money unit",
        )
        return None
    most = _MOST_BY_COLUMN.get(col.name) or _MOST.get(col.kind)
    if most is not None and abs(x) > most[0]:
        ck.add(table, pos, col.name, f"'{col.name}' is implausibly large", found=v,
               code="FO-V17", hint=f"{most[1]}; check what was typed")
        return None
    if col.kind is ColumnKind.RATE and x >= 1:
        ck.add(
            table, pos, col.name,
            f"'{col.name}' is a rate of change and must be below 1 (100%); {x:g} looks like "
            f"a multiplier",
            found=v, code="FO-V08",
            hint=f"for a rise of {(x - 1) * 100:.4g}% type {x - 1:.4g} (or {(x - 1) * 100:.4g}%)"
            if x < 2 else "type the rise as a rate: 0.10 (or 10%) for +10%",
        )
        return None
    if col.kind is ColumnKind.SHARE and x > 1:
        ck.add(
            table,
            pos,
            col.name,
            f"'{col.name}' is a share and must be between 0% and 100%",
            found=v,
            code="FO-V08",
            # a percentage typed without its sign (5 for 5%) is the likely slip; beyond 100%
            # of 100% it is not, and "did you mean 1e+300%?" would not help
            hint=f"did you mean {x:g}%? type it as a percentage or a fraction like {x / 100:g}"
            if x <= 100 else "type it as a percentage (5%) or a fraction (0.05)",
        )
        return None
    return x
