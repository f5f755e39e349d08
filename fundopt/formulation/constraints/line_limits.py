"""Which limit applies to each line and stream, and what the baseline says of them.

Sheet *Line and stream limits*: for a level (line or stream), the row naming both the
recipient and the activity (or stream) applies; else the one naming the activity (or
stream) alone; else the recipient alone; else the blank-blank row of that level; else the
defaults. A blank rate takes its default: the fall rate is the recipient's cliff-edge fall
rate (its own row of *Cliff-edge limits*, else the default row), or 5% without one; the
rise rate is 10%. A blank ``hard`` is FALSE: the limit then shapes the stability goal
(change beyond it costs ``BEYOND_LIMIT_WEIGHT`` a pound) instead of binding.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fundopt.formulation.constraints.cliff_edges import cliff_edge_limits
from fundopt.formulation.index import ProblemIndex
from fundopt.problem.schema import Level
from fundopt.problem.validation import rows

DEFAULT_RISE_RATE = 0.10
DEFAULT_FALL_RATE = 0.05  # for a recipient without a cliff-edge limit

#: The column naming a level's item.
ITEM: dict[Level, str] = {Level.LINE: "activity", Level.STREAM: "stream"}


@dataclass(frozen=True)
class Limit:
    """How far an item (a line or a stream of a recipient) may change in a year."""

    fall_rate: float
    rise_rate: float
    hard: bool = False
    position: int | None = None  # its row of *Line and stream limits*, None for defaults
    #: the row of *Cliff-edge limits* whose fall rate it takes (a blank fall rate), if any
    fall_cell: int | None = None


class LimitTable:
    """The limits of one level, looked up by (recipient, item)."""

    def __init__(self, problem: Any, level: Level) -> None:
        item = ITEM[level]
        self.rows: dict[tuple[str, str], tuple[int, dict[str, Any]]] = {
            (r["recipient"] or "", r[item] or ""): (pos, r)
            for pos, r in rows(problem.line_limits) if r["level"] == level.value
        }
        cliffs = cliff_edge_limits(problem.cliff_edges)
        self.default_fall: dict[str, tuple[float, int | None]] = {"": (DEFAULT_FALL_RATE, None)}
        for key, (pos, row) in cliffs.items():
            self.default_fall[key] = (float(row["max_fall_rate"]), pos)

    def fall_default(self, recipient: str) -> tuple[float, int | None]:
        """The recipient's cliff-edge fall rate, else the default row's, else 5%; with the
        row of *Cliff-edge limits* it comes from (None for 5%)."""
        return self.default_fall.get(recipient, self.default_fall[""])

    def __call__(self, recipient: str, item: str) -> Limit:
        for key in ((recipient, item), ("", item), (recipient, ""), ("", "")):
            if key in self.rows:
                pos, row = self.rows[key]
                fall = row["max_fall_rate"]
                rise = row["max_rise_rate"]
                default, cell = self.fall_default(recipient)
                return Limit(
                    fall_rate=default if fall is None else float(fall),
                    rise_rate=DEFAULT_RISE_RATE if rise is None else float(rise),
                    hard=bool(row["hard"]),
                    position=pos,
                    fall_cell=cell if fall is None else None,
                )
        default, cell = self.fall_default(recipient)
        return Limit(default, DEFAULT_RISE_RATE, fall_cell=cell)


def baseline_by_item(index: ProblemIndex, level: Level) -> dict[str, dict[str, float]]:
    """recipient -> item -> baseline amount (£), for the recipients whose every baseline row
    names an item of this level (validation allows no mixing); an item without a row is
    absent (its baseline is 0)."""
    item = ITEM[level]
    out: dict[str, dict[str, float]] = {}
    stated: dict[str, bool] = {}
    for _, row in rows(index.problem.baselines):
        r = str(row["recipient"])
        stated[r] = stated.get(r, True) and row[item] is not None
        if row[item] is not None:
            mine = out.setdefault(r, {})
            mine[str(row[item])] = mine.get(str(row[item]), 0.0) + float(row["amount"])
    return {r: items for r, items in out.items() if stated[r]}
