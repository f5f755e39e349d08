"""The *Scenarios* sheet: what-if scenarios listed in an input workbook.

One row per override; rows with the same ``scenario`` name make one scenario, their
overrides applied in row order. Columns (a blank cell is "not given"):

``scenario | override | stream | recipient | contributor | activity | strand | threat |
scope | year | last_year | source | setting | value | penalty``

in row 1, like every other sheet (:data:`SCENARIOS_SPEC` declares them, so the template
writes their drop-downs and header comments as for any table).
``override`` is one of ``scale_envelope``, ``set_envelope``, ``set_cliff_edge``,
``set_share_target``, ``remove_contribution``, ``scale_income``, ``add_commitment``,
``set_setting``. ``value`` holds its number: a factor for ``scale_*`` (1.1 is +10%), a
rate or share for ``set_cliff_edge``, ``set_share_target`` and ``remove_contribution``
(0.72 or 72%), an amount in the workbook's money unit for ``set_envelope`` and
``add_commitment``, or the setting's value. ``year`` is the first year for
``add_commitment``. Workbooks written before the header moved to row 1 have it below a
note, in row 3: the reader takes the first of the first ten rows whose first cell is
``scenario``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import MISSING, fields, replace
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from fundopt.errors import InputError, Issue, Severity
from fundopt.io.cells import parse_value
from fundopt.io.layout import parse_header
from fundopt.io.read import _load
from fundopt.io.safety import SafetyLimits, check_container, check_defusedxml, read_input_bytes
from fundopt.io.sheets import formula_text, occupied
from fundopt.io.xlsx import ExtraSheet
from fundopt.problem import FundingProblem
from fundopt.problem.scenarios import OVERRIDES_BY_KIND, SHEET_COLUMNS, Override, Scenario
from fundopt.problem.schema import (
    Column,
    ColumnKind,
    MoneyUnit,
    ShareScope,
    Strand,
    TableSpec,
    Threat,
)

SHEET = "Scenarios"
NOTE = ("What-if scenarios for 'fundopt compare': one row per override, rows with the same "
        "scenario name form one scenario. value: a factor for scale_* (1.1 = +10%), a rate or "
        "share for set_cliff_edge, set_share_target and remove_contribution (0.72 = 72%), an "
        "amount in {unit} for set_envelope and add_commitment.")
_HEADER_SEARCH_ROWS = 10
_K = ColumnKind

#: The sheet's columns, in order, as the template writes them (read by :class:`_SheetReader`).
SCENARIOS_SPEC = TableSpec("scenarios", SHEET, (
    Column("scenario", _K.TEXT, doc="The scenario's name; rows with the same name make one "
           "scenario, their changes applied in row order"),
    Column("override", _K.ENUM, choices=tuple(OVERRIDES_BY_KIND),
           doc="What to change (see the value column for its number)"),
    Column("stream", _K.REF, required=False, ref="streams",
           doc="scale_envelope, set_envelope; add_commitment: the paying stream"),
    Column("recipient", _K.REF, required=False, ref="recipients",
           doc="set_cliff_edge (blank = everyone), remove_contribution (the unit paid), "
               "scale_income, add_commitment"),
    Column("contributor", _K.REF, required=False, ref="recipients",
           doc="remove_contribution: the recipient whose PCC stops paying"),
    Column("activity", _K.REF, required=False, ref="activities", doc="add_commitment"),
    Column("strand", _K.ENUM, required=False, choices=tuple(s.value for s in Strand),
           doc="set_share_target"),
    Column("threat", _K.ENUM, required=False, choices=tuple(t.value for t in Threat),
           doc="set_share_target"),
    Column("scope", _K.ENUM, required=False, choices=tuple(s.value for s in ShareScope),
           doc="set_share_target"),
    Column("year", _K.YEAR, required=False,
           doc="the year changed (blank = every year for scale_*); add_commitment: first year"),
    Column("last_year", _K.YEAR, required=False, doc="add_commitment: last year"),
    Column("source", _K.TEXT, required=False,
           doc="scale_income: the income source, e.g. precept (blank = every source)"),
    Column("setting", _K.TEXT, required=False,
           doc="set_setting: need_penalty, volatility_penalty, terminal_fall_share or "
               "time_limit_seconds"),
    Column("value", _K.NUMBER, doc="a factor for scale_* (1.1 = +10%); a rate or share for "
           "set_cliff_edge, set_share_target, remove_contribution (0.72 = 72%); an amount in "
           "the money unit for set_envelope, add_commitment; the value for set_setting"),
    Column("penalty", _K.PENALTY, required=False,
           doc="add_commitment: value lost per pound of breach; blank = a hard promise"),
), "What-if scenarios for fundopt compare: one row per change; rows with the same scenario "
   "name form one scenario.")
_ENUMS: dict[str, tuple[str, ...]] = {
    "strand": tuple(s.value for s in Strand),
    "threat": tuple(t.value for t in Threat),
    "scope": tuple(s.value for s in ShareScope),
}


def scenarios_frame(scenarios: Sequence[Scenario], unit: MoneyUnit) -> pd.DataFrame:
    """The sheet's rows for ``scenarios`` (money shown in ``unit``)."""
    rows = []
    for scenario in scenarios:
        for override in scenario.overrides:
            row: dict[str, Any] = dict.fromkeys(SHEET_COLUMNS)
            row["scenario"], row["override"] = scenario.name, override.kind
            for name, column, kind in override.columns:
                value = getattr(override, name)
                if kind is ColumnKind.MONEY and value is not None:
                    value = float(value) / unit.pounds
                row[column] = value
            rows.append(row)
    return pd.DataFrame(rows, columns=list(SHEET_COLUMNS))


