"""A results sheet as a declaration: its title, where its table comes from, a sentence
saying what it is, and its columns with display names and formats.

:mod:`fundopt.io.render` turns a declaration and its table into a sheet a person can use:
a heading and the sentence above the header, the header frozen with a filter on it, every
id beside its name, one money unit and one number format per kind of number across the
workbook, widths from the content, long text wrapped, and print settings (landscape, one
page wide, the header repeated on every page, a print area). Adding a sheet for a new
table on the Plan is a declaration in :mod:`fundopt.io.result_sheets`::

    SheetSpec("Bands", attribute("bands"), "The least and the most each recipient could get...",
              (Col("recipient", "Recipient"), Col("year", "Year"),
               Col("least", "Least", Format.MONEY), Col("most", "Most", Format.MONEY)))

A sheet is written only when its table exists and has rows.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import pandas as pd

from fundopt.problem.schema import MoneyUnit


class Format(StrEnum):
    """How a column's numbers are shown (the cell keeps the exact value)."""

    TEXT = "text"
    MONEY = "money"  # pounds, shown in the workbook's money unit
    CHANGE = "change"  # a signed difference in pounds, shown in the money unit with + or -
    PERCENT = "percent"  # a fraction, shown as a percentage
    CHANGE_RATE = "change_rate"  # a signed fraction: +3.7%
    PRICE = "price"  # value per pound (a shadow price): 1.004
    NUMBER = "number"  # any other number
    COUNT = "count"  # a whole number: 3,548
    SECONDS = "seconds"


#: Money to one decimal place of the unit: £10,294.2m, £412k, £9,500.
MONEY_FORMATS: dict[MoneyUnit, str] = {
    MoneyUnit.POUNDS: "#,##0",
    MoneyUnit.THOUSANDS: "#,##0",
    MoneyUnit.MILLIONS: "#,##0.0",
}
_PLACES = {MoneyUnit.POUNDS: 0, MoneyUnit.THOUSANDS: 0, MoneyUnit.MILLIONS: 1}
PERCENT_FORMAT = "0.0%"
CHANGE_RATE_FORMAT = "+0.0%;-0.0%;0.0%"
PRICE_FORMAT = "0.000"
NUMBER_FORMAT = "#,##0.####"
COUNT_FORMAT = "#,##0"
SECONDS_FORMAT = "0.00"


def number_format(fmt: Format, unit: MoneyUnit) -> str | None:
    if fmt is Format.MONEY:
        return MONEY_FORMATS[unit]
    if fmt is Format.CHANGE:
        plain = MONEY_FORMATS[unit]
        return f"+{plain};-{plain};{plain.replace('#,##', '')}"
    return {Format.PERCENT: PERCENT_FORMAT, Format.CHANGE_RATE: CHANGE_RATE_FORMAT,
            Format.PRICE: PRICE_FORMAT, Format.NUMBER: NUMBER_FORMAT,
            Format.COUNT: COUNT_FORMAT, Format.SECONDS: SECONDS_FORMAT}.get(fmt)


