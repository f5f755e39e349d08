"""Today's method: a needs formula damped by a floor, in closed form, for comparison.

The Home Office shares the police grant by a needs formula "overlaid with a floor": every
recipient is guaranteed a minimum change ``f`` on last year's grant, and the floor is paid
for by scaling back gains above it with one factor ``λ`` in [0, 1]. With

- ``B_i`` last year's allocation, ``T`` this year's pot, ``s_i`` the need share,
- ``F_i = s_i · T`` the undamped formula allocation,

.. math::

    A_i = (1+f) B_i + λ \\max(0, F_i - (1+f) B_i), \\qquad \\sum_i A_i = T .

Since ``Σ F_i = T``, λ lies in [0, 1] whenever the floor is affordable
(``(1+f) Σ B_i ≤ T``); otherwise the floor cannot be paid for and an
:class:`~fundopt.errors.InfeasibleError` states the shortfall. When ``f`` is the average
change ``T / Σ B_i − 1`` (the police practice since 2011-12) λ is 0 and every recipient gets
the same percentage change.

:func:`todays_method` applies the rule per stream and year, year after year, and
:func:`winners_and_losers` sets an optimised plan beside it. No solver is involved.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from fundopt.errors import FundoptError, InfeasibleError
from fundopt.problem import FundingProblem
from fundopt.problem.scenarios import Scenario
from fundopt.problem.validation import is_blank, year_start

if TYPE_CHECKING:  # a plan is read, not made, here
    from fundopt.plan import Plan

FloorRates = Mapping[tuple[str, str], float] | float | None
"""Floor per (stream, year); one number for all; ``None`` = the average change (uniform)."""

#: Below this a shortfall is floating-point noise: a millionth of a pound, or a part in
#: 10^12 of the pot (the floors at the average change sum to the pot only to within
#: rounding: on £25bn, £4 millionths over it)
_TOLERANCE, _RELATIVE_TOLERANCE = 1e-6, 1e-12


@dataclass(frozen=True)
class FloorShortfall:
    """Why a floor is unaffordable: it needs ``required`` pounds and the pot is ``pot``."""

    stream: str
    year: str
    floor_rate: float
    required: float
    pot: float

    @property
    def shortfall(self) -> float:
        return self.required - self.pot


@dataclass(frozen=True)
class DampedAllocation:
    """One year of today's method: allocations (pounds, by recipient) and the scaling factor."""

    allocation: pd.Series
    floor_rate: float
    scaling_factor: float
    pot: float


@dataclass(frozen=True)
class TodaysMethod:
    """Today's method over the horizon.

    ``allocations``: recipient, activity (always blank: the formula does not say what the
    money is for), stream, year, amount in whole pounds (non-zero rows only, as in a
    :class:`~fundopt.Plan`). ``steps``: stream, year, pot, floor_rate, scaling_factor.
    """

    allocations: pd.DataFrame
    steps: pd.DataFrame


def damp(baseline: pd.Series, need_share: pd.Series, pot: float,
         floor_rate: float | None = None, *, stream: str = "", year: str = "") -> DampedAllocation:
    """One year of the damped needs formula, in closed form.

    ``baseline`` and ``need_share`` are indexed by recipient (the same recipients); need
    shares are normalised to sum to 1. ``floor_rate`` ``None`` means the average change.
    Raises :class:`~fundopt.errors.InfeasibleError` (code FO-C01) when the floor is
    unaffordable, with a :class:`FloorShortfall` as its diagnosis.
    """
    if set(baseline.index) != set(need_share.index):
        raise FundoptError("baseline and need shares must cover the same recipients", code="FO-C02")
    need = need_share.reindex(baseline.index).to_numpy(dtype=float)
    amounts, floor_rate, scaling = _damp(baseline.to_numpy(dtype=float), need, pot, floor_rate,
                                         stream, year)
    return DampedAllocation(pd.Series(amounts, index=baseline.index), floor_rate, scaling, pot)