def scenarios_sheet(scenarios: Sequence[Scenario], unit: MoneyUnit) -> ExtraSheet:
    """The *Scenarios* sheet as an extra sheet for :func:`fundopt.io.write_problem`."""
    return ExtraSheet(scenarios_frame(scenarios, unit), note=NOTE.format(unit=unit.value))


def read_scenarios(path: str | Path, problem: FundingProblem, *,
                   limits: SafetyLimits | None = None) -> tuple[Scenario, ...]:
    """The scenarios on the workbook's *Scenarios* sheet (none if it has no such sheet).

    Every row is checked against ``problem`` (the workbook's own problem: its ids, years
    and money unit) and each scenario is applied once; every problem found is raised
    together as an :class:`~fundopt.InputError` naming ``'Scenarios'!cell``.
    """
    check_defusedxml()
    file = Path(path)
    limits = limits or SafetyLimits()
    data = read_input_bytes(file, limits)
    check_container(data, file, limits)
    values, formulas = _load(data, file, limits)
    sheet = next((n for n in values.sheetnames if n.strip().lower() == SHEET.lower()), None)
    if sheet is None:
        return ()
    reader = _SheetReader(values[sheet], formulas[sheet], sheet, problem)
    scenarios = reader.read()
    if reader.issues:
        raise InputError(reader.issues, source=str(file))
    return scenarios


