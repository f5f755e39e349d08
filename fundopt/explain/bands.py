"""Allocation bands: the least and the most each recipient (or line) could get in a year
among plans as good as the returned one (docs/formulation.md, "Bands").

A band of width under :attr:`BandOptions.set_by_rules_below` means the rules and the
policy decide that number; a wide band means it is one choice among equally good plans.
Each band is two warm re-solves of the face LP (:class:`~fundopt.explain.face.FaceLp`).

:class:`BandWork` works them out on a thread of its own, started as soon as the face is
known, while the solve goes on (the stability tier, rounding, the check): HiGHS lets go of
Python's lock while it solves. The bands are cut into fixed shares, each worked out on a
face LP (its own ``Highs``) of its own, so they are the same on any machine, at any speed
and whichever thread works a share out.
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


#: The shares the bands are cut into (contiguous, in the table's order), by how many
#: there are: (at least this many bands, shares). Each share is worked out on a face LP
#: of its own from the optimum's basis, so its bands do not depend on which thread works
#: it out, or when (a band's end is an LP optimum, and where HiGHS stops within its
#: tolerance depends on the basis it starts from): the same bands on any machine.
SHARES: tuple[tuple[int, int], ...] = ((1_000, 4), (16, 2), (0, 1))

_Key = tuple[str, str, str, str]  # recipient, activity, stream, year ("" for a total)


def allocation_bands(hm: HighsModel, face: Face, options: BandOptions,
                     allocated: Mapping[tuple[str, ...], int]) -> BandRun:
    """One row per recipient and funded year (then per line and year, if asked): the
    whole-pound amount ``allocated`` (keyed (recipient, year), or (recipient, activity,
    stream, year) for lines) and the least and most on the face, in pounds."""
    return BandWork(hm, face, options).result(allocated)


class BandWork:
    """Bands being worked out beside the solve (see the module's notes): started here, read
    with :meth:`result`, or stopped with :meth:`cancel`. It reads ``hm``'s arrays and
    ``face`` (left unchanged) but never ``hm.highs``.

    A thread of its own takes the shares one after another from the start; the caller,
    once it asks for the result, takes any share not begun by then. So few bands (the
    reference model's: done while the stability tier and rounding run) cost one thread
    beside the solve, and many bands, which outlast it, get both cores at the end (a 10k
    problem's 250: ``solve(bands=True)`` 3.8 s with one share, 3.5 s with two).
    """

    def __init__(self, hm: HighsModel, face: Face, options: BandOptions) -> None:
        self.started = time.perf_counter()
        self.options = options
        self.recipients = hm.builder.index.recipient_rows
        groups = _groups(hm, options)
        n = next(k for least, k in SHARES if len(groups) >= least)
        cuts = [len(groups) * i // n for i in range(n + 1)]
        self._parts = [_Part(groups[a:b]) for a, b in itertools.pairwise(cuts)]
        self._inputs: tuple[HighsModel, Face] | None = (hm, face)
        self._next = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._work, name="fundopt-bands", daemon=True)
        self._thread.start()

    def _claim(self) -> _Part | None:
        with self._lock:
            if self._next == len(self._parts) or self._stop.is_set():
                return None
            self._next += 1
            return self._parts[self._next - 1]

    def _work(self) -> None:
        inputs = self._inputs
        assert inputs is not None
        while (part := self._claim()) is not None:
            part.run(*inputs, self._stop)

    def result(self, allocated: Mapping[tuple[str, ...], int]) -> BandRun:
        """The bands table, once every share is done (an error in one is raised here)."""
        self._work()  # the caller's thread takes the shares not begun yet
        self._thread.join()
        self._inputs = None
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
        """Stop after the band being worked out (the solve failed or was interrupted)."""
        self._stop.set()
        self._thread.join()
        self._inputs = None


class _Part:
    """One share of the bands, worked out on a face LP of its own."""

    def __init__(self, groups: Sequence[tuple[_Key, np.ndarray]]) -> None:
        self.groups = groups
        self.rows: list[tuple[str, str, str, str, float, float]] = []
        self.re_solves = self.iterations = 0
        self.error: BaseException | None = None
        self.finished = time.perf_counter()

    def run(self, hm: HighsModel, face: Face, stop: threading.Event) -> None:
        try:
            lp = FaceLp(hm, face)
            scale = hm.builder.scale
            for (r, a, s, t), j in self.groups:
                if stop.is_set():
                    return
                least, most = lp.least_and_most(j)
                self.rows.append((r, a, s, t, least * scale, most * scale))
            self.re_solves, self.iterations = lp.re_solves, lp.iterations
        except BaseException as e:  # raised again by BandWork.result, on the caller's thread
            self.error = e
            stop.set()  # no other share is begun (a Ctrl-C on the caller's is not held up)
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
