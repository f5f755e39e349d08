"""The list every check adds its issues to, so that all are reported together."""

from __future__ import annotations

from typing import Any

from fundopt.errors import Issue, Severity


def _shown(found: Any) -> str:
    """How an offending value reads in a message: text quoted, so blanks and spaces show."""
    if found is None:
        return ""
    return repr(found) if isinstance(found, str) else str(found)


class Checker:
    """Collects issues in the order the checks find them (the order a user reads them)."""

    def __init__(self) -> None:
        self.issues: list[Issue] = []

    def add(
        self,
        table: str,
        row: int | None,
        column: str,
        message: str,
        *,
        found: Any = None,
        hint: str = "",
        code: str = "FO-V00",
        severity: Severity = Severity.ERROR,
    ) -> None:
        self.issues.append(
            Issue(
                message=message,
                table=table,
                row=row,
                column=column,
                found=_shown(found),
                hint=hint,
                code=code,
                severity=severity,
            )
        )
