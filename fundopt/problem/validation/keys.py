"""Each table's key: no two rows may say the same thing."""

from __future__ import annotations

from typing import Any

import pandas as pd

from fundopt.problem.schema import TABLES
from fundopt.problem.validation.cells import is_blank
from fundopt.problem.validation.issues import Checker


def check_keys(ck: Checker, t: dict[str, pd.DataFrame]) -> None:
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
