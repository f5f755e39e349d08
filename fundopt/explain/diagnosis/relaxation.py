"""``on_infeasible="relax"``: loosen exactly the rules the cheapest way out breaks, let the
plan's check allow those breaches, and list them."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from fundopt.explain.diagnosis.conflicts import TOLERANCE_POUNDS, Diagnosis, RuleRef, infeasible
from fundopt.explain.diagnosis.search import explain_with_breaks

if TYPE_CHECKING:
    from fundopt.problem import FundingProblem
    from fundopt.solver.highs import HighsModel


@dataclass(frozen=True)
class Relaxation:
    """The rules a relaxed plan may break: rule id -> pounds (whole, rounded up), and the
    rows loosened for them."""

    allowed: Mapping[str, float]
    diagnosis: Diagnosis
    rows: tuple[int, ...] = ()

    def rounding_room(self, hm: HighsModel) -> tuple[np.ndarray, dict[str, float]]:
        """(room per row in model units, allowances in pounds) for rounding the relaxed
        plan to whole pounds: a loosened row is at its new limit, and a margin inside it,
        as rounding gives the other rules, would undo the relaxation; instead rounding may
        move it past that limit by its reach (under £1 for each amount in the rule), which
        is added to the rule's allowance (whole pounds, rounded up)."""
        from fundopt.solver.rounding import reach_of_rows

        room = np.zeros(len(hm.row_lower))
        allowed = dict(self.allowed)
        if self.rows:
            idx = np.asarray(self.rows, dtype=np.int64)
            reach = reach_of_rows(hm, idx)
            room[idx] = reach
            for i, r in zip(idx.tolist(), reach.tolist(), strict=True):
                rule = hm.builder.rows[i].info.rule
                allowed[rule] = allowed.get(rule, 0.0) + float(math.ceil(r * hm.builder.scale))
        return room, allowed


def relax(problem: FundingProblem, hm: HighsModel) -> Relaxation:
    """Loosen, in place on ``hm``, exactly the rules the cheapest way out breaks, each by its
    amount rounded up to a whole pound, so that ``hm`` can be solved for the best plan that
    breaks nothing else. Raises :class:`~fundopt.InfeasibleError` when no way out exists."""
    diagnosis, breaks = explain_with_breaks(problem, hm)
    if not breaks:
        raise infeasible(diagnosis)
    rows = hm.builder.rows
    allowed: dict[str, float] = {}
    scale = hm.builder.scale
    for i, direction, amount in breaks:
        pounds = float(math.ceil(amount - 1e-6))
        rule = rows[i].info.rule
        allowed[rule] = allowed.get(rule, 0.0) + pounds
        # a slack entering with +1 lets the row's body fall short of its lower bound;
        # with -1 it lets the body exceed its upper bound
        if direction > 0:
            hm.row_lower[i] -= pounds / scale
        else:
            hm.row_upper[i] += pounds / scale
        hm.highs.changeRowBounds(i, float(hm.row_lower[i]), float(hm.row_upper[i]))
    hm.highs.clearSolver()
    return Relaxation(allowed=MappingProxyType(allowed), diagnosis=diagnosis,
                      rows=tuple(sorted({i for i, _, _ in breaks})))


def allow_breaches(checks: pd.DataFrame, allowed: Mapping[str, float]) -> pd.DataFrame:
    """Rule checks in which each allowed rule may be broken by up to its allowance (plus a
    penny): those rows become soft and pass if within it; every other check is unchanged."""
    if not allowed:
        return checks
    out = checks.copy()
    limit = out["rule"].map(lambda r: allowed.get(r, math.nan)).astype(float)
    mask = limit.notna()
    within = out["slack"] >= -(limit + 0.01)
    out.loc[mask, "soft"] = True
    out.loc[mask, "passed"] = within[mask]
    return out


BREACH_COLUMNS = ["rule", "amount", "penalty", "family", "description", "year", "recipient",
                  "stream", "where", "suggestion"]


def rounding_breaks(problem: FundingProblem, hm: HighsModel, checks: pd.DataFrame,
                    allowed: Mapping[str, float]) -> dict[str, RuleRef]:
    """The rules a relaxed plan's whole pounds broke beyond those the cheapest way out
    breaks (:func:`fundopt.solver.rounding.round_plan`, step 5), as the diagnosis names
    rules: by rule id."""
    from fundopt.explain.diagnosis.rules import rule_ref

    broken = checks[checks["soft"].astype(bool) & (checks["slack"] < -TOLERANCE_POUNDS)
                    & ~checks["rule"].isin(list(allowed))]
    if not len(broken):
        return {}
    rows = {r.info.rule: r for r in hm.builder.rows if r.penalty is None}
    out = {}
    for _, c in broken.iterrows():
        row = rows.get(str(c["rule"]))
        if row is not None:
            out[row.info.rule] = rule_ref(problem, row, float(-c["slack"]),
                                          1 if c["sense"] == ">=" else -1)
    return out


def breaches_table(checks: pd.DataFrame, diagnosis: Diagnosis, soft: pd.DataFrame,
                   more: Mapping[str, RuleRef] | None = None) -> pd.DataFrame:
    """The promises a relaxed plan breaks: by how much (pounds, in the rounded plan) and
    where they are stated (those the cheapest way out breaks, then ``more``: those whole
    pounds broke too); then any rules with a penalty of their own that it broke."""
    way = diagnosis.way_out
    refs = {r.rule: r for r in way.rules} if way is not None else {}
    refs.update(more or {})
    out = []
    broken = checks[checks["rule"].isin(list(refs)) & (checks["slack"] < -TOLERANCE_POUNDS)]
    for _, c in broken.iterrows():
        ref = refs[str(c["rule"])]
        out.append({"rule": ref.rule, "amount": float(-c["slack"]), "penalty": math.nan,
                    "family": ref.family, "description": ref.description, "year": ref.year,
                    "recipient": ref.recipient, "stream": ref.stream, "where": ref.where,
                    "suggestion": ref.suggestion})
    for _, s in soft.iterrows():
        out.append({"rule": s["rule"], "amount": float(s["amount"]), "penalty": float(s["penalty"]),
                    "family": "", "description": "", "year": "", "recipient": "", "stream": "",
                    "where": "", "suggestion": ""})
    return pd.DataFrame(out, columns=BREACH_COLUMNS)
