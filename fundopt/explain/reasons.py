"""Reasons: for every recipient and year, the rule that set its number, in words, with
its cell (docs/formulation.md, "Reasons").

From the rules the LP's optimum meets exactly (binding) and, when they were worked out,
the bands: a binding rule of the recipient's own that holds its total (a floor, cap,
cliff-edge limit, glide path, commitments covering all it gets, ...) is the reason; a
number no rule of its own holds is set by the policy (value of money, needs target or,
today, the volatility penalty) when its band is narrow, and is a choice among equally good
plans when its band is wide. Without bands the two cannot be told apart, and the reason
says so.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from fundopt._support import money, money_apart
from fundopt.explain.diagnosis.rules import rule_locations
from fundopt.formulation.builder import Family, Row
from fundopt.problem.schema import Goal

if TYPE_CHECKING:
    from fundopt.formulation.index import ProblemIndex
    from fundopt.problem import FundingProblem
    from fundopt.solver.highs import HighsModel


class ReasonCode(StrEnum):
    """What set a recipient's number in a year."""

    OWN_RULE = "own_rule"  # an analyst's own rule (Python)
    PROMISE = "promise"  # a re-plan holds the previous plan's confirmed figure
    TOLERANCE = "tolerance"  # ... or keeps its indicative figure at the tolerance's edge
    NOTICE = "notice"  # ... or a cut is as deep as its notice period allows
    FLOOR = "floor"
    CAP = "cap"
    GLIDE_PATH = "glide_path"
    COMMITMENT = "commitment"
    CLIFF_EDGE = "cliff_edge"
    RISE_LIMIT = "rise_limit"
    LINE_LIMIT = "line_limit"  # a hard limit on how fast a line may change holds its lines
    STREAM_LIMIT = "stream_limit"  # ... or on how fast its money from a stream may change
    LOCAL_PRIORITY = "local_priority"
    REQUIREMENT = "requirement"
    SHARE_TARGET = "share_target"
    ENVELOPE = "envelope"
    NEEDS_TARGET = "needs_target"  # the policy: exactly its needs-based share
    VOLATILITY = "volatility"  # the policy: held level with the year before
    VALUE_OF_MONEY = "value_of_money"  # the policy: any other amount loses value
    CHOICE = "choice"  # one of many equally good amounts
    POLICY_OR_CHOICE = "policy_or_choice"  # no rule of its own; bands not worked out
    NOT_ELIGIBLE = "not_eligible"  # no stream may fund it that year


#: A rule's family as a reason, in order of precedence when several hold one number.
FAMILY_REASONS: dict[Family, ReasonCode] = {
    Family.OWN_RULE: ReasonCode.OWN_RULE,
    Family.PROMISE: ReasonCode.PROMISE,
    Family.FLOOR: ReasonCode.FLOOR,
    Family.CAP: ReasonCode.CAP,
    Family.GLIDE_PATH: ReasonCode.GLIDE_PATH,
    Family.COMMITMENT: ReasonCode.COMMITMENT,
    Family.NOTICE: ReasonCode.NOTICE,
    Family.TOLERANCE: ReasonCode.TOLERANCE,
    Family.CLIFF_EDGE: ReasonCode.CLIFF_EDGE,
    Family.RISE_LIMIT: ReasonCode.RISE_LIMIT,
    Family.LINE_LIMIT: ReasonCode.LINE_LIMIT,
    Family.STREAM_LIMIT: ReasonCode.STREAM_LIMIT,
    Family.LOCAL_SHARE: ReasonCode.LOCAL_PRIORITY,
    Family.NATIONAL_SHARE: ReasonCode.LOCAL_PRIORITY,
    Family.REQUIREMENT: ReasonCode.REQUIREMENT,
    Family.SHARE_TARGET: ReasonCode.SHARE_TARGET,
    Family.ENVELOPE: ReasonCode.ENVELOPE,
}
_RANK = {family: k for k, family in enumerate(FAMILY_REASONS)}

