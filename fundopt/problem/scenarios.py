"""What-if scenarios: a name plus typed overrides of a problem.

>>> import fundopt as fo
>>> cut = fo.Scenario("core -5%", (fo.ScaleEnvelope("core", None, 0.95),))
>>> variant = cut.apply(problem)  # doctest: +SKIP

An override never touches the problem it is applied to: :meth:`Scenario.apply` returns
a new, validated :class:`~fundopt.FundingProblem`. Money is in pounds, rates are fractions
(5% is 0.05). An override that matches nothing (a stream with no envelope in that year, a
contributor who pays nothing) is an error rather than a silent no-op.

The overrides, and what each does to the tables:

- :class:`ScaleEnvelope` / :class:`SetEnvelope`: a stream's envelope amounts (*Envelopes*).
- :class:`SetCliffEdge`: the largest year-on-year fall (*Cliff-edge limits*).
- :class:`SetShareTarget`: a strand or threat's least share (*Share targets*).
- :class:`RemoveContribution`: a PCC withdraws some or all of what it pays a regional
  unit (rows of *Other income* naming that contributor).
- :class:`ScaleIncome`: other income up or down (*Other income*).
- :class:`AddCommitment`: a new multi-year promise (*Commitments*).
- :class:`SetNeedWeight`: a recipient's needs target (*Recipients*, need_weight).
- :class:`SetSetting`: a numeric setting, e.g. ``need_penalty``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from fundopt.errors import InputError, Issue, UsageError, expect
from fundopt.problem.funding_problem import TABLE_NAMES, FundingProblem, Settings
from fundopt.problem.schema import TABLES_BY_NAME, ColumnKind, ShareScope

#: Sheet column of each override field, and how the cell is read. ``value`` holds an
#: override's main number: a factor, an amount (in the template's money unit) or a rate.
SHEET_COLUMNS: tuple[str, ...] = (
    "scenario", "override", "stream", "recipient", "contributor", "activity", "strand",
    "threat", "scope", "year", "last_year", "source", "setting", "value", "penalty",
)


@dataclass
class Draft:
    """Tables and settings being edited by a scenario's overrides (copies, never the base)."""

    tables: dict[str, pd.DataFrame]
    settings: Settings

    def table(self, name: str) -> pd.DataFrame:
        return self.tables[name]

    def put(self, name: str, table: pd.DataFrame) -> None:
        # the index (a row's position in the workbook) is kept, so messages name its cell
        self.tables[name] = table

    def add_row(self, name: str, row: Mapping[str, Any]) -> None:
        table = self.tables[name]
        columns = list(TABLES_BY_NAME[name].column_names)
        position = int(table.index.max()) + 1 if len(table) else 0
        new = pd.DataFrame([{c: row.get(c) for c in columns}], columns=columns, dtype=object,
                           index=[position])
        self.put(name, pd.concat([table.astype(object), new]) if len(table) else new)


ENVELOPE_HINT = "check the stream id and year (sheet Envelopes)"


def _fail(override: Override, message: str, hint: str = "") -> InputError:
    return InputError([Issue(message=f"{override.describe()}: {message}", hint=hint,
                             code="FO-S01")])


def _match(table: pd.DataFrame, **where: Any) -> pd.Series:
    """Rows where each given column equals its value (``None`` values are ignored)."""
    mask = pd.Series(True, index=table.index)
    for column, value in where.items():
        if value is not None:
            mask &= table[column] == value
    return mask


def _blank_or(column: pd.Series, value: str | None) -> pd.Series:
    """Rows whose cell is blank (for ``None``) or equals ``value``."""
    return column.isna() if value is None else column == value


@dataclass(frozen=True)
class Override:
    """Base of every override: one change to a problem's tables or settings."""

    kind: ClassVar[str] = ""
    #: (field, sheet column, how the cell is read), in the order fields are declared
    columns: ClassVar[tuple[tuple[str, str, ColumnKind], ...]] = ()

    def edit(self, draft: Draft) -> None:  # pragma: no cover - every override defines it
        raise NotImplementedError

    def describe(self) -> str:
        """The override in words, for messages and summaries."""
        parts = [f"{f.name}={getattr(self, f.name)!r}" for f in fields(self)]
        return f"{self.kind}({', '.join(parts)})"


