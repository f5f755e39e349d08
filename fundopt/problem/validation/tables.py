"""Whole tables: each coerced to its schema's columns, then put in a canonical row order."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from fundopt.problem.schema import TABLES, TableSpec
from fundopt.problem.validation.cells import coerce_column
from fundopt.problem.validation.issues import Checker


def rows(df: pd.DataFrame) -> list[tuple[int, dict[str, Any]]]:
    """(index, row as a dict) pairs; unlike iterrows, blanks stay None."""
    records: list[dict[str, Any]] = df.to_dict("records")  # type: ignore[assignment]
    return list(zip((int(i) for i in df.index), records, strict=True))


def coerce_tables(ck: Checker, raw_tables: Mapping[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Every table of the schema, coerced; a missing optional table is an empty one."""
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
        t[spec.name] = coerce_table(ck, spec, raw)
        if spec.required and len(raw) == 0:
            ck.add(
                spec.name,
                None,
                "",
                f"table '{spec.name}' has no rows",
                code="FO-V21",
                hint=spec.doc,
            )
    return t


def coerce_table(ck: Checker, spec: TableSpec, raw: pd.DataFrame) -> pd.DataFrame:
    """The schema's columns, in its order, as object columns indexed by position."""
    table = spec.name
    unknown = [c for c in raw.columns if c not in spec.column_names]
    for c in unknown:
        ck.add(
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
        if col.name in raw.columns:
            out[col.name] = coerce_column(ck, table, col, raw[col.name].tolist())
            continue
        if col.required:
            ck.add(
                table,
                None,
                col.name,
                f"missing column '{col.name}'",
                code="FO-S04",
                hint=f"add a column headed '{col.name}'",
            )
        out[col.name] = [None] * len(raw)
    return pd.DataFrame(
        {c: pd.Series(out[c], dtype=object, index=range(len(raw))) for c in spec.column_names},
        columns=list(spec.column_names),
    )


def canonical(spec: TableSpec, df: pd.DataFrame) -> pd.DataFrame:
    """Sort rows by the table's key (then all columns) so row order never matters."""
    if len(df) == 0:
        return df
    order = list(spec.key) + [c for c in spec.column_names if c not in spec.key]

    def text(v: Any) -> str:
        return "" if v is None else v if isinstance(v, str) else f"{v!r}"

    keys = list(zip(*([text(v) for v in df[c].tolist()] for c in order), strict=True))
    return df.iloc[sorted(range(len(df)), key=keys.__getitem__)]
