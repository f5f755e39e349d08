"""The goals' measures of a plan (what rounding checks each tier with, and ``plan.tiers``
reports) against the definitions in docs/formulation.md worked out one item at a time:
each change within and beyond its limit, each recipient-year's mix at its best level
(tried at every item's ratio, not found as a median), each line's tranches filled in
order. On the reference model (lines and streams with a baseline mix, two-tranche value
curves) with some of its limits made hard, on plans with ties, zeros and gaps."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import fundopt as fo
from fundopt.formulation.constraints.stability import (
    BEYOND_LIMIT_WEIGHT,
    Items,
    mix_weights,
    tie_break_weights,
)
from fundopt.formulation.index import ProblemIndex
from fundopt.formulation.measures import Measures
from fundopt.formulation.objective import line_tranches, tranche_table
from fundopt.problem.schema import Goal, Level

REFERENCE = Path(__file__).parent.parent / "models" / "england_wales_soc.xlsx"


def _sums(index: ProblemIndex, x: np.ndarray, *keys: str) -> tuple[pd.DataFrame, np.ndarray]:
    """Each group's allocation, groups in key order."""
    frame = index.alloc[list(keys)].assign(x=x)
    sums = frame.groupby(list(keys), sort=True)["x"].sum()
    return sums.index.to_frame(index=False), sums.to_numpy()


def _changes(it: Items, y: np.ndarray) -> float:
    """Every pound of change scores 1; beyond a soft limit, BEYOND_LIMIT_WEIGHT; a soft
    line's change within its limit past line_step_rate x the previous amount, 1 more."""
    step = it.step  # the setting line_step_rate, on lines
    out = 0.0
    for i in it.terms().tolist():
        before = y[i - 1] if it.variable[i] else it.p[i]
        change = y[i] - before
        limit = it.limit[i]
        within_up = min(max(change, 0.0), limit.rise_rate * before)
        within_down = min(max(-change, 0.0), limit.fall_rate * before)
        if limit.hard:
            out += abs(change)
        else:
            beyond = abs(change) - within_up - within_down
            out += within_up + within_down + BEYOND_LIMIT_WEIGHT * beyond
            if step > 0:
                out += max(0.0, within_up + within_down - step * before)
    return out


def _mix(it: Items, y: np.ndarray) -> float:
    """Per recipient-year with a mix: the least weighted distance over every level that
    puts one of its items exactly on its share (the least of a piecewise-linear convex
    function is at one of its kinks)."""
    if not it.base:
        return 0.0
    shares, which = it.mix_shares(), it.recipient_year()
    weight, zero_weight, counted = mix_weights(shares, which)
    out = 0.0
    for w in sorted(set(which[counted].tolist())):
        mine = [i for i in range(len(y)) if which[i] == w and counted[i]]
        pos = [i for i in mine if shares[i] > 0]
        out += sum(zero_weight[i] * y[i] for i in mine if shares[i] == 0)
        out += min(sum(weight[i] * abs(y[i] - shares[i] * level) for i in pos)
                   for level in (y[k] / shares[k] for k in pos))
    return out


def _value(index: ProblemIndex, x: np.ndarray) -> float:
    """Each line's tranches filled in order, each pound at its tranche's value."""
    table = tranche_table(index.problem.value_tranches)
    lines, y = _sums(index, x, "recipient", "activity", "year")
    total = 0.0
    for (r, a), amount in zip(lines[["recipient", "activity"]].itertuples(index=False),
                              y.tolist(), strict=True):
        left = amount
        for width, value in line_tranches(table, r, a):
            used = left if width is None else min(left, width)
            total += value * used
            left -= used
    return total