@dataclass(frozen=True)
class ScaleEnvelope(Override):
    """Multiply a stream's envelope by ``factor`` in ``year`` (``None``: every year)."""

    stream: str
    year: str | None
    factor: float
    kind: ClassVar[str] = "scale_envelope"
    columns: ClassVar[tuple[tuple[str, str, ColumnKind], ...]] = (
        ("stream", "stream", ColumnKind.REF), ("year", "year", ColumnKind.YEAR),
        ("factor", "value", ColumnKind.RATIO))

    def edit(self, draft: Draft) -> None:
        _edit_envelopes(self, draft)

    def amounts(self, streams: np.ndarray, years: np.ndarray,
                amounts: np.ndarray) -> np.ndarray | None:
        """The *Envelopes* amounts after this override (None if no row matches)."""
        mask = _envelope_mask(streams, years, self.stream, self.year)
        with np.errstate(over="ignore"):  # a huge factor gives inf, which validation refuses
            return np.where(mask, amounts * float(self.factor), amounts) if mask.any() else None


@dataclass(frozen=True)
class SetEnvelope(Override):
    """Set a stream's envelope in a year to ``amount`` pounds."""

    stream: str
    year: str
    amount: float
    kind: ClassVar[str] = "set_envelope"
    columns: ClassVar[tuple[tuple[str, str, ColumnKind], ...]] = (
        ("stream", "stream", ColumnKind.REF), ("year", "year", ColumnKind.YEAR),
        ("amount", "value", ColumnKind.MONEY))

    def edit(self, draft: Draft) -> None:
        _edit_envelopes(self, draft)

    def amounts(self, streams: np.ndarray, years: np.ndarray,
                amounts: np.ndarray) -> np.ndarray | None:
        """The *Envelopes* amounts after this override (None if no row matches)."""
        mask = _envelope_mask(streams, years, self.stream, self.year)
        return np.where(mask, float(self.amount), amounts) if mask.any() else None


EnvelopeOverride = ScaleEnvelope | SetEnvelope  # change envelope amounts only


def _envelope_mask(streams: np.ndarray, years: np.ndarray, stream: str,
                   year: str | None) -> np.ndarray:
    mask = streams == stream
    return mask & (years == year) if year is not None else mask


def _edit_envelopes(override: EnvelopeOverride, draft: Draft) -> None:
    env = draft.table("envelopes").copy()
    new = override.amounts(env["stream"].to_numpy(dtype=object),
                           env["year"].to_numpy(dtype=object),
                           pd.to_numeric(env["amount"]).to_numpy(dtype=float))
    if new is None:
        raise _fail(override, "no envelope matches", ENVELOPE_HINT)
    env["amount"] = new
    draft.put("envelopes", env)


@dataclass(frozen=True)
class SetCliffEdge(Override):
    """Set the largest year-on-year fall in total funding to ``max_fall_rate``.

    For one recipient (a row of its own is added if it has none, keeping the default's rise
    limit and penalty), or with ``recipient=None`` for everyone: the default row and every
    recipient's own row.
    """

    recipient: str | None
    max_fall_rate: float
    kind: ClassVar[str] = "set_cliff_edge"
    columns: ClassVar[tuple[tuple[str, str, ColumnKind], ...]] = (
        ("recipient", "recipient", ColumnKind.REF), ("max_fall_rate", "value", ColumnKind.SHARE))

    def edit(self, draft: Draft) -> None:
        table = draft.table("cliff_edges").copy()
        rate = float(self.max_fall_rate)
        if self.recipient is None:
            if not len(table):
                draft.add_row("cliff_edges", {"recipient": None, "max_fall_rate": rate})
                return
            table["max_fall_rate"] = rate
            draft.put("cliff_edges", table)
            return
        own = table["recipient"] == self.recipient
        if own.any():
            table.loc[own, "max_fall_rate"] = rate
            draft.put("cliff_edges", table)
            return
        default = table.loc[table["recipient"].isna()]
        rise = default["max_rise_rate"].iloc[0] if len(default) else None
        penalty = default["penalty"].iloc[0] if len(default) else None
        draft.add_row("cliff_edges", {"recipient": self.recipient, "max_fall_rate": rate,
                                      "max_rise_rate": rise, "penalty": penalty})


@dataclass(frozen=True)
class SetShareTarget(Override):
    """Set the least share of a strand (and/or threat) in a year; adds the target if new."""

    strand: str | None
    threat: str | None
    scope: str
    year: str
    min_share: float
    kind: ClassVar[str] = "set_share_target"
    columns: ClassVar[tuple[tuple[str, str, ColumnKind], ...]] = (
        ("strand", "strand", ColumnKind.ENUM), ("threat", "threat", ColumnKind.ENUM),
        ("scope", "scope", ColumnKind.ENUM), ("year", "year", ColumnKind.YEAR),
        ("min_share", "value", ColumnKind.SHARE))

    def edit(self, draft: Draft) -> None:
        ShareScope(self.scope)  # a clear ValueError for a mistyped scope
        table = draft.table("share_targets").copy()
        mask = (_blank_or(table["strand"], self.strand) & _blank_or(table["threat"], self.threat)
                & (table["scope"] == self.scope) & (table["year"] == self.year))
        if mask.any():
            table.loc[mask, "min_share"] = float(self.min_share)
            draft.put("share_targets", table)
            return
        draft.add_row("share_targets", {"strand": self.strand, "threat": self.threat,
                                        "scope": self.scope, "year": self.year,
                                        "min_share": float(self.min_share)})


