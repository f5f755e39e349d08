"""Small problems for tests, in realistic money (millions of pounds)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from fundopt import FundingProblem, Settings

M = 1_000_000.0


def frame(**cols: Any) -> pd.DataFrame:
    return pd.DataFrame(cols)


def exact_tiers(settings: Settings) -> pd.DataFrame:
    """A *Priorities* table: the default tier 1 (value less the settings' penalties) with
    no give, so the plan is exactly tier 1's optimum (stability then only breaks ties)."""
    goals = [("value", 1.0), ("need", settings.need_penalty),
             ("volatility", settings.volatility_penalty)]
    kept = [(g, w) for g, w in goals if w > 0]
    return frame(tier=[1] * len(kept), goal=[g for g, _ in kept], weight=[w for _, w in kept],
                 give=[0.0] + [None] * (len(kept) - 1))


def tiny(
    *,
    years: tuple[str, ...] = ("2025-26", "2026-27"),
    recipients: pd.DataFrame | None = None,
    activities: pd.DataFrame | None = None,
    envelopes: list[float] | None = None,
    settings: Settings | None = None,
    **tables: Any,
) -> FundingProblem:
    """Two forces (a in region north, b in region south), one local-policing activity,
    one stream 'core' with £100m a year; no penalties unless settings say so. Tier 1 has
    no give unless ``priorities`` says otherwise (:func:`exact_tiers`): the rules'
    hand-worked optima are exact."""
    horizon = years[1:]
    env = envelopes or [100 * M] * len(horizon)
    base = dict(
        recipients=recipients
        if recipients is not None
        else frame(
            recipient=["a", "b"],
            name=["Force A", "Force B"],
            kind=["force", "force"],
            region=["north", "south"],
        ),
        years=frame(year=list(years), baseline=[True] + [False] * len(horizon)),
        activities=activities
        if activities is not None
        else frame(activity=["lp"], name=["Local policing"], threat=["local_policing"]),
        streams=frame(stream=["core"], name=["Core grant"]),
        envelopes=frame(stream=["core"] * len(horizon), year=list(horizon), amount=env),
        eligibility=frame(stream=["core"]),
        settings=settings or Settings(need_penalty=0.0, volatility_penalty=0.0),
    )
    base["priorities"] = exact_tiers(base["settings"])  # type: ignore[arg-type]
    base.update(tables)
    return FundingProblem(**base)


def values(**by_recipient: float) -> pd.DataFrame:
    """A value per pound for each recipient (one unlimited tranche each)."""
    return frame(
        recipient=list(by_recipient),
        tranche=[1] * len(by_recipient),
        value=list(by_recipient.values()),
    )


def price(plan: Any, rule: str) -> float:
    sp = plan.shadow_prices
    return float(sp.loc[sp["rule"] == rule, "value"].iloc[0])


def amount(plan: Any, **where: str) -> int:
    a = plan.allocations
    for k, v in where.items():
        a = a[a[k] == v]
    return int(a["amount"].sum())
