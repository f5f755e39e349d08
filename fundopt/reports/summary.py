"""A plan in words and small tables, for people: the headline totals per year, what was
optimised, what bound, who gains and loses against today's method, and what to be warned
of. pandas only: the results workbook (:mod:`fundopt.io.plan_sheets`), the command line and
notebooks all say the same things the same way.

Ids become names (``avon_and_somerset`` -> ``Avon and Somerset``) wherever a person reads
them. A change is *material* when it is at least £0.1m and at least 0.1% of what the
recipient would otherwise get (:class:`Materiality`): below that, nobody is named a winner
or a loser.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from fundopt._support import money
from fundopt.problem.schema import RecipientKind, Threat

if TYPE_CHECKING:
    from fundopt.plan import Plan
    from fundopt.problem import FundingProblem
    from fundopt.whatif.sweep import SweepResult

KIND_WORDS: Mapping[str, str] = {"force": "forces", "regional_unit": "regional units",
                                 "national_programme": "national programmes"}

#: Each objective term in words (terms added later read as their own name).
TERM_WORDS: Mapping[str, str] = {
    "value": "value of the funding (each pound at its activity's value per pound)",
    "need_penalty": "less: distance from each recipient's needs-based share",
    "volatility_penalty": "less: year-to-year change in recipients' total funding",
    "breach_penalty": "less: penalties for promises broken",
    "replan_change": "less: moves of indicative figures from the previous plan",
}

#: Each rule family in words, plural (for "what bound").
FAMILY_WORDS: Mapping[str, str] = {
    "envelope": "stream envelopes spent in full",
    "floor": "floors (the least a recipient may get)",
    "cap": "caps (the most a recipient may get)",
    "commitment": "multi-year commitments",
    "cliff_edge": "cliff-edge limits (the most a recipient's total may fall in a year)",
    "rise_limit": "rise limits (the most a recipient's total may rise in a year)",
    "glide_path": "glide paths to closure",
    "local_share": "PCC local-priority shares",
    "national_share": "national ring-fences",
    "requirement": "national requirements per threat",
    "share_target": "4P strand share targets",
    "line_limit": "hard line limits (the most a recipient's line may rise or fall in a year)",
    "stream_limit": "hard stream limits (the most a recipient's money from a stream may rise "
                    "or fall in a year)",
}

PRICE_FLOOR = 1e-9  # a shadow price below this is zero: the rule binds but holds nothing back


@dataclass(frozen=True)
class Materiality:
    """When a change in a recipient's money is worth naming: at least ``pounds`` and at
    least ``share`` of what the recipient would otherwise get."""

    pounds: float = 100_000.0
    share: float = 0.001

    def threshold(self, other: float) -> float:
        return max(self.pounds, self.share * abs(other))

    def describe(self) -> str:
        return f"at least {money(self.pounds)} and {self.share:.1%} of the recipient's funding"


class Names:
    """Ids to the names people read: recipients, streams and activities (from their
    sheets), threats and strands (their words)."""

    def __init__(self, problem: FundingProblem) -> None:
        self.recipient = _lookup(problem.recipients, "recipient")
        self.stream = _lookup(problem.streams, "stream")
        self.activity = _lookup(problem.activities, "activity")
        everything = {v: v.replace("_", " ") for v in (*(t.value for t in Threat),
                                                        *(k.value for k in RecipientKind))}
        for table in (self.activity, self.stream, self.recipient):
            everything.update(table)
        self._all = everything
        ids = sorted(everything, key=len, reverse=True)  # longest first: no partial match
        self._pattern = re.compile(r"\b(" + "|".join(map(re.escape, ids)) + r")\b") \
            if ids else None
        self._said: dict[str, str] = {}  # texts already put in words

    def of(self, column: str) -> Mapping[str, str]:
        """The names of the ids in a column called ``column`` (``{}`` if it holds none)."""
        key = column.removesuffix("_id")
        if key in ("recipient", "contributor"):
            return self.recipient
        return {"stream": self.stream, "activity": self.activity}.get(key, {})

    def in_text(self, text: str) -> str:
        """``text`` with every id it mentions replaced by its name."""
        if self._pattern is None or not isinstance(text, str):
            return text
        said = self._said.get(text)
        if said is None:
            said = self._said[text] = self._pattern.sub(lambda m: self._all[m.group(1)], text)
        return said


def _lookup(table: pd.DataFrame, key: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for ident, name in zip(table[key], table.get("name", table[key]), strict=True):
        text = name if isinstance(name, str) and name.strip() else ident
        out[str(ident)] = str(text)
    return out


# -- the headline ---------------------------------------------------------------------------
def totals_by_year(plan: Plan) -> pd.DataFrame:
    """Per year (baseline first): its status, the allocation per recipient kind and in all,
    and the change on the year before (pounds and rate)."""
    p = plan.problem
    t = plan.totals
    present = set(t["kind"])
    kinds = [k for k in KIND_WORDS if k in present] + sorted(present - set(KIND_WORDS))
    table = t.pivot_table(index="year", columns="kind", values="allocation", aggfunc="sum",
                          fill_value=0.0)
    years = [y for y in p.years["year"] if y in table.index]
    table = table.reindex(index=years, columns=kinds, fill_value=0.0)
    out = pd.DataFrame({"year": years, "status": [_year_status(p, y) for y in years]})
    for k in kinds:
        out[k] = table[k].to_numpy()
    out["total"] = table.sum(axis=1).to_numpy()
    previous = out["total"].shift(1)
    out["change"] = out["total"] - previous
    out["change_rate"] = out["change"] / previous
    return out


def _year_status(problem: FundingProblem, year: str) -> str:
    if year == problem.baseline_year:
        return "baseline"
    return "indicative" if year in problem.indicative_years else "confirmed"


def warnings(plan: Plan) -> list[str]:
    """What a reader must be told before anything else (an empty list for a clean plan)."""
    out = []
    if plan.status.value == "relaxed":
        n = len(plan.breaches)
        out.append(f"RELAXED PLAN: the rules could not all hold. {n} promise{_s(n)} "
                   f"{'was' if n == 1 else 'were'} broken at least cost (see the Breaches "
                   "sheet).")
    if not plan.passed:
        failed = int((~plan.checks["passed"].astype(bool)).sum())
        out.append(f"CHECKS FAILED: {failed} rule{_s(failed)} failed the independent re-check "
                   "(see the Checks sheet). Do not use this plan.")
    indicative = plan.problem.indicative_years
    if indicative:
        years = ", ".join(indicative)
        out.append(f"INDICATIVE: {len(indicative)} year{_s(len(indicative))} ({years}) "
                   f"{'is' if len(indicative) == 1 else 'are'} planned on indicative money, "
                   "not yet confirmed.")
    return out


def _s(n: int) -> str:
    return "" if n == 1 else "s"


# -- what was optimised ---------------------------------------------------------------------
def objective_in_words(plan: Plan) -> pd.DataFrame:
    """The objective's terms in words and pounds of value, then the net objective: priority
    tier 1, the policy (``plan.tiers`` says what the later tiers did)."""
    order = [t for t in TERM_WORDS if t in plan.objective_terms]
    order += sorted(set(plan.objective_terms) - set(order))
    rows = [(TERM_WORDS.get(t, t.replace("_", " ")), float(plan.objective_terms[t]))
            for t in order]
    rows.append(("the plan's objective (net value)", float(plan.objective)))
    return pd.DataFrame(rows, columns=["what", "value"])


def objective_sentence(plan: Plan) -> str:
    """One line: the objective with its unit and its terms, all in £m of value."""
    terms = dict(plan.objective_terms)
    parts = []
    value = terms.pop("value", None)
    if value is not None:
        parts.append(f"value of funding {millions(value)}")
    for name, amount in sorted(terms.items(), key=lambda kv: kv[1]):
        if amount:
            words = TERM_WORDS.get(name, name.replace("_", " ")).removeprefix("less: ")
            parts.append(f"less {millions(-amount)} for {words}")
    detail = f" ({'; '.join(parts)})" if parts else ""
    return f"{millions(plan.objective)} of value{detail}"


def years_words(years: Sequence[str]) -> str:
    """'2027-28 to 2030-31' (or '2026-27' for one year): the years a plan covers."""
    return f"{years[0]} to {years[-1]}" if len(years) > 1 else "".join(years[:1])


def millions(pounds: float) -> str:
    """£54,551.7m: pounds in millions to one decimal place (-£2.6m)."""
    return f"{'-' if pounds < 0 else ''}£{abs(pounds) / 1e6:,.1f}m"


# -- what bound ---------------------------------------------------------------------------
def binding_counts(plan: Plan) -> pd.DataFrame:
    """How many rules of each family the plan meets exactly, most first."""
    counts = plan.binding["family"].value_counts()
    rows = [(FAMILY_WORDS.get(str(f), str(f).replace("_", " ")), int(n))
            for f, n in counts.items()]
    return pd.DataFrame(rows, columns=["rules", "binding"])


#: Shadow prices this close (relative) are one price: which year's words a rule binding in
#: several years shows.
SAME_PRICE = 1e-6


def top_rules(plan: Plan, names: Names, largest: int = 8) -> pd.DataFrame:
    """The rules worth most to loosen, in words: one row per rule over its years (an
    envelope binding in five years is one row), highest shadow price first."""
    b = plan.binding
    b = b.loc[b["shadow_price"].abs() > PRICE_FLOOR]
    if not len(b):
        return pd.DataFrame(columns=["rule", "years", "shadow_price"])
    subject = b["rule"].astype(str).str.replace(r",?\d{4}-\d{2}\]$", "]", regex=True)
    rows = []
    for _, group in b.assign(subject=subject).groupby("subject", sort=False):
        # the dearest year's words; of years equally dear (an envelope worth £1 a pound in
        # every year), the first, not whichever a last digit favours
        price = group["shadow_price"].abs()
        dearest = group.loc[price >= price.max() * (1 - SAME_PRICE)]
        top = dearest.sort_values("year", kind="stable").iloc[0]
        rows.append((names.in_text(str(top["description"])),
                     _years(group["year"], shown=top["year"]), float(top["shadow_price"])))
    out = pd.DataFrame(rows, columns=["rule", "years", "shadow_price"])
    return out.sort_values("shadow_price", ascending=False, key=abs, kind="stable").head(
        largest).reset_index(drop=True)


def _years(years: pd.Series, shown: object = None) -> str:
    """The years a rule binds in; where they are several, which one's limit and price the
    row shows (its words name one year)."""
    found = sorted({str(y) for y in years if isinstance(y, str) and y})
    text = ", ".join(found) if len(found) <= 2 else \
        f"{found[0]} to {found[-1]} ({len(found)} years)"
    if len(found) > 1 and isinstance(shown, str) and shown in found:
        return f"{text}; {shown} shown"
    return text


# -- against today's method ----------------------------------------------------------------
def winners_and_losers(frame: pd.DataFrame, names: Mapping[str, str] | None = None,
                       materiality: Materiality | None = None, largest: int = 5
                       ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(winners, losers) over the whole horizon from a per-recipient-and-year comparison
    (columns recipient, optimised, todays_method, as ``plan.against_todays_method``), only
    material changes, largest first."""
    materiality = materiality or Materiality()
    per = frame.groupby("recipient", sort=True)[["optimised", "todays_method"]].sum()
    per["difference"] = per["optimised"] - per["todays_method"]
    per["difference_rate"] = [d / t if t else math.nan
                              for d, t in zip(per["difference"], per["todays_method"],
                                              strict=True)]
    threshold = per["todays_method"].map(materiality.threshold)
    material = per.loc[per["difference"].abs() >= threshold].reset_index()
    lookup = dict(names or {})
    material.insert(1, "name", [lookup.get(str(r), str(r)) for r in material["recipient"]])
    winners = material.loc[material["difference"] > 0].sort_values(
        "difference", ascending=False, kind="stable").head(largest)
    losers = material.loc[material["difference"] < 0].sort_values(
        "difference", kind="stable").head(largest)
    return winners.reset_index(drop=True), losers.reset_index(drop=True)


