"""The results workbook's Summary: the page a minister reads.

From the top: the plan's name and what it covers; a red banner for anything a reader
must know first (a RELAXED plan, failed checks, indicative years); the plan at a glance;
funding per year by kind of recipient with its change on the year before, and a chart of
it (from zero, below the table); what was optimised, in words and pounds of value; what
bound, in words; winners and losers against today's method (only material changes); and
what each other sheet holds. The words come from :mod:`fundopt.reports.summary`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd
from openpyxl.worksheet.worksheet import Worksheet

from fundopt.explain.todays_method import COLUMNS
from fundopt.io.render import TOP, Context
from fundopt.io.sheet_spec import Format
from fundopt.io.summary_page import Page
from fundopt.io.winners import SHEET, TODAYS_METHOD_IS, why_sentence
from fundopt.plan import Plan
from fundopt.reports import summary as words
from fundopt.reports.summary import KIND_WORDS, Materiality

T, M, C, R, PRICE = Format.TEXT, Format.MONEY, Format.CHANGE, Format.CHANGE_RATE, Format.PRICE


def write_summary(ws: Worksheet, plan: Plan, ctx: Context, contents: Sequence[tuple[str, str]],
                  version: str) -> None:
    """Fill ``ws``; ``contents`` lists the workbook's other sheets (title, what it holds)."""
    p = plan.problem
    page = Page(ws, ctx.unit, span=max(8, 5 + p.recipients["kind"].nunique()))
    horizon = p.horizon
    page.title(f"{p.settings.name}: funding plan, {words.years_words(horizon)}")
    made = dt.datetime.now(dt.UTC).strftime("%d %B %Y").lstrip("0")
    source = f"'{Path(p.origin.path).name}'" if p.origin.path else "a problem made in Python"
    page.sentence(f"Made by fundopt {version} on {made} from {source}. "
                  f"Money in {ctx.unit.value}; value (what the plan maximises) in "
                  f"{ctx.unit.value} of value.", italic=True)
    for text in words.warnings(plan):
        page.banner(text)
    _at_a_glance(page, plan)
    _per_year(page, plan)
    _certainty(page, plan)
    _optimised(page, plan)
    _bound(page, plan, ctx)
    _against_todays_method(page, plan, ctx)
    _contents(page, contents)
    page.finish()


def _at_a_glance(page: Page, plan: Plan) -> None:
    p = plan.problem
    page.heading("The plan at a glance")
    relaxed = plan.status.value == "relaxed"
    status = ("RELAXED: the rules could not all hold, so the cheapest promises were broken "
              "(see Breaches)" if relaxed else "Optimal: the best plan that keeps every rule")
    n, failed = len(plan.checks), int((~plan.checks["passed"].astype(bool)).sum())
    check = (f"Passed: all {n:,} checks of every rule on the whole-pound plan" if not failed
             else f"FAILED: {failed:,} of {n:,} checks (see Checks)")
    horizon, indicative = p.horizon, p.indicative_years
    plural = "" if len(horizon) == 1 else "s"
    years = (f"{words.years_words(horizon)} ({len(horizon)} year{plural}), from a "
             f"{p.baseline_year} baseline")
    if indicative:
        years += f"; {words.plain_list(list(indicative))} indicative"
    kinds = p.recipients["kind"].value_counts()
    who = words.plain_list([f"{int(kinds[k])} {KIND_WORDS.get(str(k), str(k))}"
                            for k in [*KIND_WORDS, *sorted(set(kinds.index) - set(KIND_WORDS))]
                            if k in kinds.index])
    total = float(plan.allocations["amount"].sum())
    page.facts([
        ("Status", status, T, not relaxed),
        ("Independent check", check, T, plan.passed),
        ("Years planned", years, T, None),
        ("Recipients", who, T, None),
        (f"Allocated over the plan ({page.unit.value})", total, M, None),
        (f"Value of the plan ({page.unit.value} of value)", float(plan.objective), M, None),
    ])


