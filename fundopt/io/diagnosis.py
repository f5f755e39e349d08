"""Write why the rules cannot all hold to a small Diagnosis workbook.

Two sheets: *Diagnosis* (the explanation as text, one line a row) and *Rules* (one row per
rule per conflict: sheet and cell where it is stated, the shortfall in pounds and what to
change). Written atomically, never over the input workbook.
"""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from fundopt.errors import InfeasibleError
from fundopt.explain.diagnosis import Diagnosis
from fundopt.io.atomic import write_atomically
from fundopt.io.render import print_setup
from fundopt.io.xlsx import fit_columns, set_value, style_header, write_frame

POUNDS_FORMAT = "£#,##0.00"


def write_diagnosis(error: InfeasibleError | Diagnosis, path: str | Path, *,
                    overwrite: bool = False, input_path: str | Path | None = None) -> Path:
    """Write the diagnosis of ``error`` (or a
    :class:`~fundopt.explain.diagnosis.Diagnosis`) to ``path``.

    An error without a diagnosis still gets its message written. Refuses to replace an
    existing file unless ``overwrite=True``, and never writes over ``input_path``.
    """
    if isinstance(error, Diagnosis):
        diagnosis: Diagnosis | None = error
        message = error.text
    else:
        found = error.diagnosis
        diagnosis = found if isinstance(found, Diagnosis) else None
        message = error.message
    wb = Workbook()
    text = wb.active
    assert text is not None
    text.title = "Diagnosis"
    set_value(text.cell(row=1, column=1), "Why the rules cannot all hold")
    style_header(text, 1, 1, 1)
    for i, line in enumerate(message.splitlines(), start=2):
        set_value(text.cell(row=i, column=1), line)
    text.column_dimensions["A"].width = 140
    if diagnosis is not None:
        rules = wb.create_sheet("Rules")
        frame = diagnosis.to_frame()
        last = write_frame(rules, frame, formats={"shortfall_pounds": POUNDS_FORMAT})
        fit_columns(rules)
        rules.freeze_panes = "A2"
        end = get_column_letter(max(1, len(frame.columns)))
        rules.auto_filter.ref = f"A1:{end}{max(last, 2)}"
        print_setup(rules, f"A1:{end}{max(last, 2)}", title_rows="1:1")
    print_setup(text, f"A1:A{text.max_row}")
    protect = [input_path] if input_path else []
    return write_atomically(path, wb.save, overwrite=overwrite, protect=protect)