def movers(result: SweepResult, scenario: str, problem: FundingProblem | None = None,
           materiality: Materiality | None = None) -> pd.DataFrame:
    """The recipients whose allocation over the horizon moved materially in ``scenario``
    against the base of a :func:`fundopt.compare` result, largest move first: recipient,
    name (with ``problem``), base, scenario, change (pounds) and change_rate. Empty when
    nothing moved by :class:`Materiality`'s threshold (say :func:`no_material_change`)."""
    m = materiality or Materiality()
    c = result.changes.loc[result.changes["scenario"] == scenario]
    per = c.groupby("recipient")[["base", "amount", "change"]].sum().astype(float)
    per = per.loc[per["change"].abs() >= per["base"].map(m.threshold)]
    per = per.reindex(per["change"].abs().sort_values(ascending=False, kind="stable").index)
    names = _lookup(problem.recipients, "recipient") if problem is not None else {}
    out = pd.DataFrame({"recipient": per.index.astype(str),
                        "name": [names.get(str(r), str(r)) for r in per.index],
                        "base": per["base"].to_numpy(), "scenario": per["amount"].to_numpy(),
                        "change": per["change"].to_numpy()})
    out["change_rate"] = [d / b if b else math.nan for d, b in zip(out["change"], out["base"],
                                                                   strict=True)]
    return out