#: What a choice among equally good plans says chose it: the priority tiers after the
#: policy, whose last is stability (the smoothest plan among the best ones:
#: docs/formulation.md, "Priority tiers").
CHOICE_CHOSEN_BY = "the stability tier, choosing the smoothest plan among the best ones, chose"

#: The columns of ``plan.reasons``, with the names to show them by.
REASON_COLUMNS: dict[str, str] = {
    "recipient": "Recipient",
    "name": "Name",
    "year": "Year",
    "allocated": "Allocated (£)",
    "reason": "Reason",
    "words": "Why",
    "rule": "Rule",
    "sheet": "Sheet",
    "cell": "Cell",
}

#: An auxiliary amount below this many pounds is zero (the optimum is exact to about 10p).
_ZERO_POUNDS = 0.5


@dataclass(frozen=True)
class Bands:
    """The bands reasons read: (recipient, year) -> (least, most), pounds, and the width
    below which a number is set rather than chosen."""

    ends: Mapping[tuple[str, str], tuple[float, float]]
    set_by_rules_below: float
    give_pounds: float = 0.0  # the bands are over plans within this much value of the best


@dataclass(frozen=True)
class AtPlan:
    """The plan the reasons are about: per row of the LP, whether the rule binds in it (as
    in ``plan.binding``); per allocation column, whether it funds it (as in
    ``plan.allocations``)."""

    binding: np.ndarray
    funded: np.ndarray


def funded_columns(index: ProblemIndex, allocations: pd.DataFrame) -> np.ndarray:
    """Per allocation column of ``index``, whether ``allocations`` (a plan's, non-zero rows)
    puts money in it."""
    at = index.by_line_stream_year
    out = np.zeros(len(at), dtype=bool)
    keys = allocations.loc[allocations["amount"] > 0, ["recipient", "activity", "stream",
                                                       "year"]]
    out[[at[k] for k in keys.itertuples(index=False, name=None)]] = True
    return out


def reasons_table(problem: FundingProblem, hm: HighsModel, col_value: np.ndarray,
                  at_plan: AtPlan, price: np.ndarray,
                  allocated: Mapping[tuple[str, ...], int], bands: Bands | None) -> pd.DataFrame:
    """One row per recipient and funded year (columns :data:`REASON_COLUMNS`): the rules
    that hold a number are those binding in the plan (``at_plan``); the policy's terms
    are read at tier 1's optimum (``col_value``), with tier 1's shadow prices (``price``)."""
    index = hm.builder.index
    holds, shared = _rules_holding(hm, at_plan.binding, price)
    policy = _Policy(hm, col_value)

    def funded(key: tuple[str, str]) -> np.ndarray:
        """The allocations of a recipient-year the plan puts money in."""
        cols = index.columns_of_recipient_year[key]
        return cols[at_plan.funded[cols]]

    out = []
    for r in sorted(index.recipient_rows):
        name = str(index.recipient_rows[r].get("name") or r)
        for t in index.funded_years(r):
            amount = int(allocated.get((r, t), 0))
            key = (r, t)
            if key not in index.columns_of_recipient_year:
                out.append((r, name, t, amount, ReasonCode.NOT_ELIGIBLE,
                            f"No stream may fund {r} in {t} (sheet 'Eligibility')", "", "", ""))
                continue
            ends = bands.ends.get(key) if bands is not None else None
            held = _holding_rule(holds.get(key, []), funded(key))
            code, words, rule = _reason(hm, r, t, amount, held, ends, bands, policy,
                                        shared.get(key))
            sheet, cell = _cell(problem, hm.builder.rows[rule]) if rule is not None else ("", "")
            out.append((r, name, t, amount, code, words,
                        hm.builder.rows[rule].info.rule if rule is not None else "", sheet, cell))
    return pd.DataFrame(out, columns=list(REASON_COLUMNS))


