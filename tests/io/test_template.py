"""The template: derived from the schema, shipped as models/template.xlsx, documented in
docs/template.md, and read back exactly as written."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import openpyxl
import pandas as pd
from xlsx_fixtures import template, untouched

from fundopt.io import read_workbook
from fundopt.io.layout import SETTINGS, choices_of, header_text
from fundopt.io.template import example_problem, template_markdown
from fundopt.problem import Settings
from fundopt.problem.schema import TABLES, MoneyUnit

REPO = Path(__file__).resolve().parents[2]


def test_settings_rows_are_the_settings_fields() -> None:
    assert [s.key for s in SETTINGS] == [f.name for f in fields(Settings)]


def test_every_table_is_a_sheet_with_its_headers(tmp_path: Path) -> None:
    wb = openpyxl.load_workbook(template(tmp_path))
    assert wb.sheetnames == ["Instructions", "Settings", *(t.sheet for t in TABLES)]
    for spec in TABLES:
        ws = wb[spec.sheet]
        assert [c.value for c in ws[1]] == [header_text(c, MoneyUnit.MILLIONS)
                                            for c in spec.columns]
        lists = {dv.formula1.strip('"') for dv in ws.data_validations.dataValidation}
        for col in spec.columns:
            if choices_of(col):
                assert ",".join(choices_of(col)) in lists
                assert len(",".join(choices_of(col))) <= 255  # Excel's limit for a list


def test_template_reads_back_as_the_example(tmp_path: Path) -> None:
    path = template(tmp_path)
    with untouched(path):
        problem = read_workbook(path)
    expected = example_problem()
    for name, table in expected.tables().items():
        pd.testing.assert_frame_equal(problem.tables()[name].reset_index(drop=True),
                                      table.reset_index(drop=True), obj=name)
    assert problem.settings == expected.settings
    assert problem.warnings == ()


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