def _per_year(page: Page, plan: Plan) -> None:
    table = words.totals_by_year(plan)
    kinds = [c for c in table.columns if c not in ("year", "status", "total", "change",
                                                     "change_rate")]
    u = page.unit.value
    page.heading(f"Funding per year ({u}): allocation by kind of recipient")
    header = ["Year", "Status", *(f"{KIND_WORDS.get(k, k).capitalize()} ({u})" for k in kinds),
              f"Total ({u})", f"Change on the year before ({u})", "Change (%)"]
    rows = [[r["year"], r["status"], *(r[k] for k in kinds), r["total"], r["change"],
             r["change_rate"]] for r in table.to_dict("records")]
    top, last = page.table(header, rows, [T, T, *(M for _ in kinds), M, C, R])
    page.chart(f"Allocation by kind of recipient ({u})", top, last, 3, 2 + len(kinds))


def _certainty(page: Page, plan: Plan) -> None:
    """How much of the plan is confirmed, how far the next re-plan may move the rest, and
    (for a re-plan) what changed against the previous plan."""
    from fundopt.reports.certainty import certainty_by_kind, certainty_sentence, change_lines

    page.heading("What recipients can rely on")
    page.sentence(certainty_sentence(plan))
    u = page.unit.value
    table = certainty_by_kind(plan)
    rows = [[KIND_WORDS.get(str(r["kind"]), "all recipients").capitalize(), r["confirmed"],
             r["indicative"], r["confirmed_share"], r["may_move"]]
            for r in table.to_dict("records")]
    page.table(["Recipients", f"Confirmed ({u})", f"Indicative ({u})", "Confirmed (%)",
                f"Next re-plan may move ({u})"], rows, [T, M, M, Format.PERCENT, M],
               spans=[page.span - 4, 1, 1, 1, 1])
    lines = [line.split(None, 1)[1] if line.startswith("changes") else line.strip()
             for line in change_lines(plan)]
    if lines:
        page.sentence("Against the previous plan: " + "; ".join(
            line.removeprefix("against the previous plan: ") for line in lines)
            + " (see Changes).")


def _optimised(page: Page, plan: Plan) -> None:
    page.heading("What was optimised")
    page.sentence("fundopt makes the value of the funding as large as the rules allow: each "
                  "pound counts at its activity's value per pound (sheet Value tranches), less "
                  "penalties that keep each recipient near its needs-based share and its "
                  "funding steady from year to year, and less the penalty of any negotiable "
                  "rule it breaks.")
    terms = words.objective_in_words(plan)
    u = page.unit.value
    page.table(["What", f"{u} of value"], terms.values.tolist(), [T, M],
               spans=[page.span - 2, 2])
    tiers = getattr(plan, "tiers", None)
    if isinstance(tiers, pd.DataFrame) and len(tiers):
        _tiers(page, tiers)


def _tiers(page: Page, tiers: pd.DataFrame) -> None:
    """Each priority tier in words, its best, what the plan achieves and the give."""
    u = page.unit.value
    page.space()
    page.sentence("That is priority tier 1. The plan was then optimised tier by tier: each "
                  "tier is made as good as it can be among the plans the tiers before it "
                  "find best (or, for a tier given a give on sheet Priorities, within that "
                  "give of its best), and whole pounds may cost a tier up to what it may "
                  "give up; the last, stability, chooses the smoothest plan among the best "
                  f"ones (see Tiers). Amounts in {u} of each tier's own measure:")
    rows = [[int(r["tier"]), f"{str(r['measure']).capitalize()} ({r['sense']})",
             float(r["optimum"]), float(r["achieved"]),
             None if pd.isna(r["give_allowed"]) else float(r["give_allowed"])]
            for r in tiers.to_dict("records")]
    page.table(["Tier", "What", "Best", "This plan", "May give up"], rows, [T, T, M, M, M],
               spans=[1, page.span - 4, 1, 1, 1])


def _bound(page: Page, plan: Plan, ctx: Context) -> None:
    page.heading("What bound")
    counts = words.binding_counts(plan)
    if not len(counts):
        page.sentence("No rule is met exactly: nothing holds the plan back but the money.")
        return
    listed = words.plain_list([f"{n:,} {what}" for what, n in counts.values.tolist()])
    page.sentence(f"The plan meets {len(plan.binding):,} rules exactly: {listed}. The ones "
                  "worth most to loosen, with their shadow price (the value one more pound of "
                  "room on the rule would add, in £ of value per £):")
    names = ctx.names or words.Names(plan.problem)
    top = words.top_rules(plan, names)
    if not len(top):
        page.sentence("None of them holds the plan back: every shadow price is zero.")
        return
    page.table(["Rule", "Binds in", "Shadow price"], top.values.tolist(), [T, T, PRICE],
               spans=[page.span - 3, 2, 1])