def _reason(hm: HighsModel, r: str, t: str, amount: int, held: int | None,
            ends: tuple[float, float] | None, bands: Bands | None, policy: _Policy,
            shared: int | None) -> tuple[ReasonCode, str, int | None]:
    """(code, words, row of the rule named) for one recipient-year; ``held`` is the row of
    the rule of its own that holds it, if any; ``ends`` its band (None when not worked
    out); ``shared`` the most valuable binding rule it shares."""
    rows = hm.builder.rows
    row = held
    if ends is not None and bands is not None and not np.isnan(ends[1] - ends[0]) \
            and ends[1] - ends[0] >= bands.set_by_rules_below:
        also = f"; {_lower_first(rows[row].info.description)} binds here" if row is not None \
            else ""
        among = "equally good plans" if not bands.give_pounds else \
            f"plans within {money(bands.give_pounds)} of value of the best"
        least, most, chosen = money_apart(ends[0], ends[1], amount)
        return (ReasonCode.CHOICE,
                f"A choice among {among}: any amount from {least} to {most} would do{also}; "
                f"{CHOICE_CHOSEN_BY} {chosen}", row)
    verb = "Set by" if ends is not None else "Held by"
    if row is not None:
        family = rows[row].info.family
        return FAMILY_REASONS[family], f"{verb} {_lower_first(rows[row].info.description)}", row
    if ends is None:
        return (ReasonCode.POLICY_OR_CHOICE,
                "No rule of its own binds: the value of money or the needs target sets it, "
                "or it is one of several equally good amounts (solve with bands=True to "
                "tell which)", None)
    return policy.reason(r, t, shared, rows)


class _Policy:
    """Which term of the policy holds a recipient-year no rule of its own holds."""

    def __init__(self, hm: HighsModel, col_value: np.ndarray) -> None:
        b = hm.builder
        policy = b.tiers[0].weights  # tier 1's weights (the settings' penalties by default)
        self.need_rate = policy.get(Goal.NEED, 0.0) if Goal.VALUE in policy else 0.0
        self.volatility_rate = policy.get(Goal.VOLATILITY, 0.0) if Goal.VALUE in policy else 0.0
        self.aux: dict[tuple[str, str], float] = {}
        for i, (kind, rule) in enumerate(b.aux_meaning):
            j = hm.col_of_aux[i]
            if kind in ("need_over", "need_under", "rise", "fall") and j >= 0:
                self.aux[(kind, rule)] = float(col_value[j]) * b.scale

    def _zero(self, kinds: tuple[str, str], rule: str) -> bool:
        got = [self.aux.get((k, rule)) for k in kinds]
        return all(v is not None and abs(v) < _ZERO_POUNDS for v in got)

    def reason(self, r: str, t: str, shared: int | None, rows: list[Row]
               ) -> tuple[ReasonCode, str, int | None]:
        if self.need_rate > 0 and self._zero(("need_over", "need_under"), f"need[{r},{t}]"):
            return (ReasonCode.NEEDS_TARGET,
                    f"Set by the needs target: it gets exactly its needs-based share in {t}; "
                    f"a pound more or less costs {self.need_rate:g} of value", None)
        if self.volatility_rate > 0 and self._zero(("rise", "fall"), f"volatility[{r},{t}]"):
            return (ReasonCode.VOLATILITY,
                    f"Set by the volatility penalty: its total funding in {t} is held level "
                    f"with the year before; a pound of change costs {self.volatility_rate:g} "
                    "of value", None)
        within = "" if shared is None else \
            f", within {_lower_first(rows[shared].info.description)} (the binding rule it " \
            "shares that is worth most)"
        return (ReasonCode.VALUE_OF_MONEY,
                f"Set by the value of money: any other amount would lose value{within}", shared)


