"""The benchmark problem's LP data as plain pandas, the way a modeller would prepare it.

Shared by the alternative models (their build time includes it). It covers the constraint
families :mod:`benchmarks.generate` uses, read as docs/formulation.md states them: every
recipient funded every horizon year, eligibility by (stream, activity), one carry-forward
stream, default and per-recipient cliff-edge limits, local shares, national requirements,
share targets, per-activity value tranches, the need penalty and the volatility penalty.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from fundopt import FundingProblem


@dataclass
class LpData:
    scale: float  # pounds per model unit
    years: list[str]  # horizon
    baseline_year: str
    alloc: pd.DataFrame  # recipient, activity, stream, year, threat, strand (sorted)
    envelopes: pd.DataFrame  # stream, year, amount, must_spend
    carry_share: dict[str, float]
    baseline: dict[str, float]
    income: dict[tuple[str, str], float]
    cliff: dict[str, tuple[float, float | None, float | None]]  # fall, rise, penalty
    tau: float
    local: dict[str, set[str]]
    local_shares: pd.DataFrame
    requirements: pd.DataFrame
    share_targets: pd.DataFrame
    tranches: dict[str, list[tuple[float | None, float]]]  # activity -> (width £, value)
    omega: float
    eta: float  # need penalty (0: no need term)
    # kind -> its recipients with a need_weight and their target shares (kinds whose
    # weights add up to more than 0 only: docs/formulation.md, "Need penalty")
    need_shares: dict[str, dict[str, float]]


def money_scale(problem: FundingProblem) -> float:
    top = max(
        float(problem.envelopes["amount"].max()),
        float(problem.baselines.groupby("recipient")["amount"].sum().max()),
        float(problem.other_income["amount"].max()) if len(problem.other_income) else 0.0,
        1.0,
    )
    return float(10 ** max(0, int(np.floor(np.log10(top))) - 2))


def prepare(problem: FundingProblem) -> LpData:
    p = problem
    assert p.eligibility["recipient"].isna().all() and p.eligibility["threat"].isna().all()
    assert p.eligibility["recipient_kind"].isna().all()
    assert p.recipients["first_year"].isna().all() and p.recipients["last_year"].isna().all()
    assert not len(p.limits) and not len(p.commitments)
    years = list(p.horizon)
    lines = p.eligibility[["stream", "activity"]].drop_duplicates()
    alloc = (
        p.recipients[["recipient"]]
        .merge(lines, how="cross")
        .merge(pd.DataFrame({"year": years}), how="cross")
        .merge(p.activities[["activity", "threat", "strand"]], on="activity")
        .sort_values(["recipient", "activity", "stream", "year"])
        .reset_index(drop=True)
    )
    alloc = alloc[["recipient", "activity", "stream", "year", "threat", "strand"]]
    cliff: dict[str, tuple[float, float | None, float | None]] = {}
    for r in p.cliff_edges.itertuples(index=False):
        key = "" if pd.isna(r.recipient) else str(r.recipient)
        cliff[key] = (
            float(r.max_fall_rate),
            None if pd.isna(r.max_rise_rate) else float(r.max_rise_rate),
            None if pd.isna(r.penalty) else float(r.penalty),
        )
    local: dict[str, set[str]] = {}
    for r in p.local_priorities.itertuples(index=False):
        local.setdefault(str(r.recipient), set()).add(str(r.activity))
    tranches: dict[str, list[tuple[float | None, float]]] = {}
    for r in p.value_tranches.sort_values(["activity", "tranche"]).itertuples(index=False):
        width = None if pd.isna(r.width) else float(r.width)
        tranches.setdefault(str(r.activity), []).append((width, float(r.value)))
    for t in tranches.values():
        if t[-1][0] is not None:
            t.append((None, 0.0))
    inc = p.other_income.groupby(["recipient", "year"])["amount"].sum()
    return LpData(
        scale=money_scale(p),
        years=years,
        baseline_year=p.baseline_year,
        alloc=alloc,
        envelopes=p.envelopes.copy(),
        carry_share={
            str(s.stream): 0.0 if pd.isna(s.carry_forward_share) else float(s.carry_forward_share)
            for s in p.streams.itertuples(index=False)
        },
        baseline=p.baselines.groupby("recipient")["amount"].sum().astype(float).to_dict(),
        income={(str(k[0]), str(k[1])): float(v) for k, v in inc.items()},
        cliff=cliff,
        tau=p.settings.terminal_fall_share if len(years) >= 2 else 1.0,
        local=local,
        local_shares=p.local_shares.copy(),
        requirements=p.requirements.copy(),
        share_targets=p.share_targets.copy(),
        tranches=tranches,
        omega=p.settings.volatility_penalty,
        eta=p.settings.need_penalty,
        need_shares=need_shares(p) if p.settings.need_penalty > 0 else {},
    )


def need_shares(problem: FundingProblem) -> dict[str, dict[str, float]]:
    """Each kind's recipients with a ``need_weight``, and the weight's share of the kind's
    (every recipient is funded in every year here, so the shares do not change by year)."""
    r = problem.recipients
    r = r[r["need_weight"].notna()]
    out: dict[str, dict[str, float]] = {}
    for kind, group in r.groupby("kind", sort=True):
        weight = group.set_index("recipient")["need_weight"].astype(float).sort_index()
        if weight.sum() > 0:
            out[str(kind)] = (weight / weight.sum()).to_dict()
    return out
