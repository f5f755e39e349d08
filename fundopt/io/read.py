"""Read a fundopt input workbook into a validated :class:`~fundopt.FundingProblem`.

Every problem is collected before anything is raised: one :class:`~fundopt.InputError`
lists them all, each naming its sheet and cell. Cells are read with openpyxl (never
``pandas.read_excel``, which turns error cells into blanks). The file is read once into
memory and never written.
"""

from __future__ import annotations

import difflib
import hashlib
import html
import io
import re
import warnings
import zipfile
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from fundopt.errors import InputError, Issue, Severity
from fundopt.io.cells import parse_value
from fundopt.io.examples import example_rows_left
from fundopt.io.layout import (
    FIRST_DATA_ROW,
    SETTINGS,
    SETTINGS_BY_KEY,
    SETTINGS_SHEET,
    TEMPLATE_VERSION,
    VERSION_KEY,
    SettingKind,
)
from fundopt.io.safety import SafetyLimits, check_container, check_defusedxml, read_input_bytes
from fundopt.io.sheets import SheetTable, formula_text, occupied, read_table
from fundopt.io.slim import is_worksheet, slim_package
from fundopt.problem import FundingProblem, Origin, Settings
from fundopt.problem.schema import TABLES, TABLES_BY_NAME, ColumnKind, MoneyUnit

#: A sheet element of the workbook part and its name (in either quote)
_FORMULA_RE = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?f[\s>/]")
_SHEET_NAME_RE = re.compile(rb"<(?:\w+:)?sheet\s[^>]*?\bname=([\"'])(.*?)\1")
_SETTING_KINDS = {SettingKind.NUMBER: ColumnKind.NUMBER, SettingKind.SHARE: ColumnKind.SHARE,
                  SettingKind.SECONDS: ColumnKind.NUMBER}


def read_workbook(path: str | Path, *, limits: SafetyLimits | None = None) -> FundingProblem:
    """Read and validate an input workbook (.xlsx or .xlsm; macros are never run).

    Raises :class:`~fundopt.InputError` listing every problem, each with its sheet and
    cell, or :class:`~fundopt.errors.SecurityError` for a file refused for safety.
    Warnings (hidden sheets or rows, macros present) are kept in ``problem.warnings``.
    """
    check_defusedxml()
    file = Path(path)
    limits = limits or SafetyLimits()
    data = read_input_bytes(file, limits)
    issues = check_container(data, file, limits)
    values, formulas = _load(data, file, limits)
    _check_sheets_loaded(data, values, file)
    issues += _workbook_warnings(values, file)
    sheets = _find_sheets(values, issues)
    settings, setting_cells, flagged = _read_settings(values, formulas, issues)
    unit = settings.money_unit if "money_unit" not in flagged else None
    tables: dict[str, pd.DataFrame] = {}
    read: dict[str, SheetTable] = {}
    for spec in TABLES:
        sheet = sheets.get(spec.name)
        if sheet is None:
            tables[spec.name] = pd.DataFrame(columns=list(spec.column_names))
            continue
        table = read_table(values[sheet], formulas[sheet], spec, unit)
        issues += table.issues
        read[spec.name] = table
        n = len(table.excel_rows)
        tables[spec.name] = pd.DataFrame(
            {col: pd.Series(table.columns.get(col, [None] * n), dtype=object, index=range(n))
             for col in spec.column_names},
            columns=list(spec.column_names),
        )
    origin = Origin(
        path=str(file), sha256=hashlib.sha256(data).hexdigest(),
        sheets={name: sheets[name] for name in read},
        rows={name: tuple(t.excel_rows) for name, t in read.items()},
        columns={name: dict(t.letters) for name, t in read.items()},
        sources=_sources(values),
    )
    try:
        problem = FundingProblem(**tables, settings=settings, origin=origin)  # type: ignore[arg-type]
    except InputError as e:
        missing = {spec.name for spec in TABLES} - set(sheets)
        issues += _keep(e.issues, read, missing, flagged, setting_cells)
        raise InputError(issues, source=str(file)) from None
    if any(i.severity is Severity.ERROR for i in issues):
        raise InputError(issues, source=str(file))
    # A FundingProblem keeps its own validation warnings; the reader adds the workbook's.
    issues += example_rows_left(problem)
    object.__setattr__(problem, "warnings", tuple(issues) + problem.warnings)
    return problem