class _SheetReader:
    def __init__(self, ws: Worksheet, fws: Worksheet, sheet: str, problem: FundingProblem) -> None:
        self.ws, self.fws, self.sheet, self.problem = ws, fws, sheet, problem
        self.unit = problem.settings.money_unit
        self.issues: list[Issue] = []
        self.columns: dict[str, int] = {}  # sheet column -> its number, once the header is read
        self.known: dict[str, set[str]] = {
            "stream": set(problem.streams["stream"]),
            "recipient": set(problem.recipients["recipient"]),
            "contributor": set(problem.recipients["recipient"]),
            "activity": set(problem.activities["activity"]),
            "year": set(problem.years["year"]),
            "last_year": set(problem.years["year"]),
        }

    def add(self, cell: str, message: str, *, found: Any = None, hint: str = "",
            code: str = "FO-S02") -> None:
        self.issues.append(Issue(message=message, found="" if found is None else repr(found),
                                 hint=hint, code=code, severity=Severity.ERROR, sheet=self.sheet,
                                 cell=cell))

    def _header(self) -> tuple[int, dict[str, int]] | None:
        # only the cells the sheet has: a stray value in column XFD costs one cell, not 16,384
        for r, cells in occupied(self.ws, self.fws, 1).items():
            if r > _HEADER_SEARCH_ROWS:
                break
            first = self.ws.cell(row=r, column=1).value
            if isinstance(first, str) and first.strip().lower() == "scenario":
                columns: dict[str, int] = {}
                for c in cells:
                    text = self.ws.cell(row=r, column=c).value
                    parsed = parse_header(text) if isinstance(text, str) else None
                    if parsed is not None:
                        columns.setdefault(parsed[0], c)
                return r, columns
        return None

    def read(self) -> tuple[Scenario, ...]:
        found = self._header()
        if found is None:
            self.add("A1", "no header row: the first cell of the header must be 'scenario'",
                     hint=f"put the headers {', '.join(SHEET_COLUMNS)} in one row")
            return ()
        header_row, columns = found
        for name in ("scenario", "override", "value"):
            if name not in columns:
                self.add(f"A{header_row}", f"the column '{name}' is missing",
                         hint=f"the headers are {', '.join(SHEET_COLUMNS)}")
        if self.issues:
            return ()
        unknown = sorted(set(columns) - set(SHEET_COLUMNS))
        for name in unknown:
            cell = self.ws.cell(row=header_row, column=columns[name]).coordinate
            self.add(cell, f"unknown column '{name}'", hint=f"use {', '.join(SHEET_COLUMNS)}")
        order: list[str] = []
        grouped: dict[str, list[tuple[int, Override]]] = {}
        for r in range(header_row + 1, self.ws.max_row + 1):
            cells = {name: self.ws.cell(row=r, column=c) for name, c in columns.items()}
            if all(self._blank(cell.coordinate, cell.value) for cell in cells.values()):
                break
            name_cell = cells["scenario"]
            name = name_cell.value
            if not isinstance(name, str) or not name.strip():
                self.add(name_cell.coordinate, "every row needs a scenario name", found=name)
                continue
            override = self._override(r, cells)
            if override is not None:
                if name.strip() not in grouped:
                    order.append(name.strip())
                grouped.setdefault(name.strip(), []).append((r, override))
        self.columns = columns
        scenarios = []
        for name in order:
            scenario = Scenario(name, tuple(o for _, o in grouped[name]))
            try:
                scenario.apply(self.problem)
            except InputError as e:
                self._refused(name, grouped[name], e)
                continue
            scenarios.append(scenario)
        return tuple(scenarios)

    def _refused(self, name: str, rows: list[tuple[int, Override]], error: InputError) -> None:
        """Report a scenario its problem refuses at the cells of the row that causes it: the
        first row whose override, applied after the rows above it, is refused (found again
        one row at a time, only for a refused scenario); each message once, though the
        problem may refuse it in many of its own rows (a rate set for every recipient)."""
        row, override, issues = rows[-1][0], rows[-1][1], error.issues
        for k in range(1, len(rows)):
            try:
                Scenario(name, tuple(o for _, o in rows[:k])).apply(self.problem)
            except InputError as e:
                (row, override), issues = rows[k - 1], e.issues
                break
        fields_to_columns = {f: column for f, column, _ in override.columns}
        seen: set[tuple[str, str]] = set()
        for issue in issues:
            # an issue of the field an override sets names that field's column; any other
            # (an envelope amount a factor scaled, a setting) comes from the row's value
            column = fields_to_columns.get(issue.column, "value")
            c = self.columns.get(column)
            cell = f"{get_column_letter(c)}{row}" if c is not None else f"A{row}"
            if (cell, issue.message) in seen:
                continue
            seen.add((cell, issue.message))
            self.issues.append(replace(issue, table="", row=None, column="", sheet=self.sheet,
                                       cell=cell, code=issue.code or "FO-S02"))

    def _blank(self, coordinate: str, value: Any) -> bool:
        if formula_text(self.fws[coordinate].value) is not None and value is None:
            return False  # a formula with no saved result is not a blank cell
        return value is None or (isinstance(value, str) and not value.strip())

    def _override(self, r: int, cells: dict[str, Any]) -> Override | None:
        kind_cell = cells["override"]
        kind = kind_cell.value.strip() if isinstance(kind_cell.value, str) else kind_cell.value
        cls = OVERRIDES_BY_KIND.get(kind) if isinstance(kind, str) else None
        if cls is None:
            self.add(kind_cell.coordinate, "unknown override", found=kind,
                     hint=f"use one of {', '.join(OVERRIDES_BY_KIND)}")
            return None
        args: dict[str, Any] = {}
        ok = True
        for field_name, column, kind_ in cls.columns:
            cell = cells.get(column)
            value = None if cell is None else cell.value
            coordinate = cell.coordinate if cell is not None else f"A{r}"
            if cell is not None and formula_text(self.fws[coordinate].value) is not None \
                    and value is None:
                self.add(coordinate, "a formula with no saved result",
                         hint="open the workbook in Excel and save it, or type the value")
                ok = False
                continue
            parsed, problem = parse_value(value, kind_, self.unit)
            if problem is not None:
                self.add(coordinate, problem.message, found=problem.found, hint=problem.hint,
                         code=problem.code)
                ok = False
                continue
            if isinstance(parsed, str):
                parsed = parsed.strip()
            if parsed is None and _required(cls, field_name):
                self.add(coordinate, f"{kind} needs a {column}", hint=_hint(cls))
                ok = False
                continue
            if parsed is not None and not self._known(coordinate, column, parsed):
                ok = False
                continue
            args[field_name] = parsed
        used = {"scenario", "override"} | {c for _, c, _ in cls.columns}
        for column in sorted(set(SHEET_COLUMNS) - used):
            cell = cells.get(column)
            if cell is not None and not self._blank(cell.coordinate, cell.value):
                self.add(cell.coordinate, f"{kind} does not use the column '{column}'",
                         found=cell.value, hint=f"leave it blank; {_hint(cls)}")
                ok = False
        return cls(**args) if ok else None

    def _known(self, coordinate: str, column: str, value: Any) -> bool:
        choices = _ENUMS.get(column)
        if choices is not None and value not in choices:
            self.add(coordinate, f"not a known {column}", found=value,
                     hint=f"use one of {', '.join(choices)}")
            return False
        known = self.known.get(column)
        if known is not None and value not in known:
            self.add(coordinate, f"no {column} with this id in the workbook", found=value,
                     hint=f"check the spelling against the sheet that lists each {column}")
            return False
        return True


def _required(cls: type[Override], field_name: str) -> bool:
    """A field a blank cell cannot fill: no default and ``None`` is not one of its values
    (a blank year of ``scale_envelope`` is meaningful: every year)."""
    return any(f.name == field_name and f.default is MISSING and "None" not in str(f.type)
               for f in fields(cls))


def _hint(cls: type[Override]) -> str:
    used = ", ".join(column for _, column, _ in cls.columns)
    return f"{cls.kind} uses {used}"


__all__ = ["NOTE", "SHEET", "read_scenarios", "scenarios_frame", "scenarios_sheet"]
