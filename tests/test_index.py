"""The index of allocation columns and its groups are worked out with integer codes; they
must be exactly what the plain construction gives (the one docs/formulation.md states:
every eligible line in every funded year, sorted by recipient, activity, stream, year),
groups in the order of their first column, columns in order within a group."""

from __future__ import annotations

import sys
from collections import defaultdict
from pathlib import Path

import pytest
from builders import tiny
from whatif_problems import regional_problem

import fundopt as fo
from fundopt.formulation import ProblemIndex
from fundopt.problem.validation import rows, year_start

ROOT = Path(__file__).resolve().parent.parent


def _problems() -> dict[str, fo.FundingProblem]:
    sys.path.insert(0, str(ROOT))
    from benchmarks.generate import generate

    return {
        "reference model": fo.read_workbook(ROOT / "models" / "england_wales_soc.xlsx"),
        "benchmark 10k": generate("10k"),
        "regional": regional_problem(),
        "tiny": tiny(),
    }


def plain_columns(p: fo.FundingProblem) -> list[tuple[str, str, str, str]]:
    lines = set()
    for _, e in rows(p.eligibility):
        for _, r in rows(p.recipients):
            for _, a in rows(p.activities):
                if ((not e["recipient_kind"] or r["kind"] == e["recipient_kind"])
                        and (not e["recipient"] or r["recipient"] == e["recipient"])
                        and (not e["activity"] or a["activity"] == e["activity"])
                        and (not e["threat"] or a["threat"] == e["threat"])):
                    lines.add((r["recipient"], a["activity"], e["stream"]))
    funded = {}
    for _, r in rows(p.recipients):
        first = year_start(r["first_year"]) if r["first_year"] else -1
        last = year_start(r["last_year"]) if r["last_year"] else 10_000
        funded[r["recipient"]] = [y for y in p.horizon if first <= year_start(y) <= last]
    return sorted((r, a, s, y) for r, a, s in lines for y in funded[r])


def plain_groups(cols: list[tuple[str, str, str, str]], *which: int) -> dict:
    out: dict = defaultdict(list)
    for i, c in enumerate(cols):
        out[tuple(c[k] for k in which)].append(i)
    return dict(out)


@pytest.mark.parametrize("name", list(_problems()))
def test_columns_and_groups_are_the_plain_construction(name: str):
    p = _problems()[name]
    idx = ProblemIndex(p)
    cols = plain_columns(p)
    assert [tuple(c) for c in idx.alloc.itertuples(index=False, name=None)] == cols
    assert list(idx.alloc.columns) == ["recipient", "activity", "stream", "year"]
    for got, which in ((idx.by_recipient_year, (0, 3)), (idx.by_stream_year, (2, 3)),
                       (idx.by_line_year, (0, 1, 3))):
        want = plain_groups(cols, *which)
        assert list(got.items()) == list(want.items())  # same groups, same order
    arrays = idx.columns_of_recipient_year
    assert {k: v.tolist() for k, v in arrays.items()} == idx.by_recipient_year
    assert idx.activity_of == [c[1] for c in cols]
    assert idx.stream_of == [c[2] for c in cols]
    assert idx.by_line_stream_year == {c: i for i, c in enumerate(cols)}