def _sources(values: Workbook) -> tuple[tuple[object, ...], ...]:
    """The *Sources* sheet's rows (saved values), header first, blank rows left out; empty
    when the workbook has no such sheet (the results workbook copies it)."""
    from fundopt.io.winners import SOURCES

    if SOURCES not in values.sheetnames:
        return ()
    rows = (tuple(row) for row in values[SOURCES].iter_rows(values_only=True))
    return tuple(row for row in rows if any(v is not None and v != "" for v in row))


def _load(data: bytes, file: Path, limits: SafetyLimits) -> tuple[Workbook, Workbook]:
    """The workbook twice: saved values (data_only) and formulas (to explain blanks), each
    without the cells and rows that are only formatted (:mod:`fundopt.io.slim`)."""
    data = slim_package(data, file, limits)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # features openpyxl drops on load do not matter here
            values = openpyxl.load_workbook(io.BytesIO(data), data_only=True, keep_links=False)
            # a workbook without a formula reads the same both ways: load it once (it is
            # most of the read's time)
            formulas = values if not _has_formulas(data) else openpyxl.load_workbook(
                io.BytesIO(data), data_only=False, keep_links=False)
    except Exception as e:
        issue = Issue(message=f"'{file.name}' could not be opened as a workbook "
                      f"({type(e).__name__}: {e})",
                      hint="open it in Excel (which may offer to repair it) and save it as .xlsx",
                      code="FO-F06")
        raise InputError([issue], source=str(file)) from e
    return values, formulas


def _has_formulas(data: bytes) -> bool:
    """Whether any worksheet of the package has a formula (an ``<f>`` element, with or
    without a namespace prefix); True when the package cannot be looked into."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return any(_FORMULA_RE.search(archive.read(info))
                       for info in archive.infolist() if is_worksheet(info.filename))
    except (zipfile.BadZipFile, OSError, RuntimeError, ValueError):
        return True


def _check_sheets_loaded(data: bytes, wb: Workbook, file: Path) -> None:
    """One clear refusal for a workbook whose list of sheets is damaged: openpyxl reads such
    a file as one with no sheets, or skips a listed sheet whose part is missing, which would
    otherwise be reported as every table's sheet missing (and each reference to it wrong)."""
    listed = _listed_sheets(data)
    lost = [name for name in listed if name not in wb.sheetnames]
    if wb.sheetnames and not lost:
        return
    if lost:
        shown = ", ".join(f"'{name}'" for name in lost[:5]) + \
            (f" and {len(lost) - 5} more" if len(lost) > 5 else "")
        what = (f"it lists the sheet {shown}, but it could not be read" if len(lost) == 1 else
                f"it lists the sheets {shown}, but "
                f"{'none of them' if not wb.sheetnames else 'they'} could be read")
        what += " (the list of sheets, xl/workbook.xml, or the sheets' parts are damaged)"
    else:
        what = "it has no sheets (its list of sheets, xl/workbook.xml, is empty or damaged)"
    issue = Issue(message=f"'{file.name}' is damaged: {what}", code="FO-F06",
                  hint="open it in Excel (which may offer to repair it) and save it again, or "
                       "copy its data into a fresh template (fundopt template NEW.xlsx)")
    raise InputError([issue], source=str(file))


