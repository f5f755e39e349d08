"""What a diagnosis says: the rules (and input figures) in a conflict, where in the input
each comes from, the conflicts found, and the text and table a person reads.

Pure data and words (pandas for the table): the closed-form checks and the Excel writer
use these without loading HiGHS.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import pandas as pd

from fundopt._support import reduce_frozen
from fundopt.errors import InfeasibleError

if TYPE_CHECKING:
    from fundopt.problem import Origin

#: Amounts below this (in pounds) are rounding noise, not a conflict or a breach.
TOLERANCE_POUNDS = 0.005

FRAME_COLUMNS = [
    "conflict", "source", "code", "rule", "family", "description", "year", "recipient",
    "stream", "sheet", "cell", "where", "shortfall_pounds", "suggestion",
]


# -- where a rule comes from -------------------------------------------------------------------
@dataclass(frozen=True)
class Location:
    """A cell of the input: table row and column, and where the reader found it."""

    table: str
    row: int | None
    column: str
    sheet: str = ""
    cell: str = ""

    def __str__(self) -> str:
        if self.sheet and self.cell:
            return f"{quote(self.sheet)}!{self.cell}"
        where = f"table '{self.table}'"
        if self.row is not None:
            where += f" row {self.row}"
        return where + (f", column '{self.column}'" if self.column else "")


def quote(sheet: str) -> str:
    return "'" + sheet.replace("'", "''") + "'"


def locate(origin: Origin, table: str, row: int | None, column: str) -> Location:
    sheet, cell = origin.cell(table, row, column)
    return Location(table, row, column, sheet, cell)


def cell_ranges(locations: Iterable[Location]) -> str:
    """'Floors and caps'!C5:C7, 'Envelopes'!D3: consecutive cells of a column merged."""
    by_sheet: dict[str, dict[str, list[int]]] = {}
    plain: list[str] = []
    for loc in locations:
        if not (loc.sheet and loc.cell):
            text = str(loc)
            if text not in plain:
                plain.append(text)
            continue
        letters = loc.cell.rstrip("0123456789")
        number = int(loc.cell[len(letters):])
        by_sheet.setdefault(loc.sheet, {}).setdefault(letters, []).append(number)
    parts = []
    for sheet, columns in by_sheet.items():
        cells = []
        for letters, numbers in columns.items():
            ordered = sorted(set(numbers))
            start = prev = ordered[0]
            for n in [*ordered[1:], None]:
                if n is not None and n == prev + 1:
                    prev = n
                    continue
                cells.append(f"{letters}{start}" if start == prev
                             else f"{letters}{start}:{letters}{prev}")
                if n is not None:
                    start = prev = n
        parts.append(f"{quote(sheet)}!{','.join(cells)}")
    return ", ".join(parts + plain)


# -- what a diagnosis says ------------------------------------------------------------------------
@dataclass(frozen=True)
class RuleRef:
    """One rule (or input figure) involved in a conflict.

    ``amount`` is, for a rule the cheapest way out breaks, the pounds it is broken by.
    """

    rule: str
    family: str
    description: str
    year: str = ""
    recipient: str = ""
    stream: str = ""
    locations: tuple[Location, ...] = ()
    amount: float | None = None
    suggestion: str = ""

    @property
    def where(self) -> str:
        return cell_ranges(self.locations)


@dataclass(frozen=True)
class Conflict:
    """One explanation: a set of rules that cannot all hold, or a way out.

    ``source`` is ``"check"`` (found by the closed-form checks), ``"iis"`` (rules that
    conflict, from HiGHS), ``"relaxation"`` (the cheapest set of rules to break) or
    ``"alternative"`` (one rule that could give way on its own).
    """

    source: str
    code: str
    summary: str
    rules: tuple[RuleRef, ...]
    shortfall: float | None = None
    suggestion: str = ""
    bounds: tuple[str, ...] = ()  # variable bounds in the conflict, in words

    @property
    def where(self) -> str:
        return cell_ranges(loc for r in self.rules for loc in r.locations)


@dataclass(frozen=True)
class Diagnosis:
    """Why the rules cannot all hold, and the cheapest way out.

    ``text`` is the explanation for a person; ``to_frame()`` is the same as a table (one
    row per rule per conflict) for a Diagnosis sheet. ``times`` holds seconds spent on the
    IIS and on the re-solves.
    """

    conflicts: tuple[Conflict, ...]
    note: str = ""
    times: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "times", MappingProxyType(dict(self.times)))

    def __reduce__(self) -> tuple[Any, ...]:
        return reduce_frozen(self)

    def of(self, source: str) -> tuple[Conflict, ...]:
        return tuple(c for c in self.conflicts if c.source == source)

    @property
    def way_out(self) -> Conflict | None:
        """The cheapest set of rules to break, if one was found."""
        found = self.of("relaxation")
        return found[0] if found else None

    @property
    def text(self) -> str:
        return render(self)

    def to_frame(self) -> pd.DataFrame:
        out = []
        for n, c in enumerate(self.conflicts, start=1):
            for r in c.rules:
                first = r.locations[0] if r.locations else None
                out.append({
                    "conflict": n, "source": c.source, "code": c.code, "rule": r.rule,
                    "family": r.family, "description": r.description, "year": r.year,
                    "recipient": r.recipient, "stream": r.stream,
                    "sheet": first.sheet if first else "", "cell": first.cell if first else "",
                    "where": r.where,
                    "shortfall_pounds": r.amount if r.amount is not None else c.shortfall,
                    "suggestion": r.suggestion or c.suggestion,
                })
        frame = pd.DataFrame(out, columns=FRAME_COLUMNS)
        frame["shortfall_pounds"] = frame["shortfall_pounds"].astype(float)
        return frame

    def __str__(self) -> str:
        return self.text


def render(d: Diagnosis) -> str:
    lines: list[str] = []
    checks = d.of("check")
    if checks:
        lines.append("The rules cannot all hold:")
        for c in checks:
            lines.append(f"  - {c.summary}; {c.where}" if c.where else f"  - {c.summary}")
            if c.suggestion:
                lines.append(f"    {c.suggestion}")
    for c in d.of("iis"):
        lines.append(c.summary)
        for r in c.rules:
            lines.append(f"  - {r.description} ({r.where})" if r.where else f"  - {r.description}")
        for b in c.bounds:
            lines.append(f"  - {b}")
    way = d.way_out
    if way is not None:
        lines.append(way.summary)
        for r in way.rules:
            lines.append(f"  - {r.suggestion} ({r.where})" if r.where else f"  - {r.suggestion}")
    alternatives = d.of("alternative")
    if alternatives:
        lines.append("Or any one of these on its own:")
        for a in alternatives:
            r = a.rules[0]
            lines.append(f"  - {r.suggestion} ({r.where})" if r.where else f"  - {r.suggestion}")
    if d.note:
        lines.append(d.note)
    return "\n".join(lines) if lines else "The rules cannot all hold."


def infeasible(diagnosis: Diagnosis) -> InfeasibleError:
    return InfeasibleError(diagnosis.text, diagnosis=diagnosis)

