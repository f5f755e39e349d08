"""Allocation bands: the least and the most each recipient (or line) could get in a year
among plans as good as the returned one (docs/formulation.md, "Bands").

A band of width under :attr:`BandOptions.set_by_rules_below` means the rules and the
policy decide that number; a wide band means it is one choice among equally good plans.
Each band is two warm re-solves of the face LP (:class:`~fundopt.explain.face.FaceLp`).

:class:`BandWork` works them out on threads of their own, started as soon as the face is
known, while the solve goes on (the stability tier, rounding, the check): HiGHS lets go of
Python's lock while it solves, and each thread has a face LP (its own ``Highs``) and a
fixed share of the bands, so the bands are the same on any machine and at any speed.
"""

from __future__ import annotations

import difflib
import itertools
import threading
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


#: The threads bands are worked out on: each takes a contiguous share of them, in the
#: table's order (the same split on any machine: a band's end is an LP optimum, and where
#: HiGHS stops within its tolerance depends on the basis it starts from).
BAND_THREADS = 2

#: Fewer bands than this go on one thread, beside the rest of the solve. On two cores
#: that is faster for few bands (the reference model's 224: 1.1-1.3 s for the whole
#: ``solve(bands=True)``, against 1.25-1.45 s with two threads and the solve's own work
#: on three); many bands outlast the solve, and two threads then halve the wait (a 10k
#: problem's 10,250 line bands: 14 s on one, 9 s on two).
ONE_THREAD_BELOW = 1_000

_Key = tuple[str, str, str, str]  # recipient, activity, stream, year ("" for a total)


def allocation_bands(hm: HighsModel, face: Face, options: BandOptions,
                     allocated: Mapping[tuple[str, ...], int]) -> BandRun:
    """One row per recipient and funded year (then per line and year, if asked): the
    whole-pound amount ``allocated`` (keyed (recipient, year), or (recipient, activity,
    stream, year) for lines) and the least and most on the face, in pounds."""
    return BandWork(hm, face, options).result(allocated)


class BandWork:
    """Bands being worked out on threads of their own (see the module's notes): started
    here, read with :meth:`result`, or stopped with :meth:`cancel`. It reads ``hm``'s
    arrays and ``face`` (left unchanged) but never ``hm.highs``."""

    def __init__(self, hm: HighsModel, face: Face, options: BandOptions) -> None:
        self.started = time.perf_counter()
        self.options = options
        self.recipients = hm.builder.index.recipient_rows
        groups = _groups(hm, options)
        n = BAND_THREADS if len(groups) >= ONE_THREAD_BELOW else 1
        cuts = [len(groups) * i // n for i in range(n + 1)]
        self._stop = threading.Event()
        self._parts = [_Part(hm, face, groups[a:b], self._stop)
                       for a, b in itertools.pairwise(cuts)]
        for part in self._parts:
            part.thread.start()

    def result(self, allocated: Mapping[tuple[str, ...], int]) -> BandRun:
        """The bands table, once every thread is done (an error on one is raised here)."""
        for part in self._parts:
            part.thread.join()
        for part in self._parts:
            if part.error is not None:
                raise part.error
        rows = [row for part in self._parts for row in part.rows]
        table = _table(self.recipients, rows, allocated, self.options.set_by_rules_below)
        finished = max((part.finished for part in self._parts), default=self.started)
        return BandRun(table, finished - self.started,
                       sum(part.re_solves for part in self._parts),
                       sum(part.iterations for part in self._parts))

    def cancel(self) -> None:
        """Stop after the band each thread is on (the solve failed or was interrupted)."""
        self._stop.set()
        for part in self._parts:
            part.thread.join()


class _Part:
    """One thread's share of the bands, on a face LP of its own."""

    def __init__(self, hm: HighsModel, face: Face,
                 groups: Sequence[tuple[_Key, np.ndarray]], stop: threading.Event) -> None:
        self.rows: list[tuple[str, str, str, str, float, float]] = []
        self.re_solves = self.iterations = 0
        self.error: BaseException | None = None
        self.finished = time.perf_counter()
        self.thread = threading.Thread(target=self._run, args=(hm, face, groups, stop),
                                       name="fundopt-bands", daemon=True)

    def _run(self, hm: HighsModel, face: Face, groups: Sequence[tuple[_Key, np.ndarray]],
             stop: threading.Event) -> None:
        try:
            lp = FaceLp(hm, face)
            scale = hm.builder.scale
            for (r, a, s, t), j in groups:
                if stop.is_set():
                    return
                least, most = lp.least_and_most(j)
                self.rows.append((r, a, s, t, least * scale, most * scale))
            self.re_solves, self.iterations = lp.re_solves, lp.iterations
        except BaseException as e:  # raised again by BandWork.result, on the caller's thread
            self.error = e
        finally:
            self.finished = time.perf_counter()


def _groups(hm: HighsModel, options: BandOptions) -> list[tuple[_Key, np.ndarray]]:
    """What to range, in the table's order: each key and its LP columns."""
    index = hm.builder.index
    groups: list[tuple[_Key, np.ndarray]] = []
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
    out = []
    for key, cols in groups:
        j = hm.col_of_x[cols]
        out.append((key, j[j >= 0]))
    return out


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
