r"""The allocations themselves: whole, non-negative pounds, each from a stream that may fund
that recipient's activity in a funded year (sheets *Eligibility* and *Recipients*).

.. math::

    x_{r,a,s,t} \in \{0, 1, 2, \dots\} \ \text{pounds}, \qquad
    x_{r,a,s,t} \le 0 \ \text{unless stream } s \text{ may fund } (r, a) \text{ in } t

One check per allocation row, built column-wise (a plan has thousands of rows), each
followed by its eligibility check where that one fails.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from fundopt._support import money
from fundopt.plan.verify.checks import CHECK_COLUMNS, PENNY
from fundopt.plan.verify.facts import PlanFacts
from fundopt.problem.validation import rows

_KEYS = ("recipient", "activity", "stream", "year")


def check_allocations(f: PlanFacts) -> pd.DataFrame:
    """The allocation checks, in the allocations' order, as rows of the checks table."""
    a = f.a
    n = len(a)
    if not n:
        return pd.DataFrame(columns=CHECK_COLUMNS)
    amount = a["amount"].to_numpy()
    if amount.dtype.kind == "i":
        value = amount.astype(float)
    else:
        value = np.array([float(v) for v in amount], dtype=float)
    keys = [a[c].to_numpy(dtype=object) for c in _KEYS]
    names = [",".join(k) for k in zip(*keys, strict=True)]
    whole_rows = _whole_pound_rows(amount, value, keys, names)
    eligible = _eligible_mask(f) & np.array(
        [f.funded(r, t) for r, t in zip(keys[0], keys[3], strict=True)], dtype=bool
    )
    bad = np.flatnonzero(~eligible)
    if not len(bad):
        return whole_rows
    elig_rows = _eligibility_rows(amount, value, keys, names, bad)
    # each eligibility check right after its allocation's whole-pounds check
    whole_rows["order"] = np.arange(n) * 2
    elig_rows["order"] = bad * 2 + 1
    out = pd.concat([whole_rows, elig_rows], ignore_index=True).sort_values("order", kind="stable")
    return out.drop(columns="order").reset_index(drop=True)


def _whole_pound_rows(
    amount: np.ndarray, value: np.ndarray, keys: list[np.ndarray], names: list[str]
) -> pd.DataFrame:
    if amount.dtype.kind == "i":
        whole = amount >= 0
        negative = amount < 0
    else:
        whole = np.array([v.denominator == 1 and v >= 0 for v in amount], dtype=bool)
        negative = np.array([v < -PENNY for v in amount], dtype=bool)
    # a whole, non-negative amount passes; a negative one also reads "breached by"
    detail = [
        (
            "allocation is a non-negative whole number of pounds"
            if ok
            else f"allocation {v} is not a non-negative whole number of pounds"
        )
        + (f": breached by {money(-v)}" if neg else "")
        for ok, v, neg in zip(whole, value.tolist(), negative, strict=True)
    ]
    return pd.DataFrame(
        {
            "family": "allocation",
            "rule": [f"whole_pounds[{k}]" for k in names],
            "year": keys[3],
            "recipient": keys[0],
            "lhs": value,
            "sense": ">=",
            "rhs": 0.0,
            "slack": value,
            "soft": False,
            "passed": whole,
            "detail": detail,
        }
    )


def _eligibility_rows(
    amount: np.ndarray,
    value: np.ndarray,
    keys: list[np.ndarray],
    names: list[str],
    bad: np.ndarray,
) -> pd.DataFrame:
    """The checks ``x <= 0`` of the allocation rows at positions ``bad`` (not eligible)."""
    slack = -value[bad]  # rhs - lhs for a "<=" check
    if amount.dtype.kind != "i":
        passed = np.array([-amount[i] >= -PENNY for i in bad], dtype=bool)
    else:
        passed = amount[bad] <= 0
    detail = [
        f"stream '{keys[2][i]}' may not fund {keys[0][i]}'s '{keys[1][i]}' in {keys[3][i]}"
        for i in bad
    ]
    detail = [
        d if ok else f"{d}: breached by {money(float(-s))}"
        for d, ok, s in zip(detail, passed, slack, strict=True)
    ]
    return pd.DataFrame(
        {
            "family": "eligibility",
            "rule": [f"eligible[{names[i]}]" for i in bad],
            "year": keys[3][bad],
            "recipient": keys[0][bad],
            "lhs": value[bad],
            "sense": "<=",
            "rhs": 0.0,
            "slack": slack,
            "soft": False,
            "passed": passed,
            "detail": detail,
        }
    )


def _eligible_mask(f: PlanFacts) -> np.ndarray:
    """Whether some eligibility row allows each allocation row's (recipient, activity, stream)."""
    a = f.a
    if not len(a):
        return np.zeros(0, dtype=bool)
    keys = a[["recipient", "activity", "stream"]]
    by_stream: dict[str, list[tuple[int, dict[str, Any]]]] = {}
    for i, e in rows(f.problem.eligibility):  # each line reads its own stream's rows only
        by_stream.setdefault(e["stream"], []).append((i, e))
    allowed = [(r, act, s) for r, act, s in keys.drop_duplicates().itertuples(index=False,
                                                                              name=None)
               if eligible(f, by_stream.get(s, []), r, act, s)]
    return np.asarray(pd.MultiIndex.from_frame(keys).isin(allowed), dtype=bool)


def eligible(
    f: PlanFacts, table: list[tuple[int, dict[str, Any]]], r: str, a: str, s: str
) -> bool:
    for _, e in table:
        if e["stream"] != s:
            continue
        if e["recipient_kind"] and f.recs[r]["kind"] != e["recipient_kind"]:
            continue
        if e["recipient"] and e["recipient"] != r:
            continue
        if e["activity"] and e["activity"] != a:
            continue
        if e["threat"] and f.threat[a] != e["threat"]:
            continue
        return True
    return False