def _rules_holding(hm: HighsModel, binding: np.ndarray, price: np.ndarray
                   ) -> tuple[dict[tuple[str, str], list[Holding]], dict[tuple[str, str], int]]:
    """Per (recipient, year): the binding rules that bear on its total (all their
    coefficients on it of one sign, and the rule is about it: see :func:`_subjects`), with
    the allocations of it each covers; and the binding rule with the highest shadow price
    among those it shares with others."""
    b = hm.builder
    codes = b.index.codes
    alloc_of = np.full(hm.matrix.shape[1], -1, dtype=np.int64)  # type: ignore[attr-defined]
    ok = hm.col_of_x >= 0
    alloc_of[hm.col_of_x[ok]] = np.flatnonzero(ok)
    r_names, y_names = codes.names["recipient"], codes.names["year"]
    n_years = len(y_names)
    holds: dict[tuple[str, str], list[Holding]] = {}
    best: dict[tuple[str, str], tuple[float, int]] = {}
    A = hm.by_rows
    for i in np.flatnonzero(binding).tolist():
        info = b.rows[i].info
        if info.family not in _RANK:
            continue
        lo, hi = A.indptr[i], A.indptr[i + 1]
        alloc = alloc_of[A.indices[lo:hi]]
        mine = alloc >= 0
        alloc, coef = alloc[mine], A.data[lo:hi][mine]
        if not len(alloc):
            continue
        rec = codes.code["recipient"][alloc]
        subjects = _subjects(rec, coef)
        groups, at = np.unique(rec * n_years + codes.code["year"][alloc], return_inverse=True)
        rises = np.bincount(at, weights=coef > 0, minlength=len(groups))
        falls = np.bincount(at, weights=coef < 0, minlength=len(groups))
        alone = len(np.unique(rec)) == 1
        for k, (g, up, down) in enumerate(zip(groups.tolist(), rises.tolist(), falls.tolist(),
                                              strict=True)):
            key = (r_names[g // n_years], y_names[g % n_years])
            if g // n_years in subjects and (up == 0 or down == 0):
                other_year = int(info.year not in ("", key[1]))
                holds.setdefault(key, []).append(
                    Holding(_RANK[info.family], other_year, i, alloc[at == k]))
            elif not alone and price[i] > best.get(key, (0.0, -1))[0]:
                best[key] = (float(price[i]), i)
    return holds, {key: i for key, (_, i) in best.items()}


@dataclass(frozen=True)
class Holding:
    """A binding rule that bears on a recipient-year's total: its family's precedence,
    whether it is another year's rule, its row, and the allocations of that recipient-year
    it covers."""

    rank: int
    other_year: int
    row: int
    covers: np.ndarray


def _holding_rule(candidates: list[Holding], funded: np.ndarray) -> int | None:
    """The row of the rule that holds the total: the first, by family precedence, this
    year's before another's, then row order, of a family whose binding rules together cover
    every allocation the plan funds in that recipient-year (a floor covers them all; a
    commitment its line, so the commitments hold a total made only of committed lines)."""
    by_rank: dict[int, list[Holding]] = {}
    for c in sorted(candidates, key=lambda c: (c.rank, c.other_year, c.row)):
        by_rank.setdefault(c.rank, []).append(c)
    for family in by_rank.values():
        covered = np.concatenate([c.covers for c in family])
        if np.isin(funded, covered).all():
            return family[0].row
    return None


def _subjects(rec: np.ndarray, coef: np.ndarray) -> set[int]:
    """The recipients (codes) a rule is about: its only recipient; else each recipient
    alone on its side of the rule (the Met in "the Met's total <= 25% of all forces'",
    whichever way round it is written)."""
    recipients = np.unique(rec)
    if len(recipients) == 1:
        return {int(recipients[0])}
    out = set()
    for side in (coef > 0, coef < 0):
        on_side = np.unique(rec[side])
        if len(on_side) == 1:
            out.add(int(on_side[0]))
    return out


def _cell(problem: FundingProblem, row: Row) -> tuple[str, str]:
    locations = rule_locations(problem.origin, row.info.rule, row.info.sources)
    first = next((loc for loc in locations if loc.sheet), None)
    return (first.sheet, first.cell) if first is not None else ("", "")


def _lower_first(text: str) -> str:
    """A rule's description to follow "Set by": 'Floor: a gets ...' -> 'the floor: a gets
    ...'; 'Your rule x: ...' -> 'your rule x: ...'."""
    if text.startswith("Your rule"):
        return "y" + text[1:]
    head, sep, rest = text.partition(":")
    return f"the {head.lower()}{sep}{rest}" if sep else text


def empty_reasons() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="int64" if c == "allocated" else "object")
                         for c in REASON_COLUMNS})
