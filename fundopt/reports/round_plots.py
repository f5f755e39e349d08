"""A rolling settlement in a chart: what one recipient was told, round after round.

Each spending round's plan is a line over the years it covers: a filled marker for a
confirmed figure (a promise), an open one for an indicative figure, and a bar for the
tolerance the next re-plan may move it by. Built like every chart in
:mod:`fundopt.reports.plots` (no pyplot, shows in Jupyter as a picture).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np

from fundopt.plan import Plan
from fundopt.problem.validation import year_start
from fundopt.reports.plots import _figure, _money_axis, _title, money_scale

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


def plot_rounds(rounds: Mapping[str, Plan], recipient: str, *, ax: Axes | None = None,
                title: str | None = None) -> Figure:
    """One recipient's allocation per year in each round's plan (``rounds``: a label per
    plan, in order): filled markers for confirmed figures, open ones for indicative
    figures, with the tolerance the next re-plan may move each one by."""
    own = ax is None
    fig, ax = _figure(ax, (8.0, 4.5))
    tables = {label: plan.settlement.loc[plan.settlement["recipient"] == recipient]
              for label, plan in rounds.items()}
    if not any(len(t) for t in tables.values()):
        raise ValueError(f"no round's plan funds recipient '{recipient}'")
    years = sorted({y for t in tables.values() for y in t["year"]}, key=year_start)
    where = {y: i for i, y in enumerate(years)}
    every = np.concatenate([t["at_most"].to_numpy(dtype=float) for t in tables.values()])
    scale, suffix = money_scale(every)
    colours = [f"C{i}" for i in range(10)]
    for k, (label, t) in enumerate(tables.items()):
        if not len(t):
            continue
        x = np.array([where[y] for y in t["year"]], dtype=float) + (k - len(tables) / 2) * 0.06
        y = t["allocation"].to_numpy(dtype=float) / scale
        colour = colours[k % len(colours)]
        ax.plot(x, y, color=colour, label=label)
        confirmed = (t["status"] == "confirmed").to_numpy()
        ax.scatter(x[confirmed], y[confirmed], color=colour, zorder=3)
        ax.scatter(x[~confirmed], y[~confirmed], facecolors="white", edgecolors=colour,
                   zorder=3)
        low = (t["allocation"] - t["at_least"]).to_numpy(dtype=float)[~confirmed] / scale
        high = (t["at_most"] - t["allocation"]).to_numpy(dtype=float)[~confirmed] / scale
        ax.errorbar(x[~confirmed], y[~confirmed], yerr=[low, high], fmt="none",
                    ecolor=colour, alpha=0.5, capsize=3)
    ax.set_xticks(range(len(years)), years)
    _money_axis(ax, suffix)
    ax.set_xlabel("year (filled: confirmed; open: indicative, with its tolerance)")
    ax.legend(loc="best")
    name = next(iter(rounds.values())).problem.recipients.set_index("recipient")["name"]
    _title(fig, ax, title or f"{name.get(recipient, recipient)}: each round's plan",
           own=own)
    return fig


__all__ = ["plot_rounds"]
