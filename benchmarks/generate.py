"""Synthetic FundingProblems of fundopt's shape, from about 2k to 1M allocation variables.

Recipients (forces, regional units, national programmes) x activities (the eleven threats,
4P strands) x two eligible streams per activity x horizon years (five, or ten for ``400r``),
with: a default
cliff-edge limit (5% fall, 10% rise) and tighter limits for some recipients, forces'
other income (precept), PCC local priorities with a least local share and a most national
share, a national requirement per year (illegal drugs), a soft prevent-share target and a
soft fraud cap, two-tranche value curves on a quarter of the activities, carry-forward on
one stream, the volatility penalty and the template's default need penalty (``Settings()``:
0.05 a pound) against a needs-formula weight per recipient: its baseline, moved by up to
15% either way (a needs formula never matches history). Deterministic for a given size and
seed.

``need_penalty=0.0`` turns the need term off: with it off the problem is the one every
result before December 2026 was measured on, bit for bit (no ``need_weight`` column, the
same random draws), so those results stay reproducible. The need rows couple every
recipient of a kind; written naively each sums every allocation of the kind, so their
nonzeros grow with the square of the recipients (issue 17). The families used here are the
ones the alternative models in ``benchmarks/alternatives/`` implement.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from fundopt import FundingProblem, Settings

M = 1_000_000.0
THREATS = (
    "child_sexual_abuse",
    "modern_slavery",
    "organised_immigration_crime",
    "illegal_drugs",
    "illegal_firearms",
    "organised_acquisitive_crime",
    "money_laundering",
    "fraud",
    "bribery_corruption_sanctions",
    "cyber_crime",
    "local_policing",
)
STRANDS = ("pursue", "prevent", "protect", "prepare")
BASELINE_YEAR = "2025-26"
STREAMS_PER_ACTIVITY = 2
#: The template's default need penalty (value lost per pound away from a needs-based share).
DEFAULT_NEED_PENALTY = Settings().need_penalty
#: Envelope growth on the baseline in the first five horizon years; later years grow 1% a
#: year on the fifth.
GROWTH = (0.99, 1.01, 1.02, 1.04, 1.05)


def horizon(years: int) -> tuple[str, ...]:
    """The fiscal years after the baseline year: ``2026-27``, ``2027-28``, ..."""
    return tuple(f"{2026 + k}-{(27 + k) % 100:02d}" for k in range(years))


def growth(years: int) -> tuple[float, ...]:
    """Each horizon year's envelopes as a multiple of the baseline's total."""
    extra = tuple(round(GROWTH[-1] * 1.01 ** (k + 1), 4) for k in range(years - len(GROWTH)))
    return (GROWTH + extra)[:years]


@dataclass(frozen=True)
class Size:
    name: str
    recipients: int
    activities: int
    streams: int
    years: int = 5  # horizon years

    @property
    def variables(self) -> int:
        return self.recipients * self.activities * STREAMS_PER_ACTIVITY * self.years


SIZES: dict[str, Size] = {
    s.name: s
    for s in (
        Size("2k", 20, 10, 3),
        Size("10k", 50, 20, 4),
        Size("100k", 250, 40, 6),
        Size("300k", 500, 60, 8),
        Size("600k", 750, 80, 9),
        Size("1m", 1000, 100, 10),
        # issue 17's template: many recipients, a ten-year horizon (240,000 variables)
        Size("400r", 400, 30, 5, years=10),
    )
}


def generate(
    size: str | Size, seed: int = 0, need_penalty: float = DEFAULT_NEED_PENALTY
) -> FundingProblem:
    """A feasible FundingProblem with ``size.variables`` allocation variables; the need
    term at ``need_penalty`` (the template's default; 0 for none, as before December 2026)."""
    sz = SIZES[size] if isinstance(size, str) else size
    rng = np.random.default_rng(seed)
    horizon_years = horizon(sz.years)
    n_r, n_a, n_s = sz.recipients, sz.activities, sz.streams
    n_regions = max(2, n_r // 10)

    rid = [f"r{i:04d}" for i in range(n_r)]
    kind = [
        "national_programme" if i % 20 == 19 else "regional_unit" if i % 7 == 6 else "force"
        for i in range(n_r)
    ]
    region = [
        None if k == "national_programme" else f"region{i % n_regions:03d}"
        for i, k in enumerate(kind)
    ]
    recipients = pd.DataFrame(
        {"recipient": rid, "name": [f"Recipient {r}" for r in rid], "kind": kind, "region": region}
    )
    years = pd.DataFrame(
        {
            "year": [BASELINE_YEAR, *horizon_years],
            "baseline": [True] + [False] * len(horizon_years),
        }
    )
    aid = [f"a{i:03d}" for i in range(n_a)]
    # every fifth activity is local policing; the others cycle through the ten SOC threats
    # and, every ten, the four strands
    soc = [i - i // 5 for i in range(n_a)]
    threat = ["local_policing" if i % 5 == 4 else THREATS[soc[i] % 10] for i in range(n_a)]
    strand = [
        None if t == "local_policing" else STRANDS[(soc[i] // 10 + soc[i]) % 4]
        for i, t in enumerate(threat)
    ]
    activities = pd.DataFrame(
        {
            "activity": aid,
            "name": [f"Activity {a}" for a in aid],
            "threat": threat,
            "strand": strand,
        }
    )
    sid = [f"s{i:02d}" for i in range(n_s)]
    streams = pd.DataFrame(
        {
            "stream": sid,
            "name": [f"Stream {s}" for s in sid],
            "carry_forward_share": [0.1] + [None] * (n_s - 1),
        }
    )
    # each activity is eligible for exactly two streams (by activity, so the count is exact)
    elig = []
    for i, a in enumerate(aid):
        first = i % n_s
        for k in range(STREAMS_PER_ACTIVITY):
            elig.append({"stream": sid[(first + k) % n_s], "activity": a})
    eligibility = pd.DataFrame(elig)

    base = np.round(rng.uniform(2, 60, n_r) * M, -3)
    baselines = pd.DataFrame({"recipient": rid, "amount": base})
    income = []
    for i, r in enumerate(rid):
        if kind[i] != "force":
            continue
        amount = round(float(base[i]) * 0.5, -3)
        for k, y in enumerate((BASELINE_YEAR, *horizon_years)):
            income.append(
                {
                    "recipient": r,
                    "year": y,
                    "source": "precept",
                    "amount": round(amount * 1.02**k, -3),
                }
            )
    other_income = pd.DataFrame(income)

    # envelopes: per stream in proportion to the activities it may fund, growing 1-3% a year
    weight = np.zeros(n_s)
    for e in elig:
        weight[sid.index(e["stream"])] += 1
    weight /= weight.sum()
    env = []
    for j, s in enumerate(sid):
        for y, g in zip(horizon_years, growth(sz.years), strict=True):
            env.append(
                {"stream": s, "year": y, "amount": round(float(base.sum() * weight[j] * g), -3)}
            )
    envelopes = pd.DataFrame(env)

    cliff = [{"recipient": None, "max_fall_rate": 0.05, "max_rise_rate": 0.10}]
    for i in range(0, n_r, 9):
        cliff.append({"recipient": rid[i], "max_fall_rate": 0.03, "max_rise_rate": 0.08})
    cliff_edges = pd.DataFrame(cliff)

    local_acts = [a for a, t in zip(aid, threat, strict=True) if t == "local_policing"]
    soc_acts = [a for a, t in zip(aid, threat, strict=True) if t != "local_policing"]
    lp, ls = [], []
    for i, r in enumerate(rid):
        if kind[i] != "force":
            continue
        chosen = {local_acts[i % len(local_acts)], soc_acts[(3 * i) % len(soc_acts)]}
        lp.extend({"recipient": r, "activity": a} for a in sorted(chosen))
        ls.append({"recipient": r, "min_local_share": 0.25, "max_national_share": 0.7})
    local_priorities = pd.DataFrame(lp)
    local_shares = pd.DataFrame(ls)

    requirements = pd.DataFrame(
        [
            {"threat": "illegal_drugs", "year": y, "amount": round(float(base.sum()) * 0.03, -3)}
            for y in horizon_years
        ]
    )
    share_targets = pd.DataFrame(
        [
            {"strand": "prevent", "scope": "soc", "year": y, "min_share": 0.06, "penalty": 2.0}
            for y in horizon_years
        ]
        + [
            {"threat": "fraud", "scope": "all", "year": y, "max_share": 0.15, "penalty": 2.0}
            for y in horizon_years
        ]
    )

    value = np.round(rng.uniform(0.8, 1.6, n_a), 3)
    tranches = []
    width = round(float(base.mean()) / n_a * 0.8, -3)
    for i, a in enumerate(aid):
        if i % 4 == 0:
            tranches.append({"activity": a, "tranche": 1, "width": width, "value": value[i]})
            tranches.append({"activity": a, "tranche": 2, "value": round(value[i] * 0.5, 3)})
        else:
            tranches.append({"activity": a, "tranche": 1, "value": value[i]})
    value_tranches = pd.DataFrame(tranches)
    if need_penalty > 0:
        recipients["need_weight"] = need_weights(base, seed)

    return FundingProblem(
        recipients=recipients,
        years=years,
        activities=activities,
        streams=streams,
        envelopes=envelopes,
        eligibility=eligibility,
        baselines=baselines,
        other_income=other_income,
        cliff_edges=cliff_edges,
        local_priorities=local_priorities,
        local_shares=local_shares,
        requirements=requirements,
        share_targets=share_targets,
        value_tranches=value_tranches,
        settings=Settings(
            name=f"benchmark {sz.name}",
            need_penalty=need_penalty,
            volatility_penalty=0.02,
            terminal_fall_share=0.5,
        ),
    )


def need_weights(baseline: np.ndarray, seed: int = 0) -> np.ndarray:
    """A needs-formula weight per recipient: its baseline in £m, moved by up to 15% either
    way, to three decimals (a share of its kind's total is the target). Drawn from a
    generator of its own, so the rest of the problem is the same with or without them."""
    factor = np.random.default_rng([seed, 17]).uniform(0.85, 1.15, len(baseline))
    return np.round(baseline / M * factor, 3)


def envelope_scenarios(problem: FundingProblem, n: int = 50) -> list[tuple[str, float]]:
    """``n`` (stream, factor) envelope changes: each stream's every year scaled by 0.95-1.04."""
    streams = sorted(problem.streams["stream"])
    factors = np.round(np.linspace(0.95, 1.04, 10), 3)
    return [(streams[i % len(streams)], float(factors[(i * 7) % len(factors)])) for i in range(n)]