def _listed_sheets(data: bytes) -> list[str]:
    """The sheet names the workbook part lists (none if it cannot be found)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            part = archive.read("xl/workbook.xml")
    except (KeyError, zipfile.BadZipFile):
        return []
    return [html.unescape(m.group(2).decode("utf-8", "replace"))
            for m in _SHEET_NAME_RE.finditer(part)]


def _workbook_warnings(wb: Workbook, file: Path) -> list[Issue]:
    out = []
    lock = file.with_name("~$" + file.name)
    lock_short = file.with_name("~$" + file.name[2:])
    if lock.exists() or lock_short.exists():
        out.append(Issue(message=f"'{file.name}' seems to be open in Excel; unsaved edits are "
                         "not included", code="FO-F15", severity=Severity.WARNING,
                         hint="save it in Excel first"))
    calc = getattr(wb, "calculation", None)
    if calc is not None and getattr(calc, "calcMode", None) == "manual":
        out.append(Issue(message="the workbook is set to manual calculation; saved formula "
                         "results may be out of date", code="FO-V31", severity=Severity.WARNING,
                         hint="press F9 in Excel (or set calculation to automatic) and save"))
    return out


def _find_sheets(wb: Workbook, issues: list[Issue]) -> dict[str, str]:
    """table name -> sheet name for the sheets present; issues for missing or hidden ones."""
    present = wb.sheetnames
    found: dict[str, str] = {}
    wanted = [(SETTINGS_SHEET, "")] + [(spec.sheet, spec.name) for spec in TABLES]
    if not any(sheet in present for sheet, _ in wanted):
        # one line, not one per sheet: this is some other workbook
        issues.append(Issue(message="none of the template's sheets (Settings, Recipients, "
                            "Years, ...) is in this workbook; it is not a fundopt input "
                            "workbook", code="FO-S01",
                            found="sheets: " + ", ".join(f"'{p}'" for p in present[:10]),
                            hint="start from a fresh template (fundopt template NEW.xlsx) "
                                 "and copy the data into it"))
        return found
    for sheet, table in wanted:
        if sheet in present and isinstance(wb[sheet], Worksheet):
            if table:
                found[table] = sheet
            if wb[sheet].sheet_state != "visible":
                issues.append(Issue(message=f"sheet is {wb[sheet].sheet_state} (not visible in "
                                    "Excel) but was read", code="FO-S03",
                                    severity=Severity.WARNING, sheet=sheet, cell="A1",
                                    hint="unhide it (right-click a sheet tab > Unhide)"))
            continue
        norm = {p.strip().lower(): p for p in present}
        close = [norm[sheet.lower()]] if sheet.lower() in norm else []
        # another table's own sheet ('Local priorities' for 'Priorities') was not renamed
        others = [p for p in present if p not in {w for w, _ in wanted}]
        close += [c for c in difflib.get_close_matches(sheet, others, n=2, cutoff=0.6)
                  if c not in close]
        optional = bool(table) and not TABLES_BY_NAME[table].required
        if optional and not close:
            # a table added to the schema since the workbook was made: it has no rows
            issues.append(Issue(message=f"sheet '{sheet}' not found; read as empty",
                                table=table, code="FO-S02", severity=Severity.WARNING,
                                hint="add it (copy it from a fresh template) to use it"))
            continue
        hint = (f"did you mean '{close[0]}'? rename it to '{sheet}'" if close else
                "add it back; fundopt template writes a fresh template to copy it from")
        issues.append(Issue(message=f"sheet '{sheet}' not found", table=table, code="FO-S01",
                            found="sheets: " + ", ".join(f"'{p}'" for p in present), hint=hint))
    return found


def _read_settings(values: Workbook, formulas: Workbook, issues: list[Issue]
                   ) -> tuple[Settings, dict[str, str], set[str]]:
    """(settings, key -> value cell, keys whose value was unusable)."""
    flagged: set[str] = set(SETTINGS_BY_KEY)
    if SETTINGS_SHEET not in values.sheetnames:
        return Settings(), {}, flagged
    ws, fws = values[SETTINGS_SHEET], formulas[SETTINGS_SHEET]
    raw: dict[str, Any] = {}
    cells: dict[str, str] = {}

    def add(cell: str, message: str, **kw: Any) -> None:
        issues.append(Issue(message=message, sheet=SETTINGS_SHEET, cell=cell, **kw))

    known = [VERSION_KEY, *SETTINGS_BY_KEY]
    for r in occupied(ws, fws, FIRST_DATA_ROW):  # a row with no cell has no setting
        key_cell, value_cell = ws.cell(r, 1), ws.cell(r, 2)
        if key_cell.value is None or str(key_cell.value).strip() == "":
            continue
        key = str(key_cell.value).strip().lower()
        if key not in known:
            close = difflib.get_close_matches(key, known, n=1)
            hint = f"did you mean '{close[0]}'?" if close else f"settings are: {', '.join(known)}"
            add(key_cell.coordinate, "unknown setting", found=repr(key_cell.value), code="FO-S04",
                hint=hint)
            continue
        if key in cells:
            add(key_cell.coordinate, f"setting '{key}' appears twice (also at "
                f"'{SETTINGS_SHEET}'!{cells[key]})", code="FO-S05", hint="keep one")
            continue
        cells[key] = value_cell.coordinate
        if value_cell.data_type == "e":
            add(value_cell.coordinate, f"shows the Excel error {value_cell.value}", code="FO-V03",
                found=str(value_cell.value), hint="type the value")
            continue
        ftext = formula_text(fws.cell(r, 2).value)
        if value_cell.value is None and ftext is not None:
            add(value_cell.coordinate, "is a formula with no saved result", found=ftext,
                code="FO-V02", hint="open the file in Excel, let it calculate, and save")
            continue
        raw[key] = value_cell.value
    for key in known:
        # an optional setting added since the workbook was made takes its default
        if key not in cells and (key == VERSION_KEY or SETTINGS_BY_KEY[key].required):
            add("A" + str(ws.max_row + 1), f"setting '{key}' is missing", code="FO-S04",
                hint=f"add a row with '{key}' in column A and its value in column B")
    _check_version(raw.get(VERSION_KEY), cells.get(VERSION_KEY), add)
    chosen: dict[str, Any] = {}
    for spec in SETTINGS:
        if spec.key not in cells:
            continue
        value, ok = _setting_value(spec.key, raw.get(spec.key), cells[spec.key], add)
        if ok:
            flagged.discard(spec.key)
            if value is not None or not spec.required:
                chosen[spec.key] = value
    default = Settings()
    by_field = {f.name: chosen.get(f.name, getattr(default, f.name)) for f in fields(Settings)}
    return replace(default, **by_field), cells, flagged


def _check_version(value: Any, cell: str | None, add: Any) -> None:
    if cell is None:
        return
    text = str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)
    if text.strip() != TEMPLATE_VERSION:
        add(cell, f"template version {text!s} is not supported (this fundopt reads version "
            f"{TEMPLATE_VERSION})", found=repr(value), code="FO-S14",
            hint="copy your data into a fresh template (fundopt template NEW.xlsx)")


def _setting_value(key: str, value: Any, cell: str, add: Any) -> tuple[Any, bool]:
    spec = SETTINGS_BY_KEY[key]
    blank = value is None or (isinstance(value, str) and not value.strip())
    if blank:
        if spec.required:
            add(cell, f"setting '{key}' is blank", code="FO-V21", hint=f"fill it in: {spec.doc}")
            return None, False
        return None, True
    if spec.kind is SettingKind.TEXT:
        return str(value).strip(), True
    if spec.kind is SettingKind.UNIT:
        text = str(value).strip().lower()
        for unit in MoneyUnit:
            if unit.value.lower() == text:
                return unit, True
        add(cell, "money_unit must be one of £, £k, £m", found=repr(value), code="FO-V12",
            hint="pick a value from the drop-down")
        return None, False
    parsed, problem = parse_value(value, _SETTING_KINDS[spec.kind], MoneyUnit.POUNDS)
    if problem is not None:
        add(cell, f"{key}: {problem.message}", found=problem.found, hint=problem.hint,
            code=problem.code)
        return None, False
    return parsed, True


def _keep(found: tuple[Issue, ...], read: dict[str, SheetTable], missing_tables: set[str],
          flagged_settings: set[str], setting_cells: dict[str, str]) -> list[Issue]:
    """The problem's own issues, located on the Settings sheet where needed, minus repeats."""
    out = []
    for issue in found:
        if issue.table in missing_tables:
            continue
        if issue.table == "settings":
            if issue.column in flagged_settings:
                continue
            cell = setting_cells.get(issue.column, "")
            out.append(replace(issue, sheet=SETTINGS_SHEET, cell=cell))
            continue
        table = read.get(issue.table)
        if table is not None and (issue.column in table.missing or issue.cell in table.flagged):
            continue
        out.append(issue)
    return out