@dataclass(frozen=True)
class RemoveContribution(Override):
    """A contributor (a force, for its PCC) withdraws ``share`` of what it pays.

    Scales down the *Other income* rows naming ``contributor``, to ``recipient`` only or
    (``None``) to everyone it pays, in every year of the horizon (the baseline year's
    income is history and stays). ``share=0.72`` withdraws 72%.
    """

    contributor: str
    recipient: str | None = None
    share: float = 1.0
    kind: ClassVar[str] = "remove_contribution"
    columns: ClassVar[tuple[tuple[str, str, ColumnKind], ...]] = (
        ("contributor", "contributor", ColumnKind.REF), ("recipient", "recipient", ColumnKind.REF),
        ("share", "value", ColumnKind.SHARE))

    def edit(self, draft: Draft) -> None:
        if not 0.0 <= float(self.share) <= 1.0:
            raise _fail(self, "share must be between 0 and 1 (e.g. 0.72 for 72%)")
        income = draft.table("other_income").copy()
        horizon = _horizon(draft)
        mask = _match(income, contributor=self.contributor, recipient=self.recipient)
        mask &= income["year"].isin(horizon)
        if not mask.any():
            raise _fail(self, "no other income in the horizon comes from this contributor",
                        "check the contributor column of sheet Other income")
        kept = 1 - float(self.share)
        income.loc[mask, "amount"] = income.loc[mask, "amount"].astype(float) * kept
        draft.put("other_income", income)


@dataclass(frozen=True)
class ScaleIncome(Override):
    """Multiply other income by ``factor``: one recipient's or everyone's (``None``), in one
    year or every horizon year (``None``), from one source or all (``None``)."""

    recipient: str | None
    year: str | None
    factor: float
    source: str | None = None
    kind: ClassVar[str] = "scale_income"
    columns: ClassVar[tuple[tuple[str, str, ColumnKind], ...]] = (
        ("recipient", "recipient", ColumnKind.REF), ("year", "year", ColumnKind.YEAR),
        ("factor", "value", ColumnKind.RATIO), ("source", "source", ColumnKind.TEXT))

    def edit(self, draft: Draft) -> None:
        income = draft.table("other_income").copy()
        mask = _match(income, recipient=self.recipient, year=self.year, source=self.source)
        if self.year is None:
            mask &= income["year"].isin(_horizon(draft))
        if not mask.any():
            raise _fail(self, "no other income matches", "check sheet Other income")
        income.loc[mask, "amount"] = income.loc[mask, "amount"].astype(float) * float(self.factor)
        draft.put("other_income", income)


@dataclass(frozen=True)
class AddCommitment(Override):
    """Promise ``amount`` pounds a year to a recipient's activity from ``first_year`` to
    ``last_year`` (from ``stream`` only, or any stream); a hard rule unless ``penalty``."""

    recipient: str
    activity: str
    first_year: str
    last_year: str
    amount: float
    stream: str | None = None
    penalty: float | None = None
    kind: ClassVar[str] = "add_commitment"
    columns: ClassVar[tuple[tuple[str, str, ColumnKind], ...]] = (
        ("recipient", "recipient", ColumnKind.REF), ("activity", "activity", ColumnKind.REF),
        ("first_year", "year", ColumnKind.YEAR), ("last_year", "last_year", ColumnKind.YEAR),
        ("amount", "value", ColumnKind.MONEY), ("stream", "stream", ColumnKind.REF),
        ("penalty", "penalty", ColumnKind.PENALTY))

    def edit(self, draft: Draft) -> None:
        draft.add_row("commitments", {
            "recipient": self.recipient, "activity": self.activity, "stream": self.stream,
            "first_year": self.first_year, "last_year": self.last_year,
            "amount": float(self.amount), "penalty": self.penalty})


