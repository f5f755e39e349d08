"""The errors fundopt raises, and one place for their exit codes.

Every error a user can cause is a :class:`FundoptError`. The command line prints its
message (no traceback) and exits with :attr:`FundoptError.exit_code`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum, StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd


class ExitCode(IntEnum):
    """Exit codes of the ``fundopt`` command (documented in docs/errors.md)."""

    OK = 0
    INTERNAL = 1
    USAGE = 2
    INPUT = 3
    INFEASIBLE = 4
    SOLVER = 5
    OUTPUT = 6
    SECURITY = 7


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Issue:
    """One problem found in the input.

    ``table``/``row``/``column`` locate it in a :class:`~fundopt.FundingProblem` table
    (``row`` is the 0-based position in the table as given). The Excel reader fills
    ``sheet`` and ``cell`` (A1 style) so the message points at the workbook.
    """

    message: str
    table: str = ""
    row: int | None = None
    column: str = ""
    found: str = ""
    hint: str = ""
    code: str = "FO-V00"
    severity: Severity = Severity.ERROR
    sheet: str = ""
    cell: str = ""

    @property
    def location(self) -> str:
        if self.sheet:
            quoted = "'" + self.sheet.replace("'", "''") + "'"
            return f"{quoted}!{self.cell}" if self.cell else quoted
        if self.table:
            where = f"table '{self.table}'"
            if self.row is not None:
                where += f" row {self.row}"
            if self.column:
                where += f" column '{self.column}'"
            return where
        return ""

    def __str__(self) -> str:
        text = f"{self.location}: {self.message}" if self.location else self.message
        if self.found:
            text += f" (found {self.found})"
        if self.hint:
            text += f"; {self.hint}"
        return text


class FundoptError(Exception):
    """Base class of every error fundopt raises on purpose."""

    exit_code: ExitCode = ExitCode.INTERNAL
    code: str = "FO-000"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code

    def __str__(self) -> str:
        return self.message


class InputError(FundoptError):
    """The input is wrong. Carries every problem found, not just the first."""

    exit_code = ExitCode.INPUT
    code = "FO-V"

    def __init__(self, issues: list[Issue] | tuple[Issue, ...], *, source: str = "") -> None:
        self.issues: tuple[Issue, ...] = tuple(issues)
        self.source = source
        errors = [i for i in self.issues if i.severity is Severity.ERROR]
        head = f"{len(errors)} problem{'s' if len(errors) != 1 else ''} in the input"
        if source:
            head += f" '{source}'"
        lines = [head + ":"] + [f"  - {i}" for i in errors]
        super().__init__("\n".join(lines))

    def __reduce__(self) -> tuple[Any, ...]:  # made again from its issues (process pools)
        return _input_error, (type(self), self.issues, self.source)

    def to_frame(self) -> pd.DataFrame:
        """The problems as a table: one row each, with sheet, cell, message, found, hint."""
        import pandas as pd

        return pd.DataFrame(
            [
                {
                    "code": i.code,
                    "severity": i.severity.value,
                    "sheet": i.sheet,
                    "cell": i.cell,
                    "table": i.table,
                    "row": i.row,
                    "column": i.column,
                    "message": i.message,
                    "found": i.found,
                    "hint": i.hint,
                }
                for i in self.issues
            ],
            columns=[
                "code",
                "severity",
                "sheet",
                "cell",
                "table",
                "row",
                "column",
                "message",
                "found",
                "hint",
            ],
        )


class SecurityError(InputError):
    """The input file was refused for safety (zip bomb, huge merged range, no defusedxml)."""

    exit_code = ExitCode.SECURITY
    code = "FO-X"


class InfeasibleError(FundoptError):
    """The rules cannot all hold. ``diagnosis`` explains why, when it could be found."""

    exit_code = ExitCode.INFEASIBLE
    code = "FO-L01"

    def __init__(self, message: str, *, diagnosis: object | None = None) -> None:
        super().__init__(message)
        self.diagnosis = diagnosis


class UnboundedError(FundoptError):
    exit_code = ExitCode.INFEASIBLE
    code = "FO-L03"


class SolverError(FundoptError):
    """HiGHS failed, stopped early, or is missing."""

    exit_code = ExitCode.SOLVER
    code = "FO-L12"


class VerificationError(SolverError):
    """The solver's plan failed fundopt's independent check; no plan is returned."""

    code = "FO-L13"


class UsageError(FundoptError, TypeError):
    """fundopt was called wrongly: an argument of the wrong kind (``solve(None)``, a path
    where a problem belongs, a plan of another problem). The command line never causes it;
    in Python it is also a ``TypeError``."""

    exit_code = ExitCode.USAGE
    code = "FO-U02"


class OwnRuleError(FundoptError):
    """An analyst's own rule (``solve(problem, extra_rules=...)``) cannot be used as
    written: not linear, a range, on something other than allocations, or it changed
    fundopt's own model. The message names the rule."""

    exit_code = ExitCode.USAGE
    code = "FO-Y01"


class OutputError(FundoptError):
    """The output could not be written; nothing partial was left behind."""

    exit_code = ExitCode.OUTPUT
    code = "FO-O"


def expect(value: object, kind: type | tuple[type, ...], what: str, hint: str = "") -> None:
    """Raise :class:`UsageError` unless ``value`` is a ``kind``: ``what`` names the
    argument, ``hint`` says what to pass instead."""
    if isinstance(value, kind):
        return
    names = " or ".join(k.__name__ for k in (kind if isinstance(kind, tuple) else (kind,)))
    found = "None" if value is None else f"a {type(value).__name__} ({value!r:.60})"
    raise UsageError(f"{what} must be a {names}, not {found}" + (f"; {hint}" if hint else ""))


def _input_error(cls: type[InputError], issues: tuple[Issue, ...], source: str) -> InputError:
    return cls(issues, source=source)

