"""Allocation bands: the least and the most each recipient (or line) could get in a year
among plans as good as the returned one (docs/formulation.md, "Bands").

A band of width under :attr:`BandOptions.set_by_rules_below` means the rules and the
policy decide that number; a wide band means it is one choice among equally good plans.
Each band is two warm re-solves of the face LP (:class:`~fundopt.explain.face.FaceLp`).
"""

from __future__ import annotations

import difflib
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from fundopt.explain.face import Face, FaceLp

if TYPE_CHECKING:
    from fundopt.solver.highs import HighsModel

#: The columns of ``plan.bands``, with the names to show them by.
BAND_COLUMNS: dict[str, str] = {
    "recipient": "Recipient",
    "name": "Name",
    "activity": "Activity",
    "stream": "Stream",
    "year": "Year",
    "allocated": "Allocated (£)",
    "least": "Least (£)",
    "most": "Most (£)",
    "width": "Width (£)",
    "set_by_rules": "Set by the rules",
}


@dataclass(frozen=True)
class BandOptions:
    """What ``solve(problem, bands=...)`` ranges, and over which plans.

    - ``give_pounds``: the plans within this many pounds of value of the optimum (0: the
      optimal face, the plans exactly as good);
    - ``set_by_rules_below``: a band narrower than this many pounds is "set by the rules";
    - ``recipients``: only these recipients (ids; all when empty);
    - ``lines``: also each line (recipient, activity, stream) in each year, one band each.
    """

    give_pounds: float = 0.0
    set_by_rules_below: float = 1_000.0
    recipients: tuple[str, ...] = ()
    lines: bool = False

    def __post_init__(self) -> None:
        if self.give_pounds < 0 or self.set_by_rules_below < 0:
            raise ValueError("give_pounds and set_by_rules_below cannot be negative")
        object.__setattr__(self, "recipients", tuple(self.recipients))


@dataclass(frozen=True)
class BandRun:
    """The bands table and what working it out took."""

    table: pd.DataFrame
    seconds: float
    re_solves: int  # the ends the face LP's basis did not answer already
    iterations: int


def allocation_bands(hm: HighsModel, face: Face, options: BandOptions,
                     allocated: Mapping[tuple[str, ...], int]) -> BandRun:
    """One row per recipient and funded year (then per line and year, if asked): the
    whole-pound amount ``allocated`` (keyed (recipient, year), or (recipient, activity,
    stream, year) for lines) and the least and most on the face, in pounds."""
    t0 = time.perf_counter()
    index = hm.builder.index
    groups: list[tuple[tuple[str, str, str, str], np.ndarray]] = []
    unknown = sorted(set(options.recipients) - set(index.recipient_rows))
    if unknown:
        near = difflib.get_close_matches(unknown[0], list(index.recipient_rows), n=1)
        hint = f" (did you mean '{near[0]}'?)" if near else ""
        names = ", ".join(f"'{r}'" for r in unknown)
        raise ValueError(f"BandOptions names unknown recipient(s) {names}{hint}")
    wanted = set(options.recipients) or set(index.recipient_rows)
    for (r, t), cols in index.columns_of_recipient_year.items():
        if r in wanted:
            groups.append(((r, "", "", t), cols))
    if options.lines:
        groups += [(key, np.array([i])) for key, i in index.by_line_stream_year.items()
                   if key[0] in wanted]
    groups.sort(key=lambda g: g[0])
    lp = FaceLp(hm, face)
    scale = hm.builder.scale
    out: list[tuple[str, str, str, str, float, float]] = []
    for key, cols in groups:
        j = hm.col_of_x[cols]
        least, most = lp.least_and_most(j[j >= 0])
        r, a, s, t = key
        out.append((r, a, s, t, least * scale, most * scale))
    table = _table(index.recipient_rows, out, allocated, options.set_by_rules_below)
    return BandRun(table, time.perf_counter() - t0, lp.re_solves, lp.iterations)


def _table(recipients: Mapping[str, Mapping[str, object]],
           rows: Sequence[tuple[str, str, str, str, float, float]],
           allocated: Mapping[tuple[str, ...], int], threshold: float) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["recipient", "activity", "stream", "year", "least",
                                        "most"])
    frame["name"] = [str(recipients[r].get("name") or r) for r in frame["recipient"]]
    keys = zip(frame["recipient"], frame["activity"], frame["stream"], frame["year"],
               strict=True)
    frame["allocated"] = [int(allocated.get((r, t) if not a else (r, a, s, t), 0))
                          for r, a, s, t in keys]
    # whole pounds: an LP end is a whole pound away from the plan's at most by rounding
    frame["least"] = frame["least"].round()
    frame["most"] = frame["most"].round()
    frame["width"] = frame["most"] - frame["least"]
    frame["set_by_rules"] = frame["width"] < threshold
    return frame[list(BAND_COLUMNS)]


def empty_bands() -> pd.DataFrame:
    """``plan.bands`` when bands were not asked for."""
    return pd.DataFrame({c: pd.Series(dtype="bool" if c == "set_by_rules" else
                                      "float64" if c in ("least", "most", "width") else
                                      "int64" if c == "allocated" else "object")
                         for c in BAND_COLUMNS})
