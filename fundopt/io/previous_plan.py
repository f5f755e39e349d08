"""Read the plan a re-plan starts from out of a results workbook (``fundopt solve``'s).

The *Settlement* sheet (:mod:`fundopt.io.replan_sheets`) holds, per recipient and year,
the allocation and whether it is confirmed or indicative, with its tolerance. It is read by
its column titles, money in the unit its header states, each amount to the pound; the file
is read once, with the input workbook's safety checks, and never written. A workbook that
is not a fundopt results workbook is refused, saying what it looks like instead.
"""

from __future__ import annotations

import io
import math
import warnings
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
from openpyxl.utils import get_column_letter

from fundopt.errors import InputError, Issue
from fundopt.io.layout import SETTINGS_SHEET
from fundopt.io.render import HEADER_ROW
from fundopt.io.replan_sheets import SETTLEMENT
from fundopt.io.safety import SafetyLimits, check_container, check_defusedxml, read_input_bytes
from fundopt.io.slim import slim_package
from fundopt.plan.replan import PREVIOUS_COLUMNS, PreviousPlan
from fundopt.problem.schema import MoneyUnit, YearStatus
from fundopt.problem.validation import YEAR_RE

#: The Settlement sheet's columns the reader needs, by their titles (money: any unit).
_WANTED = {"Recipient": "recipient", "Year": "year", "Status": "status",
           "Allocation": "amount", "Tolerance (%)": "tolerance_share"}
_REQUIRED = ("recipient", "year", "status", "amount")
_STATUSES = {s.value for s in YearStatus}


def read_previous_plan(path: str | Path, *, limits: SafetyLimits | None = None
                       ) -> PreviousPlan:
    """The figures of a results workbook written by ``fundopt solve`` (or ``fundopt
    replan``), for :func:`fundopt.replan`: its *Settlement* sheet, each recipient's
    allocation per year, confirmed or indicative, with its tolerance.

    Raises :class:`~fundopt.InputError` naming the sheet and cell of every problem, and
    ``FO-S17`` for a workbook that is not a fundopt results workbook (an input workbook,
    one from an older fundopt without a Settlement sheet, or another workbook)."""
    check_defusedxml()
    file = Path(path)
    limits = limits or SafetyLimits()
    data = read_input_bytes(file, limits)
    check_container(data, file, limits)
    values = _open(slim_package(data, file, limits), file)
    if SETTLEMENT not in values.sheetnames:
        raise InputError([_not_results(file, values.sheetnames)], source=str(file))
    # read-only: only this sheet is parsed (a results workbook has many large ones)
    grid = [list(r) for r in values[SETTLEMENT].iter_rows(values_only=True)]
    values.close()
    issues: list[Issue] = []
    where, unit = _header(grid, issues)
    table, rows = _rows(grid, where, unit, issues) if not issues else (None, [])
    if issues or table is None:
        raise InputError(issues, source=str(file))
    letters = {column: get_column_letter(j) for column, j in where.items()}
    return PreviousPlan(table, source=str(file), sheet=f"[{file.name}]{SETTLEMENT}",
                        rows=tuple(rows), columns=letters)


def _open(data: bytes, file: Path) -> Any:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # features openpyxl drops on load do not matter
            return openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True,
                                          keep_links=False)
    except Exception as e:
        issue = Issue(message=f"'{file.name}' could not be opened as a workbook "
                      f"({type(e).__name__}: {e})", code="FO-F06",
                      hint="open it in Excel (which may offer to repair it) and save it as .xlsx")
        raise InputError([issue], source=str(file)) from e


def _cell(grid: list[list[Any]], r: int, j: int) -> Any:
    """The value at sheet row ``r``, column ``j`` (both from 1); None beyond the data."""
    row = grid[r - 1] if r <= len(grid) else []
    return row[j - 1] if j <= len(row) else None


def _not_results(file: Path, sheets: list[str]) -> Issue:
    if SETTINGS_SHEET in sheets and "Envelopes" in sheets:
        what = "an input workbook (a budget), not a results workbook"
        hint = ("give the results workbook fundopt solve wrote from it (e.g. "
                f"{file.stem}-plan.xlsx) as the previous plan, and this one as the new budget")
    elif "Summary" in sheets and "Audit" in sheets:
        what = "a results workbook without a Settlement sheet (from an older fundopt)"
        hint = "solve its input workbook again with this fundopt, and re-plan from that"
    else:
        what = "not a fundopt results workbook (it has no Settlement sheet)"
        hint = "give the results workbook fundopt solve wrote"
    return Issue(message=f"'{file.name}' is {what}", code="FO-S17", hint=hint)


