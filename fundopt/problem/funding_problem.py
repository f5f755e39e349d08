"""FundingProblem: the validated input of a multi-year allocation."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import pandas as pd

from fundopt.errors import InputError, Issue, Severity
from fundopt.problem.schema import TABLES, TABLES_BY_NAME, MoneyUnit

if TYPE_CHECKING:
    from fundopt.problem.priorities import Tier

TABLE_NAMES: tuple[str, ...] = tuple(t.name for t in TABLES)


@dataclass(frozen=True)
class Settings:
    """Options of a problem that are not tables. Defaults are documented in docs/formulation.md.

    Attributes:
        name: a title for reports.
        money_unit: the unit money is shown in (the template's unit); inside fundopt money is £.
        need_penalty: value lost per pound a recipient's allocation is away from its
            needs-based target (its ``need_weight`` share of its kind's allocation).
        volatility_penalty: value lost per pound of year-to-year change in a recipient's
            total funding (baseline to first year included).
        terminal_fall_share: in the last year of the horizon a recipient's total funding may
            fall by at most this share of its cliff-edge limit (so cuts are not dumped in
            the year the plan does not look beyond).
        time_limit_seconds: HiGHS time limit; ``None`` for none.
        replan_change_penalty: in a re-plan, value lost per pound a recipient's allocation
            moves from the previous plan's indicative figure (within its tolerance), so
            indicative figures move no more than the new envelopes and rules make worth it.
        line_step_rate: the first step of a line's change from one year to the next, as a
            share of its previous amount; in the stability tier each pound of a line's
            change within its limit past this step scores 1 more, so a recipient's growth
            or cut is spread over its lines rather than heaped on a few. 0 (the default)
            for no step.
    """

    name: str = "fundopt problem"
    money_unit: MoneyUnit = MoneyUnit.MILLIONS
    need_penalty: float = 0.05
    volatility_penalty: float = 0.02
    terminal_fall_share: float = 0.5
    time_limit_seconds: float | None = None
    replan_change_penalty: float = 0.01
    line_step_rate: float = 0.0

    def __post_init__(self) -> None:
        # a unit typed as text ("£k") is the enum; anything else is refused now, not after
        # a solve when a report needs it
        if isinstance(self.money_unit, MoneyUnit):
            return
        try:
            object.__setattr__(self, "money_unit", MoneyUnit(self.money_unit))
        except ValueError:
            raise InputError([Issue(
                "setting 'money_unit' must be £, £k or £m", table="settings",
                column="money_unit", found=repr(self.money_unit), code="FO-V12",
                hint="pick one of: £, £k, £m")]) from None


@dataclass(frozen=True)
class Origin:
    """Where the tables came from, so messages can name sheet and cell.

    ``rows[table][i]`` is the Excel row of the table's row at position ``i``;
    ``columns[table][column]`` is the Excel column letter. ``sources`` is the workbook's
    *Sources* sheet as read (its header row first; empty if it has none), which the results
    workbook copies.
    """

    path: str = ""
    sha256: str = ""
    sheets: Mapping[str, str] = field(default_factory=dict)
    rows: Mapping[str, tuple[int, ...]] = field(default_factory=dict)
    columns: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    sources: tuple[tuple[Any, ...], ...] = ()

    def cell(self, table: str, position: int | None, column: str = "") -> tuple[str, str]:
        """The (sheet, A1 cell) of a table cell; empty strings where unknown."""
        sheet = self.sheets.get(table, "")
        if not sheet or position is None:
            return sheet, ""
        rows = self.rows.get(table, ())
        if not 0 <= position < len(rows) or rows[position] <= 0:  # 0: a row added since
            return sheet, ""
        letter = self.columns.get(table, {}).get(column, "") if column else "A"
        return sheet, f"{letter}{rows[position]}" if letter else ""

    def following(self, tables: Mapping[str, Any]) -> Origin:
        """This origin for ``tables`` whose index labels are positions in this origin's
        tables (as a problem's own tables are): row ``i`` of a new table is the sheet row of
        its label; a label this origin does not know gets 0 (no cell)."""
        rows = dict(self.rows)
        for name, table in tables.items():
            old = self.rows.get(name)
            if old is None or not isinstance(table, pd.DataFrame):
                continue
            rows[name] = tuple(
                old[label] if isinstance(label, int) and 0 <= label < len(old) else 0
                for label in table.index.tolist())
        return replace(self, rows=rows)

    def locate(self, issue: Issue) -> Issue:
        if issue.sheet or not issue.table:
            return issue
        sheet, cell = self.cell(issue.table, issue.row, issue.column)
        if not sheet:
            return issue
        if not cell and issue.row is not None:
            rows = self.rows.get(issue.table, ())
            if 0 <= issue.row < len(rows) and rows[issue.row] > 0:
                cell = f"A{rows[issue.row]}"
        return replace(issue, sheet=sheet, cell=cell)


def _digest(table: pd.DataFrame) -> int | None:
    """A digest of a table's labels, types and values (None if a value cannot be hashed,
    which validation would never leave there)."""
    try:
        return hash((tuple(table.columns), tuple(table.index.tolist()),
                     tuple(str(d) for d in table.dtypes),
                     *(tuple(table[c].tolist()) for c in table.columns)))
    except TypeError:
        return None


def quick_cells() -> dict[tuple[str, str], float]:
    """(table, column) -> largest value, of the cells :meth:`FundingProblem.with_cells`
    changes without validating the problem again."""
    from fundopt.problem.validation import MAX_MONEY

    return {("envelopes", "amount"): MAX_MONEY, ("other_income", "amount"): MAX_MONEY,
            ("share_targets", "min_share"): 1.0, ("share_targets", "max_share"): 1.0,
            ("cliff_edges", "max_fall_rate"): 1.0}


def _shares_in_order(targets: pd.DataFrame, column: str, cells: list[float | None]) -> bool:
    """Whether each share target row, with ``cells`` in ``column``, still sets a share and
    has its least share at most its greatest (FO-V21, FO-V28)."""
    other = "max_share" if column == "min_share" else "min_share"
    for v, w in zip(cells, targets[other].tolist(), strict=True):
        w = None if w is None or w != w else float(w)
        low, high = (v, w) if column == "min_share" else (w, v)
        if (v is None and w is None) or (low is not None and high is not None and low > high):
            return False
    return True


def _digests(problem: Any) -> dict[str, int | None]:
    return {name: _digest(getattr(problem, name)) for name in TABLE_NAMES}


def _empty(table: str) -> pd.DataFrame:
    return pd.DataFrame(columns=list(TABLES_BY_NAME[table].column_names))


@dataclass(frozen=True)
class FundingProblem:
    """A multi-year funding problem: validated tables (money in £) plus settings.

    Construct it from tables (any missing optional table is empty); it validates itself
    and raises :class:`~fundopt.InputError` listing every problem. Rows are kept in a
    canonical order (sorted by their key) so the plan does not depend on row order; each
    row's index is its position in the table as given.
    """

    recipients: pd.DataFrame
    years: pd.DataFrame
    activities: pd.DataFrame
    streams: pd.DataFrame
    envelopes: pd.DataFrame
    eligibility: pd.DataFrame
    baselines: pd.DataFrame = field(default_factory=lambda: _empty("baselines"))
    other_income: pd.DataFrame = field(default_factory=lambda: _empty("other_income"))
    limits: pd.DataFrame = field(default_factory=lambda: _empty("limits"))
    commitments: pd.DataFrame = field(default_factory=lambda: _empty("commitments"))
    cliff_edges: pd.DataFrame = field(default_factory=lambda: _empty("cliff_edges"))
    local_priorities: pd.DataFrame = field(default_factory=lambda: _empty("local_priorities"))
    local_shares: pd.DataFrame = field(default_factory=lambda: _empty("local_shares"))
    requirements: pd.DataFrame = field(default_factory=lambda: _empty("requirements"))
    share_targets: pd.DataFrame = field(default_factory=lambda: _empty("share_targets"))
    value_tranches: pd.DataFrame = field(default_factory=lambda: _empty("value_tranches"))
    line_limits: pd.DataFrame = field(default_factory=lambda: _empty("line_limits"))
    priorities: pd.DataFrame = field(default_factory=lambda: _empty("priorities"))
    negotiability: pd.DataFrame = field(default_factory=lambda: _empty("negotiability"))
    previous_plan: pd.DataFrame = field(default_factory=lambda: _empty("previous_plan"))
    notice_periods: pd.DataFrame = field(default_factory=lambda: _empty("notice_periods"))
    settings: Settings = field(default_factory=Settings)
    origin: Origin = field(default_factory=Origin, compare=False)
    warnings: tuple[Issue, ...] = field(default=(), compare=False, repr=False)

    def __post_init__(self) -> None:
        from fundopt.problem.validation import validate_problem

        tables, issues = validate_problem({n: getattr(self, n) for n in TABLE_NAMES}, self.settings)
        issues = [self.origin.locate(i) for i in issues]
        if any(i.severity is Severity.ERROR for i in issues):
            raise InputError(issues, source=self.origin.path)
        for name, table in tables.items():
            object.__setattr__(self, name, table)
        object.__setattr__(self, "warnings", tuple(issues))
        object.__setattr__(self, "_digests", _digests(self))

    def __setstate__(self, state: dict[str, Any]) -> None:
        # str hashes differ between processes: a copy from a worker digests again
        self.__dict__.update(state)
        object.__setattr__(self, "_digests", _digests(self))

    def as_validated(self) -> FundingProblem:
        """This problem, or, if one of its tables was changed in place since it was validated
        (they are ordinary DataFrames), a copy validated again, so a NaN or a wrong type put
        in after validation is read as validation reads it, or refused naming its cell.

        :func:`fundopt.solve`, :func:`fundopt.verify` and :func:`fundopt.sweep` call it; it
        compares a digest of every table with the one taken at validation (about 2 ms on
        the reference model), so an unchanged problem costs no validation."""
        if _digests(self) == self.__dict__.get("_digests"):
            return self
        return self.replace()

    # -- convenience views -------------------------------------------------------------
    @property
    def baseline_year(self) -> str:
        return str(self.years.loc[self.years["baseline"], "year"].iloc[0])

    @property
    def horizon(self) -> tuple[str, ...]:
        return tuple(str(y) for y in self.years.loc[~self.years["baseline"], "year"])

    @property
    def indicative_years(self) -> tuple[str, ...]:
        """Horizon years whose money is a planning figure, not yet settled (sheet *Years*,
        column ``status``)."""
        years = self.years
        mask = (~years["baseline"]) & (years["status"] == "indicative")
        return tuple(str(y) for y in years.loc[mask, "year"])

    @property
    def tiers(self) -> tuple[Tier, ...]:
        """The goals in the order they are optimised: sheet *Priorities*, or the default
        (value less ``need_penalty`` x need less ``volatility_penalty`` x volatility, then
        stability); a last tier of stability is added when the sheet does not end with it."""
        from fundopt.problem.priorities import resolve_tiers

        money = float(pd.to_numeric(self.envelopes["amount"]).sum()) if len(self.envelopes) \
            else 0.0
        return resolve_tiers(self.priorities, self.settings, money)

    def with_tiers(self, *tiers: Tier) -> FundingProblem:
        """This problem with its goals in the order of ``tiers`` (its *Priorities* table
        replaced; validated again)."""
        from fundopt.problem.priorities import priorities_table

        return self.replace(priorities=priorities_table(tiers))

    def tables(self) -> dict[str, pd.DataFrame]:
        return {n: getattr(self, n) for n in TABLE_NAMES}

    def replace(self, **changes: Any) -> FundingProblem:
        """A copy with some tables or settings replaced (validated again).

        A table's index names the rows it came from (this problem's tables are indexed by
        their position as given), so the copy's messages still name the right cells when a
        table was re-ordered, as the canonical order does (a row with a new label, added
        since, has no cell)."""
        values = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "warnings"}
        values.update(changes)
        values["origin"] = changes.get("origin", self.origin.following(
            {n: t for n, t in changes.items() if n in TABLE_NAMES}))
        return FundingProblem(**values)

    def with_envelope_amounts(self, amounts: Sequence[float]) -> FundingProblem | None:
        """This problem with new *Envelopes* amounts (one per row, in the table's order),
        or None if an amount would fail validation (see :meth:`with_cells`)."""
        return self.with_cells("envelopes", "amount", amounts)

    def with_cells(self, table: str, column: str,
                   values: Sequence[float | None]) -> FundingProblem | None:
        """This problem with new values in one column of one table (one per row, in the
        table's order), or None if a value would fail validation (then :meth:`replace`
        says why) or the column is not one of :func:`quick_cells`.

        Only those cells change, and no rule of validation reads them beyond their own row
        (a number, finite, not negative, plausible; a share or rate at most 100%, a required
        one not blank, and a least share at most the row's greatest), so the tables are,
        row for row, what :meth:`replace` would give, without validating every table again
        (a sweep's scenarios that change amounts, shares or rates; ``tests/test_sweep.py``
        and ``tests/test_cell_links.py`` hold the two equal). Their index still
        names the input's rows, as this problem's does."""
        most = quick_cells().get((table, column))
        current = getattr(self, table, None)
        if most is None or current is None or len(values) != len(current):
            return None
        cells: list[float | None] = [None if v is None else float(v) for v in values]
        if not all(v is None or (math.isfinite(v) and 0.0 <= v <= most) for v in cells):
            return None
        if None in cells and TABLES_BY_NAME[table].column(column).required:
            return None
        if table == "share_targets" and not _shares_in_order(current, column, cells):
            return None
        changed = current.copy()
        changed[column] = pd.Series(cells, dtype=object, index=changed.index)
        out = object.__new__(FundingProblem)  # shares every other table, already validated
        out.__dict__.update(self.__dict__)
        object.__setattr__(out, table, changed)
        object.__setattr__(out, "_digests", {**self.__dict__["_digests"],
                                             table: _digest(changed)})
        return out

    def scaled(self, factor: float) -> FundingProblem:
        """The same problem with every amount of money multiplied by ``factor``."""
        from fundopt.problem.schema import ColumnKind

        changes: dict[str, pd.DataFrame] = {}
        for spec in TABLES:
            table = getattr(self, spec.name).copy()
            for col in spec.columns:
                if col.kind is ColumnKind.MONEY:
                    table[col.name] = table[col.name] * factor
                if col.kind is ColumnKind.PENALTY:
                    pass  # value per pound: unchanged
            changes[spec.name] = table  # its index names its rows (replace keeps the cells)
        return self.replace(**changes)

    def summary(self) -> Mapping[str, int]:
        return MappingProxyType({n: len(getattr(self, n)) for n in TABLE_NAMES})
