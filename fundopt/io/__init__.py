"""Excel input and output: the only part of fundopt that imports openpyxl.

- :func:`read_workbook`: an input workbook to a validated :class:`~fundopt.FundingProblem`;
- :func:`write_workbook`: a :class:`~fundopt.Plan` to a new results workbook;
- :func:`write_problem`: a problem to an input workbook (the template format);
- :func:`write_template`: a fresh template with one example row per sheet.
"""

from fundopt.io.read import read_workbook
from fundopt.io.safety import SafetyLimits
from fundopt.io.template import write_template
from fundopt.io.write import write_problem, write_workbook
from fundopt.io.xlsx import ExtraSheet

__all__ = [
    "ExtraSheet",
    "SafetyLimits",
    "read_workbook",
    "write_problem",
    "write_template",
    "write_workbook",
]