def no_material_change(materiality: Materiality | None = None) -> str:
    m = materiality or Materiality()
    return f"No material change: no recipient moves by {m.describe()}."


def largest_changes(changes: pd.Series, materiality: Materiality | None = None,
                    other: pd.Series | None = None) -> pd.Series:
    """The material ones of ``changes`` (pounds by recipient), largest first by size;
    ``other`` (what each would otherwise get) sets the relative threshold."""
    m = materiality or Materiality()
    base = other.reindex(changes.index).fillna(0.0) if other is not None else \
        pd.Series(0.0, index=changes.index)
    keep = changes.abs() >= base.map(m.threshold)
    chosen = changes[keep]
    return chosen.reindex(chosen.abs().sort_values(ascending=False, kind="stable").index)


def money_change(pounds: float) -> str:
    """A change in money, signed: +£12.3m, -£450k, £0."""
    text = money(pounds)
    return f"+{text}" if pounds > 0 and not text.startswith("-") else text


def plain_list(items: Sequence[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


__all__ = [
    "FAMILY_WORDS",
    "KIND_WORDS",
    "TERM_WORDS",
    "Materiality",
    "Names",
    "binding_counts",
    "largest_changes",
    "millions",
    "money_change",
    "movers",
    "no_material_change",
    "objective_in_words",
    "objective_sentence",
    "plain_list",
    "top_rules",
    "totals_by_year",
    "warnings",
    "winners_and_losers",
    "years_words",
]
