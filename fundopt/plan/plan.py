"""Plan: the result of a solve, as plain pandas tables (never Pyomo objects)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from types import MappingProxyType
from typing import Any

import pandas as pd

from fundopt._support import reduce_frozen
from fundopt.explain.bands import empty_bands
from fundopt.explain.ranging import empty_sensitivity
from fundopt.explain.reasons import empty_reasons
from fundopt.formulation.own_rules import OwnRule
from fundopt.problem import FundingProblem
from fundopt.solver.certificate import Certificate

TIER_COLUMNS = ["tier", "goals", "measure", "sense", "optimum", "achieved", "give_allowed",
                "give_used", "certified"]


class PlanStatus(StrEnum):
    OPTIMAL = "optimal"
    RELAXED = "relaxed"  # the rules could not all hold; promises were broken at least cost


@dataclass(frozen=True)
class SolverInfo:
    """How the plan was found: versions, options, size and times (seconds)."""

    solver: str = "HiGHS"
    highs_version: str = ""
    options: Mapping[str, object] = field(default_factory=dict)
    variables: int = 0
    constraints: int = 0
    nonzeros: int = 0
    iterations: int = 0
    money_scale: float = 1.0
    times: Mapping[str, float] = field(default_factory=dict)
    rounding: str = ""  # how whole-pound rounding was reconciled
    log_warnings: tuple[str, ...] = ()
    #: HiGHS's first answer failed the optimality certificate, so the LP was solved again
    #: from scratch (``Plan.certificate`` is the second answer's)
    resolved_cold: bool = False


@dataclass(frozen=True)
class Plan:
    """A verified multi-year allocation.

    Money is in whole pounds. Tables:

    - ``allocations``: recipient, activity, stream, year, amount (non-zero rows only);
    - ``totals``: recipient, year (baseline year included), allocation, other_income,
      total_funding, change_rate (on the year before), fall_limit_rate, headroom (pounds
      the total could still fall before its cliff-edge limit binds);
    - ``stream_use``: stream, year, envelope, carry_in, spent, carry_out, unspent;
    - ``carry_forward``: stream, year, amount carried out of that year into the next;
    - ``shadow_prices``: family, rule, description, year, value (objective value of one
      more pound on the rule's limit: for an envelope, the value of one more pound in it);
    - ``binding``: family, rule, description (the rules the plan meets exactly);
    - ``breaches``: soft rules broken, with amount and penalty (empty unless negotiable
      rules were broken, or the plan is ``RELAXED``);
    - ``checks``: every rule re-checked by :func:`fundopt.verify` on the rounded plan,
      then the optimality certificate's row (family ``optimality``);
    - ``reasons``: recipient, name, year, allocated, reason (a
      :class:`~fundopt.ReasonCode`), words, rule, sheet, cell: what set each number
      (empty from a sweep);
    - ``sensitivity``: family, rule, description, year, limit, shadow_price,
      allowable_increase, allowable_decrease, objective_at_increase,
      objective_at_decrease, sheet, cell: for each envelope and binding rule, the range of
      its limit over which its shadow price holds (empty from a sweep);
    - ``bands``: recipient, name, activity, stream, year, allocated, least, most, width,
      set_by_rules: the least and most each could get among plans as good as this one
      (empty unless asked for: ``solve(problem, bands=True)``);
    - ``tiers``: what was optimised, tier by tier: tier, goals, measure (in words), sense
      (maximised or minimised), optimum, achieved (in this plan), give_allowed and
      give_used (in the tier's own measure: pounds, or the stability score), certified
      (each tier's LP proved optimal); docs/formulation.md, "Priority tiers".
      ``objective``, ``objective_terms``, shadow prices and binding rules describe tier 1,
      the policy.

    ``own_rules`` are the analyst's own rules it was solved with
    (``solve(problem, extra_rules=...)``); :func:`fundopt.verify` checks them too. The
    tables' columns and display names are in docs/formulation.md ("Bands", "Reasons",
    "Ranging").

    ``certificate`` proves the LP behind the plan was solved to optimality, from the LP's
    own matrix and HiGHS's duals, and states the cost of whole pounds against the LP's
    bound (:class:`~fundopt.solver.certificate.Certificate`; None only for a Plan made by
    hand).
    """

    problem: FundingProblem
    status: PlanStatus
    objective: float
    objective_terms: Mapping[str, float]
    allocations: pd.DataFrame
    totals: pd.DataFrame
    stream_use: pd.DataFrame
    carry_forward: pd.DataFrame
    shadow_prices: pd.DataFrame
    binding: pd.DataFrame
    breaches: pd.DataFrame
    checks: pd.DataFrame
    solver: SolverInfo = field(default_factory=SolverInfo)
    certificate: Certificate | None = None
    reasons: pd.DataFrame = field(default_factory=empty_reasons)
    sensitivity: pd.DataFrame = field(default_factory=empty_sensitivity)
    bands: pd.DataFrame = field(default_factory=empty_bands)
    own_rules: tuple[OwnRule, ...] = ()
    tiers: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=TIER_COLUMNS))

    def __post_init__(self) -> None:
        object.__setattr__(self, "objective_terms", MappingProxyType(dict(self.objective_terms)))

    def __reduce__(self) -> tuple[Any, ...]:
        return reduce_frozen(self)

    @property
    def fingerprint(self) -> str:
        """SHA-256 of the allocations in canonical order: equal plans, equal fingerprints."""
        rows = self.allocations.sort_values(["recipient", "activity", "stream", "year"])
        text = "\n".join(
            f"{r}|{a}|{s}|{y}|{int(v)}"
            for r, a, s, y, v in rows[
                ["recipient", "activity", "stream", "year", "amount"]
            ].itertuples(index=False, name=None)
        )
        return hashlib.sha256(text.encode()).hexdigest()

    @property
    def passed(self) -> bool:
        """True when every rule check passed (the master check)."""
        return bool(self.checks["passed"].all()) if len(self.checks) else True

    def by_year(self) -> pd.DataFrame:
        """Allocation per recipient (rows) and year (columns), in pounds."""
        return self.allocations.pivot_table(
            index="recipient", columns="year", values="amount", aggfunc="sum", fill_value=0
        ).astype("int64")

    @cached_property
    def against_todays_method(self) -> pd.DataFrame:
        """The plan against today's method, per recipient and horizon year: recipient,
        name, kind, year, year_status (confirmed or indicative), optimised, todays_method,
        difference and difference_rate (pounds; empty when the problem's *Baselines* do not
        say which stream paid each baseline). See
        :func:`fundopt.explain.todays_method.against_todays_method`. Worked out on first
        use (about 0.4 s on the reference model) and kept."""
        from fundopt.explain.todays_method import against_todays_method

        return against_todays_method(self)

    @cached_property
    def settlement(self) -> pd.DataFrame:
        """What the plan promises, per recipient and funded year: recipient, name, kind,
        year, status (confirmed: the next re-plan holds it; indicative: a planning figure),
        allocation, tolerance_share, at_least and at_most (the least and most the next
        re-plan may give: :func:`fundopt.plan.changes.settlement_table`)."""
        from fundopt.plan.changes import settlement_table

        return settlement_table(self)

    @cached_property
    def changes(self) -> pd.DataFrame:
        """A re-plan against the plan it started from (``fundopt.replan``), per recipient
        and year: recipient, name, kind, year, previous_status, previous, new, change,
        change_rate, tolerance_share, reason (a :class:`~fundopt.ChangeReason`) and words;
        empty when the plan is not a re-plan (:func:`fundopt.plan.changes.changes_table`)."""
        from fundopt.plan.changes import changes_table

        return changes_table(self)

    @cached_property
    def certainty(self) -> pd.DataFrame:
        """What each recipient can rely on: recipient, name, kind, confirmed and
        indicative (its money over the horizon), confirmed_share, may_move (the most the
        next re-plan may move its indicative money within tolerance) and, for a re-plan,
        largest_change, largest_change_rate and largest_change_year against the previous
        plan (:func:`fundopt.plan.changes.certainty_table`)."""
        from fundopt.plan.changes import certainty_table

        return certainty_table(self)

    def _repr_html_(self) -> str:
        years = self.allocations.groupby("year")["amount"].sum()
        head = (
            f"<b>fundopt plan</b> for <i>{self.problem.settings.name}</i>: "
            f"{self.status.value}, objective {self.objective:,.2f}, "
            f"{len(self.binding)} binding rules, checks {'passed' if self.passed else 'FAILED'}"
        )
        table = years.to_frame("allocated (£)").to_html(float_format=lambda v: f"{v:,.0f}")
        return head + table + self._tiers_html()

    def _tiers_html(self) -> str:
        """What was optimised, tier by tier, as a small table."""
        if not len(self.tiers):
            return ""
        shown = self.tiers[["tier", "measure", "sense", "optimum", "achieved",
                            "give_allowed"]].rename(columns={
                                "optimum": "best", "achieved": "this plan",
                                "give_allowed": "give allowed"})
        return ("<p>Optimised tier by tier (each tier's own measure; the tiers before it "
                "held within their give):</p>"
                + shown.to_html(index=False, na_rep="", float_format=lambda v: f"{v:,.0f}"))

    def __repr__(self) -> str:
        tiers = "; ".join(f"tier {int(r['tier'])} {r['sense'][:3]} {r['goals']}"
                          for r in self.tiers.to_dict("records"))
        return (
            f"Plan(status={self.status.value}, objective={self.objective:,.2f}, "
            f"allocations={len(self.allocations)} rows, "
            f"total=£{int(self.allocations['amount'].sum()):,}"
            + (f", tiers: {tiers}" if tiers else "") + ")"
        )