def _against_todays_method(page: Page, plan: Plan, ctx: Context) -> None:
    frame = getattr(plan, "against_todays_method", None)
    if not isinstance(frame, pd.DataFrame) or not len(frame):
        return
    page.heading("Against today's method")
    materiality = Materiality()
    names = ctx.names.recipient if ctx.names is not None else {}
    kinds = dict(zip(plan.problem.recipients["recipient"], plan.problem.recipients["kind"],
                     strict=True))
    gains, losses = _largest_by_kind(frame, names, kinds, materiality)
    if not len(gains) and not len(losses):
        page.sentence(words.no_material_change(materiality))
        return
    over = words.years_words(plan.problem.horizon)
    page.sentence(f"Today's method {TODAYS_METHOD_IS}. Below: the {LARGEST} largest gains and "
                  f"losses over {over} among forces and among the other recipients, counting "
                  f"only changes of {materiality.describe()}; every recipient and year is on "
                  f"the {SHEET} sheet.")
    u = page.unit.value
    for label, table in (("Largest gains", gains), ("Largest losses", losses)):
        if not len(table):
            page.sentence(f"{label}: none.")
            continue
        rows = [[r["name"], KIND_NAMES.get(kinds.get(r["recipient"], ""), ""), r["optimised"],
                 r["todays_method"], r["difference"], r["difference_rate"]]
                for r in table.to_dict("records")]
        page.table([label, "Kind", f"This plan ({u})", f"Today's method ({u})",
                    f"Difference ({u})", "Difference (%)"], rows, [T, T, M, M, C, R],
                   spans=[page.span - 5, 1, 1, 1, 1, 1])
        page.space()
    _why(page, plan, frame, pd.concat([gains, losses], ignore_index=True))


#: A recipient kind in the singular, for a table's Kind column.
KIND_NAMES = {"force": "force", "regional_unit": "regional unit",
              "national_programme": "national programme"}
#: How many of each group (forces; other recipients) the Summary names on each side.
LARGEST = 3


def _largest_by_kind(frame: pd.DataFrame, names: Mapping[str, str], kinds: Mapping[str, str],
                     materiality: Materiality) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The material gains and losses over the plan: the largest forces, then the largest
    other recipients (units and programmes are small beside forces, so they would never
    make a list of all kinds)."""
    is_force = frame["recipient"].map(lambda r: kinds.get(r) == "force")
    parts = [words.winners_and_losers(part, names, materiality, largest=LARGEST)
             for part in (frame.loc[is_force], frame.loc[~is_force]) if len(part)]
    gains = pd.concat([g for g, _ in parts], ignore_index=True) if parts else pd.DataFrame()
    losses = pd.concat([lo for _, lo in parts], ignore_index=True) if parts else pd.DataFrame()
    return gains, losses


def _why(page: Page, plan: Plan, frame: pd.DataFrame, named: pd.DataFrame) -> None:
    """Why each named recipient gains or loses: its needs target, the limits that bind."""
    if not set(COLUMNS) <= set(frame.columns):
        return  # not a comparison made by fundopt (a table given by hand): no reasons
    page.sentence("Why each moves:", italic=True)
    page.facts([(str(r["name"]), why_sentence(plan, str(r["recipient"]), frame,
                                               float(r["difference"])), T, None)
                for r in named.to_dict("records")])


def _contents(page: Page, contents: Sequence[tuple[str, str]]) -> None:
    page.heading("In this workbook")
    start = page.row
    page.facts([(title, what, T, None) for title, what in contents])
    for i, (title, _) in enumerate(contents):
        cell = page.ws.cell(row=start + i, column=1)
        cell.hyperlink = f"#'{title}'!A1"
        cell.style = "Hyperlink"
        cell.alignment = TOP  # the style resets it: the link stays beside its sentence's top


__all__ = ["write_summary"]
