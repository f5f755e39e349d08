"""Winners and losers against today's method, for the results workbooks.

- :func:`winners_sheet`: the *Winners and losers* sheet of ``fundopt solve`` (per
  recipient and year, £ and %, against today's method);
- :func:`summary_table`: the lines the *Summary* adds: the largest winners and losers and
  why each moved (its needs target, the limits that bind on it);
- :func:`sources_sheet`: the input workbook's *Sources* sheet, carried into the results so
  a reader sees where every figure came from;
- :func:`compare_sheet`: the same comparison per scenario, for ``fundopt compare``.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
from openpyxl.styles import Alignment
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from fundopt.explain.todays_method import COLUMNS, largest
from fundopt.io.xlsx import ExtraSheet
from fundopt.problem.validation import is_blank

if TYPE_CHECKING:  # a plan is read, not made, here
    from fundopt.plan import Plan

SHEET = "Winners and losers"
SOURCES = "Sources"
LIMIT_WORDS = {"rise_limit": "its rise limit", "cliff_edge": "its cliff-edge limit",
               "floor": "its floor", "cap": "its cap", "local_share": "its PCC's local share",
               "national_share": "its national ring-fence", "glide_path": "its glide path"}


def _money(pounds: float) -> str:
    sign = "+" if pounds > 0 else "-" if pounds < 0 else ""
    return f"{sign}£{abs(pounds) / 1e6:,.1f}m"


def _horizon_words(plan: Plan) -> str:
    h = plan.problem.horizon
    return f"{h[0]} to {h[-1]}" if len(h) > 1 else h[0]


def winners_sheet(table: pd.DataFrame) -> ExtraSheet:
    """The winners-and-losers table, largest gain first within each year."""
    frame = table.sort_values(["year", "difference", "recipient"],
                              ascending=[True, False, True]).reset_index(drop=True)
    return ExtraSheet(
        frame[list(COLUMNS)], money_columns=("optimised", "todays_method", "difference"),
        share_columns=("difference_rate",),
        note="The optimised plan against today's method: each stream's baseline shares "
             "continued at the stream's change (the uniform floor of the police settlement). "
             "difference = optimised - today's method (positive: a winner). Indicative years "
             "are planning figures after the Spending Review, not settled money.")


def _need_gap(plan: Plan, recipient: str, table: pd.DataFrame) -> float | None:
    """How far today's method leaves ``recipient`` from its needs target in the last year,
    as a share of its allocation (positive: below need); None without a need weight."""
    rec = plan.problem.recipients.set_index("recipient")
    w = rec["need_weight"]
    kind = rec.loc[recipient, "kind"]
    if is_blank(w.get(recipient)):
        return None
    last = table.loc[table["year"] == plan.problem.horizon[-1]]
    peers = last.loc[(last["kind"] == kind) & last["recipient"].map(lambda r: not is_blank(w[r]))]
    total = float(peers["todays_method"].sum())
    weights = w[peers["recipient"]].astype(float)
    target = float(w[recipient]) / float(weights.sum()) * total
    mine = float(peers.loc[peers["recipient"] == recipient, "todays_method"].sum())
    return (target - mine) / mine if mine else None


#: The limits that hold back a loser's loss (a winner's gain is held by any of them).
HOLD_LOSS = ("floor", "cliff_edge", "glide_path")


def _limits(plan: Plan, recipient: str, families: tuple[str, ...] = tuple(LIMIT_WORDS)) -> str:
    b = plan.binding
    if not len(b) or "recipient" not in b.columns:
        return ""
    mine = b.loc[(b["recipient"] == recipient) & b["family"].isin(list(families))]
    parts = []
    for fam, grp in mine.groupby("family", sort=True):
        years = ", ".join(sorted(str(y) for y in grp["year"].dropna().unique()))
        parts.append(f"{LIMIT_WORDS[str(fam)]} binds in {years}")
    return "; ".join(parts)


def why(plan: Plan, recipient: str, table: pd.DataFrame, difference: float) -> str:
    """Why a recipient gains or loses against today's method, in a sentence."""
    gap = _need_gap(plan, recipient, table)
    limits = _limits(plan, recipient, tuple(LIMIT_WORDS) if difference > 0 else HOLD_LOSS)
    if gap is not None and abs(gap) >= 0.001:
        side = "below" if gap > 0 else "above"
        if difference > 0:
            text = f"today's method leaves it {abs(gap):.1%} {side} its needs target; it moves "
            text += ("towards it as fast as the rules allow (" + limits + ")" if limits
                     else "towards it")
            return text
        text = (f"today's method leaves it {abs(gap):.1%} {side} its needs target; it gives "
                "up some growth to those below theirs")
        return text + (f" (binding on it: {limits})" if limits else "")
    if limits:
        return f"held by the rules: {limits}"
    return "money moved by the plan's rules and values (shadow prices say which)"


