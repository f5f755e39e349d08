"""Every check on a problem's tables, collecting all problems before anything is raised.

:func:`validate_problem` coerces each table to its schema (see :mod:`fundopt.schema`),
checks values, ids across tables, years and the rule tables' consistency, and returns
the cleaned tables in canonical (sorted) order with every problem found.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Mapping
from typing import Any

import pandas as pd

from fundopt.errors import Issue, Severity
from fundopt.problem.schema import TABLES, ColumnKind, RecipientKind, TableSpec

YEAR_RE = re.compile(r"^(\d{4})-(\d{2})$")
MAX_MONEY = 1e13  # £10 trillion: beyond this a figure is certainly a unit mistake


def year_start(label: str) -> int:
    """2026 for '2026-27'."""
    return int(label[:4])


def is_blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    if value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, str) and value.strip() == ""


def rows(df: pd.DataFrame) -> list[tuple[int, dict[str, Any]]]:
    """(index, row as a dict) pairs; unlike iterrows, blanks stay None."""
    records: list[dict[str, Any]] = df.to_dict("records")  # type: ignore[assignment]
    return list(zip((int(i) for i in df.index), records, strict=True))


def _valid_year(label: str) -> bool:
    m = YEAR_RE.match(label)
    return m is not None and (int(m.group(1)) + 1) % 100 == int(m.group(2))


class _Checker:
    def __init__(self) -> None:
        self.issues: list[Issue] = []

    def add(
        self,
        table: str,
        row: int | None,
        column: str,
        message: str,
        *,
        found: Any = None,
        hint: str = "",
        code: str = "FO-V00",
        severity: Severity = Severity.ERROR,
    ) -> None:
        self.issues.append(
            Issue(
                message=message,
                table=table,
                row=row,
                column=column,
                found=""
                if found is None
                else repr(found)
                if isinstance(found, str)
                else str(found),
                hint=hint,
                code=code,
                severity=severity,
            )
        )

    # -- one column -----------------------------------------------------------------
    def coerce(self, spec: TableSpec, raw: pd.DataFrame) -> pd.DataFrame:
        table = spec.name
        unknown = [c for c in raw.columns if c not in spec.column_names]
        for c in unknown:
            self.add(
                table,
                None,
                str(c),
                f"unknown column '{c}'",
                hint=f"columns are: {', '.join(spec.column_names)}",
                code="FO-S04",
            )
        out: dict[str, list[Any]] = {}
        raw = raw.reset_index(drop=True)
        for col in spec.columns:
            if col.name not in raw.columns:
                if col.required:
                    self.add(
                        table,
                        None,
                        col.name,
                        f"missing column '{col.name}'",
                        code="FO-S04",
                        hint=f"add a column headed '{col.name}'",
                    )
                out[col.name] = [None] * len(raw)
                continue
            values = []
            for pos, v in enumerate(raw[col.name].tolist()):
                values.append(
                    self._value(table, pos, col.name, col.kind, col.required, col.choices, v)
                )
            out[col.name] = values
        return pd.DataFrame(
            {c: pd.Series(out[c], dtype=object, index=range(len(raw))) for c in spec.column_names},
            columns=list(spec.column_names),
        )

    def _value(
        self,
        table: str,
        pos: int,
        column: str,
        kind: ColumnKind,
        required: bool,
        choices: tuple[str, ...],
        v: Any,
    ) -> Any:
        if is_blank(v):
            if required:
                self.add(
                    table, pos, column, f"'{column}' is blank", code="FO-V21", hint="fill it in"
                )
            return None
        if kind in (
            ColumnKind.ID,
            ColumnKind.REF,
            ColumnKind.TEXT,
            ColumnKind.ENUM,
            ColumnKind.YEAR,
        ):
            if isinstance(v, float) and v.is_integer():
                v = int(v)
            if kind is ColumnKind.YEAR and isinstance(v, int) and 1900 < v < 2200:
                v = f"{v}-{(v + 1) % 100:02d}"
            if not isinstance(v, (str, int)) or isinstance(v, bool):
                self.add(table, pos, column, f"expected text in '{column}'", found=v, code="FO-V10")
                return None
            s = str(v).strip()
            if kind is ColumnKind.ENUM:
                s = s.lower()
                if s not in choices:
                    self.add(
                        table,
                        pos,
                        column,
                        f"'{column}' must be one of: {', '.join(choices)}",
                        found=str(v),
                        code="FO-V12",
                        hint="pick a value from the list",
                    )
                    return None
            if kind is ColumnKind.YEAR and not _valid_year(s):
                self.add(
                    table,
                    pos,
                    column,
                    "expected a fiscal year like 2026-27",
                    found=str(v),
                    code="FO-V13",
                )
                return None
            return s
        if kind is ColumnKind.BOOL:
            if isinstance(v, bool):
                return v
            if isinstance(v, (int, float)) and v in (0, 1):
                return bool(v)
            if isinstance(v, str) and v.strip().lower() in ("true", "false", "yes", "no"):
                return v.strip().lower() in ("true", "yes")
            self.add(
                table, pos, column, f"'{column}' must be TRUE or FALSE", found=v, code="FO-V14"
            )
            return None
        # numbers
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            self.add(
                table,
                pos,
                column,
                f"expected a number in '{column}'",
                found=v,
                code="FO-V05",
                hint="type the number only",
            )
            return None
        x = float(v)
        if not math.isfinite(x):
            self.add(
                table, pos, column, f"'{column}' must be a finite number", found=v, code="FO-V05"
            )
            return None
        if kind is ColumnKind.INT:
            if not x.is_integer() or x < 1:
                self.add(
                    table,
                    pos,
                    column,
                    f"'{column}' must be a whole number from 1",
                    found=v,
                    code="FO-V15",
                )
                return None
            return int(x)
        if (
            kind in (ColumnKind.MONEY, ColumnKind.RATIO, ColumnKind.PENALTY, ColumnKind.SHARE)
            and x < 0
        ):
            self.add(
                table,
                pos,
                column,
                f"'{column}' must not be negative",
                found=v,
                code="FO-V16",
                hint="money, shares and penalties are never negative",
            )
            return None
        if kind is ColumnKind.MONEY and x > MAX_MONEY:
            self.add(
                table,
                pos,
                column,
                f"'{column}' is implausibly large",
                found=v,
                code="FO-V17",
                hint="check the money unit",
            )
            return None
        if kind is ColumnKind.SHARE and x > 1:
            self.add(
                table,
                pos,
                column,
                f"'{column}' is a share and must be between 0% and 100%",
                found=v,
                code="FO-V08",
                hint=f"did you mean {x:g}%? type it as a percentage or a fraction like {x / 100:g}",
            )
            return None
        return x


def validate_problem(
    raw_tables: Mapping[str, pd.DataFrame], settings: Any
) -> tuple[dict[str, pd.DataFrame], list[Issue]]:
    """Coerce and check every table; return (clean tables in canonical order, issues)."""
    ck = _Checker()
    t: dict[str, pd.DataFrame] = {}
    for spec in TABLES:
        raw = raw_tables.get(spec.name)
        if raw is None:
            raw = pd.DataFrame(columns=list(spec.column_names))
        if not isinstance(raw, pd.DataFrame):
            ck.add(
                spec.name,
                None,
                "",
                f"table '{spec.name}' must be a pandas DataFrame",
                found=type(raw).__name__,
            )
            raw = pd.DataFrame(columns=list(spec.column_names))
        t[spec.name] = ck.coerce(spec, raw)
        if spec.required and len(raw) == 0:
            ck.add(
                spec.name,
                None,
                "",
                f"table '{spec.name}' has no rows",
                code="FO-V21",
                hint=spec.doc,
            )
    _check_settings(ck, settings)
    _check_keys(ck, t)
    _check_years(ck, t)
    _check_references(ck, t)
    _check_rules(ck, t)
    clean = {spec.name: _canonical(spec, t[spec.name]) for spec in TABLES}
    return clean, ck.issues


def _check_settings(ck: _Checker, s: Any) -> None:
    for name in ("need_penalty", "volatility_penalty"):
        v = getattr(s, name)
        if not (isinstance(v, (int, float)) and math.isfinite(v) and v >= 0):
            ck.add("settings", None, name, f"setting '{name}' must be a number >= 0", found=v)
    v = s.terminal_fall_share
    if not (isinstance(v, (int, float)) and 0 <= v <= 1):
        ck.add(
            "settings",
            None,
            "terminal_fall_share",
            "setting 'terminal_fall_share' must be between 0 and 1",
            found=v,
        )
    if s.time_limit_seconds is not None and not s.time_limit_seconds > 0:
        ck.add(
            "settings",
            None,
            "time_limit_seconds",
            "time limit must be positive",
            found=s.time_limit_seconds,
        )


def _check_keys(ck: _Checker, t: dict[str, pd.DataFrame]) -> None:
    for spec in TABLES:
        if not spec.key:
            continue
        df = t[spec.name]
        seen: dict[tuple[Any, ...], int] = {}
        for pos, key in enumerate(df[list(spec.key)].itertuples(index=False, name=None)):
            norm = tuple("" if is_blank(k) else k for k in key)
            if all(k == "" for k in norm) and len(spec.key) > 1:
                continue
            if norm in seen:
                shown = ", ".join(
                    f"{c}={k}" for c, k in zip(spec.key, norm, strict=True) if k != ""
                )
                ck.add(
                    spec.name,
                    pos,
                    spec.key[0],
                    f"duplicate row ({shown})",
                    hint=f"it repeats row {seen[norm] + 1} of the table; keep one",
                    code="FO-V20",
                )
            else:
                seen[norm] = pos


def _check_years(ck: _Checker, t: dict[str, pd.DataFrame]) -> None:
    years = t["years"]
    labels = [y for y in years["year"] if y is not None]
    flags = [bool(b) for b in years["baseline"].fillna(False)]
    base = [pos for pos, f in enumerate(flags) if f]
    if len(labels) and len(base) != 1:
        ck.add(
            "years",
            None,
            "baseline",
            "exactly one year must be marked as the baseline (TRUE)",
            found=f"{len(base)} marked",
            code="FO-V22",
            hint="mark the year before the first planned year",
        )
    ordered = sorted(labels, key=year_start)
    for a, b in itertools.pairwise(ordered):
        if year_start(b) != year_start(a) + 1:
            pos = list(years["year"]).index(b)
            ck.add(
                "years",
                pos,
                "year",
                f"years jump from {a} to {b}",
                found=b,
                code="FO-S06",
                hint="list every year, one per row",
            )
    if len(base) == 1 and ordered and years["year"].iloc[base[0]] != ordered[0]:
        ck.add(
            "years",
            base[0],
            "baseline",
            "the baseline must be the earliest year",
            found=years["year"].iloc[base[0]],
            code="FO-V22",
        )
    if len(ordered) < 2 and len(labels):
        ck.add(
            "years",
            None,
            "year",
            "the horizon needs at least one year after the baseline",
            code="FO-V22",
        )
    t["years"]["baseline"] = [bool(b) for b in flags] if len(flags) else []


def _check_references(ck: _Checker, t: dict[str, pd.DataFrame]) -> None:
    ids = {
        "recipients": set(t["recipients"]["recipient"].dropna()),
        "activities": set(t["activities"]["activity"].dropna()),
        "streams": set(t["streams"]["stream"].dropna()),
    }
    years = [y for y in t["years"]["year"] if y is not None]
    base = [y for y, b in zip(t["years"]["year"], t["years"]["baseline"], strict=True) if b]
    horizon = set(years) - set(base)
    all_years = set(years)
    regions = set(t["recipients"]["region"].dropna())
    year_columns = {"year", "first_year", "last_year"}
    for spec in TABLES:
        df = t[spec.name]
        for col in spec.columns:
            if col.kind is ColumnKind.REF:
                known = ids[col.ref]
                for pos, v in enumerate(df[col.name]):
                    if v is not None and v not in known:
                        ck.add(
                            spec.name,
                            pos,
                            col.name,
                            f"unknown {col.ref[:-1]} '{v}'",
                            found=v,
                            code="FO-V18",
                            hint=f"add it to the {col.ref} table or fix the spelling",
                        )
            if col.kind is ColumnKind.YEAR and spec.name != "years" and col.name in year_columns:
                allowed = all_years if spec.name == "other_income" else horizon
                for pos, v in enumerate(df[col.name]):
                    if v is not None and years and v not in allowed:
                        ck.add(
                            spec.name,
                            pos,
                            col.name,
                            f"year {v} is not in the horizon",
                            found=v,
                            code="FO-V19",
                            hint=f"use one of {', '.join(sorted(allowed))}",
                        )
    rec = t["recipients"]
    for pos, row in rows(rec):
        if (
            row["kind"] in (RecipientKind.FORCE, RecipientKind.REGIONAL_UNIT)
            and row["region"] is None
        ):
            ck.add(
                "recipients",
                int(pos),
                "region",
                f"{row['kind']} '{row['recipient']}' has no region",
                code="FO-V21",
                hint="forces and regional units need a region",
            )
        fy, ly = row["first_year"], row["last_year"]
        if fy and ly and year_start(fy) > year_start(ly):
            ck.add(
                "recipients",
                int(pos),
                "last_year",
                "last funded year is before the first",
                found=ly,
                code="FO-V23",
            )
    for pos, v in enumerate(t["requirements"]["region"]):
        if v is not None and v not in regions:
            ck.add(
                "requirements",
                pos,
                "region",
                f"unknown region '{v}'",
                found=v,
                code="FO-V18",
                hint=f"regions are: {', '.join(sorted(regions))}",
            )
    # every stream needs an envelope in every horizon year
    env = t["envelopes"]
    have = set(zip(env["stream"], env["year"], strict=True))
    for s in sorted(ids["streams"]):
        for y in sorted(horizon):
            if (s, y) not in have:
                ck.add(
                    "envelopes",
                    None,
                    "amount",
                    f"stream '{s}' has no envelope for {y}",
                    code="FO-V24",
                    hint="add a row (0 if the stream has no money that year)",
                )


def _check_rules(ck: _Checker, t: dict[str, pd.DataFrame]) -> None:
    kinds = dict(zip(t["recipients"]["recipient"], t["recipients"]["kind"], strict=True))
    for pos, row in rows(t["eligibility"]):
        if (
            row["recipient"]
            and row["recipient_kind"]
            and kinds.get(row["recipient"]) not in (None, row["recipient_kind"])
        ):
            ck.add(
                "eligibility",
                int(pos),
                "recipient_kind",
                f"'{row['recipient']}' is a {kinds[row['recipient']]}, "
                f"not a {row['recipient_kind']}",
                code="FO-V25",
            )
    base = t["baselines"]
    for r, grp in base.groupby("recipient", dropna=True):
        if grp["activity"].isna().any() and grp["activity"].notna().any():
            ck.add(
                "baselines",
                int(grp.index[0]),
                "activity",
                f"'{r}' has both a whole-recipient baseline and per-activity baselines",
                code="FO-V26",
                hint="give one or the other",
            )
    based = set(base["recipient"].dropna())
    for pos, row in rows(t["limits"]):
        if (row["floor_ratio"] is not None or row["cap_ratio"] is not None) and row[
            "recipient"
        ] not in based:
            ck.add(
                "limits",
                int(pos),
                "floor_ratio" if row["floor_ratio"] is not None else "cap_ratio",
                f"a ratio to baseline needs a baseline for '{row['recipient']}'",
                code="FO-V27",
                hint="add its baseline or give the limit as an amount",
            )
        for lo, hi in (("floor_amount", "cap_amount"), ("floor_ratio", "cap_ratio")):
            if row[lo] is not None and row[hi] is not None and row[lo] > row[hi]:
                ck.add("limits", int(pos), hi, f"{hi} is below {lo}", found=row[hi], code="FO-V28")
        if all(row[c] is None for c in ("floor_amount", "floor_ratio", "cap_amount", "cap_ratio")):
            ck.add(
                "limits",
                int(pos),
                "floor_amount",
                "row sets no floor and no cap",
                code="FO-V21",
                severity=Severity.WARNING,
            )
    for pos, row in rows(t["commitments"]):
        fy, ly = row["first_year"], row["last_year"]
        if fy and ly and year_start(fy) > year_start(ly):
            ck.add(
                "commitments",
                int(pos),
                "last_year",
                "last year is before the first year",
                found=ly,
                code="FO-V23",
            )
    if int(t["cliff_edges"]["recipient"].isna().sum()) > 1:
        ck.add(
            "cliff_edges",
            None,
            "recipient",
            "more than one default (blank recipient) row",
            code="FO-V20",
        )
    lp = set(t["local_priorities"]["recipient"].dropna())
    for pos, row in rows(t["local_shares"]):
        if (row["min_local_share"] is not None or row["min_local_amount"] is not None) and (
            row["recipient"] not in lp
        ):
            ck.add(
                "local_shares",
                int(pos),
                "recipient",
                f"'{row['recipient']}' has a local share but no local-priority activities",
                code="FO-V29",
                hint="list its local priorities on the Local priorities sheet",
            )
    for name in ("share_targets",):
        for pos, row in rows(t[name]):
            if (
                row["min_share"] is not None
                and row["max_share"] is not None
                and (row["min_share"] > row["max_share"])
            ):
                ck.add(name, int(pos), "max_share", "max_share is below min_share", code="FO-V28")
            if row["min_share"] is None and row["max_share"] is None:
                ck.add(
                    name,
                    int(pos),
                    "min_share",
                    "row sets no share",
                    code="FO-V21",
                    severity=Severity.WARNING,
                )
    vt = t["value_tranches"]
    for _key, grp in vt.groupby([vt["recipient"].fillna(""), vt["activity"].fillna("")]):
        grp = grp.sort_values("tranche")
        nums = [n for n in grp["tranche"] if n is not None]
        if nums != list(range(1, len(nums) + 1)):
            ck.add(
                "value_tranches",
                int(grp.index[0]),
                "tranche",
                "tranches must be numbered 1, 2, 3, ... without gaps",
                found=nums,
                code="FO-V30",
            )
        widths = list(grp["width"])
        for i, (pos, w) in enumerate(zip(grp.index, widths, strict=True)):
            if w is None and i < len(widths) - 1:
                ck.add(
                    "value_tranches",
                    int(pos),
                    "width",
                    "only the last tranche may be unlimited",
                    code="FO-V30",
                )
        vals = [v for v in grp["value"] if v is not None]
        if any(b > a for a, b in itertools.pairwise(vals)):
            ck.add(
                "value_tranches",
                int(grp.index[0]),
                "value",
                "values must not rise from one tranche to the next (diminishing returns)",
                found=vals,
                code="FO-V30",
            )


def _canonical(spec: TableSpec, df: pd.DataFrame) -> pd.DataFrame:
    """Sort rows by the table's key (then all columns) so row order never matters."""
    if len(df) == 0:
        return df
    order = list(spec.key) + [c for c in spec.column_names if c not in spec.key]

    def text(v: Any) -> str:
        return "" if v is None else v if isinstance(v, str) else f"{v!r}"

    keys = list(zip(*([text(v) for v in df[c].tolist()] for c in order), strict=True))
    return df.iloc[sorted(range(len(df)), key=keys.__getitem__)]