@dataclass(frozen=True)
class SetNeedWeight(Override):
    """Set a recipient's ``need_weight`` (its needs target, *Recipients*): how the plan
    moves as the needs target moves."""

    recipient: str
    weight: float
    kind: ClassVar[str] = "set_need_weight"
    columns: ClassVar[tuple[tuple[str, str, ColumnKind], ...]] = (
        ("recipient", "recipient", ColumnKind.REF), ("weight", "value", ColumnKind.NUMBER))

    def edit(self, draft: Draft) -> None:
        rec = draft.table("recipients").copy()
        mask = rec["recipient"] == self.recipient
        if not mask.any():
            raise _fail(self, "no such recipient", "check sheet Recipients")
        if "need_weight" not in rec.columns:
            rec["need_weight"] = None
        rec["need_weight"] = rec["need_weight"].astype(object)
        rec.loc[mask, "need_weight"] = float(self.weight)
        draft.put("recipients", rec)


#: Settings a scenario may change (the numeric ones).
NUMERIC_SETTINGS: tuple[str, ...] = ("need_penalty", "volatility_penalty", "terminal_fall_share",
                                     "time_limit_seconds")


@dataclass(frozen=True)
class SetSetting(Override):
    """Set a numeric setting, e.g. ``SetSetting("need_penalty", 0.1)``."""

    setting: str
    value: float
    kind: ClassVar[str] = "set_setting"
    columns: ClassVar[tuple[tuple[str, str, ColumnKind], ...]] = (
        ("setting", "setting", ColumnKind.TEXT), ("value", "value", ColumnKind.NUMBER))

    def edit(self, draft: Draft) -> None:
        if self.setting not in NUMERIC_SETTINGS:
            raise _fail(self, "not a setting a scenario can change",
                        f"use one of {', '.join(NUMERIC_SETTINGS)}")
        changes: dict[str, Any] = {self.setting: float(self.value)}
        draft.settings = replace(draft.settings, **changes)


OVERRIDES: tuple[type[Override], ...] = (
    ScaleEnvelope, SetEnvelope, SetCliffEdge, SetShareTarget, RemoveContribution, ScaleIncome,
    AddCommitment, SetNeedWeight, SetSetting,
)
OVERRIDES_BY_KIND: dict[str, type[Override]] = {o.kind: o for o in OVERRIDES}


def _horizon(draft: Draft) -> list[str]:
    years = draft.table("years")
    return [str(y) for y, b in zip(years["year"], years["baseline"], strict=True) if not b]


@dataclass(frozen=True)
class Scenario:
    """A named set of overrides, applied in order to a copy of a problem."""

    name: str
    overrides: tuple[Override, ...] = field(default=())

    def __post_init__(self) -> None:
        if isinstance(self.overrides, str | Override) or not isinstance(self.overrides, Iterable):
            raise UsageError(f"scenario {self.name!r}: overrides must be a list of changes "
                             f"such as fo.ScaleEnvelope(...), not {self.overrides!r:.60}")
        object.__setattr__(self, "overrides", tuple(self.overrides))
        for o in self.overrides:
            expect(o, Override, f"an override of scenario {self.name!r}",
                   "use fo.ScaleEnvelope, fo.SetEnvelope, fo.SetCliffEdge, ... (docs)")
        if not str(self.name).strip():
            raise ValueError("a scenario needs a name")

    def apply(self, problem: FundingProblem) -> FundingProblem:
        """The problem with this scenario's overrides (validated); ``problem`` is untouched."""
        if not self.overrides:
            return problem
        draft = Draft({n: t.copy() for n, t in problem.tables().items()}, problem.settings)
        for override in self.overrides:
            override.edit(draft)
        changed = {n: draft.tables[n] for n in TABLE_NAMES
                   if draft.tables[n] is not getattr(problem, n)}
        try:
            return problem.replace(**changed, settings=draft.settings)
        except InputError as e:
            raise InputError([replace(i, message=f"scenario '{self.name}': {i.message}")
                              for i in e.issues], source=e.source) from None

    def describe(self) -> str:
        return "; ".join(o.describe() for o in self.overrides) or "no changes"


def scenarios_from(items: Iterable[Scenario | tuple[str, Iterable[Override]]]
                   ) -> tuple[Scenario, ...]:
    """Scenarios from scenarios or (name, overrides) pairs, checking names are unique."""
    out = tuple(s if isinstance(s, Scenario) else Scenario(s[0], tuple(s[1])) for s in items)
    seen: set[str] = set()
    for s in out:
        if s.name in seen:
            raise ValueError(f"two scenarios are named '{s.name}'; names must be unique")
        seen.add(s.name)
    return out


__all__ = [
    "OVERRIDES",
    "OVERRIDES_BY_KIND",
    "SHEET_COLUMNS",
    "AddCommitment",
    "Override",
    "RemoveContribution",
    "ScaleEnvelope",
    "ScaleIncome",
    "Scenario",
    "SetCliffEdge",
    "SetEnvelope",
    "SetNeedWeight",
    "SetSetting",
    "SetShareTarget",
    "scenarios_from",
]