def shown(value: Any, fmt: Format, unit: MoneyUnit) -> str:
    """Roughly what the cell displays (for column widths)."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    v = float(value)
    if fmt in (Format.MONEY, Format.CHANGE):
        text = f"{v / unit.pounds:,.{_PLACES[unit]}f}"
        return ("+" + text) if fmt is Format.CHANGE and v > 0 else text
    if fmt in (Format.PERCENT, Format.CHANGE_RATE):
        return f"{v:+.1%}" if fmt is Format.CHANGE_RATE else f"{v:.1%}"
    if fmt is Format.PRICE:
        return f"{v:.3f}"
    if fmt in (Format.COUNT, Format.SECONDS):
        return f"{v:,.0f}" if fmt is Format.COUNT else f"{v:.2f}"
    return f"{v:,.4f}".rstrip("0").rstrip(".")


@dataclass(frozen=True)
class Col:
    """One column: ``source`` is its name in the table (``"total *"`` matches every column
    starting ``total ``; the title's ``{}`` takes the rest, e.g. the year)."""

    source: str
    title: str = ""
    format: Format = Format.TEXT
    wrap: bool = False  # long text: wrapped (text over MAX_WIDTH characters always is)
    width: int | None = None  # text wraps at this many characters (default MAX_WIDTH)
    in_words: bool = False  # text that mentions ids: each id replaced by its name

    def match(self, name: str) -> str | None:
        """The part of ``name`` the pattern's ``*`` matched ('' for an exact name), or None."""
        if "*" not in self.source:
            return "" if name == self.source else None
        if not fnmatch.fnmatchcase(name, self.source):
            return None
        head, _, tail = self.source.partition("*")
        return name[len(head):len(name) - len(tail)]

    def header(self, part: str, unit: MoneyUnit) -> str:
        title = self.title or self.source.replace("_", " ").capitalize()
        title = title.format(part) if "*" in self.source and "{}" in title else title
        if self.format in (Format.MONEY, Format.CHANGE):
            return f"{title} ({unit.value})"
        if self.format in (Format.PERCENT, Format.CHANGE_RATE):
            return f"{title} (%)"
        return title


#: Where a sheet's table comes from: the plan (or sweep result) -> a table, or None.
Source = Callable[[Any], pd.DataFrame | None]
#: Cells to fill: (row position in the table, column name, fill colour "RRGGBB").
Marks = Callable[[Any, pd.DataFrame], Iterable[tuple[int, str, str]]]


def attribute(name: str) -> Source:
    """The table ``obj.<name>``, or None when ``obj`` has no such table (yet)."""

    def get(obj: Any) -> pd.DataFrame | None:
        table = getattr(obj, name, None)
        return table if isinstance(table, pd.DataFrame) else None

    get.__name__ = f"attribute_{name}"
    return get


@dataclass(frozen=True)
class SheetSpec:
    """A results sheet: see the module's docstring."""

    title: str
    source: Source
    description: str  # may use {unit}; a sentence or two
    columns: tuple[Col, ...] = ()
    freeze_columns: int = 1  # columns kept in view when scrolling right
    print_rows: int | None = None  # a long table prints only its first rows
    print_columns: int | None = None  # a wide one only its first columns
    marks: Marks | None = None
    heading: Callable[[Any], Sequence[Any]] | None = None  # row 1's cells; default: the title
    names: bool = True  # a name column beside each recipient, stream and activity id

    def table(self, obj: Any) -> pd.DataFrame | None:
        """The table to write, or None when there is none or it has no rows."""
        frame = self.source(obj)
        if frame is None or len(frame) == 0:
            return None
        return frame

    def layout(self, frame: pd.DataFrame) -> list[tuple[str, Col, str]]:
        """(table column, its declaration, matched part) in sheet order: the declared
        columns first, in declaration order, then any others in the table's order."""
        out: list[tuple[str, Col, str]] = []
        placed: set[str] = set()
        for col in self.columns:
            for name in frame.columns:
                part = col.match(str(name))
                if part is not None and name not in placed:
                    out.append((str(name), col, part))
                    placed.add(name)
        for name in frame.columns:
            if name not in placed:
                out.append((str(name), _default_col(str(name), frame[name]), ""))
        return out


#: Undeclared numeric columns with these names hold pounds.
MONEY_NAMES = frozenset({"amount", "allocation", "optimised", "todays_method", "least", "most",
                         "envelope", "spent", "funding", "total", "total_funding", "required",
                         "funded", "other_income", "headroom", "baseline", "before", "after"})


def _default_col(name: str, values: pd.Series) -> Col:
    """An undeclared column: a fraction by its name (``*_rate``, ``*_share``), pounds by its
    name (:data:`MONEY_NAMES`, ``*_pounds``), a signed difference (``difference``,
    ``change``), else a number or text by its values."""
    if name.endswith(("_rate", "_share")):
        return Col(name, format=Format.PERCENT)
    numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
    if not numeric:
        return Col(name)
    if name in ("difference", "change"):
        return Col(name, format=Format.CHANGE)
    if name in MONEY_NAMES or name.endswith("_pounds"):
        return Col(name, format=Format.MONEY)
    return Col(name, format=Format.NUMBER)


__all__ = ["Col", "Format", "Marks", "SheetSpec", "Source", "attribute", "number_format",
           "shown"]