def _header(grid: list[list[Any]], issues: list[Issue]) -> tuple[dict[str, int], MoneyUnit]:
    """(column -> sheet column number, the money unit) from the header row."""
    where: dict[str, int] = {}
    unit = MoneyUnit.POUNDS
    header = grid[HEADER_ROW - 1] if len(grid) >= HEADER_ROW else []
    for j, title in enumerate(header, start=1):
        if not isinstance(title, str):
            continue
        head, _, tail = title.strip().partition(" (")
        column = _WANTED.get(title.strip()) or _WANTED.get(head)
        if column is None or column in where:
            continue
        where[column] = j
        if column == "amount":
            try:
                unit = MoneyUnit(tail.rstrip(")"))
            except ValueError:
                issues.append(_issue(HEADER_ROW, j, "the allocation's unit is not £, £k "
                                     "or £m", title, "FO-S15", "restore the header"))
    for column in _REQUIRED:
        if column not in where:
            title = next(t for t, c in _WANTED.items() if c == column)
            issues.append(Issue(message=f"column '{title}' is missing", sheet=SETTLEMENT,
                                cell=f"A{HEADER_ROW}", code="FO-S04",
                                hint="restore the Settlement sheet's header as fundopt wrote it"))
    return where, unit


def _rows(grid: list[list[Any]], where: dict[str, int], unit: MoneyUnit, issues: list[Issue]
          ) -> tuple[pd.DataFrame, list[int]]:
    """The table (money in pounds) and the sheet row of each of its rows, to the first
    blank row."""
    out: list[dict[str, Any]] = []
    rows: list[int] = []
    for r in range(HEADER_ROW + 1, len(grid) + 1):
        cells = {c: _cell(grid, r, j) for c, j in where.items()}
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in cells.values()):
            break
        row: dict[str, Any] = dict.fromkeys(PREVIOUS_COLUMNS)
        row["recipient"] = _text(r, where["recipient"], cells["recipient"], issues)
        row["year"] = _year(r, where["year"], cells["year"], issues)
        row["status"] = _status(r, where["status"], cells["status"], issues)
        row["amount"] = _number(r, where["amount"], cells["amount"], issues,
                                scale=unit.pounds)
        if "tolerance_share" in where and cells["tolerance_share"] is not None:
            row["tolerance_share"] = _number(r, where["tolerance_share"],
                                             cells["tolerance_share"], issues, most=1.0)
        out.append(row)
        rows.append(r)
    return pd.DataFrame(out, columns=PREVIOUS_COLUMNS, dtype=object), rows


def _issue(r: int, j: int, message: str, found: Any, code: str, hint: str) -> Issue:
    return Issue(message=message, sheet=SETTLEMENT, cell=f"{get_column_letter(j)}{r}",
                 found=repr(found), code=code, hint=hint)


def _text(r: int, j: int, v: Any, issues: list[Issue]) -> str | None:
    if isinstance(v, str) and v.strip():
        return v.strip()
    issues.append(_issue(r, j, "expected a recipient id", v, "FO-V21", "fill it in"))
    return None


def _year(r: int, j: int, v: Any, issues: list[Issue]) -> str | None:
    if isinstance(v, str) and YEAR_RE.fullmatch(v.strip()):
        return v.strip()
    issues.append(_issue(r, j, "expected a fiscal year like 2027-28", v, "FO-V13",
                         "type the year as text, e.g. 2027-28"))
    return None


def _status(r: int, j: int, v: Any, issues: list[Issue]) -> str | None:
    if isinstance(v, str) and v.strip().lower() in _STATUSES:
        return v.strip().lower()
    issues.append(_issue(r, j, "expected confirmed or indicative", v, "FO-V12",
                         "type confirmed or indicative"))
    return None


def _number(r: int, j: int, v: Any, issues: list[Issue], *,
            scale: int = 1, most: float = math.inf) -> float | None:
    ok = isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) \
        and 0 <= v <= most
    if not ok:
        issues.append(_issue(r, j, "expected a number" + (" from 0 to 100%" if most == 1.0
                                                              else ", not negative"),
                             v, "FO-V05", "retype it as fundopt wrote it"))
        return None
    # money was written as pounds divided by the unit: back to the whole pound it was
    return float(round(float(v) * scale)) if scale != 1 else float(v)
