"""Winners and losers against today's method, and where the input's figures came from,
for the results workbooks (as declared sheets, :mod:`fundopt.io.sheet_spec`).

- :data:`WINNERS_COLUMNS` and :func:`winners_table`: the *Winners and losers* sheet of
  ``fundopt solve`` (per recipient and year, £ and %, against today's method);
- :func:`why`: why a recipient gains or loses, in a sentence (its needs target, the limits
  that bind on it), for the Summary; :func:`summary_table` the largest of each kind with it;
- :func:`sources_table`: the input workbook's *Sources* sheet, carried into the results so
  a reader sees where every figure came from;
- :func:`compare_spec`: the same comparison per scenario, for ``fundopt compare``.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import pandas as pd

from fundopt.explain.todays_method import COLUMNS, largest
from fundopt.io.sheet_spec import Col, Format, SheetSpec
from fundopt.problem.validation import is_blank
from fundopt.reports.summary import years_words

if TYPE_CHECKING:  # a plan is read, not made, here
    from fundopt.plan import Plan

SHEET = "Winners and losers"
SOURCES = "Sources"
LIMIT_WORDS = {"rise_limit": "its rise limit", "cliff_edge": "its cliff-edge limit",
               "floor": "its floor", "cap": "its cap", "local_share": "its PCC's local share",
               "national_share": "its national ring-fence", "glide_path": "its glide path",
               "line_limit": "a hard limit on one of its lines",
               "stream_limit": "a hard limit on its money from a stream"}


def _money(pounds: float) -> str:
    sign = "+" if pounds > 0 else "-" if pounds < 0 else ""
    return f"{sign}£{abs(pounds) / 1e6:,.1f}m"


def _horizon_words(plan: Plan) -> str:
    return years_words(plan.problem.horizon)


#: What today's method does, for every sheet and sentence that compares with it.
TODAYS_METHOD_IS = ("continues each stream's baseline shares at the stream's change (the "
                    "uniform floor of the police settlement)")
TODAYS_METHOD = ("today's method (each stream's baseline shares continued at the stream's "
                 "change, the uniform floor of the police settlement)")

#: The columns of a winners-and-losers table, with their display names and formats.
WINNERS_COLUMNS: tuple[Col, ...] = (
    Col("recipient", "Recipient"), Col("name", "Name"), Col("kind", "Kind", in_words=True),
    Col("year", "Year"), Col("year_status", "Year status"),
    Col("optimised", "This plan", Format.MONEY),
    Col("todays_method", "Today's method", Format.MONEY),
    Col("difference", "Difference", Format.CHANGE),
    Col("difference_rate", "Difference", Format.CHANGE_RATE))

WINNERS_DESCRIPTION = (
    f"Each recipient's allocation per year in this plan and under {TODAYS_METHOD}, largest "
    "gain first within each year. Difference: this plan less today's method (positive: a "
    "winner). Indicative years are planning figures, not settled money.")


def winners_table(table: pd.DataFrame) -> pd.DataFrame:
    """The winners-and-losers table, largest gain first within each year."""
    if not len(table):
        return table
    return table.sort_values(["year", "difference", "recipient"],
                             ascending=[True, False, True]).reset_index(drop=True)


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


def why_sentence(plan: Plan, recipient: str, table: pd.DataFrame, difference: float) -> str:
    """:func:`why` as a sentence of its own: capitalised, with a full stop."""
    text = why(plan, recipient, table, difference)
    return text[:1].upper() + text[1:] + "."


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


#: The *Sources* sheet's columns, with their display names.
SOURCE_COLUMNS: tuple[Col, ...] = (
    Col("category", "Category"), Col("item", "Item", wrap=True, width=30), Col("year", "Year"),
    Col("value", "Value"), Col("status", "Status"),
    Col("source", "Source", wrap=True, width=40),
    Col("locator", "Where in it", wrap=True, width=22),
    Col("note", "Note", wrap=True, width=60), Col("url", "Address", wrap=True, width=40))
#: The Sources sheet prints its columns up to the note; the addresses (links in the
#: workbook) would halve the printed text's size.
SOURCE_PRINT_COLUMNS = 8
#: Rows of the Sources sheet printed (the settlement's figures come first).
SOURCE_PRINT_ROWS = 100


def sources_table(plan: Plan) -> pd.DataFrame | None:
    """The *Sources* sheet of the workbook the problem was read from, as it was read (None
    when it has none), each value written with its unit (``4.022%``, ``£18,400.0m``)."""
    rows = plan.problem.origin.sources
    if len(rows) < 2:
        return None
    header = [str(h) if h is not None else "" for h in rows[0]]
    keep = [j for j, h in enumerate(header) if h]
    frame = pd.DataFrame([[row[j] if j < len(row) else None for j in keep] for row in rows[1:]],
                         columns=[header[j] for j in keep], dtype=object)
    if "value" in frame.columns:
        units = frame["unit"] if "unit" in frame.columns else pd.Series("", index=frame.index)
        frame["value"] = pd.Series([_with_unit(v, u) for v, u in
                                    zip(frame["value"], units, strict=True)],
                                   index=frame.index, dtype=object)
        frame = frame.drop(columns=["unit"], errors="ignore")
    return frame


def _with_unit(value: object, unit: object) -> object:
    """A source's figure as people write it: a rate as a percentage, pounds in £m (or £ when
    small), anything else with its unit after it."""
    if is_blank(value) or not isinstance(value, int | float):
        return value
    v, u = float(value), "" if is_blank(unit) else str(unit).strip()
    if u == "rate":
        return f"{v * 100:.4f}".rstrip("0").rstrip(".") + "%"
    if u.startswith("£"):
        rest = u[1:].strip()
        amount = f"£{v / 1e6:,.1f}m" if abs(v) >= 1e6 else f"£{v:,.2f}".removesuffix(".00")
        return f"{amount} {rest}".strip()
    return f"{v:,.4f}".rstrip("0").rstrip(".") + (f" {u}" if u else "")


SOURCES_DESCRIPTION = ("Where every figure of the input came from, copied from the input "
                       "workbook's Sources sheet: the document, where in it, and its address "
                       "(the last column, not printed).")


#: A comparison's winners and losers print their first rows (the base's first year): every
#: scenario's every year would run to dozens of pages.
COMPARE_PRINT_ROWS = 100


def compare_spec(tables: dict[str, pd.DataFrame]) -> SheetSpec:
    """Winners and losers per scenario, one block of rows per scenario, as a sheet of a
    comparison workbook."""
    parts = [winners_table(t).assign(scenario=name) for name, t in tables.items() if len(t)]
    cols = ["scenario", *COLUMNS]
    frame = pd.concat(parts, ignore_index=True)[cols] if parts else pd.DataFrame(columns=cols)
    return SheetSpec(
        SHEET, lambda _result: frame,
        f"Each scenario's plan against {TODAYS_METHOD}, on that scenario's problem. "
        "Difference: the scenario's plan less today's method (positive: a winner).",
        (Col("scenario", "Scenario"), *WINNERS_COLUMNS), freeze_columns=3,
        print_rows=COMPARE_PRINT_ROWS)


__all__ = [
    "COMPARE_PRINT_ROWS",
    "SHEET",
    "SOURCES",
    "SOURCES_DESCRIPTION",
    "SOURCE_COLUMNS",
    "SOURCE_PRINT_COLUMNS",
    "SOURCE_PRINT_ROWS",
    "TODAYS_METHOD",
    "TODAYS_METHOD_IS",
    "WINNERS_COLUMNS",
    "WINNERS_DESCRIPTION",
    "compare_spec",
    "indicative_note",
    "sources_table",
    "summary_table",
    "why",
    "why_sentence",
    "winners_table",
]