def _damp(base: np.ndarray, need: np.ndarray, pot: float, floor_rate: float | None,
          stream: str, year: str) -> tuple[np.ndarray, float, float]:
    """:func:`damp` on arrays (the same recipients in the same order): amounts, floor rate
    and scaling factor."""
    if (base < 0).any() or (need < 0).any() or not math.isfinite(pot) or pot < 0:
        raise FundoptError("baselines, need shares and the pot must not be negative", code="FO-C02")
    if need.sum() <= 0:
        raise FundoptError("need shares sum to zero: the formula is undefined", code="FO-C02")
    need = need / need.sum()
    base_total = float(base.sum())
    if floor_rate is None:
        floor_rate = pot / base_total - 1 if base_total > 0 else 0.0
    floors = (1 + floor_rate) * base
    required = float(floors.sum())
    if required > pot + max(_TOLERANCE, _RELATIVE_TOLERANCE * pot):
        gap = FloorShortfall(stream, year, floor_rate, required, pot)
        where = f" for stream '{stream}' in {year}" if stream else ""
        raise InfeasibleError(
            f"the floor of {floor_rate:+.3%}{where} is unaffordable: it needs £{required:,.0f} "
            f"but the pot is £{pot:,.0f}, a shortfall of £{gap.shortfall:,.0f} "
            "(the scaling factor would be negative); lower the floor or raise the pot",
            diagnosis=gap,
        )
    gains = np.clip(need * pot - floors, 0.0, None)
    gain_total = float(gains.sum())
    spare = max(pot - required, 0.0)
    scaling = min(spare / gain_total, 1.0) if gain_total > 0 else 0.0
    return floors + scaling * gains, floor_rate, scaling


def round_to_pounds(amounts: pd.Series, total: int) -> pd.Series:
    """Whole pounds summing exactly to ``total`` (largest remainder; ties by index order)."""
    return pd.Series(_round(amounts.to_numpy(dtype=float), total), index=amounts.index)


def _round(amounts: np.ndarray, total: int) -> np.ndarray:
    """:func:`round_to_pounds` on an array (ties by position)."""
    floors = np.floor(amounts).astype("int64")
    left = total - int(floors.sum())
    if left < 0 or left > len(amounts):
        raise FundoptError(f"cannot round {amounts.sum():,.2f} to £{total:,}", code="FO-C03")
    order = np.argsort(-(amounts - floors), kind="stable")  # largest remainder first
    floors[order[:left]] += 1
    return floors


def stream_recipients(problem: FundingProblem, stream: str) -> list[str]:
    """Recipients some eligibility row lets ``stream`` fund (for at least one activity)."""
    return recipients_by_stream(problem).get(stream, [])


def recipients_by_stream(problem: FundingProblem) -> dict[str, list[str]]:
    """Every stream's recipients (as :func:`stream_recipients`), in one pass."""
    kinds = dict(zip(problem.recipients["recipient"], problem.recipients["kind"], strict=True))
    threats = dict(zip(problem.activities["activity"], problem.activities["threat"],
                       strict=True))
    found: dict[str, set[str]] = {}
    for row in problem.eligibility.to_dict("records"):
        act, threat = row["activity"], row["threat"]
        if not is_blank(act):
            if act not in threats or (not is_blank(threat) and threats[act] != threat):
                continue
        elif not is_blank(threat) and threat not in threats.values():
            continue
        if not is_blank(row["recipient"]):
            who = [row["recipient"]] if row["recipient"] in kinds else []
        else:
            who = [r for r, k in kinds.items()
                   if is_blank(row["recipient_kind"]) or k == row["recipient_kind"]]
        found.setdefault(str(row["stream"]), set()).update(str(r) for r in who)
    return {s: sorted(r) for s, r in found.items()}


def _funded_years(problem: FundingProblem) -> dict[str, set[str]]:
    """Recipient -> the horizon years it is funded in (between its first and last year)."""
    out: dict[str, set[str]] = {}
    horizon = problem.horizon
    for r, first, last in zip(problem.recipients["recipient"], problem.recipients["first_year"],
                              problem.recipients["last_year"], strict=True):
        out[str(r)] = {y for y in horizon
                       if (is_blank(first) or year_start(str(first)) <= year_start(y))
                       and (is_blank(last) or year_start(y) <= year_start(str(last)))}
    return out


def _check_baseline(problem: FundingProblem, baseline_allocation: pd.DataFrame) -> pd.DataFrame:
    missing = {"recipient", "stream", "amount"} - set(baseline_allocation.columns)
    if missing:
        raise FundoptError(f"baseline allocation lacks columns {sorted(missing)}", code="FO-C04")
    table = baseline_allocation[["recipient", "stream", "amount"]].copy()
    if table.duplicated(["recipient", "stream"]).any():
        raise FundoptError("baseline allocation repeats a (recipient, stream) row", code="FO-C04")
    if (table["amount"].astype(float) < 0).any():
        raise FundoptError("baseline allocation has a negative amount", code="FO-C04")
    by_stream = recipients_by_stream(problem)
    for stream, grp in table.groupby("stream"):
        allowed = set(by_stream.get(str(stream), []))
        stray = sorted(set(grp["recipient"]) - allowed)
        if stray:
            raise FundoptError(
                f"stream '{stream}' cannot fund {', '.join(stray)} (see Eligibility), so their "
                "baseline cannot continue in it", code="FO-C04")
    known = problem.baselines.groupby("recipient")["amount"].sum()
    given = table.groupby("recipient")["amount"].sum()
    for recipient in sorted(set(known.index) | set(given.index)):
        a, b = float(known.get(recipient, 0.0)), float(given.get(recipient, 0.0))
        if abs(a - b) > 1.0:
            raise FundoptError(
                f"baseline allocation of '{recipient}' sums to £{b:,.0f} but its baseline is "
                f"£{a:,.0f}", code="FO-C04")
    return table


