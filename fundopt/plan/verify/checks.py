"""The checks table: one row per rule instance, with its two sides in exact arithmetic."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from fundopt._support import money

#: A rule holds when it is kept to within a penny: rates such as 3.71% give products that
#: are not whole pence, so an exact comparison would fail plans that are right.
PENNY = Fraction(1, 100)
CHECK_COLUMNS = [
    "family",
    "rule",
    "year",
    "recipient",
    "lhs",
    "sense",
    "rhs",
    "slack",
    "soft",
    "passed",
    "detail",
]


def F(v: Any) -> Fraction:
    """``v`` exactly: a float's binary value, not the decimal it prints as."""
    return Fraction(v) if not isinstance(v, Fraction) else v


class Checks:
    """The rule checks in the order they are made."""

    def __init__(self) -> None:
        self.out: list[dict[str, Any]] = []

    def add(
        self,
        family: str,
        rule: str,
        lhs: Fraction,
        sense: str,
        rhs: Fraction,
        *,
        year: str = "",
        recipient: str = "",
        soft: bool = False,
        detail: str = "",
    ) -> None:
        slack = lhs - rhs if sense == ">=" else rhs - lhs if sense == "<=" else -abs(lhs - rhs)
        ok = slack >= -PENNY
        self.out.append(
            {
                "family": family,
                "rule": rule,
                "year": year,
                "recipient": recipient,
                "lhs": float(lhs),
                "sense": sense,
                "rhs": float(rhs),
                "slack": float(slack),
                "soft": soft,
                "passed": bool(ok or soft),
                "detail": detail if ok else f"{detail}: breached by {money(float(-slack))}",
            }
        )
