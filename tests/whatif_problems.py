"""A generated regional problem for what-if tests: forces, a regional unit their PCCs pay
into, strands, cliff edges, shares, tranches and penalties, in millions of pounds."""

from __future__ import annotations

import numpy as np
import pandas as pd

from fundopt import FundingProblem, Settings

M = 1_000_000.0


def regional_problem(n_forces: int = 6, n_years: int = 3, seed: int = 7) -> FundingProblem:
    """``n_forces`` forces in two regions, one regional unit (``rocu``) in the first region
    paid by its forces' PCCs, a transformation fund ending after the first horizon year."""
    rng = np.random.default_rng(seed)
    forces = [f"f{i}" for i in range(n_forces)]
    regions = ["north" if i % 2 == 0 else "south" for i in range(n_forces)]
    years = [f"{2025 + i}-{(26 + i) % 100:02d}" for i in range(n_years + 1)]
    horizon = years[1:]
    base = {f: float(rng.integers(40, 160)) * M for f in forces}
    recipients = pd.DataFrame({
        "recipient": [*forces, "rocu", "tf"],
        "name": [f"Force {i}" for i in range(n_forces)] + ["North ROCU", "Transformation fund"],
        "kind": ["force"] * n_forces + ["regional_unit", "national_programme"],
        "region": [*regions, "north", None],
        "last_year": [None] * (n_forces + 1) + [horizon[0] if n_years > 1 else None],
        "need_weight": [float(rng.integers(5, 20)) for _ in forces] + [None, None],
    })
    activities = pd.DataFrame({
        "activity": ["lp", "drugs_pursue", "drugs_prevent", "fraud_protect"],
        "name": ["Local policing", "Drugs: pursue", "Drugs: prevent", "Fraud: protect"],
        "threat": ["local_policing", "illegal_drugs", "illegal_drugs", "fraud"],
        "strand": [None, "pursue", "prevent", "protect"],
    })
    streams = pd.DataFrame({"stream": ["core", "soc"], "name": ["Core grant", "SOC grant"],
                            "carry_forward_share": [None, 0.1]})
    total = sum(base.values())
    env = []
    for i, y in enumerate(horizon):
        env.append(("core", y, round(total * (1.0 + 0.02 * i)), None))
        env.append(("soc", y, 60 * M + 5 * M * i, None))
    envelopes = pd.DataFrame(env, columns=["stream", "year", "amount", "must_spend"])
    eligibility = pd.DataFrame({
        "stream": ["core", "soc", "soc", "soc"],
        "recipient_kind": ["force", "force", "regional_unit", "national_programme"],
        "threat": ["local_policing", None, None, None],
    })
    baselines = pd.DataFrame({
        "recipient": [*forces, "rocu", "tf"],
        "amount": [*base.values(), 12 * M, 15 * M],
    })
    north = [f for f, r in zip(forces, regions, strict=True) if r == "north"]
    income = []
    for y in years:
        for f in forces:
            income.append((f, y, "precept", None, round(base[f] * 0.6)))
        for f in north:
            income.append(("rocu", y, "PCC contribution", f, round(base[f] * 0.08)))
    other_income = pd.DataFrame(income, columns=["recipient", "year", "source", "contributor",
                                                 "amount"])
    cliff_edges = pd.DataFrame({"recipient": [None, "rocu"], "max_fall_rate": [0.05, 0.03],
                                "max_rise_rate": [None, None], "penalty": [None, 2.0]})
    share_targets = pd.DataFrame({"strand": ["prevent"] * n_years, "scope": ["soc"] * n_years,
                                  "year": horizon, "min_share": [0.05] * n_years})
    value_tranches = pd.DataFrame({
        "recipient": [None, None, None, "rocu"], "activity": [None, None, "drugs_prevent", None],
        "tranche": [1, 2, 1, 1], "width": [30 * M, None, None, None],
        "value": [1.2, 1.0, 1.1, 1.3],
    })
    local_priorities = pd.DataFrame({"recipient": forces, "activity": ["lp"] * n_forces})
    local_shares = pd.DataFrame({"recipient": forces, "min_local_share": [0.5] * n_forces})
    commitments = pd.DataFrame({
        "recipient": ["rocu"], "activity": ["drugs_pursue"], "stream": ["soc"],
        "first_year": [horizon[0]], "last_year": [horizon[-1]], "amount": [4 * M],
        "penalty": [None]})
    return FundingProblem(
        recipients=recipients, years=pd.DataFrame({"year": years,
                                                   "baseline": [True] + [False] * n_years}),
        activities=activities, streams=streams, envelopes=envelopes, eligibility=eligibility,
        baselines=baselines, other_income=other_income, cliff_edges=cliff_edges,
        share_targets=share_targets, value_tranches=value_tranches,
        local_priorities=local_priorities, local_shares=local_shares, commitments=commitments,
        settings=Settings(name="regional what-if"),
    )