def _floor_for(floor_rates: FloorRates, stream: str, year: str) -> float | None:
    if floor_rates is None or isinstance(floor_rates, (int, float)):
        return None if floor_rates is None else float(floor_rates)
    return floor_rates.get((stream, year))


def todays_method(problem: FundingProblem, baseline_allocation: pd.DataFrame,
                  floor_rates: FloorRates = None) -> TodaysMethod:
    """Today's method for every stream and horizon year, each year building on the last.

    ``baseline_allocation`` (recipient, stream, amount in pounds) says which stream paid each
    recipient's baseline; it must add up to the problem's baselines. Each stream's pot is its
    envelope. Need shares are the recipients' ``need_weight`` among the recipients the stream
    can fund that year (so a stream funding several kinds needs weights on one scale); if any
    of them has no weight the stream keeps last year's shares. A recipient outside its
    first/last year gets nothing and its money is shared among the rest.
    """
    base = _check_baseline(problem, baseline_allocation)
    funded = _funded_years(problem)
    horizon = problem.horizon
    # looked up per stream below (53 streams on the reference model): plain dicts, made once
    weight = problem.recipients["need_weight"]
    unset = weight.map(is_blank)
    numbers = pd.to_numeric(weight.where(~unset), errors="coerce")
    blanks = dict(zip(problem.recipients["recipient"], unset, strict=True))
    weights = dict(zip(problem.recipients["recipient"], numbers, strict=True))
    envelopes = {(s, t): float(a) for s, t, a in zip(
        problem.envelopes["stream"], problem.envelopes["year"], problem.envelopes["amount"],
        strict=True)}
    baselines = {(r, s): float(a) for r, s, a in zip(
        base["recipient"], base["stream"], base["amount"], strict=True)}
    rows: list[dict[str, object]] = []
    steps: list[dict[str, object]] = []
    by_stream = recipients_by_stream(problem)
    for stream in sorted(problem.streams["stream"]):
        everyone = by_stream.get(stream, [])
        last = np.array([baselines.get((r, stream), 0.0) for r in everyone], dtype=float)
        blank = np.array([bool(blanks[r]) for r in everyone], dtype=bool)
        w_values = np.where(blank, 0.0, np.array([weights[r] for r in everyone], dtype=float))
        for year in horizon:
            active = np.array([year in funded[r] for r in everyone], dtype=bool)
            pot = envelopes[(stream, year)]
            if not active.any():
                steps.append({"stream": stream, "year": year, "pot": pot,
                              "floor_rate": math.nan, "scaling_factor": math.nan})
                continue
            prev = last[active]
            if blank[active].any():
                if prev.sum() <= 0:
                    raise FundoptError(
                        f"stream '{stream}' in {year}: recipients without a need_weight and no "
                        "allocation last year, so today's method is undefined", code="FO-C05")
                need = prev
            else:
                need = w_values[active]
            amounts, floor_rate, scaling = _damp(prev, need, pot,
                                                 _floor_for(floor_rates, stream, year),
                                                 stream, year)
            pounds = _round(amounts, round(pot))
            steps.append({"stream": stream, "year": year, "pot": pot,
                          "floor_rate": floor_rate, "scaling_factor": scaling})
            last = np.zeros(len(everyone))
            last[active] = pounds
            names = [r for r, on in zip(everyone, active, strict=True) if on]
            rows += [{"recipient": r, "activity": None, "stream": stream, "year": year,
                      "amount": int(v)} for r, v in zip(names, pounds, strict=True) if v != 0]
    allocations = pd.DataFrame(rows, columns=["recipient", "activity", "stream", "year", "amount"])
    return TodaysMethod(allocations.astype({"amount": "int64"}),
                        pd.DataFrame(steps, columns=["stream", "year", "pot", "floor_rate",
                                                     "scaling_factor"]))


def winners_and_losers(plan: Plan, baseline_allocation: pd.DataFrame,
                       floor_rates: FloorRates = None) -> pd.DataFrame:
    """The optimised plan beside today's method, per recipient and horizon year.

    Columns: recipient, name, kind, year, year_status (confirmed or indicative), optimised,
    todays_method, difference (optimised minus today's method, pounds) and difference_rate
    (difference as a fraction of today's method; blank where today's method gives
    nothing). Sorted by recipient and year.
    """
    return beside_todays_method(plan.problem, plan.allocations, baseline_allocation, floor_rates)


