"""Smoke tests: every chart renders to a PNG without pyplot or a display."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from whatif_problems import regional_problem

import fundopt as fo

pytest.importorskip("matplotlib")
from fundopt.reports import plots


@pytest.fixture(scope="module")
def problem() -> fo.FundingProblem:
    return regional_problem()


@pytest.fixture(scope="module")
def plan(problem: fo.FundingProblem) -> fo.Plan:
    return fo.solve(problem)


def _is_png(path: Path) -> bool:
    return path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 5_000


@pytest.mark.parametrize("by", list(plots.Grouping))
def test_funding_by_kind_and_region(plan: fo.Plan, by: plots.Grouping, tmp_path: Path) -> None:
    fig = plots.plot_funding(plan, by)
    ax = fig.axes[0]
    # one bar per year per group; the stacks add up to total funding in the baseline year
    groups = plan.totals[by.value].fillna("national").nunique()
    assert len(ax.patches) == groups * plan.totals["year"].nunique()
    base = plan.totals.loc[plan.totals["year"] == "2025-26", "total_funding"].sum() / 1e6
    tops = [p.get_y() + p.get_height() for p in ax.patches if p.get_x() < 0.5]
    assert max(tops) == pytest.approx(base)
    fig.savefig(tmp_path / "funding.png")
    assert _is_png(tmp_path / "funding.png")


def test_headroom(plan: fo.Plan, tmp_path: Path) -> None:
    fig = plots.plot_headroom(plan, largest=5)
    assert len(fig.axes[0].patches) == 5
    fig.savefig(tmp_path / "headroom.png")
    assert _is_png(tmp_path / "headroom.png")


def test_sweep_curve(problem: fo.FundingProblem, tmp_path: Path) -> None:
    factors = [0.9, 1.0, 1.1]
    result = fo.sweep(problem, [fo.Scenario(f"x{f}", (fo.ScaleEnvelope("soc", None, f),))
                                for f in factors], progress=False)
    fig = plots.plot_sweep(result, factors, rule="envelope[soc,2026-27]", label="SOC factor")
    assert len(fig.axes) == 2  # the objective and, on a twin axis, the shadow price
    line = fig.axes[0].lines[0]
    assert list(line.get_xdata()) == factors
    fig.savefig(tmp_path / "sweep.png")
    assert _is_png(tmp_path / "sweep.png")


def test_winners_and_losers(problem: fo.FundingProblem, plan: fo.Plan, tmp_path: Path) -> None:
    other = fo.solve(fo.Scenario("c", (fo.SetCliffEdge(None, 0.01),)).apply(problem))
    fig = plots.plot_winners_and_losers(plan, other, largest=4)
    bars = fig.axes[0].patches
    assert 0 < len(bars) <= 4
    fig.savefig(tmp_path / "wl.png")
    assert _is_png(tmp_path / "wl.png")
    # against today's method: the comparator's frame
    frame = pd.DataFrame({"recipient": ["a", "b", "a"], "optimised": [5e6, 1e6, 2e6],
                          "todays_method": [4e6, 3e6, 2e6]})
    fig = plots.plot_winners_and_losers(plan, frame)
    widths = sorted(p.get_width() for p in fig.axes[0].patches)
    assert widths == pytest.approx([-2.0, 1.0])


def _labels(fig: object, axis: str) -> list[str]:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig).draw()  # type: ignore[arg-type]
    ax = fig.axes[0]  # type: ignore[attr-defined]
    ticks = ax.get_xticklabels() if axis == "x" else ax.get_yticklabels()
    return [t.get_text() for t in ticks if t.get_text()]


def test_a_chart_shows_as_a_picture_in_jupyter(plan: fo.Plan) -> None:
    # made without pyplot, a Figure has no picture in Jupyter unless it brings its own
    from IPython.core.formatters import DisplayFormatter

    for fig in (plots.plot_funding(plan), plots.plot_headroom(plan, largest=3)):
        shown, _ = DisplayFormatter().format(fig)
        assert shown["image/png"][:8] == b"\x89PNG\r\n\x1a\n"


def test_money_ticks_suit_the_size_of_the_numbers(plan: fo.Plan) -> None:
    import dataclasses

    # headroom of a few hundred thousand pounds: £k ticks, every one different, no "-0"
    totals = plan.totals.copy()
    rows = totals["headroom"].notna()
    totals.loc[rows, "headroom"] = [(i % 5) * 110_000.0 for i in range(int(rows.sum()))]
    small = dataclasses.replace(plan, totals=totals)
    labels = _labels(plots.plot_headroom(small, largest=6), "x")
    assert all(t.endswith("k") for t in labels), labels
    assert len(set(labels)) == len(labels) and not any(t.startswith("-£0") for t in labels)
    # funding in £bn-sized £m: whole millions, from zero
    labels = _labels(plots.plot_funding(plan), "y")
    assert labels[0] == "£0m" and all(re.fullmatch(r"£[\d,]+m", t) for t in labels), labels


def test_winners_and_losers_leave_out_changes_that_do_not_matter(plan: fo.Plan) -> None:
    a = plan.allocations.groupby("recipient")["amount"].sum()
    # two material moves and six of a few pounds
    tweak = {r: (4.0 if i % 2 else -4.0) for i, r in enumerate(a.index[:6])}
    tweak.update({a.index[6]: 2_000_000.0, a.index[7]: -1_500_000.0})
    frame = pd.DataFrame({"recipient": list(tweak), "optimised": [a[r] for r in tweak],
                          "todays_method": [a[r] - d for r, d in tweak.items()]})
    fig = plots.plot_winners_and_losers(plan, frame)
    widths = sorted(p.get_width() for p in fig.axes[0].patches)
    assert widths == pytest.approx([-1.5, 2.0])  # £m, the two that matter
    assert "(6 smaller changes not shown)" in fig.get_suptitle()
    frame["todays_method"] = frame["optimised"] - 4.0
    fig = plots.plot_winners_and_losers(plan, frame)
    assert not fig.axes[0].patches
    assert "No material change" in fig.axes[0].texts[0].get_text()