@pytest.fixture(scope="module")
def reference() -> fo.FundingProblem:
    """The reference model with limits of its own: hard ones on lines and streams (one
    from a baseline, one from a variable previous year), and a soft one; and a 2% first
    step in each soft line's change."""
    problem = fo.read_workbook(REFERENCE)
    index = ProblemIndex(problem)
    line = index.alloc.iloc[0]
    stream = index.alloc.iloc[-1]
    limits = pd.DataFrame({
        "level": ["line", "stream", "line"],
        "recipient": [line["recipient"], stream["recipient"], None],
        "activity": [line["activity"], None, stream["activity"]],
        "stream": [None, stream["stream"], None],
        "max_fall_rate": [0.05, None, 0.02],
        "max_rise_rate": [0.1, 0.2, 0.03],
        "hard": [True, True, False],
    }, dtype=object)
    return dataclasses.replace(problem, line_limits=limits, settings=dataclasses.replace(
        problem.settings, line_step_rate=0.02))


def _plans(n: int) -> list[np.ndarray]:
    rng = np.random.default_rng(7)
    return [
        np.round(rng.uniform(0, 5e6, n)),  # anything
        np.zeros(n),  # nothing: every line falls to zero
        np.full(n, 1e6),  # equal amounts: ties among the ratios
        np.where(rng.random(n) < 0.5, 0.0, np.round(rng.uniform(0, 2e5, n))),  # gaps
    ]


def test_the_measures_are_their_definitions_item_by_item(reference):
    index = ProblemIndex(reference)
    items = {level: Items(index, level) for level in Level}
    for level in Level:
        assert any(lim.hard for lim in items[level].limit)
        assert any(not lim.hard for lim in items[level].limit)
    assert all(items[level].base for level in Level)  # both levels have a mix
    assert reference.settings.line_step_rate > 0  # and lines a first step
    measures = Measures(index)
    for x in _plans(len(index.alloc)):
        got = measures(x, breach=12.5)
        stability = float(np.dot(tie_break_weights(index), x))
        for level, it in items.items():
            keys = ("recipient", "activity" if level is Level.LINE else "stream", "year")
            _, y = _sums(index, x, *keys)
            stability += _changes(it, y) + _mix(it, y)
        assert got[Goal.STABILITY] == pytest.approx(stability, rel=1e-12, abs=1e-6)
        assert got[Goal.VALUE] == pytest.approx(_value(index, x) - 12.5, rel=1e-12, abs=1e-6)


def test_a_mix_worked_by_hand():
    """One recipient, baseline lines x £30m and y £10m (shares 3/4 and 1/4, weights 2/3
    and 2: the mean share over each's own). Funded x £60m, y £10m in the one year: at the
    level £40m y is on its share and x is £30m off it, at £80m x is on and y £10m off;
    either way the distance is 2/3 x £30m = 2 x £10m = £20m (the two are tied)."""
    from builders import M, frame, tiny

    problem = tiny(years=("2025-26", "2026-27"),
                   activities=frame(activity=["x", "y"], name=["X", "Y"],
                                    threat=["local_policing"] * 2),
                   baselines=frame(recipient=["a", "a", "b"], activity=["x", "y", None],
                                   amount=[30 * M, 10 * M, 60 * M]))
    index = ProblemIndex(problem)
    line = Items(index, Level.LINE)
    _, y = _sums(index, np.zeros(len(index.alloc)), "recipient", "activity", "year")
    a = [i for i in range(len(y)) if line.r[i] == "a"]
    assert [str(line.k[i]) for i in a] == ["x", "y"]
    x = np.zeros(len(index.alloc))
    for i, amount in zip(a, (60 * M, 10 * M), strict=True):
        cols = line.g.order[line.g.starts[i]:line.g.starts[i] + line.g.sizes[i]]
        x[cols[0]] = amount
    _, y = _sums(index, x, "recipient", "activity", "year")
    assert _mix(line, y) == pytest.approx(20 * M)
    ours = Measures(index)
    # the stability measure less its changes and tie-break is the mix of both levels
    changes = sum(_changes(Items(index, level), _sums(
        index, x, "recipient", "activity" if level is Level.LINE else "stream", "year")[1])
        for level in Level)
    streams = Items(index, Level.STREAM)
    stream_mix = _mix(streams, _sums(index, x, "recipient", "stream", "year")[1])
    got = ours(x)[Goal.STABILITY] - changes - float(np.dot(tie_break_weights(index), x))
    assert got == pytest.approx(20 * M + stream_mix, rel=1e-12)
