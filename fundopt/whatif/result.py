"""A sweep's result: scenario outcomes as tidy tables, each set against the base plan."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from fundopt.plan import Plan
from fundopt.whatif.outcome import ScenarioOutcome, ScenarioStatus

ALLOCATION_COLUMNS = ["scenario", "recipient", "activity", "stream", "year", "amount"]
CHANGE_COLUMNS = ["scenario", "recipient", "year", "base", "amount", "change"]


@dataclass(frozen=True)
class SweepResult:
    """Scenario results as tidy tables.

    - ``summary``: one row per scenario: status, how it was solved, objective and its change
      on the base, allocation per year (``total <year>`` columns, £), the number of binding
      rules and the main ones (largest shadow prices), what moved against the base (``gained``
      and ``lost``: pounds more / less, summed over recipients and years; ``moved`` = both),
      the biggest winner and loser (recipient and pounds over the horizon), iterations,
      seconds, the message (and diagnosis) of a scenario that was not solved, and its
      optimality certificate: ``certified`` (the LP's answer proved the best),
      ``duality_gap`` (pounds of value) and ``resolved_cold`` (HiGHS's first answer failed
      the certificate, so the LP was loaded afresh and solved from scratch).
    - ``allocations``: scenario, recipient, activity, stream, year, amount (whole £).
    - ``changes``: scenario, recipient, year, base, amount, change (allocation totals, £).
    - ``binding``: scenario, family, rule, description, shadow_price.
    - ``shadow_prices``: scenario, family, rule, value (non-zero prices only).
    - ``plans``: each solved scenario's :class:`~fundopt.Plan` (base included), when asked
      for with ``keep_plans=True``; empty otherwise.
    """

    base: ScenarioOutcome
    outcomes: tuple[ScenarioOutcome, ...]
    summary: pd.DataFrame
    allocations: pd.DataFrame
    changes: pd.DataFrame
    binding: pd.DataFrame
    shadow_prices: pd.DataFrame
    plans: Mapping[str, Plan] = field(default_factory=dict)

    def shadow_price(self, rule: str) -> pd.Series:
        """The shadow price of one rule per scenario (0 where it does not bind, blank where
        the scenario was not solved), e.g. ``result.shadow_price("envelope[core,2027-28]")``."""
        sp_ = self.shadow_prices
        found = sp_.loc[sp_["rule"] == rule].set_index("scenario")["value"]
        solved = self.summary.set_index("scenario")["status"] == ScenarioStatus.OPTIMAL.value
        out = found.reindex(solved.index).astype(float).fillna(0.0)
        return out.where(solved).rename(rule)

    @property
    def objective(self) -> pd.Series:
        return self.summary.set_index("scenario")["objective"]

    def _repr_html_(self) -> str:
        counts = self.summary["status"].value_counts().to_dict()
        head = f"<b>fundopt sweep</b>: {len(self.summary)} scenarios ({counts})"
        cols = ["scenario", "status", "objective", "objective_change", "moved",
                "biggest_winner", "biggest_loser"]
        return head + self.summary[cols].head(20).to_html(index=False, float_format=lambda v:
                                                            f"{v:,.0f}")


def collect(base: ScenarioOutcome, outcomes: Sequence[ScenarioOutcome],
            horizon: Sequence[str], plans: Mapping[str, Plan] | None = None) -> SweepResult:
    """Tidy tables from scenario outcomes (the base's allocations are the reference)."""

    def tag(outcome: ScenarioOutcome, table: pd.DataFrame) -> pd.DataFrame:
        return table.assign(scenario=outcome.scenario)

    allocations = _concat([tag(o, o.allocations) for o in outcomes], ALLOCATION_COLUMNS)
    allocations["amount"] = allocations["amount"].astype("int64")
    binding = _concat([tag(o, o.binding) for o in outcomes],
                      ["scenario", "family", "rule", "description", "shadow_price"])
    prices = _concat([tag(o, o.shadow_prices) for o in outcomes],
                     ["scenario", "family", "rule", "value"])
    base_by = base.allocations.groupby(["recipient", "year"])["amount"].sum()
    change_frames, rows = [], []
    for o in outcomes:
        row = _summary_row(o, base, horizon)
        if o.status is ScenarioStatus.OPTIMAL and o.whole_pounds and \
                base.status is ScenarioStatus.OPTIMAL:
            changes, moves = _against_base(o, base_by)
            change_frames.append(changes)
            row.update(moves)
        row.update(iterations=o.iterations, seconds=o.seconds, overrides=o.overrides,
                   message=o.message, diagnosis=o.diagnosis)
        rows.append(row)
    summary = pd.DataFrame(rows)
    changes = _concat(change_frames, CHANGE_COLUMNS)
    return SweepResult(base, tuple(outcomes), summary, allocations, changes, binding, prices,
                       dict(plans or {}))


def _summary_row(o: ScenarioOutcome, base: ScenarioOutcome, horizon: Sequence[str]
                 ) -> dict[str, Any]:
    """A scenario's row of the summary, with what moved against the base left blank."""
    row: dict[str, Any] = {
        "scenario": o.scenario, "status": o.status.value, "method": o.method.value,
        "objective": o.objective, "objective_change": o.objective - base.objective,
    }
    by_year = o.allocations.groupby("year")["amount"].sum()
    for y in horizon:
        row[f"total {y}"] = int(by_year.get(y, 0)) \
            if o.status is ScenarioStatus.OPTIMAL and o.whole_pounds else math.nan
    b = o.binding.reindex(o.binding["shadow_price"].abs().sort_values(
        ascending=False, kind="stable").index)
    row["binding_rules"] = len(o.binding) if o.status is ScenarioStatus.OPTIMAL else math.nan
    row["main_binding"] = "; ".join(b.loc[b["shadow_price"] != 0, "rule"].head(3))
    row.update(gained=math.nan, lost=math.nan, moved=math.nan, biggest_winner="",
               biggest_winner_change=math.nan, biggest_loser="", biggest_loser_change=math.nan)
    # the optimality certificate: proved the best, how closely, and whether it took a
    # cold re-solve (docs/formulation.md, "Optimality certificate")
    row.update(certified=o.certified, duality_gap=o.duality_gap, resolved_cold=o.resolved_cold)
    return row


def _against_base(o: ScenarioOutcome, base_by: pd.Series) -> tuple[pd.DataFrame, dict[str, Any]]:
    """A solved scenario's allocation totals per recipient and year against the base's,
    and what moved: pounds gained and lost, the biggest winner and loser."""
    mine = o.allocations.groupby(["recipient", "year"])["amount"].sum()
    keys = base_by.index.union(mine.index)
    before = base_by.reindex(keys, fill_value=0).astype("int64")
    after = mine.reindex(keys, fill_value=0).astype("int64")
    diff = after - before
    changes = pd.DataFrame({
        "scenario": o.scenario, "recipient": keys.get_level_values(0),
        "year": keys.get_level_values(1), "base": before.to_numpy(),
        "amount": after.to_numpy(), "change": diff.to_numpy()})
    per_recipient = diff.groupby(level=0).sum().sort_index()
    gained, lost = int(diff[diff > 0].sum()), int(-diff[diff < 0].sum())
    moves: dict[str, Any] = {"gained": gained, "lost": lost, "moved": gained + lost}
    if len(per_recipient) and per_recipient.max() > 0:
        moves.update(biggest_winner=str(per_recipient.idxmax()),
                     biggest_winner_change=int(per_recipient.max()))
    if len(per_recipient) and per_recipient.min() < 0:
        moves.update(biggest_loser=str(per_recipient.idxmin()),
                     biggest_loser_change=int(per_recipient.min()))
    return changes, moves


def _concat(frames: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
    frames = [f[columns] for f in frames if len(f)]
    if not frames:
        return pd.DataFrame(columns=columns)
    return pd.concat(frames, ignore_index=True)
