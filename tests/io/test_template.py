"""The template: derived from the schema, shipped as models/template.xlsx, documented in
docs/template.md, and read back exactly as written."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import openpyxl
import pandas as pd
from openpyxl.utils import get_column_letter
from xlsx_fixtures import edited, template, untouched

from fundopt.io import read_workbook
from fundopt.io.examples import EXAMPLE_SCENARIOS, example_problem
from fundopt.io.layout import SETTINGS, choices_of, header_text
from fundopt.io.scenarios import SCENARIOS_SPEC, read_scenarios
from fundopt.io.template import template_markdown
from fundopt.problem import Settings
from fundopt.problem.schema import TABLES, TABLES_BY_NAME, ColumnKind, MoneyUnit

REPO = Path(__file__).resolve().parents[2]


def test_settings_rows_are_the_settings_fields() -> None:
    assert [s.key for s in SETTINGS] == [f.name for f in fields(Settings)]


def test_every_table_is_a_sheet_with_its_headers(tmp_path: Path) -> None:
    wb = openpyxl.load_workbook(template(tmp_path))
    assert wb.sheetnames == ["Instructions", "Settings", *(t.sheet for t in TABLES), "Scenarios"]
    for spec in (*TABLES, SCENARIOS_SPEC):
        ws = wb[spec.sheet]
        headers = [header_text(c, MoneyUnit.MILLIONS) for c in spec.columns]
        assert [c.value for c in ws[1]] == headers  # row 1, the Scenarios sheet's too
        lists = {dv.formula1.strip('"') for dv in ws.data_validations.dataValidation}
        for col, header in zip(spec.columns, headers, strict=True):
            if choices_of(col):
                assert ",".join(choices_of(col)) in lists
                assert len(",".join(choices_of(col))) <= 255  # Excel's limit for a list
            letter = get_column_letter(spec.columns.index(col) + 1)
            # readable: the header shows whole, and an id has room for a real id
            assert ws.column_dimensions[letter].width >= len(header) + 2
            if col.kind in (ColumnKind.ID, ColumnKind.REF):
                assert ws.column_dimensions[letter].width >= 24


def _drop_down(ws: object, letter: str) -> str | None:
    for dv in ws.data_validations.dataValidation:  # type: ignore[attr-defined]
        if any(str(rng).startswith(f"{letter}2:") for rng in dv.sqref.ranges):
            return str(dv.formula1)
    return None


def test_every_id_and_year_column_offers_the_ids_of_its_sheet(tmp_path: Path) -> None:
    wb = openpyxl.load_workbook(template(tmp_path))
    lists = {name: dn.attr_text for name, dn in wb.defined_names.items()}
    assert lists["fundopt_recipients"] == (
        "OFFSET('Recipients'!$A$2,0,0,MAX(1,COUNTA('Recipients'!$A:$A)-1),1)")
    assert lists["fundopt_years"] == "OFFSET('Years'!$A$2,0,0,MAX(1,COUNTA('Years'!$A:$A)-1),1)"
    checked = 0
    for spec in (*TABLES, SCENARIOS_SPEC):
        ws = wb[spec.sheet]
        for j, col in enumerate(spec.columns, start=1):
            wanted = (f"fundopt_{col.ref}" if col.kind is ColumnKind.REF else
                      "fundopt_years" if col.kind is ColumnKind.YEAR and spec.name != "years"
                      else None)
            if wanted is None:
                continue
            assert _drop_down(ws, get_column_letter(j)) == wanted, (spec.sheet, col.name)
            defined = lists[wanted]  # the list is the defining sheet's id column
            home = TABLES_BY_NAME[col.ref if col.kind is ColumnKind.REF else "years"]
            assert defined.startswith(f"OFFSET('{home.sheet}'!$A$2")
            checked += 1
    assert checked >= 30


def test_template_reads_back_as_the_example_with_a_warning_for_each_example_row(
        tmp_path: Path) -> None:
    path = template(tmp_path)
    with untouched(path):
        problem = read_workbook(path)
    expected = example_problem()
    for name, table in expected.tables().items():
        pd.testing.assert_frame_equal(problem.tables()[name].reset_index(drop=True),
                                      table.reset_index(drop=True), obj=name)
    assert problem.settings == expected.settings
    assert [(w.code, w.severity.value, w.sheet, w.cell) for w in problem.warnings] == [
        ("FO-S16", "warning", "Recipients", "A2"), ("FO-S16", "warning", "Activities", "A2"),
        ("FO-S16", "warning", "Streams", "A2")]
    assert "the template's example row is still here (recipient 'cumbria'" in str(
        problem.warnings[0])
    assert read_scenarios(path, problem) == EXAMPLE_SCENARIOS


def test_own_data_in_place_of_the_examples_reads_without_that_warning(tmp_path: Path) -> None:
    def rename(wb: openpyxl.Workbook) -> None:
        wb["Recipients"]["B2"] = "Cumbria"  # the user's own name for the force
        wb["Streams"]["B2"] = "SOC grant"

    problem = read_workbook(edited(tmp_path, rename))
    assert [w.sheet for w in problem.warnings] == ["Activities"]


def test_the_example_rows_read_as_written() -> None:
    # the warning looks for the example rows only where a row has an example row's values
    # as written (most workbooks have none): validation must keep those values as they are
    from fundopt.io.examples import _NAMED, EXAMPLE_ROWS, _as_written, _text

    example = example_problem()
    for name in _NAMED:
        rows = getattr(example, name).to_dict("records")
        assert len(rows) == len(EXAMPLE_ROWS[name])
        for row, written in zip(rows, EXAMPLE_ROWS[name], strict=True):
            assert {k: _text(row[k]) for k in written} == {k: _text(v) for k, v in
                                                            written.items()}
        assert _as_written(example, name)
    reference = read_workbook(REPO / "models" / "england_wales_soc.xlsx")
    assert "cumbria" in set(reference.recipients["recipient"])  # the id, not the row
    assert not any(_as_written(reference, name) for name in _NAMED)


def test_the_reference_model_has_no_example_rows() -> None:
    problem = read_workbook(REPO / "models" / "england_wales_soc.xlsx")
    assert not [w for w in problem.warnings if w.code == "FO-S16"]


def test_a_scenarios_sheet_with_its_header_in_row_3_still_reads(tmp_path: Path) -> None:
    # workbooks written before the header moved to row 1 had a note in A1 and the header in
    # row 3
    path = template(tmp_path)
    wb = openpyxl.load_workbook(path)
    ws = wb["Scenarios"]
    ws.insert_rows(1, amount=2)
    ws["A1"] = "What-if scenarios for 'fundopt compare': one row per override"
    wb.save(path)
    assert read_scenarios(path, read_workbook(path)) == EXAMPLE_SCENARIOS


def test_the_instructions_stand_on_their_own(tmp_path: Path) -> None:
    ws = openpyxl.load_workbook(template(tmp_path))["Instructions"]
    text = [str(c.value) for row in ws.iter_rows() for c in row if c.value is not None]
    assert not [t for t in text if "docs/" in t]  # a wheel install has no docs folder
    for spec in (*TABLES, SCENARIOS_SPEC):
        assert spec.sheet in text
        for col in spec.columns:  # every column is explained, in the workbook
            assert header_text(col, MoneyUnit.MILLIONS) in text
    assert any("fundopt validate THIS.xlsx" in t for t in text)


def _content(path: Path) -> dict[str, object]:
    wb = openpyxl.load_workbook(path)
    out: dict[str, object] = {}
    for ws in wb.worksheets:
        out[ws.title] = (
            [[c.value for c in row] for row in ws.iter_rows()],
            sorted((str(dv.sqref), dv.formula1) for dv in ws.data_validations.dataValidation),
            [(c.coordinate, c.number_format) for row in ws.iter_rows() for c in row],
        )
    return out


def test_shipped_template_is_current(tmp_path: Path) -> None:
    shipped = REPO / "models" / "template.xlsx"
    assert shipped.is_file(), "run: fundopt template models/template.xlsx"
    assert _content(shipped) == _content(template(tmp_path)), (
        "models/template.xlsx is out of date: fundopt template models/template.xlsx --overwrite")


def test_docs_are_in_sync() -> None:
    assert (REPO / "docs" / "template.md").read_text(encoding="utf-8") == template_markdown(), (
        "docs/template.md is out of date: python -c \"from fundopt.io.template import "
        "write_reference; write_reference('docs/template.md')\"")