def summary_table(plan: Plan, table: pd.DataFrame, n: int = 3) -> pd.DataFrame:
    """The largest winners and losers over the horizon (forces, then any kind), with why."""
    rows = []
    horizon = _horizon_words(plan)
    others = table.loc[table["kind"] != "force"]
    for label, part in (("force", table.loc[table["kind"] == "force"]),
                        ("unit or programme", others)):
        winners, losers = largest(part, n, kind=None)
        for side, frame in (("winner", winners), ("loser", losers)):
            for r in frame.to_dict("records"):
                if abs(float(r["difference"])) < 1_000:  # rounding, not a decision
                    continue
                rate = r["difference_rate"]
                rows.append({
                    "largest": f"{side} ({label})", "recipient": r["name"],
                    "difference": float(r["difference"]),
                    "difference_rate": None if rate is None or math.isnan(rate) else rate,
                    "why": f"{_money(r['difference'])} over {horizon}: "
                           + why(plan, str(r["recipient"]), table, float(r["difference"]))})
    return pd.DataFrame(rows, columns=["largest", "recipient", "difference",
                                       "difference_rate", "why"])


def indicative_note(plan: Plan) -> str:
    years = plan.problem.indicative_years
    if not years:
        return "every planned year is confirmed"
    return (f"{', '.join(years)} {'is' if len(years) == 1 else 'are'} indicative: planning "
            "figures, not settled money")


def sources_sheet(plan: Plan) -> ExtraSheet | None:
    """The *Sources* sheet of the workbook the problem was read from, if it has one."""
    path = plan.problem.origin.path
    if not path or not Path(path).is_file():
        return None
    try:
        frame = pd.read_excel(path, sheet_name=SOURCES, engine="openpyxl")
    except (ValueError, KeyError, OSError):
        return None
    return ExtraSheet(frame, note="Where every figure of the input came from (copied from "
                                  f"the input workbook's {SOURCES} sheet).")


#: Column widths (characters) the Sources sheet wraps its long text to, so it prints.
SOURCE_WIDTHS = {"item": 30, "source": 40, "locator": 22, "url": 40, "note": 60}


def wrap_columns(ws: Worksheet, widths: dict[str, int], header_row: int = 3) -> None:
    """Wrap the named columns' text at the given widths and size each row to its longest
    wrapped cell (spreadsheets do not size rows themselves), so a wide table prints."""
    header = {str(c.value): c.column for c in ws[header_row] if c.value is not None}
    columns = {header[name]: width for name, width in widths.items() if name in header}
    for col, width in columns.items():
        ws.column_dimensions[get_column_letter(col)].width = width
    for row in ws.iter_rows(min_row=header_row + 1):
        lines = 1
        for cell in row:
            if cell.column in columns and isinstance(cell.value, str):
                cell.alignment = Alignment(wrap_text=True, vertical="top")
                lines = max(lines, math.ceil(len(cell.value) / (columns[cell.column] - 4)))
            else:
                cell.alignment = Alignment(vertical="top")
        ws.row_dimensions[row[0].row].height = 12.5 * lines


def compare_sheet(tables: dict[str, pd.DataFrame]) -> ExtraSheet:
    """Winners and losers per scenario: one block of rows per scenario."""
    parts = [t.assign(scenario=name) for name, t in tables.items() if len(t)]
    cols = ["scenario", *COLUMNS]
    frame = pd.concat(parts, ignore_index=True)[cols] if parts else pd.DataFrame(columns=cols)
    return ExtraSheet(frame, money_columns=("optimised", "todays_method", "difference"),
                      share_columns=("difference_rate",),
                      note="Each scenario's plan against today's method on that scenario's "
                           "problem (difference = optimised - today's method).")


__all__ = [
    "SHEET",
    "SOURCES",
    "SOURCE_WIDTHS",
    "compare_sheet",
    "indicative_note",
    "sources_sheet",
    "summary_table",
    "why",
    "winners_sheet",
    "wrap_columns",
]