def beside_todays_method(problem: FundingProblem, allocations: pd.DataFrame,
                         baseline_allocation: pd.DataFrame,
                         floor_rates: FloorRates = None) -> pd.DataFrame:
    """As :func:`winners_and_losers`, for any allocations of ``problem`` (recipient, year,
    amount), such as one scenario's of a sweep."""
    today = todays_method(problem, baseline_allocation, floor_rates).allocations
    grid = pd.MultiIndex.from_product(
        [sorted(problem.recipients["recipient"]), list(problem.horizon)],
        names=["recipient", "year"])
    optimised = allocations.groupby(["recipient", "year"])["amount"].sum().reindex(
        grid, fill_value=0)
    comparator = today.groupby(["recipient", "year"])["amount"].sum().reindex(grid, fill_value=0)
    out = pd.DataFrame({"optimised": optimised.astype("int64"),
                        "todays_method": comparator.astype("int64")}).reset_index()
    out["difference"] = out["optimised"] - out["todays_method"]
    out["difference_rate"] = [
        d / t if t else math.nan
        for d, t in zip(out["difference"], out["todays_method"], strict=True)
    ]
    info = problem.recipients.set_index("recipient")[["name", "kind"]]
    out = out.join(info, on="recipient")
    indicative = set(problem.indicative_years)
    out["year_status"] = ["indicative" if y in indicative else "confirmed" for y in out["year"]]
    return out[list(COLUMNS)]


#: The columns of a winners-and-losers table.
COLUMNS: tuple[str, ...] = ("recipient", "name", "kind", "year", "year_status", "optimised",
                            "todays_method", "difference", "difference_rate")


def baseline_by_stream(problem: FundingProblem) -> pd.DataFrame | None:
    """Which stream paid each recipient's baseline (recipient, stream, amount), from the
    *Baselines* column ``stream``; None when some baseline row does not say (then today's
    method cannot be continued stream by stream)."""
    base = problem.baselines
    if "stream" not in base.columns or not len(base) or base["stream"].map(is_blank).any():
        return None
    out = base.groupby(["recipient", "stream"])["amount"].sum().reset_index()
    return pd.DataFrame(out, columns=["recipient", "stream", "amount"])


def against_todays_method(plan: Plan) -> pd.DataFrame:
    """The plan against today's method, per recipient and horizon year (the columns of
    :data:`COLUMNS`; empty when the problem does not say which stream paid each baseline).

    Today's method continues each stream's baseline shares at the stream's change (the floor
    at the average change, as the police settlement sets it), so a difference is what the
    optimised plan does that the uniform settlement would not."""
    base = baseline_by_stream(plan.problem)
    if base is None:
        return pd.DataFrame(columns=list(COLUMNS))
    return winners_and_losers(plan, base)


def scenarios_against_todays_method(problem: FundingProblem, scenarios: Sequence[Scenario],
                                    allocations: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Each scenario's allocations (a sweep's tidy ``allocations``, with a ``scenario``
    column; the base is named ``base``) against today's method on that scenario's problem.
    Scenarios with no allocations (not solved, or solved by the LP alone) are left out."""
    out: dict[str, pd.DataFrame] = {}
    problems = {"base": problem, **{s.name: s.apply(problem) for s in scenarios}}
    for name, p in problems.items():
        mine = allocations.loc[allocations["scenario"] == name]
        base = baseline_by_stream(p)
        if len(mine) and base is not None:
            out[name] = beside_todays_method(p, mine, base)
    return out


def largest(table: pd.DataFrame, n: int = 3, *, kind: str | None = "force"
            ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The ``n`` largest winners and losers over the horizon (recipient, name, kind,
    optimised, todays_method, difference, difference_rate), of one kind (None = any)."""
    t = table if kind is None else table.loc[table["kind"] == kind]
    cols = ["recipient", "name", "kind"]
    total = t.groupby(cols, as_index=False)[["optimised", "todays_method", "difference"]].sum()
    total["difference_rate"] = [d / m if m else math.nan for d, m in
                                zip(total["difference"], total["todays_method"], strict=True)]
    ordered = total.sort_values(["difference", "recipient"], ascending=[False, True])
    winners = ordered.loc[ordered["difference"] > 0].head(n)
    losers = ordered.loc[ordered["difference"] < 0].sort_values(
        ["difference", "recipient"]).head(n)
    return winners.reset_index(drop=True), losers.reset_index(drop=True)
